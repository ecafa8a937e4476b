"""试算 (DOMAIN §10): hand-worked, nothing written, and equal to the fen to a real
recompute on a copy of the database with the same policies imported.

Base office (tests/helpers.py): credit — merchant 0.60 %, agency 0.50 %, A1 0.53 %,
A2 0.55 %, A3 0.57 %; T1 with A3, T2 with A2.
"""

from __future__ import annotations

import shutil

import pytest

from app.core import settlement
from app.core.errors import UserError
from app.core.months import set_setting
from app.core.whatif import rows_in_force
from app.io.importers import import_file
from app.io.whatif_file import whatif_file
from app.models import database
from app.models.db import open_database
from tests.helpers import Office, write

POLICY_HEADER = (
    "agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn,"
    "cashback,qualify_bonus,unqualified_penalty,deposit\n"
)


@pytest.fixture
def office(db, tmp_path):
    return Office(tmp_path).base()


def dump() -> list[str]:
    return list(database.obj.connection().iterdump())


def test_whatif_hand_worked(office, tmp_path):
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    proposal = write(tmp_path, "proposal.csv", POLICY_HEADER + "A3,P1,2026-10-01,0.56%,0.52%,23,0.35%,0,,,,\n")
    before = dump()
    result = whatif_file("2026-10", proposal).as_json()
    # current: A3 60.00 − 57.00 = 3.00, A2 57.00 − 55.00 = 2.00, A1 2.00, agency 3.00
    # proposed (A3 at 0.56 %): A3 60.00 − 56.00 = 4.00, A2 56.00 − 55.00 = 1.00, A1 2.00
    assert result == {
        "month": "2026-10",
        "agents": [
            {"agent": "A2", "current_payable_fen": 200, "proposed_payable_fen": 100, "diff_fen": -100},
            {"agent": "A3", "current_payable_fen": 300, "proposed_payable_fen": 400, "diff_fen": 100},
            {"agent": "A1", "current_payable_fen": 200, "proposed_payable_fen": 200, "diff_fen": 0},
        ],
        "agency": {"current_margin_fen": 300, "proposed_margin_fen": 300, "diff_fen": 0},
    }
    assert dump() == before  # nothing written, not even the current month's statements


def test_whatif_reports_a_negative_spread_as_on_import(office, tmp_path):
    proposal = write(tmp_path, "bad.csv", POLICY_HEADER + "A3,P1,2026-10-01,0.54%,0.52%,23,0.35%,0,,,,\n")
    before = dump()
    with pytest.raises(UserError) as err:
        whatif_file("2026-10", proposal)
    assert "级差为负" in str(err.value) and "bad.csv" in str(err.value)
    assert dump() == before


def test_whatif_refuses_a_locked_month(office, tmp_path):
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    settlement.lock_month("2026-10")
    proposal = write(tmp_path, "p.csv", POLICY_HEADER + "A3,P1,2026-11-01,0.56%,0.52%,23,0.35%,0,,,,\n")
    with pytest.raises(UserError, match="已锁定"):
        whatif_file("2026-10", proposal)


def test_only_the_month_is_priced_under_the_proposal(office, tmp_path):
    # a proposal dated 09-01 does not reprice September: what October carries in stays
    # current.  September: T3 credit 10,000 → A3 3.00.  With a 5.00 minimum payout A3 is
    # not paid and carries 3.00 into October under the current policy.
    office.load("policies", POLICY_HEADER + "A3,P1,2026-09-01,0.57%,0.52%,23,0.35%,0,,,,\n"
                "A2,P1,2026-09-01,0.55%,0.50%,22,0.34%,0,,,,\nA1,P1,2026-09-01,0.53%,0.48%,21,0.32%,0,,,,\n"
                "AGENCY,P1,2026-09-01,0.50%,0.45%,20,0.30%,0,,,,\n")
    office.load("prices", "product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn\n"
                "P1,2026-09-01,0.60%,0.55%,25,0.38%,0\n")
    office.load("moves", "sn,date,action,agent\nT3,2026-09-21,下发,A3\n")
    set_setting("min_payout", "500")
    office.tx("X1,2026-09-25 10:00:00,T3,M1,10000.00,贷记卡,成功",
              "X2,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    proposal = write(tmp_path, "p.csv", POLICY_HEADER + "A3,P1,2026-09-01,0.56%,0.52%,23,0.35%,0,,,,\n"
                     "A3,P1,2026-10-01,0.56%,0.52%,23,0.35%,0,,,,\n")
    result = {a["agent"]: a for a in whatif_file("2026-10", proposal).as_json()["agents"]}
    # October current: 3.00 carried in + 3.00 = 6.00 ≥ 5.00 → paid 6.00
    # proposed: 3.00 carried in (September stays current, not 4.00) + 4.00 = 7.00
    assert (result["A3"]["current_payable_fen"], result["A3"]["proposed_payable_fen"]) == (600, 700)


def test_rows_in_force_prefill_the_grid(office):
    rows = rows_in_force("2026-10")
    assert [(r["agent"], r["product"]) for r in rows] == [("", "P1"), ("A1", "P1"), ("A2", "P1"), ("A3", "P1")]
    assert rows[3]["credit_rate"] == 5700


def test_whatif_equals_a_real_recompute_on_a_copy(db, tmp_path):
    """The small demo, its last (open) month priced with every agent's credit rate raised:
    the what-if must equal, to the fen, importing those rows into a copy of the database
    and computing the month there."""
    from app.io.demo_load import load_demo

    load_demo("small")
    month = settlement.txn_months()[-1]
    first = f"{month}-01"
    changed = []
    for r in rows_in_force(month):  # every agent's credit 0.01 % higher: 级差 kept
        bump = 100 if r["agent"] else 0  # the agency's own cost unchanged
        cap = "" if r["debit_cap"] is None else r["debit_cap"] / 100
        changed.append(
            f"{r['agent'] or 'AGENCY'},{r['product']},{first},{(r['credit_rate'] + bump) / 10000}%,"
            f"{r['debit_rate'] / 10000}%,{cap},{r['scan_rate'] / 10000}%,{r['per_txn'] / 100},"
            f"{r['cashback'] / 100},{r['qualify_bonus'] / 100},{r['unqualified_penalty'] / 100},"
            f"{r['deposit'] / 100}\n"
        )
    proposal = write(tmp_path, "proposal.csv", POLICY_HEADER + "".join(changed))
    result = whatif_file(month, proposal).as_json()
    path = database.obj.database
    database.obj.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    database.obj.close()
    other = open_database(copy)
    try:
        settlement.compute_month(month)
        current = settlement.statement_json(month)
        import_file("policies", proposal)
        settlement.compute_month(month)
        proposed = settlement.statement_json(month)
    finally:
        other.close()
        open_database(path)
    cur = {s["agent"]: s["payable_fen"] for s in current["statements"]}
    new = {s["agent"]: s["payable_fen"] for s in proposed["statements"]}
    got = {a["agent"]: (a["current_payable_fen"], a["proposed_payable_fen"]) for a in result["agents"]}
    assert got == {a: (cur.get(a, 0), new.get(a, 0)) for a in set(cur) | set(new)}
    assert sum(c != p for c, p in got.values()) >= 3  # the proposal does change payables
    margins = [sum(m["margin_fen"] for m in d["agency"]["products"]) for d in (current, proposed)]
    assert [result["agency"]["current_margin_fen"], result["agency"]["proposed_margin_fen"]] == margins
    assert margins[0] != margins[1]
