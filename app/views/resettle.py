"""补差: a locked month priced again under corrected policy rows, without touching it; the
difference of each (agent, product) is shown and, on confirmation, written as a 补差
adjustment into the next open month.  Everything comes from ``app.core.resettle``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core import resettle as svc
from app.core.money import format_money, format_month
from app.core.months import locked_months
from app.views.changes import announce
from app.views.check_widgets import MonthPicker
from app.views.errors import confirm, show_error, show_info
from app.views.page import Page
from app.views.table_model import Column, RowsModel, money_column
from app.views.widgets import DataTable, page_head
from app.views.workers import run_with_progress


def plan_columns() -> list[Column]:
    return [
        Column("代理编号", "agent", width=90),
        Column("代理名称", "name", width=90),
        Column("产品", "product", width=70),
        money_column("按现行数据", "before"),
        money_column("按更正后", "after"),
        money_column("差额", "diff"),
        money_column("已补差", "written"),
        money_column("本次补差", "pending"),
    ]


class ResettlePage(Page):
    nav_title = "补差"
    watches = frozenset({"months", "statements", "policies", "adjustments"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.path: Path | None = None
        self.plan: svc.ResettlePlan | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        page_head(outer, "补差",
                  "已锁定的月份按更正后的政策重新计算(锁定的分润单不变),各代理各产品的差额作为"
                  "“补差”调账计入下一个未锁定的月份;迟到的交易已自动计入下月,不会重复。")  # fmt: skip
        bar = QHBoxLayout()
        bar.addWidget(QLabel("锁定月份"))
        self.month = MonthPicker(editable=False)
        bar.addWidget(self.month)
        self.file_button = QPushButton("选择更正政策文件…")
        self.file_button.clicked.connect(self.choose_file)
        self.file_label = QLabel("(未选择:只核对现数据)")
        self.preview_button = QPushButton("计算差额")
        self.preview_button.clicked.connect(self.preview)
        self.apply_button = QPushButton("确认写入补差")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        for w in (self.file_button, self.file_label, self.preview_button, self.apply_button):
            bar.addWidget(w)
        bar.addStretch(1)
        outer.addLayout(bar)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(self.summary)
        self.model = RowsModel(plan_columns())
        self.table = DataTable()
        self.table.setModel(self.model)
        outer.addWidget(self.table, 1)
        self.refresh()

    def refresh(self) -> None:
        months = sorted(locked_months(), reverse=True)
        self.month.set_months(months)
        if not months:
            self.summary.setText("还没有锁定的月份。")

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择更正后的政策文件", "", "表格文件 (*.csv *.xlsx *.xls)")
        if path:
            self.set_file(Path(path))

    def set_file(self, path: Path | None) -> None:
        self.path = path
        self.file_label.setText(path.name if path else "(未选择:只核对现数据)")
        self.apply_button.setEnabled(False)

    def _records(self) -> list:
        from app.io.whatif_file import read_corrections

        return read_corrections(self.path)

    def preview(self) -> None:
        month = self.month.currentText()
        if not month:
            show_error(self, "请先选择一个已锁定的月份")
            return
        run_with_progress(self, f"{format_month(month)}补差计算",
                          lambda _p, _c: svc.plan_resettle(month, self._records()), self.show_plan,
                          cancellable=False)  # fmt: skip

    def show_plan(self, plan: svc.ResettlePlan) -> None:
        self.plan = plan
        self.model.set_rows(plan.lines)
        pending = [ln for ln in plan.lines if ln.pending]
        self.summary.setText(
            f"{format_month(plan.month)}:{len(pending)} 项待补差,合计 <b>{format_money(plan.pending_total)}</b>,"
            f"将计入 <b>{format_month(plan.target)}</b>(原因“补差 {plan.month}”)。"
            if pending else f"{format_month(plan.month)}:没有需要补差的金额。"
        )  # fmt: skip
        self.apply_button.setEnabled(bool(pending))

    def apply(self) -> None:
        plan = self.plan
        if plan is None:
            return
        if not confirm(self, f"把 {format_money(plan.pending_total)} 的补差写入{format_month(plan.target)}?"):
            return
        month = plan.month

        def done(result) -> None:
            new_plan, changes = result
            announce(changes)
            show_info(self, changes.message)
            self.show_plan(svc.plan_resettle(month, self._records()))

        run_with_progress(self, "写入补差", lambda _p, _c: svc.apply_resettle(month, self._records()),
                          done, cancellable=False)  # fmt: skip
