"""The SQL spellings only SQLite understands, behind named functions: the start of the
storage seam.

Most of POSDesk's SQL is standard (``INSERT … SELECT``, ``GROUP BY``, window functions,
``CASE``) and runs on SQLite and PostgreSQL alike.  A few spellings are SQLite's own; code
that needs one asks this module for it by name instead of writing it inline, so that a
second engine is a second set of these functions, not a hunt through the core:

=====================  ===================================  ==================================
function               SQLite (here)                        PostgreSQL (to come)
=====================  ===================================  ==================================
``insert_ignore``      ``INSERT OR IGNORE INTO t …``         ``INSERT INTO t … ON CONFLICT DO NOTHING``
``insert_replace``     ``INSERT OR REPLACE INTO t …``        ``… ON CONFLICT (key) DO UPDATE …``
``string_agg``         ``group_concat(x)``                   ``string_agg(x, ',')``
``least``              ``MIN(a, b)``                         ``LEAST(a, b)``
``key_table``          ``… PRIMARY KEY (…)) WITHOUT ROWID``  ``… PRIMARY KEY (…))``
``temp_table``         ``CREATE TEMP TABLE … WITHOUT ROWID``  ``CREATE TEMP TABLE … ON COMMIT …``
``schema_version``     ``PRAGMA user_version``               a one-row version table
=====================  ===================================  ==================================

Not every statement goes through here yet: ``app.core.derived`` and the migrations'
version number do; the month compute's passes (``app.core.scans``), the importers, the
dashboard and closing queries still spell theirs inline (docs/ARCHITECTURE.md lists what
is left).  Each function here is tested on SQLite (tests/unit/models/test_dialect.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

NAME = "sqlite"


def insert_ignore(table: str, rest: str) -> str:
    """An insert that skips rows whose key is already there: ``rest`` is the column list
    and ``VALUES``/``SELECT`` part."""
    return f"INSERT OR IGNORE INTO {table} {rest}"


def insert_replace(table: str, rest: str, key: Sequence[str] = ()) -> str:
    """An insert whose rows replace those with the same key (``key`` names it, for the
    engines that must be told)."""
    return f"INSERT OR REPLACE INTO {table} {rest}"


def string_agg(expr: str, separator: str = ",") -> str:
    """The values of ``expr`` in a group joined by ``separator`` (SQLite: in the order the
    rows are visited)."""
    if separator == ",":
        return f"group_concat({expr})"
    return f"group_concat({expr}, '{separator}')"


def least(*exprs: str) -> str:
    """The smallest of several values in one row (not the aggregate)."""
    return f"MIN({', '.join(exprs)})"


def key_table(name: str, columns: str, key: Sequence[str], temp: bool = False) -> str:
    """A table stored in the order of its primary key ``key`` (no separate row ids: the
    derived tables and the compute's temporary tables are read by key ranges)."""
    head = "CREATE TEMP TABLE" if temp else "CREATE TABLE IF NOT EXISTS"
    return f"{head} {name} ({columns}, PRIMARY KEY ({', '.join(key)})) WITHOUT ROWID"


def temp_table(name: str, columns: str, key: Sequence[str]) -> str:
    """A temporary table for one connection, ordered by ``key``."""
    return key_table(name, columns, key, temp=True)


def schema_version(db: Any) -> int:
    """The schema version stored in the database (0 for a new one)."""
    return int(db.execute_sql("PRAGMA user_version").fetchone()[0])


def set_schema_version(db: Any, version: int) -> None:
    db.execute_sql(f"PRAGMA user_version = {int(version)}")
