from typing import Any

"""Version 0012: the payment company's settlement report (对账) and 补差 adjustments.

``company_report`` holds the lines of the company's own report of what it paid the agency
per terminal (SN) or merchant and month; a report imported for a month replaces the lines
stored for that month (app.io.report_import).  ``adjustment.corrects`` names the locked
month a 补差 adjustment corrects (NULL for an ordinary 调账), so that a re-settlement run
again sees what it already wrote (app.core.resettle)."""

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "company_report" ("id" INTEGER NOT NULL PRIMARY KEY, '
    '"month" VARCHAR(255) NOT NULL, "sn" VARCHAR(255) NOT NULL DEFAULT \'\', '
    '"merchant_no" VARCHAR(255) NOT NULL DEFAULT \'\', "product_id" INTEGER, '
    '"amount" INTEGER NOT NULL, "row" INTEGER NOT NULL DEFAULT 0, "batch_id" INTEGER, '
    'FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE SET NULL, '
    'FOREIGN KEY ("batch_id") REFERENCES "import_batch" ("id") ON DELETE SET NULL)',
    'CREATE INDEX IF NOT EXISTS "company_report_month" ON "company_report" ("month")',
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
    # idempotent, like the statements above: a database that already has the column (one
    # made while migrations were being numbered) opens all the same
    columns = {row[1] for row in db.execute_sql('PRAGMA table_info("adjustment")')}
    if "corrects" not in columns:
        db.execute_sql('ALTER TABLE "adjustment" ADD COLUMN "corrects" VARCHAR(255)')
