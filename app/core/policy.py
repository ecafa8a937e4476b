"""Policies (政策) and merchant prices in force on a date, fees, and the 级差 guard.

A fee is kept in micro-fen (fen × 10⁻⁶) so that sums stay exact until the one rounding
per line item.  ``fee(P, t) = min(a × rate / 10⁶, cap) + per_txn``; the cap applies to
debit cards only; a refund (退货) reverses the rate part only, never the per-transaction
part (DOMAIN §4).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from app.core.money import MICRO, format_money, format_rate

CATEGORIES = ("credit", "debit", "scan")

# A day as the Book and the replay see it: a ``datetime.date``, or (inside the settlement
# engine, for speed) its ISO text.  Both order the same way; one caller never mixes them.
DayKey = Any


@dataclass(frozen=True)
class Terms:
    """The priced part of a policy or a merchant price list, plus per-terminal amounts."""

    credit_rate: int = 0
    debit_rate: int = 0
    debit_cap: int | None = None
    scan_rate: int = 0
    per_txn: int = 0
    cashback: int = 0
    qualify_bonus: int = 0
    unqualified_penalty: int = 0
    deposit: int = 0

    def rate(self, category: str) -> int:
        if category == "credit":
            return self.credit_rate
        if category == "debit":
            return self.debit_rate
        return self.scan_rate

    def fee_micro(self, category: str, amount: int, refund: bool) -> int:
        """The fee of one transaction of ``amount`` fen (signed) in micro-fen."""
        part = abs(amount) * self.rate(category)
        if category == "debit" and self.debit_cap is not None:
            part = min(part, self.debit_cap * MICRO)
        if refund:
            return -part
        return part + self.per_txn * MICRO

    def linear_fee_micro(self, category: str, amount_sum: int, count: int, refund: bool) -> int:
        """Sum of fees of ``count`` transactions none of which reaches the debit cap."""
        part = amount_sum * self.rate(category)
        return part if refund else part + self.per_txn * count * MICRO

    def cap_threshold(self) -> int | None:
        """The smallest |amount| (fen) whose debit fee reaches the cap, or None (no cap)."""
        if self.debit_cap is None or self.debit_rate <= 0:
            return None
        return -(-self.debit_cap * MICRO // self.debit_rate)

    def bucket_fee_micro(
        self, category: str, amount_sum: int, count: int, refund: bool, low: int | None
    ) -> int:
        """Sum of fees of ``count`` transactions whose |amount| all lie in one band between
        two neighbouring cap thresholds of the product, ``low`` being the band's lower
        threshold (None: below every threshold).  Every cap threshold of the product is a
        band edge, so within a band each cap either bites on all of them or on none."""
        threshold = self.cap_threshold() if category == "debit" else None
        if threshold is None or low is None or threshold > low:
            return self.linear_fee_micro(category, amount_sum, count, refund)
        part = count * self.debit_cap * MICRO  # type: ignore[operator]
        return -part if refund else part + self.per_txn * count * MICRO

    def amount(self, kind: str) -> int:
        """A per-terminal amount by statement kind."""
        if kind == "cashback":
            return self.cashback
        if kind == "qualify_bonus":
            return self.qualify_bonus
        if kind == "unqualified_penalty":
            return self.unqualified_penalty
        raise KeyError(kind)


TERM_FIELDS = [f.name for f in fields(Terms)]
ZERO_TERMS = Terms()


class Book:
    """Effective-dated versions per key: ``in_force(key, day)`` is the latest from ≤ day."""

    def __init__(self) -> None:
        self._dates: dict[object, list[DayKey]] = {}
        self._terms: dict[object, list[Terms]] = {}

    def add(self, key: object, effective_from: DayKey, terms: Terms) -> None:
        dates = self._dates.setdefault(key, [])
        terms_list = self._terms.setdefault(key, [])
        i = bisect.bisect_left(dates, effective_from)
        if i < len(dates) and dates[i] == effective_from:
            terms_list[i] = terms
        else:
            dates.insert(i, effective_from)
            terms_list.insert(i, terms)

    def in_force(self, key: object, day: DayKey) -> Terms | None:
        dates = self._dates.get(key)
        if not dates:
            return None
        i = bisect.bisect_right(dates, day) - 1
        return self._terms[key][i] if i >= 0 else None

    def history(self, key: object) -> list[tuple[DayKey, Terms]]:
        return list(zip(self._dates.get(key, []), self._terms.get(key, []), strict=True))

    def change_dates(self, product_id: int) -> set[DayKey]:
        """Every date on which some version for ``product_id`` starts (keys end in it)."""
        out: set[DayKey] = set()
        for key, dates in self._dates.items():
            pid = key[-1] if isinstance(key, tuple) else key
            if pid == product_id:
                out.update(dates)
        return out

    def dates(self, key: object) -> list[DayKey]:
        """The dates on which the versions of ``key`` start, in order."""
        return self._dates.get(key, [])

    def keys(self) -> list[object]:
        return list(self._dates)


# ------------------------------------------------------------------ the 级差 guard

_LABELS = {
    "credit_rate": "贷记卡结算价",
    "debit_rate": "借记卡结算价",
    "debit_cap": "借记卡封顶",
    "scan_rate": "扫码结算价",
    "per_txn": "单笔成本",
    "cashback": "激活返现",
    "qualify_bonus": "达标奖励",
}
# fields where the child may not be below its parent, then those where it may not be above
NOT_BELOW = ("credit_rate", "debit_rate", "debit_cap", "scan_rate", "per_txn")
NOT_ABOVE = ("cashback", "qualify_bonus")


def _show(field: str, value: int | None) -> str:
    if value is None:
        return "不封顶"
    if field.endswith("_rate"):
        return format_rate(value)
    return format_money(value)


@dataclass(frozen=True)
class SpreadViolation:
    """A negative 级差: on ``day`` the child's ``field`` is on the wrong side of its parent's."""

    day: dt.date
    field: str
    child_value: int | None
    parent_value: int | None

    def describe(self, child_name: str, parent_name: str) -> str:
        side = "低于" if self.field in NOT_BELOW else "高于"
        return (
            f"{child_name}的{_LABELS[self.field]} {_show(self.field, self.child_value)}"
            f"{side}上级{parent_name}的 {_show(self.field, self.parent_value)}"
            f"({self.day.isoformat()}起,级差为负)"
        )


def _cap_below(child: int | None, parent: int | None) -> bool:
    """True when the child's debit cap is lower than the parent's (blank = no cap)."""
    if child is None:
        return False
    return parent is None or child < parent


def spread_violations(
    child: list[tuple[dt.date, Terms]], parent: list[tuple[dt.date, Terms]]
) -> list[SpreadViolation]:
    """Every date on which ``child``'s terms give its parent a negative 级差."""
    out: list[SpreadViolation] = []
    if not child or not parent:
        return out
    c_dates = [d for d, _ in child]
    p_dates = [d for d, _ in parent]
    for day in sorted(set(c_dates) | set(p_dates)):
        ci = bisect.bisect_right(c_dates, day) - 1
        pi = bisect.bisect_right(p_dates, day) - 1
        if ci < 0 or pi < 0:
            continue
        c, p = child[ci][1], parent[pi][1]
        for name in NOT_BELOW:
            cv, pv = getattr(c, name), getattr(p, name)
            bad = _cap_below(cv, pv) if name == "debit_cap" else cv < pv
            if bad:
                out.append(SpreadViolation(day, name, cv, pv))
        for name in NOT_ABOVE:
            cv, pv = getattr(c, name), getattr(p, name)
            if cv > pv:
                out.append(SpreadViolation(day, name, cv, pv))
    return out
