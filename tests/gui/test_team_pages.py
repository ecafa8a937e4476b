"""团队, 商户 and 工单 pages on the small demo (which has a team): tables, drill-down, plan
and tier editor, 交接 of several merchants, new / resolve / rate a ticket."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from app.core import settlement, staff_pay, team_desk
from app.views import merchants as merchants_view
from app.views import team as team_view
from app.views import tickets as tickets_view

SHOTS = os.environ.get("POSDESK_SHOTS")  # a folder: save screenshots there


def _shot(widget, name: str) -> None:
    if SHOTS:
        widget.grab().save(str(Path(SHOTS) / name))


def test_team_page_commission_and_drill_down(qtbot, demo_copy, messages, qtmodeltester):
    page = team_view.TeamPage()
    qtbot.addWidget(page)
    page.resize(1300, 760)
    page.month.setText("2026-10")
    page.refresh()
    page.show()
    page.tabs.setCurrentIndex(2)
    qtmodeltester.check(page.pay_model, force_py=True)
    rows = page.pay_model.all_rows()
    assert rows == staff_pay.staff_json("2026-10")["staff"] and rows
    assert "应发提成合计" in page.total.text()
    _shot(page, "team.png")
    # the volume drill-down of a sales member sums to the volume its line was priced on
    sales = next(r for r in rows if r["code"].startswith("S") and r["volume"])
    headers, detail = team_desk.drill_down("2026-10", sales["code"], "volume")
    assert sum(r[2] for r in detail) == sales["volume"]
    headers, detail = team_desk.drill_down("2026-10", sales["code"], "activation")
    assert len(detail) == sales["activations"]
    service = next(r for r in rows if r["code"] == "C01")
    _h, detail = team_desk.drill_down("2026-10", "C01", "ticket")
    assert len(detail) == service["tickets_resolved"]


def test_tier_editor_and_plan_dialog(qtbot, demo_copy, messages):
    dlg = team_view.TierEditor("resolution", "90%:300;80%:150")
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 2
    dlg._add("0.7", "50")
    assert dlg.tiers_text() == "90%:300;80%:150;70%:50"
    plan = team_view.PlanDialog()
    qtbot.addWidget(plan)
    plan.target.setCurrentText("C02")
    plan.month.setText("2026-11")
    plan.fields["base"].setText("3600")
    plan.tiers["resolution"].setText("90%：300；80%：150")
    plan.save()
    assert not messages
    assert any(p.target.startswith("C02") and p.effective_month == "2026-11" and p.base == 360000
               and p.resolution_tiers == "90%:300;80%:150" for p in team_desk.plans())
    bad = team_view.PlanDialog()
    qtbot.addWidget(bad)
    bad.tiers["resolution"].setText("90%:300;80%")
    bad.save()
    assert messages and "80%" in messages[-1]


def test_merchants_page_handover_of_several(qtbot, demo_copy, messages, qtmodeltester):
    page = merchants_view.MerchantsPage()
    qtbot.addWidget(page)
    page.resize(1300, 800)
    page.month.setText("2026-10")
    page.refresh()
    page.show()
    qtmodeltester.check(page.model, force_py=True)
    rows = page.model.all_rows()
    assert len(rows) > 100 and all(r.owner for r in rows[:20])
    page.table.selectRow(0)
    page.show_details()
    _shot(page, "merchants.png")
    ids = [rows[0].id, rows[1].id]
    target = team_desk.active_members(dt.date(2026, 10, 20))[-1]
    dlg = merchants_view.HandoverDialog(ids)
    qtbot.addWidget(dlg)
    dlg.member.setCurrentIndex(dlg.member.findData(target[0]))
    dlg.day.set_date(dt.date.today())
    dlg.save()
    assert not messages
    page.refresh()
    after = {r.id: r for r in page.model.all_rows()}
    assert after[ids[0]].owner == after[ids[1]].owner == target[1]
    assert len(team_desk.owner_history(ids[0])) >= 2  # the history is kept


def test_tickets_page_filters_new_resolve_rate(qtbot, demo_copy, messages, qtmodeltester):
    page = tickets_view.TicketsPage()
    qtbot.addWidget(page)
    page.resize(1300, 760)
    page.show()
    qtmodeltester.check(page.model, force_py=True)
    assert page.model.all_rows()
    page.state.setCurrentText("处理中")
    assert all(not r.resolved for r in page.model.shown_rows())
    page.state.setCurrentText("全部状态")
    _shot(page, "tickets.png")
    dlg = tickets_view.NewTicketDialog()
    qtbot.addWidget(dlg)
    dlg.no.setText("T-NEW-1")
    dlg.save()
    assert not messages
    page.refresh()
    new = next(r for r in page.model.all_rows() if r.ticket_no == "T-NEW-1")
    assert new.state == "处理中"
    resolve = tickets_view.ResolveDialog(new)
    qtbot.addWidget(resolve)
    resolve.save()
    assert not messages
    team_desk.rate_ticket(new.id, 5)
    page.refresh()
    done = next(r for r in page.model.all_rows() if r.ticket_no == "T-NEW-1")
    assert (done.state, done.rating) == ("已解决", 5)
    # the month compute still works with the new ticket
    settlement.compute_month(done.opened[:7])
