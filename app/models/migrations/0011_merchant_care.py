"""Merchant care (商户维护): the per-month merchant summaries, the tag history and the
manual tags.

* ``merchant_month``: per calendar month and merchant, its counted transactions (成功 and
  退货) summed: volume (fen, signed), count, first and last day.  Kept by
  ``app.core.merchant_tags.refresh_summaries`` for the months marked in
  ``merchant_month_dirty`` (triggers below mark the months of changed or deleted
  transactions, and of a terminal's blank-merchant transactions when its bound merchant
  changes) and the months of transactions inserted above ``merchant_mark.txn_seen``.
* ``merchant_tag``: the tag of each merchant at the end of a month (DOMAIN §9), with the
  figures it was decided on; one row per (month, merchant): the tag history.
* ``merchant_manual_tag``: tags the office sets by hand, beside the computed one.
"""

from typing import Any

VERSION = 11

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "merchant_month" ("month" TEXT NOT NULL, '
    '"merchant_no" TEXT NOT NULL, "volume" INTEGER NOT NULL, "txns" INTEGER NOT NULL, '
    '"first_day" TEXT NOT NULL, "last_day" TEXT NOT NULL, '
    'PRIMARY KEY ("month", "merchant_no")) WITHOUT ROWID',
    'CREATE TABLE IF NOT EXISTS "merchant_month_dirty" ("month" TEXT PRIMARY KEY) WITHOUT ROWID',
    'CREATE TABLE IF NOT EXISTS "merchant_mark" ("id" INTEGER PRIMARY KEY CHECK ("id" = 1), '
    '"txn_seen" INTEGER NOT NULL)',
    'INSERT OR IGNORE INTO "merchant_mark" ("id", "txn_seen") VALUES (1, 0)',
    'CREATE TABLE IF NOT EXISTS "merchant_tag" ("month" TEXT NOT NULL, '
    '"merchant_no" TEXT NOT NULL, "tag" TEXT NOT NULL, "volume" INTEGER NOT NULL, '
    '"before" INTEGER, "first_day" TEXT NOT NULL, "last_day" TEXT NOT NULL, '
    'PRIMARY KEY ("month", "merchant_no")) WITHOUT ROWID',
    'CREATE INDEX IF NOT EXISTS "merchant_tag_merchant" ON "merchant_tag" ("merchant_no", "month")',
    'CREATE TABLE IF NOT EXISTS "merchant_manual_tag" ("merchant_no" TEXT NOT NULL, '
    '"tag" TEXT NOT NULL, PRIMARY KEY ("merchant_no", "tag")) WITHOUT ROWID',
    # a deleted id may be used again by the next insert: the mark goes back below it
    'CREATE TRIGGER IF NOT EXISTS "txn_del_merchant" AFTER DELETE ON "txn" BEGIN '
    'INSERT OR IGNORE INTO "merchant_month_dirty" VALUES (substr(OLD."date", 1, 7)); '
    'UPDATE "merchant_mark" SET "txn_seen" = MIN("txn_seen", OLD."id" - 1); END',
    'CREATE TRIGGER IF NOT EXISTS "txn_upd_merchant" AFTER UPDATE ON "txn" BEGIN '
    'INSERT OR IGNORE INTO "merchant_month_dirty" VALUES (substr(OLD."date", 1, 7)); '
    'INSERT OR IGNORE INTO "merchant_month_dirty" VALUES (substr(NEW."date", 1, 7)); '
    'UPDATE "merchant_mark" SET "txn_seen" = MIN("txn_seen", OLD."id" - 1, NEW."id" - 1); END',
    # a terminal's bound merchant (its activation record's) names its blank-merchant txns
    'CREATE TRIGGER IF NOT EXISTS "terminal_merchant_bound" AFTER UPDATE OF "merchant_no" '
    'ON "terminal" WHEN OLD."merchant_no" IS NOT NEW."merchant_no" BEGIN '
    'INSERT OR IGNORE INTO "merchant_month_dirty" SELECT DISTINCT substr("date", 1, 7) '
    'FROM "txn" WHERE "terminal_id" = NEW."id" AND "merchant_no" = \'\'; END',
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
