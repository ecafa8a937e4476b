"""The session service: the views' only door to the open database."""

from __future__ import annotations

import sqlite3

import pytest

from app.core import session
from app.core.errors import UserError
from app.models.errors import SchemaTooNew


def test_open_reports_where_and_the_newest_schema(tmp_path):
    path = tmp_path / "office" / "posdesk.db"
    session.open_database(path)
    try:
        assert session.database_path() == path
        assert session.latest_schema() >= 6
        assert session.is_new_office()
    finally:
        session.close_connection()


def test_a_newer_database_is_a_user_error_with_the_storage_message(tmp_path):
    path = tmp_path / "newer.db"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {session.latest_schema() + 1}")
    con.close()
    # storage raises its own error (it never imports the core) ...
    from app.models.db import open_database

    with pytest.raises(SchemaTooNew):
        open_database(path)
    # ... and the service translates it, word for word
    with pytest.raises(UserError) as caught:
        session.open_database(path)
    latest = session.latest_schema()
    assert str(caught.value) == f"数据库版本 {latest + 1} 比本程序支持的 {latest} 新,请升级分润台。"


def test_an_office_with_an_agent_is_not_new(db):
    from app.core.months import set_setting
    from app.models import Agent

    assert session.is_new_office()
    Agent.create(code="A01", name="张建国")
    assert not session.is_new_office()
    Agent.delete().execute()
    set_setting("agency_name", "鑫达")
    assert not session.is_new_office()


def test_the_layer_contract_holds():
    """pyproject.toml's import-linter contracts (views → io → core → models)."""
    import subprocess
    import sys
    from pathlib import Path

    linter = Path(sys.executable).with_name("lint-imports")
    if not linter.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    root = Path(__file__).resolve().parents[3]
    run = subprocess.run([str(linter), "--no-cache"], cwd=root, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
