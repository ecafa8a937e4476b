"""The month close services (app/core/closing.py), numbers worked by hand.

Base office (tests/helpers.py): P1 merchant credit 0.60 %; cost credit rates agency 0.50,
A1 0.53, A2 0.55, A3 0.57 %.  Tree agency → A1 → A2 → A3; T1 → A3 and T2 → A2 on
2026-10-01, T3 stays in stock.  Activation threshold 1.00 元, no 达标 rule.
"""

from __future__ import annotations

import datetime as dt

import pytest

from app.core import closing, settlement
from app.core.errors import UserError
from app.models import Adjustment, Policy
from tests.helpers import Office

NOV_PRICES = """\
product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn
P1,2026-09-01,0.60%,0.55%,25,0.38%,0
"""
SEP_POLICIES = """\
agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn,cashback,qualify_bonus,unqualified_penalty,deposit
AGENCY,P1,2026-09-01,0.50%,0.45%,20,0.30%,0,,,,
A1,P1,2026-09-01,0.53%,0.48%,21,0.32%,0,,,,
A2,P1,2026-09-01,0.55%,0.50%,22,0.34%,0,,,,
A3,P1,2026-09-01,0.57%,0.52%,23,0.35%,0,,,,
"""


@pytest.fixture
def office(db, tmp_path):
    return Office(tmp_path).base()


def by_key(checks, key):
    return next(c for c in checks if c.key == key)


# ------------------------------------------------------------------ readiness


def test_coverage_lists_days_without_transactions(office):
    # P1's first activation is 10-01 (T1's first transaction); today is 10-06, so 10-01 …
    # 10-06 are expected: 10-03, 10-04 and 10-06 have nothing.
    office.tx(
        "X1,2026-10-01 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-10-02 10:00:00,T2,M1,100.00,贷记卡,成功",
        "X3,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功",
    )
    check = closing.check_coverage("2026-10", today=dt.date(2026, 10, 6))
    assert check.count == 1 and not check.ok
    code, _name, span, days, missing, text = check.rows[0]
    assert (code, span, days, missing, text) == ("P1", "10-01~10-05", 3, 3, "10-03~10-04、10-06")
    assert not check.blocking


def test_coverage_full_month_is_ok(office):
    rows = [f"X{d},2026-10-{d:02d} 10:00:00,T1,M1,10.00,贷记卡,成功" for d in range(1, 32)]
    office.tx(*rows)
    assert closing.check_coverage("2026-10", today=dt.date(2026, 11, 5)).ok


def test_orphans_are_stock_terminals_with_transactions(office):
    # T3 never left stock: both its transactions are the agency's.  T2 is recalled on 10-10,
    # so its 10-12 transaction (but not the 10-05 one) falls on a stock day.
    office.load("moves", "sn,date,action,agent\nT2,2026-10-10,回拨,\n")
    office.tx(
        "X1,2026-10-03 10:00:00,T3,M1,100.00,贷记卡,成功",
        "X2,2026-10-04 10:00:00,T3,M1,50.00,贷记卡,成功",
        "X3,2026-10-05 10:00:00,T2,M1,70.00,贷记卡,成功",
        "X4,2026-10-12 10:00:00,T2,M1,30.00,贷记卡,成功",
        "X5,2026-10-12 11:00:00,T1,M1,30.00,贷记卡,成功",
    )
    check = closing.check_orphans("2026-10", settlement.load_context())
    assert check.count == 2
    assert check.rows == [
        ("T2", "P1", 1, "¥30.00", "10-12~10-12"),
        ("T3", "P1", 2, "¥150.00", "10-03~10-04"),
    ]


def test_agent_holding_terminals_without_policy_is_listed(office):
    office.tx("X1,2026-10-03 10:00:00,T1,M1,100.00,贷记卡,成功")
    assert closing.check_policies("2026-10", settlement.load_context()).ok
    # the importer refuses such allocations; a deleted policy is the way it happens
    Policy.delete().where(Policy.agent == office_agent("A3")).execute()
    check = closing.check_policies("2026-10", settlement.load_context())
    assert check.count == 1
    assert check.rows == [("A3", "王伟", "P1", 1)]


def office_agent(code):
    from app.models import Agent

    return Agent.get(Agent.code == code).id


def test_suspected_duplicates_until_reviewed(office):
    office.tx(
        "X1,2026-10-03 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-10-03 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X3,2026-10-03 10:00:00,T1,M1,100.00,借记卡,成功",  # other category: not a duplicate
        "X4,2026-10-03 10:00:00,T1,M1,100.00,贷记卡,撤销",  # not counted
    )
    groups = closing.suspected_duplicates("2026-10")
    assert [(g.sn, g.count, g.tx_ids, g.reviewed) for g in groups] == [
        ("T1", 2, ["X1", "X2"], False)
    ]
    assert closing.check_duplicates("2026-10").count == 1
    closing.mark_duplicates_reviewed("2026-10", [groups[0].key])
    assert closing.check_duplicates("2026-10").ok
    assert closing.suspected_duplicates("2026-10")[0].reviewed


def test_earlier_open_month_blocks_the_lock(db, tmp_path):
    office = Office(tmp_path).base(prices=NOV_PRICES, policies=SEP_POLICIES)
    office.tx(
        "X1,2026-09-20 10:00:00,T3,M1,100.00,贷记卡,成功",
        "X2,2026-10-03 10:00:00,T1,M1,100.00,贷记卡,成功",
    )
    check = closing.check_open_months("2026-10")
    assert check.blocking and check.count == 1 and check.rows == [("2026年9月", "未计算")]
    with pytest.raises(UserError, match="2026年9月尚未锁定"):
        closing.lock("2026-10")
    closing.lock("2026-09")
    assert closing.check_open_months("2026-10").ok
    closing.lock("2026-10")
    checks = closing.readiness_checks("2026-11", today=dt.date(2026, 12, 1))
    assert [c.key for c in checks] == ["coverage", "orphans", "policies", "duplicates", "open_months",
                                       "derived"]
    assert by_key(checks, "open_months").ok


# ------------------------------------------------------------------ review and drill-down


@pytest.fixture
def two_months(office):
    # October: T1 (A3) credit 10,000 → A3 300, A2 200, A1 200 (the spread per level).
    # November: T1 credit 20,000 → A3 600, A2 400, A1 400; T2 (A2's own) credit 10,000 →
    # A2 60 − 55 = 5.00, A1 55 − 53 = 2.00.  So November: A3 600, A2 900, A1 600.
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    office.compute("2026-10")
    office.tx(
        "X2,2026-11-05 10:00:00,T1,M1,20000.00,贷记卡,成功",
        "X3,2026-11-06 10:00:00,T2,M2,10000.00,贷记卡,成功",
        "X4,2026-11-07 10:00:00,T2,M2,500.00,借记卡,成功",
    )
    office.compute("2026-11")
    return office


def test_month_review_compares_with_last_month(two_months):
    rows = {r.code: r for r in closing.month_review("2026-11")}
    a1, a2, a3 = rows["A1"], rows["A2"], rows["A3"]
    assert (a3.payable, a3.last_payable, a3.change_ppm) == (600, 300, 1_000_000)
    # A2 also earns on the 500.00 debit: 0.55 % − 0.50 % = 0.25 元
    assert (a2.payable, a2.last_payable) == (900 + 25, 200)
    assert a2.change_ppm == (925 - 200) * 1_000_000 // 200  # +362.5 %
    # A1 debit: 0.50 − 0.48 % of 500.00 = 0.10 元
    assert (a1.payable, a1.last_payable) == (610, 200)
    assert a3.moved(50) and not a3.moved(100)
    assert (a3.gross, a3.tax, a3.carried, a3.on_hold, a3.paid_by) == (600, 0, 0, False, "")
    totals = closing.month_totals("2026-11")
    assert (totals.statements, totals.payable, totals.gross, totals.tax) == (3, 2135, 2135, 0)
    assert totals.state == "open"


def test_statement_lines_and_transactions_behind(two_months):
    lines = closing.statement_lines("2026-11", "A2")
    credit = next(ln for ln in lines if ln.kind == "credit")
    assert (credit.count, credit.volume, credit.amount) == (2, 3_000_000, 900)
    subtotal = next(ln for ln in lines if ln.kind == "subtotal")
    assert subtotal.amount == 925
    tx = closing.transactions_behind("2026-11", "A2", "P1", "credit")
    assert [(t.tx_id, t.sn, t.holder_code, t.amount, t.share) for t in tx] == [
        ("X2", "T1", "A3", 2_000_000, 400),  # 114.00 − 110.00 (A3's fee − A2's)
        ("X3", "T2", "A2", 1_000_000, 500),  # 60.00 − 55.00 (merchant − A2's)
    ]
    assert sum(t.share_micro for t in tx) == 900 * 1_000_000
    # A3's team is A3 alone: only T1
    assert [t.tx_id for t in closing.transactions_behind("2026-11", "A3", "P1", "credit")] == ["X2"]
    assert closing.transactions_behind("2026-11", "A3", "P1", "debit") == []
    with pytest.raises(UserError):
        closing.transactions_behind("2026-11", "NOPE", "P1", "credit")


def test_transactions_follow_the_holder_on_the_day(office):
    # T1 moves A3 → A1 on 10-10 (a transfer): the 10-05 sale is A3's team's, the 10-12 one
    # is only A1's.  A2's team (A2, A3) sees just the first.
    office.load("moves", "sn,date,action,agent\nT1,2026-10-10,调拨,A1\n")
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-10-12 10:00:00,T1,M1,200.00,贷记卡,成功",
    )
    office.compute()
    assert [t.tx_id for t in closing.transactions_behind("2026-10", "A2", "P1", "credit")] == ["X1"]
    a1 = closing.transactions_behind("2026-10", "A1", "P1", "credit")
    assert [(t.tx_id, t.holder_code) for t in a1] == [("X1", "A3"), ("X2", "A1")]


def test_add_adjustment_open_month(two_months):
    changes = closing.add_adjustment("A3", "P1", "2026-11", -150, "机具款扣回")
    assert changes.months == {"2026-11"} and "计入 2026年11月" in changes.message
    two_months.compute("2026-11")
    lines = closing.statement_lines("2026-11", "A3")
    adj = [ln for ln in lines if ln.kind == "adjustment"]
    assert [(a.amount, a.note) for a in adj] == [(-150, "机具款扣回")]
    assert next(ln for ln in lines if ln.kind == "subtotal").amount == 450


def test_add_adjustment_to_locked_month_lands_in_next_open_month(two_months):
    closing.lock("2026-10")
    changes = closing.add_adjustment("A3", "P1", "2026-10", 1000, "补贴")
    assert changes.months == {"2026-11"}
    assert "2026年10月已锁定" in changes.message and "2026年11月" in changes.message
    adj = Adjustment.select().order_by(Adjustment.id.desc()).first()
    assert (adj.month, adj.original_month, adj.amount) == ("2026-11", "2026-10", 1000)
    two_months.compute("2026-11")
    lines = closing.statement_lines("2026-11", "A3")
    assert [ln.note for ln in lines if ln.kind == "adjustment"] == ["补贴(原属2026年10月)"]
    with pytest.raises(UserError, match="已锁定"):
        settlement.compute_month("2026-10")


@pytest.mark.parametrize(
    ("agent", "product", "amount", "reason", "message"),
    [
        ("A3", "P1", 100, "  ", "原因"),
        ("A3", "P1", 0, "x", "不能为0"),
        ("A9", "P1", 100, "x", "代理编号"),
        ("A3", "P9", 100, "x", "产品编号"),
    ],
)
def test_add_adjustment_refuses_bad_input(office, agent, product, amount, reason, message):
    with pytest.raises(UserError, match=message):
        closing.add_adjustment(agent, product, "2026-10", amount, reason)
    assert Adjustment.select().count() == 0


def test_items_behind_cashback(db, tmp_path):
    products = """\
code,name,company,activation_min,qualify_days,qualify_volume,deposit_days,company_cashback,company_qualify_bonus,company_unqualified_penalty
P1,拉卡拉电签,拉卡拉,50.00,,,,100,,
"""
    policies = """\
agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn,cashback,qualify_bonus,unqualified_penalty,deposit
AGENCY,P1,2026-09-01,0.50%,0.45%,20,0.30%,0,,,,
A1,P1,2026-09-01,0.53%,0.48%,21,0.32%,0,90,,,
A2,P1,2026-09-01,0.55%,0.50%,22,0.34%,0,80,,,
A3,P1,2026-09-01,0.57%,0.52%,23,0.35%,0,60,,,
"""
    office = Office(tmp_path).base(products=products, prices=NOV_PRICES, policies=policies)
    office.tx("X1,2026-10-05 10:00:00,T1,M1,100.00,贷记卡,成功")
    office.compute()
    assert [(i.sn, i.natural_date, i.amount) for i in closing.items_behind("2026-10", "A2", "P1", "cashback")] == [
        ("T1", "2026-10-05", 2000)  # 80 − 60
    ]
