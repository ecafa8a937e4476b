"""The passes over the transactions that a month compute makes, run side by side.

Two million transactions are read twice per compute: once for 达标 (each terminal's volume
inside its qualification window) and once for the shares (volume by holder, product,
pricing period, category).  Both read only (month, terminal, day, category, status,
amount), which the covering index ``txn_settle`` holds in that order, so SQLite answers
from the index alone, terminal by terminal.

The passes run on read-only connections of their own, one per core, in threads (SQLite
releases the GIL while it steps).  They see what the compute's own connection sees
because they start before it writes and the transactions table is never written during a
compute.  A database in memory, or a compute called inside a caller's open transaction,
runs the very same passes one after another on the main connection instead.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from app.models import database

T = TypeVar("T")
Task = Callable[[sqlite3.Connection], T]

COUNTED = "('success', 'refund')"
_names = itertools.count(1)


def _temp_name(stem: str) -> str:
    return f"tmp_{stem}_{next(_names)}"


class Readers:
    """Run ``task(connection)`` callables in parallel on read-only connections."""

    def __init__(self, workers: int | None = None):
        db = database.obj
        path = db.database
        self.path: str | None = None
        busy = db.connection().in_transaction  # a caller's open transaction: stay on it
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


def _with_temp(
    con: sqlite3.Connection, stem: str, columns: str, rows: Iterable[Sequence[Any]]
) -> str:
    name = _temp_name(stem)
    con.execute(f"CREATE TEMP TABLE {name} ({columns})")
    marks = ", ".join("?" * (columns.count(",") + 1))
    con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    return name


# ------------------------------------------------------------------ 达标 windows


def qualification_task(
    windows: list[tuple[int, str, str, int]], months: list[str]
) -> Task[dict[int, str]]:
    """For terminals with (id, first day, last day, target volume) windows: the first day
    on which their window volume, summed day by day, reaches the target.

    Two steps: the volume of each window's *positive* transactions (a running sum can
    never pass it, so a terminal below target there cannot qualify), then day sums only
    for the terminals that might, about one in five on a real office."""

    def task(con: sqlite3.Connection) -> dict[int, str]:
        if not months:
            return {}
        win = _with_temp(
            con, "window", "terminal_id INTEGER PRIMARY KEY, start TEXT, finish TEXT, target INTEGER",
            windows,
        )
        cand = _temp_name("cand")
        marks = ", ".join("?" * len(months))
        con.execute(f"CREATE TEMP TABLE {cand} (terminal_id INTEGER PRIMARY KEY)")
        try:
            # both steps stay in SQL: no Python per row, so the pass runs beside the main
            # thread without taking Python's lock from it
            con.execute(
                f"INSERT INTO {cand} SELECT w.terminal_id FROM {win} w CROSS JOIN txn t "
                f"ON t.month IN ({marks}) AND t.terminal_id = w.terminal_id "
                "AND t.date BETWEEN w.start AND w.finish "
                f"WHERE t.status IN {COUNTED} GROUP BY w.terminal_id "
                "HAVING SUM(MAX(t.amount, 0)) >= w.target",
                months,
            )
            # then the running day sums of those that might, and the first day they reach it
            out: dict[int, str] = dict(
                con.execute(
                    "SELECT terminal_id, MIN(date) FROM (SELECT c.terminal_id, t.date, w.target, "
                    "SUM(SUM(t.amount)) OVER (PARTITION BY c.terminal_id ORDER BY t.date) AS run "
                    f"FROM {cand} c CROSS JOIN {win} w ON w.terminal_id = c.terminal_id "
                    f"CROSS JOIN txn t ON t.month IN ({marks}) AND t.terminal_id = c.terminal_id "
                    "AND t.date BETWEEN w.start AND w.finish "
                    f"WHERE t.status IN {COUNTED} GROUP BY c.terminal_id, t.date) "
                    "WHERE run >= target GROUP BY terminal_id",
                    months,
                ).fetchall()
            )
            return out
        finally:
            con.execute(f"DROP TABLE {win}")
            con.execute(f"DROP TABLE {cand}")

    return task


# ------------------------------------------------------------------ shares


def shares_task(
    month: str, segments: list[tuple[int, int, str, str, int, int]], band_sql: str
) -> Task[list[tuple[int, int, int, int]]]:
    """Transactions of ``month`` in the ``segments`` (id, terminal, first day, day after,
    group, product), grouped by (group, category, refund) packed as group × 8 + category ×
    2 + refund, and by ``band_sql`` (over ``t`` and ``s.product``): rows (key, band,
    count, volume)."""

    def task(con: sqlite3.Connection) -> list[tuple[int, int, int, int]]:
        seg = _with_temp(
            con, "segment",
            "id INTEGER PRIMARY KEY, terminal_id INTEGER, start TEXT, finish TEXT, "
            "grp INTEGER, product INTEGER",
            segments,
        )
        try:
            return con.execute(
                "SELECT (s.grp * 4 + (CASE t.category WHEN 'credit' THEN 0 WHEN 'debit' THEN 1 "
                f"ELSE 2 END)) * 2 + (t.status = 'refund') AS k, {band_sql} AS b, COUNT(*), "
                f"SUM(t.amount) FROM {seg} s CROSS JOIN txn t ON t.month = ? "
                "AND t.terminal_id = s.terminal_id AND t.date >= s.start AND t.date < s.finish "
                f"WHERE t.status IN {COUNTED} GROUP BY k, b",
                (month,),
            ).fetchall()
        finally:
            con.execute(f"DROP TABLE {seg}")

    return task
