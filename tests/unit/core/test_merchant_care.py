"""Contact plan (cadence, next-date override, 今日回访 per member and for the office,
服务后的跟进) and the service standard (overdue tickets first), on hand-made data.

Tags are those of month 2026-10 (m−1 = 09, m−2 = 08); today is 2026-11-10 unless said.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from app.core import merchant_care as care
from app.core import merchants as svc
from app.core.errors import UserError
from app.core.merchant_tags import compute_tags
from app.core.months import set_setting

pytest.importorskip("app.models.team", reason="the team tables (staff, merchants, tickets) are not there")
from app.models import Contact, Merchant, MerchantOwner, Product, StaffMember, Terminal, Ticket, Txn  # noqa: E402

D = dt.date
_ids = itertools.count(1)


@pytest.fixture
def office(db):
    product = Product.create(code="P1", name="电签")
    terminal = Terminal.create(sn="T1", product=product, stocked_on=D(2026, 1, 1))
    li = StaffMember.create(code="S01", name="李娜", role="sales")
    wang = StaffMember.create(code="S02", name="王强", role="service")

    def tx(merchant: str, day: str, amount: int = 1000) -> None:
        n = next(_ids)
        Txn.create(tx_id=f"C{n}", terminal=terminal, product=product, time=f"{day} 09:00:00",
                   date=day, month=day[:7], amount=amount, category="credit", status="success",
                   merchant_no=merchant)

    def merchant(no: str, owner=None, since: str = "2026-01-01") -> Merchant:
        m = Merchant.create(merchant_no=no, name=f"店{no}")
        if owner is not None:
            MerchantOwner.create(merchant=m, staff=owner, effective_from=since)
        return m

    return {"tx": tx, "merchant": merchant, "li": li, "wang": wang}


def contact(m: Merchant, day: str, staff=None, next_date: str | None = None) -> None:
    Contact.create(merchant=m, date=day, staff=staff, channel="电话", summary="回访", next_date=next_date)


def test_cadence_per_tag_and_next_date_override(office):
    tx, li = office["tx"], office["li"]
    # LOYAL: traded 08, 09, 10 flat → 忠诚, cadence 30; last contact 10-05 → due 11-04
    loyal = office["merchant"]("LOYAL", li)
    for day in ("2026-08-20", "2026-09-20", "2026-10-20"):
        tx("LOYAL", day)
    contact(loyal, "2026-10-05", li)
    # NEWM: first transaction 10-25 → 新商户, cadence 7; never contacted → 10-25 + 7 = 11-01
    office["merchant"]("NEWM", li)
    tx("NEWM", "2026-10-25")
    # NEXT: loyal too, contacted 10-30 with next date 12-01: the next date wins over
    # 10-30 + 30 = 11-29
    nxt = office["merchant"]("NEXT", li)
    for day in ("2026-08-20", "2026-09-20", "2026-10-20"):
        tx("NEXT", day)
    contact(nxt, "2026-10-30", li, next_date="2026-12-01")
    compute_tags("2026-10")
    rows = {r.merchant_no: r for r in svc.merchant_rows("2026-10")}
    assert (rows["LOYAL"].tag, rows["LOYAL"].due) == ("loyal", D(2026, 11, 4))
    assert (rows["NEWM"].tag, rows["NEWM"].due) == ("new", D(2026, 11, 1))
    assert rows["NEXT"].due == D(2026, 12, 1)
    # the next date overrides once: a later contact without one goes back to the cadence
    contact(nxt, "2026-12-01", li)
    rows = {r.merchant_no: r for r in svc.merchant_rows("2026-10")}
    assert rows["NEXT"].due == D(2026, 12, 31)  # 12-01 + 30


def test_cadences_are_settings(office):
    office["merchant"]("NEWM", office["li"])
    office["tx"]("NEWM", "2026-10-25")
    set_setting("merchant_cadence_new", "3")
    compute_tags("2026-10")
    assert svc.merchant_rows("2026-10")[0].due == D(2026, 10, 28)  # 10-25 + 3


def test_due_when_last_contact_plus_cadence_is_today_or_past(office):
    tx, li, wang = office["tx"], office["li"], office["wang"]
    a = office["merchant"]("A", li)
    b = office["merchant"]("B", wang)
    for m in ("A", "B"):
        for day in ("2026-08-20", "2026-09-20", "2026-10-20"):
            tx(m, day)
    contact(a, "2026-10-11", li)  # loyal: due 11-10
    contact(b, "2026-10-12", wang)  # loyal: due 11-11
    compute_tags("2026-10")
    today = D(2026, 11, 10)
    assert [i.merchant_no for i in svc.due_list(today)] == ["A"]  # the office sees A only
    assert [i.merchant_no for i in svc.due_list(today, li.id)] == ["A"]
    assert svc.due_list(today, wang.id) == []  # B is due tomorrow
    assert [i.merchant_no for i in svc.due_list(today + dt.timedelta(days=1))] == ["A", "B"]


def test_owner_on_the_day_sees_the_merchant_after_a_handover(office):
    tx, li, wang = office["tx"], office["li"], office["wang"]
    m = office["merchant"]("H", li)
    MerchantOwner.create(merchant=m, staff=wang, effective_from="2026-11-10")  # 交接 on 11-10
    tx("H", "2026-10-25")  # new, never contacted: due 11-01
    compute_tags("2026-10")
    assert [i.merchant_no for i in svc.due_list(D(2026, 11, 9), li.id)] == ["H"]
    assert svc.due_list(D(2026, 11, 10), li.id) == []
    assert [i.staff for i in svc.due_list(D(2026, 11, 10), wang.id)] == ["S02 王强"]


def test_service_followup_after_a_resolved_ticket_lands_in_the_list(office):
    li, wang = office["li"], office["wang"]
    m = office["merchant"]("SVC", li)
    Ticket.create(ticket_no="K1", opened="2026-11-08 09:00:00", type="fault", staff=wang, merchant=m,
                  resolved="2026-11-08 15:00:00", outcome="resolved")
    Ticket.create(ticket_no="K2", opened="2026-11-08 09:00:00", type="fault", staff=wang, merchant=m,
                  resolved="2026-11-08 16:00:00", outcome="unresolved")  # not resolved: no call
    # no transactions, no tag: only the follow-up, due the day after (11-09)
    items = svc.due_list(D(2026, 11, 9), wang.id)
    assert [(i.kind, i.merchant_no, i.due) for i in items] == [("service", "SVC", D(2026, 11, 9))]
    assert items[0].kind_label == "服务后的跟进" and "K1" in items[0].reason
    assert svc.due_list(D(2026, 11, 8)) == []  # not yet due
    assert svc.due_list(D(2026, 11, 9), li.id) == []  # the handler calls, not the owner
    # a contact on or after the resolved day closes it
    care.log_contact("SVC", D(2026, 11, 9), wang.id, "电话", "已恢复正常")
    assert svc.due_list(D(2026, 11, 20)) == []


def test_log_contact_checks_and_registers_a_merchant_known_from_transactions(office):
    office["tx"]("ONLYTX", "2026-10-25")
    with pytest.raises(UserError, match="方式"):
        care.log_contact("ONLYTX", D(2026, 10, 26), None, "传真", "x")
    with pytest.raises(UserError, match="下次日期"):
        care.log_contact("ONLYTX", D(2026, 10, 26), None, "电话", "x", D(2026, 10, 25))
    assert Contact.select().count() == 0
    care.log_contact("ONLYTX", D(2026, 10, 26), office["li"].id, "微信", "问候", D(2026, 11, 2))
    assert Merchant.get(Merchant.merchant_no == "ONLYTX")
    compute_tags("2026-10")
    row = svc.merchant_rows("2026-10")[0]
    assert (row.last_contact, row.due) == (D(2026, 10, 26), D(2026, 11, 2))
    assert [c.channel for c in care.contacts_of("ONLYTX")] == ["微信"]


def test_overdue_open_tickets_first(office):
    wang = office["wang"]
    now = dt.datetime(2026, 11, 10, 12, 0, 0)
    # 投诉 12 h: opened 11-09 23:59:59 → deadline 11-10 11:59:59, past at noon: overdue
    Ticket.create(ticket_no="LATE", opened="2026-11-09 23:59:59", type="complaint", staff=wang)
    # 咨询 24 h: opened 11-09 12:00:00 → deadline exactly now: not yet past
    Ticket.create(ticket_no="EDGE", opened="2026-11-09 12:00:00", type="inquiry", staff=wang)
    # 故障 24 h, opened 11-08: overdue longer, so above LATE
    Ticket.create(ticket_no="OLDER", opened="2026-11-08 08:00:00", type="fault", staff=wang)
    Ticket.create(ticket_no="DONE", opened="2026-11-01 08:00:00", type="fault", staff=wang,
                  resolved="2026-11-05 08:00:00", outcome="resolved")
    rows = care.ticket_rows(now)
    assert [(r.ticket_no, r.overdue) for r in rows] == [
        ("OLDER", True), ("LATE", True), ("EDGE", False), ("DONE", False)]
    set_setting("service_hours_inquiry", "23")  # 23 h: EDGE is now past too
    assert [r.ticket_no for r in care.ticket_rows(now) if r.overdue] == ["OLDER", "EDGE", "LATE"]
    assert [r.ticket_no for r in care.ticket_rows(now, open_only=True)] == ["OLDER", "EDGE", "LATE"]


def test_manual_tags_stand_beside_the_computed_tag(office):
    office["merchant"]("MT")
    office["tx"]("MT", "2026-10-25")
    svc.set_manual_tags("MT", ["重点", "连锁", "重点"])
    row = svc.merchant_rows("2026-10")[0]
    assert (row.tag, row.manual) == ("new", ["连锁", "重点"])
    with pytest.raises(UserError):
        svc.set_manual_tags("MT", ["x" * 21])


def test_care_settings_are_checked_and_stored(office):
    with pytest.raises(UserError, match="回访周期"):
        care.save_care_settings({"merchant_cadence_loyal": "0", "service_hours_fault": "8"})
    assert care.service_hours()["fault"] == 24  # a refused form writes nothing
    care.save_care_settings({"merchant_cadence_loyal": "45", "service_hours_fault": "8",
                             "merchant_tag_growing_pct": "150"})
    assert care.cadences()["loyal"] == 45 and care.service_hours()["fault"] == 8
    from app.core.tagging import MerchantThresholds

    assert MerchantThresholds.load().growing_pct == 150
    assert dict((k, v) for k, _l, v in care.care_settings())["merchant_tag_churn_pct"] == 50


def test_the_tickets_page_uses_the_service_standard_of_the_type(office):
    from app.core.team_desk import tickets

    wang = office["wang"]
    now = dt.datetime(2026, 11, 10, 12, 0, 0)
    Ticket.create(ticket_no="C12", opened="2026-11-09 23:00:00", type="complaint", staff=wang)  # 13 h > 12
    Ticket.create(ticket_no="I24", opened="2026-11-09 23:00:00", type="inquiry", staff=wang)  # 13 h ≤ 24
    Ticket.create(ticket_no="F24", opened="2026-11-08 08:00:00", type="fault", staff=wang)  # 52 h > 24
    rows = tickets(now)
    assert [(r.ticket_no, r.overdue, r.sla_hours) for r in rows] == [
        ("F24", True, 24), ("C12", True, 12), ("I24", False, 24)]
    # logging a contact goes through the team's add_contact: earlier open contacts are done
    m = office["merchant"]("CT", wang)
    care.log_contact("CT", D(2026, 11, 9), wang.id, "电话", "一")
    care.log_contact("CT", D(2026, 11, 10), wang.id, "微信", "二")
    assert [c.done for c in Contact.select().where(Contact.merchant == m).order_by(Contact.id)] == [1, 0]
