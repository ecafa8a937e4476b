"""The month compute's bulk replay (ownership.build_replays) against the checked one
(apply_event): the same holders, status, first allocation and loss for any valid moves."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.ownership import Event, MoveError, Replay, apply_event, build_replays

DAYS = [f"2026-10-{d:02d}" for d in range(1, 8)]

move = st.tuples(
    st.sampled_from(["allocate", "transfer", "recall", "lost", "return"]),
    st.sampled_from([1, 2, 3]),
    st.sampled_from(["deduct", "cash"]),
    st.integers(0, 2),  # days after the previous move
)


def _valid(moves) -> list[Event]:
    """The moves that the checked replay accepts, in order, with dates that never go back."""
    state, out, day = Replay(), [], 0
    for action, agent, method, step in moves:
        day = min(day + step, len(DAYS) - 1)
        ev = Event(DAYS[day], action, None if action in ("recall", "lost", "return") else agent, method)
        try:
            apply_event(state, ev)
        except MoveError:
            continue
        out.append(ev)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(move, max_size=8), min_size=1, max_size=6))
def test_build_replays_agrees_with_apply_event(terminals):
    rows, expected, event_id = [], {}, 0
    for tid, moves in enumerate(terminals, start=1):
        events = _valid(moves)
        state = Replay()
        for ev in events:
            apply_event(state, ev)
            event_id += 1
            rows.append((tid, ev.date, event_id, ev.action, ev.to_agent, ev.deposit_method))
        if events:
            expected[tid] = state
    rows.sort()  # as the compute reads them: by terminal, day, entry order
    assert build_replays(rows) == expected


def test_a_second_allocation_after_a_recall_keeps_the_first():
    rows = [
        (7, "2026-10-01", 1, "allocate", 1, "cash"),
        (7, "2026-10-03", 2, "recall", None, "deduct"),
        (7, "2026-10-03", 3, "allocate", 2, "deduct"),  # same day: the last move counts
    ]
    rp = build_replays(rows)[7]
    assert rp.first_allocation == Event("2026-10-01", "allocate", 1, "cash")
    assert (rp.starts, rp.holders) == (["2026-10-01", "2026-10-03"], [1, 2])
    assert rp.holder_on("2026-10-02") == 1 and rp.holder_on("2026-10-03") == 2
