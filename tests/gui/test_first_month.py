"""Issue 23, defect 1: a brand-new office through the window alone — agency, product and
price list on the 产品 page, policies on the 政策 page, agents / terminals / moves /
transactions imported from the wizard's own templates, compute, lock, print — with the
工作台 checklist following every step."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QTimer

from app.core import first_month
from app.models import Product, Statement, Txn
from app.views import main_window as mw
from tests.gui.conftest import wait_loaded


def fill_dialog(page, values: dict[str, str]) -> None:
    """Fill the form dialog the page is about to open, then save it."""

    def fill():
        dialog = page.dialog
        for key, text in values.items():
            dialog.fields[key].setText(text)
        dialog.submit()
        if dialog.isVisible():  # refused: keep the message for the assertion
            page.refused = dialog.error.text()
            dialog.reject()

    page.refused = ""
    QTimer.singleShot(0, fill)


def template(wizard, kind: str, folder, rows: list[list[str]]):
    """The wizard's template of ``kind`` with its example row replaced by ``rows``."""
    path = wizard.save_template(kind, folder / f"{kind}.xlsx")
    book = load_workbook(path)
    sheet = book.worksheets[0]
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def import_through_wizard(qtbot, wizard, path) -> str:
    wizard.restart()
    wizard.add_files([path])
    wait_loaded(qtbot, wizard)
    wizard.go(1)
    wizard.next_step()  # 检查
    qtbot.waitUntil(lambda: wizard.stack.currentIndex() == 2, timeout=30_000)
    assert wizard.errors_model.rowCount() == 0, [r for r in wizard.errors_model.all_rows()]
    wizard.next_step()  # 导入
    qtbot.waitUntil(lambda: wizard.stack.currentIndex() == 3, timeout=60_000)
    return wizard.report_text.toPlainText()


def done_steps(window) -> list[str]:
    dash = window.go_to("工作台")
    dash.refresh()
    return [s.key for s in dash.checklist.steps if s.done]


@pytest.mark.slow
def test_a_new_office_through_the_window_alone(qtbot, db, tmp_path, messages, monkeypatch):
    from app.views import welcome

    window = mw.MainWindow(tmp_path / "posdesk.db")
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    dash = window.current_page()
    assert dash.checklist.isVisible() and done_steps(window) == []

    # 1 the agency
    dialog = welcome.WelcomeDialog(window)
    qtbot.addWidget(dialog)
    dialog.name.setText("新开支付服务部")
    dialog.min_payout.setText("0")
    dialog._create()
    assert done_steps(window) == ["agency"]

    # 2 a product, 3 its price list
    products = window.go_to("产品")
    fill_dialog(products, {"code": "P01", "name": "拉卡拉电签", "company": "拉卡拉",
                           "activation_min": "1.00"})
    assert products.new_item() is not None, products.refused
    wait_loaded(qtbot, products)
    assert products.model.rowCount() == 1
    products.table.selectRow(0)
    fill_dialog(products, {"effective_from": "2026-10-01", "credit_rate": "0.60%",
                           "debit_rate": "0.55%", "debit_cap": "25", "scan_rate": "0.38%"})
    assert products.add_price() is not None, products.refused
    wait_loaded(qtbot, products)
    assert products.price_model.rowCount() == 1
    assert done_steps(window) == ["agency", "product", "prices"]

    # agents from the template (the policies need them)
    wizard = window.go_to("交易导入").wizard
    folder = tmp_path / "files"
    folder.mkdir()
    report = import_through_wizard(qtbot, wizard, template(wizard, "agents", folder, [
        ["A01", "张建国", "", "正常", "", "", "直结", "0"],
        ["A02", "李秀英", "A01", "正常", "", "", "直结", "0"],
    ]))
    assert "新增 2 行" in report

    # 4 policies on the 政策 page: the agency's cost, then each agent one step above
    policies = window.go_to("政策")
    pid = Product.get(Product.code == "P01").id
    for agent, (credit, debit, scan) in ((None, ("0.50%", "0.45%", "0.30%")),
                                         ("A01", ("0.53%", "0.48%", "0.32%")),
                                         ("A02", ("0.55%", "0.50%", "0.34%"))):
        from app.models import Agent

        policies.select_agent(None if agent is None else Agent.get(Agent.code == agent).id)
        policies.select_product(pid)
        policies.form.day.set_date(dt.date(2026, 10, 1))
        policies.form.fill(None)
        for name, text in (("credit_rate", credit), ("debit_rate", debit), ("scan_rate", scan),
                           ("debit_cap", "20"), ("per_txn", "0"), ("cashback", "0"),
                           ("deposit", "0")):
            if name in policies.form.edits:
                policies.form.edits[name].setText(text)
        policies.save_version()
    assert not [m for m in messages if "未保存" in m or "错误" in m], messages
    assert "policies" in done_steps(window)

    # 5–7 terminals, moves and transactions from the templates
    wizard = window.go_to("交易导入").wizard
    assert "新增 2 行" in import_through_wizard(qtbot, wizard, template(wizard, "terminals", folder, [
        ["LKL0001", "P01", "2026-09-20"], ["LKL0002", "P01", "2026-09-20"]]))
    assert "新增 2 行" in import_through_wizard(qtbot, wizard, template(wizard, "moves", folder, [
        ["LKL0001", "2026-10-01", "下发", "A02", "分润扣除"],
        ["LKL0002", "2026-10-01", "下发", "A01", "分润扣除"]]))
    assert "新增 3 行" in import_through_wizard(qtbot, wizard, template(wizard, "transactions", folder, [
        ["T1", "2026-10-05 10:00:00", "LKL0001", "M1", "10000.00", "贷记卡", "成功"],
        ["T2", "2026-10-06 11:00:00", "LKL0002", "M2", "2000.00", "借记卡", "成功"],
        ["T3", "2026-10-07 12:00:00", "LKL0001", "M1", "500.00", "扫码", "成功"]]))
    assert Txn.select().count() == 3
    assert done_steps(window)[-1] == "transactions"

    # 8 compute, 9 lock, 10 print — in the 月结 wizard
    close = window.go_to("月结")
    close.refresh()
    assert close.month == "2026-10"
    close.compute_step.run()
    qtbot.waitUntil(lambda: not close.busy, timeout=120_000)
    assert Statement.select().where(Statement.month == "2026-10").count() == 2
    monkeypatch.setattr(close, "ask_confirm", lambda text, title: True)
    close.lock_step.lock()
    qtbot.waitUntil(lambda: not close.busy, timeout=120_000)
    printed: list = []
    monkeypatch.setattr(close, "print_paths", lambda paths: printed.extend(paths))
    close.print_step.print_agents(None)
    qtbot.waitUntil(lambda: bool(printed) and not close.busy, timeout=120_000)
    assert all(p.exists() for p in printed)
    assert first_month.is_complete()
    dash = window.go_to("工作台")
    dash.refresh()
    assert not dash.checklist.isVisible()
