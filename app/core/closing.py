"""The month close (月结) as the office walks through it: readiness checks, the review of
the computed statements, drill-down to the transactions behind a line, manual adjustments
(调账) and the guarded lock.

Every function here is a query or one verb-named write; the wizard in
``app/views/month_close.py``, the command line and the tests all call the same ones.

Rules chosen where DOMAIN.md is silent (also in docs/month_close.md):

* **Coverage** — a product is expected to have transactions on every day from the later of
  the month's first day and the product's first activation, to the earlier of the month's
  last day and today.  A day without a single transaction of the product is reported as
  a gap (an export that was never imported is the usual cause).  A warning, not a stop.
* **Suspected duplicates** (疑似重复) — counted transactions of one terminal with the same
  time, amount and card category but different 流水号.  Once the office has looked at a
  group it marks it reviewed; the marks are kept per month in the ``Setting`` table under
  ``duplicates_reviewed:YYYY-MM``.  A warning, not a stop.
* **Earlier months still open** — the one check that stops the lock: a month can only be
  locked when every earlier month with data is locked, so that the carry-forward a locked
  month was built on can never change under it.
* **Change against last month** — ``change_ppm`` is ``(payable − last payable) / last
  payable`` in ppm; ``None`` when last month's payable was 0 (a new payout is flagged
  whenever the agent is paid now).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from app.core import audit, auth, backups, derived, settlement
from app.core.agents import descendants
from app.core.errors import Changes, UserError
from app.core.money import (
    Fen,
    ParseError,
    format_money,
    format_month,
    month_first_day,
    month_last_day,
    parse_month,
    prev_month,
    round_micro,
)
from app.core.months import (
    data_months,
    get_setting,
    late_notice,
    lock_order_error,
    locked_months,
    open_months_before,
    set_setting,
    settle_month,
)
from app.core.policy import CATEGORIES
from app.core.quiet_months import quiet_months
from app.core.settlement import Context, load_context
from app.core.vocabulary import CATEGORY_LABELS, COUNTED
from app.models import (
    Adjustment,
    Agent,
    MonthState,
    Product,
    Statement,
    StatementLine,
    database,
)

Progress = Callable[[int, str], None]
ITEM_LABELS = {
    "cashback": "激活返现",
    "qualify_bonus": "达标奖励",
    "unqualified_penalty": "未达标扣款",
    "deposit_refund": "押金退还",
    "deposit_deduction": "押金扣除",
    "adjustment": "调账",
    "carried_in": "上月结转",
}
_CHUNK = 500


def _iso(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def _eday(day: dt.date) -> Any:
    """A day as the settlement engine keys its context (ISO text in the current engine)."""
    return day.isoformat() if getattr(settlement, "Day", None) is str else day


def _month(month: str) -> str:
    try:
        return parse_month(month)
    except ParseError as exc:
        raise UserError(f"月份:{exc}") from None


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


# ------------------------------------------------------------------ readiness checks


@dataclass
class Check:
    """One readiness check of a month: how many problems, and the rows behind the count."""

    key: str
    name: str
    count: int
    ok: bool
    summary: str
    headers: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    link: str = ""  # the page (nav title) where the problem is fixed
    blocking: bool = False  # stops the lock, not only a warning
    repair: str = ""  # a one-click repair (``repair_derived``), its button's label


def _day_ranges(days: list[dt.date]) -> str:
    """[10-05, 10-06, 10-07, 10-09] → ``10-05~10-07、10-09``."""
    out: list[str] = []
    start = prev = None
    for d in days:
        if prev is not None and d == prev + dt.timedelta(days=1):
            prev = d
            continue
        if start is not None and prev is not None:
            out.append(_range_text(start, prev))
        start = prev = d
    if start is not None and prev is not None:
        out.append(_range_text(start, prev))
    return "、".join(out)


def _range_text(a: dt.date, b: dt.date) -> str:
    return a.strftime("%m-%d") if a == b else f"{a:%m-%d}~{b:%m-%d}"


def check_coverage(month: str, today: dt.date | None = None) -> Check:
    """Days of the month on which a live product has no transaction imported at all."""
    today = today or dt.date.today()
    first, last = month_first_day(month), min(month_last_day(month), today)
    db = database.obj
    products = {
        pid: (code, name)
        for pid, code, name in db.execute_sql("SELECT id, code, name FROM product ORDER BY code")
    }
    live: dict[int, dt.date] = {}
    for pid, day in db.execute_sql(
        "SELECT product_id, MIN(COALESCE(activated_on, first_tx_on)) FROM terminal "
        "WHERE COALESCE(activated_on, first_tx_on) <= ? GROUP BY product_id",
        (month_last_day(month).isoformat(),),
    ):
        if day is not None:
            live[pid] = dt.date.fromisoformat(_iso(day))
    # one probe per product and day through the (month, date) index: it stops at the first
    # transaction of the product that day (about the whole month only where days are missing)
    seen: dict[int, set[dt.date]] = defaultdict(set)
    days = [first + dt.timedelta(days=i) for i in range((month_last_day(month) - first).days + 1)]
    for pid in products:
        for day in days:
            if db.execute_sql(
                "SELECT 1 FROM txn INDEXED BY txn_month_date WHERE month = ? AND date = ? "
                "AND product_id = ? LIMIT 1",
                (month, day.isoformat(), pid),
            ).fetchone():
                seen[pid].add(day)
    rows = []
    for pid, (code, name) in products.items():
        if pid not in live and pid not in seen:
            continue
        start = max(first, live.get(pid, first))
        expected = [start + dt.timedelta(days=i) for i in range((last - start).days + 1)]
        missing = [d for d in expected if d not in seen[pid]]
        got = sorted(seen[pid])
        span = f"{got[0]:%m-%d}~{got[-1]:%m-%d}" if got else "无"
        if missing:
            rows.append((code, name, span, len(got), len(missing), _day_ranges(missing)))
    count = len(rows)
    summary = (
        "每个产品每天都有交易导入"
        if not count
        else f"{count} 个产品有缺失日期(可能漏导了交易文件)"
    )
    return Check(
        "coverage",
        "交易导入完整",
        count,
        count == 0,
        summary,
        ["产品编号", "产品名称", "已导入日期", "有交易天数", "缺失天数", "缺失日期"],
        rows,
        link="交易导入",
    )


def _holders_in_month(ctx: Context, tid: int, first: dt.date, last: dt.date) -> set[int | None]:
    rp = ctx.replays.get(tid)
    if rp is None:
        return {None}
    lo, hi = _eday(first), _eday(last)
    out = {rp.holder_on(lo)}
    for start, holder in zip(rp.starts, rp.holders, strict=True):
        if lo < start <= hi:
            out.add(holder)
    return out


def holding_periods(ctx: Context) -> list[tuple[int, str, str, int | None]]:
    """(terminal, first day, last day, holder) covering all time for every terminal, as
    ISO text (``None`` holder = the agency's stock)."""
    rows: list[tuple[int, str, str, int | None]] = []
    for tid in ctx.terminals:
        rp = ctx.replays.get(tid)
        if rp is None or not rp.starts:
            rows.append((tid, "0001-01-01", "9999-12-31", None))
            continue
        prev_start, prev_holder = "0001-01-01", None
        for start, holder in zip(rp.starts, rp.holders, strict=True):
            first = _iso(start)
            end = (dt.date.fromisoformat(first) - dt.timedelta(days=1)).isoformat()
            if end >= prev_start:
                rows.append((tid, prev_start, end, prev_holder))
            prev_start, prev_holder = first, holder
        rows.append((tid, prev_start, "9999-12-31", prev_holder))
    return rows


def check_orphans(month: str, ctx: Context) -> Check:
    """Terminals whose transactions of the month fall on days they were in the agency's
    stock: the agency keeps the whole share, usually a 下发 that was never imported.

    Only the stock periods of each terminal are joined to the transactions (an index
    seek on txn(terminal_id, date) per period), so the month's other rows are never read."""
    db = database.obj
    last = month_last_day(month).isoformat()
    periods = [
        (tid, start, min(finish, last))
        for tid, start, finish, holder in holding_periods(ctx)
        if holder is None and start <= last
    ]
    db.execute_sql("DROP TABLE IF EXISTS tmp_stock")
    db.execute_sql("CREATE TEMP TABLE tmp_stock (terminal_id INTEGER, start TEXT, finish TEXT)")
    try:
        db.cursor().executemany("INSERT INTO tmp_stock VALUES (?, ?, ?)", periods)
        found = db.execute_sql(
            "SELECT s.terminal_id, MIN(t.date), MAX(t.date), COUNT(*), SUM(t.amount) "
            "FROM tmp_stock s CROSS JOIN txn t ON t.terminal_id = s.terminal_id "
            "AND t.date >= s.start AND t.date <= s.finish "
            f"WHERE t.month = ? AND t.status IN {COUNTED} GROUP BY s.terminal_id",
            (month,),
        ).fetchall()
    finally:
        db.execute_sql("DROP TABLE IF EXISTS tmp_stock")
    sns = _terminal_labels([r[0] for r in found])
    rows = sorted(
        (sns[tid][0], sns[tid][1], n, format_money(total),
         f"{_iso(lo)[5:]}~{_iso(hi)[5:]}")
        for tid, lo, hi, n, total in found
    )
    count = len(rows)
    return Check(
        "orphans",
        "有交易的机具都有归属",
        count,
        count == 0,
        "所有交易都能归到代理"
        if not count
        else f"{count} 台机具在库存中(无代理)时有交易,这部分分润全部归本机构",
        ["终端SN", "产品", "交易笔数", "交易额", "交易日期"],
        rows,
        link="机具",
    )


def _terminal_labels(ids: list[int]) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    db = database.obj
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        for tid, sn, code in db.execute_sql(
            f"SELECT t.id, t.sn, p.code FROM terminal t JOIN product p ON p.id = t.product_id "
            f"WHERE t.id IN ({marks})",
            chunk,
        ):
            out[tid] = (sn, code)
    return out


def check_policies(month: str, ctx: Context) -> Check:
    """Agents who held terminals of a product during the month without a policy for it in
    force on the month's last day (they would earn nothing on those terminals)."""
    first, last = month_first_day(month), month_last_day(month)
    held: dict[tuple[int, int], int] = defaultdict(int)
    for tid, t in ctx.terminals.items():
        for holder in _holders_in_month(ctx, tid, first, last):
            if holder is not None:
                held[(holder, t.product_id)] += 1
    rows = []
    for (agent_id, pid), n in held.items():
        if ctx.policies.in_force((agent_id, pid), _eday(last)) is None:
            a = ctx.agents[agent_id]
            rows.append((a.code, a.name, ctx.products[pid].code, n))
    rows.sort()
    count = len(rows)
    return Check(
        "policies",
        "代理都有生效政策",
        count,
        count == 0,
        "持有机具的代理都有生效的政策"
        if not count
        else f"{count} 个代理/产品组合没有生效的政策(这些机具上该代理分润为0)",
        ["代理编号", "代理名称", "产品", "本月持有机具"],
        rows,
        link="政策",
    )


def _reviewed_key(month: str) -> str:
    return f"duplicates_reviewed:{month}"


def reviewed_duplicates(month: str) -> set[str]:
    text = get_setting(_reviewed_key(month), "")
    return set(json.loads(text)) if text else set()


@dataclass
class DuplicateGroup:
    key: str  # "SN|time|amount|category": what the review mark remembers
    sn: str
    time: str
    amount: Fen
    category: str
    count: int
    tx_ids: list[str]
    reviewed: bool


def suspected_duplicates(month: str) -> list[DuplicateGroup]:
    """Counted transactions of one terminal with equal time, amount and category."""
    month = _month(month)
    db = database.obj
    # equal time implies equal day: candidates (terminal, day, category, amount) come from
    # the covering index alone, then only their few rows are read for time and id
    candidates = db.execute_sql(
        "SELECT terminal_id, date, category, amount FROM txn "
        f"WHERE month = ? AND status IN {COUNTED} "
        "GROUP BY terminal_id, date, category, amount HAVING COUNT(*) > 1",
        (month,),
    ).fetchall()
    groups: list[tuple[int, str, int, str, list[str]]] = []
    for tid, day, cat, amount in candidates:
        by_time: dict[str, list[str]] = defaultdict(list)
        for time, tx_id in db.execute_sql(
            "SELECT time, tx_id FROM txn WHERE terminal_id = ? AND date = ? AND category = ? "
            f"AND amount = ? AND month = ? AND status IN {COUNTED}",
            (tid, day, cat, amount, month),
        ):
            by_time[str(time)].append(tx_id)
        groups += [(tid, t, amount, cat, sorted(ids)) for t, ids in by_time.items() if len(ids) > 1]
    if not groups:
        return []
    reviewed = reviewed_duplicates(month)
    labels = _terminal_labels(sorted({g[0] for g in groups}))
    out = []
    for tid, time, amount, cat, ids in groups:
        sn = labels[tid][0]
        key = f"{sn}|{time}|{amount}|{cat}"
        out.append(DuplicateGroup(key, sn, time, amount, cat, len(ids), ids, key in reviewed))
    out.sort(key=lambda g: (g.sn, g.time))
    return out


def mark_duplicates_reviewed(month: str, keys: Iterable[str]) -> Changes:
    """Remember that the office looked at these duplicate groups (they are genuine)."""
    month = _month(month)
    done = reviewed_duplicates(month) | set(keys)
    set_setting(_reviewed_key(month), json.dumps(sorted(done), ensure_ascii=False),
                permission="compute")
    return Changes({"transactions"}, {month}, f"已标记 {len(done)} 组疑似重复交易为已核对")


def check_duplicates(month: str) -> Check:
    groups = [g for g in suspected_duplicates(month) if not g.reviewed]
    rows = [
        (g.sn, g.time, format_money(g.amount), CATEGORY_LABELS.get(g.category, g.category),
         g.count, "、".join(g.tx_ids), g.key)
        for g in groups
    ]
    count = len(rows)
    return Check(
        "duplicates",
        "疑似重复交易已核对",
        count,
        count == 0,
        "没有未核对的疑似重复交易"
        if not count
        else f"{count} 组疑似重复交易(同一机具、同一时间、同一金额)待核对",
        ["终端SN", "交易时间", "金额", "卡类型", "笔数", "流水号", "_key"],
        rows,
        link="交易导入",
    )


@dataclass
class MonthChoice:
    month: str
    state: str  # open | locked
    computed: bool

    @property
    def label(self) -> str:
        if self.state == "locked":
            state = "已锁定"
        else:
            state = "已计算,未锁定" if self.computed else "未计算"
        return f"{format_month(self.month)}({state})"


def month_choices(today: dt.date | None = None) -> tuple[list[MonthChoice], str]:
    """The months the wizard offers (every month with data or a state, but no quiet open
    month: it is locked along with the next one, app.core.quiet_months), and the one to
    start on: the earliest month not locked yet, else the latest."""
    today = today or dt.date.today()
    months = data_months()
    for (m,) in database.obj.execute_sql("SELECT month FROM month_state"):
        months.add(m)
    if not months:
        months.add(prev_month(f"{today.year:04d}-{today.month:02d}"))
    quiet = set(quiet_months(months))
    if quiet and len(quiet) < len(months):
        months -= {m for m in quiet if m < max(months - quiet)}
    states = {
        m.month: (m.state, m.computed_at is not None) for m in MonthState.select()
    }
    choices = [
        MonthChoice(m, states.get(m, ("open", False))[0], states.get(m, ("open", False))[1])
        for m in sorted(months)
    ]
    open_ones = [c.month for c in choices if c.state != "locked"]
    default = open_ones[0] if open_ones else choices[-1].month
    return choices, default


def check_open_months(month: str) -> Check:
    months = open_months_before(month)
    quiet = set(quiet_months(months))
    months = [m for m in months if m not in quiet]
    computed = {m.month for m in MonthState.select().where(MonthState.computed_at.is_null(False))}
    rows = [(format_month(m), "已计算,未锁定" if m in computed else "未计算") for m in months]
    count = len(rows)
    return Check(
        "open_months",
        "之前的月份都已锁定",
        count,
        count == 0,
        "之前的月份都已锁定"
        if not count
        else f"{'、'.join(format_month(m) for m in months)}尚未锁定,请先完成这些月份的月结",
        ["月份", "状态"],
        rows,
        link="月结",
        blocking=True,
    )


def check_derived() -> Check:
    """The tables the compute reads instead of the raw rows (``app.core.derived``) agree
    with the moves and transactions worked out afresh.  A difference would silently
    change amounts (a 达标 bonus, a share): it blocks the lock; the repair rebuilds them."""
    with database.obj.atomic():
        differences = derived.verify(database.obj.connection())
    count = sum(d.missing + d.extra for d in differences)
    rows = [(d.label, d.table, d.missing, d.extra) for d in differences]
    return Check(
        "derived",
        "派生数据与原始记录一致",
        count,
        not differences,
        "机具归属时段、按日交易汇总、月度交易量、首笔激活日与原始记录一致"
        if not differences
        else "派生数据与原始记录不一致:" + ";".join(str(d) for d in differences)
        + "。请点“重建派生数据”修复",
        ["数据", "表", "缺(行)", "多(行)"],
        rows,
        blocking=True,
        repair="重建派生数据",
    )


def repair_derived() -> Changes:
    """Rebuild every derived table from the raw rows (the derived check's repair)."""
    with database.obj.atomic():
        derived.rebuild(database.obj.connection())
    return Changes({"statements", "terminals", "transactions"}, message="已从原始记录重建派生数据")


def readiness_checks(
    month: str, today: dt.date | None = None, progress: Progress | None = None
) -> list[Check]:
    """Every readiness check of ``month``, in the order the wizard shows them."""
    month = _month(month)
    report = progress or (lambda _p, _m: None)
    report(5, "检查交易导入")
    checks = [check_coverage(month, today)]
    report(25, "读取机具与政策")
    ctx = load_context()
    report(45, "检查机具归属")
    checks.append(check_orphans(month, ctx))
    report(65, "检查代理政策")
    checks.append(check_policies(month, ctx))
    report(80, "检查疑似重复交易")
    checks.append(check_duplicates(month))
    report(88, "检查之前的月份")
    checks.append(check_open_months(month))
    report(92, "核对派生数据")
    checks.append(check_derived())
    report(100, "完成")
    return checks


# ------------------------------------------------------------------ review


@dataclass
class ReviewRow:
    """One agent's statement of the month next to last month's payable."""

    code: str
    name: str
    gross: Fen
    tax: Fen
    payable: Fen
    carried: Fen  # sum of what the products carry to next month (negative = debt)
    on_hold: bool
    paid_by: str  # code of the parent that passes the money on; "" = the agency (直结)
    last_payable: Fen
    change_ppm: int | None  # None when last month's payable was 0

    def moved(self, threshold_pct: int) -> bool:
        """Did the payable move by more than ``threshold_pct`` % against last month?"""
        if self.change_ppm is None:
            return self.payable != 0
        return abs(self.change_ppm) > threshold_pct * 10_000


def _statement_rows(month: str) -> dict[int, tuple[int, int, int, bool, int | None]]:
    return {
        s.agent_id: (s.gross, s.tax, s.payable, bool(s.on_hold), s.paid_by_id)
        for s in Statement.select().where(Statement.month == month)
    }


def month_review(month: str) -> list[ReviewRow]:
    """Every agent with a statement this month or a payable last month, by code."""
    month = _month(month)
    now = _statement_rows(month)
    before = {a: r[2] for a, r in _statement_rows(prev_month(month)).items() if r[2]}
    carried: dict[int, int] = defaultdict(int)
    for agent_id, amount in database.obj.execute_sql(
        "SELECT s.agent_id, SUM(l.carried_out) FROM statement_line l "
        "JOIN statement s ON s.id = l.statement_id WHERE s.month = ? GROUP BY s.agent_id",
        (month,),
    ):
        carried[agent_id] = amount
    agents = {a.id: a for a in Agent.select(Agent.id, Agent.code, Agent.name)}
    rows = []
    for agent_id in set(now) | set(before):
        gross, tax, payable, on_hold, paid_by = now.get(agent_id, (0, 0, 0, False, None))
        last = before.get(agent_id, 0)
        change = None if last == 0 else (payable - last) * 1_000_000 // last
        a = agents[agent_id]
        rows.append(
            ReviewRow(
                a.code,
                a.name,
                gross,
                tax,
                payable,
                carried[agent_id],
                on_hold,
                agents[paid_by].code if paid_by in agents else "",
                last,
                change,
            )
        )
    rows.sort(key=lambda r: r.code)
    return rows


@dataclass
class MonthTotals:
    month: str
    state: str  # open | locked | none
    computed_at: str
    statements: int
    gross: Fen
    tax: Fen
    payable: Fen
    paid_agents: int
    carried: Fen
    agency_margin: Fen


def month_totals(month: str) -> MonthTotals:
    """The sums the lock confirmation names."""
    month = _month(month)
    db = database.obj
    n, gross, tax, payable, paid = db.execute_sql(
        "SELECT COUNT(*), COALESCE(SUM(gross), 0), COALESCE(SUM(tax), 0), "
        "COALESCE(SUM(payable), 0), COALESCE(SUM(CASE WHEN payable > 0 THEN 1 ELSE 0 END), 0) "
        "FROM statement WHERE month = ?",
        (month,),
    ).fetchone()
    carried = db.execute_sql(
        "SELECT COALESCE(SUM(l.carried_out), 0) FROM statement_line l "
        "JOIN statement s ON s.id = l.statement_id WHERE s.month = ?",
        (month,),
    ).fetchone()[0]
    margin = db.execute_sql(
        "SELECT COALESCE(SUM(margin), 0) FROM agency_margin WHERE month = ?", (month,)
    ).fetchone()[0]
    state = MonthState.get_or_none(MonthState.month == month)
    return MonthTotals(
        month,
        state.state if state else "none",
        str(state.computed_at or "") if state else "",
        n,
        gross,
        tax,
        payable,
        paid,
        carried,
        int(margin),
    )


# ------------------------------------------------------------------ drill-down


@dataclass
class LineRow:
    """One line of an agent's statement: a product's category share or line item."""

    product_code: str
    product_name: str
    kind: str  # credit | debit | scan | cashback | … | adjustment | carried_in | subtotal
    label: str
    count: int | None
    volume: Fen | None
    amount: Fen
    note: str = ""

    @property
    def drillable(self) -> bool:
        return self.kind in CATEGORIES or self.kind in settlement.ITEM_KINDS


def product_list() -> list[tuple[str, str]]:
    """(code, name) of every product, by code."""
    return [(p.code, p.name) for p in Product.select().order_by(Product.code)]


def _agent_id(code: str) -> int:
    agent = Agent.get_or_none(Agent.code == code)
    if agent is None:
        raise UserError(f"代理编号“{code}”不存在")
    return agent.id


def _product_id(code: str) -> int:
    product = Product.get_or_none(Product.code == code)
    if product is None:
        raise UserError(f"产品编号“{code}”不存在")
    return product.id


def statement_lines(month: str, agent_code: str) -> list[LineRow]:
    """The agent's statement of ``month`` line by line, product by product."""
    month = _month(month)
    agent_id = _agent_id(agent_code)
    products = {p.id: p for p in Product.select()}
    adjustments: dict[int, list[Adjustment]] = defaultdict(list)
    for adj in Adjustment.select().where(
        (Adjustment.agent == agent_id) & (Adjustment.month == month)
    ).order_by(Adjustment.id):
        adjustments[adj.product_id].append(adj)
    lines = (
        StatementLine.select()
        .join(Statement)
        .where((Statement.month == month) & (Statement.agent == agent_id))
    )
    out: list[LineRow] = []
    for line in sorted(lines, key=lambda ln: products[ln.product_id].code):
        p = products[line.product_id]
        for cat in CATEGORIES:
            n = getattr(line, f"{cat}_count")
            if n or getattr(line, f"{cat}_amount"):
                out.append(
                    LineRow(
                        p.code,
                        p.name,
                        cat,
                        f"交易分润·{CATEGORY_LABELS[cat]}",
                        n,
                        getattr(line, f"{cat}_volume"),
                        getattr(line, f"{cat}_amount"),
                    )
                )
        for kind in settlement.ITEM_KINDS:
            amount = getattr(line, kind)
            if amount:
                out.append(LineRow(p.code, p.name, kind, ITEM_LABELS[kind], None, None, amount))
        if line.adjustment:
            for adj in adjustments[line.product_id]:
                note = adj.reason
                if adj.original_month != adj.month:
                    note += f"(原属{format_month(adj.original_month)})"
                out.append(LineRow(p.code, p.name, "adjustment", "调账", None, None, adj.amount, note))
        if line.carried_in:
            out.append(LineRow(p.code, p.name, "carried_in", "上月结转", None, None, line.carried_in))
        note = f"结转下月 {format_money(line.carried_out)}" if line.carried_out else ""
        out.append(LineRow(p.code, p.name, "subtotal", "小计", None, None, line.subtotal, note))
    return out


def _team(ctx: Context, agent_id: int) -> set[int]:
    return {agent_id} | descendants(agent_id, ctx.agents.values())


@dataclass
class TxnRow:
    """A transaction behind a statement line, with the agent's share of it."""

    tx_id: str
    time: str
    sn: str
    merchant_no: str
    amount: Fen
    status: str
    holder_code: str
    share_micro: int  # this agent's share in micro-fen (the line rounds their sum once)

    @property
    def share(self) -> Fen:
        return round_micro(self.share_micro)


def transactions_behind(
    month: str, agent_code: str, product_code: str, category: str, ctx: Context | None = None
) -> list[TxnRow]:
    """The counted transactions of the agent's team, of the product and card category,
    settled in ``month`` — those whose terminal a team member held on the day."""
    month = _month(month)
    if category not in CATEGORIES:
        raise UserError(f"未知的卡类型“{category}”")
    agent_id = _agent_id(agent_code)
    pid = _product_id(product_code)
    ctx = ctx or load_context()
    team = _team(ctx, agent_id)
    candidates = [
        tid
        for tid, t in ctx.terminals.items()
        if t.product_id == pid
        and tid in ctx.replays
        and any(h in team for h in ctx.replays[tid].holders)
    ]
    labels = {}
    cache: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    db = database.obj
    rows: list[TxnRow] = []
    for ids in _chunks(candidates):
        marks = ", ".join("?" * len(ids))
        for tid, sn in db.execute_sql(f"SELECT id, sn FROM terminal WHERE id IN ({marks})", ids):
            labels[tid] = sn
        for tx_id, time, tid, merchant, amount, status, day in db.execute_sql(
            f"SELECT tx_id, time, terminal_id, merchant_no, amount, status, date FROM txn "
            f"WHERE month = ? AND product_id = ? AND category = ? "
            f"AND status IN {COUNTED} AND terminal_id IN ({marks})",
            (month, pid, category, *ids),
        ):
            d = _eday(dt.date.fromisoformat(_iso(day)))
            holder = ctx.replays[tid].holder_on(d)
            if holder not in team:
                continue
            chain = ctx.chain(holder)
            i = chain.index(agent_id)
            refund = status == "refund"
            key = (holder, d)
            terms = cache.get(key)
            if terms is None:
                terms = cache[key] = (ctx.price(pid, d), ctx.fee_terms(chain, pid, d))
            merchant_fee = terms[0].fee_micro(category, amount, refund)
            fees = [t.fee_micro(category, amount, refund) for t in terms[1]]
            share = (merchant_fee if i == len(chain) - 1 else fees[i + 1]) - fees[i]
            rows.append(
                TxnRow(
                    tx_id,
                    str(time),
                    labels[tid],
                    merchant,
                    amount,
                    status,
                    ctx.agents[holder].code if holder is not None else "",
                    share,
                )
            )
    rows.sort(key=lambda r: (r.time, r.tx_id))
    return rows


@dataclass
class ItemRow:
    """A per-terminal amount (返现、达标、押金 …) behind a statement line."""

    sn: str
    natural_date: str
    amount: Fen


def items_behind(month: str, agent_code: str, product_code: str, kind: str) -> list[ItemRow]:
    """The per-terminal amounts posted to the agent's line ``kind`` in ``month``."""
    month = _month(month)
    agent_id = _agent_id(agent_code)
    pid = _product_id(product_code)
    # a locked month's come from its ledger; an open month's are derived as its compute
    # posts them (a few seconds for the largest office, instant for a usual one)
    found = [
        (tid, day, amount)
        for tid, k, agent, p, day, _m, amount in settlement.posted_items(month)
        if agent == agent_id and p == pid and k == kind
    ]
    labels = _terminal_labels(sorted({r[0] for r in found}))
    rows = [ItemRow(labels[t][0], _iso(day), amount) for t, day, amount in found]
    rows.sort(key=lambda r: (r.natural_date, r.sn))
    return rows


# ------------------------------------------------------------------ writes


def add_adjustment(
    agent_code: str, product_code: str, month: str, amount_fen: Fen, reason: str
) -> Changes:
    """Record a manual adjustment (调账) — the one service for adjustments made by hand.

    An adjustment for a locked month lands in the next open month; the message says so.
    The month's statements show it after the next compute."""
    month = _month(month)
    agent_id = _agent_id(agent_code)
    pid = _product_id(product_code)
    reason = (reason or "").strip()
    if not reason:
        raise UserError("调账必须写明原因")
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool):
        raise UserError("调账金额必须是整数分")
    if amount_fen == 0:
        raise UserError("调账金额不能为0")
    auth.require("edit")
    with database.obj.atomic():  # the locked months read inside the write transaction
        locked = locked_months()
        target = settle_month(month, locked)
        Adjustment.create(
            agent=agent_id,
            product=pid,
            month=target,
            original_month=month,
            amount=amount_fen,
            reason=reason,
        )
        audit.record("调账.新增", f"代理商 {agent_code} 产品 {product_code} 月份 {target}", None,
                     {"amount_fen": amount_fen, "reason": reason, "original_month": month})
    text = f"已为 {agent_code} 的 {product_code} 记入调账 {format_money(amount_fen)}(原因:{reason})"
    if target != month:
        text = late_notice(month, locked, "调账") + "\n" + text
    else:
        text += f",计入 {format_month(target)}"
    return Changes({"statements"}, {target}, text)


def lock(
    month: str, progress: Progress | None = None, *, backup: bool = True
) -> settlement.ComputeResult:
    """Lock ``month`` (锁定): the one month-close operation.  The command line, the window's
    wizard and the tests all lock through here.

    Months close in order: refused (naming them) while an earlier month with data is open;
    the check is made again inside the lock's write transaction (``settlement.lock_month``),
    where no import can land beside it.  The statements are computed once more and frozen
    with what their slips show (``app.core.freeze``)."""
    month = _month(month)
    before = open_months_before(month)
    quiet = quiet_months(before)
    blocking = [m for m in before if m not in quiet]
    if blocking:  # the quick refusal, before the compute's work
        raise lock_order_error(month, blocking)
    auth.require("lock")
    if backup:  # the database as it was before the lock (docs/trust.md)
        backups.before_lock(month)
    for m in quiet:  # nothing traded or paid in it: locked first, in order
        settlement.lock_month(m, progress)
    return settlement.lock_month(month, progress)


__all__ = [
    "Check",
    "DuplicateGroup",
    "ItemRow",
    "LineRow",
    "MonthTotals",
    "ReviewRow",
    "TxnRow",
    "add_adjustment",
    "items_behind",
    "lock",
    "mark_duplicates_reviewed",
    "month_review",
    "month_totals",
    "holding_periods",
    "month_choices",
    "open_months_before",
    "product_list",
    "readiness_checks",
    "statement_lines",
    "suspected_duplicates",
    "transactions_behind",
]
