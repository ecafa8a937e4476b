"""Numbered schema migrations, applied at start-up inside one transaction each.

The schema version lives in SQLite's ``user_version``.  Module ``NNNN_name`` brings a
database from version NNNN-1 to NNNN; a database made by an older POSDesk opens in a
newer one because ``apply_migrations`` runs every step it has not seen yet.  Modules are
listed by name (not discovered on disk) so the frozen Windows build finds them too.
"""

from __future__ import annotations

import importlib
from typing import Any

from peewee import Database, SqliteDatabase

from app.models import dialect
from app.models.errors import SchemaTooNew

MIGRATIONS = ["0001_initial", "0002_followups", "0003_settle_index", "0004_qualify_outcome",
              "0005_txn_volume", "0006_derived", "0007_values", "0008_lock_freeze", "0009_trust",
              "0010_team", "0011_merchant_care", "0012_reconcile", "0013_arch", "0014_firstmonth",
              "0015_trust_more"]
LATEST = len(MIGRATIONS)


def schema_version(db: Database) -> int:
    return dialect.schema_version(db)


def apply_migrations(db: Database) -> list[int]:
    """Bring ``db`` up to the latest version; returns the versions applied."""
    applied = []
    current = schema_version(db)
    if current > LATEST:
        raise SchemaTooNew(current, LATEST)
    for number, name in enumerate(MIGRATIONS, start=1):
        if number <= current:
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        # SQLite's table rebuild (a new table, copy, drop, rename) runs with foreign keys
        # off, set outside the transaction, so that dropping the old table acts on nothing
        rebuild = getattr(module, "REBUILDS_TABLES", False) and isinstance(db, SqliteDatabase)
        raw: Any = db  # peewee's execute_sql is untyped
        fk = rebuild and raw.execute_sql("PRAGMA foreign_keys").fetchone()[0]
        if fk:
            raw.execute_sql("PRAGMA foreign_keys = OFF")
        try:
            with db.atomic():
                module.migrate(db)
                dialect.set_schema_version(db, number)
        finally:
            if fk:
                raw.execute_sql("PRAGMA foreign_keys = ON")
        applied.append(number)
    return applied
