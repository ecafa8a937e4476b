"""Issue 23, defect 4: every list offers the same — sort, 筛选, 显示列 (remembered), copy
with headers, right-click menu, 导出Excel of what is shown, a totals row."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.views.table_export import export_shown
from app.views.table_model import Column, RowsModel, int_column, money_column
from app.views.widgets import DataTable


@dataclass
class Row:
    code: str
    name: str
    count: int
    amount: int


ROWS = [Row("A1", "张三", 3, 12345), Row("A2", "李四", 1, -345), Row("B1", "王五", 7, 100)]


def columns():
    return [Column("编号", "code"), Column("名称", "name"), int_column("台数", "count", total=True),
            money_column("金额", "amount")]


@pytest.fixture
def table(qtbot):
    t = DataTable(name="测试表")
    qtbot.addWidget(t)
    t.setModel(RowsModel(columns(), ROWS))
    t.resize(600, 300)
    t.show()
    return t


def menu_texts(table) -> list[str]:
    return [a.text() for a in table.tools.menu().actions()]


def test_menu_offers_the_same_everywhere(table):
    texts = menu_texts(table)
    for wanted in ("复制所选行(含表头)", "复制全部显示的行", "导出Excel…", "筛选…", "显示列"):
        assert wanted in texts, texts


def test_totals_row_sums_the_rows_shown(table):
    # 台数 3 + 1 + 7 = 11; 金额 123.45 − 3.45 + 1.00 = ¥121.00
    footer = table.tools.footer
    assert footer.isVisible()
    assert footer.texts == {2: "11", 3: "¥121.00"}
    table.tools.set_quick_filter("a")  # A1, A2 (codes): 3 + 1 = 4; 123.45 − 3.45 = ¥120.00
    assert table.model().rowCount() == 2
    assert footer.texts == {2: "4", 3: "¥120.00"}


def test_copy_and_export_take_what_is_shown(table, tmp_path):
    table.tools.set_column_shown(1, False)  # 名称 hidden
    table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    table.selectRow(0)
    text = table.copy_selection()
    assert text == "编号\t台数\t金额\nA1\t3\t¥123.45\n"
    assert QApplication.clipboard().text() == text
    path = export_shown(table, "测试表", tmp_path / "x.xlsx")
    sheet = load_workbook(path).active
    assert [[c.value for c in r] for r in sheet.iter_rows()] == [
        ["编号", "台数", "金额"], ["A1", 3, "¥123.45"], ["B1", 7, "¥1.00"], ["A2", 1, "-¥3.45"]]


def test_hidden_columns_are_remembered(qtbot, table):
    table.tools.set_column_shown(0, False)
    again = DataTable(name="测试表")
    qtbot.addWidget(again)
    again.setModel(RowsModel(columns(), ROWS))
    assert again.isColumnHidden(0) and not again.isColumnHidden(1)
    again.tools.show_all_columns()
    other = DataTable(name="测试表")
    qtbot.addWidget(other)
    other.setModel(RowsModel(columns(), ROWS))
    assert not other.isColumnHidden(0)


@pytest.mark.parametrize("title", ["代理商", "机具", "押金", "政策", "交易导入"])
def test_every_list_of_the_pages_has_the_tools(qtbot, window, title):
    page = window.go_to(title)
    tables = page.findChildren(DataTable)
    assert tables
    for t in tables:
        assert "导出Excel…" in menu_texts(t)
        assert t.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu


def test_import_error_list_exports(qtbot, window, tmp_path):
    page = window.go_to("交易导入")
    errors = [t for t in page.findChildren(DataTable) if t.model() is page.wizard.errors_model] \
        if hasattr(page, "wizard") else []
    if not errors:
        errors = [t for t in page.findChildren(DataTable)
                  if [t.model().headerData(c, Qt.Orientation.Horizontal)
                      for c in range(t.model().columnCount())] == ["文件", "行", "列", "原因"]]
    assert errors, "the import error list"
    assert "导出Excel…" in menu_texts(errors[0])
