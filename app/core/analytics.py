"""Team figures (团队数据) of every agent for a month: terminals held, activations,
activation / 伪激活 / lost rates and average volume per active terminal (台均交易额).

Everything is "as of the month's last day", replayed from the terminal event history, so
that the figures printed on a locked month's slip stay the same when it is printed again
later.  The exact rule behind each ratio is written down in ``docs/analytics.md``.

How it stays fast (5,000 agents, 100,000 terminals, 2,000,000 transactions): four
set-based queries (terminals, their events up to the month's end, one ``GROUP BY`` of the
month's transactions per terminal, the penalised terminals) and one pass over their rows
in Python.  Additive counts are booked on the one agent a terminal belongs to and rolled
up the tree once; only terminals that touch several agents (moved inside the team) walk
their ancestors, so that a team counts each terminal once.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from peewee import fn

from app.core.money import Fen, month_first_day, month_last_day
from app.core.vocabulary import COUNTED_STATUSES as COUNTED
from app.models import Agent, Product, QualifyOutcome, Terminal, TerminalEvent, Txn, database

PPM = 1_000_000
_TAKES = ("allocate", "transfer")  # events that hand a terminal to ``to_agent``
_TO_STOCK = ("recall", "stock")  # events that put a terminal back into the agency's stock
_IN_CHUNK = 500  # ids per ``IN (…)`` list


@dataclass
class TeamFigures:
    """One agent's team (the agent and everyone below it) in one month.

    Rates are integer ppm (``format_rate`` shows them); money is integer fen.
    """

    agent_id: int
    held: int = 0  # terminals allocated to the team at month end, lost/returned excluded
    activated_month: int = 0  # activated in the month while the team held them
    activated_total: int = 0  # activated up to the month's end while the team held them
    activation_rate_ppm: int = 0
    fake_rate_ppm: int = 0  # 伪激活率
    lost_rate_ppm: int = 0
    avg_volume_fen: Fen = 0  # 台均交易额
    volume_fen: Fen = 0
    # the raw counts behind the rates, for tables that show them
    allocated: int = 0  # terminals ever allocated into the team (拿货量)
    activation_base: int = 0  # denominator of the activation rate
    fake: int = 0  # 伪激活 terminals
    window_ended: int = 0  # denominator of the 伪激活 rate
    lost: int = 0
    active: int = 0  # terminals with a counted transaction in the month
    downlines: list[TeamFigures] = field(default_factory=list)


def ratio_ppm(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` in ppm, rounded half up; 0 when there is nothing to divide."""
    if denominator <= 0 or numerator <= 0:
        return 0
    return (2 * numerator * PPM + denominator) // (2 * denominator)


def divide_half_up(amount: int, count: int) -> int:
    """``amount / count`` rounded half away from zero; 0 when ``count`` is 0."""
    if count <= 0:
        return 0
    q = (2 * abs(amount) + count) // (2 * count)
    return q if amount >= 0 else -q


def _iso(value: object) -> str:
    """Dates come back as text from SQLite and as ``date`` from PostgreSQL."""
    if isinstance(value, str):
        return value[:10]
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class _Tree:
    """The agent tree in memory: ancestors of each agent (itself first) and a roll-up order."""

    def __init__(self, rows: Iterable[tuple[int, int | None, str]]):
        self.parent: dict[int, int | None] = {}
        self.code: dict[int, str] = {}
        for agent_id, parent_id, code in rows:
            self.parent[agent_id] = parent_id
            self.code[agent_id] = code
        self.ancestors: dict[int, tuple[int, ...]] = {}
        for agent_id in self.parent:
            self._chain(agent_id)
        # deepest first, so that adding each agent's total into its parent rolls up once
        self.bottom_up = sorted(self.parent, key=lambda a: -len(self.ancestors[a]))
        self.children: dict[int, list[int]] = {a: [] for a in self.parent}
        for agent_id, parent_id in self.parent.items():
            if parent_id in self.children:
                self.children[parent_id].append(agent_id)
        for kids in self.children.values():
            kids.sort(key=lambda a: self.code[a])

    def _chain(self, agent_id: int) -> tuple[int, ...]:
        known = self.ancestors.get(agent_id)
        if known is not None:
            return known
        chain: list[int] = []
        seen: set[int] = set()
        cur: int | None = agent_id
        while cur is not None and cur in self.parent and cur not in seen:
            done = self.ancestors.get(cur)
            if done is not None:
                chain.extend(done)
                break
            seen.add(cur)
            chain.append(cur)
            cur = self.parent[cur]
        result = tuple(chain)
        # every agent on the way has the tail of this chain as its own
        for i, a in enumerate(result):
            if a in seen:
                self.ancestors.setdefault(a, result[i:])
        return result

    def union(self, agents: Iterable[int]) -> set[int]:
        out: set[int] = set()
        for a in agents:
            out.update(self.ancestors.get(a, ()))
        return out


class _Counter:
    """A per-agent count.  A terminal of one agent is booked on that agent (``own``) and
    rolled up the tree once at the end; a terminal that touched several agents of a team
    is booked on the union of their ancestors (``direct``) so that each team counts it once."""

    def __init__(self, tree: _Tree):
        self.tree = tree
        self.own: defaultdict[int | None, int] = defaultdict(int)
        self.direct: defaultdict[int, int] = defaultdict(int)

    def add_union(self, agents: Iterable[int | None], value: int = 1) -> None:
        for a in self.tree.union(a for a in agents if a is not None):
            self.direct[a] += value

    def totals(self) -> dict[int, int]:
        parent = self.tree.parent
        total = dict.fromkeys(parent, 0)
        for a, v in self.own.items():
            if a in total:
                total[a] += v
        for a in self.tree.bottom_up:
            p = parent[a]
            if p is not None and total[a]:
                total[p] += total[a]
        for a, v in self.direct.items():
            total[a] += v
        return total


def team_figures(month: str) -> dict[int, TeamFigures]:
    """Team figures of every agent for ``month`` (``YYYY-MM``), keyed by agent id."""
    first = month_first_day(month).isoformat()
    last_day = month_last_day(month)
    last = last_day.isoformat()

    tree = _Tree(database.execute(Agent.select(Agent.id, Agent.parent, Agent.code)).fetchall())
    if not tree.parent:
        return {}

    # the qualification window of a product has ended for activations on or before this day
    window_cutoff: dict[int, str] = {}
    for pid, days, volume in database.execute(
        Product.select(Product.id, Product.qualify_days, Product.qualify_volume)
    ).fetchall():
        if days and volume is not None:
            window_cutoff[pid] = (last_day - dt.timedelta(days=days - 1)).isoformat()

    # ------------------------------------------------------------ event replay
    # per terminal: the days of its events up to the month's end and the holder after each
    # (same-day events in order, so the last one of a day wins), and its state at the end
    hist_dates: dict[int, list[str]] = {}
    hist_holders: dict[int, list[int | None]] = {}
    end: dict[int, tuple[int | None, str, set[int]]] = {}
    events = TerminalEvent.select(
        TerminalEvent.terminal, TerminalEvent.date, TerminalEvent.action, TerminalEvent.to_agent
    ).order_by(TerminalEvent.terminal, TerminalEvent.date, TerminalEvent.id)
    cur_tid = None
    dates: list[str] = []
    holders: list[int | None] = []
    holder: int | None = None
    status = "in_stock"
    took: set[int] = set()
    for tid, date, action, to_agent in database.execute(events):
        if tid != cur_tid:
            if cur_tid is not None:
                end[cur_tid] = (holder, status, took)
            cur_tid = tid
            dates, holders, holder, status, took = [], [], None, "in_stock", set()
            hist_dates[tid] = dates
            hist_holders[tid] = holders
        day = date if date.__class__ is str else _iso(date)
        if day > last:  # later events only tell that the terminal has a history
            continue
        if action in _TAKES:
            holder, status = to_agent, "allocated"
            if to_agent is not None:
                took.add(to_agent)
        elif action in _TO_STOCK:
            holder, status = None, "in_stock"
        elif action == "lost":
            status = "lost"
        elif action == "return":
            status = "returned"
        dates.append(day)
        holders.append(holder)
    if cur_tid is not None:
        end[cur_tid] = (holder, status, took)

    def holder_on(tid: int, day: str, default: int | None) -> int | None:
        days = hist_dates.get(tid)
        if days is None:
            return default
        i = bisect_right(days, day)
        return hist_holders[tid][i - 1] if i else None

    # 伪激活: the window ended by the month's end without reaching the target, as the
    # last compute found it
    penalised = {
        tid
        for (tid,) in database.execute(
            QualifyOutcome.select(QualifyOutcome.terminal).where(
                (QualifyOutcome.window_end <= last_day) & QualifyOutcome.reached_on.is_null()
            )
        )
    }

    # ------------------------------------------------------------ terminals
    held, allocated, lost = _Counter(tree), _Counter(tree), _Counter(tree)
    act_month, act_total, act_base = _Counter(tree), _Counter(tree), _Counter(tree)
    fake, ended = _Counter(tree), _Counter(tree)
    no_history: dict[int, int | None] = {}
    terminals = Terminal.select(
        Terminal.id,
        Terminal.product,
        Terminal.holder,
        Terminal.status,
        Terminal.activated_on,
        Terminal.first_tx_on,
    ).where(Terminal.stocked_on <= last_day)
    for tid, pid, cur_holder, cur_status, activated_on, first_tx_on in database.execute(terminals):
        state = end.get(tid)
        if state is not None:
            h, st, took = state
        else:  # no event history (hand-made rows): trust the terminal's current state
            h, st = cur_holder, cur_status
            took = {cur_holder} if cur_holder is not None else set()
            no_history[tid] = cur_holder
        if len(took) == 1:
            allocated.own[next(iter(took))] += 1
        elif took:
            allocated.add_union(took)
        if h is not None:
            if st == "allocated":
                held.own[h] += 1
            elif st == "lost":
                lost.own[h] += 1
        base_h = h if st == "allocated" else None
        act_holder = None
        act_day = activated_on or first_tx_on
        if act_day is not None:
            act_day = _iso(act_day)
            if act_day <= last:
                act_holder = holder_on(tid, act_day, cur_holder)
        if act_holder is not None:
            act_total.own[act_holder] += 1
            if act_day >= first:
                act_month.own[act_holder] += 1
            cutoff = window_cutoff.get(pid)
            is_fake = tid in penalised
            if is_fake or (cutoff is not None and act_day <= cutoff):
                ended.own[act_holder] += 1
                if is_fake:
                    fake.own[act_holder] += 1
            if base_h is None or base_h == act_holder:
                act_base.own[act_holder] += 1
            else:
                act_base.add_union((base_h, act_holder))
        elif base_h is not None:
            act_base.own[base_h] += 1

    # ------------------------------------------------------------ the month's volume
    # one GROUP BY per terminal; only a terminal that changed hands between its first and
    # last transaction of the month needs its days looked at
    volume, active = _Counter(tree), _Counter(tree)
    split: set[int] = set()
    per_terminal = (
        Txn.select(Txn.terminal, fn.MIN(Txn.date), fn.MAX(Txn.date), fn.SUM(Txn.amount))
        .where((Txn.month == month) & Txn.status.in_(COUNTED))
        .group_by(Txn.terminal)
    )
    for tid, lo, hi, amount in database.execute(per_terminal):
        days = hist_dates.get(tid)
        if days is None:
            h = no_history.get(tid)
        else:
            lo = lo if lo.__class__ is str else _iso(lo)
            i = bisect_right(days, lo)
            if i != bisect_right(days, hi if hi.__class__ is str else _iso(hi)):
                split.add(tid)
                continue
            h = hist_holders[tid][i - 1] if i else None
        if h is not None:
            volume.own[h] += int(amount or 0)
            active.own[h] += 1
    if split:
        shares_of: dict[int, dict[int, int]] = {}
        per_day = (
            Txn.select(Txn.terminal, Txn.date, fn.SUM(Txn.amount))
            .where((Txn.month == month) & Txn.status.in_(COUNTED))
            .group_by(Txn.terminal, Txn.date)
        )
        for tid, date, amount in database.execute(per_day):
            if tid not in split:
                continue
            h = holder_on(tid, _iso(date), None)
            if h is not None:
                shares = shares_of.setdefault(tid, {})
                shares[h] = shares.get(h, 0) + int(amount or 0)
        for shares in shares_of.values():
            for h, amount in shares.items():
                volume.own[h] += amount
            if len(shares) == 1:
                active.own[next(iter(shares))] += 1
            else:
                active.add_union(shares)

    # ------------------------------------------------------------ assemble
    t_held, t_alloc, t_lost = held.totals(), allocated.totals(), lost.totals()
    t_am, t_at, t_base = act_month.totals(), act_total.totals(), act_base.totals()
    t_fake, t_ended = fake.totals(), ended.totals()
    t_vol, t_active = volume.totals(), active.totals()
    figures: dict[int, TeamFigures] = {}
    for a in tree.parent:
        figures[a] = TeamFigures(
            agent_id=a,
            held=t_held[a],
            activated_month=t_am[a],
            activated_total=t_at[a],
            activation_rate_ppm=ratio_ppm(t_at[a], t_base[a]),
            fake_rate_ppm=ratio_ppm(t_fake[a], t_ended[a]),
            lost_rate_ppm=ratio_ppm(t_lost[a], t_alloc[a]),
            avg_volume_fen=divide_half_up(t_vol[a], t_active[a]),
            volume_fen=t_vol[a],
            allocated=t_alloc[a],
            activation_base=t_base[a],
            fake=t_fake[a],
            window_ended=t_ended[a],
            lost=t_lost[a],
            active=t_active[a],
        )
    for a, fig in figures.items():
        fig.downlines = [figures[c] for c in tree.children[a]]
    return figures
