"""商户维护 and 商户分析 pages on a small hand-made office: tags, filters, 今日回访 with contact
logging, tickets with the overdue ones first, manual tags, history, charts and export."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

pytest.importorskip("app.models.team", reason="the team tables (staff, merchants, tickets) are not there")
from app.models import Contact, Merchant, MerchantOwner, Product, StaffMember, Terminal, Ticket, Txn  # noqa: E402
from tests.gui.conftest import wait_loaded

_ids = itertools.count(1)
TODAY = dt.date.today()


@pytest.fixture
def shop(db):
    p = Product.create(code="P1", name="电签")
    t = Terminal.create(sn="T1", product=p, stocked_on=dt.date(2026, 1, 1), activated_on=dt.date(2026, 8, 1))
    li = StaffMember.create(code="S01", name="李娜", role="sales")
    wang = StaffMember.create(code="S02", name="王强", role="service")

    def tx(m, day, amount=1000):
        n = next(_ids)
        Txn.create(tx_id=f"G{n}", terminal=t, product=p, time=f"{day} 10:00:00", date=day, month=day[:7],
                   amount=amount, category="credit", status="success", merchant_no=m)

    # LOYAL flat in 09–11 · GROW doubles in 11 · SLIP falls to a third · GONE stops in 09 ·
    # FRESH starts in 11
    for m, vols in (("LOYAL", (1000, 1000, 1000)), ("GROW", (1000, 1000, 3000)), ("SLIP", (3000, 3000, 900)),
                    ("GONE", (1000, 0, 0)), ("FRESH", (0, 0, 500))):
        for month, v in zip(("2026-09", "2026-10", "2026-11"), vols, strict=True):
            if v:
                tx(m, f"{month}-25", v)
    for no, owner in (("LOYAL", li), ("GROW", li), ("SLIP", wang)):
        m = Merchant.create(merchant_no=no, name=f"{no}小店")
        MerchantOwner.create(merchant=m, staff=owner, effective_from="2026-01-01")
    Contact.create(merchant=Merchant.get(merchant_no="GROW"), date="2026-11-26", staff=li, channel="电话",
                   summary="问候", next_date=(TODAY + dt.timedelta(days=30)).isoformat())
    now = dt.datetime.now().replace(microsecond=0)
    Ticket.create(ticket_no="K-LATE", opened=(now - dt.timedelta(hours=30)).isoformat(" "), type="fault",
                  staff=wang, merchant=Merchant.get(merchant_no="SLIP"), sn="T1")
    Ticket.create(ticket_no="K-OPEN", opened=(now - dt.timedelta(hours=1)).isoformat(" "), type="fault",
                  staff=wang)
    Ticket.create(ticket_no="K-DONE", opened="2026-11-20 09:00:00", type="inquiry", staff=wang,
                  merchant=Merchant.get(merchant_no="LOYAL"), resolved="2026-11-20 10:00:00",
                  outcome="resolved", rating=5)
    return {"li": li, "wang": wang}


@pytest.fixture
def page(qtbot, shop, messages):
    from app.views.merchant_care import MerchantCarePage

    p = MerchantCarePage()
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    wait_loaded(qtbot, p)
    return p


def test_list_shows_each_merchants_tag_and_filters(qtbot, page, qtmodeltester):
    qtmodeltester.check(page.model, force_py=True)
    assert page.month == "2026-11"
    tags = {r.merchant_no: r.tag for r in page.model.all_rows()}
    assert tags == {"LOYAL": "loyal", "GROW": "growing", "SLIP": "churn_risk", "GONE": "dormant", "FRESH": "new"}
    page.tag_filter.setCurrentIndex(page.tag_filter.findData("growing"))
    assert [r.merchant_no for r in page.model.shown_rows()] == ["GROW"]
    page.tag_filter.setCurrentIndex(0)
    page.owner_filter.setCurrentIndex(page.owner_filter.findData(0))  # no owner
    assert {r.merchant_no for r in page.model.shown_rows()} == {"GONE", "FRESH"}
    page.owner_filter.setCurrentIndex(0)
    page.search.setText("slip")
    page.apply_filter()
    assert [r.merchant_no for r in page.model.shown_rows()] == ["SLIP"]
    page.search.setText("")
    page.due_only.setChecked(True)
    # GROW's next date is 30 days away; every other merchant is due by now
    assert {r.merchant_no for r in page.model.shown_rows()} == {"LOYAL", "SLIP", "GONE", "FRESH"}
    assert "到期待回访 4" in page.summary.text()


def test_today_list_per_member_and_contact_in_two_clicks(qtbot, page, shop, monkeypatch):
    from app.views import merchant_care as view

    office = {i.merchant_no for i in page.due_model.all_rows()}
    # LOYAL also has a service follow-up (K-DONE resolved 11-20)
    assert office == {"LOYAL", "SLIP", "GONE", "FRESH"}
    assert any(i.kind == "service" and i.merchant_no == "LOYAL" for i in page.due_model.all_rows())
    page.member.setCurrentIndex(page.member.findData(shop["li"].id))
    wait_loaded(qtbot, page)
    assert {i.merchant_no for i in page.due_model.all_rows()} == {"LOYAL"}
    page.member.setCurrentIndex(0)
    wait_loaded(qtbot, page)
    page.tabs.setCurrentIndex(1)
    row = [i.merchant_no for i in page.due_model.shown_rows()].index("SLIP")
    page.due_table.selectRow(row)

    def fill_and_save(dialog):
        assert dialog.channel.currentText() == "电话" and dialog.staff.currentData() == shop["wang"].id
        dialog.summary.setText("交易下降,了解原因")
        dialog.save()
        return 1

    monkeypatch.setattr(view.ContactDialog, "exec", fill_and_save)
    page.log_due_contact()
    wait_loaded(qtbot, page)
    assert "SLIP" not in {i.merchant_no for i in page.due_model.all_rows() if i.kind == "plan"}
    slip = next(r for r in page.model.all_rows() if r.merchant_no == "SLIP")
    assert slip.last_contact == TODAY and slip.due == TODAY + dt.timedelta(days=3)  # 流失风险: 3 days


def test_tickets_overdue_first(qtbot, page):
    rows = page.ticket_model.all_rows()
    assert [r.ticket_no for r in rows] == ["K-LATE", "K-OPEN", "K-DONE"]
    assert [r.overdue for r in rows] == [True, False, False]
    assert page.tabs.tabText(2) == "工单(超时 1)"


def test_manual_tags_and_history(qtbot, page, monkeypatch):
    from app.views import merchant_care as view

    index = [r.merchant_no for r in page.model.shown_rows()].index("GROW")
    page.table.selectRow(index)

    def save_tags(dialog):
        dialog.edit.setText("连锁、重点")
        dialog.save()
        return 1

    monkeypatch.setattr(view.ManualTagsDialog, "exec", save_tags)
    page.edit_tags()
    wait_loaded(qtbot, page)
    grow = next(r for r in page.model.all_rows() if r.merchant_no == "GROW")
    assert grow.manual == ["连锁", "重点"] and grow.manual_text == "连锁、重点"
    dialog = view.HistoryDialog("GROW", page)
    qtbot.addWidget(dialog)
    hist = dialog.findChildren(view.DataTable)[0].model()
    assert [hist.row_at(i)[1] for i in range(hist.rowCount())] == ["growing"]


def test_analysis_page_charts_and_export(qtbot, shop, messages, tmp_path):
    from openpyxl import load_workbook

    from app.views.merchant_analysis import MerchantAnalysisPage, export_analysis

    p = MerchantAnalysisPage()
    qtbot.addWidget(p)
    p.resize(1300, 900)
    p.show()
    wait_loaded(qtbot, p)
    # active in 11: LOYAL, GROW, SLIP, FRESH = 4; in 10: LOYAL, GROW, SLIP = 3 → retained 3
    assert "活跃商户\n4" == p.cards["active"].text()
    assert p.cards["retention"].text() == "留存率\n100%"
    assert len(p.count_chart.series()) == 3 and len(p.tag_chart.series()) == 1
    assert [m.merchant_no for m in p.rises.all_rows()] == ["GROW", "FRESH"]
    assert [m.merchant_no for m in p.falls.all_rows()] == ["SLIP"]
    out = tmp_path / "analysis.xlsx"
    export_analysis(out, p.data)
    wb = load_workbook(out)
    assert wb.sheetnames == ["月度指标", "标签分布", "故障率", "增长最多", "下降最多"]
    assert wb["月度指标"].cell(row=13, column=2).value == 4
    assert [c.value for c in wb["标签分布"]["B"]][1:] == [1, 1, 1, 1, 1, 0]


def test_rules_dialog_saves_the_settings(qtbot, shop, messages):
    from app.core.merchant_care import cadences
    from app.views.merchant_settings import CareSettingsDialog

    d = CareSettingsDialog()
    qtbot.addWidget(d)
    d.edits["merchant_cadence_new"].setText("5")
    d.save()
    assert cadences()["new"] == 5
    d.edits["merchant_cadence_new"].setText("abc")
    d.save()
    assert cadences()["new"] == 5 and any("回访周期" in m for m in messages)
