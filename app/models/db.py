"""Opening the database: one SQLite file, WAL, foreign keys on, migrated to the latest.

Two writers: every transaction begins ``IMMEDIATE``, taking SQLite's write lock up front
instead of at its first write.  A second writer then waits for the first at its ``BEGIN``
(up to ``BUSY_TIMEOUT_S``), before it has read anything, so it never works on a state that
changes under it, and an import and a month lock are ordered: one lands wholly before the
other.  A writer that waited longer than that gets ``database is locked``, which the
command line and the window show as "数据库正忙…请稍后重试" (``app.core.errors.busy_error``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from peewee import SqliteDatabase

from app.models import database
from app.models.migrations import apply_migrations

# how long a writer waits for another one to finish before it gives up (docs/month_close.md);
# POSDESK_BUSY_TIMEOUT_S changes it (tests, or a shared folder on a slow network)
BUSY_TIMEOUT_S = int(os.environ.get("POSDESK_BUSY_TIMEOUT_S", "") or 10)


def open_database(path: str | Path) -> SqliteDatabase:
    """Open (creating if needed) the database at ``path`` and bind every model to it."""
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = SqliteDatabase(
        path,
        lock_type="IMMEDIATE",  # every db.atomic() takes the write lock at its BEGIN
        timeout=BUSY_TIMEOUT_S,
        pragmas={
            "journal_mode": "wal" if path != ":memory:" else "memory",
            "foreign_keys": 1,
            "synchronous": "normal",
            "cache_size": -64_000,
            # big GROUP BY sorts spill to a temporary file instead of RAM (peak memory)
            "busy_timeout": BUSY_TIMEOUT_S * 1000,
        },
        check_same_thread=False,
    )
    db.connect(reuse_if_open=True)
    database.initialize(db)
    apply_migrations(db)
    return db


def close_database() -> None:
    db = database.obj
    if db is not None and not db.is_closed():
        db.close()


@contextlib.contextmanager
def opened(path: str | Path) -> Iterator[SqliteDatabase]:
    db = open_database(path)
    try:
        yield db
    finally:
        db.close()
