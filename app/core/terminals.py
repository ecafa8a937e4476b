"""Terminals (机具): the big table's rows, SN ranges, and every move (下发/调拨/回拨/丢失/退货).

One validation for moves, whoever asks: the file importer (``import_moves``) and the
window both build ``MoveRequest`` values and call ``plan_moves`` then ``write_moves``.
``plan_moves`` replays each touched terminal's stored events together with the new ones
(DOMAIN §3: a move dated D applies to D; moves of one day in the order given) and
refuses a move the terminal's state does not allow, a move into a locked month, and an
allocation to an agent with no policy for the product in force that day (DOMAIN §5).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from peewee import JOIN, Value, fn

from app.core import audit, auth
from app.core.errors import Changes, UserError
from app.core.money import format_month, month_of
from app.core.months import last_locked_day, locked_months
from app.core.ownership import ACTION_LABELS, STATUS_LABELS, Event, MoveError, Replay, apply_event
from app.models import (
    Agent,
    Deposit,
    ImportBatch,
    Policy,
    Product,
    Terminal,
    TerminalEvent,
    database,
)

_IN_CHUNK = 500
MAX_RANGE = 100_000  # terminals in one SN range (起止号段)

MOVE_ACTIONS = ("allocate", "transfer", "recall", "lost", "return")
DEPOSIT_LABELS = {"deduct": "分润扣除", "cash": "现金"}


def _iso(value: object) -> str:
    if isinstance(value, str):
        return value[:10]
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _IN_CHUNK):
        yield list(ids[i : i + _IN_CHUNK])


def agent_labels() -> dict[int, str]:
    """``A001(张三)`` per agent id, the form every message uses."""
    return {a: f"{code}({name})" for a, code, name in
            database.execute(Agent.select(Agent.id, Agent.code, Agent.name)).fetchall()}


# ------------------------------------------------------------------ the big table


class TerminalRow(NamedTuple):
    """One row of the 机具 table (plain values, ready to show; a tuple, cheap by the 100,000)."""

    id: int
    sn: str
    product_id: int
    product: str
    status: str  # in_stock | allocated | lost | returned
    holder_id: int | None
    holder: str
    stocked_on: str
    activated_on: str
    merchant: str


def terminal_rows(limit: int | None = None) -> list[TerminalRow]:
    """Every terminal with its product and holder, in SN order, in one joined query
    (the labels are built by the database, so 100,000 rows cost no Python per row)."""
    holder = Agent.alias()
    query = (
        Terminal.select(
            Terminal.id, Terminal.sn, Terminal.product, Product.code, Terminal.status, Terminal.holder,
            fn.COALESCE(holder.code.concat("(").concat(holder.name).concat(")"), ""),
            Terminal.stocked_on, fn.COALESCE(Terminal.activated_on, Terminal.first_tx_on, ""),
            Terminal.merchant_name,
        )
        .join(Product, on=(Terminal.product == Product.id))
        .switch(Terminal)
        .join(holder, JOIN.LEFT_OUTER, on=(Terminal.holder == holder.id))
        .order_by(Terminal.sn)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = database.execute(query).fetchall()
    if rows and not isinstance(rows[0][7], str):  # PostgreSQL hands back dates, not text
        rows = [(*r[:7], _iso(r[7]), _iso(r[8]), r[9] or "") for r in rows]
    return list(map(TerminalRow._make, rows))


@dataclass(frozen=True)
class HistoryRow:
    date: str
    action: str  # Chinese label
    from_agent: str
    to_agent: str
    deposit_method: str
    operator: str
    source: str  # 导入批次 N or 手工
    created: str


def terminal_history(sn: str) -> list[HistoryRow]:
    """The full event history (流转记录) of one terminal, oldest first."""
    t = Terminal.get_or_none(Terminal.sn == sn)
    if t is None:
        raise UserError(f"终端SN {sn} 不存在")
    labels = agent_labels()
    rows = []
    query = (TerminalEvent.select()
             .where(TerminalEvent.terminal == t.id)
             .order_by(TerminalEvent.date, TerminalEvent.id))
    for ev in query:
        def who(a: int | None) -> str:
            return labels.get(a, "") if a is not None else "本机构"
        from_label = who(ev.from_agent_id) if ev.action not in ("stock", "allocate") else "本机构"
        to_label = (who(ev.to_agent_id) if ev.action in ("allocate", "transfer")
                    else "本机构" if ev.action in ("recall", "stock") else "")
        rows.append(HistoryRow(
            _iso(ev.date), ACTION_LABELS.get(ev.action, ev.action),
            "" if ev.action == "stock" else from_label, to_label,
            DEPOSIT_LABELS.get(ev.deposit_method, "") if ev.action == "allocate" else "",
            ev.operator or "", f"导入批次 {ev.batch_id}" if ev.batch_id else "手工",
            str(ev.created or ""),
        ))
    if t.activated_on or t.first_tx_on:
        day = _iso(t.activated_on or t.first_tx_on)
        merchant = " ".join(x for x in (t.merchant_no, t.merchant_name) if x)
        rows.append(HistoryRow(day, "激活", "", merchant, "", "", "导入" if t.activated_on else "首笔交易", ""))
        rows.sort(key=lambda r: r.date)
    return rows


# ------------------------------------------------------------------ SN ranges and lists

_SN_TAIL = re.compile(r"^(.*?)(\d+)$")


def expand_sn_range(first: str, last: str) -> list[str]:
    """``LKL00001``–``LKL00500`` → the 500 SNs between them, keeping the zero padding."""
    first, last = first.strip(), last.strip()
    if not first or not last:
        raise UserError("请填写起始SN和结束SN")
    a, b = _SN_TAIL.match(first), _SN_TAIL.match(last)
    if a is None or b is None:
        raise UserError("起止SN必须以数字结尾(例如 LKL00001 至 LKL00500)")
    if a.group(1) != b.group(1):
        raise UserError(f"起止SN前缀不同:“{a.group(1)}”与“{b.group(1)}”")
    lo, hi = int(a.group(2)), int(b.group(2))
    if hi < lo:
        raise UserError("结束SN小于起始SN")
    if hi - lo + 1 > MAX_RANGE:
        raise UserError(f"号段过大(超过 {MAX_RANGE:,} 台)")
    width = len(a.group(2)) if len(a.group(2)) == len(b.group(2)) else 0
    prefix = a.group(1)
    return [f"{prefix}{n:0{width}d}" for n in range(lo, hi + 1)]


def parse_sn_list(text: str) -> list[str]:
    """SNs pasted or scanned: one per line (or separated by spaces, commas, tabs); order
    kept, duplicates dropped; a line ``A–B`` / ``A~B`` is a range."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in re.split(r"[\r\n]+", text):
        line = raw.strip()
        if not line:
            continue
        m = re.fullmatch(r"(\S+)\s*(?:--|—|–|~|～|至|到)\s*(\S+)", line)
        items = expand_sn_range(m.group(1), m.group(2)) if m else re.split(r"[\s,,;;]+", line)
        for sn in items:
            if sn and sn not in seen:
                seen.add(sn)
                out.append(sn)
    return out


def sns_with_prefix(prefix: str) -> int:
    return Terminal.select().where(Terminal.sn.startswith(prefix)).count()


# ------------------------------------------------------------------ moves


@dataclass
class MoveRequest:
    """One requested move.  ``row`` names it in messages (a file row, or 1.. in a list)."""

    row: int
    sn: str
    date: dt.date
    action: str  # allocate | transfer | recall | lost | return
    agent_id: int | None = None  # target of allocate / transfer
    deposit_method: str = "deduct"  # deduct | cash (allocate only)


@dataclass
class MoveProblem:
    row: int
    key: str  # the column: sn | date | action | agent
    reason: str
    sn: str = ""
    short: str = ""  # the reason without the SN, for a table that already shows it


@dataclass
class MovePlan:
    """What ``plan_moves`` found: the new events per terminal, skipped duplicates, problems."""

    requests: list[MoveRequest]
    problems: list[MoveProblem] = field(default_factory=list)
    skipped: list[MoveRequest] = field(default_factory=list)
    new: dict[int, list[MoveRequest]] = field(default_factory=dict)  # terminal id → requests
    finals: dict[int, Replay] = field(default_factory=dict)
    before: dict[int, tuple[str, int | None]] = field(default_factory=dict)  # status, holder
    stored_holder: dict[int, int | None] = field(default_factory=dict)
    terminal_of: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # sn → id, product, stocked
    deposits: dict[int, tuple[int, int]] = field(default_factory=dict)  # request row → (agent, fen)

    @property
    def ok(self) -> bool:
        return not self.problems


def _executemany(sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Run one statement over many rows in the driver (peewee's per-row SQL building is
    far slower at 100,000 rows); ``{p}`` is the database's parameter placeholder."""
    if rows:
        database.cursor().executemany(sql.format(p=database.param), rows)


def _terminals_by_sn(sns: Iterable[str]) -> dict[str, tuple[int, int, str, str, int | None]]:
    """sn → (id, product, stocked, status, holder) for the given SNs (chunked look-up)."""
    wanted = sorted(set(sns))
    out: dict[str, tuple[int, int, str, str, int | None]] = {}
    if len(wanted) > 20_000:
        query = Terminal.select(Terminal.id, Terminal.sn, Terminal.product, Terminal.stocked_on,
                                Terminal.status, Terminal.holder)
        keep = set(wanted)
        for tid, sn, pid, stocked, status, holder in database.execute(query):
            if sn in keep:
                out[sn] = (tid, pid, _iso(stocked), status, holder)
        return out
    for i in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[i : i + _IN_CHUNK]
        query = Terminal.select(Terminal.id, Terminal.sn, Terminal.product, Terminal.stocked_on,
                                Terminal.status, Terminal.holder).where(Terminal.sn.in_(chunk))
        for tid, sn, pid, stocked, status, holder in database.execute(query):
            out[sn] = (tid, pid, _iso(stocked), status, holder)
    return out


def _stored_events(terminal_ids: Sequence[int]) -> dict[int, list[Event]]:
    stored: dict[int, list[Event]] = defaultdict(list)
    cols = (TerminalEvent.terminal, TerminalEvent.date, TerminalEvent.action,
            TerminalEvent.to_agent, TerminalEvent.deposit_method)
    if len(terminal_ids) > 20_000:
        wanted = set(terminal_ids)
        query = TerminalEvent.select(*cols).order_by(TerminalEvent.terminal, TerminalEvent.date, TerminalEvent.id)
        for tid, day, action, to_agent, method in database.execute(query):
            if tid in wanted:
                stored[tid].append(Event(dt.date.fromisoformat(_iso(day)), action, to_agent, method))
        return stored
    for chunk in _chunks(sorted(terminal_ids)):
        query = (TerminalEvent.select(*cols).where(TerminalEvent.terminal.in_(chunk))
                 .order_by(TerminalEvent.terminal, TerminalEvent.date, TerminalEvent.id))
        for tid, day, action, to_agent, method in database.execute(query):
            stored[tid].append(Event(dt.date.fromisoformat(_iso(day)), action, to_agent, method))
    return stored


def _policy_versions(agent_ids: set[int]) -> dict[tuple[int, int], list[tuple[str, int]]]:
    """(agent, product) → [(effective_from, deposit)] in date order."""
    out: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
    ids = sorted(agent_ids)
    for chunk in _chunks(ids):
        query = (Policy.select(Policy.agent, Policy.product, Policy.effective_from, Policy.deposit)
                 .where(Policy.agent.in_(chunk)).order_by(Policy.effective_from))
        for a, p, day, deposit in database.execute(query):
            out[(a, p)].append((_iso(day), deposit))
    return out


def _in_force(versions: list[tuple[str, int]], day: str) -> tuple[str, int] | None:
    found = None
    for start, deposit in versions:
        if start <= day:
            found = (start, deposit)
    return found


def plan_moves(requests: list[MoveRequest], *, checks_only: bool = False, partial: bool = False) -> MovePlan:
    """Validate ``requests`` against the stored history; nothing is written.

    First every request on its own (SN known, date not before stock-in); when that finds
    a problem, or ``checks_only`` is set (the caller already has bad rows), stop there.
    Then duplicates of stored events are skipped, allocations need a policy in force, no
    move may fall in a locked month, and each terminal's events are replayed.  With
    ``partial`` (a preview) the requests that passed the first checks go on regardless."""
    plan = MovePlan(requests)
    info = _terminals_by_sn(r.sn for r in requests)
    plan.terminal_of = {sn: (v[0], v[1], v[2]) for sn, v in info.items()}
    labels = agent_labels()
    for r in requests:
        t = info.get(r.sn)
        if t is None:
            plan.problems.append(MoveProblem(r.row, "sn", f"终端SN {r.sn or '(空)'} 不存在(请先入库)", r.sn))
            continue
        if r.action in ("allocate", "transfer") and r.agent_id is None:
            plan.problems.append(MoveProblem(r.row, "agent", f"{ACTION_LABELS[r.action]}必须指定代理", r.sn))
        if r.date.isoformat() < t[2]:
            plan.problems.append(MoveProblem(r.row, "date", f"日期 {r.date} 早于该机具的入库日期 {t[2]}", r.sn))
    if checks_only or (plan.problems and not partial):
        return plan
    if plan.problems:
        bad_rows = {p.row for p in plan.problems}
        requests = [r for r in requests if r.row not in bad_rows]

    touched = sorted({info[r.sn][0] for r in requests})
    stored = _stored_events(touched)
    for tid, _pid, _stocked, status, holder in info.values():
        plan.before[tid] = (status, holder)
    known = {(tid, e.date, e.action, e.to_agent) for tid, evs in stored.items() for e in evs}
    versions = _policy_versions({r.agent_id for r in requests if r.agent_id is not None})
    limit = last_locked_day(locked_months())
    in_batch: set[tuple[Any, ...]] = set()
    new: dict[int, list[MoveRequest]] = defaultdict(list)
    for r in requests:
        tid, pid = info[r.sn][0], info[r.sn][1]
        key = (tid, r.date, r.action, r.agent_id if r.action in ("allocate", "transfer") else None)
        if key in known or key in in_batch:
            plan.skipped.append(r)
            continue
        in_batch.add(key)
        if r.agent_id is not None and r.action in ("allocate", "transfer"):
            if _in_force(versions.get((r.agent_id, pid), []), r.date.isoformat()) is None:
                plan.problems.append(MoveProblem(
                    r.row, "agent",
                    f"代理 {labels.get(r.agent_id, r.agent_id)} 在 {r.date} 没有该产品的生效政策,"
                    f"不能{ACTION_LABELS[r.action]}", r.sn))
                continue
        if limit is not None and r.date <= limit:
            plan.problems.append(MoveProblem(
                r.row, "date",
                f"{format_month(month_of(limit))}及以前的月份已锁定,不能再改动生效于 {r.date} 的数据", r.sn))
        new[tid].append(r)

    sn_of = {v[0]: sn for sn, v in info.items()}
    for tid, items in new.items():
        merged = [(0, i, e) for i, e in enumerate(stored[tid])] + [
            (1, i, Event(r.date, r.action, r.agent_id if r.action in ("allocate", "transfer") else None,
                         r.deposit_method))
            for i, r in enumerate(items)
        ]
        merged.sort(key=lambda x: (x[2].date, x[0], x[1]))
        state = Replay()
        for origin, i, ev in merged:
            try:
                apply_event(state, ev, lambda a: labels.get(a, "本机构") if a is not None else "本机构")
            except MoveError as exc:
                row = items[i].row if origin == 1 else 0
                plan.problems.append(MoveProblem(
                    row, "action", f"终端 {sn_of[tid]} {ev.date} {ACTION_LABELS[ev.action]}:{exc}", sn_of[tid],
                    f"{ev.date} {ACTION_LABELS[ev.action]}:{exc}" if origin == 0 else str(exc)))
                break
            if origin == 1 and ev.action == "allocate" and state.first_allocation is ev:
                pid = info[sn_of[tid]][1]
                found = _in_force(versions.get((ev.to_agent or 0, pid), []), ev.date.isoformat())
                if found is not None and ev.to_agent is not None:
                    plan.deposits[items[i].row] = (ev.to_agent, found[1])
        plan.finals[tid] = state
        plan.stored_holder[tid] = _replay_holder(stored[tid])
    plan.new = dict(new)
    return plan


def _replay_holder(events: list[Event]) -> int | None:
    state = Replay()
    for ev in events:
        apply_event(state, ev)
    return state.holder


def write_moves(plan: MovePlan, operator: str = "", batch_id: int | None = None) -> int:
    """Write a problem-free plan: the new events and each terminal's status and holder.
    Call inside the caller's ``database.atomic()``; returns the number of events written."""
    if plan.problems:
        raise UserError("机具操作有误,未写入任何数据")
    now = dt.datetime.now().replace(microsecond=0).isoformat(" ")
    event_rows = []
    for tid, items in plan.new.items():
        prev = plan.stored_holder.get(tid)
        for r in items:
            to_agent = r.agent_id if r.action in ("allocate", "transfer") else None
            event_rows.append((tid, r.date.isoformat(), r.action, prev, to_agent, r.deposit_method, operator,
                               batch_id, now))
            if r.action in ("allocate", "transfer"):
                prev = r.agent_id
            elif r.action == "recall":
                prev = None
    _executemany(
        "INSERT INTO terminal_event (terminal_id, date, action, from_agent_id, to_agent_id, "
        "deposit_method, operator, batch_id, created) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
        event_rows,
    )
    _executemany(
        "UPDATE terminal SET status = {p}, holder_id = {p} WHERE id = {p}",
        [(s.status, s.holder, tid) for tid, s in plan.finals.items()],
    )
    return len(event_rows)


# ------------------------------------------------------------------ the window's verbs


@dataclass(frozen=True)
class MovePreview:
    """One line of the preview: what the move does to one terminal, or why it cannot."""

    sn: str
    current: str
    after: str
    deposit: int | None  # fen owed on a first allocation; None when none is taken
    deposit_agent: str
    error: str


def _state_label(status: str, holder: int | None, labels: dict[int, str]) -> str:
    if status == "allocated" and holder is not None:
        return f"{labels.get(holder, '')}"
    if status in ("lost", "returned") and holder is not None:
        return f"{STATUS_LABELS[status]}({labels.get(holder, '')})"
    return STATUS_LABELS.get(status, status)


def make_requests(sns: Sequence[str], action: str, day: dt.date, agent_id: int | None = None,
                  deposit_method: str = "deduct") -> list[MoveRequest]:
    if action not in MOVE_ACTIONS:
        raise UserError(f"未知的机具操作“{action}”")
    if not sns:
        raise UserError("没有选中任何机具")
    if action in ("allocate", "transfer") and agent_id is None:
        raise UserError(f"{ACTION_LABELS[action]}请选择目标代理")
    return [MoveRequest(i + 1, sn, day, action, agent_id if action in ("allocate", "transfer") else None,
                        deposit_method) for i, sn in enumerate(sns)]


def preview_moves(requests: list[MoveRequest]) -> list[MovePreview]:
    """What each request would change (nothing is written): current and new holder, the
    deposit a first allocation takes, or the reason it is refused."""
    plan = plan_moves(requests, partial=True)
    labels = agent_labels()
    errors: dict[int, str] = {}
    for p in plan.problems:
        errors.setdefault(p.row, p.short or p.reason)
    skipped = {id(r) for r in plan.skipped}
    out = []
    for r in requests:
        t = plan.terminal_of.get(r.sn)
        if t is None:
            out.append(MovePreview(r.sn, "", "", None, "", errors.get(r.row, "不存在")))
            continue
        status, holder = plan.before.get(t[0], ("", None))
        current = _state_label(status, holder, labels) if status else ""
        if id(r) in skipped:
            out.append(MovePreview(r.sn, current, current, None, "", "已有相同记录,跳过"))
            continue
        final = plan.finals.get(t[0])
        after = _state_label(final.status, final.holder, labels) if final and r.row not in errors else ""
        dep = plan.deposits.get(r.row)
        out.append(MovePreview(
            r.sn, current, after, dep[1] if dep else None,
            labels.get(dep[0], "") if dep else "", errors.get(r.row, ""),
        ))
    return out


def deposit_totals(previews: list[MovePreview]) -> dict[str, tuple[int, int]]:
    """agent label → (terminals, deposit fen) owed for the previewed first allocations."""
    out: dict[str, tuple[int, int]] = {}
    for p in previews:
        if p.deposit is not None and not p.error:
            n, fen = out.get(p.deposit_agent, (0, 0))
            out[p.deposit_agent] = (n + 1, fen + p.deposit)
    return out


def apply_moves(requests: list[MoveRequest], operator: str = "") -> Changes:
    """Validate and write the moves in one transaction; any problem refuses them all."""
    auth.require("edit")
    with database.atomic():
        plan = plan_moves(requests)
        if plan.problems:
            lines = [f"{p.sn or p.row}:{p.reason}" if p.sn and p.sn not in p.reason else p.reason
                     for p in plan.problems[:50]]
            more = f"\n……另有 {len(plan.problems) - 50} 处" if len(plan.problems) > 50 else ""
            raise UserError(f"有 {len(plan.problems)} 台机具不能操作,未做任何改动:\n" + "\n".join(lines) + more)
        action = requests[0].action if requests else ""
        first = requests[0].sn if requests else ""
        batch = ImportBatch.create(
            kind="moves",
            file_name=f"手工{ACTION_LABELS.get(action, '操作')} {first} 等 {len(requests)} 台")
        written = write_moves(plan, operator, batch_id=batch.id)
        batch.added = written
        batch.save()
        if written:
            audit.record(f"机具.{ACTION_LABELS.get(action, action)}", _sns_object(requests), None,
                         [{"sn": r.sn, "action": r.action, "date": r.date.isoformat(),
                           "agent_id": r.agent_id} for r in requests[:500]])
    skipped = f",{len(plan.skipped)} 台已有相同记录跳过" if plan.skipped else ""
    months = {month_of(r.date) for r in requests}
    return Changes({"terminals", "deposits", "agents", "imports"}, months,
                   f"已{ACTION_LABELS.get(action, '操作')} {written} 台机具{skipped}",
                   batch_id=batch.id)


def _sns_object(requests: list[MoveRequest]) -> str:
    first = requests[0].sn if requests else ""
    return f"机具 {first}" + (f" 等 {len(requests)} 台" if len(requests) > 1 else "")


# ------------------------------------------------------------------ stock-in (入库)


def add_terminals(rows: list[tuple[str, int, dt.date]], batch_id: int, operator: str = "") -> int:
    """Insert new terminals (sn, product, stocked) and their 入库 events under ``batch_id``.
    The caller has checked that the SNs are new; call inside its ``database.atomic()``."""
    _executemany(
        "INSERT INTO terminal (sn, product_id, stocked_on, status, holder_id, merchant_no, merchant_name, "
        "batch_id) VALUES ({p}, {p}, {p}, 'in_stock', NULL, '', '', {p})",
        [(sn, pid, day.isoformat(), batch_id) for sn, pid, day in rows],
    )
    now = dt.datetime.now().replace(microsecond=0)
    source = Terminal.select(
        Terminal.id, Terminal.stocked_on, Value("stock"), Value(""), Value(operator), Terminal.batch, Value(now)
    ).where(Terminal.batch == batch_id)
    TerminalEvent.insert_from(
        source,
        [TerminalEvent.terminal, TerminalEvent.date, TerminalEvent.action, TerminalEvent.deposit_method,
         TerminalEvent.operator, TerminalEvent.batch, TerminalEvent.created],
    ).execute()
    return len(rows)


def stock_in(sns: Sequence[str], product_id: int, day: dt.date, operator: str = "") -> Changes:
    """入库: register new terminals of ``product_id`` received on ``day`` (one undoable batch)."""
    if not sns:
        raise UserError("没有要入库的SN")
    product = Product.get_or_none(Product.id == product_id)
    if product is None:
        raise UserError("请选择产品")
    auth.require("edit")
    with database.atomic():
        existing = _terminals_by_sn(sns)
        if existing:
            shown = "、".join(sorted(existing)[:10])
            more = f" 等 {len(existing)} 台" if len(existing) > 10 else ""
            raise UserError(f"以下SN已经入库,未做任何改动:{shown}{more}")
        batch = ImportBatch.create(kind="terminals", file_name=f"手工入库 {product.code} {sns[0]} 等 {len(sns)} 台")
        count = add_terminals([(sn, product_id, day) for sn in sns], batch.id, operator)
        batch.added = count
        batch.save()
        audit.record("机具.入库", f"{product.code} {sns[0]} 等 {len(sns)} 台", None,
                     {"product": product.code, "date": day.isoformat(), "count": count,
                      "batch": batch.id})
    return Changes({"terminals", "imports"}, {month_of(day)}, f"已入库 {count} 台机具")


def products() -> list[tuple[int, str, str]]:
    """(id, code, name) of every product, by code."""
    query = Product.select(Product.id, Product.code, Product.name).order_by(Product.code)
    rows: list[tuple[int, str, str]] = database.execute(query).fetchall()
    return rows


def deposit_state(terminal_id: int) -> str:
    d = Deposit.get_or_none(Deposit.terminal == terminal_id)
    return "" if d is None else d.state


def existing_sns(sns: Sequence[str]) -> set[str]:
    """Which of ``sns`` are registered terminals."""
    return set(_terminals_by_sn(sns))
