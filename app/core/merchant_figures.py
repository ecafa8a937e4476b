"""The office's merchant figures of a month (DOMAIN §9), for the 商户分析 page and
``merchants show --json``.

* active: merchants with a counted transaction in m (a refund counts);
* new: merchants whose first counted transaction is in m;
* lost: active in m−1 and not in m;
* retention: active in both m and m−1 ÷ active in m−1 (None without m−1 actives);
* satisfaction: the average rating of the tickets resolved in m that carry one;
* resolution share within SLA: of the tickets opened in m, the share resolved (outcome not
  未解决) within the response time of their type (服务标准; resolved − opened ≤ hours);
* average handling hours: over the tickets closed (resolved time) in m, resolved − opened;
* fault rate per product: distinct terminals with a 故障 ticket opened in m ÷ the
  product's terminals activated by the end of m and not lost or returned by then.

Merchant counts read the per-month sums of ``merchant_month`` (``refresh_summaries`` runs
first); tickets and terminals are small tables.  Ratios are exact fractions, shown as
decimals rounded half up to 4 places (``"0.8"``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from app.core.merchant_care import service_hours, team_ready
from app.core.merchant_tags import refresh_summaries
from app.core.money import month_first_day, month_last_day, next_month, prev_month
from app.core.team import decimal_text
from app.models import database


def _ratio(num: int, den: int) -> Fraction | None:
    return Fraction(num, den) if den else None


@dataclass
class MonthFigures:
    month: str
    active: int = 0
    new: int = 0
    lost: int = 0
    retained: int = 0  # active in m and m−1
    previous_active: int = 0
    retention: Fraction | None = None
    satisfaction: Fraction | None = None
    ratings: int = 0
    opened: int = 0
    within_sla: int = 0
    resolution_share: Fraction | None = None
    closed: int = 0
    handling_hours: Fraction | None = None
    fault_rate: dict[str, Fraction | None] = field(default_factory=dict)
    faults: dict[str, tuple[int, int]] = field(default_factory=dict)  # product → (faulty, base)
    tags: dict[str, int] = field(default_factory=dict)
    volume: int = 0


def month_figures(month: str, *, refresh: bool = True) -> MonthFigures:
    """The figures of ``month``."""
    if refresh:
        refresh_summaries()
    f = MonthFigures(month)
    prev = prev_month(month)
    (f.active, f.previous_active, f.retained, f.volume) = database.execute_sql(
        "SELECT COUNT(DISTINCT CASE WHEN month = ? AND txns > 0 THEN merchant_no END), "
        "COUNT(DISTINCT CASE WHEN month = ? AND txns > 0 THEN merchant_no END), "
        "(SELECT COUNT(*) FROM merchant_month a JOIN merchant_month b ON b.merchant_no = a.merchant_no "
        " AND b.month = ? AND b.txns > 0 WHERE a.month = ? AND a.txns > 0), "
        "COALESCE(SUM(CASE WHEN month = ? THEN volume END), 0) "
        "FROM merchant_month WHERE month IN (?, ?)",
        (month, prev, prev, month, month, month, prev)).fetchone()
    f.lost = f.previous_active - f.retained
    f.retention = _ratio(f.retained, f.previous_active)
    f.new = database.execute_sql(
        "SELECT COUNT(*) FROM (SELECT merchant_no FROM merchant_month WHERE month <= ? "
        "GROUP BY merchant_no HAVING MIN(month) = ?)", (month, month)).fetchone()[0]
    f.tags = dict(database.execute_sql(
        "SELECT tag, COUNT(*) FROM merchant_tag WHERE month = ? GROUP BY tag", (month,)).fetchall())
    _ticket_figures(f)
    _fault_rates(f)
    return f


def _ticket_figures(f: MonthFigures) -> None:
    if not team_ready():
        return
    first = month_first_day(f.month).isoformat()
    after = month_first_day(next_month(f.month)).isoformat()
    # satisfaction: tickets resolved in m with a rating
    n, total = database.execute_sql(
        "SELECT COUNT(*), COALESCE(SUM(rating), 0) FROM ticket WHERE resolved >= ? AND resolved < ? "
        "AND rating IS NOT NULL", (first, after)).fetchone()
    f.ratings, f.satisfaction = n, _ratio(total, n)
    hours = service_hours()
    opened = database.execute_sql(
        "SELECT opened, resolved, outcome, type FROM ticket WHERE opened >= ? AND opened < ?",
        (first, after)).fetchall()
    f.opened = len(opened)
    for o, r, outcome, kind in opened:
        if r and outcome != "unresolved":
            spent = _seconds(o, r)
            if spent <= hours.get(kind, 48) * 3600:
                f.within_sla += 1
    f.resolution_share = _ratio(f.within_sla, f.opened)
    closed = database.execute_sql(
        "SELECT opened, resolved FROM ticket WHERE resolved >= ? AND resolved < ?", (first, after)
    ).fetchall()
    f.closed = len(closed)
    f.handling_hours = _ratio(sum(_seconds(o, r) for o, r in closed), 3600 * f.closed) if closed else None


def _seconds(opened: str, resolved: str) -> int:
    a = dt.datetime.fromisoformat(str(opened)[:19])
    b = dt.datetime.fromisoformat(str(resolved)[:19])
    return int((b - a).total_seconds())


def _fault_rates(f: MonthFigures) -> None:
    if not team_ready():
        return
    first = month_first_day(f.month).isoformat()
    last = month_last_day(f.month).isoformat()
    after = month_first_day(next_month(f.month)).isoformat()
    base = dict(database.execute_sql(
        "SELECT p.code, COUNT(*) FROM terminal t JOIN product p ON p.id = t.product_id "
        "WHERE COALESCE(t.activated_on, t.first_tx_on) <= ? AND NOT EXISTS (SELECT 1 FROM "
        "terminal_event e WHERE e.terminal_id = t.id AND e.action IN ('lost', 'return') "
        "AND e.date <= ?) GROUP BY p.code", (last, last)).fetchall())
    faulty = dict(database.execute_sql(
        "SELECT p.code, COUNT(DISTINCT t.id) FROM ticket k JOIN terminal t ON t.sn = k.sn "
        "JOIN product p ON p.id = t.product_id WHERE k.type = 'fault' AND k.opened >= ? "
        "AND k.opened < ? GROUP BY p.code", (first, after)).fetchall())
    for code in sorted(set(base) | set(faulty)):
        f.faults[code] = (faulty.get(code, 0), base.get(code, 0))
        f.fault_rate[code] = _ratio(faulty.get(code, 0), base.get(code, 0))


def figures_json(month: str) -> dict:
    f = month_figures(month)
    return {
        "active": f.active, "new": f.new, "lost": f.lost,
        "retention": decimal_text(f.retention),
        "satisfaction_avg": decimal_text(f.satisfaction),
        "resolution_share": decimal_text(f.resolution_share),
        "avg_handling_hours": decimal_text(f.handling_hours),
        "fault_rate": {p: decimal_text(r) for p, r in f.fault_rate.items()},
        "tags": {t: f.tags.get(t, 0) for t in ("dormant", "churn_risk", "new", "growing", "loyal", "regular")},
    }


def trend(month: str, months: int = 12) -> list[MonthFigures]:
    """The figures of the ``months`` months ending with ``month``, oldest first."""
    refresh_summaries()
    out = []
    m = month
    for _ in range(months):
        out.append(month_figures(m, refresh=False))
        m = prev_month(m)
    return out[::-1]


@dataclass(frozen=True)
class Mover:
    merchant_no: str
    name: str
    volume: int  # V(m)
    previous: int  # V(m−1)
    change: int  # V(m) − V(m−1)


def top_movers(month: str, limit: int = 10) -> tuple[list[Mover], list[Mover]]:
    """The biggest rises and falls in volume from m−1 to m."""
    refresh_summaries()
    prev = prev_month(month)
    sql = (
        "SELECT d.merchant_no, COALESCE(m.name, ''), d.v, d.p, d.v - d.p AS change FROM ("
        "SELECT merchant_no, SUM(CASE WHEN month = ? THEN volume ELSE 0 END) AS v, "
        "SUM(CASE WHEN month = ? THEN volume ELSE 0 END) AS p FROM merchant_month "
        "WHERE month IN (?, ?) GROUP BY merchant_no) d LEFT JOIN merchant m ON m.merchant_no = d.merchant_no "
    )
    args = (month, prev, month, prev)
    if not team_ready():  # no registry: the names stay blank
        sql = sql.replace("COALESCE(m.name, '')", "''").replace(
            "LEFT JOIN merchant m ON m.merchant_no = d.merchant_no ", "")
    rises = [Mover(*r) for r in database.execute_sql(
        sql + "WHERE d.v > d.p ORDER BY change DESC, d.merchant_no LIMIT ?", (*args, limit))]
    falls = [Mover(*r) for r in database.execute_sql(
        sql + "WHERE d.v < d.p ORDER BY change, d.merchant_no LIMIT ?", (*args, limit))]
    return rises, falls
