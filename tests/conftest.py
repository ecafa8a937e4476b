"""Shared fixtures: a fresh database per test, and Qt offscreen."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Hypothesis keeps its examples (and its other caches) in the temporary folder, never in the
# checkout: a test run leaves the working tree as it found it (tests/test_clean_checkout.py).
# The folder outlives the run, so a failing example is tried first next time.
HYPOTHESIS_HOME = Path(tempfile.gettempdir()) / "posdesk-hypothesis"
set_hypothesis_home_dir(HYPOTHESIS_HOME)
settings.register_profile(
    "posdesk", database=DirectoryBasedExampleDatabase(HYPOTHESIS_HOME / "examples")
)
settings.load_profile("posdesk")


@pytest.fixture
def db(tmp_path):
    """A fresh, migrated database file in a temporary folder, bound to the models."""
    from app.models.db import open_database

    database = open_database(tmp_path / "posdesk.db")
    yield database
    database.close()


@pytest.fixture(autouse=True)
def _signed_out():
    """The signed-in user is per process (app.core.auth): no test inherits another's."""
    yield
    from app.core import auth

    auth.sign_out()
