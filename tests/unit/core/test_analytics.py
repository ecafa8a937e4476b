"""Team figures on a hand-made tree: every number below is worked out in the comments.

Tree: A ─┬─ B ── C
         └─ D
Products: P1 has a 30-day / ¥10,000 qualification rule, P2 has none.  Month 2026-10, so the
P1 window of an activation on or before 10-02 has ended by 10-31.
"""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.analytics import divide_half_up, ratio_ppm, team_figures
from app.models import Agent, Product, QualifyOutcome, Terminal, TerminalEvent, Txn

D = dt.date


@pytest.fixture
def tree(db):
    a = Agent.create(code="A", name="甲")
    b = Agent.create(code="B", name="乙", parent=a)
    c = Agent.create(code="C", name="丙", parent=b)
    d = Agent.create(code="D", name="丁", parent=a)
    p1 = Product.create(code="P1", name="电签一", qualify_days=30, qualify_volume=1_000_000)
    p2 = Product.create(code="P2", name="电签二")
    agents = {"A": a, "B": b, "C": c, "D": d}

    def terminal(
        sn, product, *, holder=None, status="in_stock", activated_on=None, first_tx_on=None
    ):
        return Terminal.create(
            sn=sn,
            product=product,
            stocked_on=D(2026, 8, 1),
            holder=holder,
            status=status,
            activated_on=activated_on,
            first_tx_on=first_tx_on,
        )

    def event(t, day, action, to=None):
        TerminalEvent.create(terminal=t, date=day, action=action, to_agent=to)

    # T1 P1: B from 09-05, activated 09-10, window ended, penalised (伪激活)
    t1 = terminal("T1", p1, holder=b, status="allocated", activated_on=D(2026, 9, 10))
    event(t1, D(2026, 9, 5), "allocate", b)
    # the compute found its 30-day window (09-10 … 10-09) below the target
    QualifyOutcome.create(terminal=t1, window_end=D(2026, 10, 9), reached_on=None)
    # T2 P1: C from 09-20, first tx 10-05 (window not ended yet)
    t2 = terminal("T2", p1, holder=c, status="allocated", first_tx_on=D(2026, 10, 5))
    event(t2, D(2026, 9, 20), "allocate", c)
    # T3 P1: C from 10-01, lost 10-15, never activated
    t3 = terminal("T3", p1, holder=c, status="lost")
    event(t3, D(2026, 10, 1), "allocate", c)
    event(t3, D(2026, 10, 15), "lost")
    # T4 P2: D from 09-01, activated 10-02
    t4 = terminal("T4", p2, holder=d, status="allocated", activated_on=D(2026, 10, 2))
    event(t4, D(2026, 9, 1), "allocate", d)
    # T5 P2: B from 09-01, moved to D on 10-10, activated 10-20 (by D)
    t5 = terminal("T5", p2, holder=d, status="allocated", activated_on=D(2026, 10, 20))
    event(t5, D(2026, 9, 1), "allocate", b)
    event(t5, D(2026, 10, 10), "transfer", d)
    # T6 P2: B from 09-01, recalled 09-15
    t6 = terminal("T6", p2)
    event(t6, D(2026, 9, 1), "allocate", b)
    event(t6, D(2026, 9, 15), "recall")
    # T7 P2: agency stock, activated 10-03 in stock: nobody's
    t7 = terminal("T7", p2, activated_on=D(2026, 10, 3))
    event(t7, D(2026, 8, 1), "stock")
    # T8 P1: allocated to B only in November: not part of October at all
    t8 = terminal("T8", p1, holder=b, status="allocated")
    event(t8, D(2026, 11, 5), "allocate", b)
    # T9 P1: C from 10-01, not activated
    t9 = terminal("T9", p1, holder=c, status="allocated")
    event(t9, D(2026, 10, 1), "allocate", c)
    # T10 P1: B from 09-01, activated 09-15, window ended, not penalised
    t10 = terminal("T10", p1, holder=b, status="allocated", activated_on=D(2026, 9, 15))
    event(t10, D(2026, 9, 1), "allocate", b)
    QualifyOutcome.create(terminal=t10, window_end=D(2026, 10, 14), reached_on=D(2026, 10, 2))
    # T11 P2: a hand-made row without events, held by D
    terminal("T11", p2, holder=d, status="allocated")

    n = iter(range(1, 1000))

    def tx(t, day, amount, status="success", month="2026-10", category="credit"):
        Txn.create(
            tx_id=f"X{next(n)}",
            terminal=t,
            product=t.product,
            time=f"{day} 10:00:00",
            date=day,
            month=month,
            amount=amount,
            category=category,
            status=status,
        )

    tx(t1, D(2026, 10, 3), 100_000)
    tx(t1, D(2026, 10, 4), 50_000, status="void")  # ignored
    tx(t1, D(2026, 9, 30), 999, month="2026-09")  # another month
    tx(t2, D(2026, 10, 5), 200_000)
    tx(t2, D(2026, 10, 6), -20_000, status="refund")
    tx(t3, D(2026, 10, 8), 5_000)  # before it was lost: still C's
    tx(t4, D(2026, 10, 2), 40_000, category="debit")
    tx(t4, D(2026, 10, 9), 30_000, status="failed")  # ignored
    tx(t5, D(2026, 10, 5), 30_000, category="scan")  # B held it then
    tx(t5, D(2026, 10, 12), 70_000, category="debit")  # D holds it now
    tx(t7, D(2026, 10, 3), 10_000, category="scan")  # agency stock
    tx(t10, D(2026, 9, 28), 8_000, month="2026-10")  # late, settled in October; B's
    return {k: v.id for k, v in agents.items()}


def test_ratio_helpers():
    assert ratio_ppm(1, 3) == 333_333
    assert ratio_ppm(2, 3) == 666_667
    assert ratio_ppm(1, 8) == 125_000
    assert ratio_ppm(5, 0) == 0
    assert divide_half_up(433_000, 6) == 72_167
    assert divide_half_up(-5, 2) == -3
    assert divide_half_up(7, 0) == 0


def test_held_allocated_lost(tree):
    f = team_figures("2026-10")
    a, b, c, d = (f[tree[k]] for k in "ABCD")
    # held at 10-31: T1 B, T2 C, T4 D, T5 D, T9 C, T10 B, T11 D (T3 lost, T6/T7 stock, T8 later)
    assert (c.held, b.held, d.held, a.held) == (2, 4, 3, 7)
    # ever allocated: C {T2,T3,T9}; B {T1,T5,T6,T10}+C; D {T4,T5,T11}; A once each = 9
    assert (c.allocated, b.allocated, d.allocated, a.allocated) == (3, 7, 3, 9)
    assert (c.lost, b.lost, d.lost, a.lost) == (1, 1, 0, 1)
    assert c.lost_rate_ppm == 333_333  # 1/3
    assert b.lost_rate_ppm == 142_857  # 1/7
    assert a.lost_rate_ppm == 111_111  # 1/9
    assert d.lost_rate_ppm == 0


def test_activations(tree):
    f = team_figures("2026-10")
    a, b, c, d = (f[tree[k]] for k in "ABCD")
    # activated by (holder that day): T1 B 09-10, T10 B 09-15, T2 C 10-05, T4 D 10-02,
    # T5 D 10-20; T7 in stock counts for nobody
    assert (c.activated_total, b.activated_total, d.activated_total, a.activated_total) == (
        1,
        3,
        2,
        5,
    )
    assert (c.activated_month, b.activated_month, d.activated_month, a.activated_month) == (
        1,
        1,
        2,
        3,
    )
    # base = held at month end ∪ activated by the team
    assert (c.activation_base, b.activation_base, d.activation_base, a.activation_base) == (
        2,
        4,
        3,
        7,
    )
    assert c.activation_rate_ppm == 500_000
    assert b.activation_rate_ppm == 750_000
    assert d.activation_rate_ppm == 666_667
    assert a.activation_rate_ppm == 714_286  # 5/7


def test_fake_rate(tree):
    f = team_figures("2026-10")
    a, b, c, d = (f[tree[k]] for k in "ABCD")
    # P1 windows ended for T1 and T10 (activated ≤ 10-02); T1 was penalised
    assert (b.window_ended, b.fake, b.fake_rate_ppm) == (2, 1, 500_000)
    assert a.fake_rate_ppm == 500_000
    assert c.fake_rate_ppm == 0  # T2's window is still open: nothing to divide
    assert d.fake_rate_ppm == 0  # P2 has no rule


def test_volume(tree):
    f = team_figures("2026-10")
    a, b, c, d = (f[tree[k]] for k in "ABCD")
    # C: T2 200,000-20,000 + T3 5,000 on 2 terminals
    assert (c.volume_fen, c.active, c.avg_volume_fen) == (185_000, 2, 92_500)
    # B: T1 100,000 + T5 30,000 (before the move) + T10 8,000 (late) + C
    assert (b.volume_fen, b.active, b.avg_volume_fen) == (323_000, 5, 64_600)
    # D: T4 40,000 + T5 70,000
    assert (d.volume_fen, d.active, d.avg_volume_fen) == (110_000, 2, 55_000)
    # A: T5 counted once although it changed hands inside the team
    assert (a.volume_fen, a.active, a.avg_volume_fen) == (433_000, 6, 72_167)


def test_downlines_and_every_agent(tree):
    f = team_figures("2026-10")
    assert set(f) == set(tree.values())
    assert [x.agent_id for x in f[tree["A"]].downlines] == [tree["B"], tree["D"]]
    assert [x.agent_id for x in f[tree["B"]].downlines] == [tree["C"]]
    assert f[tree["C"]].downlines == []


def test_figures_are_as_of_the_month_end(tree):
    f = team_figures("2026-09")
    b, d = f[tree["B"]], f[tree["D"]]
    # at 09-30 B held T1, T5, T10 and (through C) T2; T6 was recalled on 09-15
    assert b.held == 4
    assert d.held == 2  # T4 and the hand-made T11
    assert b.activated_month == 2  # T1 and T10
    assert (b.volume_fen, b.active) == (999, 1)  # only T1's 999 is September's


def test_empty_database(db):
    assert team_figures("2026-10") == {}
