"""Who holds a terminal on a date (DOMAIN §3), and which moves are possible.

A terminal's events are replayed in (date, order given).  A move dated D already applies
to D's transactions, so the holder on D is the holder after *all* of D's moves.  Lost and
returned terminals keep their last holder; a recall puts the terminal back in the
agency's stock (holder ``None``).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.policy import DayKey

ACTIONS = ("stock", "allocate", "transfer", "recall", "lost", "return")
ACTION_LABELS = {
    "stock": "入库",
    "allocate": "下发",
    "transfer": "调拨",
    "recall": "回拨",
    "lost": "丢失",
    "return": "退货",
}
STATUS_LABELS = {"in_stock": "库存", "allocated": "已下发", "lost": "丢失", "returned": "已退货"}


@dataclass(slots=True)
class Event:
    date: DayKey
    action: str
    to_agent: int | None = None
    deposit_method: str = "deduct"


@dataclass(slots=True)
class Replay:
    """The state after a sequence of events: status, holder, and the holding timeline."""

    status: str = "in_stock"
    holder: int | None = None
    starts: list[DayKey] = field(default_factory=list)
    holders: list[int | None] = field(default_factory=list)
    first_allocation: Event | None = None
    lost_on: DayKey | None = None

    def holder_on(self, day: DayKey) -> int | None:
        i = bisect.bisect_right(self.starts, day) - 1
        return self.holders[i] if i >= 0 else None


class MoveError(ValueError):
    """A move that the terminal's state does not allow (Chinese message)."""


def apply_event(
    state: Replay, ev: Event, agent_label: Callable[[Any], str] = lambda a: str(a)
) -> None:
    """Apply one event to ``state`` or raise MoveError saying why it cannot happen."""
    if state.status in ("lost", "returned") and ev.action != "stock":
        raise MoveError(f"机具已{STATUS_LABELS[state.status]},不能再{ACTION_LABELS[ev.action]}")
    new_holder = state.holder
    if ev.action == "stock":
        return
    if ev.action == "allocate":
        if state.status != "in_stock":
            raise MoveError(f"机具不在库存(当前在 {agent_label(state.holder)} 手中),不能下发")
        new_holder, state.status = ev.to_agent, "allocated"
        if state.first_allocation is None:
            state.first_allocation = ev
    elif ev.action == "transfer":
        if state.status != "allocated":
            raise MoveError("机具在库存中,不在代理手中,不能调拨(请用下发)")
        if ev.to_agent == state.holder:
            raise MoveError(f"机具已在 {agent_label(ev.to_agent)} 手中,无需调拨")
        new_holder = ev.to_agent
    elif ev.action == "recall":
        if state.status != "allocated":
            raise MoveError("机具不在代理手中,不能回拨")
        new_holder, state.status = None, "in_stock"
    elif ev.action == "lost":
        state.status = "lost"
        state.lost_on = ev.date
    elif ev.action == "return":
        state.status = "returned"
    else:  # pragma: no cover - actions are validated by the importer
        raise MoveError(f"未知动作 {ev.action}")
    if new_holder != state.holder:
        state.holder = new_holder
        if state.starts and state.starts[-1] == ev.date:
            state.holders[-1] = new_holder  # several moves on one day: the last one counts
        else:
            state.starts.append(ev.date)
            state.holders.append(new_holder)


def replay(events: list[Event]) -> Replay:
    """Replay events already known to be valid (stored ones) in the order given."""
    state = Replay()
    for ev in events:
        apply_event(state, ev)
    return state


def build_replays(rows: Sequence[tuple[Any, ...]]) -> dict[int, Replay]:
    """Replay stored (already validated) events of many terminals at once.

    ``rows`` are (terminal_id, date, event id, action, to_agent, deposit_method) ordered
    by terminal, date and entry order.  Same semantics as ``apply_event`` without its
    checks; this is the hot path of every month compute (100,000 terminals).  Most
    terminals have one event, their 下发: those handed out on the same day to the same
    agent the same way share one Replay, so the replays returned are read-only."""
    out: dict[int, Replay] = {}
    days: dict[Any, Any] = {}  # one string object per distinct day, not one per event
    lone: dict[tuple[Any, ...], Replay] = {}  # (day, agent, deposit method) of a lone 下发 → its replay
    n = len(rows)
    i = 0
    while i < n:
        tid, day, _id, action, to_agent, method = rows[i]
        if action == "allocate" and to_agent is not None and (i + 1 == n or rows[i + 1][0] != tid):
            day = days.setdefault(day, day)
            key = (day, to_agent, method)
            rp = lone.get(key)
            if rp is None:
                ev = Event(day, action, to_agent, method)
                rp = lone[key] = Replay("allocated", to_agent, [day], [to_agent], ev)
            out[tid] = rp
            i += 1
            continue
        state = out[tid] = Replay()
        while i < n and rows[i][0] == tid:
            _tid, day, _id, action, to_agent, method = rows[i]
            i += 1
            day = days.setdefault(day, day)
            if action == "stock":
                continue
            if action == "allocate":
                new_holder = to_agent
                state.status = "allocated"
                if state.first_allocation is None:
                    state.first_allocation = Event(day, action, to_agent, method)
            elif action == "transfer":
                new_holder = to_agent
            elif action == "recall":
                new_holder = None
                state.status = "in_stock"
            else:
                new_holder = state.holder
                if action == "lost":
                    state.status = "lost"
                    state.lost_on = day
                else:
                    state.status = "returned"
            if new_holder != state.holder:
                state.holder = new_holder
                if state.starts and state.starts[-1] == day:
                    state.holders[-1] = new_holder
                else:
                    state.starts.append(day)
                    state.holders.append(new_holder)
    return out
