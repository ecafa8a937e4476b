"""The month's merchant figures (DOMAIN §9) on hand-made data, and
``posdesk merchants show M --json``.  Month m = 2026-10, m−1 = 2026-09."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
from fractions import Fraction

import pytest

from app.core.merchant_figures import decimal_text, month_figures, top_movers

pytest.importorskip("app.models.team", reason="the team tables (staff, merchants, tickets) are not there")
from app.models import (  # noqa: E402
    Merchant,
    MerchantOwner,
    Product,
    StaffMember,
    Terminal,
    TerminalEvent,
    Ticket,
    Txn,
)

D = dt.date
_ids = itertools.count(1)


@pytest.fixture
def office(db):
    p1 = Product.create(code="P1", name="电签一")
    p2 = Product.create(code="P2", name="电签二")
    t = {}
    # P1: T1 activated 09-01, T2 first transaction 10-15, T3 activated after m (11-02),
    # T4 activated 09-01 and lost 10-20, T5 never activated; P2: T6 first transaction 10-01
    for sn, product, act, first in (("T1", p1, D(2026, 9, 1), None), ("T2", p1, None, D(2026, 10, 15)),
                                    ("T3", p1, D(2026, 11, 2), None), ("T4", p1, D(2026, 9, 1), None),
                                    ("T5", p1, None, None), ("T6", p2, None, D(2026, 10, 1))):
        t[sn] = Terminal.create(sn=sn, product=product, stocked_on=D(2026, 1, 1), activated_on=act,
                                first_tx_on=first)
    TerminalEvent.create(terminal=t["T4"], date=D(2026, 10, 20), action="lost")
    s = StaffMember.create(code="S01", name="王强", role="service")

    def tx(merchant: str, day: str, amount: int = 1000, status: str = "success") -> None:
        n = next(_ids)
        Txn.create(tx_id=f"F{n}", terminal=t["T1"], product=p1, time=f"{day} 09:00:00", date=day,
                   month=day[:7], amount=amount, category="credit", status=status, merchant_no=merchant)

    # A: 09 and 10 · B: 09 only (lost) · C: first ever in 10 (new) · D: 08 and 10 ·
    # E: 09, and in 10 a refund only (a refund is a counted transaction: active)
    for m, days in (("A", ("2026-09-10", "2026-10-20")), ("B", ("2026-09-10",)), ("C", ("2026-10-10",)),
                    ("D", ("2026-08-10", "2026-10-10")), ("E", ("2026-09-10",))):
        for day in days:
            tx(m, day)
    tx("E", "2026-10-12", -300, "refund")
    tx("B", "2026-10-12", 5000, "failed")  # not counted: B stays lost
    a = Merchant.create(merchant_no="A", name="甲店")
    MerchantOwner.create(merchant=a, staff=s, effective_from="2026-01-01")

    def ticket(no, opened, kind, resolved=None, outcome="", rating=None, sn=""):
        Ticket.create(ticket_no=no, opened=opened, type=kind, staff=s, merchant=a, sn=sn,
                      resolved=resolved, outcome=outcome, rating=rating)

    ticket("K1", "2026-10-02 08:00:00", "fault", "2026-10-02 20:00:00", "resolved", 5, "T1")  # 12 h ≤ 24
    ticket("K2", "2026-10-03 08:00:00", "complaint", "2026-10-04 08:00:00", "resolved", 3)  # 24 h > 12
    ticket("K3", "2026-10-05 08:00:00", "inquiry")  # still open
    ticket("K4", "2026-09-30 10:00:00", "fault", "2026-10-01 10:00:00", "", None, "T2")  # opened in 09
    ticket("K5", "2026-10-10 08:00:00", "install", "2026-10-10 09:00:00", "unresolved")
    ticket("K6", "2026-10-20 08:00:00", "fault", None, "", None, "T1")  # T1 again: counted once
    ticket("K7", "2026-10-12 08:00:00", "fault", None, "", None, "T6")
    return t


def test_each_figure_of_the_month(office):
    f = month_figures("2026-10")
    # active in 10: A, C, D, E = 4 · active in 09: A, B, E = 3
    assert (f.active, f.previous_active) == (4, 3)
    assert f.new == 1  # C (D traded in 08)
    assert f.lost == 1  # B
    assert f.retention == Fraction(2, 3)  # A and E of the three
    # ratings of the tickets resolved in 10: K1 5, K2 3 → 4
    assert f.satisfaction == 4 and f.ratings == 2
    # opened in 10: K1, K2, K3, K5, K6, K7; within the type's hours and resolved: K1 only → 1/6
    assert (f.opened, f.within_sla, f.resolution_share) == (6, 1, Fraction(1, 6))
    # closed in 10: K1 12 h, K2 24 h, K4 24 h, K5 1 h → 61 / 4 = 15.25 h
    assert f.handling_hours == Fraction(61, 4)
    # P1: faulty T1 (K1, K6) ÷ activated by 10-31 and not lost: T1, T2 → 1/2; P2: T6 / T6
    assert f.faults == {"P1": (1, 2), "P2": (1, 1)}
    assert f.fault_rate == {"P1": Fraction(1, 2), "P2": Fraction(1)}


def test_no_month_before_means_no_retention(office):
    f = month_figures("2026-08")
    assert (f.active, f.new, f.lost, f.retention) == (1, 1, 0, None)
    assert (f.satisfaction, f.resolution_share, f.handling_hours) == (None, None, None)


def test_decimal_text():
    assert decimal_text(Fraction(2, 3)) == "0.6667"
    assert decimal_text(Fraction(4, 5)) == "0.8"
    assert decimal_text(Fraction(1)) == "1"
    assert decimal_text(Fraction(1, 20000)) == "0.0001"  # 0.00005 half up
    assert decimal_text(None) is None


def test_top_movers(office):
    rises, falls = top_movers("2026-10")
    # C +1000 (0 → 1000), D +1000; A 0; B −1000; E 1000 → −300: −1300
    assert [(m.merchant_no, m.change) for m in rises] == [("C", 1000), ("D", 1000)]
    assert [(m.merchant_no, m.change) for m in falls] == [("E", -1300), ("B", -1000)]


def test_merchants_show_json_exactly_as_formats(office, tmp_path, db):
    db.close()
    out = subprocess.run(
        [sys.executable, "-m", "app", "--db", str(tmp_path / "posdesk.db"), "merchants", "show", "2026-10",
         "--json"], capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["month"] == "2026-10"
    assert [m["merchant_no"] for m in data["merchants"]] == ["A", "B", "C", "D", "E"]
    a = data["merchants"][0]
    assert list(a) == ["merchant_no", "name", "owner", "tag", "volume_fen", "last_txn", "due"]
    # A: 09 and 10, first in 09: before = 1000, V(10) = 1000 → regular; never contacted, so
    # the plan says 09-10 + 30 = 10-10, but ticket K4 (resolved 10-01) asks for a follow-up
    # call on 10-02, which comes first
    assert a == {"merchant_no": "A", "name": "甲店", "owner": "S01", "tag": "regular", "volume_fen": 1000,
                 "last_txn": "2026-10-20", "due": "2026-10-02"}
    by = {m["merchant_no"]: m for m in data["merchants"]}
    # B: last 09-10, nothing in 10-02 … 10-31: dormant; E: refund on 10-12 < 10-17: churn risk
    assert (by["B"]["tag"], by["B"]["volume_fen"], by["B"]["owner"]) == ("dormant", 0, None)
    assert (by["C"]["tag"], by["E"]["tag"], by["E"]["volume_fen"]) == ("churn_risk", "churn_risk", -300)
    fig = data["figures"]
    assert {k: fig[k] for k in ("active", "new", "lost", "retention")} == {
        "active": 4, "new": 1, "lost": 1, "retention": "0.6667"}
    assert (fig["satisfaction_avg"], fig["resolution_share"], fig["avg_handling_hours"]) == ("4", "0.1667", "15.25")
    assert fig["fault_rate"] == {"P1": "0.5", "P2": "1"}


def test_merchants_show_refuses_a_bad_month(tmp_path):
    out = subprocess.run([sys.executable, "-m", "app", "--db", str(tmp_path / "x.db"), "merchants", "show",
                          "2026-13", "--json"], capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert out.returncode == 2 and "月份" in out.stderr and "Traceback" not in out.stderr
