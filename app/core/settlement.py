"""The monthly statement (月结/分润单), DOMAIN §3–§6.

``compute_month(M)`` recomputes every open month with data up to M, in order, then M;
``lock_month(M)`` computes and freezes.  The heavy part, pricing millions of transactions
along their agent chains, is one set-based SQL pass: transactions are grouped by (holder,
product, pricing period, category, refund) and each group is priced in Python with the
linear fee formula.  Debit transactions large enough to reach *any* debit cap of their
product are priced one by one, so the cap stays exact.

Per-terminal amounts (activation cashback, 达标 bonus, 未达标 penalty, deposit deduction and
refund) are derived for every terminal with their natural day, then *posted*: the amount a
month receives for a (terminal, kind, agent) is what is due by that month minus what
earlier months already received.  Locked months keep their rows, so late data lands in the
next open month as the difference, never by changing a locked month.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from app.core.errors import UserError
from app.core.money import (
    MICRO,
    format_month,
    month_first_day,
    month_last_day,
    parse_month,
    round_micro,
)
from app.core.months import locked_months, min_payout
from app.core.ownership import Replay, build_replays
from app.core.policy import CATEGORIES, ZERO_TERMS, Book, Terms
from app.models import (
    AgencyMargin,
    Deposit,
    MonthState,
    Statement,
    StatementLine,
    TerminalItem,
    database,
)

Progress = Callable[[int, str], None]

ITEM_KINDS = (
    "cashback",
    "qualify_bonus",
    "unqualified_penalty",
    "deposit_refund",
    "deposit_deduction",
)
LINE_FIELDS = (
    [f"{c}_{x}" for c in CATEGORIES for x in ("count", "volume", "amount")]
    + list(ITEM_KINDS)
    + ["adjustment", "carried_in", "subtotal", "carried_out"]
)
_AMOUNT_FIELDS = [f"{c}_amount" for c in CATEGORIES] + list(ITEM_KINDS) + [
    "adjustment",
    "carried_in",
]


class Cancelled(Exception):
    """The user cancelled a long operation; nothing was written."""


# ------------------------------------------------------------------ context


@dataclass
class AgentInfo:
    id: int
    code: str
    name: str
    parent_id: int | None
    status: str
    payout: str
    tax_rate: int


@dataclass
class ProductInfo:
    id: int
    code: str
    activation_min: int
    qualify_days: int | None
    qualify_volume: int | None
    deposit_days: int | None
    company: dict[str, int]


# Inside the engine a day is its ISO text ``YYYY-MM-DD``: it compares like the date, slices
# into its month (``day[:7]``) and needs no conversion per row.  Day arithmetic goes
# through the two cached helpers below.
Day = str


@dataclass(slots=True)
class TerminalInfo:
    id: int
    product_id: int
    activated_on: Day | None
    first_tx_on: Day | None

    @property
    def activation_day(self) -> Day | None:
        return self.activated_on or self.first_tx_on


_ORDINALS: dict[str, int] = {}


def _ordinal(day: Day) -> int:
    n = _ORDINALS.get(day)
    if n is None:
        n = _ORDINALS[day] = dt.date.fromisoformat(day[:10]).toordinal()
    return n


@functools.lru_cache(maxsize=65536)
def add_days(day: Day, days: int) -> Day:
    return dt.date.fromordinal(_ordinal(day) + days).isoformat()


def days_between(first: Day, last: Day) -> int:
    return _ordinal(last) - _ordinal(first)


def as_day(day: Day | dt.date) -> Day:
    """Callers outside the engine may pass a ``datetime.date``."""
    return day if isinstance(day, str) else day.isoformat()


def _terms(row: tuple) -> Terms:
    return Terms(*row)


@dataclass
class Context:
    """Everything static that a compute run needs, loaded once."""

    agents: dict[int, AgentInfo]
    products: dict[int, ProductInfo]
    policies: Book  # key (agent_id | None, product_id)
    prices: Book  # key product_id
    terminals: dict[int, TerminalInfo]
    replays: dict[int, Replay]
    locked: set[str]
    min_payout: int
    _chains: dict[int | None, tuple[int | None, ...]] = field(default_factory=dict)
    _splits: dict[tuple, list[tuple[int | None, int]]] = field(default_factory=dict)

    def chain(self, holder: int | None) -> tuple[int | None, ...]:
        """(None = agency, A1, …, holder): the holder's line of uplines."""
        chain = self._chains.get(holder)
        if chain is None:
            up: list[int | None] = []
            node = holder
            seen = set()
            while node is not None:
                if node in seen:  # pragma: no cover - cycles are refused on import
                    raise UserError("代理上级关系有循环")
                seen.add(node)
                up.append(node)
                node = self.agents[node].parent_id
            up.append(None)
            chain = self._chains[holder] = tuple(reversed(up))
        return chain

    def price(self, product_id: int, day: Day | dt.date) -> Terms:
        day = as_day(day)
        terms = self.prices.in_force(product_id, day)
        if terms is None:
            code = self.products[product_id].code
            raise UserError(f"产品 {code} 在 {day} 没有生效的商户费率,请先导入费率表")
        return terms

    def fee_terms(
        self, chain: tuple[int | None, ...], product_id: int, day: Day | dt.date
    ) -> list[Terms]:
        """Terms used for fees at every level; a level without a policy passes its child's
        terms through (级差 0), and a holder without one is priced at the merchant price."""
        day = as_day(day)
        own = [self.policies.in_force((a, product_id), day) for a in chain]
        out: list[Terms] = [ZERO_TERMS] * len(chain)
        below = self.price(product_id, day)
        for i in range(len(chain) - 1, -1, -1):
            t = own[i]
            below = t if t is not None else below
            out[i] = below
        return out

    def company_amount(self, product_id: int, kind: str, day: Day) -> int:
        """What the company pays (or charges) per terminal: the product's amount, or else
        the amount on the agency's own cost policy."""
        amount = self.products[product_id].company[kind]
        if not amount:
            own = self.policies.in_force((None, product_id), day)
            amount = own.amount(kind) if own else 0
        return amount

    def split_amount(
        self, holder: int | None, product_id: int, kind: str, day: Day | dt.date
    ) -> list[tuple[int | None, int]]:
        """A per-terminal amount split along the chain by 级差 (agency first)."""
        day = as_day(day)
        key = (holder, product_id, kind, day)
        cached = self._splits.get(key)
        if cached is None:
            cached = self._splits[key] = self._split(holder, product_id, kind, day)
        return cached

    def _split(
        self, holder: int | None, product_id: int, kind: str, day: Day
    ) -> list[tuple[int | None, int]]:
        chain = self.chain(holder)
        company = self.company_amount(product_id, kind, day)
        own = [self.policies.in_force((a, product_id), day) for a in chain[1:]]
        eff = [0] * len(own)
        below = 0
        for i in range(len(own) - 1, -1, -1):
            t = own[i]
            below = t.amount(kind) if t is not None else below
            eff[i] = below
        out: list[tuple[int | None, int]] = [(None, company - (eff[0] if eff else 0))]
        for i, agent in enumerate(chain[1:]):
            nxt = eff[i + 1] if i + 1 < len(eff) else 0
            out.append((agent, eff[i] - nxt))
        return out


def load_context() -> Context:
    db = database.obj
    agents = {
        r[0]: AgentInfo(*r)
        for r in db.execute_sql(
            "SELECT id, code, name, parent_id, status, payout, tax_rate FROM agent"
        )
    }
    products = {}
    for r in db.execute_sql(
        "SELECT id, code, activation_min, qualify_days, qualify_volume, deposit_days, "
        "company_cashback, company_qualify_bonus, company_unqualified_penalty FROM product"
    ):
        products[r[0]] = ProductInfo(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            {"cashback": r[6], "qualify_bonus": r[7], "unqualified_penalty": r[8]},
        )
    policies = Book()
    for r in db.execute_sql(
        "SELECT agent_id, product_id, effective_from, credit_rate, debit_rate, debit_cap, "
        "scan_rate, per_txn, cashback, qualify_bonus, unqualified_penalty, deposit FROM policy"
    ):
        policies.add((r[0], r[1]), r[2], _terms(r[3:]))
    prices = Book()
    for r in db.execute_sql(
        "SELECT product_id, effective_from, credit_rate, debit_rate, debit_cap, scan_rate, "
        "per_txn FROM price"
    ):
        prices.add(r[0], r[1], _terms(r[2:]))
    terminals = {
        r[0]: TerminalInfo(r[0], r[1], r[2], r[3])
        for r in db.execute_sql("SELECT id, product_id, activated_on, first_tx_on FROM terminal")
    }
    replays = build_replays(
        db.execute_sql(
            "SELECT terminal_id, date, action, to_agent_id, deposit_method FROM terminal_event "
            "ORDER BY terminal_id, date, id"
        )
    )
    return Context(
        agents, products, policies, prices, terminals, replays, locked_months(), min_payout()
    )


# ------------------------------------------------------------------ per-terminal amounts


@dataclass(slots=True)
class DerivedItem:
    terminal_id: int
    kind: str
    agent_id: int | None
    product_id: int
    natural_date: Day
    amount: int


@dataclass(slots=True)
class DepositRow:
    terminal_id: int
    agent_id: int
    product_id: int
    amount: int
    method: str
    allocated_on: Day
    state: str
    settled_on: Day | None


def _qualified_days(ctx: Context) -> dict[int, Day]:
    """For every terminal with a 达标 rule, the first day its window volume reaches the
    threshold (only those that reach it)."""
    rows = []
    for t in ctx.terminals.values():
        p = ctx.products[t.product_id]
        act = t.activation_day
        if act is None or not p.qualify_days or p.qualify_volume is None:
            continue
        end = add_days(act, p.qualify_days - 1)
        rows.append((t.id, act, end, p.qualify_volume))
    if not rows:
        return {}
    db = database.obj
    db.execute_sql("DROP TABLE IF EXISTS tmp_window")
    db.execute_sql(
        "CREATE TEMP TABLE tmp_window (terminal_id INTEGER PRIMARY KEY, start TEXT, "
        "finish TEXT, target INTEGER)"
    )
    db.cursor().executemany("INSERT INTO tmp_window VALUES (?, ?, ?, ?)", rows)
    # One pass: daily sums per terminal inside its window, grouped on one integer
    # (terminal × 10⁸ + yyyymmdd) so the rows come back sorted by terminal, then day.
    targets = {r[0]: r[3] for r in rows}
    out: dict[int, Day] = {}
    current, total, done = -1, 0, False
    for key, volume in db.execute_sql(
        "SELECT t.terminal_id * 100000000 + CAST(REPLACE(t.date, '-', '') AS INTEGER) AS k, "
        "SUM(t.amount) FROM txn t CROSS JOIN tmp_window w ON w.terminal_id = t.terminal_id "
        "AND t.date >= w.start AND t.date <= w.finish "
        "WHERE t.month >= ? AND t.status IN ('success', 'refund') GROUP BY k",
        # a transaction dated in a window is settled in that month or later
        (min(r[1] for r in rows)[:7],),
    ):
        tid, ymd = divmod(key, 100000000)
        if tid != current:
            current, total, done = tid, 0, False
        if done:
            continue
        total += volume
        if total >= targets[tid]:
            out[tid] = f"{ymd // 10000:04d}-{ymd // 100 % 100:02d}-{ymd % 100:02d}"
            done = True
    db.execute_sql("DROP TABLE tmp_window")
    return out


def derive_terminal_items(ctx: Context) -> tuple[list[DerivedItem], list[DepositRow]]:
    """Every per-terminal amount with its natural day, and the deposit ledger."""
    items: list[DerivedItem] = []
    deposits: list[DepositRow] = []
    qualified = _qualified_days(ctx)
    empty = Replay()

    def split(t: TerminalInfo, rp: Replay, kind: str, day: Day, sign: int = 1) -> None:
        holder = rp.holder_on(day)
        for agent, amount in ctx.split_amount(holder, t.product_id, kind, day):
            if amount:
                items.append(DerivedItem(t.id, kind, agent, t.product_id, day, sign * amount))

    for t in ctx.terminals.values():
        rp = ctx.replays.get(t.id, empty)
        p = ctx.products[t.product_id]
        act = t.activation_day
        if act is not None:
            split(t, rp, "cashback", act)
            if p.qualify_days and p.qualify_volume is not None:
                hit = qualified.get(t.id)
                if hit is not None:
                    split(t, rp, "qualify_bonus", hit)
                else:
                    end = add_days(act, p.qualify_days - 1)
                    split(t, rp, "unqualified_penalty", end, sign=-1)
        alloc = rp.first_allocation
        if alloc is None or alloc.to_agent is None:
            continue
        if act is not None and act < alloc.date:
            continue  # activated before it was handed out: no deposit owed
        terms = ctx.policies.in_force((alloc.to_agent, t.product_id), alloc.date)
        amount = terms.deposit if terms else 0
        if amount <= 0:
            continue
        agent = alloc.to_agent
        if alloc.deposit_method == "deduct":
            items.append(
                DerivedItem(t.id, "deposit_deduction", agent, t.product_id, alloc.date, -amount)
            )
        state, settled = "held", None
        lost = rp.lost_on
        if act is not None:
            in_time = p.deposit_days is None or days_between(alloc.date, act) <= p.deposit_days
            if lost is not None and lost <= act:
                state, settled = "forfeited", lost
            elif in_time:
                state, settled = "refunded", act
                items.append(DerivedItem(t.id, "deposit_refund", agent, t.product_id, act, amount))
            else:
                state, settled = "forfeited", act
        elif lost is not None:
            state, settled = "forfeited", lost
        deposits.append(
            DepositRow(t.id, agent, t.product_id, amount, alloc.deposit_method, alloc.date, state, settled)
        )
    return items, deposits


def _write_deposits(deposits: list[DepositRow]) -> None:
    db = database.obj
    db.execute_sql("DELETE FROM deposit")
    db.cursor().executemany(
        "INSERT INTO deposit (terminal_id, agent_id, product_id, amount, method, allocated_on, "
        "state, settled_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                d.terminal_id,
                d.agent_id,
                d.product_id,
                d.amount,
                d.method,
                d.allocated_on,
                d.state,
                d.settled_on,
            )
            for d in deposits
        ],
    )


class _Poster:
    """Posts per-terminal amounts month by month through one compute run.

    What a (terminal, kind, agent) key receives in month X is what is due by X minus what
    months before X received: rows of months outside the run (locked ones) are read once;
    months inside the run are posted here in order, so nothing is read twice.  Half a
    million keys on a large office: the state is two flat dicts sharing their keys."""

    def __init__(self, run: list[str], derived: list[DerivedItem]):
        db = database.obj
        marks = ", ".join("?" * len(run))
        db.execute_sql(f"DELETE FROM terminal_item WHERE month IN ({marks})", run)
        self.frozen = db.execute_sql(
            "SELECT month, terminal_id, kind, agent_id, product_id, natural_date, amount "
            "FROM terminal_item WHERE month < ? ORDER BY month",
            (run[-1],),
        ).fetchall()
        self.next_frozen = 0
        derived.sort(key=lambda it: it.natural_date)
        self.derived = derived
        self.next_due = 0
        self.due: dict[tuple, int] = {}  # key → index into derived
        self.posted: dict[tuple, int] = {}  # key → amount received so far
        self.meta: dict[tuple, tuple[int, str]] = {}  # product, day of keys due no more

    def post(self, month: str) -> None:
        # Only keys that became due this month, or whose earlier postings were just read,
        # can differ from what they received; every other key was settled by an earlier
        # month of this run.
        touched: dict[tuple, None] = {}  # an ordered set
        frozen = self.frozen
        posted = self.posted
        while self.next_frozen < len(frozen) and frozen[self.next_frozen][0] < month:
            _m, tid, kind, agent, pid, day, amount = frozen[self.next_frozen]
            key = (tid, kind, agent)
            posted[key] = posted.get(key, 0) + amount
            self.meta.setdefault(key, (pid, day))
            touched[key] = None
            self.next_frozen += 1
        derived = self.derived
        while self.next_due < len(derived) and derived[self.next_due].natural_date[:7] <= month:
            it = derived[self.next_due]
            key = (it.terminal_id, it.kind, it.agent_id)
            self.due[key] = self.next_due
            touched[key] = None
            self.next_due += 1
        database.obj.cursor().executemany(
            "INSERT INTO terminal_item (terminal_id, kind, agent_id, product_id, natural_date, "
            "month, amount) VALUES (?, ?, ?, ?, ?, ?, ?)",
            self._deltas(touched, month),
        )

    def _deltas(self, touched: dict[tuple, None], month: str) -> Iterator[tuple]:
        """The rows to post, streamed (half a million on a large office)."""
        derived, posted = self.derived, self.posted
        for key in touched:
            i = self.due.get(key)
            if i is None:
                (pid, day), amount = self.meta[key], 0
            else:
                it = derived[i]
                pid, day, amount = it.product_id, it.natural_date, it.amount
            delta = amount - posted.get(key, 0)
            if delta:
                posted[key] = amount
                yield (key[0], key[1], key[2], pid, day, month, delta)


# ------------------------------------------------------------------ transaction shares


def _debit_thresholds(ctx: Context) -> dict[int, int]:
    """Per product, the smallest |amount| at which any debit cap can bite."""
    out: dict[int, int] = {}
    for book in (ctx.policies, ctx.prices):
        for key in book.keys():
            pid = int(key[-1] if isinstance(key, tuple) else key)  # type: ignore[arg-type]
            for _, t in book.history(key):
                if t.debit_cap is None or t.debit_rate <= 0:
                    continue
                threshold = -(-t.debit_cap * MICRO // t.debit_rate)
                out[pid] = min(out.get(pid, threshold), threshold)
    return out


@dataclass
class ShareTotals:
    acc: dict[tuple[int | None, int, str], list[int]]  # (agent, product, category) → [n, volume, micro]
    pool: dict[int, int]  # product → micro-fen


_CAT_CODE = {"credit": 0, "debit": 1, "scan": 2}
_CAT_NAME = {v: k for k, v in _CAT_CODE.items()}


def transaction_shares(ctx: Context, month: str) -> ShareTotals:
    """Price every counted transaction settled in ``month`` along its chain.

    One GROUP BY pass: each transaction gets its holder on its date by a primary-key
    lookup, and the group (holder, product, pricing period, category, refund) is packed
    into one integer, which SQLite sorts about twice as fast as the same columns.  Debit
    transactions big enough to reach a cap are their own group and priced one by one."""
    db = database.obj
    acc: dict[tuple[int | None, int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    pool: dict[int, int] = defaultdict(int)
    lo = db.execute_sql("SELECT MIN(date) FROM txn WHERE month = ?", (month,)).fetchone()[0]
    if lo is None:
        return ShareTotals(acc, pool)
    hi = month_last_day(month).isoformat()
    # pricing periods: within one, no price or policy of the product changes
    starts_of: dict[int, list[str]] = {}
    period_cases = []
    for pid in ctx.products:
        bounds = sorted(
            d for d in ctx.prices.change_dates(pid) | ctx.policies.change_dates(pid) if lo < d <= hi
        )
        starts_of[pid] = [lo, *bounds]
        if bounds:
            whens = " ".join(
                f"WHEN t.date >= '{b}' THEN {i}" for i, b in reversed(list(enumerate(bounds, 1)))
            )
            period_cases.append(f"WHEN {pid} THEN CASE {whens} ELSE 0 END")
    period = f"(CASE t.product_id {' '.join(period_cases)} ELSE 0 END)" if period_cases else "0"
    thresholds = _debit_thresholds(ctx)
    if thresholds:
        cases = " ".join(f"WHEN {pid} THEN {v}" for pid, v in thresholds.items())
        big = f"t.category = 'debit' AND ABS(t.amount) >= (CASE t.product_id {cases} ELSE 9e18 END)"
    else:
        big = "0"
    # through the (month, date) index: rows arrive in date order, which for imports made
    # in time order is also table order (a plain scan measured twice as slow)
    where = "t.month = ? AND t.status IN ('success', 'refund')"
    # Each terminal's holder over the month's days: the holder before, and at most one
    # change inside the range (a terminal handed out mid-month); the rare terminal that
    # changes hands twice or more is read again day by day.
    hold_rows = []
    multi: list[int] = []
    empty = Replay()
    for tid in ctx.terminals:
        rp = ctx.replays.get(tid, empty)
        inside = [i for i, d in enumerate(rp.starts) if lo < d <= hi]
        before = rp.holder_on(lo)
        if not inside:
            hold_rows.append((tid, before, "9999-12-31", before))
        elif len(inside) == 1:
            i = inside[0]
            hold_rows.append((tid, before, rp.starts[i], rp.holders[i]))
        else:
            multi.append(tid)
    db.execute_sql("DROP TABLE IF EXISTS tmp_hold")
    db.execute_sql(
        "CREATE TEMP TABLE tmp_hold (terminal_id INTEGER PRIMARY KEY, before INTEGER, "
        "change TEXT, after INTEGER)"
    )
    db.cursor().executemany("INSERT INTO tmp_hold VALUES (?, ?, ?, ?)", hold_rows)
    groups: dict[tuple, list[int]] = {}
    singles: list[tuple] = []
    products = {tid: t.product_id for tid, t in ctx.terminals.items()}

    def add(holder, pid, day, cat, refund, n, total) -> None:
        key = (holder, pid, day, cat, refund)
        g = groups.get(key)
        if g is None:
            groups[key] = [n, total]
        else:
            g[0] += n
            g[1] += total

    holder_sql = "COALESCE(CASE WHEN t.date >= h.change THEN h.after ELSE h.before END, 0)"
    cat_sql = "(CASE t.category WHEN 'credit' THEN 0 WHEN 'debit' THEN 1 ELSE 2 END)"
    key_sql = (
        f"CASE WHEN {big} THEN -t.id ELSE "
        f"(((({holder_sql} * 1024 + t.product_id) * 64 + {period}) * 4 + {cat_sql}) * 2 "
        "+ (t.status = 'refund')) END"
    )
    big_ids: list[int] = []
    for key, n, total in db.execute_sql(
        f"SELECT {key_sql} AS k, COUNT(*), SUM(t.amount) FROM txn t CROSS JOIN tmp_hold h "
        f"ON h.terminal_id = t.terminal_id WHERE {where} GROUP BY k",
        (month,),
    ):
        if key < 0:
            big_ids.append(-key)
            continue
        key, refund = divmod(key, 2)
        key, cat = divmod(key, 4)
        key, per = divmod(key, 64)
        holder, pid = divmod(key, 1024)
        add(holder or None, pid, starts_of[pid][per], _CAT_NAME[cat], refund, n, total)
    db.execute_sql("DROP TABLE tmp_hold")

    def day_period(pid: int, day: str) -> str:
        starts = starts_of[pid]
        return starts[max(0, bisect.bisect_right(starts, day) - 1)]

    for i in range(0, len(big_ids), 500):
        chunk = big_ids[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        for tid, day, cat, refund, total in db.execute_sql(
            "SELECT t.terminal_id, t.date, t.category, t.status = 'refund', t.amount FROM txn t "
            f"WHERE t.id IN ({marks})",
            chunk,
        ):
            pid = products[tid]
            holder = ctx.replays.get(tid, empty).holder_on(day)
            singles.append((holder, pid, day_period(pid, day), cat, refund, 1, total))
    for i in range(0, len(multi), 500):
        chunk = multi[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        for tid, day, cat, refund, isbig, n, total in db.execute_sql(
            f"SELECT t.terminal_id, t.date, t.category, t.status = 'refund', {big}, COUNT(*), "
            f"SUM(t.amount) FROM txn t WHERE {where} AND t.terminal_id IN ({marks}) "
            f"GROUP BY 1, 2, 3, 4, 5, CASE WHEN {big} THEN t.id ELSE 0 END",
            (month, *chunk),
        ):
            pid = products[tid]
            holder = ctx.replays[tid].holder_on(day)
            row = (holder, pid, day_period(pid, day), cat, refund, n, total)
            if isbig:
                singles.append(row)
            else:
                add(*row)

    terms_cache: dict[tuple, tuple[Terms, list[Terms]]] = {}
    linear_rows = [(*k, n, total) for k, (n, total) in groups.items()]
    for rows, linear in ((linear_rows, True), (singles, False)):
        for holder, pid, day_text, cat, refund, n, total in rows:
            refund = bool(refund)
            chain = ctx.chain(holder)
            key = (holder, pid, day_text)
            cached = terms_cache.get(key)
            if cached is None:
                cached = terms_cache[key] = (
                    ctx.price(pid, day_text),
                    ctx.fee_terms(chain, pid, day_text),
                )
            price, effs = cached
            if linear:
                merchant = price.linear_fee_micro(cat, total, n, refund)
                fees = [t.linear_fee_micro(cat, total, n, refund) for t in effs]
            else:
                merchant = price.fee_micro(cat, total, refund)
                fees = [t.fee_micro(cat, total, refund) for t in effs]
            pool[pid] += merchant - fees[0]
            k = len(chain) - 1
            for i in range(1, k + 1):
                share = (merchant if i == k else fees[i + 1]) - fees[i]
                a = acc[(chain[i], pid, cat)]
                a[0] += n
                a[1] += total
                a[2] += share
    return ShareTotals(acc, pool)


# ------------------------------------------------------------------ the statement


def _previous_computed(month: str) -> str | None:
    row = (
        MonthState.select(MonthState.month)
        .where((MonthState.month < month) & MonthState.computed_at.is_null(False))
        .order_by(MonthState.month.desc())
        .first()
    )
    return row.month if row else None


def _carried(month: str | None) -> dict[tuple[int, int], int]:
    if month is None:
        return {}
    rows = database.obj.execute_sql(
        "SELECT s.agent_id, l.product_id, l.carried_out FROM statement_line l "
        "JOIN statement s ON s.id = l.statement_id WHERE s.month = ? AND l.carried_out != 0",
        (month,),
    )
    return {(a, p): c for a, p, c in rows}


def _compute_one(ctx: Context, month: str, poster: _Poster, *, fingerprint: bool) -> None:
    db = database.obj
    shares = transaction_shares(ctx, month)
    poster.post(month)
    lines: dict[tuple[int | None, int], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(LINE_FIELDS, 0)
    )
    pool_fen = {pid: round_micro(v) for pid, v in shares.pool.items()}
    agents_tx: dict[int, int] = defaultdict(int)
    for (agent, pid, cat), (n, vol, micro) in shares.acc.items():
        line = lines[(agent, pid)]
        amount = round_micro(micro)
        line[f"{cat}_count"] = n
        line[f"{cat}_volume"] = vol
        line[f"{cat}_amount"] = amount
        agents_tx[pid] += amount
    agency_items: dict[int, int] = defaultdict(int)
    for agent, pid, kind, amount in db.execute_sql(
        "SELECT agent_id, product_id, kind, SUM(amount) FROM terminal_item WHERE month = ? "
        "GROUP BY agent_id, product_id, kind",
        (month,),
    ):
        if agent is None:
            if kind in ("cashback", "qualify_bonus", "unqualified_penalty"):
                agency_items[pid] += amount
        else:
            lines[(agent, pid)][kind] += amount
    for agent, pid, amount in db.execute_sql(
        "SELECT agent_id, product_id, SUM(amount) FROM adjustment WHERE month = ? "
        "GROUP BY agent_id, product_id",
        (month,),
    ):
        lines[(agent, pid)]["adjustment"] += amount
    for (agent, pid), amount in _carried(_previous_computed(month)).items():
        lines[(agent, pid)]["carried_in"] += amount

    by_agent: dict[int, list[tuple[int, dict[str, int]]]] = defaultdict(list)
    for (agent, pid), line in lines.items():
        assert agent is not None  # the agency's own amounts never become statement lines
        line["subtotal"] = sum(line[f] for f in _AMOUNT_FIELDS)
        by_agent[agent].append((pid, line))

    db.execute_sql("DELETE FROM statement WHERE month = ?", (month,))
    db.execute_sql("DELETE FROM agency_margin WHERE month = ?", (month,))
    statements = []
    line_rows = []
    for agent_id in sorted(by_agent, key=lambda a: ctx.agents[a].code):
        info = ctx.agents[agent_id]
        products = [(pid, ln) for pid, ln in by_agent[agent_id] if any(ln.values())]
        if not products:
            continue
        gross = sum(ln["subtotal"] for _, ln in products if ln["subtotal"] > 0)
        tax = round_micro(gross * info.tax_rate)
        payable = gross - tax
        on_hold = info.status == "on_hold"
        paid = not on_hold and gross > 0 and payable >= ctx.min_payout
        for _, ln in products:
            ln["carried_out"] = ln["subtotal"] if (ln["subtotal"] < 0 or not paid) else 0
        if not paid:
            tax = payable = 0
        paid_by = info.parent_id if info.payout == "via_parent" else None
        statements.append((month, agent_id, gross, tax, payable, on_hold, paid, paid_by))
        for pid, ln in products:
            line_rows.append((agent_id, pid, *(ln[f] for f in LINE_FIELDS)))
    cur = db.cursor()
    cur.executemany(
        "INSERT INTO statement (month, agent_id, gross, tax, payable, on_hold, paid, paid_by_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        statements,
    )
    ids = dict(
        db.execute_sql("SELECT agent_id, id FROM statement WHERE month = ?", (month,)).fetchall()
    )
    cols = ", ".join(LINE_FIELDS)
    marks = ", ".join("?" * (len(LINE_FIELDS) + 2))
    cur.executemany(
        f"INSERT INTO statement_line (statement_id, product_id, {cols}) VALUES ({marks})",
        [(ids[r[0]], *r[1:]) for r in line_rows],
    )
    margins = []
    for pid in sorted(set(pool_fen) | set(agency_items) | set(agents_tx)):
        margin = pool_fen.get(pid, 0) - agents_tx.get(pid, 0) + agency_items.get(pid, 0)
        margins.append((month, pid, pool_fen.get(pid, 0), margin))
    cur.executemany(
        "INSERT INTO agency_margin (month, product_id, pool, margin) VALUES (?, ?, ?, ?)", margins
    )
    now = dt.datetime.now().replace(microsecond=0)
    fingerprint_text = month_fingerprint(month) if fingerprint else ""
    MonthState.insert(
        month=month, state="open", computed_at=now, fingerprint=fingerprint_text
    ).on_conflict(
        conflict_target=[MonthState.month],
        update={MonthState.computed_at: now, MonthState.fingerprint: fingerprint_text},
    ).execute()


def _data_months(ctx: Context, derived: list[DerivedItem]) -> set[str]:
    db = database.obj
    months: set[str] = set()
    cur = db.execute_sql("SELECT MIN(month) FROM txn").fetchone()[0]
    while cur is not None:  # index skip-scan: one seek per distinct month
        months.add(cur)
        cur = db.execute_sql("SELECT MIN(month) FROM txn WHERE month > ?", (cur,)).fetchone()[0]
    for sql in (
        "SELECT DISTINCT substr(date, 1, 7) FROM terminal_event WHERE action != 'stock'",
        "SELECT DISTINCT month FROM adjustment",
        "SELECT DISTINCT month FROM statement",
        "SELECT DISTINCT month FROM terminal_item",
    ):
        months.update(r[0] for r in db.execute_sql(sql))
    months.update(it.natural_date[:7] for it in derived)
    return months


@dataclass
class ComputeResult:
    month: str
    months: list[str]
    statements: int
    payable: int


def compute_month(month: str, progress: Progress | None = None) -> ComputeResult:
    """Compute ``month`` (and every earlier open month with data first).  Idempotent."""
    month = parse_month(month)
    report = progress or (lambda _p, _m: None)
    with database.obj.atomic():
        result = _compute(month, report)
    return result


def _compute(month: str, report: Progress) -> ComputeResult:
    report(2, "读取代理、政策与机具")
    ctx = load_context()
    if month in ctx.locked:
        raise UserError(f"{format_month(month)}已锁定,不能重新计算")
    report(15, "计算激活、达标与押金")
    derived, deposits = derive_terminal_items(ctx)
    _write_deposits(deposits)
    months = sorted(m for m in _data_months(ctx, derived) if m < month and m not in ctx.locked)
    months.append(month)
    poster = _Poster(months, derived)
    for i, m in enumerate(months):
        report(25 + 70 * i // len(months), f"计算{format_month(m)}分润")
        _compute_one(ctx, m, poster, fingerprint=m == month)
    row = database.obj.execute_sql(
        "SELECT COUNT(*), COALESCE(SUM(payable), 0) FROM statement WHERE month = ?", (month,)
    ).fetchone()
    report(100, "完成")
    return ComputeResult(month, months, row[0], row[1])


def lock_month(month: str, progress: Progress | None = None) -> ComputeResult:
    """Compute ``month`` once more and freeze it (锁定)."""
    month = parse_month(month)
    with database.obj.atomic():
        result = _compute(month, progress or (lambda _p, _m: None))
        now = dt.datetime.now().replace(microsecond=0)
        MonthState.update(state="locked", locked_at=now).where(MonthState.month == month).execute()
    return result


def is_computed(month: str) -> bool:
    return MonthState.select().where(
        (MonthState.month == month) & MonthState.computed_at.is_null(False)
    ).exists()


# ------------------------------------------------------------------ the statement as JSON


def _category(line: StatementLine, cat: str) -> dict[str, int]:
    return {
        "count": getattr(line, f"{cat}_count"),
        "volume_fen": getattr(line, f"{cat}_volume"),
        "amount_fen": getattr(line, f"{cat}_amount"),
    }


def statement_json(month: str) -> dict:
    """The month's statements exactly in the FORMATS.md schema (money in integer fen)."""
    month = parse_month(month)
    db = database.obj
    agents = dict(db.execute_sql("SELECT id, code FROM agent").fetchall())
    names = dict(db.execute_sql("SELECT id, name FROM agent").fetchall())
    products = dict(db.execute_sql("SELECT id, code FROM product").fetchall())
    lines_by_stmt: dict[int, list[StatementLine]] = defaultdict(list)
    query = StatementLine.select().join(Statement).where(Statement.month == month)
    for line in query:
        lines_by_stmt[line.statement_id].append(line)
    out_statements = []
    stmts = sorted(
        Statement.select().where(Statement.month == month), key=lambda s: agents[s.agent_id]
    )
    for s in stmts:
        prods = []
        for line in sorted(lines_by_stmt[s.id], key=lambda ln: products[ln.product_id]):
            entry: dict[str, object] = {"product": products[line.product_id]}
            for cat in CATEGORIES:
                entry[cat] = _category(line, cat)
            entry.update(
                {
                    "cashback_fen": line.cashback,
                    "qualify_bonus_fen": line.qualify_bonus,
                    "unqualified_penalty_fen": line.unqualified_penalty,
                    "deposit_refund_fen": line.deposit_refund,
                    "deposit_deduction_fen": line.deposit_deduction,
                    "adjustment_fen": line.adjustment,
                    "carried_in_fen": line.carried_in,
                    "subtotal_fen": line.subtotal,
                    "carried_out_fen": line.carried_out,
                }
            )
            prods.append(entry)
        out_statements.append(
            {
                "agent": agents[s.agent_id],
                "name": names[s.agent_id],
                "products": prods,
                "gross_fen": s.gross,
                "tax_fen": s.tax,
                "payable_fen": s.payable,
                "on_hold": bool(s.on_hold),
            }
        )
    margins = [
        {"product": products[m.product_id], "margin_fen": m.margin}
        for m in sorted(
            AgencyMargin.select().where(AgencyMargin.month == month),
            key=lambda m: products[m.product_id],
        )
        if m.margin != 0
    ]
    return {"month": month, "statements": out_statements, "agency": {"products": margins}}


def month_fingerprint(month: str) -> str:
    """A short hash of the month's numbers, printed on slips to match paper to database."""
    data = json.dumps(statement_json(month), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:12]


def statement_fingerprint(entry: dict) -> str:
    data = json.dumps(entry, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:12]


__all__ = [
    "Cancelled",
    "ComputeResult",
    "Context",
    "Deposit",
    "TerminalItem",
    "compute_month",
    "derive_terminal_items",
    "is_computed",
    "load_context",
    "lock_month",
    "month_first_day",
    "statement_json",
]
