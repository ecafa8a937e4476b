"""Import history (导入记录) and undoing a whole batch (撤销导入).

A batch can be undone while every month it touches is open: its transactions, terminal
events, adjustments and stocked-in terminals are deleted in one transaction; each touched
terminal's status and holder are replayed from its remaining events and its first
activating transaction day recomputed.  An agents batch puts every agent it wrote back as
it was (``app.core.agent_batches``).  Batches of products, prices, policies and
activations change rows in place and cannot be undone (import a corrected file instead).
An undo that would leave a later move impossible (a transfer of a terminal whose
allocation is undone) is refused, naming the terminal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from peewee import fn

from app.core import agent_batches, audit, auth, derived
from app.core.errors import Changes, UserError
from app.core.money import format_month, month_of
from app.core.months import locked_months
from app.core.ownership import Event, MoveError, Replay, apply_event
from app.core.vocabulary import KIND_LABELS
from app.models import (
    Adjustment,
    ImportBatch,
    Terminal,
    TerminalEvent,
    TerminalItem,
    Txn,
    database,
)

UNDOABLE = ("transactions", "moves", "adjustments", "terminals", "agents")
_CHUNK = 500


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield list(ids[i : i + _CHUNK])


def _month(value: object) -> str:
    if isinstance(value, dt.date):
        return month_of(value)
    return str(value)[:7]


@dataclass(frozen=True)
class BatchRow:
    id: int
    kind: str
    kind_label: str
    file_name: str
    created: str
    added: int
    updated: int
    skipped: int
    undone: bool
    months: tuple[str, ...]
    undo_blocked: str  # why it cannot be undone ('' when it can)


def batch_months(batch_id: int, kind: str) -> set[str]:
    """The months whose numbers the batch's rows touch."""
    months: set[str] = set()
    if kind == "transactions":
        months |= {m for (m,) in database.execute(
            Txn.select(Txn.month).where(Txn.batch == batch_id).distinct())}
    elif kind in ("moves", "terminals"):
        months |= {_month(d) for (d,) in database.execute(
            TerminalEvent.select(TerminalEvent.date).where(TerminalEvent.batch == batch_id).distinct())}
    elif kind == "adjustments":
        months |= {m for (m,) in database.execute(
            Adjustment.select(Adjustment.month).where(Adjustment.batch == batch_id).distinct())}
    return months


def import_history(limit: int = 500) -> list[BatchRow]:
    """The latest batches, newest first, with the months they touch and whether they can be undone."""
    locked = locked_months()
    out = []
    for b in ImportBatch.select().order_by(ImportBatch.id.desc()).limit(limit):
        months = batch_months(b.id, b.kind) if not b.undone else set()
        blocked = ""
        if b.undone:
            blocked = "已撤销"
        elif b.kind not in UNDOABLE:
            blocked = "此类导入不能撤销"
        elif months & locked:
            blocked = "涉及已锁定月份 " + "、".join(format_month(m) for m in sorted(months & locked))
        elif b.kind == "agents":
            blocked = agent_batches.undo_blocked(b)
        out.append(BatchRow(
            b.id, b.kind, KIND_LABELS.get(b.kind, b.kind), b.file_name, str(b.created or ""),
            b.added, b.updated, b.skipped, b.undone, tuple(sorted(months)), blocked,
        ))
    return out


def _replay_terminals(terminal_ids: Sequence[int], sn_of: dict[int, str]) -> dict[int, Replay]:
    events: dict[int, list[Event]] = defaultdict(list)
    cols = (TerminalEvent.terminal, TerminalEvent.date, TerminalEvent.action, TerminalEvent.to_agent,
            TerminalEvent.deposit_method)
    for chunk in _chunks(sorted(terminal_ids)):
        query = (TerminalEvent.select(*cols).where(TerminalEvent.terminal.in_(chunk))
                 .order_by(TerminalEvent.terminal, TerminalEvent.date, TerminalEvent.id))
        for tid, day, action, to_agent, method in database.execute(query):
            d = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
            events[tid].append(Event(d, action, to_agent, method))
    out = {}
    for tid in terminal_ids:
        state = Replay()
        for ev in events.get(tid, []):
            try:
                apply_event(state, ev)
            except MoveError as exc:
                raise UserError(
                    f"撤销后终端 {sn_of.get(tid, tid)} 在 {ev.date} 的后续流转将无法成立({exc}),"
                    "请先撤销那批流转记录"
                ) from None
        out[tid] = state
    return out


def undo_batch(batch_id: int) -> Changes:
    """Delete everything a batch added, in one transaction; refused when a touched month is locked."""
    batch = ImportBatch.get_or_none(ImportBatch.id == batch_id)
    if batch is None:
        raise UserError("该导入记录不存在")
    if batch.undone:
        raise UserError("该批次已经撤销过了")
    if batch.kind not in UNDOABLE:
        raise UserError(f"「{KIND_LABELS.get(batch.kind, batch.kind)}」导入不能撤销,请导入更正后的文件")
    auth.require("import")
    with database.atomic():
        months = batch_months(batch_id, batch.kind)
        locked = months & locked_months()
        if locked:
            raise UserError(
                f"该批次涉及已锁定的月份 {'、'.join(format_month(m) for m in sorted(locked))},不能撤销。"
                "迟到的更正请以调账方式计入未锁定月份。"
            )
        removed = 0
        if batch.kind == "agents":
            removed = agent_batches.undo_agents_batch(batch)
        elif batch.kind == "transactions":
            # the delete marks its months; the refresh below derives them again
            removed = Txn.delete().where(Txn.batch == batch_id).execute()
        elif batch.kind == "adjustments":
            removed = Adjustment.delete().where(Adjustment.batch == batch_id).execute()
        elif batch.kind == "moves":
            tids = [t for (t,) in database.execute(
                TerminalEvent.select(TerminalEvent.terminal).where(TerminalEvent.batch == batch_id).distinct())]
            removed = TerminalEvent.delete().where(TerminalEvent.batch == batch_id).execute()
            sn_of = {}
            for chunk in _chunks(tids):
                sn_of.update(dict(database.execute(
                    Terminal.select(Terminal.id, Terminal.sn).where(Terminal.id.in_(chunk))).fetchall()))
            finals = _replay_terminals(tids, sn_of)
            groups: dict[tuple[str, int | None], list[int]] = defaultdict(list)
            for tid, s in finals.items():
                groups[(s.status, s.holder)].append(tid)
            for (status, holder), ids in groups.items():
                for chunk in _chunks(ids):
                    Terminal.update(status=status, holder=holder).where(Terminal.id.in_(chunk)).execute()
        elif batch.kind == "terminals":
            tids = [t for (t,) in database.execute(Terminal.select(Terminal.id).where(Terminal.batch == batch_id))]
            for chunk in _chunks(tids):
                used = (
                    TerminalEvent.select(fn.COUNT(TerminalEvent.id))
                    .where(TerminalEvent.terminal.in_(chunk) & (TerminalEvent.action != "stock")).scalar()
                    or Txn.select(fn.COUNT(Txn.id)).where(Txn.terminal.in_(chunk)).scalar()
                    or TerminalItem.select(fn.COUNT(TerminalItem.id)).where(TerminalItem.terminal.in_(chunk)).scalar()
                )
                if used:
                    raise UserError("该批入库的机具已有流转或交易记录,不能撤销入库(请先撤销那些记录)")
            for chunk in _chunks(tids):
                TerminalEvent.delete().where(TerminalEvent.terminal.in_(chunk)).execute()
                removed += Terminal.delete().where(Terminal.id.in_(chunk)).execute()
        batch.undone = True
        batch.save()
        derived.refresh(database.connection())  # every derived table (app.core.derived)
        audit.record("导入.撤销", f"导入批次 {batch_id}({batch.file_name})",
                     {"kind": batch.kind, "added": batch.added, "undone": False},
                     {"undone": True, "removed": removed, "months": sorted(months)})
    label = KIND_LABELS.get(batch.kind, batch.kind)
    return Changes(
        {"imports", "statements", "terminals", "transactions", "deposits", "agents"}, months,
        f"已撤销导入批次 {batch_id}({label},{batch.file_name}):"
        + (f"{removed} 位代理恢复为导入前的资料(新增的代理已删除)。" if batch.kind == "agents"
           else f"删除 {removed} 条记录。")
        + ("受影响月份需重新计算月结。" if months else ""),
    )
