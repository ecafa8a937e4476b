"""Quiet months (app.core.quiet_months): an open month without a transaction, an
adjustment or a payout is not offered by the month wizard, does not stop the lock of the
next month, and is locked first by it (issue 23, defect 8: the large demo's wizard made
the office lock August and September, where terminals were only allocated)."""

from __future__ import annotations

import pytest

from app.core import closing, settlement
from app.core.errors import UserError
from app.core.months import locked_months
from app.core.quiet_months import quiet_months
from tests.helpers import POLICIES, PRICES, Office

# Terms from September, so that the September allocations deduct their deposit there:
# T1 and T2 go out on 2026-09-25 with a 99.00 deposit deducted (扣款), nothing trades
# before October.
SEPT_PRICES = PRICES.replace("2026-10-01", "2026-09-01")
SEPT_POLICIES = POLICIES.replace("2026-10-01", "2026-09-01").replace("0,,,,", "0,,,,99")
SEPT_MOVES = """\
sn,date,action,agent,deposit_method
T1,2026-09-25,下发,A3,deduct
T2,2026-09-25,下发,A2,deduct
"""


@pytest.fixture
def office(db, tmp_path):
    o = Office(tmp_path).base(prices=SEPT_PRICES, policies=SEPT_POLICIES, moves=SEPT_MOVES)
    o.tx("X1,2026-10-05 10:00:00,T1,M1,1000.00,credit,success")
    o.compute("2026-10")
    return o


def test_september_has_statements_but_is_quiet(office):
    from app.models import Statement

    sept = list(Statement.select().where(Statement.month == "2026-09"))
    assert sept, "the deposits deducted at allocation make September's statements"
    assert all(s.gross == 0 and s.payable == 0 for s in sept)
    assert quiet_months(["2026-09", "2026-10"]) == ["2026-09"]


def test_the_wizard_offers_and_starts_on_the_month_with_business(office):
    choices, default = closing.month_choices()
    assert [c.month for c in choices] == ["2026-10"]
    assert default == "2026-10"
    check = closing.check_open_months("2026-10")
    assert check.ok and check.count == 0


def test_locking_october_locks_quiet_september_first(office):
    payable = settlement.compute_month("2026-10").payable
    result = closing.lock("2026-10")
    assert locked_months() == {"2026-09", "2026-10"}
    assert result.payable == payable  # the same figures as computed


def test_a_month_with_an_adjustment_is_not_quiet(office):
    from app.core.closing import add_adjustment

    add_adjustment("A2", "P1", "2026-09", 500, "补贴")
    assert quiet_months(["2026-09"]) == []
    with pytest.raises(UserError, match="2026年9月|2026年09月"):
        closing.lock("2026-10")
