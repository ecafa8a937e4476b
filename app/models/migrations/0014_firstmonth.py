"""Deposits handled at the desk (押金收付): cash received, paid back or kept, one row each,
with the receipt number printed on its 收据.  Apart from the ``deposit`` table, which each
month compute rebuilds from the terminal events (docs/rules.md, "Deposits at the desk")."""

from typing import Any

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "deposit_entry" ("id" INTEGER NOT NULL PRIMARY KEY, '
    '"receipt_no" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, '
    '"agent_id" INTEGER NOT NULL, "product_id" INTEGER, "terminal_id" INTEGER, '
    '"amount" INTEGER NOT NULL CHECK ("amount" > 0), "method" VARCHAR(255) NOT NULL, '
    '"day" DATE NOT NULL, "month" VARCHAR(255) NOT NULL, "note" TEXT NOT NULL, '
    '"created_at" DATETIME NOT NULL, '
    'FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("terminal_id") REFERENCES "terminal" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "deposit_entry_receipt_no" ON "deposit_entry" ("receipt_no")',
    'CREATE INDEX IF NOT EXISTS "deposit_entry_agent_id" ON "deposit_entry" ("agent_id")',
    'CREATE INDEX IF NOT EXISTS "deposit_entry_month" ON "deposit_entry" ("month")',
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
