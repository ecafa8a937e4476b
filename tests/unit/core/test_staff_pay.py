"""The staff statement (员工提成单, DOMAIN §8) with hand-worked numbers.

One office (tests/helpers.py: T1 to A3, T2 to A2 on 10-01, T3 in stock; activation
threshold 1.00 元) gets a team:
  S01 sales since 2026-01 (own plan, older than the role's), owns M1 until a 交接 to S02
  on 10-16, and M2;  S02 sales joins 10-16;  S03 service leaves 10-10;
  S04 service, for the tier edges;  L01 lead, scope all.
"""

from __future__ import annotations

import pytest

from app.core import settlement, staff_pay
from app.core.errors import UserError
from tests.helpers import Office

STAFF = """\
员工编号,姓名,岗位,手机,入职日期,离职日期
S01,李娜,销售,13800000001,2026-01-01,
S02,王强,销售,,2026-10-16,
S03,赵敏,客服,,2025-06-01,2026-10-10
S04,钱多,客服,,2026-09-01,
L01,孙总,负责人,,2024-01-01,
"""
MERCHANTS = """\
商户编号,商户名称,业务员,生效日期
M1,好再来面馆,S01,
M1,,S02,2026-10-16
M2,便民超市,S01,
"""
PLANS = """\
适用对象,生效月份,底薪,激活提成,交易提成,范围,解决工单提成,处理时限小时,解决率奖励,满意度奖励,最少评价数
销售,2026-09,3000,50,万5,本人,,,,,
销售,2026-11,5000,50,万5,本人,,,,,
S01,2026-08,4000,100,0.1%,本人,,,,,
负责人,2026-10,8000,10,万2,全部,,,,,
客服,2026-01,3100,,,,5,24,90%:300;80%:150,4.5:200；4：100,3
"""
TXNS = [
    "X1,2026-10-05 10:00:00,T1,M1,1000.00,贷记卡,成功",
    "X2,2026-10-20 10:00:00,T1,M1,500.00,贷记卡,成功",
    "X3,2026-10-21 10:00:00,T1,M1,200.00,贷记卡,退货",
    "X4,2026-10-08 10:00:00,T2,,300.00,贷记卡,成功",
    "X5,2026-10-09 10:00:00,T2,M2,400.00,贷记卡,成功",
    "X6,2026-10-10 10:00:00,T2,M2,999.99,贷记卡,撤销",
    "X7,2026-10-12 10:00:00,T3,,100.00,扫码,成功",
]
TICKETS = """\
工单号,创建时间,类型,处理人,商户编号,终端SN,解决时间,结果,满意度
K1,2026-10-02 09:00:00,故障,S03,M1,T1,2026-10-02 15:00:00,已解决,5
K2,2026-10-03 09:00:00,咨询,S03,M1,,2026-10-04 09:00:00,已解决,4
K3,2026-10-04 10:00:00,投诉,S03,M2,,2026-10-06 10:00:00,,4
K4,2026-10-05 10:00:00,故障,S03,M2,,2026-10-05 12:00:00,未解决,
K5,2026-10-09 10:00:00,安装,S03,,,2026-10-12 10:00:00,已解决,5
"""


@pytest.fixture
def office(db, tmp_path):
    o = Office(tmp_path).base()
    o.load("staff", STAFF)
    o.load("merchants", MERCHANTS)
    o.load("staff_plans", PLANS)
    o.tx(*TXNS)
    o.load("tickets", TICKETS)
    return o


def staff_of(month: str = "2026-10") -> dict[str, dict]:
    settlement.compute_month(month)
    return {s["code"]: s for s in staff_pay.staff_json(month)["staff"]}


def test_own_plan_wins_activations_and_volume_split_by_handover(office):
    s = staff_of()["S01"]
    # S01's own plan (2026-08) wins as a whole over the newer role plan (2026-09):
    # base 4,000.00 = 400000 fen, the whole month employed
    assert s["base_fen"] == 400000
    # T1 activates 10-05 (X1 ≥ 1.00), bound to M1 by its earliest transaction, S01's then;
    # T2 activates 10-08 (X4, no merchant number), bound to M2 by X5: 2 × 100.00
    assert (s["activations"], s["activation_fen"]) == (2, 20000)
    # volume: X1 1000.00 (M1 before the 交接) + X4 300.00 (M2 via T2's bound merchant)
    # + X5 400.00 = 170000 fen; the void X6 does not count; 170000 × 0.1% = 170 fen
    assert (s["volume"], s["volume_fen"]) == (170000, 170)
    assert s["total_fen"] == 400000 + 20000 + 170


def test_member_joining_mid_month_gets_prorated_base_and_the_handed_over_volume(office):
    s = staff_of()["S02"]
    # role plan 2026-09 (the 2026-11 change does not apply yet): 300000 × 16 / 31
    # = 154838.709… → 154839 (employed 10-16 … 10-31 = 16 days)
    assert s["base_fen"] == 154839
    # M1 from 10-16: X2 +500.00, X3 refund −200.00 → 30000 fen; × 万5 = 15 fen
    assert (s["volume"], s["volume_fen"]) == (30000, 15)
    assert s["activations"] == 0
    assert s["total_fen"] == 154839 + 15


def test_lead_with_scope_all_counts_every_terminal_and_transaction(office):
    s = staff_of()["L01"]
    # scope all: T1, T2 and T3 (in stock, no merchant) activated in October: 3 × 10.00
    assert (s["activations"], s["activation_fen"]) == (3, 3000)
    # every counted transaction: 1000 + 500 − 200 + 300 + 400 + 100 = 2100.00 元;
    # × 万2 = 210000 × 200 / 10^6 = 42 fen
    assert (s["volume"], s["volume_fen"]) == (210000, 42)
    assert s["total_fen"] == 800000 + 3000 + 42


def test_service_member_leaving_mid_month_tickets_and_tiers(office):
    s = staff_of()["S03"]
    # employed 10-01 … 10-10: 310000 × 10 / 31 = 100000
    assert s["base_fen"] == 100000
    # resolved in October on an employed day, not 未解决: K1, K2, K3 (K4 未解决; K5 resolved
    # 10-12 after leaving): 3 × 5.00
    assert (s["tickets_resolved"], s["ticket_fen"]) == (3, 1500)
    # opened in October while employed: K1…K5 = 5; within 24 h: K1 (6 h), K2 (exactly 24 h);
    # K3 48 h late, K4 未解决, K5 72 h: 2/5 = 0.4 < 80 % → no bonus
    assert s["resolution_share"] == "0.4"
    assert s["resolution_bonus_fen"] == 0
    # ratings of K1, K2, K3: (5 + 4 + 4) / 3 = 4.3333… ≥ 4 (not 4.5) → 100.00 (3 ≥ min 3)
    assert s["satisfaction_avg"] == "4.3333"
    assert s["satisfaction_bonus_fen"] == 10000
    assert s["total_fen"] == 100000 + 1500 + 10000


def test_tier_threshold_reached_exactly_and_too_few_ratings(office):
    office.load("tickets", """\
工单号,创建时间,类型,处理人,解决时间,结果,满意度
Q1,2026-10-01 08:00:00,咨询,S04,2026-10-01 09:00:00,已解决,5
Q2,2026-10-02 08:00:00,咨询,S04,2026-10-02 09:00:00,已解决,4
Q3,2026-10-03 08:00:00,咨询,S04,2026-10-03 09:00:00,已解决,
Q4,2026-10-04 08:00:00,咨询,S04,2026-10-04 09:00:00,已解决,
Q5,2026-10-05 08:00:00,咨询,S04,,,
""")
    s = staff_of()["S04"]
    # 4 of 5 within 24 h = 0.8 exactly: the 80 % tier (150.00) is reached
    assert (s["resolution_share"], s["resolution_bonus_fen"]) == ("0.8", 15000)
    # two ratings (5, 4): average 4.5 is shown, but fewer than the minimum 3: no bonus
    assert (s["satisfaction_avg"], s["satisfaction_bonus_fen"]) == ("4.5", 0)
    assert s["total_fen"] == 310000 + 4 * 500 + 15000


def test_ticket_imported_again_as_resolved_is_updated(office):
    office.load("tickets", "工单号,创建时间,类型,处理人\nQ9,2026-10-07 08:00:00,故障,S04\n")
    s = staff_of()["S04"]
    assert (s["resolution_share"], s["tickets_resolved"]) == ("0", 0)
    report = office.load(
        "tickets",
        "工单号,创建时间,类型,处理人,解决时间,结果,满意度\n"
        "Q9,2026-10-07 08:00:00,故障,S04,2026-10-07 20:00:00,已解决,5\n",
    )
    assert (report.added, report.updated) == (0, 1)
    s = staff_of()["S04"]
    # 1 of 1 within 24 h → 100 % ≥ 90 %: 300.00; one rating 5 ≥ min? no: min 3 → 0
    assert (s["resolution_share"], s["resolution_bonus_fen"]) == ("1", 30000)
    assert (s["tickets_resolved"], s["ticket_fen"]) == (1, 500)
    assert (s["satisfaction_avg"], s["satisfaction_bonus_fen"]) == ("5", 0)


def test_adjustments_and_the_json_shape(office):
    office.load("staff_adjustments", """\
员工编号,月份,金额,原因
S01,2026-10,200.00,好评奖励
S01,2026-10,-50,迟到
""")
    s = staff_of()["S01"]
    # +200.00 − 50.00 = 15000 fen
    assert s["adjustment_fen"] == 15000
    assert s["total_fen"] == 400000 + 20000 + 170 + 15000
    assert list(s) == ["code", "name", "role", "base_fen", "activation_fen", "activations",
                       "volume_fen", "volume", "ticket_fen", "tickets_resolved",
                       "resolution_bonus_fen", "resolution_share", "satisfaction_bonus_fen",
                       "satisfaction_avg", "adjustment_fen", "total_fen"]
    assert (s["role"], s["resolution_share"], s["satisfaction_avg"]) == ("sales", None, None)


def test_member_employed_on_no_day_gets_no_statement(office):
    # S02 joins on 10-16: no September statement
    assert "S02" not in staff_of("2026-09")
    settlement.compute_month("2026-10")
    settlement.compute_month("2026-11")
    staff = {s["code"] for s in staff_pay.staff_json("2026-11")["staff"]}
    # S03 left on 10-10: no November statement; the others are employed
    assert staff == {"S01", "S02", "S04", "L01"}
    # the 2026-11 role plan applies from November: S02's base 5,000.00
    assert {s["code"]: s["base_fen"] for s in staff_pay.staff_json("2026-11")["staff"]}["S02"] == 500000


def test_locked_month_is_not_changed_by_later_tickets(office):
    settlement.lock_month("2026-10")
    before = staff_pay.staff_json("2026-10")
    office.load("tickets", """\
工单号,创建时间,类型,处理人,解决时间,结果,满意度
Z1,2026-10-20 08:00:00,咨询,S04,2026-10-20 09:00:00,已解决,5
""")
    with pytest.raises(UserError):
        settlement.compute_month("2026-10")
    assert staff_pay.staff_json("2026-10") == before


def test_computing_twice_gives_identical_rows(office):
    settlement.compute_month("2026-10")
    first = staff_pay.staff_json("2026-10")
    settlement.compute_month("2026-10")
    assert staff_pay.staff_json("2026-10") == first
