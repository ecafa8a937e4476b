"""The dispute sheet (差异明细) of a reconciliation, as xlsx the office sends to the company.

Only the lines that do not match are listed (differs, missing in the report, unknown to
us), in the order of the reconciliation, with the money formatted as the window shows it
and the implied rate beside the difference.
"""

from __future__ import annotations

from pathlib import Path

from app.core.money import format_money, format_month, format_rate
from app.core.reconcile import STATUS_LABELS, Reconciliation
from app.io.xlsx_export import export_rows

DISPUTE_HEADERS = [
    "月份", "终端SN", "商户编号", "产品编号", "我方应收", "对账单金额", "差额(对账单−应收)",
    "隐含费率差", "状态", "所含终端",
]  # fmt: skip


def _money(fen: int | None) -> str:
    return "" if fen is None else format_money(fen)


def dispute_rows(result: Reconciliation) -> list[list[object]]:
    rows: list[list[object]] = []
    for ln in result.lines:
        if ln.status == "matched":
            continue
        rate = ln.implied_rate_ppm
        rows.append([
            format_month(result.month), ln.sn or "", ln.merchant_no or "", ln.product or "",
            _money(ln.expected), _money(ln.reported), _money(ln.diff),
            "" if rate is None else format_rate(rate), STATUS_LABELS[ln.status],
            "、".join(ln.terminals or []),
        ])  # fmt: skip
    return rows


def write_dispute_sheet(result: Reconciliation, path: Path) -> int:
    """Write the 差异明细 of ``result`` to ``path``; returns the number of lines."""
    return export_rows(path, DISPUTE_HEADERS, dispute_rows(result), sheet_title="差异明细")
