"""One test per DOMAIN rule, with the arithmetic worked by hand in the comments.

Base office (tests/helpers.py): product P1, merchant price credit 0.60 %, debit 0.55 % cap
25 元, scan 0.38 %.  Cost policies (credit / debit / cap / scan):
agency 0.50 / 0.45 / 20 / 0.30; A1 0.53 / 0.48 / 21 / 0.32; A2 0.55 / 0.50 / 22 / 0.34;
A3 0.57 / 0.52 / 23 / 0.35.  Tree: agency → A1 → A2 → A3.  T1 is allocated to A3 and
T2 to A2 on 2026-10-01; T3 stays in stock.
"""

from __future__ import annotations

import pytest

from app.core import settlement
from app.core.errors import UserError
from app.models import Statement
from tests.helpers import Office, agent, margin, product


@pytest.fixture
def office(db, tmp_path):
    return Office(tmp_path).base()


def amounts(data, code, cat="credit"):
    p = product(data, code)
    return None if p is None else p[cat]["amount_fen"]


def test_three_level_spread_credit(office):
    # 10,000.00 元 credit: merchant pays 60.00; A3 costs 57.00, A2 55.00, A1 53.00, agency 50.00
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    data = office.compute()
    assert amounts(data, "A3") == 300  # 6000 − 5700
    assert amounts(data, "A2") == 200  # 5700 − 5500
    assert amounts(data, "A1") == 200  # 5500 − 5300
    assert margin(data) == 300  # pool 6000 − 5000 = 1000, minus 700
    p = product(data, "A1")
    assert p["credit"] == {"count": 1, "volume_fen": 1_000_000, "amount_fen": 200}
    s = agent(data, "A3")
    assert (s["gross_fen"], s["tax_fen"], s["payable_fen"], s["on_hold"]) == (300, 0, 300, False)
    assert product(data, "A3")["subtotal_fen"] == 300


def test_debit_cap_applies_per_level(office):
    # 10,000.00 debit: merchant min(55.00, 25) = 25.00; A3 min(52, 23) = 23; A2 22; A1 21;
    # agency 20.  1,000.00 debit is below every cap: 5.50 / 5.20 / 5.00 / 4.80 / 4.50.
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,10000.00,借记卡,成功",
        "X2,2026-10-06 10:00:00,T1,M1,1000.00,借记卡,成功",
    )
    data = office.compute()
    assert amounts(data, "A3", "debit") == 200 + 30
    assert amounts(data, "A2", "debit") == 100 + 20
    assert amounts(data, "A1", "debit") == 100 + 20
    assert margin(data) == 100 + 30  # pool (2500−2000)+(550−450) = 600, minus 470
    assert product(data, "A3")["debit"]["count"] == 2


def test_refund_reverses_rate_part_only(db, tmp_path):
    # per-transaction fees: merchant 0.50, agency 0.20, A1 0.30, A2 0.40, A3 0.45
    policies = """\
agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn
AGENCY,P1,2026-10-01,0.50%,0.45%,20,0.30%,0.20
A1,P1,2026-10-01,0.53%,0.48%,21,0.32%,0.30
A2,P1,2026-10-01,0.55%,0.50%,22,0.34%,0.40
A3,P1,2026-10-01,0.57%,0.52%,23,0.35%,0.45
"""
    prices = """\
product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn
P1,2026-10-01,0.60%,0.55%,25,0.38%,0.50
"""
    office = Office(tmp_path).base(policies=policies, prices=prices)
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功",
        "X2,2026-10-06 10:00:00,T1,M1,2000.00,贷记卡,退货",
    )
    data = office.compute()
    # sale: M 60.50; A3 57.45 → 305; A2 55.40 → 205; A1 53.30 → 210; agency 50.20 → 310
    # refund 2,000: M −12.00 (no per-txn back); A3 −11.40 → −60; A2 −11.00 → −40;
    # A1 −10.60 → −40; agency −10.00 → −60
    assert amounts(data, "A3") == 305 - 60
    assert amounts(data, "A2") == 205 - 40
    assert amounts(data, "A1") == 210 - 40
    assert margin(data) == 310 - 60
    assert product(data, "A3")["credit"] == {"count": 2, "volume_fen": 800_000, "amount_fen": 245}


def test_void_reversal_failed_are_ignored(office):
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功",
        "X2,2026-10-05 11:00:00,T1,M1,5000.00,贷记卡,撤销",
        "X3,2026-10-05 12:00:00,T1,M1,5000.00,贷记卡,冲正",
        "X4,2026-10-05 13:00:00,T1,M1,5000.00,贷记卡,失败",
    )
    data = office.compute()
    assert product(data, "A3")["credit"] == {"count": 1, "volume_fen": 1_000_000, "amount_fen": 300}


def test_price_change_mid_month(office):
    # from 10-16 the merchant pays 0.62 %: the 10-20 sale gives A3 62.00 − 57.00 = 5.00
    office.load("prices", "product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn\n"
                "P1,2026-10-16,0.62%,0.55%,25,0.38%,0\n")
    office.tx(
        "X1,2026-10-10 10:00:00,T1,M1,10000.00,贷记卡,成功",
        "X2,2026-10-20 10:00:00,T1,M1,10000.00,贷记卡,成功",
    )
    data = office.compute()
    assert amounts(data, "A3") == 300 + 500
    assert amounts(data, "A2") == 200 + 200
    assert margin(data) == 300 + 300


def test_policy_change_mid_month(office):
    # A3's credit cost rises to 0.58 % from 10-16 (涨价): A3 earns 2.00, A2 3.00 on the 10-20 sale
    office.load("policies", "agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate\n"
                "A3,P1,2026-10-16,0.58%,0.52%,23,0.35%\n")
    office.tx(
        "X1,2026-10-10 10:00:00,T1,M1,10000.00,贷记卡,成功",
        "X2,2026-10-20 10:00:00,T1,M1,10000.00,贷记卡,成功",
    )
    data = office.compute()
    assert amounts(data, "A3") == 300 + 200
    assert amounts(data, "A2") == 200 + 300
    assert amounts(data, "A1") == 400


def test_terminal_moved_mid_month_move_day_applies(office):
    # T1 moves A3 → A2 on 10-15; the sale of 10-15 already belongs to A2 (M − 55.00 = 5.00)
    office.load("moves", "sn,date,action,agent\nT1,2026-10-15,调拨,A2\n")
    office.tx(
        "X1,2026-10-10 10:00:00,T1,M1,10000.00,贷记卡,成功",
        "X2,2026-10-15 09:00:00,T1,M1,10000.00,贷记卡,成功",
    )
    data = office.compute()
    assert product(data, "A3")["credit"] == {"count": 1, "volume_fen": 1_000_000, "amount_fen": 300}
    assert product(data, "A2")["credit"] == {"count": 2, "volume_fen": 2_000_000, "amount_fen": 700}
    assert amounts(data, "A1") == 400


def test_recall_returns_terminal_to_agency(office):
    # after the recall the whole pool (60.00 − 50.00) is the agency's
    office.load("moves", "sn,date,action,agent\nT1,2026-10-15,回拨,\n")
    office.tx(
        "X1,2026-10-10 10:00:00,T1,M1,10000.00,贷记卡,成功",
        "X2,2026-10-20 10:00:00,T1,M1,10000.00,贷记卡,成功",
    )
    data = office.compute()
    assert product(data, "A3")["credit"]["count"] == 1
    assert margin(data) == 300 + 1000


def test_lost_terminal_stays_with_last_holder(office):
    office.load("moves", "sn,date,action,agent\nT1,2026-10-15,丢失,\n")
    office.tx("X1,2026-10-20 10:00:00,T1,M1,10000.00,贷记卡,成功")
    data = office.compute()
    assert amounts(data, "A3") == 300


def test_stock_terminal_belongs_to_agency_alone(office):
    office.tx("X1,2026-10-20 10:00:00,T3,M1,10000.00,扫码,成功")
    data = office.compute()
    # scan: M 38.00 − agency 30.00 = 8.00, nobody else
    assert data["statements"] == []
    assert margin(data) == 800


def test_rounding_once_per_line_item(office):
    # 0.01 元 ×3 credit: A3 earns 3 × 0.0003 fen = 0.0009 fen → 0; rounding per transaction
    # would also give 0, so use 3 × 25.00: A3 3 × 0.75 fen = 2.25 → 2 (per-tx rounding: 3)
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,25.00,贷记卡,成功",
        "X2,2026-10-05 10:01:00,T1,M1,25.00,贷记卡,成功",
        "X3,2026-10-05 10:02:00,T1,M1,25.00,贷记卡,成功",
    )
    data = office.compute()
    assert amounts(data, "A3") == 2  # 7500 × 0.0003 = 2.25 fen
    assert amounts(data, "A2") == 2  # 7500 × 0.0002 = 1.5 → 2 (half away from zero)
    assert amounts(data, "A1") == 2  # 1.5 → 2
    assert margin(data) == 8 - 6  # pool 7500 × 0.001 = 7.5 → 8


def test_agent_without_policy_passes_spread_up(db, tmp_path):
    # A2 has no policy: it earns nothing and A1 earns against A3 directly (57.00 − 53.00)
    policies = """\
agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate
AGENCY,P1,2026-10-01,0.50%,0.45%,20,0.30%
A1,P1,2026-10-01,0.53%,0.48%,21,0.32%
A3,P1,2026-10-01,0.57%,0.52%,23,0.35%
"""
    office = Office(tmp_path).base(policies=policies, moves="sn,date,action,agent\nT1,2026-10-01,下发,A3\n")
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    data = office.compute()
    assert amounts(data, "A3") == 300
    assert amounts(data, "A2") == 0
    assert amounts(data, "A1") == 400


# ------------------------------------------------------------------ per-terminal amounts

FULL_PRODUCTS = """\
code,name,company,activation_min,qualify_days,qualify_volume,deposit_days,company_cashback,company_qualify_bonus,company_unqualified_penalty
P1,拉卡拉电签,拉卡拉,50.00,30,50000,60,100,50,80
"""
FULL_POLICIES = """\
agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn,cashback,qualify_bonus,unqualified_penalty,deposit
AGENCY,P1,2026-09-01,0.50%,0.45%,20,0.30%,0,,,,
A1,P1,2026-09-01,0.53%,0.48%,21,0.32%,0,90,45,80,0
A2,P1,2026-09-01,0.55%,0.50%,22,0.34%,0,80,40,80,0
A3,P1,2026-09-01,0.57%,0.52%,23,0.35%,0,60,30,80,39
"""


@pytest.fixture
def full(db, tmp_path):
    return Office(tmp_path).base(products=FULL_PRODUCTS, policies=FULL_POLICIES,
                                 moves="sn,date,action,agent\nT1,2026-10-01,下发,A3\n")


def test_activation_cashback_by_spread(full):
    # 30.00 on 10-03 is below the 50.00 threshold; 100.00 on 10-05 activates.
    full.tx(
        "X1,2026-10-03 10:00:00,T1,M1,30.00,贷记卡,成功",
        "X2,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功",
    )
    data = full.compute()
    assert product(data, "A3")["cashback_fen"] == 6000
    assert product(data, "A2")["cashback_fen"] == 2000  # 80 − 60
    assert product(data, "A1")["cashback_fen"] == 1000  # 90 − 80
    # shares on 130.00 credit: A3 13000 × 0.0003 = 3.9 → 4; A2 2.6 → 3; A1 2.6 → 3; pool 13
    assert amounts(data, "A3") == 4
    assert margin(data) == (13 - 10) + (10000 - 9000)
    # deposit 39 deducted at allocation and refunded at activation (5 days ≤ 60)
    p = product(data, "A3")
    assert (p["deposit_deduction_fen"], p["deposit_refund_fen"]) == (-3900, 3900)
    assert p["subtotal_fen"] == 4 + 6000


def test_imported_activation_date_wins(full):
    full.load("activations", "sn,activated,merchant_no,merchant_name\nT1,2026-10-02,M9,小卖部\n")
    full.tx("X2,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功")
    data = full.compute()
    assert product(data, "A3")["cashback_fen"] == 6000


def test_qualification_bonus_on_first_day_reaching_volume(full):
    # window 10-05 … 11-03; end-of-day volume: 10-05 100, 10-12 100+30000+20000−200 = 49,900
    # (the refund counts), 10-13 +100 = 50,000 → reaches 50,000 on 10-13
    full.tx(
        "X1,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-10-12 10:00:00,T1,M1,30000.00,贷记卡,成功",
        "X3,2026-10-12 11:00:00,T1,M1,20000.00,贷记卡,成功",
        "X4,2026-10-12 12:00:00,T1,M1,200.00,贷记卡,退货",
        "X5,2026-10-13 12:00:00,T1,M1,100.00,扫码,成功",
    )
    data = full.compute()
    assert product(data, "A3")["qualify_bonus_fen"] == 3000
    assert product(data, "A2")["qualify_bonus_fen"] == 1000  # 40 − 30
    assert product(data, "A1")["qualify_bonus_fen"] == 500  # 45 − 40
    # pool: credit net 49,900.00 × 0.10 % = 49.90, scan 100.00 × 0.08 % = 0.08 → 49.98;
    # agents: credit 4,990,000 × (0.03 %, 0.02 %, 0.02 %) = 14.97 + 9.98 + 9.98, scan 0.03 +
    # 0.01 + 0.02 → 34.99; agency keeps 14.99 + cashback 100 − 90 + bonus 50 − 45
    assert margin(data) == 1499 + 1000 + 500
    nov = full.compute("2026-11")
    assert product(nov, "A3") is None  # no penalty after reaching


def test_qualification_window_across_two_months_counts_both(full, db):
    # activates 10-20 (window 10-20 … 11-18): 10-20 100.00 + 10-25 30,000.00 in October,
    # 11-05 19,900.00 in November → 50,000.00 at the end of 11-05: bonus on 11-05.  Neither
    # month alone holds the target; the 达标 pass must add both (txn_volume by month).
    full.tx(
        "X1,2026-10-20 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-10-25 10:00:00,T1,M1,30000.00,贷记卡,成功",
        "X3,2026-11-05 10:00:00,T1,M1,19900.00,贷记卡,成功",
    )
    assert product(full.compute("2026-10"), "A3")["qualify_bonus_fen"] == 0
    nov = full.compute("2026-11")
    assert product(nov, "A3")["qualify_bonus_fen"] == 3000
    assert product(nov, "A3")["unqualified_penalty_fen"] == 0
    assert db.execute_sql("SELECT reached_on FROM qualify_outcome").fetchone()[0] == "2026-11-05"


def test_volume_after_the_window_does_not_qualify(full, db):
    # activates 10-05 with 100.00 (window 10-05 … 11-03); 60,000.00 on 11-20 is after the
    # window: October + November hold 60,100.00 ≥ 50,000.00, but the window only 100.00
    # → no bonus, and the 未达标 penalty on 11-03
    full.tx(
        "X1,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-11-20 10:00:00,T1,M1,60000.00,贷记卡,成功",
    )
    nov = full.compute("2026-11")
    assert product(nov, "A3")["qualify_bonus_fen"] == 0
    assert product(nov, "A3")["unqualified_penalty_fen"] == -8000
    assert db.execute_sql("SELECT window_end, reached_on FROM qualify_outcome").fetchone() == (
        "2026-11-03", None
    )


def test_unqualified_penalty_when_window_ends(full):
    # activates 10-05 with 100.00 and never trades again: window ends 11-03 → penalty in 11
    full.tx("X1,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功")
    oct_ = full.compute("2026-10")
    assert product(oct_, "A3")["unqualified_penalty_fen"] == 0
    nov = full.compute("2026-11")
    p = product(nov, "A3")
    # equal penalties (80) at every level: only the holder pays; the agency's 80 − 80 = 0
    assert p["unqualified_penalty_fen"] == -8000
    assert product(nov, "A2") is None and product(nov, "A1") is None
    assert p["subtotal_fen"] == -8000 and p["carried_out_fen"] == -8000
    assert agent(nov, "A3")["payable_fen"] == 0


def test_deposit_paid_in_cash_has_no_deduction_but_is_refunded(full):
    full.load("moves", "sn,date,action,agent,deposit_method\nT2,2026-10-01,下发,A3,现金\n")
    full.tx("X1,2026-10-06 10:00:00,T2,M1,100.00,贷记卡,成功")
    data = full.compute()
    p = product(data, "A3")
    # T1 (deducted, not active): −39; T2 (cash): no deduction, refund +39
    assert p["deposit_deduction_fen"] == -3900
    assert p["deposit_refund_fen"] == 3900


def test_deposit_refund_in_activation_month_and_forfeit_when_late(full):
    # T1 allocated 10-01 activates 11-10 (40 days): refund in November.
    # T2 allocated 10-01 activates 12-15 (75 days > 60): forfeited, no refund.
    full.load("moves", "sn,date,action,agent\nT2,2026-10-01,下发,A3\n")
    full.tx(
        "X1,2026-11-10 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-12-15 10:00:00,T2,M1,100.00,贷记卡,成功",
    )
    oct_ = full.compute("2026-10")
    assert product(oct_, "A3")["deposit_deduction_fen"] == -7800
    nov = full.compute("2026-11")
    assert product(nov, "A3")["deposit_refund_fen"] == 3900
    dec = full.compute("2026-12")
    assert product(dec, "A3")["deposit_refund_fen"] == 0


def test_deposit_forfeited_when_lost_before_activation(full):
    full.load("moves", "sn,date,action,agent\nT1,2026-10-10,丢失,\n")
    full.tx("X1,2026-10-12 10:00:00,T1,M1,100.00,贷记卡,成功")
    data = full.compute()
    assert product(data, "A3")["deposit_refund_fen"] == 0
    assert product(data, "A3")["deposit_deduction_fen"] == -3900


def test_deposit_stays_with_payer_after_transfer_and_reallocation_takes_none(full):
    # T1: A3 pays 39 on 10-01, recalled 10-03, allocated again to A3 10-04 (no second deposit)
    full.load("moves", "sn,date,action,agent\nT1,2026-10-03,回拨,\nT1,2026-10-04,下发,A3\n"
              "T1,2026-10-05,调拨,A2\n")
    full.tx("X1,2026-10-06 10:00:00,T1,M1,100.00,贷记卡,成功")
    data = full.compute()
    a3 = product(data, "A3")
    assert (a3["deposit_deduction_fen"], a3["deposit_refund_fen"]) == (-3900, 3900)
    assert product(data, "A2")["deposit_refund_fen"] == 0


def test_no_deposit_when_activated_before_allocation(db, tmp_path):
    office = Office(tmp_path).base(products=FULL_PRODUCTS, policies=FULL_POLICIES, moves="")
    office.load("activations", "sn,activated\nT1,2026-09-25\n")
    office.load("moves", "sn,date,action,agent\nT1,2026-10-01,下发,A3\n")
    data = office.compute()
    p = product(data, "A3")
    # no deposit owed; the 9-25 cashback went to the agency (in stock that day), and the
    # window 9-25 … 10-24 ends without volume while A3 holds it: A3 pays the 80.00 penalty
    assert (p["deposit_deduction_fen"], p["deposit_refund_fen"], p["cashback_fen"]) == (0, 0, 0)
    assert p["unqualified_penalty_fen"] == -8000
    sep = settlement.statement_json("2026-09")
    assert sep["statements"] == [] and margin(sep) == 10000


# ------------------------------------------------------------------ the statement


def test_adjustments_with_reasons(office):
    office.load("adjustments", "agent,product,month,amount,reason\nA3,P1,2026-10,50.00,补贴\n"
                "A3,P1,2026-10,-20.00,机具款扣回\n")
    data = office.compute()
    assert product(data, "A3")["adjustment_fen"] == 3000
    assert agent(data, "A3")["payable_fen"] == 3000


def test_tax_rounding_half_up(db, tmp_path):
    agents = "code,name,parent,tax_rate\nA1,张建国,,6%\n"
    office = Office(tmp_path).base(agents=agents, policies="", moves="")
    office.load("adjustments", "agent,product,month,amount,reason\nA1,P1,2026-10,15.75,补贴\n")
    s = agent(office.compute(), "A1")
    # 1575 × 6 % = 94.5 → 95
    assert (s["gross_fen"], s["tax_fen"], s["payable_fen"]) == (1575, 95, 1480)


def test_per_product_carry_forward(db, tmp_path):
    products = "code,name\nP1,产品一\nP2,产品二\n"
    prices = "product,effective_from,credit_rate,debit_rate,scan_rate\nP1,2026-10-01,0.6%,0.55%,0.38%\n"
    office = Office(tmp_path).base(products=products, prices=prices)
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    office.load("adjustments", "agent,product,month,amount,reason\nA3,P2,2026-10,-5.00,扣回\n"
                "A3,P2,2026-11,2.00,补贴\nA3,P1,2026-11,1.00,补贴\n")
    oct_ = office.compute("2026-10")
    s = agent(oct_, "A3")
    # P1 +3.00 is paid; P2 −5.00 pays nothing and carries −5.00 (不旧账新算)
    assert s["gross_fen"] == 300 and s["payable_fen"] == 300
    assert product(oct_, "A3", "P2")["carried_out_fen"] == -500
    assert product(oct_, "A3", "P1")["carried_out_fen"] == 0
    nov = office.compute("2026-11")
    p2 = product(nov, "A3", "P2")
    assert (p2["carried_in_fen"], p2["subtotal_fen"], p2["carried_out_fen"]) == (-500, -300, -300)
    # P1's 1.00 is paid: the P2 debt is not offset against P1
    assert agent(nov, "A3")["payable_fen"] == 100


def test_minimum_payout_carries_everything_forward(db, tmp_path):
    office = Office(tmp_path).base(min_payout=500)
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    data = office.compute()
    s = agent(data, "A3")
    # 3.00 < 5.00 minimum: gross still shown, nothing paid, 3.00 carried
    assert (s["gross_fen"], s["tax_fen"], s["payable_fen"]) == (300, 0, 0)
    assert product(data, "A3")["carried_out_fen"] == 300
    office.tx("X2,2026-11-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    nov = office.compute("2026-11")
    p = product(nov, "A3")
    assert (p["carried_in_fen"], p["subtotal_fen"], p["carried_out_fen"]) == (300, 600, 0)
    assert agent(nov, "A3")["payable_fen"] == 600


def test_hold_keeps_payable(db, tmp_path):
    agents = "code,name,parent,status\nA1,张建国,,正常\nA2,李秀英,A1,停发\nA3,王伟,A2,正常\n"
    office = Office(tmp_path).base(agents=agents)
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    data = office.compute()
    s = agent(data, "A2")
    assert s["on_hold"] is True
    assert (s["gross_fen"], s["payable_fen"]) == (200, 0)
    assert product(data, "A2")["carried_out_fen"] == 200
    assert agent(data, "A3")["payable_fen"] == 300


def test_via_parent_payout_is_listed_on_parent(db, tmp_path):
    agents = "code,name,parent,payout\nA1,张建国,,直结\nA2,李秀英,A1,直结\nA3,王伟,A2,上级代发\n"
    office = Office(tmp_path).base(agents=agents)
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    office.compute()
    a3 = Statement.get(Statement.month == "2026-10", Statement.agent == 3)
    assert a3.paid_by.code == "A2"
    assert a3.payable == 300


def test_late_transactions_land_in_next_open_month(office):
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    settlement.lock_month("2026-10")
    before = settlement.statement_json("2026-10")
    report = office.tx("X2,2026-10-20 10:00:00,T1,M1,10000.00,贷记卡,成功")
    assert "已锁定" in report.summary()
    assert settlement.statement_json("2026-10") == before
    nov = office.compute("2026-11")
    # priced and owned as of 10-20, settled in November
    assert product(nov, "A3")["credit"] == {"count": 1, "volume_fen": 1_000_000, "amount_fen": 300}
    with pytest.raises(UserError):
        settlement.compute_month("2026-10")


def test_late_adjustment_goes_to_next_open_month(office):
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    settlement.lock_month("2026-10")
    report = office.load("adjustments", "agent,product,month,amount,reason\nA3,P1,2026-10,5.00,补贴\n")
    assert "计入 2026年11月" in report.summary()
    nov = office.compute("2026-11")
    assert product(nov, "A3")["adjustment_fen"] == 500


def test_late_activation_posts_cashback_to_next_open_month(full):
    full.compute("2026-10")
    settlement.lock_month("2026-10")
    full.load("activations", "sn,activated\nT1,2026-10-20\n")
    nov = full.compute("2026-11")
    assert product(nov, "A3")["cashback_fen"] == 6000
    assert product(nov, "A3")["deposit_refund_fen"] == 3900


def test_compute_twice_gives_identical_rows(office):
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    first = office.compute()
    assert office.compute() == first


def test_compute_runs_earlier_open_months_for_carry(db, tmp_path):
    office = Office(tmp_path).base(min_payout=500)
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    nov = office.compute("2026-11")  # October was never computed by hand
    assert product(nov, "A3")["carried_in_fen"] == 300


def _ledger(db, month):
    return sorted(
        db.execute_sql(
            "SELECT terminal_id, kind, COALESCE(agent_id, 0), natural_date, month, amount "
            "FROM terminal_item WHERE month = ?",
            (month,),
        ).fetchall()
    )


def _agent_id(db, code):
    return db.execute_sql("SELECT id FROM agent WHERE code = ?", (code,)).fetchone()[0]


def _derived(month):
    return sorted(
        (t, k, a or 0, d, m, x) for t, k, a, _p, d, m, x in settlement.posted_items(month)
    )


def test_open_month_amounts_are_derived_next_to_a_locked_month_and_locking_stores_them(full, db):
    # October: 10-05 100.00 activates T1 (window 10-05 … 11-03, 达标 at 50,000.00); locked
    full.tx("X1,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功")
    settlement.lock_month("2026-10")
    october = _ledger(db, "2026-10")
    assert october == _derived("2026-10")  # a locked month's come from its ledger
    # cashback 60 to A3 (and the chain's differences), the refunded deposit 39
    assert {(r[1], r[5]) for r in october if r[2] == _agent_id(db, "A3")} == {
        ("cashback", 6000), ("deposit_refund", 3900), ("deposit_deduction", -3900)
    }
    full.tx("X2,2026-11-01 10:00:00,T1,M1,100.00,贷记卡,成功")
    full.compute("2026-11")
    assert _ledger(db, "2026-11") == []  # an open month keeps no ledger rows
    assert not [r for r in _derived("2026-11") if r[1] == "qualify_bonus"]
    # 11-02: 50,000.00 more reaches the target inside the window → 达标 bonus on 11-02
    full.tx("X3,2026-11-02 10:00:00,T1,M1,50000.00,贷记卡,成功")
    data = full.compute("2026-11")
    assert product(data, "A3")["qualify_bonus_fen"] == 3000
    derived = _derived("2026-11")
    bonus = [(r[3], r[5]) for r in derived if r[1] == "qualify_bonus"]
    # A3 30, A2 40 − 30, A1 45 − 40, and the agency keeps the company's 50 − 45
    assert sorted(bonus) == [("2026-11-02", a) for a in (500, 500, 1000, 3000)]
    # October's cashback and deposit were paid there: November owes them nothing again
    assert {r[1] for r in derived} == {"qualify_bonus"}
    # locking November stores exactly what was derived, and October stays as it was
    settlement.lock_month("2026-11")
    assert _ledger(db, "2026-11") == derived
    assert _ledger(db, "2026-10") == october


def test_a_compute_writes_no_ledger_rows_and_the_derived_ones_follow_new_data(full, db):
    # 10-05: 100.00 activates T1 (cashback, deposit refund), far below the 达标 volume
    full.tx("X1,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功")
    full.compute()
    assert db.execute_sql("SELECT COUNT(*) FROM terminal_item").fetchone()[0] == 0
    before = _derived("2026-10")
    assert not [r for r in before if r[1] == "qualify_bonus"]
    # 10-12: 50,000.00 more reaches 50,000 → 达标 bonus 30 / 10 / 5 on 10-12
    full.tx("X2,2026-10-12 10:00:00,T1,M1,50000.00,贷记卡,成功")
    data = full.compute()
    assert product(data, "A3")["qualify_bonus_fen"] == 3000
    after = _derived("2026-10")
    bonus = [(r[3], r[5]) for r in after if r[1] == "qualify_bonus"]
    # A3 30, A2 40 − 30, A1 45 − 40, and the agency keeps the company's 50 − 45
    assert sorted(bonus) == [("2026-10-12", a) for a in (500, 500, 1000, 3000)]
    assert set(before) < set(after)
    # the drill-down adds up to the statement line it explains
    a3 = _agent_id(db, "A3")
    assert sum(r[5] for r in after if r[2] == a3 and r[1] == "qualify_bonus") == 3000
    # and the 达标 outcome is recorded for team figures: reached on 10-12
    assert db.execute_sql("SELECT window_end, reached_on FROM qualify_outcome").fetchall() == [
        ("2026-11-03", "2026-10-12")
    ]


def test_recompute_updates_the_deposit_ledger(full, db):
    # T1 handed to A3 on 10-01 with a deducted deposit: held until it activates
    full.compute()
    state = "SELECT state, settled_on FROM deposit WHERE terminal_id = (SELECT id FROM terminal WHERE sn = 'T1')"
    assert db.execute_sql(state).fetchone() == ("held", None)
    rows = "SELECT * FROM deposit ORDER BY id"
    kept = db.execute_sql(rows).fetchall()
    outcomes = db.execute_sql("SELECT * FROM qualify_outcome").fetchall()
    db.execute_sql("CREATE TEMP TABLE rewritten (name TEXT)")
    for table in ("deposit", "qualify_outcome"):
        db.execute_sql(
            f"CREATE TEMP TRIGGER rewrite_{table} AFTER DELETE ON {table} "
            f"BEGIN INSERT INTO rewritten VALUES ('{table}'); END"
        )
    full.compute()  # nothing changed: the ledger is kept as it is, not written again
    assert db.execute_sql("SELECT * FROM rewritten").fetchall() == []
    assert db.execute_sql(rows).fetchall() == kept
    assert db.execute_sql("SELECT * FROM qualify_outcome").fetchall() == outcomes
    full.tx("X1,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功")  # activates within 60 days
    full.compute()
    assert db.execute_sql(state).fetchone() == ("refunded", "2026-10-05")
    # the rows are stored from JSON by SQLite: amounts stay integers, days text, none NULL
    types = db.execute_sql(
        "SELECT DISTINCT typeof(terminal_id), typeof(agent_id), typeof(amount), "
        "typeof(allocated_on), typeof(settled_on) FROM deposit"
    ).fetchall()
    assert set(types) <= {
        ("integer", "integer", "integer", "text", "text"),
        ("integer", "integer", "integer", "text", "null"),
    }
    assert ("integer", "integer", "integer", "text", "text") in types


def _line_items(db, month):
    kinds = settlement.ITEM_KINDS
    rows = db.execute_sql(
        f"SELECT s.agent_id, l.product_id, {', '.join('l.' + k for k in kinds)} "
        "FROM statement_line l JOIN statement s ON s.id = l.statement_id WHERE s.month = ?",
        (month,),
    ).fetchall()
    return {(a, p, k): x for a, p, *xs in rows for k, x in zip(kinds, xs, strict=True) if x}


def _summed(month):
    out: dict = {}
    for _t, kind, who, pid, _d, _m, amount in settlement.posted_items(month):
        if who is not None:
            out[(who, pid, kind)] = out.get((who, pid, kind), 0) + amount
    return {k: v for k, v in out.items() if v}


def test_statement_lines_are_the_sums_of_the_derived_postings(db):
    """A compute only sums the postings (nothing to write); the drill-down makes each
    one.  Both ways must give the same money, with and without a locked month before."""
    from app.io.demo_load import load_demo

    load_demo("small", settle=False)
    settlement.compute_month("2026-09")  # 2026-08 and 2026-09, nothing locked
    for month in ("2026-08", "2026-09"):
        assert _line_items(db, month) == _summed(month)
        assert _line_items(db, month)  # cashback and deposits at least
    settlement.lock_month("2026-08")  # months close in order
    settlement.lock_month("2026-09")
    settlement.compute_month("2026-10")  # now replayed against September's ledger
    assert _line_items(db, "2026-10") == _summed("2026-10")
    assert _line_items(db, "2026-10")
