"""Quiet months (空月份): open months in which nothing was traded and nothing is paid.

A compute settles every earlier open month that has data, and a month can have data
without business: the large demo's terminals were allocated in August and September, so
September's statements carry the deposits deducted at allocation on to October, but no
transaction, no adjustment and no payout belongs to it.  Asking the office to lock such a
month by hand, before the month it actually works on, is busywork: the month wizard does
not offer it, the check "之前的月份都已锁定" does not stop on it, and locking the next
month locks it first, in order (docs/month_close.md, "空月份").

A month is quiet when it is open, has no transaction (``txn.month``), no adjustment, and
no statement with a non-zero ``gross`` or ``payable``.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.core.months import locked_months
from app.models import database


def quiet_months(months: Iterable[str]) -> list[str]:
    """The quiet ones of ``months`` (see the module docstring), in order."""
    wanted = sorted(set(months) - locked_months())
    if not wanted:
        return []
    db = database.obj
    marks = ",".join("?" * len(wanted))
    busy = {
        m
        for (m,) in db.execute_sql(
            f"SELECT month FROM adjustment WHERE month IN ({marks}) UNION "
            f"SELECT month FROM statement WHERE month IN ({marks}) "
            "AND (gross <> 0 OR payable <> 0)",
            (*wanted, *wanted),
        )
    }
    for m in wanted:  # one index seek each (txn is large)
        if m not in busy and db.execute_sql(
            "SELECT 1 FROM txn WHERE month = ? LIMIT 1", (m,)
        ).fetchone():
            busy.add(m)
    return [m for m in wanted if m not in busy]
