"""Trust, continued (migration 15, docs/trust.md): the lock in the database over the staff
statements, the desk's deposit entries and the lock's frozen slip documents; the role and
the audit entry of the team, desk-deposit and 补差 services."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from app.core import audit, auth, closing, merchant_care, merchants, settlement, team_desk
from app.core import deposit_entries as desk
from app.core.errors import UserError
from app.core.resettle import apply_resettle
from app.io.whatif_file import read_corrections
from tests.helpers import Office, write

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


# ------------------------------------------------------------------ roles and the audit log

POLICY_HEADER = (
    "agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn,"
    "cashback,qualify_bonus,unqualified_penalty,deposit\n"
)


@pytest.fixture
def office(db, tmp_path):
    o = Office(tmp_path).base()
    auth.create_user("boss", "admin", "secret1")  # sign-in on from here
    return o


def _new_entries(since: int) -> list[audit.Entry]:
    return [e for e in audit.entries() if e.action != "用户.新建"][since:]


def _count() -> int:
    return len(_new_entries(0))


def _one_entry(action: str, write_it) -> audit.Entry:
    before = _count()
    with auth.acting_as("cw", "finance"):
        write_it()
    made = _new_entries(before)
    assert [e.action for e in made] == [action]
    assert made[0].user == "cw"
    return made[0]


@pytest.mark.parametrize("role", ["viewer", "clerk"])
def test_resettle_needs_compute_rights(office, tmp_path, role):
    with auth.acting_as("boss", "admin"):
        office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
        settlement.lock_month(OCT)
    records = read_corrections(write(tmp_path, "fix.csv", POLICY_HEADER +
                                     "A3,P1,2026-10-01,0.56%,0.52%,23,0.35%,0,,,,\n"))
    before = _count()
    with auth.acting_as("x", role), pytest.raises(UserError, match="无权计算月结"):
        apply_resettle(OCT, records)
    assert _count() == before
    # A3 60.00 − 57.00 = 3.00 locked, 60.00 − 56.00 = 4.00 corrected: +1.00 = 100 fen
    e = _one_entry("补差.写入", lambda: apply_resettle(OCT, records))
    assert e.after == {"into": NOV, "adjustments": 2, "total_fen": 0}  # A2 −100, A3 +100


def test_desk_deposits_rights_and_one_entry_each(office):
    day = dt.date(2026, 10, 2)
    with auth.acting_as("kan", "viewer"), pytest.raises(UserError, match="无权修改资料"):
        desk.record("receive", "A2", 9900, "cash", day)
    with auth.acting_as("lu", "clerk"):
        got = desk.record("receive", "A2", 9900, "cash", day)  # desk work: a clerk may
        with pytest.raises(UserError, match="无权标记打款"):
            desk.record("refund", "A2", 100, "cash", day)  # money out: finance and up
        with pytest.raises(UserError, match="无权标记打款"):
            desk.cancel(got.id)
    e = _one_entry("押金.收押金", lambda: desk.record("receive", "A2", 500, "cash", day))
    assert e.after["amount_fen"] == 500 and e.object.startswith("收据 YJ202610-")
    _one_entry("押金.退押金", lambda: desk.record("refund", "A2", 300, "cash", day))
    _one_entry("押金.没收", lambda: desk.record("forfeit", "A2", 100, "cash", day))
    _one_entry("押金.撤销", lambda: desk.cancel(got.id + 2))


def _team(db):
    db.execute_sql("INSERT INTO staff_member (id, code, name, role, phone) "
                   "VALUES (1, 'S01', '李四', 'sales', '')")
    db.execute_sql("INSERT INTO merchant (id, merchant_no, name, contact, phone, address, industry) "
                   "VALUES (1, 'M1', '小店', '', '', '', '')")


def test_team_writes_need_edit_rights_and_leave_one_entry_each(office, db):
    _team(db)
    day = dt.date(2026, 10, 3)
    writes = [
        ("团队.提成方案", lambda: team_desk.save_plan("S01", OCT, base="3000")),
        ("商户.交接", lambda: team_desk.handover([1], 1, day)),
        ("商户.回访", lambda: team_desk.add_contact(1, 1, day, "电话", "问候")),
        ("商户.回访", lambda: merchant_care.log_contact("M1", day, 1, "电话", "再问候")),
        ("商户.标签", lambda: merchants.set_manual_tags("M1", ["重点"])),
        ("工单.新建", lambda: team_desk.new_ticket("G1", dt.datetime(2026, 10, 3, 9), "fault", 1,
                                                 merchant_no="M1")),
        ("工单.处理", lambda: team_desk.resolve_ticket(1, dt.datetime(2026, 10, 3, 12))),
        ("工单.评价", lambda: team_desk.rate_ticket(1, 5)),
    ]
    for action, write_it in writes:
        before = _count()
        with auth.acting_as("kan", "viewer"), pytest.raises(UserError, match="无权修改资料"):
            write_it()
        assert _count() == before, action
        _one_entry(action, write_it)
