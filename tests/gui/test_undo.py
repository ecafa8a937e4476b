"""Issue 23, defect 6: 撤销 (QUndoStack) for edits, moves, policy rows, deposit entries and
imports while their months are open; the action says what it will undo."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QTimer

from app.core import settlement
from app.core.terminals import apply_moves, make_requests
from app.models import Agent, DepositEntry, Policy, Price, Product, Terminal, Txn
from app.views import main_window as mw
from app.views import undo
from tests.gui.conftest import wait_loaded


@pytest.fixture
def window(qtbot, office_db, tmp_path, messages):
    undo.stack().clear()
    w = mw.MainWindow(tmp_path / "posdesk.db")
    qtbot.addWidget(w)
    w.show()
    yield w
    undo.stack().clear()


def fill(page, values):
    def go():
        page.dialog.fields and [page.dialog.fields[k].setText(v) for k, v in values.items()]
        page.dialog.submit()
        if page.dialog.isVisible():
            page.dialog.reject()

    QTimer.singleShot(0, go)


def test_product_and_price_edits_undo_and_redo(qtbot, window):
    page = window.go_to("产品")
    assert window.undo_action.text() == "撤销" and not window.undo_action.isEnabled()
    fill(page, {"code": "P9", "name": "新产品"})
    assert page.new_item() is not None
    assert window.undo_action.text() == "撤销:新增产品 P9"
    assert window.undo_button.isVisible() and "新增产品 P9" in window.undo_button.text()
    undo.undo_last(window)
    assert not Product.select().where(Product.code == "P9").exists()
    assert window.redo_action.isEnabled()
    undo.redo_next(window)
    assert Product.select().where(Product.code == "P9").exists()

    wait_loaded(qtbot, page)
    p1 = next(i for i, p in enumerate(page.model.shown_rows()) if p.code == "P1")
    page.table.selectRow(p1)
    fill(page, {"effective_from": "2026-11-01", "credit_rate": "0.70%", "debit_rate": "0.55%",
                "scan_rate": "0.38%"})
    assert page.add_price() is not None
    assert Price.select().count() == 2
    assert window.undo_action.text() == "撤销:P1 2026-11-01 起的商户费率"
    undo.undo_last(window)
    assert Price.select().count() == 1


def test_policy_version_and_deposit_entry_undo(qtbot, window, monkeypatch, tmp_path):
    policies = window.go_to("政策")
    pid = Product.get(Product.code == "P1").id
    a3 = Agent.get(Agent.code == "A3").id
    policies.select_agent(a3)
    policies.select_product(pid)
    policies.form.day.set_date(dt.date(2026, 11, 1))
    for name, text in (("credit_rate", "0.58%"), ("debit_rate", "0.53%"), ("scan_rate", "0.36%"),
                       ("debit_cap", "23"), ("per_txn", "0")):
        policies.form.edits[name].setText(text)
    before = Policy.select().count()
    policies.save_version()
    assert Policy.select().count() == before + 1
    assert window.undo_action.text() == "撤销:2026-11-01 起的政策版本"
    undo.undo_last(window)
    assert Policy.select().count() == before

    from app.views import deposit_desk

    monkeypatch.setattr(deposit_desk, "receipts_folder", lambda: tmp_path)
    deposits = window.go_to("押金")

    def enter():
        d = deposits._dialog
        d.agent.setText("A2")
        d.amount.setText("99")
        d.day.set_date(dt.date(2026, 10, 8))
        d.submit()

    QTimer.singleShot(0, enter)
    entry = deposits.desk_entry("receive")
    assert entry is not None
    assert window.undo_action.text() == f"撤销:收押金 ¥99.00(收据 {entry.receipt_no})"
    undo.undo_last(window)
    assert DepositEntry.select().count() == 0


def test_moves_and_imports_undo_while_open_and_not_once_locked(qtbot, window, tmp_path, messages):
    a1 = Agent.get(Agent.code == "A1").id
    changes = apply_moves(make_requests(["T3"], "allocate", dt.date(2026, 10, 3), a1))
    assert changes.batch_id is not None
    wizard = window.go_to("交易导入").wizard
    path = tmp_path / "tx.csv"
    path.write_text("tx_id,time,sn,merchant_no,amount,category,status\n"
                    "X1,2026-10-05 10:00:00,T1,M1,1000.00,credit,success\n", encoding="utf-8")
    wizard.add_files([path])
    wait_loaded(qtbot, wizard)
    wizard.go(1)
    wizard.next_step()
    qtbot.waitUntil(lambda: wizard.stack.currentIndex() == 2, timeout=30_000)
    wizard.next_step()
    qtbot.waitUntil(lambda: wizard.stack.currentIndex() == 3, timeout=60_000)
    assert Txn.select().count() == 1
    assert window.undo_action.text() == "撤销:导入 tx.csv"
    undo.undo_last(window)
    assert Txn.select().count() == 0

    # a move pushed by the 机具 page's dialog is undone the same way (its batch)
    from app.core.imports import undo_batch

    undo.push("下发 T3 等 1 台机具", lambda: undo_batch(changes.batch_id))
    settlement.lock_month("2026-10")
    n = len(messages)
    assert undo.undo_last(window) is None  # its month is locked now: refused, stack kept
    assert "无法撤销「下发 T3 等 1 台机具」" in messages[n]
    assert window.undo_action.text() == "撤销:下发 T3 等 1 台机具"
    assert Terminal.get(Terminal.sn == "T3").id


def test_agent_edit_and_move_undo(qtbot, window):
    from app.core import agents as svc
    from app.views.agents import AgentDialog, MoveDialog

    a3 = Agent.get(Agent.code == "A3").id
    dialog = AgentDialog(window, a3)
    qtbot.addWidget(dialog)
    dialog.name.setText("王伟伟")
    dialog.save()
    assert Agent.get_by_id(a3).name == "王伟伟"
    assert window.undo_action.text() == "撤销:修改代理 A3 王伟"
    undo.undo_last(window)
    assert Agent.get_by_id(a3).name == "王伟"

    a1 = Agent.get(Agent.code == "A1").id
    move = MoveDialog(a3, window)
    qtbot.addWidget(move)
    move.select(a1)
    move.save()
    assert Agent.get_by_id(a3).parent_id == a1
    undo.undo_last(window)
    assert Agent.get_by_id(a3).parent_id == Agent.get(Agent.code == "A2").id
    assert svc.agent_form(a3).parent_id == Agent.get(Agent.code == "A2").id
