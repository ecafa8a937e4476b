"""对账, 试算 and 补差 pages on the three-level test office (tests/helpers.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core import settlement
from app.models import Adjustment
from tests.helpers import write

POLICY_HEADER = (
    "agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn,"
    "cashback,qualify_bonus,unqualified_penalty,deposit\n"
)
SHOTS = os.environ.get("POSDESK_SHOTS")  # a folder to keep the screenshots in


def shot(widget, tmp_path, name):
    widget.grab().save(str(Path(SHOTS or tmp_path) / f"{name}.png"))


@pytest.fixture
def office(office_db):
    office_db.tx(
        "X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功",
        "X2,2026-10-06 10:00:00,T2,M1,10000.00,贷记卡,成功",
        "X3,2026-10-07 10:00:00,T3,M3,5000.00,扫码,成功",
    )
    return office_db


def test_reconcile_page(qtbot, office, tmp_path, messages):
    from app.views.reconcile import ReconcilePage

    report = write(tmp_path, "对账单.csv", "月份,终端SN,商户编号,分润金额\n2026-10,T1,,10.00\n2026-10,T2,,9.00\n"
                   "2026-10,ZZZ9,,3.00\n")
    page = ReconcilePage()
    qtbot.addWidget(page)
    page.resize(1300, 820)
    page.show()
    page.import_file(report)
    qtbot.waitUntil(lambda: page.result is not None, timeout=60_000)
    assert [ln.status for ln in page.model.all_rows()] == ["matched", "differs", "missing", "unknown"]
    assert "一致 <b>1</b>" in page.totals.text()
    assert page.summary_model.rowCount() == 4
    page.table.selectRow(1)
    assert page.detail_model.rowCount() == 1  # T2's one transaction
    page.status_filter.setCurrentIndex(2)  # 有差异
    assert [ln.sn for ln in page.model.shown_rows()] == ["T2"]
    assert page.write_disputes(tmp_path / "差异明细.xlsx") == 3
    shot(page, tmp_path, "reconcile")


def test_whatif_page(qtbot, office, tmp_path, messages):
    from app.views.whatif import WhatIfPage

    page = WhatIfPage()
    qtbot.addWidget(page)
    page.resize(1300, 820)
    page.show()
    page.month.setCurrentText("2026-10")
    page.load_in_force()
    assert page.grid.rowCount() == 4 and page.grid_rows() == []
    page.grid.item(3, 3).setText("0.56%")  # A3's credit rate 0.57 % → 0.56 %
    page.run_grid()
    qtbot.waitUntil(lambda: page.result is not None, timeout=60_000)
    got = {a.code: a.diff for a in page.model.all_rows()}
    assert got == {"A3": 100, "A2": -100, "A1": 0}  # A3 +1.00, A2 −1.00 (test_whatif)
    assert "未写入任何数据" in page.summary.text()
    assert page.chart.series()
    shot(page, tmp_path, "whatif")
    page.grid.item(3, 3).setText("0.54%")  # below A2's 0.55 %: refused as on import
    page.result = None
    page.run_grid()
    qtbot.waitUntil(lambda: bool(messages), timeout=60_000)
    assert "级差为负" in messages[-1]


def test_resettle_page(qtbot, office, tmp_path, messages):
    from app.views.resettle import ResettlePage

    settlement.lock_month("2026-10")
    fix = write(tmp_path, "更正.csv", POLICY_HEADER + "A3,P1,2026-10-01,0.56%,0.52%,23,0.35%,0,,,,\n")
    page = ResettlePage()
    qtbot.addWidget(page)
    page.resize(1200, 600)
    page.show()
    assert page.month.currentText() == "2026-10"
    page.set_file(fix)
    page.preview()
    qtbot.waitUntil(lambda: page.plan is not None, timeout=60_000)
    assert page.apply_button.isEnabled()
    assert [(ln.agent, ln.pending) for ln in page.model.all_rows()] == [("A2", -100), ("A3", 100)]
    shot(page, tmp_path, "resettle")
    page.apply()
    qtbot.waitUntil(lambda: Adjustment.select().count() == 2, timeout=60_000)
    qtbot.waitUntil(lambda: not page.apply_button.isEnabled(), timeout=60_000)
    assert {a.reason for a in Adjustment.select()} == {"补差 2026-10"}
