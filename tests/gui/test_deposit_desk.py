"""Issue 23, defect 7: 押金 is no longer read-only — 收押金 / 退押金 / 没收 from the page,
each with its receipt PDF, listed with the month's figures, and undone while open."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from PySide6.QtCore import QTimer

from app.core import deposit_entries as desk
from app.views import deposit_desk
from app.views.deposits import DepositsPage
from tests.gui.conftest import wait_loaded


@pytest.fixture
def page(qtbot, office_db, tmp_path, messages, monkeypatch):
    monkeypatch.setattr(deposit_desk, "receipts_folder", lambda: tmp_path)
    p = DepositsPage()
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.show()
    wait_loaded(qtbot, p)
    return p


def _enter(page, kind, amount, agent="A2", method_label="现金", cancel=False):
    def fill():
        d = page._dialog
        d.agent.setText(agent)
        d.amount.setText(amount)
        d.method.setCurrentIndex(d.method.findText(method_label))
        d.day.set_date(dt.date(2026, 10, 8))
        if cancel:
            d.reject()
        else:
            d.submit()
            if d.isVisible():  # refused: the error is shown in the dialog
                page.refused = d.error.text()
                d.reject()

    page.refused = ""
    QTimer.singleShot(0, fill)
    return page.desk_entry(kind)


def test_receive_refund_forfeit_with_receipts(qtbot, page, messages):
    got = _enter(page, "receive", "99")
    assert got is not None and got.amount == 9900
    assert page.last_receipt is not None and page.last_receipt.exists()
    text = subprocess.run(["pdftotext", str(page.last_receipt), "-"], capture_output=True,
                          text=True).stdout
    assert "玖拾玖元整" in text and "押金收据" in text
    wait_loaded(qtbot, page)
    assert page.desk_model.rowCount() == 1
    assert "收押金 ¥99.00" in page.desk_figures.text()

    assert _enter(page, "refund", "100") is None  # more than the desk holds for A2
    assert "只有 ¥99.00" in page.refused
    assert _enter(page, "refund", "19.00") is not None
    assert _enter(page, "forfeit", "80") is not None
    wait_loaded(qtbot, page)
    assert page.desk_model.rowCount() == 3
    assert "月末柜台在押现金 ¥0.00" in page.desk_figures.text()

    page.desk_table.selectRow(2)  # the 没收, undone
    page.cancel_entry()
    wait_loaded(qtbot, page)
    assert [e.kind for e in desk.entries()] == ["receive", "refund"]


def test_the_dialog_shows_the_amount_in_words_and_refuses_bad_amounts(qtbot, page):
    dialog = deposit_desk.DepositEntryDialog("receive", "A1", page)
    qtbot.addWidget(dialog)
    dialog.amount.setText("1,234.56")
    assert "壹仟贰佰叁拾肆元伍角陆分" in dialog.words.text()
    dialog.amount.setText("12.345")
    dialog.submit()
    assert dialog.error.text().startswith("金额")
    assert desk.entries() == []
