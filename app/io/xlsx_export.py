"""Export any table to xlsx (openpyxl), safe to open in Excel or WPS.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` would be taken for a formula
by a spreadsheet (CSV/formula injection: an agent named ``=HYPERLINK(…)``).  Such text is
written as a plain string cell with Excel's quote prefix, so it shows exactly as typed and
never runs.  Numbers stay numbers; money the caller already formatted (``¥1,234.56``)
stays text, so what the user saw in the window is what the file shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from app.core.errors import UserError

FORMULA_START = ("=", "+", "-", "@")
_CONTROL = ("\t", "\r", "\n")


def neutralise(value: object) -> object:
    """The value as it may be written to a cell: text never becomes a formula."""
    if value is None or isinstance(value, (bool, int, Decimal, dt.date, dt.datetime)):
        return value
    if isinstance(value, float):  # not used for money (money is int fen), only ratios
        return value
    return str(value)


def _is_risky(text: str) -> bool:
    return text.startswith(FORMULA_START) or text[:1] in _CONTROL


def export_rows(
    path: str | Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    sheet_title: str = "导出",
) -> int:
    """Write ``headers`` and ``rows`` to the xlsx file ``path``; returns the rows written."""
    return export_sheets(path, [(sheet_title, headers, rows)])


def export_sheets(
    path: str | Path, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]]
) -> int:
    """Write several (title, headers, rows) sheets into one xlsx file; returns the rows written."""
    wb = Workbook(write_only=False)
    first = wb.active
    assert first is not None
    n = 0
    for i, (title, headers, rows) in enumerate(sheets):
        ws = first if i == 0 else wb.create_sheet()
        ws.title = _sheet_title(title)
        n += _write_sheet(ws, headers, rows)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(str(path))
    except PermissionError:
        raise UserError(f"无法写入 {path}:文件可能正在 Excel 中打开,请关闭后再试") from None
    except OSError as exc:
        raise UserError(f"无法写入 {path}:{exc}") from None
    return n


def _write_sheet(ws, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="ECEFF1")
    widths = [len(str(h)) for h in headers]
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=c)
        _set(cell, h)
        cell.font, cell.fill = bold, fill
    n = 0
    for r, row in enumerate(rows, start=2):
        n += 1
        for c, value in enumerate(row, start=1):
            _set(ws.cell(row=r, column=c), value)
            if c <= len(widths):
                widths[c - 1] = max(widths[c - 1], _width(value))
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(60, max(8, w + 2))
    ws.freeze_panes = "A2"
    return n


def _set(cell, value: object) -> None:
    value = neutralise(value)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
        if _is_risky(value):
            cell.quotePrefix = True
    else:
        cell.value = value


def _width(value: object) -> int:
    text = "" if value is None else str(value)
    # CJK characters take two columns
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "_")
    return title[:31] or "导出"
