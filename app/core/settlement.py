"""The monthly statement (月结/分润单), DOMAIN §3–§6.

``compute_month(M)`` recomputes every open month with data up to M, in order, then M;
``lock_month(M)`` computes and freezes (months close in order, DOMAIN §6).  The heavy part, pricing millions of transactions
along their agent chains, is one set-based SQL pass per month (``SharePass``): each
terminal's month is cut into segments with one holder and one pricing period, read as
ranges of the covering index, and the transactions are grouped by (holder, product,
period, category, refund, debit band); each group is priced in Python with the linear fee
formula.  Debit transactions are banded by the product's cap thresholds so that inside a
band every cap bites on all of them or on none: the cap stays exact.  The passes over the
transactions run on read-only connections beside the rest (``app.core.scans``).

Per-terminal amounts (activation cashback, 达标 bonus, 未达标 penalty, deposit deduction and
refund) are derived for every terminal with their natural day, then *posted*: the amount a
month receives for a (terminal, kind, agent) is what is due by that month minus what
earlier months already received.  Locked months keep their rows, so late data lands in the
next open month as the difference, never by changing a locked month.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import json
import operator
import sqlite3
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import NamedTuple

from app.core import audit, auth, derived, freeze, integrity, scans, staff_pay
from app.core.errors import UserError
from app.core.money import (
    format_month,
    month_first_day,
    month_last_day,
    parse_month,
    round_micro,
)
from app.core.months import (
    data_months,
    is_late,
    lock_order_error,
    locked_months,
    min_payout,
    settle_month,
    txn_months,
)
from app.core.ownership import Replay, build_replays
from app.core.policy import CATEGORIES, ZERO_TERMS, Book, Terms
from app.models import (
    Deposit,
    MonthState,
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


class TerminalInfo(NamedTuple):  # a tuple: 100,000 of them are made per compute
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

    def load_holdings(self) -> None:
        """The terminals, and each one's holding timeline replayed from its moves."""
        db = database.obj
        rows = db.execute_sql(
            "SELECT id, product_id, activated_on, first_tx_on FROM terminal"
        ).fetchall()
        make = functools.partial(tuple.__new__, TerminalInfo)  # C all the way (not _make)
        self.terminals = {t[0]: t for t in map(make, rows)}
        # read in table order and sorted here: cheaper than SQLite walking the
        # (terminal, date) index and fetching each event's row from the table
        events = db.execute_sql(
            "SELECT terminal_id, date, id, action, to_agent_id, deposit_method "
            "FROM terminal_event WHERE action != 'stock'"
        ).fetchall()
        events.sort()  # by terminal, day, and entry order (id)
        self.replays = build_replays(events)

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
        self, holder: int | None, product_id: int, kind: str, day: Day
    ) -> list[tuple[int | None, int]]:
        """A per-terminal amount split along the chain by 级差 (agency first); callers
        cache it per pricing period (``_Splits``)."""
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


def load_context(*, holdings: bool = True) -> Context:
    """Agents, products, policies, prices, and (``holdings``) the terminals with their
    holding timelines, which a compute loads later (``Context.load_holdings``)."""
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
    ctx = Context(agents, products, policies, prices, {}, {}, locked_months(), min_payout())
    if holdings:
        ctx.load_holdings()
    return ctx


# ------------------------------------------------------------------ per-terminal amounts

# A per-terminal amount: (terminal_id, kind, agent_id, product_id, natural_date, amount).
DerivedItem = tuple[int, str, "int | None", int, Day, int]
# A per-terminal amount before it is split into items: (terminal_id, kind, product_id,
# natural_date, sign, split), ``split`` the (agent, amount) pairs along the chain, one
# object shared by every unit of the same pricing period (``_Splits``).  The items of a
# unit are (terminal_id, kind, agent, product_id, natural_date, sign × amount) for each
# pair, in order.  An ordinary compute only adds them up by month, so it counts the units
# per (day, kind, product, sign, split) and never makes the items (``_Poster._tally``).
Split = tuple[tuple["int | None", int], ...]
Unit = tuple[int, str, int, Day, int, Split]
# A deposit: (terminal_id, agent_id, product_id, amount, method, allocated_on, state,
# settled_on), the columns of the deposit table.
DepositRow = tuple[int, int, int, int, str, Day, str, "Day | None"]


def qualification_tasks(
    txn_months: list[str], parts: int
) -> list[scans.Task[tuple[list[scans.Window], list[scans.Hit]]]]:
    """The 达标 pass (``scans.qualification_task``), its terminals split in ``parts``.  It
    needs nothing from Python, so it starts before the context is loaded."""
    db = database.obj
    first = scans.first_window_month(db.connection())
    if first is None:
        return []
    # a transaction dated in a window is settled in that month or later
    months = [m for m in txn_months if m >= first]
    return [scans.qualification_task(a, b, months) for a, b in _id_ranges(parts)]


def _id_ranges(parts: int) -> list[tuple[int, int]]:
    """The terminals' ids cut into up to ``parts`` ranges (first, last) for the readers."""
    lo, hi = database.obj.execute_sql("SELECT MIN(id), MAX(id) FROM terminal").fetchone()
    if lo is None:
        return []
    size = -(-(hi - lo + 1) // parts)
    return [(i, min(i + size - 1, hi)) for i in range(lo, hi + 1, size)]


def _qualification(
    parts: list[Future[tuple[list[scans.Window], list[scans.Hit]]]],
) -> tuple[list[scans.Window], dict[int, Day]]:
    """The 达标 windows (terminal, first day, last day, target), by terminal, and the day
    each that reached its target did."""
    windows: list[scans.Window] = []
    qualified: dict[int, Day] = {}
    for part in parts:
        wins, hits = part.result()
        windows += wins
        qualified.update(hits)
    windows.sort()
    return windows, qualified


class _Splits:
    """Per-terminal amounts split along the chain, cached per pricing period: within one,
    no policy or price of the product changes, so every day of it splits alike."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.starts = {
            pid: sorted(ctx.policies.change_dates(pid) | ctx.prices.change_dates(pid))
            for pid in ctx.products
        }
        self.cache: dict[tuple, Split] = {}
        self.solo: dict[tuple[int, int], Split] = {}

    def __call__(self, holder: int | None, pid: int, kind: str, day: Day) -> Split:
        key = (holder, pid, kind, bisect.bisect_right(self.starts[pid], day))
        out = self.cache.get(key)
        if out is None:
            out = self.cache[key] = tuple(
                pair for pair in self.ctx.split_amount(holder, pid, kind, day) if pair[1]
            )
        return out

    def single(self, agent: int, amount: int) -> Split:
        """The split of an amount that goes to one agent alone (deposits), shared."""
        key = (agent, amount)
        out = self.solo.get(key)
        if out is None:
            out = self.solo[key] = (key,)
        return out


def expand(units: Iterable[Unit]) -> list[DerivedItem]:
    """The items of ``units``, in order."""
    return [
        (tid, kind, agent, pid, day, sign * amount)
        for tid, kind, pid, day, sign, split in units
        for agent, amount in split
    ]


def derive_terminal_units(
    ctx: Context, windows: list[tuple[int, Day, Day, int]], qualified: dict[int, Day]
) -> tuple[list[Unit], list[DepositRow]]:
    """Every per-terminal amount with its natural day, and the deposit ledger.

    ``qualified`` maps terminals of the 达标 ``windows`` to the day their window volume
    reached the target."""
    splits = _Splits(ctx)
    units, deposits = _derive_activation_and_deposits(ctx, splits)
    units += _derive_qualification(ctx, splits, windows, qualified)
    return units, deposits


def _derive_activation_and_deposits(
    ctx: Context, splits: _Splits
) -> tuple[list[Unit], list[DepositRow]]:
    """Activation cashback and deposits (they need no transaction), by terminal."""
    units: list[Unit] = []
    deposits: list[DepositRow] = []
    add = units.append
    empty = Replay()
    for tid in sorted(ctx.terminals):
        t = ctx.terminals[tid]
        pid = t.product_id
        rp = ctx.replays.get(tid, empty)
        act = t.activation_day
        if act is not None:
            split = splits(rp.holder_on(act), pid, "cashback", act)
            if split:
                add((tid, "cashback", pid, act, 1, split))
        alloc = rp.first_allocation
        if alloc is None or alloc.to_agent is None:
            continue
        if act is not None and act < alloc.date:
            continue  # activated before it was handed out: no deposit owed
        terms = ctx.policies.in_force((alloc.to_agent, pid), alloc.date)
        amount = terms.deposit if terms else 0
        if amount <= 0:
            continue
        agent = alloc.to_agent
        if alloc.deposit_method == "deduct":
            add((tid, "deposit_deduction", pid, alloc.date, -1, splits.single(agent, amount)))
        state, settled = "held", None
        lost = rp.lost_on
        if act is not None:
            deposit_days = ctx.products[pid].deposit_days
            in_time = deposit_days is None or days_between(alloc.date, act) <= deposit_days
            if lost is not None and lost <= act:
                state, settled = "forfeited", lost
            elif in_time:
                state, settled = "refunded", act
                add((tid, "deposit_refund", pid, act, 1, splits.single(agent, amount)))
            else:
                state, settled = "forfeited", act
        elif lost is not None:
            state, settled = "forfeited", lost
        deposits.append(
            (tid, agent, pid, amount, alloc.deposit_method, alloc.date, state, settled)
        )
    return units, deposits


def _derive_qualification(
    ctx: Context,
    splits: _Splits,
    windows: list[tuple[int, Day, Day, int]],
    qualified: dict[int, Day],
) -> list[Unit]:
    """达标 bonus on the day the window volume reached the target, else the 未达标
    penalty on the window's last day, by terminal."""
    units: list[Unit] = []
    add = units.append
    empty = Replay()
    for tid, _start, end, _target in windows:
        pid = ctx.terminals[tid].product_id
        rp = ctx.replays.get(tid, empty)
        hit = qualified.get(tid)
        if hit is not None:
            split = splits(rp.holder_on(hit), pid, "qualify_bonus", hit)
            if split:
                add((tid, "qualify_bonus", pid, hit, 1, split))
        else:
            split = splits(rp.holder_on(end), pid, "unqualified_penalty", end)
            if split:
                add((tid, "unqualified_penalty", pid, end, -1, split))
    return units


DEPOSIT_COLUMNS = (
    "terminal_id", "agent_id", "product_id", "amount", "method", "allocated_on", "state",
    "settled_on",
)  # fmt: skip
OUTCOME_COLUMNS = ("terminal_id", "window_end", "reached_on")


def _json(rows: list[tuple]) -> str:
    """``rows`` as a JSON array of arrays, written the way SQLite's json_array writes them."""
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


def _store(con: sqlite3.Connection, table: str, columns: tuple[str, ...], rows: str) -> None:
    """Replace ``table`` by ``rows`` (``_json`` of its ``columns``, ordered by the first),
    unless it already holds exactly them.  SQLite reads and writes the array itself, so
    this runs beside Python work without taking Python's lock (``_Beside``)."""
    cols = ", ".join(columns)
    stored = con.execute(
        f"SELECT json_group_array(json_array({cols})) FROM "
        f"(SELECT {cols} FROM {table} ORDER BY {columns[0]})"
    ).fetchone()[0]
    if stored == rows:
        return
    if table == "deposit":
        _merge_deposits(con, rows)
        return
    con.execute(f"DELETE FROM {table}")
    scans.insert_json(con, table, columns, rows)


def _merge_deposits(con: sqlite3.Connection, rows: str) -> None:
    """Bring the deposit ledger to ``rows`` touching only the deposits that changed: the
    database refuses to rewrite a deposit of a locked month (migration 9), and an
    unchanged row is not a rewrite."""
    cols = DEPOSIT_COLUMNS
    values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(cols)))
    con.execute(
        "DELETE FROM deposit WHERE terminal_id NOT IN "
        "(SELECT json_extract(value, '$[0]') FROM json_each(?))",
        (rows,),
    )
    changed = " OR ".join(f"deposit.{c} IS NOT excluded.{c}" for c in cols[1:])
    con.execute(
        f"INSERT INTO deposit ({', '.join(cols)}) SELECT {values} FROM json_each(?) WHERE 1 "
        f"ON CONFLICT (terminal_id) DO UPDATE SET "
        f"{', '.join(f'{c} = excluded.{c}' for c in cols[1:])} WHERE {changed}",
        (rows,),
    )


class _Beside:
    """Runs ``work`` on the compute's own connection in a thread while the main thread
    runs Python that does not touch the database, until ``join``."""

    def __init__(self, work: Callable[[sqlite3.Connection], None]):
        self.error: BaseException | None = None
        con = database.obj.connection()

        def run() -> None:
            try:
                work(con)
            except BaseException as exc:  # noqa: BLE001 - raised again by join()
                self.error = exc

        self.thread = threading.Thread(target=run, name="posdesk-store")
        self.thread.start()

    def join(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error


class _Poster:
    """Posts per-terminal amounts to the months of one compute run.

    What a (terminal, kind, agent) key receives in month X is what is due by X minus what
    it received before X, in locked months (their ledger rows) or earlier months of this
    run.  Without locked rows every key is posted once, in the first run month not before
    its natural month; with them, each terminal's keys are replayed month by month against
    its locked rows, read terminal by terminal alongside the derived items.  The sums per
    (month, agent, product, kind) are kept for the statement lines.

    Only the months in ``keep`` (the month being locked) get ledger rows: nothing reads an
    open month's rows but a drill-down, which derives them (``posted_items``), so an
    ordinary compute writes none of the hundreds of thousands it posts."""

    items: list[DerivedItem]  # the units split, made by ``rows()`` when rows are wanted

    def __init__(self, run: list[str], units: list[Unit], keep: Iterable[str] = ()):
        self.run = run
        self.units = units
        self.keep = frozenset(keep) & set(run)
        self.totals: dict[str, dict[tuple[int | None, int, str], int]] = {m: {} for m in run}
        self.marks = ", ".join("?" * len(run))
        self._posted: dict[str, str | None] = {}  # natural month → month it is posted in
        self.frozen = bool(
            database.obj.execute_sql(
                f"SELECT 1 FROM terminal_item WHERE month < ? AND month NOT IN ({self.marks}) "
                "LIMIT 1",
                (run[-1], *run),
            ).fetchone()
        )

    def post(self) -> None:
        """Count the run's postings, and write the rows of the months kept."""
        db = database.obj
        run, marks = self.run, self.marks
        if db.execute_sql(
            f"SELECT 1 FROM terminal_item WHERE month IN ({marks}) LIMIT 1", run
        ).fetchone():  # rows of a month not locked (never written since migration 4)
            db.execute_sql(f"DELETE FROM terminal_item WHERE month IN ({marks})", run)
        if not self.keep and not self.frozen:
            self._tally()  # nothing to write, nothing locked to replay: the sums alone
            return
        rows = self.rows()
        if not self.keep:
            for _ in rows:  # the totals are counted as the rows go by
                pass
            return
        keep = self.keep
        self._insert((r for r in rows if r[5] in keep), staged=self.frozen)

    def rows(self) -> Iterator[tuple]:
        """(terminal, kind, agent, product, natural day, month, amount) of every posting of
        the run, by terminal; the totals are counted as they are read."""
        self.totals = {m: {} for m in self.run}
        self.units.sort(key=operator.itemgetter(0))  # by terminal (sorted runs: merges)
        self.items = expand(self.units)
        return self._replayed() if self.frozen else self._once()

    def _insert(self, rows: Iterator[tuple], *, staged: bool) -> None:
        db = database.obj
        insert = (
            "INSERT INTO {} (terminal_id, kind, agent_id, product_id, natural_date, month, "
            "amount) VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        if not staged:
            db.cursor().executemany(insert.format("terminal_item"), rows)
            return
        # rows are read from terminal_item while the new ones are made: stage them apart
        db.execute_sql("DROP TABLE IF EXISTS tmp_posting")
        db.execute_sql(
            "CREATE TEMP TABLE tmp_posting (terminal_id INTEGER, kind TEXT, agent_id INTEGER, "
            "product_id INTEGER, natural_date TEXT, month TEXT, amount INTEGER)"
        )
        db.cursor().executemany(insert.format("tmp_posting"), rows)
        db.execute_sql(
            "INSERT INTO terminal_item (terminal_id, kind, agent_id, product_id, natural_date, "
            "month, amount) SELECT * FROM tmp_posting"
        )
        db.execute_sql("DROP TABLE tmp_posting")

    def _count(self, month: str, agent: int | None, pid: int, kind: str, amount: int) -> None:
        totals = self.totals[month]
        key = (agent, pid, kind)
        totals[key] = totals.get(key, 0) + amount

    def _posted_in(self, natural: str) -> str | None:
        """The month of the run in which an amount of ``natural`` month is posted: the
        first not before it (remembered per natural month)."""
        month = self._posted.get(natural, "")
        if month == "":
            i = bisect.bisect_left(self.run, natural)
            month = self._posted[natural] = self.run[i] if i < len(self.run) else None
        return month

    def _once(self) -> Iterator[tuple]:
        count, posted_in = self._count, self._posted_in
        for tid, kind, agent, pid, day, amount in self.items:
            month = posted_in(day[:7])
            if month is not None:
                count(month, agent, pid, kind, amount)
                yield (tid, kind, agent, pid, day, month, amount)

    def _tally(self) -> None:
        """The totals ``_once`` counts, without making its rows: the units are counted by
        (day, kind, product, sign, split), and each count multiplies its split once."""
        self.totals = {m: {} for m in self.run}
        # counted in C: a split is one shared tuple per holder and pricing period, and
        # equal splits count together
        counts = Counter(map(operator.itemgetter(3, 1, 2, 4, 5), self.units))
        for (day, kind, pid, sign, split), n in counts.items():
            month = self._posted_in(day[:7])
            if month is None:
                continue
            into = self.totals[month]
            for agent, amount in split:
                line = (agent, pid, kind)
                into[line] = into.get(line, 0) + n * sign * amount

    def _replayed(self) -> Iterator[tuple]:
        frozen = database.obj.execute_sql(
            "SELECT terminal_id, kind, agent_id, product_id, natural_date, month, amount "
            "FROM terminal_item WHERE month < ? ORDER BY terminal_id, month",
            (self.run[-1],),
        )
        items = self.items
        i, n = 0, len(items)
        pending = next(frozen, None)
        while i < n or pending is not None:
            tid = items[i][0] if i < n else None
            if pending is not None and (tid is None or pending[0] < tid):
                tid = pending[0]
            # this terminal's keys: due amounts, and what locked months gave them
            due: dict[tuple, tuple[int, Day, int]] = {}
            while i < n and items[i][0] == tid:
                _t, kind, agent, pid, day, amount = items[i]
                due[(kind, agent)] = (pid, day, amount)
                i += 1
            locked: dict[tuple, list[tuple[str, int]]] = {}
            meta: dict[tuple, tuple[int, Day]] = {}
            while pending is not None and pending[0] == tid:
                _t, kind, agent, pid, day, month, amount = pending
                locked.setdefault((kind, agent), []).append((month, amount))
                meta.setdefault((kind, agent), (pid, day))
                pending = next(frozen, None)
            for key in list(due) + [k for k in locked if k not in due]:
                kind, agent = key
                if key in due:
                    pid, day, amount = due[key]
                    natural = day[:7]
                else:
                    (pid, day), amount, natural = meta[key], 0, "9999-99"
                history = sorted(locked.get(key, ()))  # (month, amount), oldest first
                locked_sum, got, h = 0, 0, 0
                for month in self.run:
                    while h < len(history) and history[h][0] < month:
                        locked_sum += history[h][1]
                        h += 1
                    delta = (amount if natural <= month else 0) - locked_sum - got
                    if delta:
                        got += delta
                        self._count(month, agent, pid, kind, delta)
                        yield (tid, kind, agent, pid, day, month, delta)


# ------------------------------------------------------------------ transaction shares


def _debit_thresholds(ctx: Context) -> dict[int, list[int]]:
    """Per product, every |amount| at which some debit cap of its history starts to bite
    (sorted): the edges of the bands in which debit transactions are priced together."""
    out: dict[int, set[int]] = defaultdict(set)
    for book in (ctx.policies, ctx.prices):
        for key in book.keys():
            pid = int(key[-1] if isinstance(key, tuple) else key)  # type: ignore[arg-type]
            for _, t in book.history(key):
                threshold = t.cap_threshold()
                if threshold is not None:
                    out[pid].add(threshold)
    return {pid: sorted(v) for pid, v in out.items()}


@dataclass
class ShareTotals:
    acc: dict[tuple[int | None, int, str], list[int]]  # (agent, product, category) → [n, volume, micro]
    pool: dict[int, int]  # product → micro-fen


class SharePass:
    """Prices every counted transaction settled in ``month`` along its chain.

    Each terminal's month is cut into *segments*: stretches of days with one holder and one
    pricing period of that holder's chain (no policy of the chain and no price of the
    product changes inside).  A segment is a range of the covering index, so SQLite seeks
    it and reads its transactions without testing their day, and every segment carries the
    number of its (holder, product, period) group.  The transactions are then grouped by
    (group, category, refund, debit band) — a few tens of thousands of groups — each priced
    with the linear fee formula.  Debit transactions are banded by the product's cap
    thresholds: inside a band each cap bites on every transaction or on none.  The SQL runs
    on the readers, the segments split among them; ``totals()`` waits for it and prices."""

    def __init__(self, ctx: Context, month: str, readers: scans.Readers):
        self.ctx = ctx
        self.month = month
        self.parts: list[Future[list[scans.Share]]] = []
        self.days: dict[tuple[int | None, int], frozenset[str]] = {}
        self.groups: list[tuple[int | None, int, str]] = []  # (holder, product, period start)
        self.thresholds = _debit_thresholds(ctx)
        db = database.obj
        lo = db.execute_sql("SELECT MIN(date) FROM txn WHERE month = ?", (month,)).fetchone()[0]
        if lo is None:
            return
        self.lo, self.hi = lo, month_last_day(month).isoformat()
        periods = _json(self._periods())
        for first, last in _id_ranges(readers.workers):
            task = scans.shares_task(
                month, first, last, (self.lo, self.hi), periods, self.thresholds
            )
            self.parts.append(readers.submit(task))

    def _periods(self) -> list[tuple[int, int, int, str, str, int]]:
        """(id, holder (0 = stock), product, first day, day after, group) of the pricing
        periods of every possible holder and product in the month; the first runs from
        the beginning of time, the last to its end."""
        rows: list[tuple[int, int, int, str, str, int]] = []
        for holder in [None, *sorted(self.ctx.agents)]:
            for pid in sorted(self.ctx.products):
                starts = self.period_starts(holder, pid)
                for k, day in enumerate(starts):
                    start = day if k else "0000-00-00"
                    finish = starts[k + 1] if k + 1 < len(starts) else "9999-12-31"
                    rows.append((len(rows) + 1, holder or 0, pid, start, finish, len(self.groups)))
                    self.groups.append((holder, pid, day))
        return rows

    def period_starts(self, holder: int | None, pid: int) -> list[str]:
        """The first day of each pricing period of ``holder``'s chain for ``pid`` in the
        month: the month's first transaction day, then each day a term changes."""
        return [self.lo, *sorted(self._change_days(holder, pid))]

    def _change_days(self, holder: int | None, pid: int) -> frozenset[str]:
        """Days inside the month on which a price of ``pid`` or a policy of an agent on
        ``holder``'s chain changes (the parent's days, and the holder's own)."""
        key = (holder, pid)
        out = self.days.get(key)
        if out is None:
            ctx, lo, hi = self.ctx, self.lo, self.hi
            own = (d for d in ctx.policies.dates((holder, pid)) if lo < d <= hi)
            if holder is None:
                above = frozenset(d for d in ctx.prices.dates(pid) if lo < d <= hi)
            else:
                above = self._change_days(ctx.agents[holder].parent_id, pid)
            out = self.days[key] = above.union(own)
        return out

    def totals(self) -> ShareTotals:
        ctx = self.ctx
        acc: dict[tuple[int | None, int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        pool: dict[int, int] = defaultdict(int)
        terms_cache: dict[tuple, tuple[Terms, list[Terms]]] = {}
        for part in self.parts:
            for gid, code, refund, band, n, total in part.result():
                cat = CATEGORIES[code]
                holder, pid, day = self.groups[gid]
                chain = ctx.chain(holder)
                cached = terms_cache.get((holder, pid, day))
                if cached is None:
                    cached = terms_cache[(holder, pid, day)] = (
                        ctx.price(pid, day),
                        ctx.fee_terms(chain, pid, day),
                    )
                price, effs = cached
                if band == 0:  # no transaction of the group reaches any debit cap
                    merchant = price.linear_fee_micro(cat, total, n, refund)
                    fees = [t.linear_fee_micro(cat, total, n, refund) for t in effs]
                else:  # each cap bites on all of the group's transactions or on none
                    low = self.thresholds[pid][band - 1]
                    merchant = price.bucket_fee_micro(cat, total, n, refund, low)
                    fees = [t.bucket_fee_micro(cat, total, n, refund, low) for t in effs]
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


def _compute_one(
    ctx: Context,
    month: str,
    shares: ShareTotals,
    items: dict[tuple[int | None, int, str], int],
) -> None:
    """Write ``month``'s statements from its transaction shares and the per-terminal amounts
    posted to it (sums by agent, product and kind)."""
    db = database.obj
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
    for (agent, pid, kind), amount in items.items():
        if not amount:
            continue
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
    # month_state.fingerprint is no longer filled: nothing read it, and making it (the
    # whole month's statement JSON, hashed) cost the compute 0.1–0.2 s at its very end;
    # slips carry a fingerprint per statement (app.io.slips)
    MonthState.insert(month=month, state="open", computed_at=now).on_conflict(
        conflict_target=[MonthState.month],
        update={MonthState.computed_at: now, MonthState.fingerprint: ""},
    ).execute()


def _data_months(txn_months: list[str], units: list[Unit]) -> set[str]:
    db = database.obj
    # the month-close checks' months, the ledger's, and the days of the per-terminal amounts
    months = set(txn_months) | data_months()
    months.update(r[0] for r in db.execute_sql("SELECT DISTINCT month FROM terminal_item"))
    months.update({day[:7] for day in {u[3] for u in units}})
    return months


@dataclass
class ComputeResult:
    month: str
    months: list[str]
    statements: int
    payable: int


def compute_month(month: str, progress: Progress | None = None) -> ComputeResult:
    """Compute ``month`` (and every earlier open month with data first).  Idempotent."""
    auth.require("compute")
    return _computed(parse_month(month), progress, lock=False)


def _computed(month: str, progress: Progress | None, *, lock: bool) -> ComputeResult:
    """One compute (and, with ``lock``, the lock) in one write transaction.

    The transaction begins IMMEDIATE (app.models.db): the write lock is held before
    anything is read, so no other writer (an import) can land between what the passes read
    and what is written — an import lands wholly before a lock, or wholly after it.  The
    readers open inside it: nothing is written yet, and nobody else can commit, so they see
    exactly what this connection sees."""
    report = progress or (lambda _p, _m: None)
    _refresh_derived()
    db = database.obj
    with _small_cache(), db.atomic():
        con = db.connection()
        fresh = not derived.pending(con)  # something wrote moves/transactions just now
        if not fresh:  # brought up to date here; the passes then read on this connection
            derived.refresh(con)
        with scans.Readers(snapshot=fresh) as readers:
            result = _compute(month, report, readers, lock=lock)
        if lock:
            freeze.freeze_month(month)  # what its slips show, as it is now
            now = dt.datetime.now().replace(microsecond=0)
            MonthState.update(state="locked", locked_at=now).where(
                MonthState.month == month
            ).execute()
            for step in LOCK_STEPS:
                step(month)
            digest = integrity.seal(month)  # after the steps: the seal covers the final state
            audit.record("月结.锁定", f"月份 {month}", {"state": "open"},
                         {"state": "locked", "statements": result.statements,
                          "payable_fen": result.payable, "seal": digest})
        else:
            audit.record("月结.计算", f"月份 {month}", None,
                         {"months": result.months, "statements": result.statements,
                          "payable_fen": result.payable})
    return result


# Further steps run inside the lock's transaction after the month is marked locked, each
# given the month (what else is sealed with it).
LOCK_STEPS: list[Callable[[str], None]] = []


def _refresh_derived() -> None:
    """The holding timelines and day sums the passes read, brought up to date (the
    imports do it as they finish, so this finds nothing to do unless something else
    wrote moves or transactions), and committed before the readers open: they see only
    what is committed."""
    with database.obj.atomic():
        derived.refresh(database.obj.connection())


@contextlib.contextmanager
def _small_cache() -> Iterator[None]:
    """A compute streams what it reads and writes each row once: a small page cache
    serves it as well as the big one the imports want, and keeps the peak memory down."""
    db = database.obj
    size = db.execute_sql("PRAGMA cache_size").fetchone()[0]
    db.execute_sql("PRAGMA cache_size = -16000")
    try:
        yield
    finally:
        db.execute_sql(f"PRAGMA cache_size = {int(size)}")


def _compute(
    month: str, report: Progress, readers: scans.Readers, *, lock: bool = False
) -> ComputeResult:
    report(2, "读取代理、政策与机具")
    locked = locked_months()
    if month in locked:
        raise UserError(
            f"{format_month(month)}已锁定" + (",不能再次锁定" if lock else ",不能重新计算")
        )
    if is_late(month, locked):
        last = max(locked)
        raise UserError(
            f"{format_month(month)}早于已锁定的{format_month(last)},已经结束,不能再计算或锁定;"
            f"该月迟到的数据计入 {format_month(settle_month(month, locked))}"
        )
    with_txn = txn_months()
    # the passes over the transactions start first and run beside what follows: 达标
    # first, before the context is loaded (the per-terminal amounts wait for it), then
    # the shares
    qualifying = [readers.submit(t) for t in qualification_tasks(with_txn, readers.workers)]
    ctx = load_context(holdings=False)
    passes = {
        m: SharePass(ctx, m, readers)
        for m in with_txn
        if m <= month and not is_late(m, ctx.locked)
    }
    ctx.load_holdings()
    report(15, "计算激活返现与押金")
    splits = _Splits(ctx)
    units, deposits = _derive_activation_and_deposits(ctx, splits)
    deposits_json = _json(deposits)
    del deposits
    report(20, "计算达标与未达标")
    windows, qualified = _qualification(qualifying)
    outcomes_json = _json([(tid, end, qualified.get(tid)) for tid, _start, end, _t in windows])
    units += _derive_qualification(ctx, splits, windows, qualified)
    del qualified
    months = _run_months(ctx, month, with_txn, units)
    if lock and len(months) > 1:  # months close in order: every earlier one first
        raise lock_order_error(month, months[:-1])
    poster = _Poster(months, units, keep=[month] if lock else [])
    poster.post()
    del units, poster.units

    def store(con: sqlite3.Connection) -> None:
        _store(con, "deposit", DEPOSIT_COLUMNS, deposits_json)
        _store(con, "qualify_outcome", OUTCOME_COLUMNS, outcomes_json)

    # the deposit ledger and the 达标 outcomes are stored while the shares are priced
    beside = _Beside(store)
    try:
        totals = {
            m: passes.pop(m).totals() if m in passes else ShareTotals({}, {}) for m in months
        }
    finally:
        beside.join()
    for i, m in enumerate(months):
        report(25 + 70 * i // len(months), f"计算{format_month(m)}分润")
        _compute_one(ctx, m, totals.pop(m), poster.totals[m])
    report(97, "计算员工提成")
    staff_pay.compute_months(months)  # the staff statements (§8) go with the month
    row = database.obj.execute_sql(
        "SELECT COUNT(*), COALESCE(SUM(payable), 0) FROM statement WHERE month = ?", (month,)
    ).fetchone()
    report(100, "完成")
    return ComputeResult(month, months, row[0], row[1])


def _run_months(
    ctx: Context, month: str, with_txn: list[str], units: list[Unit]
) -> list[str]:
    """The months one compute of ``month`` settles: the open months before it that have
    data, then ``month``."""
    months = sorted(
        m for m in _data_months(with_txn, units) if m < month and not is_late(m, ctx.locked)
    )
    months.append(month)
    return months


def posted_items(month: str) -> list[tuple[int, str, int | None, int, Day, str, int]]:
    """The per-terminal amounts posted to ``month``: (terminal, kind, agent, product,
    natural day, month, amount).  A locked month's come from its ledger; an open month's
    are derived exactly as its compute posts them, and nothing is written."""
    month = parse_month(month)
    db = database.obj
    columns = "terminal_id, kind, agent_id, product_id, natural_date, month, amount"
    if month in locked_months():
        return db.execute_sql(
            f"SELECT {columns} FROM terminal_item WHERE month = ? ORDER BY terminal_id, id",
            (month,),
        ).fetchall()
    with scans.Readers() as readers:
        with_txn = txn_months()
        qualifying = [readers.submit(t) for t in qualification_tasks(with_txn, readers.workers)]
        ctx = load_context()
        windows, qualified = _qualification(qualifying)
        units, _deposits = derive_terminal_units(ctx, windows, qualified)
        poster = _Poster(_run_months(ctx, month, with_txn, units), units)
        return [r for r in poster.rows() if r[5] == month]


def lock_month(month: str, progress: Progress | None = None) -> ComputeResult:
    """Compute ``month`` once more and freeze it (锁定): its per-terminal amounts go to
    the ledger, where later computes find what it paid.  Refused when an earlier month with
    data is still open (months close in order), checked inside the lock's transaction.
    The month-close service ``app.core.closing.lock`` is the one entry point (it takes
    the backup first); here only a role that may lock, and the lock is sealed and audited
    in its own transaction (``app.core.integrity``, ``app.core.audit``)."""
    auth.require("lock")
    return _computed(parse_month(month), progress, lock=True)


def is_computed(month: str) -> bool:
    return MonthState.select().where(
        (MonthState.month == month) & MonthState.computed_at.is_null(False)
    ).exists()


# ------------------------------------------------------------------ the statement as JSON


def statement_json(month: str) -> dict:
    """The month's statements exactly in the FORMATS.md schema (money in integer fen)."""
    month = parse_month(month)
    db = database.obj
    products = dict(db.execute_sql("SELECT id, code FROM product").fetchall())
    cols = ", ".join(f"l.{f}" for f in LINE_FIELDS)
    lines_by_stmt: dict[int, list[tuple]] = defaultdict(list)
    for row in db.execute_sql(
        f"SELECT l.statement_id, l.product_id, {cols} FROM statement_line l "
        "JOIN statement s ON s.id = l.statement_id WHERE s.month = ?",
        (month,),
    ):
        lines_by_stmt[row[0]].append(row[1:])
    out_statements = []
    for sid, code, name, gross, tax, payable, on_hold in db.execute_sql(
        "SELECT s.id, a.code, a.name, s.gross, s.tax, s.payable, s.on_hold FROM statement s "
        "JOIN agent a ON a.id = s.agent_id WHERE s.month = ? ORDER BY a.code",
        (month,),
    ):
        prods = []
        for line in sorted(lines_by_stmt[sid], key=lambda ln: products[ln[0]]):
            v = line[1:]
            entry: dict[str, object] = {"product": products[line[0]]}
            for k, cat in enumerate(CATEGORIES):
                entry[cat] = {
                    "count": v[3 * k],
                    "volume_fen": v[3 * k + 1],
                    "amount_fen": v[3 * k + 2],
                }
            for k, f in enumerate(LINE_FIELDS[9:], start=9):
                entry[f"{f}_fen"] = v[k]
            prods.append(entry)
        out_statements.append(
            {
                "agent": code,
                "name": name,
                "products": prods,
                "gross_fen": gross,
                "tax_fen": tax,
                "payable_fen": payable,
                "on_hold": bool(on_hold),
            }
        )
    margins = [
        {"product": products[pid], "margin_fen": margin}
        for pid, margin in sorted(
            db.execute_sql(
                "SELECT product_id, margin FROM agency_margin WHERE month = ?", (month,)
            ).fetchall(),
            key=lambda m: products[m[0]],
        )
        if margin != 0
    ]
    return {
        "month": month,
        "locked": month in locked_months(),
        "statements": out_statements,
        "agency": {"products": margins},
    }


__all__ = [
    "Cancelled",
    "ComputeResult",
    "Context",
    "Deposit",
    "TerminalItem",
    "compute_month",
    "derive_terminal_units",
    "is_computed",
    "load_context",
    "lock_month",
    "month_first_day",
    "posted_items",
    "statement_json",
]
