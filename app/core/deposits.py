"""The deposit ledger (押金台账) per agent, from the ``Deposit`` table that each month
compute rebuilds: owed, deducted from statements, paid in cash, refunded, forfeited, and
what the agency still holds.

Owed is every deposit taken on a first allocation (DOMAIN §5); it is either deducted
(分润扣除) or paid in cash (现金), so owed = deducted + cash.  Held = owed − refunded −
forfeited.  The figures are as of the last compute (月结计算).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import fn

from app.models import Agent, Deposit, Product, Terminal, database

STATE_LABELS = {"held": "持有中", "refunded": "已退还", "forfeited": "已没收"}
METHOD_LABELS = {"deduct": "分润扣除", "cash": "现金"}


@dataclass
class LedgerRow:
    agent_id: int
    code: str
    name: str
    terminals: int = 0
    owed: int = 0
    deducted: int = 0
    cash: int = 0
    refunded: int = 0
    forfeited: int = 0
    held: int = 0

    def add(self, other: LedgerRow) -> None:
        for f in ("terminals", "owed", "deducted", "cash", "refunded", "forfeited", "held"):
            setattr(self, f, getattr(self, f) + getattr(other, f))


def _iso(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)[:10]


def ledger(product_id: int | None = None, since: dt.date | None = None,
           until: dt.date | None = None) -> list[LedgerRow]:
    """One row per agent that owes or owed a deposit (filtered by product and allocation day)."""
    cond = Deposit.amount > 0
    if product_id is not None:
        cond &= Deposit.product == product_id
    if since is not None:
        cond &= Deposit.allocated_on >= since
    if until is not None:
        cond &= Deposit.allocated_on <= until
    query = (Deposit.select(Deposit.agent, Deposit.method, Deposit.state, fn.COUNT(Deposit.id), fn.SUM(Deposit.amount))
             .where(cond).group_by(Deposit.agent, Deposit.method, Deposit.state))
    names = {a: (c, n) for a, c, n in database.execute(Agent.select(Agent.id, Agent.code, Agent.name))}
    rows: dict[int, LedgerRow] = {}
    for agent, method, state, count, amount in database.execute(query):
        code, name = names.get(agent, ("", ""))
        row = rows.setdefault(agent, LedgerRow(agent, code, name))
        amount = int(amount or 0)
        row.terminals += count
        row.owed += amount
        if method == "cash":
            row.cash += amount
        else:
            row.deducted += amount
        if state == "refunded":
            row.refunded += amount
        elif state == "forfeited":
            row.forfeited += amount
        else:
            row.held += amount
    return sorted(rows.values(), key=lambda r: r.code)


def totals(rows: list[LedgerRow]) -> LedgerRow:
    total = LedgerRow(0, "合计", "")
    for r in rows:
        total.add(r)
    return total


@dataclass(frozen=True)
class DepositDetail:
    sn: str
    product: str
    amount: int
    method: str
    allocated_on: str
    state: str
    settled_on: str


def deposit_details(agent_id: int, product_id: int | None = None) -> list[DepositDetail]:
    """The agent's deposits terminal by terminal."""
    cond = (Deposit.agent == agent_id) & (Deposit.amount > 0)
    if product_id is not None:
        cond &= Deposit.product == product_id
    query = (Deposit.select(Terminal.sn, Product.code, Deposit.amount, Deposit.method, Deposit.allocated_on,
                            Deposit.state, Deposit.settled_on)
             .join(Terminal, on=(Deposit.terminal == Terminal.id))
             .switch(Deposit).join(Product, on=(Deposit.product == Product.id))
             .where(cond).order_by(Terminal.sn))
    return [
        DepositDetail(sn, code, amount, METHOD_LABELS.get(method, method), _iso(alloc),
                      STATE_LABELS.get(state, state), _iso(settled))
        for sn, code, amount, method, alloc, state, settled in database.execute(query)
    ]
