"""Month lifecycle (DOMAIN §6): open or locked, and where late data lands.

Months close in order, so the locked months are every month with data up to the *last*
locked month.  Anything dated in or before that month is late, also in a month that was
never settled at all (July data arriving after August was locked): dated terms (prices,
policies, moves) that would apply to such a day are refused; transactions, activations
and adjustments dated there are settled in the month after the last locked one, the next
open month (docs/month_close.md).
"""

from __future__ import annotations

import datetime as dt

from app.core.errors import UserError
from app.core.money import month_last_day, next_month
from app.models import MonthState, Setting, database


def locked_months() -> set[str]:
    return {m.month for m in MonthState.select().where(MonthState.state == "locked")}


def is_locked(month: str) -> bool:
    return MonthState.select().where(
        (MonthState.month == month) & (MonthState.state == "locked")
    ).exists()


def last_locked_month(locked: set[str] | None = None) -> str | None:
    """The latest locked month (``None`` while nothing is locked)."""
    locked = locked_months() if locked is None else locked
    return max(locked) if locked else None


def is_late(month: str, locked: set[str]) -> bool:
    """Is a datum dated in ``month`` late: in or before the last locked month?"""
    return bool(locked) and month <= max(locked)


def settle_month(month: str, locked: set[str]) -> str:
    """The month a datum dated in ``month`` is settled in: itself, or — when it is in or
    before the last locked month (locked or never settled) — the month after that one."""
    if is_late(month, locked):
        return next_month(max(locked))
    return month


def late_notice(month: str, locked: set[str], what: str) -> str:
    """What an import says when data of ``month`` is late: where it is settled instead."""
    from app.core.money import format_month

    where = "已锁定" if month in locked else f"早于已锁定的{format_month(max(locked))}"
    target = format_month(settle_month(month, locked))
    return f"注意:{format_month(month)}{where},该月的{what}计入 {target},已锁定月份不变。"


def last_locked_day(locked: set[str]) -> dt.date | None:
    """The last day of the latest locked month; dated terms must start after it."""
    return month_last_day(max(locked)) if locked else None


def txn_months() -> list[str]:
    """Months that have transactions, in order (an index skip-scan: one seek each)."""
    db = database.obj
    months: list[str] = []
    cur = db.execute_sql("SELECT MIN(month) FROM txn").fetchone()[0]
    while cur is not None:
        months.append(cur)
        cur = db.execute_sql("SELECT MIN(month) FROM txn WHERE month > ?", (cur,)).fetchone()[0]
    return months


# the months a datum gives numbers to, besides the transactions' (see settlement._data_months,
# which adds the days of the per-terminal amounts it derives)
_DATA_MONTHS_SQL = (
    "SELECT DISTINCT month FROM adjustment",
    "SELECT DISTINCT month FROM statement",
    "SELECT DISTINCT substr(date, 1, 7) FROM terminal_event WHERE action != 'stock'",
    "SELECT DISTINCT substr(activated_on, 1, 7) FROM terminal WHERE activated_on IS NOT NULL",
)


def data_months() -> set[str]:
    """Months with data: transactions, adjustments, statements, moves, activations."""
    db = database.obj
    months = set(txn_months())
    for sql in _DATA_MONTHS_SQL:
        months.update(r[0] for r in db.execute_sql(sql) if r[0])
    return months


def open_months_before(month: str, months: set[str] | None = None) -> list[str]:
    """Earlier months with data that are not locked yet and must be locked before
    ``month`` can be (months close in order).  Months in or before the last locked month
    are closed already: their late data lands after it."""
    locked = locked_months()
    last = max(locked) if locked else ""
    found = data_months() if months is None else months
    return sorted(m for m in found if last < m < month and m not in locked)


def lock_order_error(month: str, before: list[str]) -> UserError:
    """The refusal of an out-of-order lock, naming the open months (both spellings)."""
    from app.core.money import format_month

    names = "、".join(format_month(m) for m in before)
    iso = "、".join(before)
    return UserError(
        f"{names}尚未锁定({iso} 有数据),不能锁定{format_month(month)}。"
        f"月份须按顺序锁定,请先完成并锁定{format_month(before[0])}。"
    )


# ------------------------------------------------------------------ settings


def get_setting(key: str, default: str = "") -> str:
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row else default


def set_setting(key: str, value: str, *, permission: str = "settings") -> None:
    """Store a setting (needs ``permission``: administrators, or anyone while sign-in
    is off); audited."""
    from app.core import audit, auth
    from app.models import database

    auth.require(permission)
    row = Setting.get_or_none(Setting.key == key)
    if row is not None and row.value == value:
        return
    with database.obj.atomic():
        Setting.insert(key=key, value=value).on_conflict_replace().execute()
        audit.record("设置.修改", f"设置 {key}", None if row is None else row.value, value)


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
