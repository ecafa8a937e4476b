"""A locked month's slips come from what was locked (app.core.freeze, migration 8): the
agent's name, bank, tax rate and payout rule — and the agency's name, the products' names
and the team figures — are frozen at the lock, so a reprint is byte-identical for ever."""

from __future__ import annotations

import dataclasses

import pytest

from app.core import closing
from app.core.agents import agent_form, update_agent
from app.core.freeze import frozen
from app.core.months import set_setting
from app.io.slips import render_batch, render_slip, slip_data
from app.models import Agent, Product
from tests.helpers import POLICIES, Office

AGENTS = """\
code,name,parent,status,payout,tax_rate,bank,bank_account
A1,张建国,,正常,直结,0,中国银行杭州分行,6216600000000001
A2,李秀英,A1,正常,直结,0,工商银行西湖支行,6222000000000002
A3,王伟,A2,正常,直结,6%,农业银行文三路支行,6228480000000003
"""


@pytest.fixture
def locked(db, tmp_path):
    office = Office(tmp_path).base(agents=AGENTS, policies=POLICIES)
    # October: T1 (A3) credit 10,000.00 → A3 0.60 − 0.57 % = 3.00 元
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    closing.lock("2026-10")
    office.tx("X2,2026-11-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    office.compute("2026-11")
    return office


def _edit_everything():
    """Rename A3, change its bank, account, tax rate and payout rule; rename its parent,
    the agency and the product."""
    a3 = Agent.get(Agent.code == "A3")
    form = dataclasses.replace(
        agent_form(a3.id), name="王伟伟", bank="建设银行滨江支行",
        bank_account="6217000000000099", tax_rate="10%", payout="via_parent",
    )
    update_agent(a3.id, form)
    a2 = Agent.get(Agent.code == "A2")
    update_agent(a2.id, dataclasses.replace(agent_form(a2.id), name="李秀英改"))
    set_setting("agency_name", "改名后的机构")
    Product.update(name="改名的产品").where(Product.code == "P1").execute()


def test_locked_slip_is_byte_identical_after_the_agent_is_edited(locked, tmp_path):
    before = slip_data("2026-10", "A3")
    assert (before.agent_name, before.bank, before.tax_rate_ppm) == ("王伟", "农业银行文三路支行", 60_000)
    assert before.payout_label.startswith("直结")
    render_slip(before, tmp_path / "before.pdf", locked=True)
    batch_before = render_batch("2026-10", tmp_path / "b1", processes=1)
    _edit_everything()
    after = slip_data("2026-10", "A3")
    assert after == before  # every field the slip shows
    render_slip(after, tmp_path / "after.pdf", locked=True)
    assert (tmp_path / "after.pdf").read_bytes() == (tmp_path / "before.pdf").read_bytes()
    batch_after = render_batch("2026-10", tmp_path / "b2", processes=1)
    names = sorted(p.name for p in batch_before.files)
    assert names == sorted(p.name for p in batch_after.files)  # file names keep the old name
    for one, two in zip(sorted(batch_before.files), sorted(batch_after.files), strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name
    assert batch_before.combined.read_bytes() == batch_after.combined.read_bytes()
    # the open month shows the agent as it is now
    november = slip_data("2026-11", "A3")
    assert (november.agent_name, november.bank, november.tax_rate_ppm) == (
        "王伟伟", "建设银行滨江支行", 100_000)


def test_the_freeze_is_written_by_the_lock(locked):
    fz = frozen("2026-10")
    assert fz is not None and frozen("2026-11") is None
    by_code = {row[1]: row for row in fz.agents}
    assert by_code["A3"][2] == "王伟" and by_code["A3"][9] == "农业银行文三路支行"
    assert fz.settings["agency_name"] == "测试机构"
    a3 = Agent.get(Agent.code == "A3").id
    assert fz.team[a3].held == 1  # T1
    assert [d.agent_id for d in fz.team[Agent.get(Agent.code == "A2").id].downlines] == [a3]


def test_migration_freezes_months_locked_by_an_older_version(locked, db):
    import importlib

    from app.io.slips import MonthSnapshot

    # a database of an older version: no frozen documents, and none of migration 15's
    # triggers that keep a locked month's document
    for event in ("ins", "upd", "del"):
        db.execute_sql(f'DROP TRIGGER "lock_freeze_lock_{event}"')
    db.execute_sql("DELETE FROM lock_freeze")
    assert frozen("2026-10") is None
    importlib.import_module("app.models.migrations.0008_lock_freeze").migrate(db)
    fz = frozen("2026-10")
    assert fz is not None and fz.team is None  # figures still worked out at print time
    assert {row[1]: row[2] for row in fz.agents}["A3"] == "王伟"
    before = slip_data("2026-10", "A3")
    _edit_everything()
    assert slip_data("2026-10", "A3").agent_name == before.agent_name == "王伟"
    assert MonthSnapshot("2026-10").team  # live figures
