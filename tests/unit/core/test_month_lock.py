"""The one month-close operation (app.core.closing.lock → settlement.lock_month): months
close in order, late data follows DOMAIN §6, a locked month is never recomputed, and the
JSON says whether a month is locked.

The office: P1 merchant credit 0.60 %; cost credit rates agency 0.50, A1 0.53, A2 0.55,
A3 0.57 % from 2026-06-01.  T1 → A3 and T2 → A2 on 2026-06-01.  Minimum payout 10.00 元,
so the small shares below carry forward month after month.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.core import closing, settlement
from app.core.errors import UserError
from app.core.months import is_late, settle_month
from app.models import MonthState, Statement
from tests.helpers import Office, agent, product

PRICES = """\
product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn
P1,2026-06-01,0.60%,0.55%,25,0.38%,0
"""
POLICIES = """\
agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn,cashback,qualify_bonus,unqualified_penalty,deposit
AGENCY,P1,2026-06-01,0.50%,0.45%,20,0.30%,0,,,,
A1,P1,2026-06-01,0.53%,0.48%,21,0.32%,0,,,,
A2,P1,2026-06-01,0.55%,0.50%,22,0.34%,0,,,,
A3,P1,2026-06-01,0.57%,0.52%,23,0.35%,0,,,,
"""
TERMINALS = """\
sn,product,stocked
T1,P1,2026-05-20
T2,P1,2026-05-20
T3,P1,2026-05-20
"""
MOVES = """\
sn,date,action,agent,deposit_method
T1,2026-06-01,下发,A3,
T2,2026-06-01,下发,A2,
"""


@pytest.fixture
def office(db, tmp_path):
    return Office(tmp_path).base(
        prices=PRICES, policies=POLICIES, terminals=TERMINALS, moves=MOVES, min_payout=1000
    )


def run_cli(db_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "app", "--db", str(db_path), *args],
        capture_output=True, text=True, encoding="utf-8", timeout=120,
    )


# ------------------------------------------------------------------ months close in order


def test_late_rule_is_the_last_locked_month():
    locked = {"2026-06", "2026-08"}
    assert is_late("2026-07", locked) and is_late("2026-08", locked)
    assert not is_late("2026-09", locked) and not is_late("2026-07", set())
    # July was never settled, yet it is before the last locked month: it lands in September
    assert settle_month("2026-07", locked) == "2026-09"
    assert settle_month("2026-05", locked) == "2026-09"
    assert settle_month("2026-09", locked) == "2026-09"


def test_out_of_order_lock_is_refused_by_the_service(office):
    office.tx(
        "X1,2026-09-20 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-10-03 10:00:00,T1,M1,100.00,贷记卡,成功",
    )
    office.load("adjustments", "agent,product,month,amount,reason\nA3,P1,2026-06,5.00,补贴\n")
    with pytest.raises(UserError, match=r"2026年6月、2026年9月尚未锁定.*2026-06、2026-09"):
        closing.lock("2026-10")
    assert not MonthState.select().where(MonthState.state == "locked").exists()
    closing.lock("2026-06")
    closing.lock("2026-09")
    closing.lock("2026-10")
    with pytest.raises(UserError, match="2026年10月已锁定"):
        closing.lock("2026-10")


def test_the_engine_checks_the_order_inside_its_transaction(office, monkeypatch):
    """Even past the service's quick check (a race, or a caller of the engine), the lock's
    own transaction refuses: nothing is written."""
    office.tx(
        "X1,2026-09-20 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-10-03 10:00:00,T1,M1,100.00,贷记卡,成功",
    )
    monkeypatch.setattr(closing, "open_months_before", lambda _m: [])
    with pytest.raises(UserError, match="2026年9月尚未锁定"):
        closing.lock("2026-10")
    with pytest.raises(UserError, match="2026年9月尚未锁定"):
        settlement.lock_month("2026-10")
    assert not MonthState.select().where(MonthState.state == "locked").exists()
    assert not Statement.select().exists()  # the compute inside was rolled back too


def test_out_of_order_lock_is_refused_by_the_command_line(office, db):
    office.tx(
        "X1,2026-06-20 10:00:00,T1,M1,100.00,贷记卡,成功",
        "X2,2026-07-03 10:00:00,T1,M1,100.00,贷记卡,成功",
    )
    path = db.database
    db.close()
    result = run_cli(path, "statement", "lock", "2026-07")
    assert result.returncode == 2, result.stderr
    assert "2026年6月" in result.stderr and "2026-06" in result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli(path, "statement", "lock", "2026-06").returncode == 0
    shown = run_cli(path, "statement", "show", "2026-06", "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["locked"] is True
    assert run_cli(path, "statement", "lock", "2026-07").returncode == 0
    assert json.loads(run_cli(path, "statement", "show", "2026-07", "--json").stdout)["locked"]


def test_locked_key_in_the_json(office):
    office.tx("X1,2026-06-20 10:00:00,T1,M1,100.00,贷记卡,成功")
    assert office.compute("2026-06")["locked"] is False
    closing.lock("2026-06")
    data = settlement.statement_json("2026-06")
    assert data["locked"] is True and [s["agent"] for s in data["statements"]] == ["A1", "A2", "A3"]
    assert settlement.statement_json("2026-07")["locked"] is False


# ------------------------------------------------------------------ late data (DOMAIN §6)


def test_july_after_august_locked_lands_in_september_with_its_carry(office):
    # June: T1 100.00 credit → A3 0.03 % = 0.03 元, A2 and A1 0.02 % = 0.02 元: all below the
    # 10.00 元 minimum, carried.  July: nothing.  August: T1 10,000.00 → A3 3.00 + 0.03 =
    # 3.03 carried, A2 2.00 + 0.02 = 2.02, A1 2.02.
    office.tx("X0,2026-06-10 10:00:00,T1,M1,100.00,贷记卡,成功")
    closing.lock("2026-06")
    office.tx("X1,2026-08-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    closing.lock("2026-08")  # July has no data: August may be locked after June
    august = settlement.statement_json("2026-08")
    assert product(august, "A3")["carried_out_fen"] == 303
    # July data arrives now: T1 20,000.00 on 07-20.  July is before the last locked month,
    # so it is late (though never settled) and lands in September: A3 6.00, A2 4.00, A1 4.00
    # on top of what August carried (3.03, 2.02, 2.02); A3 9.03 < 10.00 is carried again,
    # A2 and A1 6.02 likewise.
    report = office.tx("X2,2026-07-20 10:00:00,T1,M1,20000.00,贷记卡,成功")
    assert any("2026年9月" in n for n in report.notices)
    # an activation dated in July (T3, in stock: no amounts) is July data as well
    report = office.load("activations", "sn,activated\nT3,2026-07-25\n")
    assert any("2026年7月早于已锁定的2026年8月" in n for n in report.notices)
    with pytest.raises(UserError, match="2026年7月早于已锁定的2026年8月"):
        settlement.compute_month("2026-07")
    result = settlement.compute_month("2026-09")
    assert result.months == ["2026-09"]
    september = settlement.statement_json("2026-09")
    a3 = product(september, "A3")
    assert (a3["credit"]["count"], a3["credit"]["volume_fen"], a3["credit"]["amount_fen"]) == (
        1, 2_000_000, 600)
    assert (a3["carried_in_fen"], a3["subtotal_fen"], a3["carried_out_fen"]) == (303, 903, 903)
    for code in ("A1", "A2"):
        p = product(september, code)
        assert (p["credit"]["amount_fen"], p["carried_in_fen"], p["subtotal_fen"]) == (400, 202, 602)
    # July got no statement, August did not change
    assert settlement.statement_json("2026-07")["statements"] == []
    assert settlement.statement_json("2026-08") == august
    assert agent(september, "A3")["payable_fen"] == 0
    choices, default = closing.month_choices()
    assert "2026-07" not in [c.month for c in choices] and default == "2026-09"
    closing.lock("2026-09")  # July, never settled, does not stand in the way


def test_compute_settles_earlier_open_months_and_never_a_locked_one(office):
    office.tx("X0,2026-06-10 10:00:00,T1,M1,100.00,贷记卡,成功")
    closing.lock("2026-06")
    office.tx(
        "X1,2026-07-05 10:00:00,T1,M1,1000.00,贷记卡,成功",
        "X2,2026-08-05 10:00:00,T1,M1,1000.00,贷记卡,成功",
    )
    locked_at = MonthState.get(MonthState.month == "2026-06").computed_at
    june = settlement.statement_json("2026-06")
    result = settlement.compute_month("2026-08")
    assert result.months == ["2026-07", "2026-08"]  # July first (August carries from it)
    assert MonthState.get(MonthState.month == "2026-06").computed_at == locked_at
    assert settlement.statement_json("2026-06") == june
    with pytest.raises(UserError, match="2026年6月已锁定,不能重新计算"):
        settlement.compute_month("2026-06")
