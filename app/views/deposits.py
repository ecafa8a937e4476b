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
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core import deposit_entries as desk
from app.core import deposits as svc
from app.core.errors import Changes, UserError
from app.core.money import format_money, format_month
from app.core.months import working_month
from app.core.terminals import products
from app.views.changes import announce
from app.views.page import Loader, Page
from app.views.table_model import Column, RowsModel, int_column, money_column
from app.views.widgets import DataTable, DateEdit, SearchBox, hint_label, title_label


def ledger_columns() -> list[Column]:
    return [
        Column("代理编号", "code", width=90),
        Column("代理名称", "name", width=90),
        int_column("机具数", "terminals", total=True),
        money_column("应交押金", "owed"),
        money_column("分润扣除", "deducted"),
        money_column("现金已交", "cash"),
        money_column("已退还", "refunded"),
        money_column("已没收", "forfeited"),
        money_column("仍持有", "held"),
    ]


def desk_columns() -> list[Column]:
    return [
        Column("收据编号", "receipt_no", width=120),
        Column("日期", "day", width=96),
        Column("操作", "kind_label", width=70, align="center"),
        Column("代理", lambda e: f"{e.agent_code} {e.agent_name}", width=130),
        Column("产品", "product", width=110),
        Column("机具SN", "sn", width=130),
        money_column("金额", "amount", width=100, total=False),  # 收 and 退 do not add up
        Column("方式", "method_label", width=80),
        Column("备注", "note"),
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
    last_receipt = None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loader = Loader(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        head = QHBoxLayout()
        head.addWidget(title_label("押金"))
        head.addWidget(hint_label("首次下发时按代理当日政策收取;激活且在押金期限内退还,丢失或超期没收。数据截至最近一次月结计算。"))
        head.addStretch(1)
        self.desk_buttons: dict[str, QPushButton] = {}
        for kind, label in desk.KINDS.items():
            btn = QPushButton(label)
            btn.clicked.connect(lambda _c=False, k=kind: self.desk_entry(k))
            head.addWidget(btn)
            self.desk_buttons[kind] = btn
        self.desk_buttons["receive"].setProperty("primary", True)
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
        desk_box = QWidget()
        dl = QVBoxLayout(desk_box)
        dl.setContentsMargins(0, 4, 0, 0)
        desk_bar = QHBoxLayout()
        self.desk_title = QLabel("柜台押金收付")
        self.desk_title.setObjectName("figure")
        desk_bar.addWidget(self.desk_title)
        desk_bar.addStretch(1)
        self.reprint_btn = QPushButton("打印收据")
        self.reprint_btn.clicked.connect(self.reprint)
        self.cancel_btn = QPushButton("撤销所选")
        self.cancel_btn.clicked.connect(self.cancel_entry)
        desk_bar.addWidget(self.reprint_btn)
        desk_bar.addWidget(self.cancel_btn)
        dl.addLayout(desk_bar)
        self.desk_model = RowsModel(desk_columns())
        self.desk_table = DataTable()
        self.desk_table.setModel(self.desk_model)
        dl.addWidget(self.desk_table)
        self.desk_figures = QLabel()
        self.desk_figures.setObjectName("summary")
        dl.addWidget(self.desk_figures)
        split.addWidget(desk_box)
        split.setSizes([360, 180, 200])
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
        def job():
            entries = desk.entries()
            month = entries[-1].month if entries else working_month()  # the latest entry's
            return (svc.ledger(pid, since, until), entries, desk.month_figures(month))

        self.loader.load(job, self._loaded)

    def _loaded(self, result) -> None:
        rows, entries, figures = result
        self.model.set_rows(rows)
        self.apply_filter()
        self.desk_model.set_rows(entries)
        self.desk_figures.setText(
            f"{format_month(figures.month)}:收押金 {format_money(figures.received)},"
            f"退押金 {format_money(figures.refunded)},没收 {format_money(figures.forfeited)}"
            f"({figures.entries} 笔);月末柜台在押现金 {format_money(figures.in_hand_at_end)}")

    # ------------------------------------------------------------ desk entries
    def desk_entry(self, kind: str) -> desk.Entry | None:
        """Open the 收押金 / 退押金 / 没收 dialog for the selected agent; print its receipt."""
        from app.views.deposit_desk import DepositEntryDialog, print_receipt
        from app.views.errors import show_error, show_info

        current = self.table.current_object()
        dialog = DepositEntryDialog(kind, current.code if current is not None else "", self)
        self._dialog = dialog  # for tests
        if not dialog.exec() or dialog.entry is None:
            return None
        entry = dialog.entry
        announce(Changes({"deposits"}, {entry.month}, f"{entry.kind_label} {entry.receipt_no}"))
        from app.views import undo

        undo.push(f"{entry.kind_label} {format_money(entry.amount)}(收据 {entry.receipt_no})",
                  lambda: desk.cancel(entry.id))
        try:
            path = print_receipt(entry)
        except OSError as exc:
            show_error(self, f"收据未能保存:{exc}")
        else:
            self.last_receipt = path
            show_info(self, f"已记入{entry.kind_label} {format_money(entry.amount)}"
                            f"(收据 {entry.receipt_no})。\n收据已保存:{path}")
            open_file(path)
        return entry

    def reprint(self) -> None:
        from app.views.deposit_desk import print_receipt
        from app.views.errors import show_error

        e = self.desk_table.current_object()
        if e is None:
            show_error(self, "请先在「柜台押金收付」中选中一笔")
            return
        self.last_receipt = print_receipt(e)
        open_file(self.last_receipt)

    def cancel_entry(self) -> None:
        from app.views.errors import confirm, show_error

        e = self.desk_table.current_object()
        if e is None:
            show_error(self, "请先在「柜台押金收付」中选中一笔")
            return
        if not confirm(self, f"撤销{e.kind_label} {format_money(e.amount)}(收据 {e.receipt_no})吗?"):
            return
        try:
            announce(desk.cancel(e.id))
        except UserError as exc:
            show_error(self, exc)

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


def open_file(path) -> None:
    """Show a written file with the system's viewer (not in tests: offscreen)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QApplication

    if QApplication.platformName() in ("offscreen", "minimal"):
        return
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
