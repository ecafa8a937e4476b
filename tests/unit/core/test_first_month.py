"""The first-run checklist (app.core.first_month): each step done or not from the data."""

from __future__ import annotations

from app.core import first_month, settlement
from tests.helpers import Office


def done(steps):
    return [s.key for s in steps if s.done]


def test_empty_office_has_nothing_done(db):
    steps = first_month.checklist()
    assert len(steps) == 10 and done(steps) == []
    assert not first_month.is_complete(steps)


def test_steps_follow_the_data(db, tmp_path):
    office = Office(tmp_path).base()
    assert done(first_month.checklist()) == [
        "agency", "product", "prices", "policies", "agents", "terminals"]
    office.tx("X1,2026-10-05 10:00:00,T1,M1,1000.00,credit,success")
    settlement.compute_month("2026-10")
    assert done(first_month.checklist())[-2:] == ["transactions", "compute"]
    settlement.lock_month("2026-10")
    first_month.mark_printed("2026-10")
    steps = first_month.checklist()
    assert first_month.is_complete(steps)
    assert steps[-1].detail == "已打印 2026-10"
