"""试算: a month priced under proposed policy rows without writing anything — a grid
prefilled with the rows in force (edit, add rows, or load a policies file), then per agent
and for the agency the payable and margin now and under the proposal, the difference
sorted by impact, a chart and an xlsx export.  Everything comes from ``app.core.whatif``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core import whatif as svc
from app.core.money import format_money, format_month, format_rate
from app.core.months import locked_months, working_month
from app.core.policies import FIELD_LABELS, RATE_FIELDS
from app.core.settlement import txn_months
from app.views.check_widgets import MonthPicker
from app.views.errors import show_error
from app.views.page import Page
from app.views.table_export import export_view
from app.views.table_model import Column, RowsModel, money_column
from app.views.widgets import DataTable, page_head
from app.views.workers import run_with_progress

HEADERS = ["代理编号", "产品编号", "生效日期", *(FIELD_LABELS[f] for f in svc.TERM_FIELDS)]


def _cell_text(field: str, value: object) -> str:
    if value is None:
        return "不封顶" if field == "debit_cap" else ""
    if field in RATE_FIELDS:
        return format_rate(int(value))  # type: ignore[call-overload]
    if field in ("agent", "product"):
        return str(value) or "本机构"
    if field == "effective_from":
        return str(value)
    return format_money(int(value), symbol=False)  # type: ignore[call-overload]


def result_columns() -> list[Column]:
    return [
        Column("代理编号", "code", width=90),
        Column("代理名称", "name", width=90),
        money_column("现行实发", "current"),
        money_column("试算实发", "proposed"),
        money_column("差额", "diff"),
    ]


class WhatIfPage(Page):
    nav_title = "试算"
    watches = frozenset({"policies", "agents", "months", "imports"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.result: svc.WhatIfResult | None = None
        self.loaded: list[list[str]] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        page_head(outer, "政策试算",
                  "改动下表中的政策(或载入政策文件),按真实月份试算每个代理和本机构的变化;不写入任何数据。")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("月份"))
        self.month = MonthPicker()
        bar.addWidget(self.month)
        buttons = [("载入在用政策", self.load_in_force), ("添加一行", self.add_row),
                   ("按表格试算", self.run_grid), ("按政策文件试算…", self.run_file),
                   ("导出结果…", self.export)]  # fmt: skip
        for text, slot in buttons:
            b = QPushButton(text)
            b.clicked.connect(slot)
            bar.addWidget(b)
        bar.addStretch(1)
        outer.addLayout(bar)
        split = QSplitter(Qt.Orientation.Vertical)
        self.grid = QTableWidget(0, len(HEADERS))
        self.grid.setHorizontalHeaderLabels(HEADERS)
        self.grid.verticalHeader().setDefaultSectionSize(24)
        split.addWidget(self.grid)
        lower = QSplitter(Qt.Orientation.Horizontal)
        box = QWidget()
        bl = QVBoxLayout(box)
        bl.setContentsMargins(0, 4, 0, 0)
        self.summary = QLabel("尚未试算")
        self.summary.setObjectName("summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        bl.addWidget(self.summary)
        self.model = RowsModel(result_columns())
        self.table = DataTable()
        self.table.setModel(self.model)
        bl.addWidget(self.table)
        lower.addWidget(box)
        self.chart = QChart()
        self.chart.setTitle("实发差额最大的代理(元)")
        self.chart.legend().setVisible(False)
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        view = QChartView(self.chart)
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.setMinimumHeight(220)
        lower.addWidget(view)
        lower.setSizes([520, 420])
        split.addWidget(lower)
        split.setSizes([260, 360])
        outer.addWidget(split, 1)
        self.refresh()

    def refresh(self) -> None:
        locked = locked_months()
        months = sorted({working_month(), *(m for m in txn_months() if m not in locked)}, reverse=True)
        keep = self.month.currentText()
        self.month.set_months(months, keep if keep in months else months[0])
        if not self.loaded:
            self.load_in_force()

    def selected_month(self) -> str | None:
        return self.month.month()

    # ------------------------------------------------------------ the grid
    def load_in_force(self) -> None:
        month = self.selected_month()
        if month is None:
            return
        rows = svc.rows_in_force(month)
        self.loaded = [[_cell_text(f, r[f]) for f in svc.GRID_FIELDS] for r in rows]
        self.grid.setRowCount(0)
        for values in self.loaded:
            self._append(values)
        self.grid.resizeColumnsToContents()

    def _append(self, values: list[str]) -> None:
        r = self.grid.rowCount()
        self.grid.insertRow(r)
        for c, text in enumerate(values):
            self.grid.setItem(r, c, QTableWidgetItem(text))

    def add_row(self) -> None:
        month = self.selected_month() or working_month()
        self._append(["", "", f"{month}-01", *([""] * len(svc.TERM_FIELDS))])
        self.grid.scrollToBottom()

    def _text(self, row: int, column: int) -> str:
        item = self.grid.item(row, column)
        return item.text().strip() if item is not None else ""

    def grid_rows(self) -> list[dict[str, str]]:
        """The rows that differ from the rows in force (only those are proposed)."""
        out = []
        for r in range(self.grid.rowCount()):
            values = [self._text(r, c) for c in range(len(HEADERS))]
            if r < len(self.loaded) and values == self.loaded[r]:
                continue
            if not any(values):
                continue
            row = dict(zip(svc.GRID_FIELDS, values, strict=True))
            if row["agent"] == "本机构":
                row["agent"] = ""
            out.append(row)
        return out

    # ------------------------------------------------------------ pricing
    def run_grid(self) -> None:
        month = self.selected_month()
        if month is None:
            return
        try:
            records = svc.records_from_grid(self.grid_rows())
        except Exception as exc:  # noqa: BLE001 - UserError shown as is
            show_error(self, exc)
            return
        run_with_progress(self, f"{format_month(month)}政策试算",
                          lambda p, _c: svc.whatif_records(month, records, p), self.show_result,
                          cancellable=False)  # fmt: skip

    def run_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择拟调整的政策文件", "", "表格文件 (*.csv *.xlsx *.xls)")
        if path:
            self.run_path(Path(path))

    def run_path(self, path: Path) -> None:
        from app.io.whatif_file import whatif_file

        month = self.selected_month()
        if month is None:
            return
        run_with_progress(self, f"{format_month(month)}政策试算",
                          lambda p, _c: whatif_file(month, path, p), self.show_result,
                          cancellable=False)  # fmt: skip

    def show_result(self, result: svc.WhatIfResult) -> None:
        self.result = result
        self.model.set_rows(result.agents)
        changed = sum(1 for a in result.agents if a.diff)
        self.summary.setText(
            f"{format_month(result.month)}:{changed} 个代理实发有变化,合计 "
            f"<b>{format_money(sum(a.diff for a in result.agents))}</b>;本机构留存 现行 "
            f"<b>{format_money(result.current_margin)}</b> → 试算 <b>{format_money(result.proposed_margin)}</b>"
            f"(差额 <b>{format_money(result.margin_diff)}</b>)。未写入任何数据。"
        )  # fmt: skip
        self._chart(result)

    def _chart(self, result: svc.WhatIfResult) -> None:
        chart = self.chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        top = [a for a in result.agents if a.diff][:10]
        labels = [a.code for a in top] + ["本机构"]
        values = [a.diff / 100 for a in top] + [result.margin_diff / 100]  # yuan, for the axis only
        bars = QBarSet("差额")
        bars.setColor(QColor("#1e88e5"))
        for v in values:
            bars.append(v)
        series = QBarSeries()
        series.append(bars)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append(labels)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(x)
        y = QValueAxis()
        low, high = min([0.0, *values]), max([0.0, *values])
        y.setRange(low * 1.15 - (1 if low == high else 0), high * 1.15 + (1 if low == high else 0))
        y.applyNiceNumbers()
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(y)

    def export(self) -> None:
        if self.result is None:
            show_error(self, "请先试算")
            return
        export_view(self, self.table, f"政策试算_{self.result.month}")
