"""Export of a table to xlsx: formulas neutralised, numbers kept, file errors in Chinese."""

from __future__ import annotations

import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.core.errors import UserError
from app.io.xlsx_export import export_rows


def test_formula_like_text_is_written_as_text(tmp_path):
    path = tmp_path / "out.xlsx"
    rows = [
        ["=HYPERLINK(\"http://x\",\"点我\")", "+86 138", "-12", "@SUM(A1)", "\t=1+1"],
        ["张三", 12, Decimal("3.50"), None, "¥1,234.56"],
    ]
    n = export_rows(path, ["名称", "电话", "金额", "备注", "其他"], rows, sheet_title="代理/导出")
    assert n == 2
    ws = load_workbook(path).active
    assert ws.title == "代理_导出"
    assert [c.value for c in ws[1]] == ["名称", "电话", "金额", "备注", "其他"]
    assert [c.value for c in ws[2]] == ["=HYPERLINK(\"http://x\",\"点我\")", "+86 138", "-12", "@SUM(A1)", "\t=1+1"]
    assert all(c.data_type == "s" for c in ws[2])
    assert ws["A2"].quotePrefix and ws["B2"].quotePrefix
    assert [ws["A3"].value, ws["B3"].value, ws["D3"].value, ws["E3"].value] == ["张三", 12, None, "¥1,234.56"]
    assert ws["C3"].value == 3.5
    # nothing in the sheet is a formula
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet


def test_unwritable_path_is_a_user_error(tmp_path):
    folder = tmp_path / "a_folder.xlsx"
    folder.mkdir()
    with pytest.raises(UserError, match="无法写入"):
        export_rows(folder, ["a"], [[1]])
