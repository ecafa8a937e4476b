"""月结 wizard (app/views/month_close.py) driven through a full close of the small demo's
2026-10: checks, compute, drill-down, 调账, lock (which then refuses changes), print."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter

from app.core import closing, settlement
from app.core.errors import UserError
from app.core.money import format_money
from app.core.months import is_locked
from app.views import month_close
from app.views.table_model import ROW_ROLE
from tests.gui.demo_db import isolate_settings, open_demo_copy

MONTH = "2026-10"


@pytest.fixture
def demo(tmp_path):
    isolate_settings(tmp_path)
    db = open_demo_copy(tmp_path)
    yield db
    db.close()


@pytest.fixture
def infos(monkeypatch):
    """Message boxes are recorded instead of shown (they would block the test)."""
    shown: list[str] = []
    monkeypatch.setattr(month_close, "show_info", lambda _p, text, title="完成": shown.append(text))
    errors: list[str] = []
    monkeypatch.setattr(month_close, "show_error", lambda _p, exc, title="": errors.append(str(exc)))
    return shown, errors


@pytest.fixture
def page(qtbot, demo, infos):
    p = month_close.MonthClosePage()
    qtbot.addWidget(p)
    p.resize(1300, 850)
    p.show()
    p.refresh()
    return p


def wait_idle(qtbot, page, timeout=30_000):
    qtbot.waitUntil(lambda: not page.busy, timeout=timeout)


def next_step(qtbot, page):
    assert page.next_btn.isEnabled()
    qtbot.mouseClick(page.next_btn, Qt.MouseButton.LeftButton)


def select_row(table, pred):
    model = table.model()
    for r in range(model.rowCount()):
        obj = model.index(r, 0).data(ROW_ROLE)
        if pred(obj):
            table.selectRow(r)
            table.setCurrentIndex(model.index(r, 0))
            return obj
    raise AssertionError("row not found")


def test_full_close_of_the_demo_month(qtbot, page, infos, tmp_path, monkeypatch):
    shown, errors = infos
    # 1 选择月份: the earliest open month is offered
    assert page.current_step() == 0
    assert page.month == MONTH
    assert "已计算" in page.month_step.state.text()

    # 2 检查: the same counts as the service, details behind each
    next_step(qtbot, page)
    wait_idle(qtbot, page)
    checks = page.checks_step.checks
    expected = closing.readiness_checks(MONTH)
    assert [(c.key, c.count, c.ok) for c in checks] == [(c.key, c.count, c.ok) for c in expected]
    orphans = next(c for c in checks if c.key == "orphans")
    assert orphans.count > 0  # the demo's stock terminals trade for the agency
    page.checks_step.show_detail(orphans)
    assert page.dialog is not None and page.dialog.model.rowCount() == orphans.count
    page.dialog.close()

    # 3 计算: in the background, with progress
    next_step(qtbot, page)
    assert page.current_step() == 2
    qtbot.mouseClick(page.compute_step.compute_btn, Qt.MouseButton.LeftButton)
    assert page.compute_step.progress.isVisible()
    wait_idle(qtbot, page)
    assert "已计算" in page.compute_step.result.text()

    # 4 审核: agent table, highlight, drill-down, adjustment
    next_step(qtbot, page)
    review = page.review_step
    rows = closing.month_review(MONTH)
    assert review.model.rowCount() == len(rows)
    moved = [r for r in rows if r.moved(30)]
    assert moved
    r0 = review.model.shown_rows().index(moved[0])
    assert review.model.index(r0, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    review.only_moved.setChecked(True)
    assert review.model.rowCount() == len(moved)
    review.only_moved.setChecked(False)

    select_row(review.table, lambda r: r.code == "A01")
    line = select_row(review.lines, lambda ln: ln.kind == "credit" and ln.product_code == "P01")
    dialog = review.drill()
    assert dialog is not None
    txns = dialog.model.all_rows()
    assert len(txns) == line.count
    assert sum(t.amount for t in txns) == line.volume
    assert round(sum(t.share_micro for t in txns) / 1_000_000) == line.amount
    dialog.close()
    item_line = select_row(review.lines, lambda ln: ln.kind == "cashback")
    dialog = review.drill()
    assert dialog is not None
    assert sum(i.amount for i in dialog.model.all_rows()) == item_line.amount
    dialog.close()

    before = next(r for r in closing.month_review(MONTH) if r.code == "A01")
    adj = review.adjust()
    assert adj is not None
    adj.amount.setText("-12.34")
    adj.reason.setText("测试:机具款扣回")
    assert "扣款 -¥12.34" in adj.echo.text()
    adj.save()
    assert any("计入 2026年10月" in s for s in shown)
    wait_idle(qtbot, page)
    after = next(r for r in closing.month_review(MONTH) if r.code == "A01")
    assert after.gross == before.gross - 1234
    lines = [ln for ln in review.lines_model.all_rows() if ln.kind == "adjustment"]
    assert any(ln.amount == -1234 and ln.note == "测试:机具款扣回" for ln in lines)

    # 5 锁定: the confirmation names the totals
    next_step(qtbot, page)
    asked: list[str] = []
    monkeypatch.setattr(page, "ask_confirm", lambda text, title: asked.append(text) or True)
    totals = closing.month_totals(MONTH)
    assert page.lock_step.lock_btn.isEnabled()
    qtbot.mouseClick(page.lock_step.lock_btn, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page)
    assert is_locked(MONTH)
    assert format_money(totals.payable) in asked[0] and format_money(totals.gross) in asked[0]
    assert f"分润单 {totals.statements} 张" in asked[0]
    assert not page.lock_step.lock_btn.isEnabled()
    assert not errors

    # 6 打印: preview in the window, print selected / all, PDFs and the payout list
    next_step(qtbot, page)
    printing = page.print_step
    n_slips = printing.model.rowCount()
    assert n_slips >= len([r for r in rows if r.gross or r.payable]) - 1
    assert printing.doc.pageCount() >= 1
    printed: list[list[Path]] = []
    monkeypatch.setattr(page, "print_paths", lambda paths: printed.append(list(paths)))
    printing.table.selectAll()
    qtbot.mouseClick(printing.print_sel, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page)
    assert len(printed[0]) == n_slips and all(p.is_file() for p in printed[0])
    qtbot.mouseClick(printing.print_all, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page)
    assert len(printed[1]) == 1 and printed[1][0].name.endswith("全部分润单.pdf")

    out = tmp_path / "pdf"
    out.mkdir()
    monkeypatch.setattr(page, "ask_directory", lambda title: str(out))
    page.pdf_processes = 1
    qtbot.mouseClick(printing.export_pdf, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page, timeout=120_000)
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == n_slips + 2  # one per agent, all in one, the summary
    assert any(p.name == f"{MONTH}_全部分润单.pdf" for p in pdfs)

    payout = tmp_path / "payout.xlsx"
    monkeypatch.setattr(page, "ask_save_path", lambda *a: str(payout))
    qtbot.mouseClick(printing.export_payout, Qt.MouseButton.LeftButton)
    assert payout.is_file()
    assert not errors


def test_lock_refuses_further_changes(qtbot, page, infos, monkeypatch):
    shown, errors = infos
    monkeypatch.setattr(page, "ask_confirm", lambda text, title: True)
    page.go(4)
    qtbot.mouseClick(page.lock_step.lock_btn, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page)
    assert is_locked(MONTH)
    # the wizard no longer computes the month
    page.go(2)
    assert not page.compute_step.compute_btn.isEnabled()
    with pytest.raises(UserError, match="已锁定"):
        settlement.compute_month(MONTH)
    # an adjustment made from the review lands in the next open month, and says so
    page.go(3)
    review = page.review_step
    select_row(review.table, lambda r: r.code == "A01")
    before = settlement.statement_json(MONTH)
    adj = review.adjust()
    assert "已锁定" in "".join(lbl.text() for lbl in adj.findChildren(month_close.QLabel))
    adj.amount.setText("50")
    adj.reason.setText("迟到的补贴")
    adj.save()
    assert any("2026年10月已锁定,该月的调账计入 2026年11月" in s for s in shown)
    wait_idle(qtbot, page)
    assert settlement.statement_json(MONTH) == before
    lines = closing.statement_lines("2026-11", "A01")
    assert [ln.note for ln in lines if ln.kind == "adjustment"] == ["迟到的补贴(原属2026年10月)"]
    # locking again is not offered
    page.go(4)
    assert not page.lock_step.lock_btn.isEnabled()
    assert not errors


def test_lock_is_blocked_while_an_earlier_month_is_open(qtbot, page, infos):
    _shown, errors = infos
    page.month_step.combo.setCurrentIndex(page.month_step.combo.findData("2026-11"))
    assert page.month in ("2026-11",) or page.month_step.combo.findData("2026-11") < 0
    if page.month_step.combo.findData("2026-11") < 0:
        # no data in 2026-11 yet: an adjustment creates it
        closing.add_adjustment("A01", "P01", "2026-11", 100, "测试")
        page.refresh()
        page.month_step.combo.setCurrentIndex(page.month_step.combo.findData("2026-11"))
    page.go(1)
    wait_idle(qtbot, page)
    blocking = [c for c in page.checks_step.checks if c.blocking and not c.ok]
    assert [c.key for c in blocking] == ["open_months"]
    page.go(2)
    qtbot.mouseClick(page.compute_step.compute_btn, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page)
    page.go(4)
    assert not page.lock_step.lock_btn.isEnabled()
    assert "2026年10月尚未锁定" in page.lock_step.warnings.text()
    assert not errors


def test_cancelled_compute_changes_nothing(qtbot, page, infos):
    page.go(2)
    before = settlement.statement_json(MONTH)
    stamp = closing.month_totals(MONTH).computed_at
    step = page.compute_step
    step.run()
    step.progress.cancel()
    wait_idle(qtbot, page)
    text = step.result.text()
    if "取消" in text:  # the cancel arrived in time
        assert closing.month_totals(MONTH).computed_at == stamp
    assert settlement.statement_json(MONTH) == before


def test_print_preview_paints_the_slip_pages(qtbot, page, infos, tmp_path):
    page.go(5)
    printing = page.print_step
    assert printing.preview_path is not None and printing.preview_path.is_file()
    from app.views.slip_preview import make_printer, page_count, paint_pdfs

    printer = make_printer()
    out = tmp_path / "printed.pdf"
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(out))
    pages = paint_pdfs(printer, [printing.preview_path, printing.preview_path])
    assert pages == 2 * page_count(printing.preview_path)
    assert out.is_file() and out.stat().st_size > 10_000
    printing.preview_agents(None if False else [printing.model.row_at(0).id])
    wait_idle(qtbot, page)
    assert page.last_preview is not None
    page.last_preview.close()


def test_any_table_exports_to_xlsx(qtbot, page, tmp_path):
    from openpyxl import load_workbook

    from app.views.table_export import export_model

    page.go(3)
    model = page.review_step.model
    path = tmp_path / "review.xlsx"
    assert export_model(model, path, sheet="月结审核") == model.rowCount()
    ws = load_workbook(path).active
    assert [c.value for c in ws[1]][:3] == ["代理编号", "代理名称", "合计"]
    assert ws["A2"].value == model.index(0, 0).data()
    assert ws.cell(row=2, column=3).value == model.index(0, 2).data()  # ¥… as shown


def test_the_lock_step_locks_through_the_service_and_shows_its_refusal(qtbot, page, infos, monkeypatch):
    """Past the wizard's own check (the button forced), the one lock service refuses an
    out-of-order lock; the window shows its Chinese message and locks nothing."""
    _shown, errors = infos
    calls: list[str] = []
    real_lock = closing.lock
    monkeypatch.setattr(closing, "lock", lambda m, progress=None: calls.append(m) or real_lock(m, progress))
    monkeypatch.setattr(page, "ask_confirm", lambda text, title: True)
    closing.add_adjustment("A01", "P01", "2026-11", 100, "测试")
    page.refresh()
    page.month_step.combo.setCurrentIndex(page.month_step.combo.findData("2026-11"))
    page.go(4)
    page.lock_step.lock()  # as if the button were pressed
    wait_idle(qtbot, page)
    assert calls == ["2026-11"]
    assert len(errors) == 1 and "2026年10月尚未锁定" in errors[0] and "2026-10" in errors[0]
    assert not is_locked("2026-11") and not is_locked(MONTH)
