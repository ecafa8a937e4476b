"""app.io.backup: a consistent copy of the open database, and the check of a backup."""

from __future__ import annotations

import pytest

from app.core.errors import UserError
from app.io.backup import backup_to, check_backup
from app.models import Agent
from app.models.migrations import LATEST


def test_backup_copies_the_data_and_checks_out(db, tmp_path):
    Agent.create(code="A01", name="张建国")
    dest = backup_to(tmp_path / "out" / "b.db")
    assert check_backup(dest) == LATEST
    import sqlite3

    con = sqlite3.connect(dest)
    assert con.execute("SELECT code, name FROM agent").fetchall() == [("A01", "张建国")]
    con.close()
    with pytest.raises(UserError, match="已存在"):
        backup_to(dest)  # never overwrites


def test_a_folder_gets_a_dated_file(db, tmp_path):
    dest = backup_to(tmp_path)
    assert dest.parent == tmp_path and dest.name.startswith("posdesk-backup-")


def test_what_is_not_a_posdesk_database_is_refused(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(UserError, match="不是分润台的数据库"):
        check_backup(junk)
    with pytest.raises(UserError, match="不存在"):
        check_backup(tmp_path / "missing.db")
