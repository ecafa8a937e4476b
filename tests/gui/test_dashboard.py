"""工作台 (app/views/dashboard.py) on the small demo: the numbers on the page are the core
services' numbers, and the 考核预警 list holds exactly the terminals it must."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core import dashboard as service
from app.core.agents import add_follow_up
from app.core.money import format_money
from app.models import Agent, Product, Terminal, Txn
from app.views import dashboard
from tests.gui.demo_db import isolate_settings, open_demo_copy


@pytest.fixture
def demo(tmp_path):
    isolate_settings(tmp_path)
    db = open_demo_copy(tmp_path)
    yield db
    db.close()


@pytest.fixture
def page(qtbot, demo, monkeypatch):
    errors: list[str] = []
    monkeypatch.setattr(dashboard, "show_error", lambda _p, exc, title="": errors.append(str(exc)))
    p = dashboard.DashboardPage()
    p.errors = errors
    qtbot.addWidget(p)
    p.resize(1400, 1000)
    p.today.blockSignals(True)
    p.today.set_date(dt.date(2026, 10, 25))
    p.today.blockSignals(False)
    p.show()
    p.refresh()
    wait(qtbot, p)
    return p


def wait(qtbot, page):
    qtbot.waitUntil(lambda: not page.busy and page.data is not None, timeout=60_000)


def test_numbers_equal_the_services(page):
    assert page.month.currentData() == "2026-10"
    s = service.month_summary("2026-10")
    cards = {k: c.value.text() for k, c in page.cards.items()}
    assert cards["volume"] == format_money(s.volume)
    assert cards["activations"] == f"{s.new_activations:,} 台"
    assert cards["activation_rate"] == dashboard.pct(s.activation_rate_ppm)
    assert cards["fake_rate"] == dashboard.pct(s.fake_rate_ppm)
    assert cards["margin"] == format_money(s.agency_margin)
    assert cards["deposits"] == format_money(s.deposits_held)
    assert s.volume > 0 and s.new_activations > 0 and s.agency_margin > 0

    series = service.monthly_series(12, "2026-10")
    bars = page.volume_chart.series()[0].barSets()[0]
    assert [bars.at(i) for i in range(bars.count())] == [round(p.volume / 1_000_000) for p in series]
    line = page.act_chart.series()[0]
    assert [int(line.at(i).y()) for i in range(line.count())] == [p.activations for p in series]

    top, bottom = service.activation_ranking("2026-10")
    assert [r.code for r in page.top_model.all_rows()] == [r.code for r in top]
    assert [r.code for r in page.bottom_model.all_rows()] == [r.code for r in bottom]
    assert not page.errors


def expected_warnings(today: dt.date, days_ahead: int) -> set[str]:
    """Worked out the long way, terminal by terminal, from the stored rows."""
    out = set()
    for t in Terminal.select():
        p = Product.get_by_id(t.product_id)
        act = t.activated_on or t.first_tx_on
        if act is None or not p.qualify_days or p.qualify_volume is None:
            continue
        act = act if isinstance(act, dt.date) else dt.date.fromisoformat(str(act))
        deadline = act + dt.timedelta(days=p.qualify_days - 1)
        if not today <= deadline <= today + dt.timedelta(days=days_ahead):
            continue
        volume = sum(
            x.amount for x in Txn.select().where(
                (Txn.terminal == t.id) & Txn.status.in_(("success", "refund"))
                & (Txn.date >= act) & (Txn.date <= today))
        )
        if volume < p.qualify_volume:
            out.add(t.sn)
    return out


def test_warning_list_holds_the_terminals_it_must(qtbot, page):
    today = dt.date(2026, 10, 25)
    shown = {w.sn for w in page.warn_model.all_rows()}
    assert shown == expected_warnings(today, 7)
    assert "LKL2026000266" in shown  # activated 09-27, window ends 10-26 at ¥15,145.18 of ¥50,000
    w = next(w for w in page.warn_model.all_rows() if w.sn == "LKL2026000266")
    assert (w.days_left, w.holder_code) == (1, "A05")
    page.days.setValue(14)
    wait(qtbot, page)
    qtbot.waitUntil(lambda: {w.sn for w in page.warn_model.all_rows()} == expected_warnings(today, 14),
                    timeout=60_000)
    assert len(page.warn_model.all_rows()) > len(shown)


def test_todays_follow_ups_show(qtbot, page):
    a01 = Agent.get(Agent.code == "A01").id
    add_follow_up(a01, dt.date(2026, 10, 20), "约下周补机具", dt.date(2026, 10, 25))
    page.load()
    qtbot.waitUntil(lambda: not page.busy and len(page.follow_model.all_rows()) == 1, timeout=60_000)
    row = page.follow_model.all_rows()[0]
    assert (row.code, row.overdue_days, row.note) == ("A01", 0, "约下周补机具")
