"""The monthly staff statement (员工提成单, DOMAIN §8), computed and locked with the month.

For member s and month m, every line in fen and rounded once, half-up; only the days on
which s is employed (joined ≤ day ≤ left) count, and a member employed on no day of m gets
no statement:

1. base × employed days ÷ days in m;
2. per activation × terminals activated in m (§4's activation day) whose bound merchant
   s owns on that day (scope all: every terminal activated in m);
3. volume rate × the signed counted volume settled in m of transactions whose merchant s
   owns on the transaction's day (scope all: every counted transaction) ÷ 10^6;
4. per resolved ticket × tickets handled by s, resolved in m, not closed 未解决;
5. resolution bonus: the highest tier ≤ the share of s's tickets opened in m resolved
   within the SLA;
6. satisfaction bonus: the highest tier ≤ the exact average rating of s's tickets
   resolved in m, when at least the minimum number carry a rating;
7. adjustments (奖惩) of (s, m).

The transactions and terminals are summed set-based (one GROUP BY per month, joined to
the owners' spans); the tickets of one month are few and are counted here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from app.core.money import month_first_day, month_last_day, next_month, parse_month, round_micro
from app.core.scans import COUNTED
from app.core.team import (
    BOUND_TABLE,
    SPAN_TABLE,
    Tier,
    decimal_text,
    load_bound_merchants,
    load_owner_spans,
    parse_tiers,
    tier_bonus,
)
from app.models import database

STATEMENT_COLUMNS = (
    "month", "staff_id", "role", "employed_days", "month_days", "base", "activations",
    "activation", "volume", "volume_amount", "tickets_resolved", "ticket", "opened",
    "within_sla", "resolution_bonus", "ratings", "rating_sum", "satisfaction_bonus",
    "adjustment", "total", "plan",
)


@dataclass
class Plan:
    """The commission plan in force for a member and month (blank fields: 0, own, no
    SLA, no tiers, min ratings 1)."""

    id: int | None = None
    target: str = ""
    effective_month: str = ""
    base: int = 0
    per_activation: int = 0
    volume_rate: int = 0
    scope: str = "own"
    per_ticket: int = 0
    sla_hours: int | None = None
    resolution_tiers: str = ""
    satisfaction_tiers: str = ""
    min_ratings: int = 1
    resolution: list[Tier] = field(default_factory=list)
    satisfaction: list[Tier] = field(default_factory=list)

    def snapshot(self) -> str:
        return json.dumps(
            {k: getattr(self, k) for k in (
                "target", "effective_month", "base", "per_activation", "volume_rate", "scope",
                "per_ticket", "sla_hours", "resolution_tiers", "satisfaction_tiers", "min_ratings")},
            ensure_ascii=False, sort_keys=True,
        )


PLAN_COLUMNS = (
    "id", "role", "staff_id", "effective_month", "base", "per_activation", "volume_rate",
    "scope", "per_ticket", "sla_hours", "resolution_tiers", "satisfaction_tiers", "min_ratings",
)


def _plan_from(row: tuple, target: str) -> Plan:
    r = dict(zip(PLAN_COLUMNS, row, strict=True))
    return Plan(
        id=r["id"], target=target, effective_month=r["effective_month"], base=r["base"],
        per_activation=r["per_activation"], volume_rate=r["volume_rate"],
        scope=r["scope"] or "own", per_ticket=r["per_ticket"], sla_hours=r["sla_hours"],
        resolution_tiers=r["resolution_tiers"], satisfaction_tiers=r["satisfaction_tiers"],
        min_ratings=r["min_ratings"] if r["min_ratings"] is not None else 1,
        resolution=parse_tiers(r["resolution_tiers"], "resolution"),
        satisfaction=parse_tiers(r["satisfaction_tiers"], "satisfaction"),
    )


def plans_in_force(month: str, members: Iterable[tuple[int, str, str]]) -> dict[int, Plan]:
    """Each member's plan for ``month``: its own plan with the latest effective month ≤ m
    wins as a whole over its role's (even a newer one); else its role's; else empty."""
    own: dict[int, tuple] = {}
    role: dict[str, tuple] = {}
    for row in database.obj.execute_sql(
        f"SELECT {', '.join(PLAN_COLUMNS)} FROM commission_plan WHERE effective_month <= ? "
        "ORDER BY effective_month, id",
        (month,),
    ):
        if row[2] is not None:
            own[row[2]] = row  # later effective months overwrite earlier ones
        else:
            role[row[1]] = row
    out = {}
    for sid, code, member_role in members:
        if sid in own:
            out[sid] = _plan_from(own[sid], code)
        elif member_role in role:
            out[sid] = _plan_from(role[member_role], member_role)
        else:
            out[sid] = Plan()
    return out


def _day(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _members(month: str) -> list[tuple[int, str, str, dt.date, dt.date]]:
    """(id, code, role, first employed day, last employed day) of the members employed
    on at least one day of ``month``."""
    first, last = month_first_day(month), month_last_day(month)
    out = []
    for sid, code, role, joined, left in database.obj.execute_sql(
        "SELECT id, code, role, joined, left_on FROM staff_member ORDER BY code"
    ):
        start = max(first, _day(joined)) if joined else first
        end = min(last, _day(left)) if left else last
        if start <= end:
            out.append((sid, code, role, start, end))
    return out


def _counts_by_day(sql: str, params: tuple) -> dict[int | None, dict[str, int]]:
    out: dict[int | None, dict[str, int]] = defaultdict(dict)
    for sid, day, value in database.obj.execute_sql(sql, params):
        out[sid][str(day)] = value
    return out


def _activation_sql() -> str:
    return (
        "SELECT o.staff_id, a.day, COUNT(*) FROM ("
        "SELECT COALESCE(t.activated_on, t.first_tx_on) AS day, bm.merchant_no AS mno "
        f'FROM terminal t LEFT JOIN "{BOUND_TABLE}" bm ON bm.terminal_id = t.id '
        "WHERE COALESCE(t.activated_on, t.first_tx_on) BETWEEN ? AND ?) a "
        f'LEFT JOIN "{SPAN_TABLE}" o ON o.merchant_no = a.mno AND a.day >= o.start '
        "AND a.day < o.finish GROUP BY o.staff_id, a.day"
    )


DAY_TABLE = "tmp_merchant_day"


def _load_days(month: str) -> None:
    """One pass over the month's counted transactions: their signed sums per merchant
    number (or, when blank, per terminal) and day, into ``tmp_merchant_day``; then the
    bound merchants of the terminals that need one (blank-merchant transactions, or
    activated in the month)."""
    db = database.obj
    db.execute_sql(f'DROP TABLE IF EXISTS temp."{DAY_TABLE}"')
    db.execute_sql(
        f'CREATE TEMP TABLE "{DAY_TABLE}" AS SELECT merchant_no AS mno, '
        "CASE WHEN merchant_no = '' THEN terminal_id ELSE 0 END AS tid, date AS day, "
        f"SUM(amount) AS vol FROM txn WHERE month = ? AND status IN {COUNTED} GROUP BY 1, 2, 3",
        (month,),
    )
    first, last = month_first_day(month).isoformat(), month_last_day(month).isoformat()
    load_bound_merchants(
        f'SELECT tid FROM "{DAY_TABLE}" WHERE tid != 0 UNION SELECT id FROM terminal '
        "WHERE merchant_no = '' AND COALESCE(activated_on, first_tx_on) BETWEEN ? AND ?",
        (first, last),
    )


def _volume_sql() -> str:
    # two joins, each on a plain column, so that the owners' spans are looked up by index
    return (
        "SELECT staff_id, day, SUM(vol) FROM ("
        f'SELECT o.staff_id AS staff_id, d.day AS day, d.vol AS vol FROM "{DAY_TABLE}" d '
        f'JOIN "{SPAN_TABLE}" o ON o.merchant_no = d.mno AND d.day >= o.start '
        "AND d.day < o.finish WHERE d.tid = 0 UNION ALL "
        f'SELECT o.staff_id, d.day, d.vol FROM "{DAY_TABLE}" d '
        f'JOIN "{BOUND_TABLE}" bm ON bm.terminal_id = d.tid '
        f'JOIN "{SPAN_TABLE}" o ON o.merchant_no = bm.merchant_no AND d.day >= o.start '
        "AND d.day < o.finish WHERE d.tid != 0) GROUP BY staff_id, day"
    )


def _ticket_rows(month: str) -> list[tuple]:
    lo = month_first_day(month).isoformat()
    hi = month_first_day(next_month(month)).isoformat()
    return database.obj.execute_sql(
        "SELECT staff_id, opened, resolved, outcome, rating FROM ticket "
        "WHERE (opened >= ? AND opened < ?) OR (resolved >= ? AND resolved < ?)",
        (lo, hi, lo, hi),
    ).fetchall()


def _seconds(a: str, b: str) -> int:
    delta = dt.datetime.fromisoformat(b) - dt.datetime.fromisoformat(a)
    return delta.days * 86400 + delta.seconds  # times are whole seconds


def within_sla(opened: str, resolved: str | None, outcome: str, sla_hours: int | None) -> bool:
    """Resolved (a resolved time, not closed 未解决) and, with an SLA, within its hours."""
    if resolved is None or outcome == "unresolved":
        return False
    return sla_hours is None or _seconds(opened, resolved) <= sla_hours * 3600


def _in_days(day_text: str, start: dt.date, end: dt.date) -> bool:
    return start.isoformat() <= day_text[:10] <= end.isoformat()


def _sum_days(by_day: dict[str, int], start: dt.date, end: dt.date) -> int:
    return sum(v for d, v in by_day.items() if _in_days(d, start, end))


def compute_statements(month: str) -> list[tuple]:
    """The staff statements of ``month`` as rows of ``STATEMENT_COLUMNS`` (nothing
    written).  Expects the temporary merchant tables loaded (``prepare``)."""
    members = _members(month)
    if not members:
        return []
    plans = plans_in_force(month, [(m[0], m[1], m[2]) for m in members])
    first, last = month_first_day(month), month_last_day(month)
    month_days = last.day
    _load_days(month)
    acts = _counts_by_day(_activation_sql(), (first.isoformat(), last.isoformat()))
    need_all = any(p.scope == "all" for p in plans.values())
    vols = _counts_by_day(_volume_sql(), ())
    all_acts: dict[str, int] = defaultdict(int)
    all_vols: dict[str, int] = {}
    if need_all:
        for by_day in acts.values():
            for d, n in by_day.items():
                all_acts[d] += n
        all_vols = {
            str(d): v for d, v in database.obj.execute_sql(
                f'SELECT day, SUM(vol) FROM "{DAY_TABLE}" GROUP BY day')
        }
    adjustments = dict(database.obj.execute_sql(
        "SELECT staff_id, SUM(amount) FROM staff_adjustment WHERE month = ? GROUP BY staff_id",
        (month,)).fetchall())
    tickets: dict[int, list[tuple]] = defaultdict(list)
    for row in _ticket_rows(month):
        tickets[row[0]].append(row)
    rows = []
    for sid, _code, role, start, end in members:
        plan = plans[sid]
        employed = (end - start).days + 1
        base = (2 * plan.base * employed + month_days) // (2 * month_days)
        if plan.scope == "all":
            activations = _sum_days(all_acts, start, end)
            volume = _sum_days(all_vols, start, end)
        else:
            activations = _sum_days(acts.get(sid, {}), start, end)
            volume = _sum_days(vols.get(sid, {}), start, end)
        resolved_count = opened = sla_ok = ratings = rating_sum = 0
        for _sid, t_open, t_res, outcome, rating in tickets.get(sid, []):
            if t_open[:7] == month and _in_days(t_open, start, end):
                opened += 1
                sla_ok += within_sla(t_open, t_res, outcome, plan.sla_hours)
            if (t_res is not None and t_res[:7] == month and outcome != "unresolved"
                    and _in_days(t_res, start, end)):
                resolved_count += 1
                if rating is not None:
                    ratings += 1
                    rating_sum += rating
        share = Fraction(sla_ok, opened) if opened else None
        average = Fraction(rating_sum, ratings) if ratings else None
        activation = plan.per_activation * activations
        volume_amount = round_micro(volume * plan.volume_rate)
        ticket = plan.per_ticket * resolved_count
        resolution_bonus = tier_bonus(plan.resolution, share)
        satisfaction_bonus = (
            tier_bonus(plan.satisfaction, average) if ratings >= plan.min_ratings else 0
        )
        adjustment = adjustments.get(sid, 0)
        total = (base + activation + volume_amount + ticket + resolution_bonus
                 + satisfaction_bonus + adjustment)
        rows.append((
            month, sid, role, employed, month_days, base, activations, activation, volume,
            volume_amount, resolved_count, ticket, opened, sla_ok, resolution_bonus, ratings,
            rating_sum, satisfaction_bonus, adjustment, total, plan.snapshot(),
        ))
    return rows


def prepare() -> None:
    """Load the temporary table of owner spans (once per compute)."""
    load_owner_spans()


def compute_months(months: Iterable[str]) -> int:
    """Rebuild the staff statements of the given (open) months; inside the caller's
    transaction.  Returns the number of statements written."""
    months = list(months)
    if not months or not database.obj.execute_sql("SELECT 1 FROM staff_member LIMIT 1").fetchone():
        for m in months:
            database.obj.execute_sql("DELETE FROM staff_statement WHERE month = ?", (m,))
        return 0
    prepare()
    written = 0
    marks = ", ".join("?" * len(STATEMENT_COLUMNS))
    for m in months:
        rows = compute_statements(m)
        database.obj.execute_sql("DELETE FROM staff_statement WHERE month = ?", (m,))
        database.obj.cursor().executemany(
            f"INSERT INTO staff_statement ({', '.join(STATEMENT_COLUMNS)}) VALUES ({marks})", rows
        )
        written += len(rows)
    database.obj.execute_sql(f'DROP TABLE IF EXISTS temp."{DAY_TABLE}"')
    return written


# ------------------------------------------------------------------ reading them back


def staff_json(month: str) -> dict:
    """The month's staff statements exactly in the FORMATS.md shape (money in fen)."""
    month = parse_month(month)
    out = []
    for r in database.obj.execute_sql(
        "SELECT m.code, m.name, s.role, s.base, s.activation, s.activations, s.volume_amount, "
        "s.volume, s.ticket, s.tickets_resolved, s.resolution_bonus, s.opened, s.within_sla, "
        "s.satisfaction_bonus, s.ratings, s.rating_sum, s.adjustment, s.total "
        "FROM staff_statement s JOIN staff_member m ON m.id = s.staff_id "
        "WHERE s.month = ? ORDER BY m.code",
        (month,),
    ):
        (code, name, role, base, activation, activations, volume_amount, volume, ticket,
         resolved, res_bonus, opened, sla_ok, sat_bonus, ratings, rating_sum, adj, total) = r
        out.append({
            "code": code, "name": name, "role": role,
            "base_fen": base, "activation_fen": activation, "activations": activations,
            "volume_fen": volume_amount, "volume": volume,
            "ticket_fen": ticket, "tickets_resolved": resolved,
            "resolution_bonus_fen": res_bonus,
            "resolution_share": decimal_text(Fraction(sla_ok, opened) if opened else None),
            "satisfaction_bonus_fen": sat_bonus,
            "satisfaction_avg": decimal_text(Fraction(rating_sum, ratings) if ratings else None),
            "adjustment_fen": adj, "total_fen": total,
        })
    return {"month": month, "staff": out}
