"""Import of the payment company's settlement report (支付公司对账单, kind ``company_report``).

Each row is one line of the report: month, the terminal's SN or the merchant's number (at
least one of them), optionally the product, and the amount the company says it paid the
agency (± yuan).  Several lines for one SN or merchant are kept apart and summed when the
report is compared (``app.core.reconcile``): a company lists a terminal's share and its
cashback as two lines that may well be equal, so two equal rows are two lines.

A report is the company's whole statement of a month: importing one for a month replaces
every line stored for that month (a corrected report from the company supersedes the old
one), and importing the very same lines again changes nothing.  A bad row refuses the
whole file, as every import does.
"""

from __future__ import annotations

from collections import Counter

from app.core import values
from app.core.money import format_month
from app.io.importers import ImportReport, Rows, _batch, _finish, _product_codes
from app.io.reader import Table
from app.models import database

REPORT_KEYS = ["month", "sn", "merchant_no", "product", "amount"]
Line = tuple[str, str, str, int | None, int]  # (month, sn, merchant_no, product_id, amount)


def import_company_report(table: Table, report: ImportReport) -> None:
    """Check every row, then replace the stored lines of the months the file covers."""
    rows = Rows(table)
    products = _product_codes()
    if "sn" not in table.present and "merchant_no" not in table.present:
        rows.bad(0, "sn", "对账单必须有“终端SN”或“商户编号”列(至少其一)")
        rows.raise_if_bad()
    lines: list[tuple[int, Line]] = []
    for row, (month_text, sn, merchant, product, amount_text) in table.rows(REPORT_KEYS):
        cells = (month_text, sn, merchant, product, amount_text)
        if any(values.is_summary_label(c) for c in cells):
            rows.bad(row, "", "合计/小计行不能夹在数据中间,请删除该行后重新导入")
            continue
        month = rows.parse(row, "month", month_text, values.month, required=True)
        amount = rows.parse(row, "amount", amount_text, values.money, required=True)
        if not sn and not merchant:
            rows.bad(row, "sn", "终端SN和商户编号不能都为空")
        sn = rows.parse(row, "sn", sn, lambda t: values.code(t, "终端SN"), default="") or ""
        merchant = rows.parse(
            row, "merchant_no", merchant, lambda t: values.code(t, "商户编号"), default=""
        ) or ""
        pid = None
        if product:
            pid = products.get(product)
            if pid is None:
                rows.bad(row, "product", f"产品编号 {product} 不存在")
        if month is None or amount is None or not (sn or merchant):
            continue
        lines.append((row, (month, sn, merchant, pid, amount)))
    rows.raise_if_bad()
    if not lines:
        report.notices.append("文件没有数据行,未导入任何数据。")
        return
    db = database.obj
    months = sorted({line[0] for _, line in lines})
    marks = ", ".join("?" * len(months))
    stored = Counter(
        tuple(r)
        for r in db.execute_sql(
            "SELECT month, sn, merchant_no, product_id, amount FROM company_report "
            f"WHERE month IN ({marks})",
            months,
        ).fetchall()
    )
    if stored == Counter(line for _, line in lines):
        report.skipped = len(lines)  # the very same report again: nothing changes
        return
    replaced = sum(stored.values())
    batch = _batch("company_report", table)
    db.execute_sql(f"DELETE FROM company_report WHERE month IN ({marks})", months)
    db.cursor().executemany(
        "INSERT INTO company_report (month, sn, merchant_no, product_id, amount, row, batch_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(*line, row, batch.id) for row, line in lines],
    )
    report.added = len(lines)
    if replaced:
        report.updated = replaced
        shown = "、".join(format_month(m) for m in months)
        report.notices.append(f"已用本文件替换{shown}原有的 {replaced} 行对账数据。")
    _finish(batch, report)
