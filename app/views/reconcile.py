"""对账: the payment company's settlement report against what the agency expects, per
terminal and month — a summary by product and status, every line with its difference and
implied rate, the transactions of the selected terminal, and the dispute sheet (差异明细)
to send to the company.  Everything comes from ``app.core.reconcile``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core import reconcile as svc
from app.core.errors import Changes
from app.core.money import format_money, format_month, format_rate
from app.core.months import working_month
from app.views.changes import announce
from app.views.check_widgets import MonthPicker
from app.views.errors import show_error, show_info
from app.views.page import Page
from app.views.table_export import ask_path
from app.views.table_model import Column, RowsModel, int_column, money_column
from app.views.widgets import DataTable, page_head
from app.views.workers import run_with_progress

STATUS_COLORS = {"matched": "#2e7d32", "differs": "#c62828", "missing": "#ef6c00", "unknown": "#6a1b9a"}


def _rate(ppm: int | None) -> str:
    return "" if ppm is None else format_rate(ppm)


def summary_columns() -> list[Column]:
    return [
        Column("产品", lambda r: r["product"] or "(未知)", width=90),
        Column("状态", lambda r: svc.STATUS_LABELS[r["status"]], width=90),
        int_column("行数", lambda r: r["lines"]),
        money_column("我方应收", lambda r: r["expected_fen"]),
        money_column("对账单", lambda r: r["reported_fen"]),
        money_column("差额", lambda r: r["diff_fen"]),
    ]


def line_columns() -> list[Column]:
    return [
        Column("终端SN", lambda ln: ln.sn or "", width=140),
        Column("商户编号", lambda ln: ln.merchant_no or "", width=130),
        Column("产品", lambda ln: ln.product or "", width=70),
        money_column("我方应收", "expected"),
        money_column("对账单", "reported"),
        money_column("差额", "diff"),
        Column("隐含费率差", lambda ln: ln.implied_rate_ppm, fmt=_rate, align="right", width=90,
               tooltip="差额 ÷ 该终端本月计入的交易额"),
        Column("状态", lambda ln: svc.STATUS_LABELS[ln.status], width=90, align="center"),
        Column("所含终端", lambda ln: "、".join(ln.terminals or []), width=160),
    ]  # fmt: skip


def detail_columns() -> list[Column]:
    def fen(micro: int) -> int:
        from app.core.money import round_micro

        return round_micro(micro)

    return [
        Column("终端SN", lambda d: d[0], width=130),
        Column("交易时间", lambda d: d[1].time, width=150),
        Column("流水号", lambda d: d[1].tx_id, width=130),
        Column("卡类型", lambda d: {"credit": "贷记卡", "debit": "借记卡"}.get(d[1].category, "扫码"), width=70),
        Column("状态", lambda d: "退货" if d[1].status == "refund" else "成功", width=60),
        money_column("交易金额", lambda d: d[1].amount),
        money_column("商户手续费", lambda d: fen(d[1].merchant_fee_micro)),
        money_column("本机构成本", lambda d: fen(d[1].agency_fee_micro)),
        money_column("应得分润", lambda d: fen(d[1].margin_micro),
                     tooltip="逐笔仅供参考;应收按终端每月合计后四舍五入一次"),
    ]  # fmt: skip


class ReconcilePage(Page):
    nav_title = "对账"
    watches = frozenset({"imports", "transactions", "policies", "terminals", "reports"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.result: svc.Reconciliation | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        page_head(outer, "对账",
                  "支付公司对账单与我方应收逐终端核对:应收 = 各笔交易(商户手续费 − 本机构成本),"
                  "每终端每月合计后四舍五入,加上公司的激活返现、达标奖励、未达标扣款。")  # fmt: skip
        bar = QHBoxLayout()
        bar.addWidget(QLabel("月份"))
        self.month = MonthPicker()
        bar.addWidget(self.month)
        self.run_button = QPushButton("核对")
        self.run_button.clicked.connect(self.refresh)
        self.import_button = QPushButton("导入对账单…")
        self.import_button.clicked.connect(self.import_report)
        self.export_button = QPushButton("导出差异明细…")
        self.export_button.clicked.connect(self.export_disputes)
        self.status_filter = QComboBox()
        self.status_filter.addItem("全部状态", None)
        for key, label in svc.STATUS_LABELS.items():
            self.status_filter.addItem(label, key)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        for w in (self.run_button, self.import_button, self.export_button, self.status_filter):
            bar.addWidget(w)
        bar.addStretch(1)
        outer.addLayout(bar)
        self.totals = QLabel()
        self.totals.setObjectName("summary")
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(self.totals)
        split = QSplitter(Qt.Orientation.Vertical)
        self.summary_model = RowsModel(summary_columns())
        self.summary = DataTable()
        self.summary.setModel(self.summary_model)
        split.addWidget(self.summary)
        self.model = RowsModel(line_columns())
        self.table = DataTable()
        self.table.setModel(self.model)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self.show_details())
        split.addWidget(self.table)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 4, 0, 0)
        self.detail_title = QLabel("选中一行查看该终端本月的交易")
        self.detail_title.setObjectName("figure")
        bl.addWidget(self.detail_title)
        self.detail_model = RowsModel(detail_columns())
        self.details = DataTable()
        self.details.setModel(self.detail_model)
        bl.addWidget(self.details)
        split.addWidget(bottom)
        split.setSizes([130, 330, 200])
        outer.addWidget(split, 1)
        self._fill_months()

    def _fill_months(self) -> None:
        month = working_month()
        months = sorted({month, *svc.report_months()}, reverse=True)
        self.month.set_months(months, months[0] if svc.report_months() else month)

    def selected_month(self) -> str | None:
        return self.month.month()

    def refresh(self) -> None:
        month = self.selected_month()
        if month is None:
            return
        run_with_progress(self, f"{format_month(month)}对账", lambda _p, _c: svc.reconcile(month),
                          self._loaded, cancellable=False)  # fmt: skip

    def _loaded(self, result: svc.Reconciliation) -> None:
        self.result = result
        self.summary_model.set_rows(result.by_product())
        self.model.set_rows(result.lines)
        self.apply_filter()
        t = result.totals()
        parts = [
            f"<span style='color:{STATUS_COLORS[s]}'>{svc.STATUS_LABELS[s]} <b>{t[s]}</b></span>"
            for s in svc.STATUSES
        ]
        self.totals.setText(
            f"{format_month(result.month)} 共 <b>{t['lines']}</b> 行:" + " · ".join(parts)
            + f" &nbsp; 我方应收 <b>{format_money(t['expected_fen'])}</b>,"
            f"对账单 <b>{format_money(t['reported_fen'])}</b>,差额 <b>{format_money(t['diff_fen'])}</b>"
        )  # fmt: skip
        self.detail_model.set_rows([])

    def apply_filter(self) -> None:
        status = self.status_filter.currentData()
        self.model.set_filter(None if status is None else (lambda ln: ln.status == status))

    def show_details(self) -> None:
        line = self.table.current_object()
        if line is None or self.result is None:
            return
        sns = [line.sn] if line.sn else list(line.terminals or [])
        if line.status == "unknown" or not sns:
            self.detail_title.setText("我方没有这台终端(或这个商户)的交易")
            self.detail_model.set_rows([])
            return
        rows = [(sn, t) for sn in sns for t in svc.terminal_transactions(self.result.month, sn)]
        self.detail_title.setText(f"{'、'.join(sns)} 本月交易 {len(rows)} 笔")
        self.detail_model.set_rows(rows)

    def import_report(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "导入支付公司对账单", "", "表格文件 (*.csv *.xlsx *.xls *.txt)")  # fmt: skip
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path, profile: str | None = None) -> None:
        from app.io.importers import import_file

        def done(report) -> None:
            show_info(self, report.summary())
            announce(Changes({"reports", "imports"}, set(), report.summary()))
            self._fill_months()
            self.refresh()

        run_with_progress(self, "导入对账单", lambda _p, _c: import_file("company_report", path, profile),
                          done, cancellable=False)  # fmt: skip

    def export_disputes(self) -> None:
        if self.result is None:
            show_error(self, "请先核对一个月份")
            return
        path = ask_path(self, f"差异明细_{self.result.month}")
        if path is not None:
            self.write_disputes(path)

    def write_disputes(self, path: Path) -> int:
        from app.io.reconcile_export import write_dispute_sheet

        assert self.result is not None
        try:
            n = write_dispute_sheet(self.result, path)
        except Exception as exc:  # noqa: BLE001 - UserError shown as is, a defect logged
            show_error(self, exc)
            return 0
        show_info(self, f"已导出 {n} 行差异明细到\n{path}")
        return n

