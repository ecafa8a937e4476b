"""The trust parts of the window: 审计日志, 设置 → 用户/自动备份/数据校验, the start-up
check and sign-in, and the check before a lock."""

from __future__ import annotations

import sqlite3

import pytest

from app.core import auth, backups, closing, settlement
from app.core.errors import UserError

OCT = "2026-10"


@pytest.fixture
def office(office_db):
    office_db.tx("X1,2026-10-05 10:00:00,T1,M1,1000.00,贷记卡,成功")
    settlement.compute_month(OCT)
    return office_db


def test_audit_page_filters_and_exports_what_it_shows(qtbot, office, messages, tmp_path):
    from openpyxl import load_workbook

    from app.views.audit_page import AuditPage
    from app.views.table_export import export_model

    closing.add_adjustment("A1", "P1", OCT, -500, "补扣")
    page = AuditPage()
    qtbot.addWidget(page)
    all_rows = page.model.rowCount()
    assert all_rows >= 9 and page.model.row_at(0).action == "调账.新增"  # newest first
    page.action.setCurrentIndex(page.action.findData("月结"))
    assert [page.model.row_at(i).action for i in range(page.model.rowCount())] == ["月结.计算"]
    out = tmp_path / "audit.xlsx"
    assert export_model(page.table.model(), out) == 1
    ws = load_workbook(out).active
    assert [c.value for c in ws[1]][:3] == ["时间", "用户", "操作"] and ws[2][2].value == "月结.计算"


def test_audit_page_tells_a_clerk_it_may_not_read(qtbot, office, messages):
    from app.views.audit_page import AuditPage

    auth.create_user("boss", "admin", "secret1")
    with auth.acting_as("lu", "clerk"):
        page = AuditPage()
        qtbot.addWidget(page)
        assert page.model.rowCount() == 0 and "无权查看审计日志" in page.count.text()


def test_settings_users_backups_restore_and_verify(qtbot, office, messages):
    from app.views.trust_settings import TrustPanel

    panel = TrustPanel()
    qtbot.addWidget(panel)
    panel.new_name.setText("boss")
    panel.new_password.setText("secret1")
    panel.add_user()
    assert auth.sign_in_enabled() and auth.current().name == "boss"
    panel.new_name.setText("lu")
    panel.new_role.setCurrentIndex(panel.new_role.findData("clerk"))
    panel.new_password.setText("secret3")
    panel.add_user()
    assert [u.name for u in auth.list_users()] == ["boss", "lu"]

    saved = backups.take("daily")
    before = settlement.statement_json(OCT)
    office.tx("X2,2026-10-06 10:00:00,T2,M2,500.00,贷记卡,成功")
    settlement.compute_month(OCT)
    panel.refresh()
    assert panel.backup_model.rowCount() == 1
    panel.backup_table.selectRow(0)
    panel.restore_selected()
    assert any("已锁定月份" in m for m in messages)  # the preview before replacing
    assert settlement.statement_json(OCT) == before
    assert saved.exists() and any(b.kind == "restore" for b in backups.list_backups())
    assert panel.run_verify().ok


def test_a_clerk_does_not_get_the_user_admin_or_restore(qtbot, office, messages):
    from app.views.trust_settings import TrustPanel

    auth.create_user("boss", "admin", "secret1")
    with auth.acting_as("lu", "clerk"):
        panel = TrustPanel()
        qtbot.addWidget(panel)
        assert panel.users_box.isHidden() and not panel.restore_btn.isEnabled()


def test_sign_in_dialog(qtbot, db, messages):
    from app.views.sign_in import SignInDialog

    auth.create_user("boss", "admin", "secret1")
    dialog = SignInDialog()
    qtbot.addWidget(dialog)
    dialog.name.setText("boss")
    dialog.password.setText("wrong!!")
    assert not dialog.try_sign_in() and "不正确" in dialog.message.text()
    dialog.password.setText("secret1")
    assert dialog.try_sign_in() and auth.current().name == "boss"


def test_a_damaged_database_is_not_opened_and_the_newest_backup_is_offered(office, messages, tmp_path):
    from app.models.db import close_database
    from app.views.sign_in import check_before_open

    path = tmp_path / "posdesk.db"
    backups.take("daily")
    close_database()
    data = bytearray(path.read_bytes())
    for i in range(4096 * 2, min(len(data), 4096 * 6)):  # pages of tables and indexes
        data[i] = 0x5A
    path.write_bytes(bytes(data))
    for side in ("-wal", "-shm"):
        (tmp_path / f"posdesk.db{side}").unlink(missing_ok=True)
    assert backups.startup_check(path) != "ok"
    assert check_before_open(path)  # the confirmation is answered yes by the capture
    assert any("未通过完整性检查" in m for m in messages)
    assert backups.startup_check(path) == "ok"
    assert list(tmp_path.glob("posdesk-damaged-*.db"))
    con = sqlite3.connect(path)
    assert con.execute("SELECT COUNT(*) FROM agent").fetchone()[0] == 3
    con.close()


def test_the_window_checks_the_data_before_it_locks(office, db):
    from app.views.month_close import _verified_lock

    con = sqlite3.connect(db.database)
    con.execute('DROP TRIGGER "audit_log_no_del"')
    con.execute("DELETE FROM audit_log WHERE id = 2")
    con.commit()
    con.close()
    with pytest.raises(UserError, match="审计日志第 2 条"):
        _verified_lock(OCT, lambda _p, _t: None)
    from app.core.months import is_locked

    assert not is_locked(OCT)


def test_a_clerk_finds_the_lock_button_disabled_and_says_why(qtbot, office, messages):
    from app.views.month_close import MonthClosePage

    auth.create_user("boss", "admin", "secret1")
    with auth.acting_as("lu", "clerk"):
        page = MonthClosePage()
        qtbot.addWidget(page)
        page.show()
        page.go(4)
        assert page.month == OCT
        assert not page.lock_step.lock_btn.isEnabled()
        assert "无权锁定月份" in page.lock_step.warnings.text()
    with auth.acting_as("cai", "finance"):
        page.go(4)
        assert page.lock_step.lock_btn.isEnabled()
