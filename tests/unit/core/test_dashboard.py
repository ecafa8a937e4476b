"""The 工作台 services (app/core/dashboard.py), numbers worked by hand.

The office: P1 (activation threshold 50.00 元, 达标 = 50,000.00 元 within 30 days) with
prices and policies from 2026-08-01; tree agency → A1 → A2 → A3; T1 → A3 and T2 → A2 on
2026-08-01, T3 stays in stock.  A3's deposit is 39 元, deducted.
"""

from __future__ import annotations

import datetime as dt

import pytest

from app.core import dashboard
from app.models import AgencyMargin, Agent, FollowUp
from tests.helpers import Office

PRODUCTS = """\
code,name,company,activation_min,qualify_days,qualify_volume,deposit_days,company_cashback,company_qualify_bonus,company_unqualified_penalty
P1,拉卡拉电签,拉卡拉,50.00,30,50000,60,100,50,80
"""
PRICES = """\
product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn
P1,2026-08-01,0.60%,0.55%,25,0.38%,0
"""
POLICIES = """\
agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn,cashback,qualify_bonus,unqualified_penalty,deposit
AGENCY,P1,2026-08-01,0.50%,0.45%,20,0.30%,0,,,,
A1,P1,2026-08-01,0.53%,0.48%,21,0.32%,0,90,45,80,0
A2,P1,2026-08-01,0.55%,0.50%,22,0.34%,0,80,40,80,0
A3,P1,2026-08-01,0.57%,0.52%,23,0.35%,0,60,30,80,39
"""
TERMINALS = """\
sn,product,stocked
T1,P1,2026-07-20
T2,P1,2026-07-20
T3,P1,2026-07-20
"""
MOVES = """\
sn,date,action,agent
T1,2026-08-01,下发,A3
T2,2026-08-01,下发,A2
"""


@pytest.fixture
def office(db, tmp_path):
    return Office(tmp_path).base(products=PRODUCTS, prices=PRICES, policies=POLICIES,
                                 terminals=TERMINALS, moves=MOVES)


def agent_id(code):
    return Agent.get(Agent.code == code).id


def test_month_summary(office):
    # October: T1 activates 10-05 (100.00 ≥ 50.00), refund 20.00 and a void that does not
    # count; T3 (stock) trades 300.00 and activates 10-07.  T2 never trades.
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-10-06 10:00:00,T1,M1,20.00,贷记卡,退货",
        "X3,2026-10-06 11:00:00,T1,M1,999.00,贷记卡,撤销",
        "X4,2026-10-07 10:00:00,T3,M3,300.00,扫码,成功",
    )
    office.compute("2026-10")
    s = dashboard.month_summary("2026-10")
    assert s.volume == 10000 - 2000 + 30000
    assert s.transactions == 3
    assert s.new_activations == 2  # T1 and T3, whoever held them
    # agents' teams: A1's team holds T1 (activated) and T2 (not): 1 / 2 = 50 %
    assert (s.activated_total, s.activation_base, s.activation_rate_ppm) == (1, 2, 500_000)
    assert (s.fake, s.window_ended, s.fake_rate_ppm) == (0, 0, 0)  # T1's window ends 11-03
    assert s.agency_margin == sum(m.margin for m in AgencyMargin.select())
    assert s.computed
    # T1's deposit is forfeited (activated 65 days after allocation > 60); T2 owes none
    assert (s.deposits_held, s.deposits_held_count) == (0, 0)


def test_deposits_held_and_fake_rate(office):
    # T1 activates 08-05 and never reaches 50,000 → 伪激活, window ends 09-03.
    office.load("moves", "sn,date,action,agent\nT3,2026-08-02,下发,A3\n")
    office.tx("X1,2026-08-05 10:00:00,T1,M1,100.00,贷记卡,成功")
    office.compute("2026-09")
    s = dashboard.month_summary("2026-09")
    assert (s.fake, s.window_ended, s.fake_rate_ppm) == (1, 1, 1_000_000)
    # T3 went to A3 with a 39 元 deposit, not activated yet: held
    assert (s.deposits_held, s.deposits_held_count) == (3900, 1)
    assert not dashboard.month_summary("2026-10").computed


def test_monthly_series(office):
    office.tx(
        "X1,2026-08-05 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-10-05 10:00:00,T1,M1,200.00,贷记卡,成功",
        "X3,2026-10-06 10:00:00,T2,M1,60.00,贷记卡,成功",
        "X4,2026-10-06 11:00:00,T2,M1,10.00,贷记卡,退货",
    )
    series = dashboard.monthly_series(last_n=4, end_month="2026-10")
    assert [(p.month, p.volume, p.activations) for p in series] == [
        ("2026-07", 0, 0),
        ("2026-08", 10000, 1),
        ("2026-09", 0, 0),
        ("2026-10", 25000, 1),
    ]
    assert len(dashboard.monthly_series(12, "2026-10")) == 12


def test_activation_ranking(office):
    # A3 holds T1 (activated): 100 %; A2's team holds T1, T2: 50 %; A1's team the same.
    office.tx("X1,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功")
    top, bottom = dashboard.activation_ranking("2026-10", n=2, min_base=1)
    assert [(r.code, r.activation_rate_ppm) for r in top] == [("A3", 1_000_000), ("A1", 500_000)]
    assert [(r.code, r.activation_rate_ppm) for r in bottom] == [("A1", 500_000), ("A2", 500_000)]
    top, _ = dashboard.activation_ranking("2026-10", n=5, min_base=2)
    assert [r.code for r in top] == ["A1", "A2"]  # A3's base of 1 is too small


def test_qualification_warnings(office):
    # T1 activates 10-05 with 100.00: window 10-05 … 11-03, volume 100.00 + 900.00 − 50.00.
    # T2 activates 10-06 with 50,000.00: reached, never warned.
    # T3 (stock) activates 10-20: window ends 11-18.
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-10-10 10:00:00,T1,M1,900.00,借记卡,成功",
        "X3,2026-10-11 10:00:00,T1,M1,50.00,借记卡,退货",
        "X4,2026-10-06 10:00:00,T2,M2,50000.00,贷记卡,成功",
        "X5,2026-10-20 10:00:00,T3,M3,60.00,扫码,成功",
        "X6,2026-10-29 10:00:00,T1,M1,1000.00,贷记卡,成功",  # after "today" below: not counted
    )
    warn = dashboard.qualification_warnings(dt.date(2026, 10, 28), days_ahead=7)
    assert len(warn) == 1
    w = warn[0]
    assert (w.sn, w.holder_code, w.product_code) == ("T1", "A3", "P1")
    assert (w.activated_on, w.deadline, w.days_left) == (
        dt.date(2026, 10, 5), dt.date(2026, 11, 3), 6)
    assert (w.volume, w.threshold, w.missing) == (95000, 5_000_000, 4_905_000)
    # a week earlier the deadline is too far away; on 11-03 it ends today; on 11-04 it is over
    assert dashboard.qualification_warnings(dt.date(2026, 10, 20), 7) == []
    assert [w.days_left for w in dashboard.qualification_warnings(dt.date(2026, 11, 3), 0)] == [0]
    later = dashboard.qualification_warnings(dt.date(2026, 11, 15), 7)
    assert [(w.sn, w.holder_code, w.holder_name, w.days_left) for w in later] == [
        ("T3", "", "本机构库存", 3)
    ]


def test_churn_risk_three_falls_running(office):
    # T1 (A3): 4,000 → 3,000 → 2,000 → 1,000 from August to November: A3 falls three times.
    # T2 (A2's own) 0 → 5,000 in September, so A2's and A1's teams rise in September.
    office.tx(
        "X1,2026-08-05 10:00:00,T1,M1,4000.00,贷记卡,成功",
        "X2,2026-09-05 10:00:00,T1,M1,3000.00,贷记卡,成功",
        "X3,2026-10-05 10:00:00,T1,M1,2000.00,贷记卡,成功",
        "X4,2026-11-05 10:00:00,T1,M1,1000.00,贷记卡,成功",
        "X5,2026-09-06 10:00:00,T2,M2,5000.00,贷记卡,成功",
    )
    FollowUp.create(agent=agent_id("A3"), date=dt.date(2026, 11, 1), note="电话未接",
                    next_visit=dt.date(2026, 11, 8))
    FollowUp.create(agent=agent_id("A3"), date=dt.date(2026, 11, 10), note="已上门,商户关店",
                    next_visit=None)
    vols = dashboard.team_volumes(["2026-08", "2026-09"])
    assert vols[agent_id("A1")] == {"2026-08": 400000, "2026-09": 800000}
    rows = dashboard.churn_risk("2026-11")
    assert [(r.code, r.volumes) for r in rows] == [("A3", [400000, 300000, 200000, 100000])]
    assert rows[0].drop_ppm == 750_000
    assert rows[0].last_follow_up is not None and rows[0].last_follow_up.note == "已上门,商户关店"
    assert dashboard.churn_risk("2026-10") == []  # only two falls by then


def test_todays_followups(office):
    a1, a2, a3 = agent_id("A1"), agent_id("A2"), agent_id("A3")
    FollowUp.create(agent=a1, date=dt.date(2026, 11, 1), note="要机具", next_visit=dt.date(2026, 11, 5))
    FollowUp.create(agent=a2, date=dt.date(2026, 11, 2), note="月底再约", next_visit=dt.date(2026, 11, 10))
    FollowUp.create(agent=a3, date=dt.date(2026, 11, 1), note="约拜访", next_visit=dt.date(2026, 11, 2))
    FollowUp.create(agent=a3, date=dt.date(2026, 11, 3), note="已拜访", next_visit=dt.date(2026, 11, 20))
    FollowUp.create(agent=a2, date=dt.date(2026, 10, 1), note="旧记录", next_visit=dt.date(2026, 10, 5),
                    done=True)
    today = dt.date(2026, 11, 8)
    rows = dashboard.todays_followups(today)
    assert [(r.code, r.note, r.overdue_days) for r in rows] == [("A1", "要机具", 3)]
    rows = dashboard.todays_followups(dt.date(2026, 11, 10))
    assert [(r.code, r.overdue_days) for r in rows] == [("A1", 5), ("A2", 0)]


def test_team_volumes_of_computed_months_come_from_the_statements(office):
    # the same transactions, attributed on the fly and read from the computed statements
    office.tx(
        "X1,2026-08-05 10:00:00,T1,M1,4000.00,贷记卡,成功",
        "X2,2026-09-05 10:00:00,T1,M1,3000.00,借记卡,成功",
        "X3,2026-09-06 10:00:00,T2,M2,5000.00,扫码,成功",
        "X4,2026-09-07 10:00:00,T2,M2,100.00,扫码,退货",
        "X5,2026-09-08 10:00:00,T3,M3,900.00,扫码,成功",  # stock: nobody's team
    )
    months = ["2026-08", "2026-09"]
    live = dashboard.team_volumes(months)
    office.compute("2026-09")
    assert dashboard.team_volumes(months) == live
    assert live[agent_id("A2")] == {"2026-08": 400000, "2026-09": 300000 + 490000}
