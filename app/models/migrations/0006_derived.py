"""Version 6: two tables the month compute reads instead of working them out each time.

* ``terminal_holding``: each terminal's holders over time, one row per stretch (start,
  finish: the day after, holder: 0 for the agency's stock), replayed from its moves.
* ``txn_day``: per settlement month and terminal, its counted transactions summed by day,
  as "YYYY-MM-DD amount,…" (the 达标 pass reads these instead of the transactions).

Both are kept by ``app.core.derived.refresh`` from the rows marked here: triggers mark a
terminal whose moves change (and every new terminal), and a month whose transactions are
deleted or changed; inserted transactions are found by their ids, above the last id
seen (``derived_mark``), so the two-million-row import pays no trigger per row.  Here
every terminal is marked and no transaction is seen yet: the first refresh (at the next
import or compute) fills both tables for the data already stored."""

from typing import Any

VERSION = 6

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "terminal_holding" ("terminal_id" INTEGER NOT NULL, '
    '"start" TEXT NOT NULL, "finish" TEXT NOT NULL, "holder" INTEGER NOT NULL, '
    'PRIMARY KEY ("terminal_id", "start"), '
    'FOREIGN KEY ("terminal_id") REFERENCES "terminal" ("id") ON DELETE CASCADE) WITHOUT ROWID',
    'CREATE TABLE IF NOT EXISTS "txn_day" ("month" TEXT NOT NULL, "terminal_id" INTEGER NOT NULL, '
    '"days" TEXT NOT NULL, PRIMARY KEY ("month", "terminal_id")) WITHOUT ROWID',
    'CREATE TABLE IF NOT EXISTS "holding_dirty" ("terminal_id" INTEGER PRIMARY KEY)',
    'CREATE TABLE IF NOT EXISTS "txn_day_dirty" ("month" TEXT PRIMARY KEY) WITHOUT ROWID',
    'CREATE TABLE IF NOT EXISTS "derived_mark" ("id" INTEGER PRIMARY KEY CHECK ("id" = 1), '
    '"txn_seen" INTEGER NOT NULL)',
    'INSERT OR IGNORE INTO "derived_mark" ("id", "txn_seen") VALUES (1, 0)',
    'CREATE TRIGGER IF NOT EXISTS "terminal_new_holding" AFTER INSERT ON "terminal" BEGIN '
    'INSERT OR IGNORE INTO "holding_dirty" VALUES (NEW."id"); END',
    'CREATE TRIGGER IF NOT EXISTS "event_ins_holding" AFTER INSERT ON "terminal_event" BEGIN '
    'INSERT OR IGNORE INTO "holding_dirty" VALUES (NEW."terminal_id"); END',
    'CREATE TRIGGER IF NOT EXISTS "event_del_holding" AFTER DELETE ON "terminal_event" BEGIN '
    'INSERT OR IGNORE INTO "holding_dirty" VALUES (OLD."terminal_id"); END',
    'CREATE TRIGGER IF NOT EXISTS "event_upd_holding" AFTER UPDATE ON "terminal_event" BEGIN '
    'INSERT OR IGNORE INTO "holding_dirty" VALUES (OLD."terminal_id"); '
    'INSERT OR IGNORE INTO "holding_dirty" VALUES (NEW."terminal_id"); END',
    # a deleted id may be used again by the next insert: the mark goes back below it
    'CREATE TRIGGER IF NOT EXISTS "txn_del_day" AFTER DELETE ON "txn" BEGIN '
    'INSERT OR IGNORE INTO "txn_day_dirty" VALUES (OLD."month"); '
    'UPDATE "derived_mark" SET "txn_seen" = MIN("txn_seen", OLD."id" - 1); END',
    'CREATE TRIGGER IF NOT EXISTS "txn_upd_day" AFTER UPDATE ON "txn" BEGIN '
    'INSERT OR IGNORE INTO "txn_day_dirty" VALUES (OLD."month"); '
    'INSERT OR IGNORE INTO "txn_day_dirty" VALUES (NEW."month"); '
    'UPDATE "derived_mark" SET "txn_seen" = MIN("txn_seen", OLD."id" - 1, NEW."id" - 1); END',
    # everything stored so far is to be derived once
    'INSERT OR IGNORE INTO "holding_dirty" SELECT "id" FROM "terminal"',
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
