"""Trust (DOMAIN §11): roles, the audit log, the lock kept by the database, seals, verify."""

from __future__ import annotations

import json
import sqlite3

import pytest

from app.core import audit, auth, closing, integrity, settlement
from app.core.errors import UserError, from_db_error
from app.core.imports import undo_batch
from app.core.months import set_setting
from tests.helpers import Office

OCT, NOV = "2026-10", "2026-11"


@pytest.fixture
def office(db, tmp_path):
    o = Office(tmp_path).base()
    o.tx("X1,2026-10-05 10:00:00,T1,M1,1000.00,贷记卡,成功",
         "X2,2026-10-06 10:00:00,T2,M2,500.00,借记卡,成功")
    return o


def _raw(db) -> sqlite3.Connection:
    return sqlite3.connect(db.database, isolation_level=None)


def _locked(office, db):
    closing.lock(OCT)
    office.tx("X3,2026-11-02 10:00:00,T1,M1,200.00,贷记卡,成功")
    settlement.compute_month(NOV)


# ------------------------------------------------------------------ the lock in the database


RAW_WRITES = [
    "UPDATE statement_line SET subtotal = subtotal + 100 WHERE statement_id IN "
    "(SELECT id FROM statement WHERE month = '2026-10')",
    "UPDATE statement SET payable = payable + 1 WHERE month = '2026-10'",
    "DELETE FROM statement WHERE month = '2026-10'",
    "INSERT INTO statement (month, agent_id, gross, tax, payable, on_hold, paid) "
    "VALUES ('2026-10', 1, 1, 0, 1, 0, 1)",
    "UPDATE txn SET amount = amount + 1 WHERE month = '2026-10'",
    "DELETE FROM txn WHERE month = '2026-10'",
    "INSERT INTO txn (tx_id, terminal_id, product_id, time, date, month, amount, category, status, "
    "merchant_no) VALUES ('LATE', 1, 1, '2026-10-09 10:00:00', '2026-10-09', '2026-10', 100, "
    "'credit', 'success', '')",
    "UPDATE txn SET month = '2026-10' WHERE month = '2026-11'",
    "INSERT INTO adjustment (agent_id, product_id, month, original_month, amount, reason, created) "
    "VALUES (1, 1, '2026-10', '2026-10', 5, 'x', '2026-10-01')",
    "INSERT INTO terminal_item (terminal_id, kind, agent_id, product_id, natural_date, month, "
    "amount) VALUES (1, 'cashback', 1, 1, '2026-10-03', '2026-10', 100)",
    "UPDATE agency_margin SET margin = 0 WHERE month = '2026-10'",
    "UPDATE month_state SET state = 'open' WHERE month = '2026-10'",
    "DELETE FROM month_state WHERE month = '2026-10'",
    "DELETE FROM audit_log",
    "UPDATE audit_log SET user = 'someone else'",
    "DELETE FROM lock_seal",
]


@pytest.mark.parametrize("sql", RAW_WRITES)
def test_raw_sql_cannot_change_a_locked_month_or_the_audit_log(office, db, sql):
    _locked(office, db)
    con = _raw(db)
    before = con.execute("SELECT COUNT(*), SUM(payable) FROM statement").fetchone()
    with pytest.raises(sqlite3.IntegrityError, match="数据保护"):
        con.execute(sql)
    assert con.execute("SELECT COUNT(*), SUM(payable) FROM statement").fetchone() == before
    con.close()


def test_an_open_month_and_the_payout_columns_stay_writable(office, db):
    _locked(office, db)
    con = _raw(db)
    con.execute("UPDATE statement SET payable = payable WHERE month = '2026-10'")  # no change
    con.execute("DELETE FROM statement WHERE month = '2026-11'")  # open: the program may
    con.close()


def test_a_refusal_reads_as_a_chinese_user_message(office, db):
    _locked(office, db)
    with pytest.raises(Exception) as info:
        db.execute_sql("DELETE FROM txn WHERE month = '2026-10'")
    err = from_db_error(info.value)
    assert err is not None and "已锁定" in str(err) and "交易" in str(err)
    assert from_db_error(ValueError("other")) is None


def test_late_data_after_a_lock_still_lands_in_the_next_month(office, db):
    _locked(office, db)
    office.tx("X9,2026-10-20 10:00:00,T1,M1,100.00,贷记卡,成功")  # late: settled in November
    data = settlement.statement_json(NOV)
    settlement.compute_month(NOV)
    assert settlement.statement_json(NOV) != data


# ------------------------------------------------------------------ seals and verify


def test_each_lock_is_sealed_and_chained(office, db):
    _locked(office, db)
    closing.lock(NOV)
    rows = db.execute_sql("SELECT month, statement_hash, prev_hash, hash FROM lock_seal "
                          "ORDER BY rowid").fetchall()
    assert [r[0] for r in rows] == [OCT, NOV]
    assert rows[0][2] == "0" * 64 and rows[1][2] == rows[0][3]
    assert rows[0][1] == integrity.statement_hash(OCT)
    assert integrity.verify().ok


def test_verify_names_the_month_and_the_entry_after_the_triggers_are_dropped(office, db):
    _locked(office, db)
    assert integrity.verify().ok
    con = _raw(db)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f'DROP TRIGGER "{name}"')
    con.execute("UPDATE statement_line SET credit_amount = credit_amount + 1, subtotal = subtotal + 1 "
                "WHERE statement_id = (SELECT MIN(id) FROM statement WHERE month = '2026-10')")
    con.execute("DELETE FROM audit_log WHERE id = 3")
    con.close()
    v = integrity.verify()
    assert not v.ok
    assert any("2026年10月" in p or "2026-10" in p for p in v.problems), v.problems
    assert any("审计日志第 3 条" in p for p in v.problems), v.problems


def test_verify_finds_a_changed_entry(office, db):
    con = _raw(db)
    con.execute('DROP TRIGGER "audit_log_no_upd"')
    con.execute("UPDATE audit_log SET after = '\"9999\"' WHERE id = 2")
    con.close()
    assert audit.check_chain().startswith("审计日志第 2 条已被修改")


def test_verify_finds_a_deleted_last_entry(office, db):
    con = _raw(db)
    con.execute('DROP TRIGGER "audit_log_no_del"')
    last = con.execute("SELECT MAX(id) FROM audit_log").fetchone()[0]
    con.execute(f"DELETE FROM audit_log WHERE id = {last}")
    con.close()
    assert audit.check_chain() == f"审计日志第 {last} 条已被删除"


def test_verify_finds_derived_state_that_no_longer_matches(office, db):
    con = _raw(db)
    con.execute("UPDATE txn_day SET days = '2026-10-05 1'")
    con.close()
    v = integrity.verify()
    assert any("txn_day" in p for p in v.problems), v.problems


# ------------------------------------------------------------------ the audit log


def test_every_change_is_audited_in_its_own_transaction(office, db, tmp_path):
    actions = [e.action for e in audit.entries()]
    assert actions[:2] == ["设置.修改", "设置.修改"]
    assert "导入.agents" in actions and "导入.transactions" in actions
    settlement.compute_month(OCT)
    closing.add_adjustment("A1", "P1", OCT, -500, "补扣")
    batch = office.tx("X7,2026-10-08 10:00:00,T1,M1,10.00,贷记卡,成功").batch_id
    undo_batch(batch)
    closing.lock(OCT)
    tail = [e.action for e in audit.entries()][-5:]
    assert tail == ["月结.计算", "调账.新增", "导入.transactions", "导入.撤销", "月结.锁定"]
    adj = [e for e in audit.entries(action="调账")][0]
    assert adj.after["amount_fen"] == -500 and adj.user == auth.current().name
    assert audit.check_chain() is None


def test_a_refused_change_leaves_no_audit_entry(office, db):
    n = len(audit.entries())
    with pytest.raises(UserError):
        closing.add_adjustment("A1", "P1", OCT, 0, "零")
    with pytest.raises(UserError):
        office.load("transactions", "tx_id,time,sn,merchant_no,amount,category,status\n"
                    "Y1,2026-10-05 10:00:00,NOPE,M1,abc,贷记卡,成功\n")
    assert len(audit.entries()) == n


def test_settings_are_audited_with_before_and_after(db):
    set_setting("min_payout", "5000")
    set_setting("min_payout", "6000")
    set_setting("min_payout", "6000")  # unchanged: nothing to record
    e = audit.entries(action="设置")
    assert [(x.before, x.after) for x in e] == [(None, "5000"), ("5000", "6000")]
    assert json.loads(json.dumps(e[0].as_json()))["object"] == "设置 min_payout"


# ------------------------------------------------------------------ roles


def _users():
    auth.create_user("boss", "admin", "secret1")
    with auth.acting_as("boss", "admin"):
        auth.create_user("cai", "财务", "secret2")
        auth.create_user("lu", "clerk", "secret3")
        auth.create_user("kan", "viewer", "secret4")


def test_sign_in_is_off_until_the_first_admin_and_then_required(office, db):
    assert not auth.sign_in_enabled() and auth.current().role == "admin"
    with pytest.raises(UserError, match="管理员"):
        auth.create_user("lu", "clerk", "secret3")
    _users()
    assert auth.sign_in_enabled()
    with pytest.raises(UserError, match="请先登录"):
        closing.add_adjustment("A1", "P1", OCT, 100, "x")
    with pytest.raises(UserError, match="用户名或密码不正确"):
        auth.sign_in("lu", "wrong!!")
    auth.sign_in("lu", "secret3")
    assert auth.current() == auth.User("lu", "clerk", True)
    row = db.execute_sql("SELECT salt, password_hash FROM app_user WHERE name = 'lu'").fetchone()
    assert "secret3" not in "".join(row) and auth.hash_password("secret3", row[0])[1] == row[1]


def test_a_clerk_cannot_lock_restore_or_see_full_numbers_an_admin_can(office, db, tmp_path):
    from app.core import agents, backups
    from app.models import Agent

    Agent.update(id_no="110101199001011234", bank_account="6222020200001234567").where(
        Agent.code == "A1").execute()
    a1 = Agent.get(Agent.code == "A1").id
    _users()
    auth.sign_in("lu", "secret3")
    with pytest.raises(UserError, match="无权锁定月份"):
        closing.lock(OCT)
    with pytest.raises(UserError, match="无权计算月结"):
        settlement.compute_month(OCT)
    with pytest.raises(UserError, match="无权从备份恢复"):
        backups.restore(tmp_path / "whatever.db")
    with pytest.raises(UserError, match="无权修改设置"):
        set_setting("min_payout", "1")
    form = agents.agent_form(a1)
    assert form.id_no == "1101**********1234" and form.bank_account == "6222***********4567"
    agents.update_agent(a1, form)  # the masked numbers saved back keep the stored ones
    assert Agent.get_by_id(a1).bank_account == "6222020200001234567"
    closing.add_adjustment("A1", "P1", OCT, 100, "录入可以调账")
    auth.sign_in("kan", "secret4")
    with pytest.raises(UserError, match="无权修改资料"):
        closing.add_adjustment("A1", "P1", OCT, 100, "只读不可以")
    auth.sign_in("cai", "secret2")
    assert agents.agent_form(a1).bank_account == "6222020200001234567"
    closing.lock(OCT)
    with pytest.raises(UserError, match="无权管理用户"):
        auth.create_user("x", "clerk", "secret9")
    auth.sign_in("boss", "secret1")
    auth.create_user("x", "clerk", "secret9")
    assert {e.user for e in audit.entries()} >= {"lu", "cai", "boss"}


def test_the_last_admin_cannot_be_demoted(db):
    _users()
    auth.sign_in("boss", "secret1")
    with pytest.raises(UserError, match="至少要保留"):
        auth.set_role("boss", "clerk")
    auth.set_role("cai", "admin")
    auth.set_role("boss", "clerk")


def test_an_import_checks_the_lock_once_for_the_file_and_keeps_the_guard(office, db):
    _locked(office, db)
    con = db.connection()
    insert = ("INSERT INTO txn (tx_id, terminal_id, product_id, time, date, month, amount, "
              "category, status, merchant_no) VALUES (?, 1, 1, '2026-10-09 10:00:00', "
              "'2026-10-09', ?, 100, 'credit', 'success', '')")
    with pytest.raises(UserError, match="数据保护"), db.atomic():
        with integrity.bulk_transactions(con):
            con.execute(insert, ("B1", NOV))
            con.execute(insert, ("B2", OCT))
    with db.atomic(), integrity.bulk_transactions(con):
        con.execute(insert, ("B3", NOV))
    names = {r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert "txn_lock_ins" in names
    assert db.execute_sql("SELECT COUNT(*) FROM txn WHERE tx_id LIKE 'B%'").fetchone()[0] == 1
    office.tx("X8,2026-10-21 10:00:00,T1,M1,100.00,贷记卡,成功")  # late: lands in November
    assert db.execute_sql("SELECT month FROM txn WHERE tx_id = 'X8'").fetchone()[0] == NOV


# the table of docs/trust.md, written out again by hand: a rule changed in one place fails
ROLE_TABLE = {
    "import": "admin finance clerk", "edit": "admin finance clerk",
    "compute": "admin finance", "lock": "admin finance", "payout": "admin finance",
    "see_numbers": "admin finance", "audit": "admin finance", "backup": "admin finance",
    "settings": "admin", "users": "admin", "restore": "admin",
}


@pytest.mark.parametrize("permission", sorted(ROLE_TABLE))
@pytest.mark.parametrize("role", sorted(auth.ROLES))
def test_every_role_rule(db, role, permission):
    auth.create_user("boss", "admin", "secret1")
    with auth.acting_as("x", role):
        allowed = role in ROLE_TABLE[permission].split()
        assert auth.can(permission) is allowed
        if allowed:
            auth.require(permission)
        else:
            with pytest.raises(UserError, match="无权"):
                auth.require(permission)
    assert set(ROLE_TABLE) == set(auth.PERMISSIONS)


def test_a_clerk_cannot_export_the_payout_list_or_import_as_a_viewer(office, db, tmp_path):
    from app.io.slips import write_payout_list

    settlement.compute_month(OCT)
    _users()
    auth.sign_in("lu", "secret3")
    with pytest.raises(UserError, match="无权标记打款或导出打款清单"):
        write_payout_list(OCT, tmp_path / "pay.xlsx")
    assert not (tmp_path / "pay.xlsx").exists()
    auth.sign_in("kan", "secret4")
    with pytest.raises(UserError, match="无权导入"):
        office.tx("Z1,2026-10-07 10:00:00,T1,M1,10.00,贷记卡,成功")
    auth.sign_in("cai", "secret2")
    write_payout_list(OCT, tmp_path / "pay.xlsx")
    with pytest.raises(UserError, match="无权从备份恢复"):
        from app.core import backups

        backups.restore(tmp_path / "pay.xlsx")


def test_the_cli_and_the_window_show_a_trigger_refusal_in_chinese(office, db, monkeypatch, capsys):
    from app import cli
    from app.views.errors import message_of

    _locked(office, db)

    def tampering_lock(month, progress=None):  # a writer that skips the program's checks
        db.execute_sql("DELETE FROM txn WHERE month = '2026-10'")

    monkeypatch.setattr(closing, "lock", tampering_lock)
    assert cli.main(["--db", str(db.database), "statement", "lock", NOV]) == 2
    err = capsys.readouterr().err
    assert "操作被数据库拒绝" in err and "交易" in err and "Traceback" not in err
    with pytest.raises(Exception) as info:
        tampering_lock(OCT)
    assert message_of(info.value).startswith("操作被数据库拒绝")
