"""Version 7: money is whole fen in every money column, enforced by the database itself.

FORMATS.md "Values": at most ¥1,000,000,000.00 either way, never NaN/inf.  The import
and the forms check that first (``app.core.values``) and say so in Chinese; this is the
floor under them, so that no path (a bug, a script, another tool) can store a REAL, a
text or an out-of-range figure in a money column.

* ``txn`` (two million rows a month) gets CHECK constraints: SQLite tests them in C as it
  writes the row, measured at about 1 % of the insert's CPU time, where a BEFORE INSERT
  trigger cost about 8 % (docs/rules.md, "Money in the database").  SQLite adds a CHECK
  only by rebuilding the table; nothing references ``txn``, so the rebuild copies it into
  a new table (same ids), drops the old one and puts its indexes and triggers back.  The
  rebuild also adds ``src_row``: the row of the file each transaction came from, so that a
  conflicting 交易流水号 can be named with its file (``batch_id``) and row.
* every other money column gets BEFORE INSERT / UPDATE triggers: those tables are written
  a few thousand rows at a time, and rebuilding tables that others reference would run
  their ON DELETE actions.
* ``agent_import_change``: each agent an agents import wrote, its fields before (NULL for
  a new agent) and after, so that the import can be undone (``app.core.agent_batches``).
* input money (what the office types or imports) must be within ±¥1,000,000,000.00;
  computed sums (statement volumes, totals) must be whole fen of any size.
"""

from typing import Any

from app.models.errors import StorageError

VERSION = 7
REBUILDS_TABLES = True  # apply_migrations turns foreign keys off around it (SQLite's procedure)

LIMIT = 100_000_000_000  # fen: ¥1,000,000,000.00

INPUT_MONEY = {
    "product": ["activation_min", "qualify_volume", "company_cashback", "company_qualify_bonus",
                "company_unqualified_penalty"],
    "price": ["debit_cap", "per_txn"],
    "policy": ["debit_cap", "per_txn", "cashback", "qualify_bonus", "unqualified_penalty", "deposit"],
    "adjustment": ["amount"],
    "terminal_item": ["amount"],
    "deposit": ["amount"],
}
COMPUTED_MONEY = {
    "statement": ["gross", "tax", "payable"],
    "statement_line": ["credit_volume", "credit_amount", "debit_volume", "debit_amount", "scan_volume",
                       "scan_amount", "cashback", "qualify_bonus", "unqualified_penalty", "deposit_refund",
                       "deposit_deduction", "adjustment", "carried_in", "subtotal", "carried_out"],
    "agency_margin": ["pool", "margin"],
    "txn_volume": ["positive"],
}

TXN_COLUMNS = ('"id", "tx_id", "terminal_id", "product_id", "time", "date", "month", "amount", '
               '"category", "status", "merchant_no", "fee", "batch_id"')

TXN_TABLE = (
    'CREATE TABLE "txn_new" ("id" INTEGER NOT NULL PRIMARY KEY, "tx_id" VARCHAR(255) NOT NULL, '
    '"terminal_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "time" VARCHAR(255) NOT NULL, '
    '"date" DATE NOT NULL, "month" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, '
    '"category" VARCHAR(255) NOT NULL, "status" VARCHAR(255) NOT NULL, '
    '"merchant_no" VARCHAR(255) NOT NULL, "fee" INTEGER, "batch_id" INTEGER, "src_row" INTEGER, '
    f'CONSTRAINT "txn_amount_fen" CHECK (typeof("amount") = \'integer\' AND "amount" BETWEEN -{LIMIT} AND {LIMIT}), '
    f'CONSTRAINT "txn_fee_fen" CHECK ("fee" IS NULL OR (typeof("fee") = \'integer\' AND "fee" BETWEEN -{LIMIT} AND {LIMIT})), '
    'FOREIGN KEY ("terminal_id") REFERENCES "terminal" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("batch_id") REFERENCES "import_batch" ("id") ON DELETE SET NULL)'
)


def _bad(column: str, limit: int | None) -> str:
    test = f"typeof(NEW.\"{column}\") != 'integer'"
    if limit is not None:
        test += f" OR NEW.\"{column}\" NOT BETWEEN -{limit} AND {limit}"
    return f"(NEW.\"{column}\" IS NOT NULL AND ({test}))"


def trigger_statements() -> list[str]:
    out = []
    for tables, limit in ((INPUT_MONEY, LIMIT), (COMPUTED_MONEY, None)):
        for table, columns in tables.items():
            when = " OR ".join(_bad(c, limit) for c in columns)
            message = f"{table}: 金额必须是整数分" + ("且不超过 ¥1,000,000,000.00" if limit else "")
            cols = ", ".join(f'"{c}"' for c in columns)
            for event, name in ((f"INSERT ON \"{table}\"", "ins"), (f"UPDATE OF {cols} ON \"{table}\"", "upd")):
                out.append(
                    f'CREATE TRIGGER IF NOT EXISTS "money_{table}_{name}" BEFORE {event} '
                    f"WHEN {when} BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
    return out


def _rebuild_txn(db: Any) -> None:
    keep = [sql for (sql,) in db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'txn' AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL ORDER BY type, name")]
    # a whole number stored as REAL (12.0) becomes the integer it is; anything else the
    # CHECK refuses, naming the row, and the database stays at version 6
    db.execute_sql(
        "UPDATE txn SET amount = CAST(amount AS INTEGER) WHERE typeof(amount) = 'real' "
        "AND amount = CAST(amount AS INTEGER)"
    )
    db.execute_sql(
        "UPDATE txn SET fee = CAST(fee AS INTEGER) WHERE typeof(fee) = 'real' AND fee = CAST(fee AS INTEGER)"
    )
    bad = db.execute_sql(
        f"SELECT tx_id, amount FROM txn WHERE typeof(amount) != 'integer' OR amount NOT BETWEEN -{LIMIT} AND {LIMIT} "
        f"OR (fee IS NOT NULL AND (typeof(fee) != 'integer' OR fee NOT BETWEEN -{LIMIT} AND {LIMIT})) LIMIT 1"
    ).fetchone()
    if bad is not None:
        raise StorageError(
            f"数据库中交易 {bad[0]} 的金额“{bad[1]}”不是有效的整数分(或超过 ¥1,000,000,000.00),"
            "无法升级;请用升级前的版本撤销那批导入后再打开"
        )
    db.execute_sql(TXN_TABLE)
    db.execute_sql(f"INSERT INTO txn_new ({TXN_COLUMNS}) SELECT {TXN_COLUMNS} FROM txn")
    db.execute_sql('DROP TABLE "txn"')
    db.execute_sql("PRAGMA legacy_alter_table = ON")
    try:
        db.execute_sql('ALTER TABLE "txn_new" RENAME TO "txn"')
    finally:
        db.execute_sql("PRAGMA legacy_alter_table = OFF")
    for sql in keep:
        db.execute_sql(sql)


AGENT_CHANGES = (
    'CREATE TABLE IF NOT EXISTS "agent_import_change" ("batch_id" INTEGER NOT NULL, '
    '"agent_id" INTEGER NOT NULL, "before" TEXT, "after" TEXT NOT NULL, '
    'PRIMARY KEY ("batch_id", "agent_id"), '
    'FOREIGN KEY ("batch_id") REFERENCES "import_batch" ("id") ON DELETE CASCADE)'
)


def migrate(db: Any) -> None:
    from peewee import SqliteDatabase

    sqlite = isinstance(db, SqliteDatabase)  # (a variable: db stays Any for mypy)
    if not sqlite:
        # PostgreSQL: typed integer columns; the range as ordinary constraints, no rebuild
        db.execute_sql('ALTER TABLE "txn" ADD COLUMN "src_row" INTEGER')
        db.execute_sql(f'ALTER TABLE "txn" ADD CONSTRAINT "txn_amount_fen" CHECK ("amount" BETWEEN -{LIMIT} AND {LIMIT})')
        db.execute_sql(AGENT_CHANGES)
        return
    _rebuild_txn(db)
    db.execute_sql(AGENT_CHANGES)  # what each agents import changed, for its undo
    for sql in trigger_statements():
        db.execute_sql(sql)
