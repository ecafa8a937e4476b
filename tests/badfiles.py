"""Valid import rows of every kind, and the bad cell values each column must refuse
(FORMATS "Values"), for the fuzz and property tests of the import edge.

The rows fit the office of ``tests.helpers`` (products P1, agents A1–A3, terminals T1–T3
with T1/T2 allocated): ``valid_rows(kind, n)`` gives n rows that import cleanly together.
"""

from __future__ import annotations

CODE_BAD = ["A 1", "A;1", "x" * 41, "A\x071", "\x1b[31mA", "፩፪፫", "A١", "1.23456789012346E+19"]
NAME_BAD = ["x" * 201, "a\x07b", "名\x1b[0m", "y" * 5000]
DATE_BAD = ["0001-01-01", "1899-12-30", "9999-12-31", "05/10/2026", "2026-13-45", "=TODAY()", "٢٠٢٦-١٠-٠٥"]
MONEY_BAD = ["1e400", "100000000000000000000", "NaN", "inf", "-1000000000.01", "1000000000.01", "١٢٣",
             "=A1*2", "12.345", "abc"]
RATE_BAD = ["11%", "-1%", "abc", "٠.٦%", "NaN"]
TAX_BAD = ["101%", "-1", "abc", "١"]
MONTH_BAD = ["1999-12", "2099-01", "13", "٢٠٢٦-١٠"]
COUNT_BAD = ["-1", "1.5", "x", "٣", "99999999999"]

COLUMNS: dict[str, list[str]] = {
    "agents": ["code", "name", "parent", "tax_rate", "phone", "bank", "joined", "note"],
    "products": ["code", "name", "company", "activation_min", "qualify_days", "qualify_volume",
                 "company_cashback"],
    "prices": ["product", "effective_from", "credit_rate", "debit_rate", "debit_cap", "scan_rate", "per_txn"],
    "policies": ["agent", "product", "effective_from", "credit_rate", "debit_rate", "scan_rate", "cashback",
                 "deposit"],
    "terminals": ["sn", "product", "stocked"],
    "moves": ["sn", "date", "action", "agent"],
    "activations": ["sn", "activated", "merchant_no", "merchant_name"],
    "transactions": ["tx_id", "time", "sn", "merchant_no", "amount", "category", "status", "fee"],
    "adjustments": ["agent", "product", "month", "amount", "reason"],
}

# the columns checked by a value rule, and what each must refuse
BAD: dict[str, dict[str, list[str]]] = {
    "agents": {"code": CODE_BAD, "name": NAME_BAD, "tax_rate": TAX_BAD, "joined": DATE_BAD, "note": NAME_BAD,
               "bank": NAME_BAD, "phone": ["1" * 41, "13\x0700"]},
    "products": {"code": CODE_BAD, "name": NAME_BAD, "company": NAME_BAD, "activation_min": MONEY_BAD,
                 "qualify_days": COUNT_BAD, "qualify_volume": MONEY_BAD, "company_cashback": MONEY_BAD},
    "prices": {"effective_from": DATE_BAD, "credit_rate": RATE_BAD, "debit_rate": RATE_BAD,
               "scan_rate": RATE_BAD, "debit_cap": MONEY_BAD, "per_txn": MONEY_BAD},
    "policies": {"effective_from": DATE_BAD, "credit_rate": RATE_BAD, "scan_rate": RATE_BAD,
                 "cashback": MONEY_BAD, "deposit": MONEY_BAD},
    "terminals": {"sn": CODE_BAD, "stocked": DATE_BAD},
    "moves": {"sn": CODE_BAD, "date": DATE_BAD},
    "activations": {"activated": DATE_BAD, "merchant_no": CODE_BAD, "merchant_name": NAME_BAD},
    "transactions": {"tx_id": CODE_BAD, "time": DATE_BAD, "amount": MONEY_BAD, "fee": MONEY_BAD,
                     "merchant_no": CODE_BAD},
    "adjustments": {"month": MONTH_BAD, "amount": MONEY_BAD, "reason": NAME_BAD},
}


def valid_rows(kind: str, n: int) -> list[list[str]]:
    """n rows (n ≤ 3 for moves and activations … capped) that import cleanly together."""
    rows: list[list[str]] = []
    for i in range(n):
        if kind == "agents":
            rows.append([f"N{i}", f"新代理{i}", "A1", "6%", "13800000000", "工商银行", "2026-10-01", "备注"])
        elif kind == "products":
            rows.append([f"Q{i}", f"新产品{i}", "拉卡拉", "1.00", "30", "5000", "80"])
        elif kind == "prices":
            rows.append(["P1", f"2026-11-{i + 1:02d}", "0.60%", "0.55%", "25", "0.38%", "0"])
        elif kind == "policies":
            agent, rates = [("A1", ("0.53%", "0.48%", "0.32%")), ("A2", ("0.55%", "0.50%", "0.34%")),
                            ("A3", ("0.57%", "0.52%", "0.35%"))][i % 3]
            rows.append([agent, "P1", f"2026-11-{i // 3 + 1:02d}", rates[0], rates[1], rates[2], "0", "0"])
        elif kind == "terminals":
            rows.append([f"NEW{i}", "P1", "2026-10-01"])
        elif kind == "moves":
            rows.append(["T3", f"2026-10-{5 + i:02d}", "下发", "A1"] if i == 0 else
                        ["T3", f"2026-10-{5 + i:02d}", "调拨", "A2" if i % 2 else "A1"])
        elif kind == "activations":
            rows.append([f"T{i % 3 + 1}", "2026-10-06", f"M{i:03d}", f"小店{i}"])
        elif kind == "transactions":
            rows.append([f"X{i}", f"2026-10-05 10:{i % 60:02d}:00", "T1", f"M{i:03d}", f"{12 + i}.30", "贷记卡",
                         "成功", "0.10"])
        elif kind == "adjustments":
            rows.append(["A1", "P1", "2026-10", f"-{50 + i}", f"押金扣回{i}"])
    return rows


MAX_ROWS = {"moves": 3, "activations": 3}


def csv_text(kind: str, rows: list[list[str]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS[kind])
    w.writerows(rows)
    return buf.getvalue()
