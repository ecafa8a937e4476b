"""Tables derived from the moves and the transactions, kept for the month compute.

A month compute needs every terminal's holders over time (to cut its month into segments
for the shares) and, for 达标, each terminal's counted volume day by day.  Working them out
from the moves and the two million transactions at every compute cost it a good part of
its time; they change only when moves or transactions do.  So they are stored (migration
6) and brought up to date here, for what changed since:

* ``terminal_holding``: the stretches (start, finish = the day after, holder; 0 is the
  agency's stock) of every terminal marked in ``holding_dirty`` (triggers mark a terminal
  whose moves are added, changed or deleted, and every new terminal);
* ``txn_day``: "YYYY-MM-DD amount,…", the counted transactions of a terminal settled in a
  month, summed by day, for every month marked in ``txn_day_dirty`` (triggers mark the
  months of deleted and changed transactions) and every month of a transaction whose id
  is above ``derived_mark.txn_seen`` (inserted since).

``refresh`` runs at the end of every import that touched them (so the office waits for
it there, once) and before every compute (which then finds nothing to do).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from app.core.scans import COUNTED

# the moves that change a terminal's holder; 丢失 and 退货 keep the last one
HOLDER_MOVES = "('allocate', 'transfer', 'recall')"


def refresh(con: sqlite3.Connection) -> None:
    """Bring ``terminal_holding`` and ``txn_day`` up to date (in the caller's transaction)."""
    refresh_holding(con)
    refresh_days(con)


def pending(con: sqlite3.Connection) -> bool:
    """Is anything left for ``refresh`` to do?"""
    if con.execute("SELECT 1 FROM holding_dirty LIMIT 1").fetchone() is not None:
        return True
    if con.execute("SELECT 1 FROM txn_day_dirty LIMIT 1").fetchone() is not None:
        return True
    seen = con.execute("SELECT txn_seen FROM derived_mark").fetchone()[0]
    return bool(last_txn_id(con) != seen)


def refresh_holding(con: sqlite3.Connection) -> None:
    """Replay the holders of the terminals marked in ``holding_dirty`` (DOMAIN §3): a
    terminal starts in stock (holder 0); 下发 and 调拨 hand it to their agent, 回拨 takes it
    back to stock; 丢失 and 退货 keep the last holder.  A move dated D applies to D's
    transactions, so the holder on D is the one after *all* of D's moves (the last
    entered).  ``app.core.ownership.build_replays`` is the same rule in Python; a test
    checks they agree."""
    if con.execute("SELECT 1 FROM holding_dirty LIMIT 1").fetchone() is None:
        return
    con.execute(
        "DELETE FROM terminal_holding WHERE terminal_id IN (SELECT terminal_id FROM holding_dirty)"
    )
    con.execute("DROP TABLE IF EXISTS temp.derived_moves")
    con.execute(
        "CREATE TEMP TABLE derived_moves (terminal_id INTEGER, date TEXT, holder INTEGER, "
        "PRIMARY KEY (terminal_id, date)) WITHOUT ROWID"
    )
    try:
        con.execute(
            "INSERT INTO derived_moves SELECT t.id, '0000-00-00', 0 FROM holding_dirty d "
            "JOIN terminal t ON t.id = d.terminal_id"
        )
        # in entry order, so that the last move of a day replaces the others
        con.execute(
            "INSERT OR REPLACE INTO derived_moves SELECT e.terminal_id, e.date, "
            "CASE e.action WHEN 'recall' THEN 0 ELSE e.to_agent_id END FROM terminal_event e "
            f"WHERE e.action IN {HOLDER_MOVES} AND e.terminal_id IN "
            "(SELECT terminal_id FROM holding_dirty) ORDER BY e.id"
        )
        con.execute(
            "INSERT INTO terminal_holding (terminal_id, start, finish, holder) "
            "SELECT terminal_id, date, COALESCE(LEAD(date) OVER (PARTITION BY terminal_id "
            "ORDER BY date), '9999-12-31'), holder FROM derived_moves"
        )
    finally:
        con.execute("DROP TABLE temp.derived_moves")
    con.execute("DELETE FROM holding_dirty")


def mark_inserted(con: sqlite3.Connection, before: int, months: Iterable[str]) -> None:
    """An import that inserted transactions above id ``before`` into ``months`` says so,
    sparing ``refresh_days`` the look for their months; only when nothing was inserted
    unseen before it (else the look is needed anyway)."""
    seen = con.execute("SELECT txn_seen FROM derived_mark").fetchone()[0]
    if seen != before:
        return
    con.executemany("INSERT OR IGNORE INTO txn_day_dirty VALUES (?)", [(m,) for m in months])
    con.execute("UPDATE derived_mark SET txn_seen = (SELECT COALESCE(MAX(id), 0) FROM txn)")


def last_txn_id(con: sqlite3.Connection) -> int:
    return con.execute("SELECT COALESCE(MAX(id), 0) FROM txn").fetchone()[0]


def refresh_days(con: sqlite3.Connection) -> None:
    """Sum again by day the months of ``txn_day_dirty`` and of the transactions inserted
    since the last refresh."""
    seen = con.execute("SELECT txn_seen FROM derived_mark").fetchone()[0]
    top = last_txn_id(con)
    if top > seen:
        con.execute(
            "INSERT OR IGNORE INTO txn_day_dirty SELECT DISTINCT month FROM txn WHERE id > ?",
            (seen,),
        )
    months = [m for (m,) in con.execute("SELECT month FROM txn_day_dirty ORDER BY month")]
    for month in months:
        con.execute("DELETE FROM txn_day WHERE month = ?", (month,))
        # the covering index gives each terminal's transactions in day order
        con.execute(
            "INSERT INTO txn_day (month, terminal_id, days) SELECT ?, terminal_id, "
            "group_concat(date || ' ' || amount) FROM (SELECT terminal_id, date, "
            "SUM(amount) AS amount FROM txn WHERE month = ? AND status IN "
            f"{COUNTED} GROUP BY terminal_id, date) GROUP BY terminal_id",
            (month, month),
        )
    con.execute("DELETE FROM txn_day_dirty")
    if top != seen:
        con.execute("UPDATE derived_mark SET txn_seen = ?", (top,))
