"""Small builders for tests: write CSV text to files and import them as a user would."""

from __future__ import annotations

import textwrap
from pathlib import Path

from app.core import settlement
from app.core.months import set_setting
from app.io.importers import import_file

# A three-level tree under the agency; every rate one step above its parent.
PRODUCTS = """\
code,name,company,activation_min,qualify_days,qualify_volume,deposit_days,company_cashback,company_qualify_bonus,company_unqualified_penalty
P1,拉卡拉电签,拉卡拉,1.00,,,,,,
"""
PRICES = """\
product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn
P1,2026-10-01,0.60%,0.55%,25,0.38%,0
"""
AGENTS = """\
code,name,parent,status,payout,tax_rate
A1,张建国,,正常,直结,0
A2,李秀英,A1,正常,直结,0
A3,王伟,A2,正常,直结,0
"""
POLICIES = """\
agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn,cashback,qualify_bonus,unqualified_penalty,deposit
AGENCY,P1,2026-10-01,0.50%,0.45%,20,0.30%,0,,,,
A1,P1,2026-10-01,0.53%,0.48%,21,0.32%,0,,,,
A2,P1,2026-10-01,0.55%,0.50%,22,0.34%,0,,,,
A3,P1,2026-10-01,0.57%,0.52%,23,0.35%,0,,,,
"""
TERMINALS = """\
sn,product,stocked
T1,P1,2026-09-20
T2,P1,2026-09-20
T3,P1,2026-09-20
"""
MOVES = """\
sn,date,action,agent,deposit_method
T1,2026-10-01,下发,A3,
T2,2026-10-01,下发,A2,
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


class Office:
    """A test office: import CSV text by kind, compute and read statements."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.n = 0

    def load(self, kind: str, text: str):
        self.n += 1
        return import_file(kind, write(self.folder, f"{self.n:02d}_{kind}.csv", text))

    def base(self, *, products=PRODUCTS, prices=PRICES, agents=AGENTS, policies=POLICIES,
             terminals=TERMINALS, moves=MOVES, min_payout=0) -> Office:
        set_setting("agency_name", "测试机构")
        set_setting("min_payout", str(min_payout))
        for kind, text in (("products", products), ("prices", prices), ("agents", agents),
                           ("policies", policies), ("terminals", terminals), ("moves", moves)):
            if text:
                self.load(kind, text)
        return self

    def tx(self, *rows: str):
        header = "tx_id,time,sn,merchant_no,amount,category,status\n"
        return self.load("transactions", header + "\n".join(rows) + "\n")

    def compute(self, month: str = "2026-10") -> dict:
        settlement.compute_month(month)
        return settlement.statement_json(month)


def agent(data: dict, code: str) -> dict | None:
    for s in data["statements"]:
        if s["agent"] == code:
            return s
    return None


def product(data: dict, code: str, prod: str = "P1") -> dict | None:
    s = agent(data, code)
    if s is None:
        return None
    for p in s["products"]:
        if p["product"] == prod:
            return p
    return None


def margin(data: dict, prod: str = "P1") -> int:
    for m in data["agency"]["products"]:
        if m["product"] == prod:
            return m["margin_fen"]
    return 0
