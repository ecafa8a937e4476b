"""Automatic backups, their rotation, restore, and the trust commands of the CLI."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from app.core import auth, backups, closing, settlement
from app.core.errors import UserError
from tests.helpers import Office

OCT = "2026-10"


@pytest.fixture
def office(db, tmp_path):
    o = Office(tmp_path / "files").base() if (tmp_path / "files").mkdir() is None else None
    o.tx("X1,2026-10-05 10:00:00,T1,M1,1000.00,贷记卡,成功")
    return o


def test_rotation_over_simulated_days_and_months_keeps_seven_and_twelve(db, tmp_path):
    start = dt.datetime(2025, 1, 1, 9, 0)
    for day in range(0, 500, 3):  # a start every third day for 16 months
        backups.daily_backup(start + dt.timedelta(days=day))
        backups.daily_backup(start + dt.timedelta(days=day, hours=2))  # same day: nothing
    kinds = [b.kind for b in backups.list_backups()]
    assert kinds.count("daily") == 7 and kinds.count("monthly") == 12
    monthly = sorted(b.taken_at[:7] for b in backups.list_backups() if b.kind == "monthly")
    assert len(set(monthly)) == 12 and monthly[-1] == "2026-05"
    assert not list((tmp_path / "backups").glob("*.part"))


def test_each_backup_is_checked_and_holds_what_the_list_says(office, db):
    closing.lock(OCT)  # takes the before-lock backup first
    b = backups.list_backups()
    assert [x.kind for x in b] == ["lock"] and b[0].months_locked == []
    backups.take("daily")
    newest = backups.list_backups()[0]
    assert newest.months_locked == [OCT] and newest.agents == 3
    assert newest.last_import.endswith("07_transactions.csv")
    con = sqlite3.connect(newest.path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert backups.newest_good(db.database) == newest.path


def test_restore_round_trip_gives_identical_statements(office, db, tmp_path):
    settlement.compute_month(OCT)
    before = settlement.statement_json(OCT)
    saved = backups.take("daily")
    office.tx("X2,2026-10-06 10:00:00,T2,M2,500.00,贷记卡,成功")
    settlement.compute_month(OCT)
    assert settlement.statement_json(OCT) != before
    kept = backups.restore(saved)
    assert settlement.statement_json(OCT) == before
    assert kept is not None and kept.name.endswith("-restore.db")
    from app.core import audit

    assert audit.entries()[-1].action == "数据库.恢复" and audit.check_chain() is None


def test_restore_refuses_a_damaged_file_and_changes_nothing(office, db, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100 + b"garbage" * 500)
    with pytest.raises(UserError, match="bad.db"):
        backups.restore(bad)
    assert not (tmp_path / "backups").exists()


def test_cli_trust_commands(office, db, tmp_path, capsys, monkeypatch):
    from app.cli import main

    path = str(db.database)
    assert main(["--db", path, "verify"]) == 0
    assert main(["--db", path, "statement", "lock", OCT]) == 0
    assert main(["--db", path, "backups", "--json"]) == 0
    out = capsys.readouterr().out
    listed = json.loads(out[out.index("["):])
    assert listed[0]["kind"] == "lock" and set(listed[0]) == {"path", "taken_at", "kind", "months_locked"}
    assert main(["--db", path, "audit", "--json", "--since", "2000-01-01"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert entries[-1]["action"] == "月结.锁定"
    assert set(entries[0]) == {"time", "user", "action", "object", "before", "after"}
    con = sqlite3.connect(path)
    con.execute('DROP TRIGGER "statement_line_lock_upd"')
    con.execute("UPDATE statement_line SET subtotal = subtotal + 1")
    con.commit()
    con.close()
    assert main(["--db", path, "verify"]) == 2
    assert "2026年10月" in capsys.readouterr().err
    # sign-in on: a batch job names its user and gives the password in the environment
    monkeypatch.setenv("POSDESK_NEW_PASSWORD", "secret1")
    assert main(["--db", path, "user", "add", "boss", "--role", "admin"]) == 0
    monkeypatch.delenv("POSDESK_PASSWORD", raising=False)
    assert main(["--db", path, "--user", "boss", "audit"]) == 2
    assert "POSDESK_PASSWORD" in capsys.readouterr().err
    monkeypatch.setenv("POSDESK_PASSWORD", "secret1")
    assert main(["--db", path, "--user", "boss", "audit"]) == 0
    auth.sign_out()
