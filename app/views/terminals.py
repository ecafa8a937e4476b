"""机具: every terminal in one table that stays smooth at 100,000 rows (RowsModel sorts and
filters in Python lists; the view only asks for visible cells), filters by SN / status /
holder / product, and the moves — 入库, 下发, 调拨, 回拨, 丢失, 退货 — on the selection, an
SN range (起止号段) or a pasted / scanned list, always previewed (who holds it now, who
after, the deposit each agent will owe) before anything is written."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import terminals as svc
from app.core.errors import UserError
from app.core.money import format_money
from app.core.ownership import ACTION_LABELS, STATUS_LABELS
from app.views.changes import announce
from app.views.errors import show_error
from app.views.page import Loader, Page
from app.views.table_model import Column, RowsModel, money_column
from app.views.widgets import DataTable, DateEdit, SearchBox, hint_label, title_label
from app.views.workers import run_with_progress

STOCK = -1  # the holder filter's "本机构库存"
FIRST_ROWS = 200  # rows shown at once while the rest loads


def terminal_columns() -> list[Column]:
    return [
        Column("终端SN", 1, width=150),
        Column("产品", 3, width=70),
        Column("状态", lambda r: STATUS_LABELS.get(r[4], r[4]), width=64, align="center"),
        Column("持有人", 6, width=150),
        Column("入库日期", 7, width=96),
        Column("激活日期", 8, width=96),
        Column("商户", 9, width=160),
    ]


def history_columns() -> list[Column]:
    return [
        Column("日期", "date", width=96),
        Column("动作", "action", width=60, align="center"),
        Column("从", "from_agent", width=140),
        Column("到", "to_agent", width=140),
        Column("押金方式", "deposit_method", width=80),
        Column("操作员", "operator", width=70),
        Column("来源", "source", width=100),
        Column("记录时间", "created", width=150),
    ]


def preview_columns() -> list[Column]:
    return [
        Column("终端SN", "sn", width=150),
        Column("当前", "current", width=150),
        Column("操作后", "after", width=150),
        money_column("应交押金", "deposit", width=90),
        Column("押金代理", "deposit_agent", width=130),
        Column("问题", "error", width=420),
    ]


def fill_agents(combo: QComboBox, with_stock: bool = False, with_all: bool = False) -> None:
    from app.core.agents import agent_tree

    combo.clear()
    if with_all:
        combo.addItem("全部持有人", None)
    if with_stock:
        combo.addItem("本机构库存", STOCK)
    for n in agent_tree():
        combo.addItem(f"{n.code} {n.name}", n.id)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = combo.completer()
    if completer is not None:
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(completer.CompletionMode.PopupCompletion)


def combo_value(combo: QComboBox):
    i = combo.findText(combo.currentText())
    return combo.itemData(i) if i >= 0 else None


class SnSource(QTabWidget):
    """Which terminals: the selection, an SN range, or a pasted / scanned list."""

    def __init__(self, selected: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.selected = selected
        sel = QWidget()
        sl = QVBoxLayout(sel)
        sl.addWidget(QLabel(f"表格中选中的 {len(selected)} 台机具"
                            + (f":{selected[0]} … {selected[-1]}" if len(selected) > 1 else
                               f":{selected[0]}" if selected else "")))
        sl.addStretch(1)
        self.addTab(sel, f"所选({len(selected)})")
        rng = QWidget()
        rl = QFormLayout(rng)
        self.first = QLineEdit()
        self.first.setPlaceholderText("例如 LKL00001")
        self.last = QLineEdit()
        self.last.setPlaceholderText("例如 LKL00500")
        self.range_count = QLabel()
        self.range_count.setObjectName("hint")
        self.first.textChanged.connect(self._count_range)
        self.last.textChanged.connect(self._count_range)
        rl.addRow("起始SN", self.first)
        rl.addRow("结束SN", self.last)
        rl.addRow("", self.range_count)
        self.addTab(rng, "号段")
        lst = QWidget()
        ll = QVBoxLayout(lst)
        self.scan = QLineEdit()
        self.scan.setPlaceholderText("扫码枪扫描到这里(每扫一台自动回车加入清单)")
        self.scan.returnPressed.connect(self._scanned)
        self.list = QPlainTextEdit()
        self.list.setPlaceholderText("或粘贴SN清单:每行一个,也可写 LKL00001~LKL00100")
        self.list_count = QLabel()
        self.list_count.setObjectName("hint")
        self.list.textChanged.connect(self._count_list)
        ll.addWidget(self.scan)
        ll.addWidget(self.list, 1)
        ll.addWidget(self.list_count)
        self.addTab(lst, "清单 / 扫码")
        self.setCurrentIndex(0 if selected else 1)

    def _count_range(self) -> None:
        try:
            n = len(svc.expand_sn_range(self.first.text(), self.last.text()))
            self.range_count.setText(f"共 {n:,} 台")
        except UserError as exc:
            self.range_count.setText(exc.message if self.first.text() and self.last.text() else "")

    def _scanned(self) -> None:
        sn = self.scan.text().strip()
        self.scan.clear()
        if not sn:
            return
        existing = svc.parse_sn_list(self.list.toPlainText())
        if sn in existing:
            self.list_count.setText(f"{sn} 已在清单中(共 {len(existing)} 台)")
            return
        self.list.appendPlainText(sn)

    def _count_list(self) -> None:
        try:
            self.list_count.setText(f"清单共 {len(svc.parse_sn_list(self.list.toPlainText())):,} 台")
        except UserError as exc:
            self.list_count.setText(exc.message)

    def sns(self) -> list[str]:
        i = self.currentIndex()
        if i == 0:
            return list(self.selected)
        if i == 1:
            return svc.expand_sn_range(self.first.text(), self.last.text())
        return svc.parse_sn_list(self.list.toPlainText())


class MoveDialog(QDialog):
    """One move on many terminals: pick them, preview, confirm."""

    def __init__(self, action: str, selected: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.action = action
        self.applied = False
        label = ACTION_LABELS[action]
        self.setWindowTitle(f"{label}机具")
        self.resize(980, 640)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.source = SnSource(selected)
        self.source.setMaximumHeight(180)
        top.addWidget(self.source, 3)
        form = QFormLayout()
        self.day = DateEdit(dt.date.today())
        form.addRow("日期", self.day)
        self.agent = QComboBox()
        self.method = QComboBox()
        if action in ("allocate", "transfer"):
            fill_agents(self.agent)
            self.agent.setCurrentIndex(-1)
            self.agent.setMinimumWidth(220)
            form.addRow("下发给" if action == "allocate" else "调拨给", self.agent)
        if action == "allocate":
            self.method.addItem("从分润中扣除", "deduct")
            self.method.addItem("现金已收", "cash")
            form.addRow("押金方式", self.method)
        top.addLayout(form, 2)
        layout.addLayout(top)
        row = QHBoxLayout()
        self.preview_button = QPushButton("预览")
        self.preview_button.setProperty("primary", True)
        self.preview_button.clicked.connect(self.preview)
        row.addWidget(self.preview_button)
        self.summary = QLabel("先预览将要发生的变化,确认后才写入。")
        self.summary.setObjectName("hint")
        self.summary.setWordWrap(True)
        row.addWidget(self.summary, 1)
        layout.addLayout(row)
        self.model = RowsModel(preview_columns())
        self.table = DataTable()
        self.table.setModel(self.model)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(f"确认{label}", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setEnabled(False)
        cancel = buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        self.ok.clicked.connect(self.apply)
        cancel.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.requests: list[svc.MoveRequest] = []

    def build_requests(self) -> list[svc.MoveRequest]:
        agent = combo_value(self.agent) if self.action in ("allocate", "transfer") else None
        method = self.method.currentData() if self.action == "allocate" else "deduct"
        return svc.make_requests(self.source.sns(), self.action, self.day.date_value(), agent, method or "deduct")

    def preview(self) -> None:
        try:
            self.requests = self.build_requests()
            rows = svc.preview_moves(self.requests)
        except UserError as exc:
            show_error(self, exc)
            return
        rows.sort(key=lambda r: (not r.error, r.sn))
        self.model.set_rows(rows)
        bad = sum(1 for r in rows if r.error and r.error != "已有相同记录,跳过")
        skipped = sum(1 for r in rows if r.error == "已有相同记录,跳过")
        owed = svc.deposit_totals(rows)
        parts = [f"共 {len(rows):,} 台"]
        if bad:
            parts.append(f"<span style='color:#c0392b'>{bad} 台不能{ACTION_LABELS[self.action]}(见“问题”列,须先处理)</span>")
        if skipped:
            parts.append(f"{skipped} 台已有相同记录将跳过")
        for agent, (n, fen) in owed.items():
            parts.append(f"{agent} 应交押金 {n} 台 共 {format_money(fen)}")
        self.summary.setText(";".join(parts))
        self.ok.setEnabled(bad == 0 and len(rows) > skipped)

    def apply(self) -> None:
        requests = self.requests

        def job(progress, _cancel):
            progress(10, f"正在写入 {len(requests):,} 台机具……")
            return svc.apply_moves(requests)

        def done(changes) -> None:
            self.applied = True
            self.result_message = changes.message
            announce(changes)
            if changes.batch_id is not None:
                from app.core.imports import undo_batch
                from app.views import undo

                batch = changes.batch_id
                undo.push(changes.message.removeprefix("已"), lambda: undo_batch(batch))
            self.accept()

        run_with_progress(self, f"{ACTION_LABELS[self.action]}机具", job, on_done=done, cancellable=False)


class StockInDialog(QDialog):
    """入库: new terminals of one product received on a day."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("机具入库")
        self.resize(620, 420)
        self.applied = False
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.product = QComboBox()
        for pid, code, name in svc.products():
            self.product.addItem(f"{code} {name}", pid)
        self.day = DateEdit(dt.date.today())
        form.addRow("产品", self.product)
        form.addRow("入库日期", self.day)
        layout.addLayout(form)
        self.source = SnSource([])
        self.source.removeTab(0)
        self.source.setCurrentIndex(0)
        layout.addWidget(self.source, 1)
        buttons = QDialogButtonBox()
        ok = buttons.addButton("入库", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole).clicked.connect(self.reject)
        ok.clicked.connect(self.save)
        layout.addWidget(buttons)

    def sns(self) -> list[str]:
        i = self.source.currentIndex()
        if i == 0:
            return svc.expand_sn_range(self.source.first.text(), self.source.last.text())
        return svc.parse_sn_list(self.source.list.toPlainText())

    def save(self) -> None:
        try:
            changes = svc.stock_in(self.sns(), self.product.currentData(), self.day.date_value())
        except UserError as exc:
            show_error(self, exc)
            return
        self.applied = True
        announce(changes)
        self.accept()


class TerminalsPage(Page):
    nav_title = "机具"
    watches = frozenset({"terminals", "agents", "imports", "transactions"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loader = Loader(self)
        self.complete = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        head = QHBoxLayout()
        head.addWidget(title_label("机具"))
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        head.addWidget(self.count_label)
        head.addStretch(1)
        outer.addLayout(head)

        bar = QHBoxLayout()
        self.search = SearchBox("SN(前缀或任意一段,Ctrl+F)", delay_ms=120)
        self.search.search.connect(lambda _t: self.apply_filter())
        self.status = QComboBox()
        self.status.addItem("全部状态", None)
        for key, label in STATUS_LABELS.items():
            self.status.addItem(label, key)
        self.status.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.holder = QComboBox()
        self.holder.setMinimumWidth(170)
        self.holder.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.product = QComboBox()
        self.product.currentIndexChanged.connect(lambda _i: self.apply_filter())
        bar.addWidget(self.search, 2)
        bar.addWidget(self.status)
        bar.addWidget(self.holder, 1)
        bar.addWidget(self.product)
        outer.addLayout(bar)

        actions = QHBoxLayout()
        stock = QPushButton("入库")
        stock.clicked.connect(self.stock_in)
        actions.addWidget(stock)
        self.action_buttons: dict[str, QPushButton] = {}
        for action in svc.MOVE_ACTIONS:
            b = QPushButton(ACTION_LABELS[action])
            b.clicked.connect(lambda _c=False, a=action: self.open_move(a))
            self.action_buttons[action] = b
            actions.addWidget(b)
        self.action_buttons["allocate"].setProperty("primary", True)
        actions.addWidget(hint_label("对所选、号段或扫码清单操作;写入前先预览。Ctrl+C 复制所选行到Excel。"))
        actions.addStretch(1)
        outer.addLayout(actions)

        split = QSplitter(Qt.Orientation.Vertical)
        self.model = RowsModel(terminal_columns())
        self.table = DataTable()
        self.table.setModel(self.model)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self.show_history())
        split.addWidget(self.table)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 4, 0, 0)
        self.history_title = QLabel("流转记录")
        self.history_title.setObjectName("figure")
        bl.addWidget(self.history_title)
        self.history_model = RowsModel(history_columns())
        self.history = DataTable(multi=False)
        self.history.setModel(self.history_model)
        bl.addWidget(self.history)
        split.addWidget(bottom)
        split.setSizes([520, 200])
        outer.addWidget(split, 1)
        self._fill_filters()
        self.refresh()

    # ------------------------------------------------------------ data
    def _fill_filters(self) -> None:
        keep_holder, keep_product = self.holder.currentData(), self.product.currentData()
        for combo in (self.holder, self.product):
            combo.blockSignals(True)
        fill_agents(self.holder, with_stock=True, with_all=True)
        self.product.clear()
        self.product.addItem("全部产品", None)
        for pid, code, name in svc.products():
            self.product.addItem(f"{code} {name}", pid)
        self.holder.setCurrentIndex(max(self.holder.findData(keep_holder), 0))
        self.product.setCurrentIndex(max(self.product.findData(keep_product), 0))
        for combo in (self.holder, self.product):
            combo.blockSignals(False)

    def refresh(self) -> None:
        self._fill_filters()
        if self.model.total_count() == 0:
            # the first screenful at once (milliseconds), everything else in the background
            self._loaded(svc.terminal_rows(limit=FIRST_ROWS), complete=False)
        self.count_label.setText("正在加载全部机具……")
        self.loader.load(svc.terminal_rows, self._loaded)

    def _loaded(self, rows: list, complete: bool = True) -> None:
        self.complete = complete
        self.model.set_rows(rows)
        self.apply_filter()

    def apply_filter(self) -> None:
        text = self.search.text().strip().upper()
        status = self.status.currentData()
        holder = combo_value(self.holder)
        product = self.product.currentData()
        tests = []
        if text:
            tests.append(lambda r: text in r[1])
        if text and len(tests) == 1 and status is None and holder is None and product is None:
            # the common case, typing an SN: one pass over the SN strings, no call per row
            self.model.set_filter(tests[0], [r for r in self.model.ordered_rows() if text in r[1]])
            self._count()
            return
        if status is not None:
            tests.append(lambda r: r[4] == status)
        if holder == STOCK:
            tests.append(lambda r: r[4] == "in_stock")
        elif holder is not None:
            tests.append(lambda r: r[5] == holder)
        if product is not None:
            tests.append(lambda r: r[2] == product)
        if not tests:
            self.model.set_filter(None)
        elif len(tests) == 1:
            self.model.set_filter(tests[0])
        else:
            self.model.set_filter(lambda r: all(t(r) for t in tests))
        self._count()

    def _count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total_count()
        more = "" if self.complete else "(正在加载全部……)"
        self.count_label.setText(f"共 {total:,} 台{more}" + (f",筛选出 {shown:,} 台" if shown != total else ""))

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def new_item(self) -> None:
        self.stock_in()

    def selected_sns(self) -> list[str]:
        return [r[1] for r in self.table.selected_objects()]

    def show_history(self) -> None:
        r = self.table.current_object()
        if r is None:
            self.history_model.set_rows([])
            self.history_title.setText("流转记录")
            return
        try:
            rows = svc.terminal_history(r[1])
        except UserError:
            rows = []
        self.history_model.set_rows(rows)
        self.history_title.setText(f"流转记录 · {r[1]}({r[3]},{STATUS_LABELS.get(r[4], r[4])}"
                                   + (f",{r[6]}" if r[6] else "") + ")")

    # ------------------------------------------------------------ actions
    def open_move(self, action: str) -> MoveDialog:
        dialog = MoveDialog(action, self.selected_sns(), self)
        dialog.open()
        return dialog

    def stock_in(self) -> StockInDialog:
        dialog = StockInDialog(self)
        dialog.open()
        return dialog

    def prepare_screenshot(self) -> None:
        """Select a terminal with some history, for the documentation's picture."""
        for row, r in enumerate(self.model.shown_rows()):
            if r.activated_on and r.merchant:
                self.table.selectRow(row)
                return
