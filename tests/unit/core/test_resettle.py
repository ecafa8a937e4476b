"""补差 (DOMAIN §10): a locked month priced again under a corrected policy; the difference
of each (agent, product) goes to the next open month, once.

Base office (tests/helpers.py): credit — merchant 0.60 %, agency 0.50 %, A1 0.53 %,
A2 0.55 %, A3 0.57 %; T1 with A3.
"""

from __future__ import annotations

import pytest

from app.core import settlement
from app.core.errors import UserError
from app.core.resettle import apply_resettle, plan_resettle
from app.io.whatif_file import read_corrections, resettle_file
from app.models import Adjustment
from tests.helpers import Office, product, write

POLICY_HEADER = (
    "agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn,"
    "cashback,qualify_bonus,unqualified_penalty,deposit\n"
)


@pytest.fixture
def office(db, tmp_path):
    office = Office(tmp_path).base()
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    settlement.lock_month("2026-10")
    return office


def corrected(tmp_path):
    # A3's October credit rate should have been 0.56 %, not 0.57 %
    return write(tmp_path, "fix.csv", POLICY_HEADER + "A3,P1,2026-10-01,0.56%,0.52%,23,0.35%,0,,,,\n")


def test_resettle_writes_exactly_the_difference_once(office, tmp_path):
    locked = settlement.statement_json("2026-10")
    records = read_corrections(corrected(tmp_path))
    plan = plan_resettle("2026-10", records)
    # locked: A3 60.00 − 57.00 = 3.00, A2 57.00 − 55.00 = 2.00;
    # corrected: A3 60.00 − 56.00 = 4.00 (+1.00), A2 56.00 − 55.00 = 1.00 (−1.00); A1 unchanged
    assert plan.target == "2026-11"
    assert [(ln.agent, ln.product, ln.before, ln.after, ln.pending) for ln in plan.lines] == [
        ("A2", "P1", 200, 100, -100), ("A3", "P1", 300, 400, 100)]
    assert Adjustment.select().count() == 0  # a plan writes nothing
    apply_resettle("2026-10", records)
    rows = sorted((a.agent.code, a.month, a.original_month, a.amount, a.reason, a.corrects)
                  for a in Adjustment.select())
    assert rows == [("A2", "2026-11", "2026-10", -100, "补差 2026-10", "2026-10"),
                    ("A3", "2026-11", "2026-10", 100, "补差 2026-10", "2026-10")]
    # running it again writes nothing new
    again, changes = apply_resettle("2026-10", records)
    assert Adjustment.select().count() == 2 and again.pending_total == 0
    assert "未写入" in changes.message
    # the locked month never changes; November shows the 补差 as an adjustment
    assert settlement.statement_json("2026-10") == locked
    nov = office.compute("2026-11")
    assert product(nov, "A3")["adjustment_fen"] == 100
    assert product(nov, "A2")["adjustment_fen"] == -100


def test_without_corrections_nothing_is_due(office, tmp_path):
    # a late transaction dated in the locked October is settled in November by the
    # ordinary rule; a 补差 does not count it a second time
    office.tx("X2,2026-10-20 10:00:00,T1,M1,10000.00,贷记卡,成功")
    plan = resettle_file("2026-10", None, confirm=True)
    assert plan.lines == [] and Adjustment.select().count() == 0
    nov = office.compute("2026-11")
    assert product(nov, "A3")["credit"]["amount_fen"] == 300


def test_resettle_only_for_a_locked_month(office, tmp_path):
    with pytest.raises(UserError, match="未锁定"):
        plan_resettle("2026-11")


def test_a_correction_with_a_negative_spread_is_refused(office, tmp_path):
    bad = write(tmp_path, "bad.csv", POLICY_HEADER + "A3,P1,2026-10-01,0.54%,0.52%,23,0.35%,0,,,,\n")
    with pytest.raises(UserError, match="级差为负"):
        plan_resettle("2026-10", read_corrections(bad))


def test_the_slip_shows_a_resettlement_line(office, tmp_path):
    from app.io.slips import _product_table, _styles, slip_data

    apply_resettle("2026-10", read_corrections(corrected(tmp_path)))
    office.compute("2026-11")
    data = slip_data("2026-11", "A3")
    (sec,) = data.products
    assert [(a.amount, a.reason, a.corrects) for a in sec.adjustments] == [(100, "补差 2026-10", "2026-10")]
    table = _product_table(sec, "2026-11", _styles())
    labels = [row[0] for row in table._cellvalues]
    assert "补差" in labels and "调账" not in labels
