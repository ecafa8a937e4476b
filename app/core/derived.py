"""Every table derived from the raw rows, in one place, kept up to date by one mechanism.

The month compute, the dashboard and the 达标 rule read state that is worked out from the
moves and the transactions.  Working it out from two million transactions each time
would cost most of a compute, so it is stored, and this module alone writes it:

============================  ==========================  ==============================
derived                       from                        marked stale by
============================  ==========================  ==============================
``terminal_holding``          the moves (terminal_event)  ``holding_dirty`` (terminal)
``txn_day``                   the transactions            ``txn_day_dirty`` (month)
``txn_volume``                the transactions            ``txn_day_dirty`` (month)
``terminal.first_tx_on``      transactions + products     ``txn_day_dirty`` (month)
============================  ==========================  ==============================

* ``terminal_holding``: the stretches (start, finish = the day after, holder; 0 is the
  agency's stock) of a terminal's holders, replayed from its moves;
* ``txn_day``: per settlement month and terminal, "YYYY-MM-DD amount,…", its counted
  transactions summed by day (the 达标 pass walks these);
* ``txn_volume``: per terminal, calendar month of the day and settlement month, the sum of
  its counted transactions of amount ≥ 0 (``positive``: a bound no running sum of a 达标
  window can pass) and the first day of an activating transaction (``first_on``: success,
  amount ≥ the product's 激活 threshold);
* ``terminal.first_tx_on``: the terminal's first activating transaction day, the least
  ``first_on`` of its ``txn_volume`` rows.

**The one mechanism.**  Writers of raw rows only *mark* what they made stale; ``refresh``
rebuilds each marked slice from the raw rows with set-based statements and clears the
marks.  Triggers (migration 6) mark a terminal whose moves change (and every new
terminal), and the settlement month of a transaction deleted or changed; inserted
transactions are found by their ids, above the last id seen (``derived_mark``), so a
two-million-row import pays no trigger per row (``mark_inserted`` lets an import that
knows its months spare the look).  A change of a product's 激活 threshold marks every
month (``mark_all_transactions``).  ``refresh`` runs at the end of every import and undo
(in their transaction) and before every compute (which then finds nothing to do).

``rebuild`` works everything out from nothing; ``verify`` does so inside a savepoint it
rolls back, and returns where the stored tables differ (the month-close readiness check,
``--self-test`` and a property test use it).  Adding a derived table: see
docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.core.vocabulary import COUNTED
from app.models.dialect import insert_ignore, insert_replace, string_agg, temp_table

# the moves that change a terminal's holder; 丢失 and 退货 keep the last one
HOLDER_MOVES = "('allocate', 'transfer', 'recall')"


@dataclass(frozen=True)
class Derived:
    """One derived table: its name as shown, and the query that lists its content (for
    ``verify``: the same rows, in any order, mean the same state)."""

    name: str
    label: str  # in Chinese, for the readiness check
    content: str


DERIVED: tuple[Derived, ...] = (
    Derived("terminal_holding", "机具归属时段",
            "SELECT terminal_id, start, finish, holder FROM terminal_holding"),
    Derived("txn_day", "按日交易汇总", "SELECT month, terminal_id, days FROM txn_day"),
    Derived("txn_volume", "月度正向交易量",
            "SELECT terminal_id, month, settle, positive, first_on FROM txn_volume"),
    Derived("terminal.first_tx_on", "首笔激活交易日",
            "SELECT id, first_tx_on FROM terminal WHERE first_tx_on IS NOT NULL"),
)


@dataclass
class Difference:
    """Where a stored derived table differs from the raw rows worked out afresh."""

    table: str
    label: str
    missing: int  # rows the raw rows give that are not stored
    extra: int  # rows stored that the raw rows do not give
    sample: list[tuple[Any, ...]] = field(default_factory=list)  # a few of them, ("缺"/"多", row…)

    def __str__(self) -> str:
        return f"{self.label}({self.table}):缺 {self.missing} 行,多 {self.extra} 行"


# ------------------------------------------------------------------ marks


def mark_inserted(con: sqlite3.Connection, before: int, months: Iterable[str]) -> None:
    """An import that inserted transactions above id ``before`` into ``months`` says so,
    sparing ``refresh`` the look for their months; only when nothing was inserted unseen
    before it (else the look is needed anyway)."""
    seen = con.execute("SELECT txn_seen FROM derived_mark").fetchone()[0]
    if seen != before:
        return
    con.executemany(insert_ignore("txn_day_dirty", "VALUES (?)"), [(m,) for m in months])
    con.execute("UPDATE derived_mark SET txn_seen = (SELECT COALESCE(MAX(id), 0) FROM txn)")


def mark_all_transactions(con: sqlite3.Connection) -> None:
    """Every month with transactions is to be derived again (a product's 激活 threshold
    changed: the first activating day of its terminals may move)."""
    con.execute(insert_ignore("txn_day_dirty", "SELECT DISTINCT month FROM txn"))


def last_txn_id(con: sqlite3.Connection) -> int:
    return int(con.execute("SELECT COALESCE(MAX(id), 0) FROM txn").fetchone()[0])


# ------------------------------------------------------------------ the one refresh


def refresh(con: sqlite3.Connection) -> None:
    """Bring every derived table up to date (in the caller's transaction)."""
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
    con.execute(temp_table("derived_moves", "terminal_id INTEGER, date TEXT, holder INTEGER",
                           ("terminal_id", "date")))
    try:
        con.execute(
            "INSERT INTO derived_moves SELECT t.id, '0000-00-00', 0 FROM holding_dirty d "
            "JOIN terminal t ON t.id = d.terminal_id"
        )
        # in entry order, so that the last move of a day replaces the others
        con.execute(insert_replace(
            "derived_moves",
            "SELECT e.terminal_id, e.date, "
            "CASE e.action WHEN 'recall' THEN 0 ELSE e.to_agent_id END FROM terminal_event e "
            f"WHERE e.action IN {HOLDER_MOVES} AND e.terminal_id IN "
            "(SELECT terminal_id FROM holding_dirty) ORDER BY e.id",
            key=("terminal_id", "date"),
        ))
        con.execute(
            "INSERT INTO terminal_holding (terminal_id, start, finish, holder) "
            "SELECT terminal_id, date, COALESCE(LEAD(date) OVER (PARTITION BY terminal_id "
            "ORDER BY date), '9999-12-31'), holder FROM derived_moves"
        )
    finally:
        con.execute("DROP TABLE temp.derived_moves")
    con.execute("DELETE FROM holding_dirty")


# One read of a settlement month's counted transactions (the covering index gives each
# terminal's in day order), summed by terminal and day: the net amount (refunds
# negative), the amounts ≥ 0, and the largest successful one.  Both tables of the month
# are made from these sums.
_DAY_SUMS = (
    "INSERT INTO temp.derived_days SELECT terminal_id, substr(date, 1, 7), date, SUM(amount), "
    "SUM(CASE WHEN amount >= 0 THEN amount ELSE 0 END), "
    "MAX(CASE WHEN status = 'success' THEN amount END) FROM txn WHERE month = ? "
    f"AND status IN {COUNTED} GROUP BY terminal_id, date"
)
_DAYS = (
    "INSERT INTO txn_day (month, terminal_id, days) SELECT ?, terminal_id, "
    + string_agg("date || ' ' || amount") + " FROM temp.derived_days GROUP BY terminal_id"
)
# per terminal and calendar month: the positive volume, and the first day with an
# activating transaction (success, amount ≥ the product's threshold; looked up once per
# terminal and day, not per row)
_VOLUME = (
    "INSERT INTO txn_volume (terminal_id, month, settle, positive, first_on) "
    "SELECT d.terminal_id, d.calendar, ?, SUM(d.positive), "
    "MIN(CASE WHEN d.top >= p.activation_min THEN d.date END) FROM temp.derived_days d "
    "LEFT JOIN terminal t ON t.id = d.terminal_id LEFT JOIN product p ON p.id = t.product_id "
    "GROUP BY d.terminal_id, d.calendar"
)


def refresh_days(con: sqlite3.Connection) -> None:
    """Derive again the settlement months marked in ``txn_day_dirty`` and those of the
    transactions inserted since the last refresh: their ``txn_day`` and ``txn_volume``
    rows, then ``first_tx_on`` of every terminal that had or has a row in them."""
    seen = con.execute("SELECT txn_seen FROM derived_mark").fetchone()[0]
    top = last_txn_id(con)
    if top > seen:
        con.execute(
            insert_ignore("txn_day_dirty", "SELECT DISTINCT month FROM txn WHERE id > ?"),
            (seen,),
        )
    months = [m for (m,) in con.execute("SELECT month FROM txn_day_dirty ORDER BY month")]
    if months:
        con.execute("DROP TABLE IF EXISTS temp.derived_touched")
        con.execute("DROP TABLE IF EXISTS temp.derived_days")
        con.execute("CREATE TEMP TABLE derived_touched (terminal_id INTEGER PRIMARY KEY)")
        con.execute(temp_table(
            "derived_days",
            "terminal_id INTEGER, calendar TEXT, date TEXT, amount INTEGER, positive INTEGER, "
            "top INTEGER",
            ("terminal_id", "calendar", "date"),
        ))
        try:
            for month in months:
                _derive_month(con, month)
            con.execute(
                "UPDATE terminal SET first_tx_on = (SELECT MIN(v.first_on) FROM txn_volume v "
                "WHERE v.terminal_id = terminal.id) "
                "WHERE id IN (SELECT terminal_id FROM temp.derived_touched)"
            )
        finally:
            con.execute("DROP TABLE temp.derived_touched")
            con.execute("DROP TABLE temp.derived_days")
        con.execute("DELETE FROM txn_day_dirty")
    if top != seen:
        con.execute("UPDATE derived_mark SET txn_seen = ?", (top,))


def _derive_month(con: sqlite3.Connection, month: str) -> None:
    touched = insert_ignore(
        "temp.derived_touched", "SELECT terminal_id FROM txn_volume WHERE settle = ?"
    )
    con.execute(touched, (month,))
    con.execute("DELETE FROM txn_day WHERE month = ?", (month,))
    con.execute("DELETE FROM txn_volume WHERE settle = ?", (month,))
    con.execute("DELETE FROM temp.derived_days")
    con.execute(_DAY_SUMS, (month,))
    con.execute(_DAYS, (month,))
    con.execute(_VOLUME, (month,))
    con.execute(touched, (month,))


# ------------------------------------------------------------------ from scratch


def rebuild(con: sqlite3.Connection) -> None:
    """Throw every derived table away and work it out again from the raw rows (in the
    caller's transaction): the repair of the month-close readiness check."""
    con.execute("DELETE FROM terminal_holding")
    con.execute("DELETE FROM txn_day")
    con.execute("DELETE FROM txn_volume")
    con.execute("UPDATE terminal SET first_tx_on = NULL WHERE first_tx_on IS NOT NULL")
    con.execute(insert_ignore("holding_dirty", "SELECT id FROM terminal"))
    mark_all_transactions(con)
    con.execute("UPDATE derived_mark SET txn_seen = ?", (last_txn_id(con),))
    refresh(con)


SAMPLE_ROWS = 5


def verify(con: sqlite3.Connection) -> list[Difference]:
    """Compare every derived table with the raw rows worked out afresh; the differences
    (empty: all agree).  Pending marks are no difference (the next refresh takes them):
    the stored side is refreshed first.  Nothing is left changed but that refresh."""
    refresh(con)
    con.execute("SAVEPOINT derived_verify")
    try:
        for d in DERIVED:
            con.execute(f"DROP TABLE IF EXISTS temp.{_kept(d)}")
            con.execute(f"CREATE TEMP TABLE {_kept(d)} AS {d.content}")
        rebuild(con)
        out = []
        for d in DERIVED:
            missing = con.execute(f"{d.content} EXCEPT SELECT * FROM temp.{_kept(d)}").fetchall()
            extra = con.execute(f"SELECT * FROM temp.{_kept(d)} EXCEPT {d.content}").fetchall()
            if missing or extra:
                sample = [("缺", *r) for r in missing[:SAMPLE_ROWS]]
                sample += [("多", *r) for r in extra[:SAMPLE_ROWS]]
                out.append(Difference(d.name, d.label, len(missing), len(extra), sample))
    finally:
        con.execute("ROLLBACK TO derived_verify")
        con.execute("RELEASE derived_verify")
        for d in DERIVED:
            con.execute(f"DROP TABLE IF EXISTS temp.{_kept(d)}")
    return out


def _kept(d: Derived) -> str:
    return "kept_" + d.name.replace(".", "_")
