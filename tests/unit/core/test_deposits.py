"""app.core.deposits: the deposit ledger per agent, its totals, and the terminals behind
(hand-worked amounts in fen)."""

from __future__ import annotations

import datetime as dt

from app.core import deposits
from app.models import Agent, Deposit, Product, Terminal

D = dt.date


def _office():
    p1 = Product.create(code="P1", name="电签")
    p2 = Product.create(code="P2", name="大机")
    a1 = Agent.create(code="A01", name="张建国")
    a2 = Agent.create(code="A02", name="李梅")

    def deposit(sn, agent, product, amount, method, day, state, settled=None):
        t = Terminal.create(sn=sn, product=product, stocked_on=D(2026, 9, 1))
        Deposit.create(terminal=t, agent=agent, product=product, amount=amount, method=method,
                       allocated_on=day, state=state, settled_on=settled)

    # A01: 99.00 deducted held, 99.00 deducted refunded, 199.00 in cash forfeited (P2)
    deposit("T1", a1, p1, 9900, "deduct", D(2026, 9, 5), "held")
    deposit("T2", a1, p1, 9900, "deduct", D(2026, 9, 20), "refunded", D(2026, 10, 31))
    deposit("T3", a1, p2, 19900, "cash", D(2026, 10, 2), "forfeited", D(2026, 12, 31))
    # A02: 99.00 in cash held; a zero deposit is no deposit
    deposit("T4", a2, p1, 9900, "cash", D(2026, 10, 9), "held")
    deposit("T5", a2, p1, 0, "deduct", D(2026, 10, 9), "held")
    return p1, p2, a1, a2


def test_ledger_sums_each_agents_deposits_by_method_and_state(db):
    _office()
    rows = deposits.ledger()
    assert [(r.code, r.terminals, r.owed, r.deducted, r.cash, r.refunded, r.forfeited, r.held)
            for r in rows] == [
        # 99.00 + 99.00 + 199.00 = 397.00 owed; deducted 198.00, cash 199.00;
        # refunded 99.00, forfeited 199.00, held 99.00
        ("A01", 3, 39700, 19800, 19900, 9900, 19900, 9900),
        ("A02", 1, 9900, 0, 9900, 0, 0, 9900),
    ]
    total = deposits.totals(rows)
    assert (total.code, total.terminals, total.owed, total.held) == ("合计", 4, 49600, 19800)


def test_ledger_filters_by_product_and_allocation_day(db):
    p1, p2, _a1, _a2 = _office()
    assert [(r.code, r.owed) for r in deposits.ledger(product_id=p2.id)] == [("A01", 19900)]
    # allocated 2026-10-01 … 2026-10-31: T3 (199.00) and T4 (99.00)
    october = deposits.ledger(since=D(2026, 10, 1), until=D(2026, 10, 31))
    assert [(r.code, r.owed) for r in october] == [("A01", 19900), ("A02", 9900)]


def test_details_list_the_terminals_in_words(db):
    _p1, _p2, a1, _a2 = _office()
    details = deposits.deposit_details(a1.id)
    assert [(d.sn, d.product, d.amount, d.allocated_on, d.settled_on) for d in details] == [
        ("T1", "P1", 9900, "2026-09-05", ""),
        ("T2", "P1", 9900, "2026-09-20", "2026-10-31"),
        ("T3", "P2", 19900, "2026-10-02", "2026-12-31"),
    ]
    assert details[0].method == "分润扣除" and details[2].method == "现金"
