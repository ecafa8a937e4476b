"""`posdesk reconcile`, `whatif` and `resettle` from the command line (exit codes, JSON)."""

from __future__ import annotations

import json

from openpyxl import load_workbook

from app.cli import main
from app.core import settlement
from tests.helpers import Office, write

POLICY_HEADER = (
    "agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn,"
    "cashback,qualify_bonus,unqualified_penalty,deposit\n"
)


def test_reconcile_whatif_resettle_commands(db, tmp_path, capsys):
    office = Office(tmp_path).base()
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    path = str(db.database)
    report = write(tmp_path, "r.csv", "月份,终端SN,分润金额\n2026-10,T1,9.00\n")
    assert main(["--db", path, "import", "company_report", str(report)]) == 0
    capsys.readouterr()
    out = tmp_path / "差异明细.xlsx"
    assert main(["--db", path, "reconcile", "2026-10", "--json", "--out", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lines"][0]["diff_fen"] == -100 and data["totals"]["differs"] == 1
    sheet = load_workbook(out)["差异明细"]
    assert [c.value for c in sheet[2]][:9] == [
        "2026年10月", "T1", None, "P1", "¥10.00", "¥9.00", "-¥1.00", "-0.01%", "有差异"]

    proposal = write(tmp_path, "p.csv", POLICY_HEADER + "A3,P1,2026-10-01,0.56%,0.52%,23,0.35%,0,,,,\n")
    assert main(["--db", path, "whatif", "2026-10", "--policies", str(proposal), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["agents"][1] == {"agent": "A3", "current_payable_fen": 300,
                                 "proposed_payable_fen": 400, "diff_fen": 100}

    settlement.lock_month("2026-10")
    args = ["--db", path, "resettle", "2026-10", "--policies", str(proposal), "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["pending_fen"] == 0  # +1.00 − 1.00
    assert main(args + ["--confirm"]) == 0
    lines = json.loads(capsys.readouterr().out)["lines"]
    assert {(ln["agent"], ln["pending_fen"]) for ln in lines} == {("A2", -100), ("A3", 100)}
    assert main(args) == 0
    assert all(ln["pending_fen"] == 0 for ln in json.loads(capsys.readouterr().out)["lines"])

    assert main(["--db", path, "reconcile", "2026-13"]) == 2
    assert "月份" in capsys.readouterr().err
