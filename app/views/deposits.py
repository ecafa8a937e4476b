"""押金: the deposit ledger per agent — owed, deducted, paid in cash, refunded, forfeited,
still held — filterable by product, agent and allocation dates, with totals; double-click
an agent for its terminals one by one.  Figures are as of the last 月结 compute."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core import deposits as svc
from app.core.money import format_money
from app.core.terminals import products
from app.views.page import Loader, Page
from app.views.table_model import Column, RowsModel, int_column, money_column
from app.views.widgets import DataTable, DateEdit, SearchBox, hint_label, title_label


def ledger_columns() -> list[Column]:
    return [
        Column("代理编号", "code", width=90),
        Column("代理名称", "name", width=90),
        int_column("机具数", "terminals"),
        money_column("应交押金", "owed"),
        money_column("分润扣除", "deducted"),
        money_column("现金已交", "cash"),
        money_column("已退还", "refunded"),
        money_column("已没收", "forfeited"),
        money_column("仍持有", "held"),
    ]


def detail_columns() -> list[Column]:
    return [
        Column("终端SN", "sn", width=150),
        Column("产品", "product", width=70),
        money_column("押金", "amount", width=90),
        Column("方式", "method", width=80),
        Column("下发日期", "allocated_on", width=96),
        Column("状态", "state", width=70, align="center"),
        Column("退还/没收日期", "settled_on", width=110),
    ]


class DepositsPage(Page):
    nav_title = "押金"
    watches = frozenset({"deposits", "statements", "months", "terminals", "imports"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loader = Loader(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        head = QHBoxLayout()
        head.addWidget(title_label("押金"))
        head.addWidget(hint_label("首次下发时按代理当日政策收取;激活且在押金期限内退还,丢失或超期没收。数据截至最近一次月结计算。"))
        head.addStretch(1)
        outer.addLayout(head)
        bar = QHBoxLayout()
        self.search = SearchBox("搜索代理编号或名称 (Ctrl+F)")
        self.search.search.connect(lambda _t: self.apply_filter())
        self.product = QComboBox()
        self.product.currentIndexChanged.connect(lambda _i: self.refresh())
        self.use_dates = QCheckBox("下发日期")
        self.since = DateEdit(dt.date.today().replace(day=1))
        self.until = DateEdit(dt.date.today())
        self.since.setEnabled(False)
        self.until.setEnabled(False)
        self.use_dates.toggled.connect(self.since.setEnabled)
        self.use_dates.toggled.connect(self.until.setEnabled)
        self.use_dates.toggled.connect(lambda _c: self.refresh())
        self.since.dateChanged.connect(self._dates_changed)
        self.until.dateChanged.connect(self._dates_changed)
        self.only_held = QCheckBox("只看仍持有押金的")
        self.only_held.toggled.connect(lambda _c: self.apply_filter())
        bar.addWidget(self.search, 2)
        bar.addWidget(self.product)
        bar.addWidget(self.use_dates)
        bar.addWidget(self.since)
        bar.addWidget(QLabel("至"))
        bar.addWidget(self.until)
        bar.addWidget(self.only_held)
        bar.addStretch(1)
        outer.addLayout(bar)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = RowsModel(ledger_columns())
        self.table = DataTable()
        self.table.setModel(self.model)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self.show_details())
        split.addWidget(self.table)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 4, 0, 0)
        self.detail_title = QLabel("明细")
        self.detail_title.setObjectName("figure")
        bl.addWidget(self.detail_title)
        self.detail_model = RowsModel(detail_columns())
        self.details = DataTable()
        self.details.setModel(self.detail_model)
        bl.addWidget(self.details)
        split.addWidget(bottom)
        split.setSizes([440, 220])
        outer.addWidget(split, 1)
        self.totals = QLabel()
        self.totals.setObjectName("summary")
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(self.totals)
        self._fill_products()
        self.refresh()

    def _fill_products(self) -> None:
        keep = self.product.currentData()
        self.product.blockSignals(True)
        self.product.clear()
        self.product.addItem("全部产品", None)
        for pid, code, name in products():
            self.product.addItem(f"{code} {name}", pid)
        self.product.setCurrentIndex(max(self.product.findData(keep), 0))
        self.product.blockSignals(False)

    def _dates_changed(self, _date: object) -> None:
        if self.use_dates.isChecked():
            self.refresh()

    def refresh(self) -> None:
        pid = self.product.currentData()
        since = self.since.date_value() if self.use_dates.isChecked() else None
        until = self.until.date_value() if self.use_dates.isChecked() else None
        self.loader.load(lambda: svc.ledger(pid, since, until), self._loaded)

    def _loaded(self, rows) -> None:
        self.model.set_rows(rows)
        self.apply_filter()

    def apply_filter(self) -> None:
        text = self.search.text().strip().lower()
        held = self.only_held.isChecked()

        def accept(r: svc.LedgerRow) -> bool:
            if held and r.held <= 0:
                return False
            return not text or text in f"{r.code} {r.name}".lower()

        self.model.set_filter(accept if (text or held) else None)
        t = svc.totals(self.model.shown_rows())
        self.totals.setText(
            f"<b>合计</b>({len(self.model.shown_rows())} 个代理,{t.terminals:,} 台):"
            f"应交 <b>{format_money(t.owed)}</b> = 分润扣除 {format_money(t.deducted)} + 现金 {format_money(t.cash)};"
            f"已退还 {format_money(t.refunded)},已没收 {format_money(t.forfeited)},"
            f"仍持有 <b>{format_money(t.held)}</b>"
        )

    def show_details(self) -> None:
        r = self.table.current_object()
        if r is None:
            self.detail_model.set_rows([])
            self.detail_title.setText("明细")
            return
        self.detail_model.set_rows(svc.deposit_details(r.agent_id, self.product.currentData()))
        self.detail_title.setText(f"明细 · {r.code} {r.name}")

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def prepare_screenshot(self) -> None:
        if self.model.rowCount():
            self.table.selectRow(0)
