"""Version 13: ``txn_volume`` becomes a table derived exactly from the transactions, kept
by ``app.core.derived`` like the other derived tables (no longer summed by the import as
it reads a file, nor taken back by an undo).

Its rows are now per terminal, calendar month of the day *and settlement month*
(``settle``), so that re-deriving one settlement month replaces exactly its own rows,
and they carry ``first_on``: the first day of an activating transaction (success, amount
≥ the product's threshold), from which ``terminal.first_tx_on`` is taken.  Every month
with transactions is marked here; the first refresh (at the next import or compute)
fills the table and checks every terminal's first activating day."""

from typing import Any

VERSION = 13

STATEMENTS = [
    'DROP TABLE IF EXISTS "txn_volume"',
    'CREATE TABLE "txn_volume" ("terminal_id" INTEGER NOT NULL, "month" TEXT NOT NULL, '
    '"settle" TEXT NOT NULL, "positive" INTEGER NOT NULL, "first_on" TEXT, '
    'PRIMARY KEY ("terminal_id", "month", "settle")) WITHOUT ROWID',
    'CREATE INDEX "txn_volume_settle" ON "txn_volume" ("settle")',
    'INSERT OR IGNORE INTO "txn_day_dirty" SELECT DISTINCT "month" FROM "txn"',
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
