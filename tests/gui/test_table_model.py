"""RowsModel: the generic table model under qtmodeltester, bare and under a proxy,
with its in-model sort and filter, and Ctrl+C as tab-separated text."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QApplication

from app.views.table_model import (
    RAW_ROLE,
    ROW_ROLE,
    SORT_ROLE,
    Column,
    RowsModel,
    format_ratio,
    money_column,
    rows_as_tsv,
)
from app.views.widgets import DataTable

ROWS = [("A2", "李秀英", 123456), ("A1", "张建国", -500), ("A3", "王伟", None)]


def columns():
    return [Column("编号", 0), Column("名称", 1), money_column("金额", 2)]


def test_model_passes_the_model_tester(qtmodeltester):
    model = RowsModel(columns(), ROWS)
    qtmodeltester.check(model, force_py=True)
    model.sort(2, Qt.SortOrder.DescendingOrder)
    model.set_filter(lambda r: r[0] != "A3")
    qtmodeltester.check(model, force_py=True)


def test_model_under_a_proxy(qtmodeltester):
    model = RowsModel(columns(), ROWS)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.sort(0)
    qtmodeltester.check(proxy, force_py=True)
    assert [proxy.index(i, 0).data() for i in range(3)] == ["A1", "A2", "A3"]
    proxy.setFilterKeyColumn(1)
    proxy.setFilterFixedString("张")
    assert proxy.rowCount() == 1


def test_money_formatting_alignment_and_roles():
    model = RowsModel(columns(), ROWS)
    idx = model.index(0, 2)
    assert idx.data() == "¥1,234.56"
    assert model.index(1, 2).data() == "-¥5.00"
    assert model.index(2, 2).data() == ""
    assert idx.data(Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert idx.data(RAW_ROLE) == 123456
    assert idx.data(ROW_ROLE) == ROWS[0]
    assert model.index(1, 2).data(Qt.ItemDataRole.ForegroundRole) is not None  # negative in red
    assert format_ratio(834_711) == "83.5%" and format_ratio(0) == "0.0%"


def test_sort_puts_blanks_last_and_filter_keeps_sort():
    model = RowsModel(columns(), ROWS)
    model.sort(2, Qt.SortOrder.AscendingOrder)
    assert [model.row_at(i)[0] for i in range(3)] == ["A1", "A2", "A3"]
    model.set_filter(lambda r: r[0] in ("A1", "A2"))
    assert [r[0] for r in model.shown_rows()] == ["A1", "A2"]
    model.set_rows(ROWS + [("A0", "赵六", 1)])
    assert [r[0] for r in model.shown_rows()] == ["A1", "A2"]
    model.set_filter(None)
    assert model.rowCount() == 4 and model.row_at(1)[0] == "A0"


def test_copy_selected_rows_as_tab_separated_text(qtbot):
    view = DataTable()
    qtbot.addWidget(view)
    view.setModel(RowsModel(columns(), ROWS))
    view.selectRow(0)
    text = view.copy_selection()
    assert text == "编号\t名称\t金额\nA2\t李秀英\t¥1,234.56\n"
    assert QApplication.clipboard().text() == text
    assert rows_as_tsv(view.model(), [1, 2], header=False) == "A1\t张建国\t-¥5.00\nA3\t王伟\t\n"


def test_large_table_sorts_and_filters_quickly():
    import time

    rows = [(i, f"LKL{i:08d}", "in_stock" if i % 3 else "allocated") for i in range(100_000)]
    model = RowsModel([Column("id", 0), Column("SN", 1), Column("状态", 2)], rows)
    t = time.perf_counter()
    model.set_filter(lambda r: "LKL0005" in r[1])
    assert model.rowCount() == 10_000
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert time.perf_counter() - t < 1.0
