"""Shared fixtures: a fresh database per test, and Qt offscreen."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def db(tmp_path):
    """A fresh, migrated database file in a temporary folder, bound to the models."""
    from app.models.db import open_database

    database = open_database(tmp_path / "posdesk.db")
    yield database
    database.close()
