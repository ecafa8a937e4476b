"""政策 page: history per agent × product, the form with the parent's figures, the 级差
guard's message naming both agents, bulk apply."""

from __future__ import annotations

import datetime as dt

import pytest

from app.models import Agent, Policy
from app.views import policies as view


@pytest.fixture
def page(qtbot, office_db, messages):
    p = view.PoliciesPage()
    qtbot.addWidget(p)
    p.resize(1300, 850)
    p.show()
    return p


def agent_id(code: str) -> int:
    return Agent.get(Agent.code == code).id


def test_history_and_parent_figures(page, qtmodeltester):
    page.select_agent(agent_id("A3"))
    assert page.model.rowCount() == 1
    assert page.model.index(0, 0).data() == "2026-10-01"
    assert page.model.index(0, 1).data() == "0.57%"
    qtmodeltester.check(page.model, force_py=True)
    assert "A2(李秀英)" in page.parent_title.text()
    assert page.parent_model.index(0, 1).data() == "0.55%"
    # the form starts from the latest version, the parent's value in force beside each field
    page.form.day.set_date(dt.date(2026, 11, 1))
    assert page.form.edits["credit_rate"].text() == "0.57%"
    assert page.form.parent_values["credit_rate"].text() == "≥ 0.55%"
    assert page.form.parent_values["cashback"].text() == "≤ 0.00"
    # typed input is echoed back as understood
    page.form.edits["credit_rate"].setText("万56")
    assert page.form.echo["credit_rate"].text() == "= 0.56%"
    page.form.edits["credit_rate"].setText("abc")
    assert "无法识别" in page.form.echo["credit_rate"].text()


def test_negative_spread_is_refused_naming_both_agents(page, messages):
    page.select_agent(agent_id("A3"))
    page.form.day.set_date(dt.date(2026, 11, 1))
    page.form.edits["credit_rate"].setText("0.54%")  # below A2's 0.55 %
    page.save_version()
    text = messages[-1]
    assert "A3(王伟)" in text and "A2(李秀英)" in text and "0.54%" in text and "0.55%" in text
    assert "级差为负" in text
    assert Policy.select().where(Policy.agent == agent_id("A3")).count() == 1


def test_parent_raise_that_undercuts_a_child_is_refused(page, messages):
    page.select_agent(agent_id("A2"))
    page.form.day.set_date(dt.date(2026, 11, 1))
    page.form.edits["credit_rate"].setText("0.58%")  # above its child A3's 0.57 %
    page.save_version()
    assert "A3(王伟)" in messages[-1] and "A2(李秀英)" in messages[-1]


def test_save_a_new_version(page, messages):
    page.select_agent(agent_id("A3"))
    page.form.day.set_date(dt.date(2026, 11, 1))
    page.form.edits["credit_rate"].setText("0.60%")
    page.form.edits["deposit"].setText("99")
    page.save_version()
    assert messages == []
    versions = list(Policy.select().where(Policy.agent == agent_id("A3")).order_by(Policy.effective_from))
    assert [(str(v.effective_from), v.credit_rate, v.deposit) for v in versions] == [
        ("2026-10-01", 5700, 0), ("2026-11-01", 6000, 9900)]
    assert page.model.rowCount() == 2


def test_bulk_apply_to_several_agents(qtbot, page, messages):
    from app.core.terminals import products

    pid = products()[0][0]
    values = page.form.values() | {"credit_rate": "0.60%", "debit_rate": "0.55%", "debit_cap": "25",
                                   "scan_rate": "0.38%", "per_txn": "0"}
    dialog = view.BulkDialog(pid, dt.date(2026, 12, 1), values, page)
    qtbot.addWidget(dialog)
    dialog.check([agent_id("A2"), agent_id("A3")])
    dialog.save()
    assert messages == []
    for code in ("A2", "A3"):
        latest = Policy.select().where(Policy.agent == agent_id(code)).order_by(Policy.effective_from.desc()).get()
        assert (str(latest.effective_from), latest.credit_rate) == ("2026-12-01", 6000)
    # a bulk apply that breaks the guard for one agent saves nothing
    values["credit_rate"] = "0.52%"  # below A1's 0.53 % for A2
    before = Policy.select().count()
    dialog = view.BulkDialog(pid, dt.date(2027, 1, 1), values, page)
    qtbot.addWidget(dialog)
    dialog.check([agent_id("A2")])
    dialog.save()
    assert "A2(李秀英)" in messages[-1] and "A1(张建国)" in messages[-1]
    assert Policy.select().count() == before
