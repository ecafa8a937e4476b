"""Month lifecycle (DOMAIN §6): open or locked, and where late data lands.

Nothing that changes a locked month's numbers is accepted: dated terms (prices, policies,
moves) that would apply to a locked day are refused; transactions, activations and
adjustments that arrive for a locked month are settled in the next open month.
"""

from __future__ import annotations

import datetime as dt

from app.core.money import month_last_day, next_month
from app.models import MonthState, Setting


def locked_months() -> set[str]:
    return {m.month for m in MonthState.select().where(MonthState.state == "locked")}


def is_locked(month: str) -> bool:
    return MonthState.select().where(
        (MonthState.month == month) & (MonthState.state == "locked")
    ).exists()


def settle_month(month: str, locked: set[str]) -> str:
    """The month a datum of ``month`` is settled in: itself, or the next open month."""
    while month in locked:
        month = next_month(month)
    return month


def last_locked_day(locked: set[str]) -> dt.date | None:
    """The last day of the latest locked month; dated terms must start after it."""
    return month_last_day(max(locked)) if locked else None


# ------------------------------------------------------------------ settings


def get_setting(key: str, default: str = "") -> str:
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row else default


def set_setting(key: str, value: str) -> None:
    Setting.insert(key=key, value=value).on_conflict_replace().execute()


def agency_name() -> str:
    return get_setting("agency_name", "本机构")


def min_payout() -> int:
    """The agency's minimum payout (起付金额) in fen."""
    return int(get_setting("min_payout", "0") or 0)


def working_month(today: dt.date | None = None) -> str:
    """The month the office is working on (当前月份): the latest month with transactions
    or a month state, moved past it when that month is locked; else this calendar month."""
    from peewee import fn

    from app.core.money import month_of
    from app.models import Txn

    latest = [
        m
        for m in (
            Txn.select(fn.MAX(Txn.month)).scalar(),
            MonthState.select(fn.MAX(MonthState.month)).scalar(),
        )
        if m
    ]
    if not latest:
        return month_of(today or dt.date.today())
    month = max(latest)
    return next_month(month) if is_locked(month) else month
