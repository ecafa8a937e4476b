"""busy_error: SQLite's "database is locked" (another writer held the write lock past the
wait) is the user's Chinese message, anything else stays a defect."""

from __future__ import annotations

import sqlite3

import peewee

from app.core.errors import UserError, busy_error


def test_locked_database_becomes_the_busy_message():
    for exc in (sqlite3.OperationalError("database is locked"),
                peewee.OperationalError("database is locked")):
        err = busy_error(exc)
        assert isinstance(err, UserError)
        assert str(err).startswith("数据库正忙…请稍后重试")


def test_other_errors_stay_defects():
    assert busy_error(sqlite3.OperationalError("no such table: txn")) is None
    assert busy_error(ValueError("database is locked")) is None
