"""The passes over the transactions that a month compute makes, run side by side.

Two million transactions are read per compute for the shares (volume by holder, product,
pricing period, category), and those of the terminals that might reach their 达标 target
once more for 达标 (each one's volume inside its qualification window).  Both read only
(month, terminal, day, category, status, amount), which the covering index ``txn_settle``
holds in that order, so SQLite answers from the index alone, terminal by terminal.

The passes run on read-only connections of their own, one per core, in threads (SQLite
releases the GIL while it steps).  They see what the compute's own connection sees
because they open inside its IMMEDIATE transaction before it writes (no other writer can
commit while it holds the write lock), and none of the tables they read (transactions,
terminals, moves, products) is written during a compute.  A database in memory, or a
compute called inside a caller's open transaction, runs the very same passes one after
another on the main connection instead.
"""

from __future__ import annotations

import bisect
import itertools
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from app.core.policy import CATEGORIES

# the statuses a settlement counts (DOMAIN §2: 成功, and 退货 negative), said once in
# app.core.vocabulary and named here too for the passes' readers
from app.core.vocabulary import COUNTED as COUNTED
from app.core.vocabulary import COUNTED_STATUSES as COUNTED_STATUSES
from app.models import database

T = TypeVar("T")
Task = Callable[[sqlite3.Connection], T]

_names = itertools.count(1)


def _temp_name(stem: str) -> str:
    return f"tmp_{stem}_{next(_names)}"


class Readers:
    """Run ``task(connection)`` callables in parallel on read-only connections."""

    def __init__(self, workers: int | None = None, *, snapshot: bool = False):
        """``snapshot``: the caller's transaction has begun IMMEDIATE and written nothing
        yet, so connections of their own see what it sees (no other writer can commit)."""
        db = database.obj
        path = db.database
        self.path: str | None = None
        # a caller's open transaction that may have written: stay on its connection
        busy = db.connection().in_transaction and not snapshot
        # only from the main thread: under the window's worker threads the GUI tests
        # crashed in some runs since the readers came (PySide6 6.12 on CPython 3.11;
        # not understood yet), so the window computes on one connection for now
        main = threading.current_thread() is threading.main_thread()
        if path and path != ":memory:" and not path.startswith("file:") and not busy and main:
            self.path = path
        self.workers = max(1, min(workers or (os.cpu_count() or 1), 4))
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        if self.path is not None and self.workers > 1:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="posdesk-scan")

    @property
    def parallel(self) -> bool:
        return self._pool is not None

    def _connection(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            assert self.path is not None
            # a URI from the absolute path: drive letters, spaces, '#', Chinese names all
            # percent-encoded the way SQLite decodes them, on Windows as elsewhere
            uri = Path(self.path).resolve().as_uri() + "?mode=ro"
            con = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)
            # a small page cache: the passes stream the index once (peak memory)
            con.execute("PRAGMA cache_size = -8000")
            self._local.con = con
            with self._lock:
                self._connections.append(con)
        return con

    def _run(self, task: Task[T]) -> T:
        return task(self._connection())

    def submit(self, task: Task[T]) -> Future[T]:
        if self._pool is not None:
            return self._pool.submit(self._run, task)
        fut: Future[T] = Future()
        try:
            fut.set_result(task(database.obj.connection()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            fut.set_exception(exc)
        return fut

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        with self._lock:
            for con in self._connections:
                con.close()
            self._connections.clear()

    def __enter__(self) -> Readers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def insert_json(con: sqlite3.Connection, table: str, names: Sequence[str], rows_json: str) -> None:
    """Insert ``rows_json`` (a JSON array of arrays of the ``names`` columns) into ``table``.
    SQLite parses the array itself: the rows are stored without taking Python's lock once,
    so a reader thread, or a thread beside the main one, does not slow the main thread."""
    values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(names)))
    con.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {values} FROM json_each(?)",
        (rows_json,),
    )


def _json_temp(con: sqlite3.Connection, stem: str, columns: list[str], rows_json: str) -> str:
    """A temporary table of ``rows_json`` (a JSON array of arrays) with ``columns`` (a name,
    the INTEGER PRIMARY KEY, then "name TYPE" each), filled by ``insert_json``."""
    name = _temp_name(stem)
    con.execute(
        f"CREATE TEMP TABLE {name} ({columns[0]} INTEGER PRIMARY KEY, {', '.join(columns[1:])})"
    )
    insert_json(con, name, [c.split()[0] for c in columns], rows_json)
    return name


def _rows(con: sqlite3.Connection, sql: str, params: Sequence[object] = ()) -> list[Any]:
    """The rows of ``sql``, as lists, fetched in one piece.

    Fetching row by row, a reader thread takes Python's lock back for every row, and while
    the main thread runs Python the two hand the lock to and fro tens of thousands of
    times.  SQLite packs the rows into one JSON array instead (its own C code, the lock
    released), and Python reads the array at once."""
    cur = con.execute(sql + " LIMIT 0", params)  # the result's column names
    names = [d[0] for d in cur.description]
    cols = ", ".join(f'"{n}"' for n in names)
    packed = con.execute(
        f"SELECT json_group_array(json_array({cols})) FROM ({sql})", params
    ).fetchone()[0]
    rows: list[Any] = json.loads(packed)
    return rows


# ------------------------------------------------------------------ 达标 windows

# The 达标 window of an activated terminal whose product has a 达标 rule: from its
# activation day (the day it was activated, else its first counted transaction) through
# 达标天数 days, and its target volume.  The rule lives here alone.
_ACTIVATION = "COALESCE(t.activated_on, t.first_tx_on)"
WINDOWS_SQL = (
    f"SELECT t.id AS terminal_id, {_ACTIVATION} AS start, "
    f"date({_ACTIVATION}, '+' || (p.qualify_days - 1) || ' days') AS finish, "
    "p.qualify_volume AS target FROM terminal t JOIN product p ON p.id = t.product_id "
    f"WHERE {_ACTIVATION} IS NOT NULL AND COALESCE(p.qualify_days, 0) != 0 "
    "AND p.qualify_volume IS NOT NULL"
)
Window = tuple[int, str, str, int]  # (terminal, first day, last day, target volume)


def first_window_month(con: sqlite3.Connection) -> str | None:
    """The month of the earliest 达标 window start, if any."""
    first = con.execute(f"SELECT MIN(start) FROM ({WINDOWS_SQL})").fetchone()[0]
    return first[:7] if first else None


Hit = tuple[int, str]  # (terminal, the day its window volume reached the target)


def qualification_task(
    first: int, last: int, months: list[str]
) -> Task[tuple[list[Window], list[Hit]]]:
    """The 达标 windows of the terminals ``first``..``last`` (ids), by terminal, and the day
    each that reached its target did.  ``months`` are the months whose transactions may
    lie in a window.

    Two steps: the positive volume of the calendar months each window spans, which the
    transaction imports keep (``txn_volume``, migration 5: a running sum can never pass
    it, so a terminal below target there cannot qualify), then the day sums of the
    terminals that might (about one in five on a real office), which the imports keep
    too (``txn_day``, migration 6), each terminal's months as one string that
    ``first_day_reached`` walks in day order.  The rest stays in SQL, the windows too,
    so the pass runs beside the main thread without taking Python's lock from it for
    long."""

    def task(con: sqlite3.Connection) -> tuple[list[Window], list[Hit]]:
        win, cand = _temp_name("window"), _temp_name("cand")
        con.execute(
            f"CREATE TEMP TABLE {win} (terminal_id INTEGER PRIMARY KEY, start TEXT, "
            "finish TEXT, target INTEGER)"
        )
        con.execute(f"CREATE TEMP TABLE {cand} (terminal_id INTEGER PRIMARY KEY)")
        marks = ", ".join("?" * len(months))
        try:
            con.execute(f"INSERT INTO {win} {WINDOWS_SQL} AND t.id BETWEEN ? AND ?", (first, last))
            windows: list[Window] = _rows(
                con, f"SELECT terminal_id, start, finish, target FROM {win}"
            )
            if not months or not windows:
                return windows, []
            # the windows whose calendar months hold enough positive volume (txn_volume,
            # summed by the imports): a running sum can never pass that, so the others
            # cannot reach their target
            con.execute(
                f"INSERT INTO {cand} SELECT w.terminal_id FROM {win} w "
                "WHERE (SELECT SUM(v.positive) FROM txn_volume v "
                "WHERE v.terminal_id = w.terminal_id "
                "AND v.month BETWEEN substr(w.start, 1, 7) AND substr(w.finish, 1, 7)) >= w.target"
            )
            # their days: the sums by day of the months that may lie in their windows
            # (txn_day, kept by app.core.derived), cut to the window here
            days: list[tuple[int, int, str, str, str]] = _rows(
                con,
                "SELECT c.terminal_id, w.target, w.start, w.finish, group_concat(d.days) "
                f"AS days FROM {cand} c CROSS JOIN {win} w ON w.terminal_id = c.terminal_id "
                f"CROSS JOIN txn_day d ON d.month IN ({marks}) AND d.terminal_id = c.terminal_id "
                "GROUP BY c.terminal_id",
                months,
            )
            hits = []
            for tid, target, start, finish, sums in days:
                hit = first_day_reached(target, sums, start, finish)
                if hit is not None:
                    hits.append((tid, hit))
            return windows, hits
        finally:
            for name in (win, cand):
                con.execute(f"DROP TABLE {name}")

    return task


def first_day_reached(
    target: int, days: str, first: str = "0000-00-00", last: str = "9999-12-31"
) -> str | None:
    """The first day from ``first`` through ``last`` on which the running sum of the day
    sums reaches ``target``, else None.  ``days`` is "YYYY-MM-DD amount,…" in any order
    (sorted here), a day possibly more than once (its sums add up: a day counts with all
    its transactions, refunds too)."""
    run = 0
    day = None  # the day whose sums are being added
    for entry in sorted(days.split(",")):
        this = entry[:10]
        if this < first:
            continue
        if this > last:
            break
        if this != day:
            if day is not None and run >= target:
                return day
            day = this
        run += int(entry[11:])
    return day if day is not None and run >= target else None


# ------------------------------------------------------------------ shares


def debit_band(edges: Sequence[int], amount: int) -> int:
    """The debit band of a transaction of ``amount`` (fen, a refund's negative) for a
    product whose cap thresholds are ``edges`` (sorted): 0 below all of them, else 1 + the
    index of the highest one |amount| reaches."""
    return bisect.bisect_right(edges, abs(amount))


Share = tuple[int, int, bool, int, int, int]  # (group, category, refund, band, count, volume)
# a category as its index in CATEGORIES (credit, debit, scan); anything else counts as scan
_CATEGORY = f"(CASE t.category WHEN '{CATEGORIES[0]}' THEN 0 WHEN '{CATEGORIES[1]}' THEN 1 ELSE 2 END)"


def shares_task(
    month: str,
    first: int,
    last: int,
    days: tuple[str, str],
    periods_json: str,
    thresholds: dict[int, list[int]],
) -> Task[list[Share]]:
    """The transactions of ``month`` of terminals ``first``..``last`` (ids), grouped by
    group, category (its index in ``CATEGORIES``), refund and debit band
    (``debit_band`` with the product's ``thresholds``): rows (group, category, refund,
    band, count, volume).

    ``periods_json`` holds the pricing periods of every (holder, product): a JSON array
    of [id, holder (0 = stock), product, first day, day after, group].  Each terminal's
    month (``days``: the month's first transaction day and its last day) is cut into
    segments, one holder and one period each, all in SQL: the stretches of its holding
    timeline (``terminal_holding``, kept by ``app.core.derived``) met with the periods.  A segment is a range of the covering
    index that SQLite seeks once and reads without testing each row's day.

    The segments are read in their order and summed one by one (SQLite groups rows that
    come in the order of the ``GROUP BY`` as they come, without sorting them): count and
    volume of all, of credit and of debit; scan is the rest.  The few transactions that do
    not belong with those sums, refunds and debit transactions at or above the product's
    lowest cap threshold, are also listed one by one in a string, and moved here to
    their own (category, refund, band)."""

    def task(con: sqlite3.Connection) -> list[Share]:
        period = _json_temp(
            con, "period",
            ["id", "holder INTEGER", "product INTEGER", "start TEXT", "finish TEXT", "grp INTEGER"],
            periods_json,
        )  # fmt: skip
        seg = _temp_name("segment")
        # the lowest cap threshold of each segment's product (NULL: the product has none)
        cap = " ".join(f"WHEN {int(p)} THEN {int(e[0])}" for p, e in thresholds.items() if e)
        cap = f"CASE k.product_id {cap} END" if cap else "NULL"
        try:
            con.execute(f"CREATE INDEX temp.{period}_key ON {period} (holder, product, start)")
            # the month's stretches of one holder (app.core.derived) met with that
            # holder's pricing periods
            con.execute(
                f"CREATE TEMP TABLE {seg} (id INTEGER PRIMARY KEY, terminal_id INTEGER, "
                "start TEXT, finish TEXT, grp INTEGER, product INTEGER, cap INTEGER)"
            )
            con.execute(
                f"INSERT INTO {seg} (terminal_id, start, finish, grp, product, cap) SELECT "
                "h.terminal_id, MAX(h.start, p.start), MIN(h.finish, p.finish), p.grp, "
                f"k.product_id, {cap} FROM terminal_holding h "
                "JOIN terminal k ON k.id = h.terminal_id "
                f"JOIN {period} p ON p.holder = h.holder AND p.product = k.product_id "
                "AND p.start < h.finish AND p.finish > h.start "
                "WHERE h.terminal_id BETWEEN ? AND ? AND h.finish > ? AND h.start <= ?",
                (first, last, *days),
            )
            per_segment = (
                "SELECT s.grp AS grp, s.product AS product, COUNT(*) AS n, SUM(t.amount) AS v, "
                "SUM(t.category = 'credit') AS cn, SUM(iif(t.category = 'credit', t.amount, 0)) "
                "AS cv, SUM(t.category = 'debit') AS dn, "
                "SUM(iif(t.category = 'debit', t.amount, 0)) AS dv, "
                "group_concat(iif(t.status = 'refund' OR (t.category = 'debit' "
                f"AND ABS(t.amount) >= s.cap), ({_CATEGORY} * 2 + (t.status = 'refund')) "
                "|| ':' || t.amount, NULL)) AS odd "
                f"FROM {seg} s CROSS JOIN txn t ON t.month = ? AND t.terminal_id = s.terminal_id "
                f"AND t.date >= s.start AND t.date < s.finish WHERE t.status IN {COUNTED} "
                "GROUP BY s.id"
            )
            groups = _rows(
                con,
                "SELECT grp, product, SUM(n), SUM(v), SUM(cn), SUM(cv), SUM(dn), SUM(dv), "
                f"group_concat(odd) FROM ({per_segment}) GROUP BY grp",
                (month,),
            )
        finally:
            for name in (period, seg):
                con.execute(f"DROP TABLE IF EXISTS {name}")
        out: list[Share] = []
        for gid, pid, n, v, cn, cv, dn, dv, odd in groups:
            sums = {
                (0, False, 0): [cn, cv],
                (1, False, 0): [dn, dv],
                (2, False, 0): [n - cn - dn, v - cv - dv],
            }
            if odd:
                edges = thresholds.get(pid, [])
                for entry in odd.split(","):
                    code, amount = map(int, entry.split(":"))
                    cat, refund = code >> 1, bool(code & 1)
                    common = sums[(cat, False, 0)]
                    common[0] -= 1
                    common[1] -= amount
                    band = debit_band(edges, amount) if cat == 1 else 0
                    got = sums.setdefault((cat, refund, band), [0, 0])
                    got[0] += 1
                    got[1] += amount
            out.extend((gid, *key, count, volume) for key, (count, volume) in sums.items() if count)
        return out

    return task
