"""Version 4: each terminal's 达标 outcome, and the per-terminal ledger kept for locked
months only.

A month compute used to write every per-terminal amount of the open months (about
450,000 rows for 5,000 agents) and delete them again at the next compute; nothing but a
drill-down ever read those rows.  The posting needs only the locked months' rows, so the
ledger now holds those alone: ``lock_month`` writes the month it locks, and a drill-down
into an open month derives its rows on demand.  Team figures (伪激活) read the 达标 outcome
of each activated terminal, which the compute records here instead."""

from typing import Any

VERSION = 4

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "qualify_outcome" ("terminal_id" INTEGER NOT NULL PRIMARY KEY, '
    '"window_end" DATE NOT NULL, "reached_on" DATE, '
    'FOREIGN KEY ("terminal_id") REFERENCES "terminal" ("id") ON DELETE CASCADE)',
    # the rows of open months were only ever a cache of the last compute
    'DELETE FROM "terminal_item" WHERE "month" NOT IN '
    '(SELECT "month" FROM "month_state" WHERE "state" = \'locked\')',
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
