"""Opening the database: one SQLite file, WAL, foreign keys on, migrated to the latest."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from peewee import SqliteDatabase

from app.models import database
from app.models.migrations import apply_migrations


def open_database(path: str | Path) -> SqliteDatabase:
    """Open (creating if needed) the database at ``path`` and bind every model to it."""
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = SqliteDatabase(
        path,
        pragmas={
            "journal_mode": "wal" if path != ":memory:" else "memory",
            "foreign_keys": 1,
            "synchronous": "normal",
            "cache_size": -64_000,
            # big GROUP BY sorts spill to a temporary file instead of RAM (peak memory)
            "busy_timeout": 5000,
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
