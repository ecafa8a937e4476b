"""Trust, continued (migration 15, docs/trust.md): the lock in the database over the staff
statements, the desk's deposit entries and the lock's frozen slip documents; the role and
the audit entry of the team, desk-deposit and 补差 services."""

from __future__ import annotations

import sqlite3

import pytest

from app.core import closing
from tests.helpers import Office

OCT, NOV = "2026-10", "2026-11"


def _raw(db) -> sqlite3.Connection:
    return sqlite3.connect(db.database, isolation_level=None)


# ------------------------------------------------------------------ the lock in the database

STAFF_COLS = (
    "month, staff_id, role, employed_days, month_days, base, activations, activation, volume, "
    "volume_amount, tickets_resolved, ticket, opened, within_sla, resolution_bonus, ratings, "
    "rating_sum, satisfaction_bonus, adjustment, total, plan"
)


def _staff_statement(month: str) -> str:
    return (f"INSERT INTO staff_statement ({STAFF_COLS}) VALUES "
            f"('{month}', 1, 'sales', 31, 31, 300000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
            "300000, '{}')")


def _deposit_entry(no: str, month: str) -> str:
    return ("INSERT INTO deposit_entry (receipt_no, kind, agent_id, amount, method, day, month, "
            f"note, created_at) VALUES ('{no}', 'receive', 1, 9900, 'cash', '{month}-05', "
            f"'{month}', '', '{month}-05 10:00:00')")


@pytest.fixture
def locked(db):
    """October holds one row of each guarded table, then is marked locked; November is open."""
    con = _raw(db)
    con.execute("INSERT INTO agent (id, code, name, status, phone, id_no, payout, tax_rate, bank, "
                "bank_account, note, tags) VALUES (1, 'A01', '张三', 'active', '', '', 'normal', "
                "0, '', '', '', '')")
    con.execute("INSERT INTO staff_member (id, code, name, role, phone) "
                "VALUES (1, 'S01', '李四', 'sales', '')")
    for month in (OCT, NOV):
        con.execute(_staff_statement(month))
        con.execute(_deposit_entry(f"YJ{month}", month))
        con.execute("INSERT INTO lock_freeze (month, frozen_at, data) "
                    f"VALUES ('{month}', '2026-12-01 10:00:00', '{{}}')")
    con.execute(f"INSERT INTO month_state (month, state, fingerprint) VALUES ('{OCT}', 'locked', '')")
    con.close()
    return db


RAW_WRITES = [
    # staff statements (员工提成单)
    "UPDATE staff_statement SET total = total + 100 WHERE month = '2026-10'",
    "UPDATE staff_statement SET month = '2026-10' WHERE month = '2026-11'",
    "DELETE FROM staff_statement WHERE month = '2026-10'",
    _staff_statement(OCT).replace("VALUES ('2026-10', 1,", "VALUES ('2026-10', 2,"),
    # the desk's deposit entries (押金收付)
    "UPDATE deposit_entry SET amount = 1 WHERE month = '2026-10'",
    "UPDATE deposit_entry SET month = '2026-10' WHERE month = '2026-11'",
    "DELETE FROM deposit_entry WHERE month = '2026-10'",
    _deposit_entry("YJ-LATE", OCT),
    # the frozen slip documents (lock_freeze)
    "UPDATE lock_freeze SET data = '{\"agents\": []}' WHERE month = '2026-10'",
    "DELETE FROM lock_freeze WHERE month = '2026-10'",
    "INSERT OR REPLACE INTO lock_freeze (month, frozen_at, data) "
    "VALUES ('2026-10', '2026-12-02 10:00:00', '{\"x\": 1}')",
]

SNAPSHOT = [
    "SELECT * FROM staff_statement ORDER BY id",
    "SELECT * FROM deposit_entry ORDER BY id",
    "SELECT * FROM lock_freeze ORDER BY month",
]


@pytest.mark.parametrize("sql", RAW_WRITES)
def test_raw_sql_cannot_change_a_locked_months_team_desk_and_frozen_rows(locked, sql):
    con = _raw(locked)
    before = [con.execute(q).fetchall() for q in SNAPSHOT]
    with pytest.raises(sqlite3.IntegrityError, match="数据保护:月份已锁定"):
        con.execute(sql)
    assert [con.execute(q).fetchall() for q in SNAPSHOT] == before
    con.close()


def test_an_open_months_rows_stay_writable(locked):
    con = _raw(locked)
    con.execute("UPDATE staff_statement SET total = total + 1 WHERE month = '2026-11'")
    con.execute("DELETE FROM deposit_entry WHERE month = '2026-11'")
    con.execute("DELETE FROM lock_freeze WHERE month = '2026-11'")
    con.execute(_deposit_entry("YJ-NEW", NOV))
    con.close()


def test_the_lock_itself_still_freezes_and_the_frozen_document_is_then_kept(db, tmp_path):
    o = Office(tmp_path).base()
    o.tx("X1,2026-10-05 10:00:00,T1,M1,1000.00,贷记卡,成功")
    closing.lock(OCT)  # freezes inside the lock's transaction, before the month turns locked
    con = _raw(db)
    assert con.execute("SELECT COUNT(*) FROM lock_freeze WHERE month = ?", (OCT,)).fetchone() == (1,)
    with pytest.raises(sqlite3.IntegrityError, match="数据保护"):
        con.execute("UPDATE lock_freeze SET data = '{}' WHERE month = ?", (OCT,))
    con.close()
