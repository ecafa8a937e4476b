"""月结: the month close as a guided routine in six steps.

1 选择月份 → 2 检查 (readiness checks with counts, details and a link to the page that
fixes each) → 3 计算 (in the background, with progress and cancel) → 4 审核 (agent table
against last month, drill-down to the lines and the transactions behind them, 调账) →
5 锁定 (a confirmation that names the totals) → 6 打印 (slip preview, print one / selected
/ all through the system print dialog, PDFs and the payout list).

Everything the page shows comes from ``app.core.closing`` / ``settlement`` and
``app.io.slips``; the page runs no SQL.  Long work runs in an ``Operation``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import auth, closing, first_month, settlement, values
from app.core.errors import Changes, UserError
from app.core.money import ParseError, format_money, format_month
from app.views.changes import announce
from app.views.errors import confirm, show_error, show_info
from app.views.page import Page
from app.views.table_export import add_export_action, export_view
from app.views.table_model import Column, RowsModel, int_column, money_column
from app.views.widgets import DataTable, SearchBox, hint_label, title_label
from app.views.workers import Operation, run_with_progress

STEPS = ["选择月份", "检查", "计算", "审核", "锁定", "打印"]
MOVED_BRUSH = QBrush(QColor("#FFF3CD"))
HOLD_BRUSH = QBrush(QColor("#ECEFF1"))


def format_change(ppm: int | None) -> str:
    """+12.3% / −4.5% / 新增, exact integer arithmetic (tenths of a percent, half up)."""
    if ppm is None:
        return "新增"
    tenths = (abs(ppm) + 500) // 1000
    sign = "+" if ppm > 0 else "-" if ppm < 0 else ""
    return f"{sign}{tenths // 10}.{tenths % 10}%"


def _close_connection() -> None:
    """Worker threads keep a SQLite connection each; close it when the job is over."""
    from app.core.session import close_connection

    close_connection()


def background(fn: Callable[..., Any]) -> Callable[[Callable, Callable], Any]:
    """Wrap ``fn(progress)`` as an Operation job that honours cancel (by raising
    ``settlement.Cancelled`` from the progress callback, which rolls the work back)."""

    def job(progress, cancelled):
        def report(pct: int, text: str) -> None:
            if cancelled():
                raise settlement.Cancelled()
            progress(pct, text)

        try:
            return fn(report)
        except settlement.Cancelled:
            return _CANCELLED
        finally:
            _close_connection()

    return job


_CANCELLED = object()


# ------------------------------------------------------------------ small pieces


class InlineProgress(QWidget):
    """A progress bar with a status text and a cancel button, inside a step."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.text = QLabel()
        self.cancel_btn = QPushButton("取消")
        lay.addWidget(self.bar, 2)
        lay.addWidget(self.text, 3)
        lay.addWidget(self.cancel_btn)
        self.op: Operation | None = None
        self.cancel_btn.clicked.connect(self.cancel)
        self.setVisible(False)

    def run(self, job, on_done: Callable[[Any], None], on_error: Callable[[str], None] | None = None) -> Operation:
        self.setVisible(True)
        self.bar.setValue(0)
        self.text.setText("开始……")
        self.cancel_btn.setEnabled(True)
        op = Operation(job)
        op.title = "月结的检查或计算"
        self.op = op

        def done(result: object) -> None:
            self.setVisible(False)
            self.op = None
            on_done(result)

        def failed(message: str) -> None:
            self.setVisible(False)
            self.op = None
            if on_error is not None:
                on_error(message)
            else:
                show_error(self, message)

        op.signals.progress.connect(self._progress)
        op.signals.finished.connect(done)
        op.signals.failed.connect(failed)
        return op.start()

    def _progress(self, pct: int, text: str) -> None:
        self.bar.setValue(max(0, min(100, pct)))
        if text:
            self.text.setText(text)

    def cancel(self) -> None:
        if self.op is not None:
            self.op.cancel()
            self.text.setText("正在取消……")
            self.cancel_btn.setEnabled(False)

    @property
    def busy(self) -> bool:
        return self.op is not None


def money_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class TableDialog(QDialog):
    """A table of rows with a caption and 导出Excel — the details behind a number."""

    def __init__(self, title: str, caption: str, columns: list[Column], rows: list[Any],
                 parent: QWidget | None = None, export_name: str = ""):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(900, 520)
        lay = QVBoxLayout(self)
        self.caption = hint_label(caption)
        lay.addWidget(self.caption)
        self.model = RowsModel(columns, rows, self)
        self.table = DataTable(self)
        self.table.setModel(self.model)
        add_export_action(self.table, export_name or title)
        lay.addWidget(self.table, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        self.export_btn = self.buttons.addButton("导出Excel…", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_btn.clicked.connect(lambda: export_view(self, self.table, export_name or title))
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)


# ------------------------------------------------------------------ step 1: month


class MonthStep(QWidget):
    def __init__(self, page: MonthClosePage):
        super().__init__(page)
        self.page = page
        lay = QVBoxLayout(self)
        lay.addWidget(title_label("第一步:选择要月结的月份"))
        row = QHBoxLayout()
        row.addWidget(QLabel("月份:"))
        self.combo = QComboBox()
        self.combo.setMinimumWidth(240)
        row.addWidget(self.combo)
        row.addStretch(1)
        lay.addLayout(row)
        self.state = QLabel()
        self.state.setObjectName("stepInfo")
        self.state.setWordWrap(True)
        lay.addWidget(self.state)
        lay.addWidget(
            hint_label(
                "每月月结的流程:\n"
                "1. 检查:交易是否导全、机具是否都有归属、代理是否都有政策、疑似重复交易、之前月份是否已锁定;\n"
                "2. 计算:在后台计算全部分润单,可随时取消;\n"
                "3. 审核:逐个代理核对,与上月对比,变动大的代理高亮;可查看每一行背后的交易,并在此调账;\n"
                "4. 锁定:锁定后本月数字不再变化,迟到的交易和调账计入下一个未锁定的月份;\n"
                "5. 打印:预览、打印分润单,导出PDF和打款清单。"
            )
        )
        lay.addStretch(1)
        self.combo.currentIndexChanged.connect(self._changed)

    def load(self) -> None:
        choices, default = closing.month_choices()
        keep = self.page.month or default
        self.combo.blockSignals(True)
        self.combo.clear()
        for c in choices:
            self.combo.addItem(c.label, c.month)
        i = self.combo.findData(keep)
        self.combo.setCurrentIndex(i if i >= 0 else self.combo.count() - 1)
        self.combo.blockSignals(False)
        self._changed()

    def _changed(self) -> None:
        month = self.combo.currentData()
        if not month:
            return
        self.page.set_month(month)
        t = closing.month_totals(month)
        if t.state == "locked":
            text = (f"{format_month(month)}已锁定:{t.statements} 张分润单,实发合计 "
                    f"{format_money(t.payable)}。可以查看和打印,不能再修改。")
        elif t.computed_at:
            text = (f"{format_month(month)}已计算({t.computed_at}),尚未锁定:{t.statements} 张分润单,"
                    f"实发合计 {format_money(t.payable)}。")
        else:
            text = f"{format_month(month)}尚未计算。"
        self.state.setText(text)

    def enter(self) -> None:
        self.load()


# ------------------------------------------------------------------ step 2: checks


class CheckCard(QFrame):
    def __init__(self, step: ChecksStep, check: closing.Check):
        super().__init__(step)
        self.check = check
        self.setObjectName("checkCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QHBoxLayout(self)
        mark = "✔" if check.ok else ("✖" if check.blocking else "!")
        color = "#2e7d32" if check.ok else ("#c62828" if check.blocking else "#ef6c00")
        icon = QLabel(mark)
        icon.setFixedWidth(28)
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        icon.setStyleSheet(f"color:{color}; font-size:18px; font-weight:bold;")
        lay.addWidget(icon)
        text = QVBoxLayout()
        name = QLabel(f"<b>{check.name}</b>" + ("" if check.ok else f"  <span style='color:{color}'>{check.count}</span>"))
        text.addWidget(name)
        summary = QLabel(check.summary)
        summary.setWordWrap(True)
        text.addWidget(summary)
        lay.addLayout(text, 1)
        self.detail_btn = QPushButton("查看明细")
        self.detail_btn.setEnabled(bool(check.rows))
        self.detail_btn.clicked.connect(lambda: step.show_detail(check))
        lay.addWidget(self.detail_btn)
        self.go_btn = QPushButton(f"去「{check.link}」处理")
        self.go_btn.setVisible(bool(check.link) and not check.ok and check.link != "月结")
        self.go_btn.clicked.connect(lambda: step.page.navigate(check.link))
        lay.addWidget(self.go_btn)
        self.repair_btn = QPushButton(check.repair)
        self.repair_btn.setVisible(bool(check.repair) and not check.ok)
        self.repair_btn.clicked.connect(step.repair)
        lay.addWidget(self.repair_btn)


class ChecksStep(QWidget):
    def __init__(self, page: MonthClosePage):
        super().__init__(page)
        self.page = page
        self.checks: list[closing.Check] = []
        lay = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title = title_label("第二步:月结前检查")
        head.addWidget(self.title)
        head.addStretch(1)
        self.rerun = QPushButton("重新检查")
        self.rerun.clicked.connect(self.run)
        head.addWidget(self.rerun)
        lay.addLayout(head)
        self.progress = InlineProgress(self)
        lay.addWidget(self.progress)
        self.cards = QVBoxLayout()
        lay.addLayout(self.cards)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        lay.addWidget(self.verdict)
        lay.addStretch(1)

    def enter(self) -> None:
        self.title.setText(f"第二步:{format_month(self.page.month)} 月结前检查")
        if not self.checks or self.checks_month != self.page.month:
            self.run()

    checks_month = ""

    def run(self) -> None:
        if self.progress.busy:
            return
        month = self.page.month
        self._clear()
        self.verdict.setText("")
        self.page.update_buttons()
        self.progress.run(
            background(lambda report: closing.readiness_checks(month, progress=report)),
            lambda result: self._done(month, result),
        )
        self.page.update_buttons()

    def _clear(self) -> None:
        self.checks = []
        while self.cards.count():
            item = self.cards.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()

    def _done(self, month: str, result: object) -> None:
        if result is _CANCELLED or not isinstance(result, list):
            self.verdict.setText("检查已取消。")
            self.page.update_buttons()
            return
        self.checks = result
        self.checks_month = month
        for check in result:
            self.cards.addWidget(CheckCard(self, check))
        blocking = [c for c in result if c.blocking and not c.ok]
        warnings = [c for c in result if not c.blocking and not c.ok]
        if blocking:
            text = "<span style='color:#c62828'>有必须先处理的问题:" + ";".join(c.summary for c in blocking) + "。可以先计算和审核,但不能锁定。</span>"
        elif warnings:
            text = f"<span style='color:#ef6c00'>{len(warnings)} 项提醒,请确认无误后继续。</span>"
        else:
            text = "<span style='color:#2e7d32'>全部检查通过,可以计算。</span>"
        self.verdict.setText(text)
        self.page.update_buttons()

    def repair(self) -> None:
        """The one-click repair of a check (derived tables rebuilt), then check again."""
        if self.progress.busy:
            return

        def done(result: object) -> None:
            if isinstance(result, Changes):
                announce(result)
            self.run()

        self.progress.run(background(lambda _report: closing.repair_derived()), done)

    def show_detail(self, check: closing.Check) -> None:
        headers = [h for h in check.headers if not h.startswith("_")]
        columns = [Column(h, i, width=110 if i < len(headers) - 1 else 0) for i, h in enumerate(headers)]
        dialog = TableDialog(check.name, check.summary, columns, check.rows, self,
                             export_name=f"{self.page.month}_{check.name}")
        if check.key == "duplicates":
            btn = dialog.buttons.addButton("标记为已核对(确属不同交易)", QDialogButtonBox.ButtonRole.ActionRole)

            def mark() -> None:
                picked = dialog.table.selected_objects() or check.rows
                keys = [row[-1] for row in picked]
                try:
                    changes = closing.mark_duplicates_reviewed(self.page.month, keys)
                except UserError as exc:
                    show_error(dialog, exc)
                    return
                announce(changes)
                dialog.accept()
                self.run()

            btn.clicked.connect(mark)
        self.page.dialog = dialog
        dialog.open()

    @property
    def busy(self) -> bool:
        return self.progress.busy


# ------------------------------------------------------------------ step 3: compute


class ComputeStep(QWidget):
    def __init__(self, page: MonthClosePage):
        super().__init__(page)
        self.page = page
        lay = QVBoxLayout(self)
        self._shown_month = ""
        self.title = title_label("第三步:计算分润")
        lay.addWidget(self.title)
        self.info = QLabel()
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        row = QHBoxLayout()
        self.compute_btn = QPushButton("开始计算")
        self.compute_btn.setObjectName("primary")
        self.compute_btn.clicked.connect(self.run)
        row.addWidget(self.compute_btn)
        row.addStretch(1)
        lay.addLayout(row)
        self.progress = InlineProgress(self)
        lay.addWidget(self.progress)
        self.result = QLabel()
        self.result.setWordWrap(True)
        lay.addWidget(self.result)
        lay.addWidget(hint_label(
            "计算可以重复进行:数据不变,结果就不变。之前尚未锁定、且有数据的月份会先一并重算"
            "(结转需要它们)。计算过程中可以取消,取消后数据库保持原样。", wrap=True))
        lay.addStretch(1)

    def enter(self) -> None:
        month = self.page.month
        self.title.setText(f"第三步:计算 {format_month(month)} 分润")
        t = closing.month_totals(month)
        self.compute_btn.setEnabled(t.state != "locked")
        if t.state == "locked":
            self.info.setText("本月已锁定,不能重新计算。可直接进入审核和打印。")
        elif t.computed_at:
            self.info.setText(f"上次计算于 {t.computed_at}。导入新数据或调账后请重新计算。")
        else:
            self.info.setText("本月尚未计算,请点击「开始计算」。")
        if self._shown_month != month:
            self.result.setText("")
        self._shown_month = month

    def run(self) -> None:
        if self.progress.busy:
            return
        month = self.page.month
        self.compute_btn.setEnabled(False)
        self.result.setText("")
        self.progress.run(
            background(lambda report: settlement.compute_month(month, report)),
            lambda r: self._done(month, r),
            self._failed,
        )
        self.page.update_buttons()

    def _done(self, month: str, result: object) -> None:
        self.compute_btn.setEnabled(True)
        if result is _CANCELLED or not isinstance(result, settlement.ComputeResult):
            self.result.setText("计算已取消,数据库未改变。")
        else:
            done = "、".join(format_month(m) for m in result.months)
            self.result.setText(
                f"<span style='color:#2e7d32'>已计算 {done}。{format_month(month)}共 "
                f"{result.statements} 张分润单,实发合计 {format_money(result.payable)}。</span>")
            announce(Changes({"statements", "months"}, set(result.months), "已计算"))
        self.enter()
        self.page.update_buttons()

    def _failed(self, message: str) -> None:
        self.compute_btn.setEnabled(True)
        self.result.setText(f"<span style='color:#c62828'>计算失败:{message}</span>")
        self.page.update_buttons()
        show_error(self, message)

    @property
    def busy(self) -> bool:
        return self.progress.busy


# ------------------------------------------------------------------ step 4: review


class ReviewModel(RowsModel):
    """Agent rows; a payable that moved more than the threshold is highlighted."""

    threshold = 30

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid():
            row = self.row_at(index.row())
            if row.moved(self.threshold):
                return MOVED_BRUSH
            if row.on_hold:
                return HOLD_BRUSH
            return None
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():
            row = self.row_at(index.row())
            if row.moved(self.threshold):
                return f"实发较上月变动超过 {self.threshold}%:{format_money(row.last_payable)} → {format_money(row.payable)}"
        return super().data(index, role)


def review_columns() -> list[Column]:
    return [
        Column("代理编号", "code", width=90),
        Column("代理名称", "name", width=90),
        money_column("合计", "gross"),
        money_column("税", "tax", width=90),
        money_column("实发", "payable"),
        money_column("结转下月", "carried"),
        Column("停发", "on_hold", fmt=lambda v: "停发" if v else "", width=50, align="center"),
        Column("上级代发", "paid_by", width=80),
        money_column("上月实发", "last_payable"),
        Column("较上月", "change_ppm", fmt=format_change, align="right", width=80,
               sort_key=lambda v: (v is None, v or 0)),
    ]


def line_columns() -> list[Column]:
    return [
        Column("产品", "product_code", width=60),
        Column("产品名称", "product_name", width=100),
        Column("项目", "label", width=120),
        int_column("笔数", "count"),
        money_column("交易额", "volume", width=130),
        money_column("金额", "amount"),
        Column("说明", "note"),
    ]


def txn_columns() -> list[Column]:
    return [
        Column("交易流水号", "tx_id", width=150),
        Column("交易时间", "time", width=150),
        Column("终端SN", "sn", width=130),
        Column("商户号", "merchant_no", width=110),
        money_column("交易金额", "amount"),
        Column("状态", "status", fmt=lambda s: {"success": "成功", "refund": "退货"}.get(s, s), width=50),
        Column("当日持有人", "holder_code", width=90),
        money_column("本代理分润", "share", tooltip="逐笔四舍五入显示;分润单按合计一次四舍五入"),
    ]


class AdjustmentDialog(QDialog):
    """调账: agent, product, month, signed amount and a reason (required)."""

    def __init__(self, agent_code: str, agent_name: str, month: str, products: list[tuple[str, str]],
                 product: str = "", locked: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("调账")
        self.agent_code = agent_code
        self.month = month
        self.changes: Changes | None = None
        form = QFormLayout(self)
        form.addRow("代理:", QLabel(f"{agent_code} {agent_name}"))
        self.product = QComboBox()
        for code, name in products:
            self.product.addItem(f"{code} {name}", code)
        if product:
            i = self.product.findData(product)
            if i >= 0:
                self.product.setCurrentIndex(i)
        form.addRow("产品:", self.product)
        month_text = format_month(month)
        if locked:
            month_text += "(已锁定:将计入下一个未锁定的月份)"
        form.addRow("月份:", QLabel(month_text))
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("例如 100 或 -35.50(负数为扣款)")
        form.addRow("金额(元):", self.amount)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("必填,例如:机具款扣回 LKL2026000030")
        form.addRow("原因:", self.reason)
        self.echo = QLabel()
        self.echo.setWordWrap(True)
        form.addRow("", self.echo)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("记入调账")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.setMinimumWidth(480)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.amount.textChanged.connect(self._echo)
        self.reason.textChanged.connect(self._echo)
        self._echo()

    def _amount(self) -> int | None:
        try:
            return values.money(self.amount.text())
        except ParseError:
            return None

    def _echo(self) -> None:
        fen = self._amount()
        if not self.amount.text().strip():
            self.echo.setText("")
        elif fen is None:
            self.echo.setText("<span style='color:#c62828'>金额格式不对</span>")
        else:
            kind = "补发" if fen > 0 else "扣款"
            self.echo.setText(f"将为 {self.agent_code} 记入{kind} {format_money(fen)}")

    def save(self) -> None:
        fen = self._amount()
        if fen is None:
            show_error(self, "金额格式不对,请输入如 100 或 -35.50")
            return
        try:
            self.changes = closing.add_adjustment(
                self.agent_code, self.product.currentData(), self.month, fen, self.reason.text())
        except UserError as exc:
            show_error(self, exc)
            return
        self.accept()


class ReviewStep(QWidget):
    def __init__(self, page: MonthClosePage):
        super().__init__(page)
        self.page = page
        self.rows: list[closing.ReviewRow] = []
        lay = QVBoxLayout(self)
        self.title = title_label("第四步:审核")
        lay.addWidget(self.title)
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        lay.addWidget(self.totals)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("实发较上月变动超过"))
        self.threshold = QSpinBox()
        self.threshold.setRange(1, 1000)
        self.threshold.setValue(int(str(QSettings().value("close/threshold", 30) or 30)))
        self.threshold.setSuffix(" %")
        bar.addWidget(self.threshold)
        bar.addWidget(QLabel("的代理高亮"))
        self.only_moved = QCheckBox("只看变动大的")
        bar.addWidget(self.only_moved)
        self.moved_count = QLabel()
        bar.addWidget(self.moved_count)
        bar.addStretch(1)
        self.search = SearchBox("搜索代理编号或名称")
        bar.addWidget(self.search)
        self.export_btn = QPushButton("导出Excel…")
        bar.addWidget(self.export_btn)
        lay.addLayout(bar)

        split = QSplitter(Qt.Orientation.Vertical)
        self.model = ReviewModel(review_columns(), [], self)
        self.table = DataTable(self, multi=False)
        self.table.setModel(self.model)
        add_export_action(self.table, "月结审核")
        split.addWidget(self.table)

        lower = QWidget()
        low = QVBoxLayout(lower)
        low.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.lines_title = QLabel("选择上方代理查看其分润单明细")
        self.lines_title.setObjectName("sectionTitle")
        head.addWidget(self.lines_title)
        head.addStretch(1)
        self.drill_btn = QPushButton("查看明细…")
        self.drill_btn.setToolTip("该行背后的交易(交易分润)或机具(返现、达标、押金)")
        self.adjust_btn = QPushButton("调账…")
        self.lines_export = QPushButton("导出Excel…")
        head.addWidget(self.drill_btn)
        head.addWidget(self.adjust_btn)
        head.addWidget(self.lines_export)
        low.addLayout(head)
        self.lines_model = RowsModel(line_columns(), [], self)
        self.lines = DataTable(self, multi=False)
        self.lines.setModel(self.lines_model)
        add_export_action(self.lines, "分润单明细")
        low.addWidget(self.lines)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)
        self.progress = InlineProgress(self)
        lay.addWidget(self.progress)

        self.threshold.valueChanged.connect(self._threshold_changed)
        self.only_moved.toggled.connect(lambda _b: self._apply_filter())
        self.search.search.connect(lambda _t: self._apply_filter())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self.show_lines())
        self.lines.doubleClicked.connect(lambda _i: self.drill())
        self.lines.selectionModel().currentRowChanged.connect(lambda *_: self._update_line_buttons())
        self.drill_btn.clicked.connect(self.drill)
        self.adjust_btn.clicked.connect(self.adjust)
        self.export_btn.clicked.connect(lambda: export_view(self, self.table, f"{self.page.month}_月结审核"))
        self.lines_export.clicked.connect(
            lambda: export_view(self, self.lines, f"{self.page.month}_{self.current_code()}_分润单明细"))
        self._update_line_buttons()

    def enter(self) -> None:
        self.load()

    def load(self) -> None:
        month = self.page.month
        self.title.setText(f"第四步:审核 {format_month(month)} 分润单")
        keep = self.current_code()
        self.rows = closing.month_review(month)
        self.model.threshold = self.threshold.value()
        self.model.set_rows(self.rows)
        self._apply_filter()
        t = closing.month_totals(month)
        state = "已锁定" if t.state == "locked" else ("已计算" if t.computed_at else "未计算")
        self.totals.setText(
            f"<b>{format_month(month)}</b>({state}) 分润单 <b>{t.statements}</b> 张 · "
            f"合计 {format_money(t.gross)} · 税 {format_money(t.tax)} · "
            f"实发 <b>{format_money(t.payable)}</b>({t.paid_agents} 人)· "
            f"结转下月 {format_money(t.carried)} · 机构留存 {format_money(t.agency_margin)}")
        self.select_code(keep)

    def _threshold_changed(self, value: int) -> None:
        QSettings().setValue("close/threshold", value)
        self.model.threshold = value
        self._apply_filter()

    def _apply_filter(self) -> None:
        needle = self.search.text().strip().lower()
        only = self.only_moved.isChecked()
        th = self.threshold.value()

        def accept(r: closing.ReviewRow) -> bool:
            if only and not r.moved(th):
                return False
            return not needle or needle in r.code.lower() or needle in r.name.lower()

        self.model.set_filter(accept if (needle or only) else None)
        moved = sum(1 for r in self.rows if r.moved(th))
        self.moved_count.setText(f"({moved} 人变动超过 {th}%)")

    def current_code(self) -> str:
        row = self.table.current_object()
        return row.code if row is not None else ""

    def select_code(self, code: str) -> bool:
        for i, r in enumerate(self.model.shown_rows()):
            if r.code == code:
                self.table.selectRow(i)
                self.table.setCurrentIndex(self.model.index(i, 0))
                self.show_lines()
                return True
        self.show_lines()
        return False

    def show_lines(self) -> None:
        row = self.table.current_object()
        if row is None:
            self.lines_model.set_rows([])
            self.lines_title.setText("选择上方代理查看其分润单明细")
        else:
            self.lines_model.set_rows(closing.statement_lines(self.page.month, row.code))
            self.lines_title.setText(f"{row.code} {row.name} 的分润单明细(双击一行查看背后的交易)")
        self._update_line_buttons()

    def _update_line_buttons(self) -> None:
        line = self.lines.current_object()
        self.drill_btn.setEnabled(bool(line is not None and line.drillable))
        self.adjust_btn.setEnabled(self.table.current_object() is not None)

    def drill(self) -> TableDialog | None:
        row = self.table.current_object()
        line = self.lines.current_object()
        if row is None or line is None or not line.drillable:
            return None
        month = self.page.month
        try:
            if line.kind in ("credit", "debit", "scan"):
                txns = closing.transactions_behind(month, row.code, line.product_code, line.kind)
                caption = (f"{row.code} {row.name} · {line.product_code} {line.label}:"
                           f"{len(txns)} 笔,交易额 {format_money(sum(t.amount for t in txns))},"
                           f"分润 {format_money(line.amount)}(团队内当日持有的机具)")
                dialog = TableDialog("交易明细", caption, txn_columns(), txns, self,
                                     export_name=f"{month}_{row.code}_{line.product_code}_{line.kind}")
            else:
                items = closing.items_behind(month, row.code, line.product_code, line.kind)
                caption = (f"{row.code} {row.name} · {line.product_code} {line.label}:"
                           f"{len(items)} 台机具,合计 {format_money(sum(i.amount for i in items))}")
                cols = [Column("终端SN", "sn", width=160), Column("发生日期", "natural_date", width=110),
                        money_column("金额", "amount")]
                dialog = TableDialog("机具明细", caption, cols, items, self,
                                     export_name=f"{month}_{row.code}_{line.product_code}_{line.kind}")
        except UserError as exc:
            show_error(self, exc)
            return None
        self.page.dialog = dialog
        dialog.open()
        return dialog

    def adjust(self) -> AdjustmentDialog | None:
        row = self.table.current_object()
        if row is None:
            return None
        line = self.lines.current_object()
        locked = closing.month_totals(self.page.month).state == "locked"
        dialog = AdjustmentDialog(row.code, row.name, self.page.month, closing.product_list(),
                                  line.product_code if line is not None else "", locked, self)
        self.page.dialog = dialog
        dialog.accepted.connect(lambda: self._adjusted(dialog))
        dialog.open()
        return dialog

    def _adjusted(self, dialog: AdjustmentDialog) -> None:
        changes = dialog.changes
        if changes is None:
            return
        announce(changes)
        target = next(iter(changes.months)) if changes.months else self.page.month
        show_info(self, changes.message + f"\n正在重新计算 {format_month(target)}……", "已调账")
        month = target
        self.progress.run(
            background(lambda report: settlement.compute_month(month, report)),
            lambda r: self._recomputed(r),
        )

    def _recomputed(self, result: object) -> None:
        if isinstance(result, settlement.ComputeResult):
            announce(Changes({"statements"}, set(result.months), "已重新计算"))
        self.load()

    @property
    def busy(self) -> bool:
        return self.progress.busy


# ------------------------------------------------------------------ step 5: lock


class LockStep(QWidget):
    def __init__(self, page: MonthClosePage):
        super().__init__(page)
        self.page = page
        lay = QVBoxLayout(self)
        self.title = title_label("第五步:锁定")
        lay.addWidget(self.title)
        grid = QGridLayout()
        self.fields: dict[str, QLabel] = {}
        for i, (key, label) in enumerate([
            ("state", "状态"), ("statements", "分润单"), ("gross", "合计"), ("tax", "税"),
            ("payable", "实发合计"), ("carried", "结转下月"), ("margin", "机构留存"),
        ]):
            grid.addWidget(QLabel(label + ":"), i, 0)
            value = money_label()
            value.setObjectName("bigValue")
            grid.addWidget(value, i, 1)
            self.fields[key] = value
        grid.setColumnStretch(2, 1)
        lay.addLayout(grid)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        lay.addWidget(self.warnings)
        row = QHBoxLayout()
        self.lock_btn = QPushButton("锁定本月…")
        self.lock_btn.setObjectName("danger")
        self.lock_btn.clicked.connect(self.lock)
        row.addWidget(self.lock_btn)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(hint_label(
            "锁定后,本月的分润单、结转和机构留存不再变化,打印的分润单每次都一模一样。"
            "之后导入的本月交易、激活和调账,会自动计入下一个未锁定的月份。", wrap=True))
        lay.addStretch(1)
        self.op: Operation | None = None

    def enter(self) -> None:
        month = self.page.month
        self.title.setText(f"第五步:锁定 {format_month(month)}")
        t = closing.month_totals(month)
        state = {"locked": "已锁定", "open": "已计算,未锁定", "none": "未计算"}[t.state]
        if t.state == "open" and not t.computed_at:
            state = "未计算"
        self.fields["state"].setText(state)
        self.fields["statements"].setText(f"{t.statements} 张(实发 {t.paid_agents} 人)")
        self.fields["gross"].setText(format_money(t.gross))
        self.fields["tax"].setText(format_money(t.tax))
        self.fields["payable"].setText(format_money(t.payable))
        self.fields["carried"].setText(format_money(t.carried))
        self.fields["margin"].setText(format_money(t.agency_margin))
        notes = []
        blocked = ""
        if t.state == "locked":
            blocked = "本月已锁定。"
        elif not t.computed_at:
            blocked = "本月尚未计算,请先在第三步计算。"
        else:
            before = closing.open_months_before(month)
            if before:
                blocked = f"{'、'.join(format_month(m) for m in before)}尚未锁定,请先锁定之前的月份。"
        if not blocked and not auth.can("lock"):  # the service refuses it too
            user = auth.current()
            blocked = f"当前用户“{user.name}”({user.role_label})无权锁定月份,请由财务或管理员锁定。"
        checks = self.page.checks_step.checks if self.page.checks_step.checks_month == month else []
        for c in checks:
            if not c.ok and not c.blocking:
                notes.append(f"· {c.name}:{c.summary}")
        text = ""
        if blocked:
            text += f"<p style='color:#c62828'><b>{blocked}</b></p>"
        if notes:
            text += "<p style='color:#ef6c00'>检查提醒(锁定前请确认):<br>" + "<br>".join(notes) + "</p>"
        self.warnings.setText(text)
        self.lock_btn.setEnabled(not blocked)

    def confirm_text(self) -> str:
        t = closing.month_totals(self.page.month)
        return (
            f"确定锁定{format_month(t.month)}吗?\n\n"
            f"分润单 {t.statements} 张,实发 {t.paid_agents} 人\n"
            f"合计 {format_money(t.gross)}\n"
            f"税 {format_money(t.tax)}\n"
            f"实发合计 {format_money(t.payable)}\n"
            f"结转下月 {format_money(t.carried)}\n"
            f"机构留存 {format_money(t.agency_margin)}\n\n"
            "锁定后本月数字不可再修改;迟到的数据和调账将计入下一个月。" + self._quiet_text(t.month))

    @staticmethod
    def _quiet_text(month: str) -> str:
        from app.core.quiet_months import quiet_months

        quiet = quiet_months(closing.open_months_before(month))
        if not quiet:
            return ""
        names = "、".join(format_month(m) for m in quiet)
        return f"\n\n{names}没有交易、调账和实发,将先一并锁定。"

    def lock(self) -> None:
        month = self.page.month
        if not self.page.ask_confirm(self.confirm_text(), "锁定月份"):
            return

        def done(result: object) -> None:
            self.op = None
            if isinstance(result, settlement.ComputeResult):
                announce(Changes({"statements", "months"}, {month}, "已锁定"))
                show_info(self, f"{format_month(month)}已锁定:{result.statements} 张分润单,"
                                f"实发合计 {format_money(result.payable)}。", "已锁定")
            self.page.refresh_current()

        def failed(message: str) -> None:
            self.op = None
            show_error(self, message)
            self.page.refresh_current()

        self.op = run_with_progress(
            self, f"锁定{format_month(month)}",
            background(lambda report: _verified_lock(month, report)), done, failed)

    @property
    def busy(self) -> bool:
        return self.op is not None


def _verified_lock(month: str, report) -> settlement.ComputeResult:
    """The window checks the data (数据校验) before every lock, then locks."""
    from app.core import integrity

    report(1, "数据校验")
    integrity.require_verified()
    return closing.lock(month, report)


# ------------------------------------------------------------------ step 6: print


class PrintStep(QWidget):
    def __init__(self, page: MonthClosePage):
        super().__init__(page)
        self.page = page
        self.preview_path: Path | None = None
        self.op: Operation | None = None
        lay = QVBoxLayout(self)
        self.title = title_label("第六步:打印")
        lay.addWidget(self.title)
        self.state = QLabel()
        self.state.setWordWrap(True)
        lay.addWidget(self.state)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.model = RowsModel([
            Column("代理编号", "code", width=90),
            Column("代理名称", "name", width=80),
            money_column("实发", "payable", width=100),
        ], [], self)
        self.table = DataTable(self, multi=True)
        self.table.setModel(self.model)
        self.table.setSortingEnabled(False)
        ll.addWidget(self.table, 1)
        grid = QGridLayout()
        self.print_one = QPushButton("打印当前…")
        self.print_sel = QPushButton("打印所选…")
        self.print_all = QPushButton("打印全部…")
        self.preview_btn = QPushButton("打印预览…")
        self.export_pdf = QPushButton("导出全部PDF…")
        self.export_payout = QPushButton("导出打款清单…")
        for i, b in enumerate([self.print_one, self.print_sel, self.print_all, self.preview_btn,
                               self.export_pdf, self.export_payout]):
            grid.addWidget(b, i // 2, i % 2)
        ll.addLayout(grid)
        split.addWidget(left)
        self.viewer = self._make_viewer()
        split.addWidget(self.viewer)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([300, 900])
        lay.addWidget(split, 1)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self.show_preview())
        self.print_one.clicked.connect(lambda: self.print_agents(self._current_ids()))
        self.print_sel.clicked.connect(lambda: self.print_agents(self._selected_ids()))
        self.print_all.clicked.connect(lambda: self.print_agents(None))
        self.preview_btn.clicked.connect(lambda: self.preview_agents(self._selected_ids() or None))
        self.export_pdf.clicked.connect(self.export_pdfs)
        self.export_payout.clicked.connect(self.export_payout_list)

    def _make_viewer(self) -> QWidget:
        try:
            from PySide6.QtPdf import QPdfDocument
            from PySide6.QtPdfWidgets import QPdfView
        except ImportError:  # pragma: no cover - PySide6-Pdf is a dependency
            return QLabel("缺少 PDF 显示组件,无法预览")
        self.doc = QPdfDocument(self)
        view = QPdfView(self)
        view.setDocument(self.doc)
        view.setPageMode(QPdfView.PageMode.MultiPage)
        view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        return view

    def enter(self) -> None:
        from app.io.slips import MonthSnapshot

        month = self.page.month
        self.title.setText(f"第六步:打印 {format_month(month)} 分润单")
        snap = MonthSnapshot(month, team={})
        self.locked = snap.locked
        rows = []
        for aid in snap.slip_agents():
            a = snap.agents[aid]
            st = snap.statements.get(aid)
            rows.append(_SlipRow(aid, a.code, a.name, st.payable if st else 0))
        self.model.set_rows(rows)
        self.state.setText(
            "本月已锁定:分润单每次打印都完全相同。" if snap.locked
            else "<span style='color:#ef6c00'>本月尚未锁定:打印的分润单带「未锁定 草稿」水印。</span>")
        for b in (self.print_one, self.print_sel, self.print_all, self.preview_btn,
                  self.export_pdf, self.export_payout):
            b.setEnabled(bool(rows))
        if rows:
            self.table.selectRow(0)
            self.table.setCurrentIndex(self.model.index(0, 0))
        self.show_preview()

    def _current_ids(self) -> list[int]:
        row = self.table.current_object()
        return [row.id] if row is not None else []

    def _selected_ids(self) -> list[int]:
        return [r.id for r in self.table.selected_objects()]

    def show_preview(self) -> None:
        row = self.table.current_object()
        if row is None or not hasattr(self, "doc"):
            return
        from app.io.slips import render_slip, slip_data, slip_file_name
        from app.views.slip_preview import temp_dir

        try:
            data = slip_data(self.page.month, row.code)
            path = temp_dir() / ("preview_" + slip_file_name(self.page.month, row.code, row.name))
            self.doc.close()
            render_slip(data, path, locked=data.locked)
        except UserError as exc:
            show_error(self, exc)
            return
        self.doc.load(str(path))
        self.preview_path = path

    def _render_job(self, ids: list[int] | None):
        """A job that writes the slips of ``ids`` (None = all, as one file) to temp files."""
        from app.io.slips import MonthSnapshot, render_batch, render_slip, slip_file_name
        from app.views.slip_preview import temp_dir

        month = self.page.month

        def work(report) -> list[Path]:
            if ids is None:
                out = temp_dir() / f"all_{month}"

                def progress(done: int, total: int) -> None:
                    report(5 + 90 * done // max(1, total), f"生成分润单 {done}/{total}")

                result = render_batch(month, out, progress=progress, processes=1,
                                      cancel=lambda: False)
                return [result.combined] if result.combined else list(result.files)
            report(5, "读取分润单")
            snap = MonthSnapshot(month)
            paths = []
            for n, aid in enumerate(ids, 1):
                data = snap.slip(aid)
                path = temp_dir() / ("print_" + slip_file_name(month, data.agent_code, data.agent_name))
                render_slip(data, path, locked=snap.locked)
                paths.append(path)
                report(5 + 90 * n // len(ids), f"生成分润单 {n}/{len(ids)}")
            return paths

        return background(work)

    def _with_files(self, ids: list[int] | None, then: Callable[[list[Path]], None]) -> None:
        if ids is not None and not ids:
            show_error(self, "请先在左侧选择代理")
            return

        def done(result: object) -> None:
            self.op = None
            if isinstance(result, list) and result:
                then(result)

        def failed(message: str) -> None:
            self.op = None
            show_error(self, message)

        self.op = run_with_progress(self, "生成分润单", self._render_job(ids), done, failed)

    def print_agents(self, ids: list[int] | None) -> None:
        month = self.page.month

        def printed(paths: list[Path]) -> None:
            self.page.print_paths(paths)
            first_month.mark_printed(month)

        self._with_files(ids, printed)

    def preview_agents(self, ids: list[int] | None) -> None:
        self._with_files(ids, self.page.open_preview)

    def export_pdfs(self) -> None:
        from app.io.slips import render_batch

        folder = self.page.ask_directory("选择导出分润单PDF的文件夹")
        if not folder:
            return
        month = self.page.month

        def work(report):
            def progress(done: int, total: int) -> None:
                report(100 * done // max(1, total), f"生成分润单 {done}/{total}")

            return render_batch(month, Path(folder), progress=progress,
                                cancel=lambda: False, processes=self.page.pdf_processes)

        def done(result: object) -> None:
            self.op = None
            self.page.last_export = result
            if result is _CANCELLED or getattr(result, "cancelled", False):
                show_info(self, "已取消,没有写入任何文件。", "已取消")
                return
            n = getattr(result, "count", 0)
            if n:
                first_month.mark_printed(month)
            show_info(self, f"已导出 {n} 张分润单、合并文件和汇总到\n{folder}", "导出完成")

        def failed(message: str) -> None:
            self.op = None
            show_error(self, message)

        # render_batch checks its own cancel flag through the progress callback
        self.op = run_with_progress(self, "导出分润单PDF", background(work), done, failed)

    def export_payout_list(self) -> None:
        from app.io.slips import write_payout_list

        month = self.page.month
        path = self.page.ask_save_path("导出打款清单", f"{month}_打款清单.xlsx", "Excel 工作簿 (*.xlsx)")
        if not path:
            return
        try:
            n = write_payout_list(month, path)
        except UserError as exc:
            show_error(self, exc)
            return
        except OSError as exc:
            show_error(self, UserError(f"无法写入 {path}:{exc}"))
            return
        self.page.last_payout = Path(path)
        show_info(self, f"已导出 {n} 个收款人的打款清单到\n{path}", "导出完成")

    @property
    def busy(self) -> bool:
        return self.op is not None


class _SlipRow:
    __slots__ = ("id", "code", "name", "payable")

    def __init__(self, id: int, code: str, name: str, payable: int):  # noqa: A002
        self.id, self.code, self.name, self.payable = id, code, name, payable


# ------------------------------------------------------------------ the page


class MonthClosePage(Page):
    """月结 wizard page (see the module docstring)."""

    nav_title = "月结"
    navigate_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.month = ""
        self.dialog: QDialog | None = None  # the last dialog opened (tests look at it)
        self.last_export: object = None
        self.last_payout: Path | None = None
        self.last_preview: QDialog | None = None
        self.pdf_processes: int | None = None
        outer = QVBoxLayout(self)
        head = QHBoxLayout()
        head.addWidget(title_label("月结"))
        self.month_label = QLabel()
        self.month_label.setObjectName("sectionTitle")
        head.addWidget(self.month_label)
        head.addStretch(1)
        outer.addLayout(head)

        steps = QHBoxLayout()
        self.step_labels: list[QLabel] = []
        for i, name in enumerate(STEPS):
            label = QLabel(f"{i + 1} {name}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setMinimumHeight(30)
            self.step_labels.append(label)
            steps.addWidget(label, 1)
            if i < len(STEPS) - 1:
                arrow = QLabel("›")
                arrow.setStyleSheet("color:#90a4ae; font-size:18px;")
                steps.addWidget(arrow)
        outer.addLayout(steps)

        self.stack = QStackedWidget()
        self.month_step = MonthStep(self)
        self.checks_step = ChecksStep(self)
        self.compute_step = ComputeStep(self)
        self.review_step = ReviewStep(self)
        self.lock_step = LockStep(self)
        self.print_step = PrintStep(self)
        self.steps: list[Any] = [self.month_step, self.checks_step, self.compute_step,
                                 self.review_step, self.lock_step, self.print_step]
        for s in self.steps:
            self.stack.addWidget(s)
        outer.addWidget(self.stack, 1)

        nav = QHBoxLayout()
        self.back_btn = QPushButton("‹ 上一步")
        self.next_btn = QPushButton("下一步 ›")
        self.next_btn.setObjectName("primary")
        nav.addStretch(1)
        nav.addWidget(self.back_btn)
        nav.addWidget(self.next_btn)
        outer.addLayout(nav)
        self.back_btn.clicked.connect(lambda: self.go(self.stack.currentIndex() - 1))
        self.next_btn.clicked.connect(self._next)
        self._loaded = False
        self.go(0)

    # ------------------------------------------------------------ injection points
    def ask_confirm(self, text: str, title: str) -> bool:
        return confirm(self, text, title)

    def ask_directory(self, title: str) -> str:
        folder = str(QSettings().value("close/pdf_folder", "") or Path.home())
        chosen = QFileDialog.getExistingDirectory(self, title, folder)
        if chosen:
            QSettings().setValue("close/pdf_folder", chosen)
        return chosen

    def ask_save_path(self, title: str, name: str, filter_: str) -> str:
        folder = str(QSettings().value("close/pdf_folder", "") or Path.home())
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path(folder) / name), filter_)
        return path

    def print_paths(self, paths: list[Path]) -> None:
        from app.views.slip_preview import print_with_dialog

        try:
            print_with_dialog(self, paths)
        except UserError as exc:
            show_error(self, exc)

    def open_preview(self, paths: list[Path]) -> None:
        from app.views.slip_preview import SlipPrintPreview

        preview = SlipPrintPreview(paths, self)
        self.last_preview = preview
        preview.open()

    def navigate(self, title: str) -> None:
        """Ask the main window to show another page (where a check's problem is fixed)."""
        self.navigate_requested.emit(title)
        window = self.window()
        go_to = getattr(window, "go_to", None)
        if go_to is not None:
            try:
                go_to(title)
            except KeyError:
                pass

    # ------------------------------------------------------------ steps
    def set_month(self, month: str) -> None:
        self.month = month
        self.month_label.setText(format_month(month))

    def go(self, index: int) -> None:
        index = max(0, min(len(self.steps) - 1, index))
        if self.busy:
            return
        self.stack.setCurrentIndex(index)
        for i, label in enumerate(self.step_labels):
            if i == index:
                style = "background:#1565c0; color:white; border-radius:4px; font-weight:bold;"
            elif i < index:
                style = "background:#e3f2fd; color:#1565c0; border-radius:4px;"
            else:
                style = "background:#f5f5f5; color:#757575; border-radius:4px;"
            label.setStyleSheet(style)
        try:
            self.steps[index].enter()
        except Exception as exc:  # a step must never take the page down
            show_error(self, exc)
        self.update_buttons()

    def _next(self) -> None:
        i = self.stack.currentIndex()
        if i == len(self.steps) - 1:  # 完成: back to the start, ready for the next month
            self.month = ""
            self.go(0)
        else:
            self.go(i + 1)

    @property
    def busy(self) -> bool:
        return any(getattr(s, "busy", False) for s in self.steps)

    def update_buttons(self) -> None:
        i = self.stack.currentIndex()
        busy = self.busy
        self.back_btn.setEnabled(i > 0 and not busy)
        ok = not busy
        if i == 1:
            ok = ok and bool(self.checks_step.checks)
        if i == 2 and self.month:
            t = closing.month_totals(self.month)
            ok = ok and (t.state == "locked" or bool(t.computed_at))
        self.next_btn.setEnabled(ok)
        self.next_btn.setText("完成" if i == len(self.steps) - 1 else "下一步 ›")

    def current_step(self) -> int:
        return self.stack.currentIndex()

    def refresh(self) -> None:
        if self.busy:
            return
        if self.current_step() == 0 or not self.month:
            self.month_step.load()
        else:
            self.refresh_current()

    def refresh_current(self) -> None:
        try:
            self.steps[self.current_step()].enter()
        except Exception as exc:
            show_error(self, exc)
        self.update_buttons()

    def open_folder(self, folder: Path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
