"""The office's front page (工作台): this month in numbers, the last year's trend, and the
lists to act on today — terminals about to miss their 达标 deadline (考核预警), agents
whose volume keeps falling (流失风险), and today's follow-ups.

Rules chosen where DOMAIN.md is silent (also in docs/dashboard.md):

* **Volume** (交易额) — the signed sum of counted transactions settled in the month
  (``Txn.month``; 成功 plus 退货 as negative), every terminal, the agency's stock included.
* **New activations** — terminals whose activation day (imported date, else first
  qualifying transaction) falls in the month, whoever held them.
* **激活率 / 伪激活率** — the agency-wide rate over all agents' teams, built from the same
  counts as ``analytics.team_figures`` (the first-level teams do not overlap, so their
  counts add up): ``Σ activated_total / Σ activation_base`` and ``Σ fake / Σ window_ended``.
* **Agency margin** — ``AgencyMargin.margin`` summed over products (0 until computed).
* **Deposits held** — ``Deposit`` rows in state ``held`` as of the last compute.
* **考核预警** — an activated terminal of a product with a 达标 rule whose window (activation
  day + N − 1) ends between today and ``days_ahead`` days later, and whose counted volume
  from its activation day up to today is still below the threshold.  The agent to call is
  the terminal's current holder.
* **流失风险** — an agent whose team volume fell in each of the last three months:
  ``v(M−3) > v(M−2) > v(M−1) > v(M)``; team volume as in ``team_figures`` (a transaction
  belongs to whoever held its terminal that day).
* **Today's follow-ups** — each agent's latest follow-up that is not done and whose next
  visit is today or already past.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.core.analytics import TeamFigures, ratio_ppm, team_figures
from app.core.closing import holding_periods
from app.core.merchant_care import ticket_rows
from app.core.money import Fen, month_first_day, month_last_day, month_of, prev_month
from app.core.settlement import load_context, txn_months
from app.core.vocabulary import COUNTED
from app.models import database


def _iso(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def _date(value: object) -> dt.date:
    return dt.date.fromisoformat(_iso(value))


def latest_data_month(today: dt.date | None = None) -> str:
    """The latest month with transactions, not after today's month (today's month if none)."""
    today = today or dt.date.today()
    this = month_of(today)
    row = database.obj.execute_sql(
        "SELECT MAX(month) FROM txn WHERE month <= ?", (this,)
    ).fetchone()
    return row[0] if row and row[0] else this


def available_months(today: dt.date | None = None) -> list[str]:
    """Months with transactions (one index seek each), and today's month if none."""
    return txn_months() or [month_of(today or dt.date.today())]


def last_transaction_day() -> dt.date | None:
    row = database.obj.execute_sql("SELECT MAX(date) FROM txn").fetchone()
    return _date(row[0]) if row and row[0] else None


# ------------------------------------------------------------------ this month


@dataclass
class MonthSummary:
    month: str
    volume: Fen
    transactions: int
    new_activations: int
    activation_rate_ppm: int
    fake_rate_ppm: int
    activated_total: int
    activation_base: int
    fake: int
    window_ended: int
    agency_margin: Fen
    computed: bool
    deposits_held: Fen
    deposits_held_count: int


def _top_level(figures: dict[int, TeamFigures]) -> list[TeamFigures]:
    parents = dict(database.obj.execute_sql("SELECT id, parent_id FROM agent").fetchall())
    return [f for a, f in figures.items() if parents.get(a) is None]


def month_summary(month: str, figures: dict[int, TeamFigures] | None = None) -> MonthSummary:
    """This month in numbers (see the module docstring for each rule)."""
    db = database.obj
    volume, count = db.execute_sql(
        "SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM txn "
        f"WHERE month = ? AND status IN {COUNTED}",
        (month,),
    ).fetchone()
    first, last = month_first_day(month).isoformat(), month_last_day(month).isoformat()
    activations = db.execute_sql(
        "SELECT COUNT(*) FROM terminal WHERE COALESCE(activated_on, first_tx_on) >= ? "
        "AND COALESCE(activated_on, first_tx_on) <= ?",
        (first, last),
    ).fetchone()[0]
    figures = team_figures(month) if figures is None else figures
    top = _top_level(figures)
    act = sum(f.activated_total for f in top)
    base = sum(f.activation_base for f in top)
    fake = sum(f.fake for f in top)
    ended = sum(f.window_ended for f in top)
    margin_row = db.execute_sql(
        "SELECT COUNT(*), COALESCE(SUM(margin), 0) FROM agency_margin WHERE month = ?", (month,)
    ).fetchone()
    computed = db.execute_sql(
        "SELECT COUNT(*) FROM month_state WHERE month = ? AND computed_at IS NOT NULL", (month,)
    ).fetchone()[0]
    held_n, held = db.execute_sql(
        "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM deposit WHERE state = 'held'"
    ).fetchone()
    return MonthSummary(
        month=month,
        volume=int(volume),
        transactions=int(count),
        new_activations=int(activations),
        activation_rate_ppm=ratio_ppm(act, base),
        fake_rate_ppm=ratio_ppm(fake, ended),
        activated_total=act,
        activation_base=base,
        fake=fake,
        window_ended=ended,
        agency_margin=int(margin_row[1]),
        computed=bool(computed),
        deposits_held=int(held),
        deposits_held_count=int(held_n),
    )


# ------------------------------------------------------------------ the last months


def months_ending(month: str, n: int) -> list[str]:
    out = [month]
    while len(out) < n:
        out.append(prev_month(out[-1]))
    return list(reversed(out))


@dataclass
class MonthPoint:
    month: str
    volume: Fen
    activations: int


def monthly_series(last_n: int = 12, end_month: str | None = None) -> list[MonthPoint]:
    """Volume and new activations of each of the ``last_n`` months up to ``end_month``."""
    end = end_month or latest_data_month()
    months = months_ending(end, last_n)
    db = database.obj
    volume = dict(
        db.execute_sql(
            "SELECT month, SUM(amount) FROM txn WHERE month >= ? AND month <= ? "
            f"AND status IN {COUNTED} GROUP BY month",
            (months[0], months[-1]),
        ).fetchall()
    )
    acts: dict[str, int] = defaultdict(int)
    for day, n in db.execute_sql(
        "SELECT COALESCE(activated_on, first_tx_on) AS d, COUNT(*) FROM terminal "
        "WHERE COALESCE(activated_on, first_tx_on) >= ? AND COALESCE(activated_on, first_tx_on) <= ? "
        "GROUP BY COALESCE(activated_on, first_tx_on)",
        (month_first_day(months[0]).isoformat(), month_last_day(months[-1]).isoformat()),
    ):
        acts[_iso(day)[:7]] += n
    return [MonthPoint(m, int(volume.get(m) or 0), acts[m]) for m in months]


# ------------------------------------------------------------------ ranking


@dataclass
class RankRow:
    code: str
    name: str
    activation_rate_ppm: int
    activated: int
    base: int
    held: int


def activation_ranking(
    month: str,
    n: int = 5,
    min_base: int = 5,
    figures: dict[int, TeamFigures] | None = None,
) -> tuple[list[RankRow], list[RankRow]]:
    """The ``n`` best and ``n`` worst agents by team 激活率, among teams with at least
    ``min_base`` terminals in the rate's base (a team of two says little)."""
    figures = team_figures(month) if figures is None else figures
    names = {
        a: (code, name)
        for a, code, name in database.obj.execute_sql("SELECT id, code, name FROM agent")
    }
    rows = [
        RankRow(names[a][0], names[a][1], f.activation_rate_ppm, f.activated_total,
                f.activation_base, f.held)
        for a, f in figures.items()
        if f.activation_base >= min_base and a in names
    ]
    top = sorted(rows, key=lambda r: (-r.activation_rate_ppm, -r.base, r.code))[:n]
    bottom = sorted(rows, key=lambda r: (r.activation_rate_ppm, -r.base, r.code))[:n]
    return top, bottom


# ------------------------------------------------------------------ 考核预警


@dataclass
class QualificationWarning:
    sn: str
    holder_code: str
    holder_name: str
    holder_phone: str
    product_code: str
    product_name: str
    activated_on: dt.date
    deadline: dt.date  # the window's last day
    days_left: int  # 0 = the window ends today
    volume: Fen  # counted volume from the activation day up to today
    threshold: Fen

    @property
    def missing(self) -> Fen:
        return self.threshold - self.volume


def qualification_warnings(today: dt.date, days_ahead: int = 7) -> list[QualificationWarning]:
    """Terminals whose 达标 window ends within ``days_ahead`` days and that have not yet
    reached the product's threshold, soonest deadline first."""
    db = database.obj
    out: list[QualificationWarning] = []
    products = db.execute_sql(
        "SELECT id, code, name, qualify_days, qualify_volume FROM product "
        "WHERE qualify_days IS NOT NULL AND qualify_days > 0 AND qualify_volume IS NOT NULL"
    ).fetchall()
    for pid, code, name, days, threshold in products:
        # window end = activation + days − 1 ∈ [today, today + days_ahead]
        lo = today - dt.timedelta(days=days - 1)
        hi = lo + dt.timedelta(days=days_ahead)
        rows = db.execute_sql(
            "SELECT t.id, t.sn, COALESCE(t.activated_on, t.first_tx_on) AS act, "
            "a.code, a.name, a.phone, "
            "(SELECT COALESCE(SUM(x.amount), 0) FROM txn x WHERE x.terminal_id = t.id "
            " AND x.date >= COALESCE(t.activated_on, t.first_tx_on) AND x.date <= ? "
            f" AND x.status IN {COUNTED}) AS vol "
            "FROM terminal t LEFT JOIN agent a ON a.id = t.holder_id "
            "WHERE t.product_id = ? AND COALESCE(t.activated_on, t.first_tx_on) >= ? "
            "AND COALESCE(t.activated_on, t.first_tx_on) <= ?",
            (today.isoformat(), pid, lo.isoformat(), hi.isoformat()),
        ).fetchall()
        for _tid, sn, act, a_code, a_name, a_phone, vol in rows:
            if vol >= threshold:
                continue
            act_day = _date(act)
            deadline = act_day + dt.timedelta(days=days - 1)
            out.append(
                QualificationWarning(
                    sn,
                    a_code or "",
                    a_name or "本机构库存",
                    a_phone or "",
                    code,
                    name,
                    act_day,
                    deadline,
                    (deadline - today).days,
                    int(vol),
                    int(threshold),
                )
            )
    out.sort(key=lambda w: (w.deadline, w.holder_code, w.sn))
    return out


# ------------------------------------------------------------------ 流失风险


def team_volumes(months: list[str]) -> dict[int, dict[str, Fen]]:
    """Team volume of every agent in each of ``months``.

    A computed month already has it: an agent's statement lines count the volume of every
    transaction it earns on, i.e. its whole team's (FORMATS.md), so the month costs one
    small query.  A month not computed yet is attributed here: each counted transaction to
    the holder of its terminal on the day (DOMAIN §3), rolled up the tree."""
    db = database.obj
    marks = ", ".join("?" * len(months))
    computed = {
        m
        for (m,) in db.execute_sql(
            f"SELECT month FROM month_state WHERE computed_at IS NOT NULL AND month IN ({marks})",
            months,
        )
    }
    team: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (agent_id,) in db.execute_sql("SELECT id FROM agent"):
        team[agent_id] = defaultdict(int)
    done = [m for m in months if m in computed]
    if done:
        dm = ", ".join("?" * len(done))
        for agent_id, month, volume in db.execute_sql(
            "SELECT s.agent_id, s.month, SUM(l.credit_volume + l.debit_volume + l.scan_volume) "
            "FROM statement_line l JOIN statement s ON s.id = l.statement_id "
            f"WHERE s.month IN ({dm}) GROUP BY s.agent_id, s.month",
            done,
        ):
            team[agent_id][month] += int(volume or 0)
    rest = [
        m
        for m in months
        if m not in computed
        and db.execute_sql("SELECT 1 FROM txn WHERE month = ? LIMIT 1", (m,)).fetchone()
    ]
    if rest:
        for agent_id, by_month in _attributed_volumes(rest).items():
            for m, v in by_month.items():
                team[agent_id][m] += v
    return {a: dict(v) for a, v in team.items()}


def _attributed_volumes(months: list[str]) -> dict[int, dict[str, int]]:
    db = database.obj
    ctx = load_context()
    db.execute_sql("DROP TABLE IF EXISTS tmp_dash_seg")
    db.execute_sql(
        "CREATE TEMP TABLE tmp_dash_seg (terminal_id INTEGER, start TEXT, finish TEXT, "
        "holder INTEGER)"
    )
    segments = [s for s in holding_periods(ctx) if s[3] is not None]
    db.cursor().executemany("INSERT INTO tmp_dash_seg VALUES (?, ?, ?, ?)", segments)
    db.execute_sql("CREATE INDEX tmp_dash_seg_idx ON tmp_dash_seg (terminal_id, start)")
    own: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    marks = ", ".join("?" * len(months))
    try:
        for holder, month, total in db.execute_sql(
            "SELECT s.holder, t.month, SUM(t.amount) FROM txn t JOIN tmp_dash_seg s "
            "ON s.terminal_id = t.terminal_id AND t.date >= s.start AND t.date <= s.finish "
            f"WHERE t.month IN ({marks}) AND t.status IN {COUNTED} "
            "GROUP BY s.holder, t.month",
            months,
        ):
            own[holder][month] += int(total or 0)
    finally:
        db.execute_sql("DROP TABLE IF EXISTS tmp_dash_seg")
    team: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for holder, by_month in own.items():
        for agent in ctx.chain(holder)[1:]:
            assert agent is not None
            for m, v in by_month.items():
                team[agent][m] += v
    return team


@dataclass
class FollowUpInfo:
    date: dt.date
    note: str
    next_visit: dt.date | None
    done: bool


@dataclass
class ChurnRow:
    code: str
    name: str
    phone: str
    volumes: list[Fen]  # oldest first, one per month of ``months``
    months: list[str]
    last_follow_up: FollowUpInfo | None = None

    @property
    def drop_ppm(self) -> int:
        """How much the volume fell from the first to the last month, in ppm."""
        first, last = self.volumes[0], self.volumes[-1]
        return ratio_ppm(first - last, first)


def _latest_follow_ups(agent_ids: Iterable[int]) -> dict[int, FollowUpInfo]:
    ids = sorted(set(agent_ids))
    out: dict[int, FollowUpInfo] = {}
    db = database.obj
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        for agent_id, day, note, nxt, done in db.execute_sql(
            f"SELECT agent_id, date, note, next_visit, done FROM follow_up "
            f"WHERE agent_id IN ({marks}) ORDER BY agent_id, date, id",
            chunk,
        ):
            out[agent_id] = FollowUpInfo(_date(day), note, _date(nxt) if nxt else None, bool(done))
    return out


def churn_risk(month: str, falls: int = 3) -> list[ChurnRow]:
    """Agents whose team volume fell ``falls`` months running up to ``month``, with the
    latest follow-up of each; the steepest fall first."""
    months = months_ending(month, falls + 1)
    volumes = team_volumes(months)
    hits: list[tuple[int, list[int]]] = []
    for agent_id, by_month in volumes.items():
        series = [by_month.get(m, 0) for m in months]
        if series[0] > 0 and all(a > b for a, b in zip(series, series[1:], strict=False)):
            hits.append((agent_id, series))
    if not hits:
        return []
    info = {
        a: (code, name, phone)
        for a, code, name, phone in database.obj.execute_sql(
            "SELECT id, code, name, phone FROM agent"
        )
    }
    follow = _latest_follow_ups(a for a, _ in hits)
    rows = [
        ChurnRow(*info[a], volumes=series, months=months, last_follow_up=follow.get(a))
        for a, series in hits
    ]
    rows.sort(key=lambda r: (-r.drop_ppm, r.code))
    return rows


# ------------------------------------------------------------------ follow-ups


@dataclass
class FollowUpRow:
    id: int
    code: str
    name: str
    phone: str
    date: dt.date  # when the last contact was
    note: str
    next_visit: dt.date
    overdue_days: int  # 0 = due today


def todays_followups(today: dt.date) -> list[FollowUpRow]:
    """Follow-ups due today or overdue: per agent its latest record, if not done."""
    rows = database.obj.execute_sql(
        "SELECT f.id, a.code, a.name, a.phone, f.date, f.note, f.next_visit FROM follow_up f "
        "JOIN agent a ON a.id = f.agent_id "
        "WHERE f.done = ? AND f.next_visit IS NOT NULL AND f.next_visit <= ? "
        "AND NOT EXISTS (SELECT 1 FROM follow_up g WHERE g.agent_id = f.agent_id "
        "  AND (g.date > f.date OR (g.date = f.date AND g.id > f.id)))",
        (False, today.isoformat()),
    ).fetchall()
    out = [
        FollowUpRow(fid, code, name, phone, _date(day), note, _date(nxt), (today - _date(nxt)).days)
        for fid, code, name, phone, day, note, nxt in rows
    ]
    out.sort(key=lambda r: (-r.overdue_days, r.code))
    return out


@dataclass
class Dashboard:
    """Everything the 工作台 page shows, gathered in one background job."""

    month: str
    today: dt.date
    summary: MonthSummary
    series: list[MonthPoint]
    top: list[RankRow]
    bottom: list[RankRow]
    warnings: list[QualificationWarning]
    churn: list[ChurnRow]
    followups: list[FollowUpRow]
    last_data_day: dt.date | None = None
    extra: dict[str, object] = field(default_factory=dict)


def load_dashboard(month: str, today: dt.date, days_ahead: int = 7, progress=None) -> Dashboard:
    report = progress or (lambda _p, _m: None)
    report(5, "统计本月交易")
    figures = team_figures(month)
    summary = month_summary(month, figures)
    report(35, "统计近12个月")
    series = monthly_series(12, month)
    top, bottom = activation_ranking(month, figures=figures)
    report(55, "考核预警")
    warnings = qualification_warnings(today, days_ahead)
    report(70, "流失风险")
    churn = churn_risk(month)
    report(90, "今日回访")
    follow = todays_followups(today)
    # open tickets past their type's response time (服务标准), the most overdue first
    overdue = [t for t in ticket_rows(open_only=True) if t.overdue]
    report(100, "完成")
    return Dashboard(month, today, summary, series, top, bottom, warnings, churn, follow,
                     last_transaction_day(), extra={"overdue_tickets": overdue})
