"""Version 8: what a locked month's slips show, frozen with it at the lock.

``lock_freeze`` holds one JSON document per locked month, written inside the lock's
transaction by ``app.core.freeze.freeze_month``: every agent as it was (code, name, phone,
ID number, status, payout rule, parent, tax rate, bank, account), the products' names, the
agency's settings a slip prints, and the month's team figures.  A slip of a locked month is
drawn from it, so a reprint is byte-identical for ever, also after an agent is renamed or
its bank edited.  Months locked before this version are frozen here with what the database
holds now (the best there is), without team figures (those are worked out at print time,
as before)."""

import datetime as dt
import json
from typing import Any

VERSION = 8

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "lock_freeze" ("month" TEXT NOT NULL PRIMARY KEY, '
    '"frozen_at" TEXT NOT NULL, "data" TEXT NOT NULL)',
]
# as app.core.freeze writes them (a migration keeps its own copy: it must not change)
_AGENTS = (
    "SELECT id, code, name, parent_id, status, phone, id_no, payout, tax_rate, bank, "
    "bank_account FROM agent ORDER BY id"
)
_SETTINGS = (
    "SELECT key, value FROM setting WHERE key IN "
    "('agency_name', 'agency_logo', 'agency_address', 'agency_phone', 'min_payout')"
)


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
    locked = [m for (m,) in db.execute_sql("SELECT month FROM month_state WHERE state = 'locked'")]
    if not locked:
        return
    data = json.dumps(
        {
            "agents": [list(r) for r in db.execute_sql(_AGENTS)],
            "products": [list(r) for r in db.execute_sql("SELECT id, code, name FROM product ORDER BY id")],
            "settings": dict(db.execute_sql(_SETTINGS).fetchall()),
            "team": None,
        },
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    now = dt.datetime.now().replace(microsecond=0).isoformat(" ")
    for month in locked:
        db.execute_sql(
            "INSERT OR IGNORE INTO lock_freeze (month, frozen_at, data) VALUES (?, ?, ?)",
            (month, now, data),
        )
