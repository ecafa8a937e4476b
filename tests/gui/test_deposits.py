"""押金 page on the small demo: per-agent ledger, filters, totals, per-terminal details."""

from __future__ import annotations

import pytest
from peewee import fn

from app.core.money import format_money
from app.models import Deposit
from app.views import deposits as view
from tests.gui.conftest import wait_loaded


@pytest.fixture
def page(qtbot, demo_copy, messages):
    p = view.DepositsPage()
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    wait_loaded(qtbot, p)
    return p


def test_ledger_totals_match_the_deposit_table(qtbot, page, qtmodeltester):
    qtmodeltester.check(page.model, force_py=True)
    rows = page.model.all_rows()
    total = Deposit.select(fn.SUM(Deposit.amount)).where(Deposit.amount > 0).scalar()
    assert sum(r.owed for r in rows) == total
    for r in rows:
        assert r.owed == r.deducted + r.cash == r.refunded + r.forfeited + r.held
    held = Deposit.select(fn.SUM(Deposit.amount)).where(Deposit.state == "held").scalar()
    assert f"仍持有 <b>{format_money(held)}</b>" in page.totals.text()


def test_filters_and_details(qtbot, page):
    first = page.model.row_at(0)
    page.search.setText(first.code)
    page.apply_filter()
    assert all(first.code in r.code or first.code in r.name for r in page.model.shown_rows())
    page.table.selectRow(0)
    assert page.detail_model.rowCount() == first.terminals
    assert sum(d.amount for d in page.detail_model.all_rows()) == first.owed
    page.search.setText("")
    page.only_held.setChecked(True)
    assert all(r.held > 0 for r in page.model.shown_rows())
    product = page.product.itemData(1)
    page.product.setCurrentIndex(1)
    wait_loaded(qtbot, page)
    expected = Deposit.select(fn.SUM(Deposit.amount)).where((Deposit.product == product) & (Deposit.amount > 0)).scalar() or 0
    assert sum(r.owed for r in page.model.all_rows()) == expected
