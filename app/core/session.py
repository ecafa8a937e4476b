"""The open database, as the window and the command line see it: open a file, where it
is, close a worker thread's connection, the newest schema this program knows.

The views never import ``app.models``; what they need of the storage goes through here,
and storage's own errors (``app.models.errors``) come back as ``UserError`` with the same
Chinese message."""

from __future__ import annotations

from pathlib import Path

from peewee import SqliteDatabase

from app.core.errors import UserError
from app.models import database
from app.models import db as storage
from app.models.errors import StorageError
from app.models.migrations import LATEST


def open_database(path: str | Path) -> SqliteDatabase:
    """Open (creating and migrating if needed) the database at ``path`` and bind every
    table to it; a database the program cannot use is a ``UserError``."""
    try:
        return storage.open_database(path)
    except StorageError as exc:
        raise UserError(exc.message) from None


def close_connection() -> None:
    """Worker threads keep a SQLite connection each; close this thread's when its job is
    over (the window's own connection stays open)."""
    db = database.obj
    if db is not None and not db.is_closed():
        db.close()


def database_path() -> Path | None:
    """The file of the open database (None in memory or when none is open)."""
    name = getattr(database.obj, "database", None)
    return Path(name) if name and name != ":memory:" else None


def latest_schema() -> int:
    """The newest schema version this program can open."""
    return LATEST


def is_new_office() -> bool:
    """An empty database: no agency name and no agents yet (the welcome dialog's test)."""
    from app.core.agents import has_agents
    from app.core.months import get_setting

    return not get_setting("agency_name") and not has_agents()
