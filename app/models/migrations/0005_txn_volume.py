"""Version 5: each terminal's counted positive volume per calendar month (``txn_volume``).

The 达标 pass first sorts out the terminals that cannot reach their target: a window's
volume of positive transactions can never exceed that of the calendar months it spans.
That bound used to take one more pass over every transaction at each month compute; the
transaction import now adds to these sums as it reads the file (``_TxParser``), and the
compute looks them up (``scans.qualification_task``); undoing an import takes its batch's
sums back (``app.core.imports.undo_batch``).  A file imported twice adds twice:
the sums only ever bound the window volume from above (the 达标 day itself is found from
the transactions), so a sum too high costs a little time and never a wrong amount."""

from typing import Any

VERSION = 5

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "txn_volume" ("terminal_id" INTEGER NOT NULL, '
    '"month" TEXT NOT NULL, "positive" INTEGER NOT NULL, '
    'PRIMARY KEY ("terminal_id", "month")) WITHOUT ROWID',
    # the transactions already stored: month is the calendar month of the day
    'INSERT INTO "txn_volume" ("terminal_id", "month", "positive") '
    "SELECT terminal_id, substr(date, 1, 7), SUM(amount) FROM txn "
    "WHERE status IN ('success', 'refund') AND amount >= 0 GROUP BY 1, 2",
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
