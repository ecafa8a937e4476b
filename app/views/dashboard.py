"""工作台: this month in numbers, the last 12 months as charts, and what to act on today —
考核预警 (terminals about to miss their 达标 deadline), 流失风险 (agents falling three
months running) and today's follow-ups.  Everything comes from ``app.core.dashboard``,
loaded in one background job."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import dashboard as service
from app.core.money import format_money, format_month
from app.views.checklist import ChecklistPanel
from app.views.errors import show_error
from app.views.merchant_care import ticket_columns
from app.views.page import Page
from app.views.table_export import add_export_action
from app.views.table_model import Column, RowsModel, int_column, money_column
from app.views.widgets import DataTable, DateEdit, hint_label, title_label
from app.views.workers import Operation

CARDS = [
    ("volume", "本月交易额"),
    ("activations", "新增激活"),
    ("activation_rate", "激活率"),
    ("fake_rate", "伪激活率"),
    ("margin", "机构留存"),
    ("deposits", "在押押金"),
]


def _wan(fen: int) -> float:
    """Fen as 万元 for a chart axis (display only; money stays int fen elsewhere)."""
    return fen / 1_000_000


def _short_month(month: str) -> str:
    return f"{int(month[5:7])}月"


def pct(ppm: int) -> str:
    """A rate in ppm as a percentage with two decimals, half up: 774775 → 77.48%."""
    hundredths = (ppm + 50) // 100 if ppm >= 0 else -((-ppm + 50) // 100)
    sign = "-" if hundredths < 0 else ""
    h = abs(hundredths)
    return f"{sign}{h // 100}.{h % 100:02d}%"


class Card(QFrame):
    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kpiCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#kpiCard { background: white; border: 1px solid #dfe3e8; border-radius: 6px; }")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 10, 14, 10)
        self.title = QLabel(title)
        self.title.setStyleSheet("color:#607d8b;")
        self.value = QLabel("—")
        self.value.setStyleSheet("font-size:20px; font-weight:bold; color:#263238;")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sub = QLabel("")
        self.sub.setStyleSheet("color:#90a4ae;")
        self.sub.setWordWrap(True)
        lay.addWidget(self.title)
        lay.addWidget(self.value)
        lay.addWidget(self.sub)

    def set(self, value: str, sub: str = "") -> None:
        self.value.setText(value)
        self.sub.setText(sub)


def _chart(title: str) -> tuple[QChart, QChartView]:
    chart = QChart()
    chart.setTitle(title)
    chart.legend().setVisible(False)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(250)
    return chart, view


def rank_columns() -> list[Column]:
    return [
        Column("代理", lambda r: f"{r.code} {r.name}", width=130),
        Column("激活率", "activation_rate_ppm", fmt=pct, align="right", width=80),
        int_column("已激活", "activated"),
        int_column("基数", "base", tooltip="持有或已激活的机具(回拨、调出、激活前丢失的不计)"),
    ]


def warning_columns() -> list[Column]:
    return [
        Column("终端SN", "sn", width=130),
        Column("代理", lambda w: f"{w.holder_code} {w.holder_name}".strip(), width=130),
        Column("电话", "holder_phone", width=110),
        Column("产品", "product_name", width=100),
        Column("激活日", "activated_on", width=90),
        Column("达标截止", "deadline", width=90),
        int_column("剩余天数", "days_left", width=70),
        money_column("已交易", "volume"),
        money_column("达标要求", "threshold"),
        money_column("还差", "missing"),
    ]


def _vol(i: int):
    return lambda r: r.volumes[i] if i < len(r.volumes) else None


def churn_columns(months: list[str]) -> list[Column]:
    cols = [
        Column("代理", lambda r: f"{r.code} {r.name}", width=130),
        Column("电话", "phone", width=110),
    ]
    for i, m in enumerate(months):
        cols.append(money_column(format_month(m)[2:], _vol(i), width=110))
    cols += [
        Column("降幅", "drop_ppm", fmt=pct, align="right", width=70),
        Column("最近联系", lambda r: (f"{r.last_follow_up.date} {r.last_follow_up.note}"
                                     if r.last_follow_up else "无记录"), width=200),
        Column("下次拜访", lambda r: (r.last_follow_up.next_visit or "") if r.last_follow_up else "",
               width=90),
    ]
    return cols


def followup_columns() -> list[Column]:
    return [
        Column("代理", lambda r: f"{r.code} {r.name}", width=130),
        Column("电话", "phone", width=110),
        Column("约定日期", "next_visit", width=90),
        Column("逾期", "overdue_days", fmt=lambda d: "今天" if d == 0 else f"{d} 天", width=60),
        Column("上次联系", "date", width=90),
        Column("记录", "note"),
    ]


class DashboardPage(Page):
    """工作台 (see the module docstring)."""

    nav_title = "工作台"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.data: service.Dashboard | None = None
        self.op: Operation | None = None
        self._pending = False
        outer = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(title_label("工作台"))
        bar.addSpacing(16)
        bar.addWidget(QLabel("月份:"))
        self.month = QComboBox()
        self.month.setMinimumWidth(120)
        bar.addWidget(self.month)
        bar.addSpacing(12)
        bar.addWidget(QLabel("预警日期:"))
        self.today = DateEdit(dt.date.today())
        bar.addWidget(self.today)
        bar.addWidget(QLabel("提前"))
        self.days = QSpinBox()
        self.days.setRange(0, 60)
        self.days.setValue(7)
        self.days.setSuffix(" 天")
        bar.addWidget(self.days)
        self.reload_btn = QPushButton("刷新")
        bar.addWidget(self.reload_btn)
        self.status = QLabel()
        self.status.setObjectName("hint")
        bar.addWidget(self.status, 1)
        outer.addLayout(bar)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 8, 0)
        self.checklist = ChecklistPanel()
        self.checklist.navigate.connect(self._go_to)
        lay.addWidget(self.checklist)

        cards = QGridLayout()
        self.cards: dict[str, Card] = {}
        for i, (key, title) in enumerate(CARDS):
            card = Card(title)
            self.cards[key] = card
            cards.addWidget(card, 0, i)
        lay.addLayout(cards)

        charts = QHBoxLayout()
        self.volume_chart, self.volume_view = _chart("近12个月交易额(万元)")
        self.act_chart, self.act_view = _chart("近12个月新增激活(台)")
        charts.addWidget(self.volume_view, 1)
        charts.addWidget(self.act_view, 1)
        lay.addLayout(charts)

        mid = QHBoxLayout()
        self.top_model = RowsModel(rank_columns(), [], self)
        self.bottom_model = RowsModel(rank_columns(), [], self)
        rank = QTabWidget()
        self.top_table = self._table(self.top_model, "激活率最高")
        self.bottom_table = self._table(self.bottom_model, "激活率最低")
        rank.addTab(self.top_table, "激活率最高")
        rank.addTab(self.bottom_table, "激活率最低")
        rank.setMinimumHeight(220)
        box = self._section("激活率排行(团队,至少5台)", rank)
        mid.addWidget(box, 2)
        self.follow_model = RowsModel(followup_columns(), [], self)
        self.follow_table = self._table(self.follow_model, "今日回访")
        self.follow_box = self._section("今日回访", self.follow_table)
        mid.addWidget(self.follow_box, 3)
        lay.addLayout(mid)

        self.overdue_model = RowsModel(ticket_columns(), [], self)
        self.overdue_table = self._table(self.overdue_model, "超时工单")
        self.overdue_table.setMinimumHeight(160)
        self.overdue_box = self._section("超时工单:超过服务标准响应时限仍未解决", self.overdue_table)
        lay.addWidget(self.overdue_box)

        self.warn_model = RowsModel(warning_columns(), [], self)
        self.warn_table = self._table(self.warn_model, "考核预警")
        self.warn_table.setMinimumHeight(240)
        self.warn_box = self._section("考核预警:达标期限将到、交易额未达标的机具(请提醒代理)",
                                      self.warn_table)
        lay.addWidget(self.warn_box)
        self.churn_model = RowsModel(churn_columns([]), [], self)
        self.churn_table = self._table(self.churn_model, "流失风险")
        self.churn_table.setMinimumHeight(200)
        self.churn_box = self._section("流失风险:团队交易额连续三个月下降的代理", self.churn_table)
        lay.addWidget(self.churn_box)
        lay.addWidget(hint_label(
            "口径:交易额为本月结算的成功交易(退货冲减),含库存机具;新增激活按激活日;激活率、伪激活率为全部代理团队合计,"
            "与分润单上的团队数据同一口径;机构留存为已计算月份的本机构分润;在押押金为最近一次计算时尚未退还或没收的押金。", wrap=True))

        self.reload_btn.clicked.connect(self.refresh)
        self.month.currentIndexChanged.connect(lambda _i: self.load())
        self.today.dateChanged.connect(lambda _d: self.load())
        self.days.valueChanged.connect(lambda _v: self.load())
        self._stale = True  # drawn when first shown (Page.showEvent), not only on F5

    def _section(self, title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 6, 0, 0)
        label = QLabel(title)
        label.setObjectName("sectionTitle")
        label.setStyleSheet("font-weight:bold;")
        lay.addWidget(label)
        lay.addWidget(widget)
        box.title_label = label  # type: ignore[attr-defined]
        return box

    def _table(self, model: RowsModel, name: str) -> DataTable:
        table = DataTable(self)
        table.setModel(model)
        add_export_action(table, name)
        return table

    # ------------------------------------------------------------ data
    def _go_to(self, title: str) -> None:
        go_to = getattr(self.window(), "go_to", None)
        if go_to is not None:
            go_to(title)

    def refresh(self) -> None:
        try:
            self.checklist.refresh()
        except Exception as exc:  # the checklist is a guide: never stop the page for it
            show_error(self, exc)
        months = service.available_months()
        keep = self.month.currentData() or service.latest_data_month()
        self.month.blockSignals(True)
        self.month.clear()
        for m in months:
            self.month.addItem(format_month(m), m)
        i = self.month.findData(keep)
        self.month.setCurrentIndex(i if i >= 0 else self.month.count() - 1)
        self.month.blockSignals(False)
        self.load()

    @property
    def busy(self) -> bool:
        return self.op is not None

    def load(self) -> None:
        month = self.month.currentData()
        if not month:
            return
        if self.op is not None:
            self._pending = True
            return
        today = self.today.date_value()
        days = self.days.value()
        self.status.setText("正在统计……")

        def job(progress, _cancelled):
            from app.core.session import close_connection

            try:
                return service.load_dashboard(month, today, days, progress)
            finally:
                close_connection()

        op = Operation(job)
        self.op = op
        op.signals.finished.connect(self._loaded)
        op.signals.failed.connect(self._failed)
        op.signals.progress.connect(lambda p, t: self.status.setText(f"正在统计……{t}"))
        op.start()

    def _failed(self, message: str) -> None:
        self.op = None
        self.status.setText("")
        show_error(self, message)

    def _loaded(self, data: object) -> None:
        self.op = None
        if self._pending:
            self._pending = False
            self.load()
            return
        assert isinstance(data, service.Dashboard)
        self.data = data
        self.show_data(data)

    def show_data(self, d: service.Dashboard) -> None:
        s = d.summary
        self.cards["volume"].set(format_money(s.volume), f"{s.transactions:,} 笔")
        self.cards["activations"].set(f"{s.new_activations:,} 台", format_month(d.month))
        self.cards["activation_rate"].set(pct(s.activation_rate_ppm),
                                          f"{s.activated_total:,} / {s.activation_base:,} 台")
        self.cards["fake_rate"].set(pct(s.fake_rate_ppm),
                                    f"{s.fake:,} / {s.window_ended:,} 台(考核期已结束)")
        self.cards["margin"].set(format_money(s.agency_margin),
                                 "已计算" if s.computed else "本月尚未计算")
        self.cards["deposits"].set(format_money(s.deposits_held), f"{s.deposits_held_count:,} 台")
        self._charts(d.series)
        self.top_model.set_rows(d.top)
        self.bottom_model.set_rows(d.bottom)
        self.warn_model.set_rows(d.warnings)
        self.warn_box.title_label.setText(  # type: ignore[attr-defined]
            f"考核预警:{d.today} 起 {self.days.value()} 天内达标期限将到、交易额未达标的机具"
            f"({len(d.warnings)} 台,请提醒代理)")
        months = d.churn[0].months if d.churn else service.months_ending(d.month, 4)
        self.churn_model.columns = churn_columns(months)
        self.churn_model.set_rows(d.churn)
        self.churn_box.title_label.setText(  # type: ignore[attr-defined]
            f"流失风险:团队交易额连续三个月下降的代理({len(d.churn)} 人)")
        overdue = d.extra.get("overdue_tickets") or []
        self.overdue_model.set_rows(overdue)  # type: ignore[arg-type]
        self.overdue_box.title_label.setText(  # type: ignore[attr-defined]
            f"超时工单:超过服务标准响应时限仍未解决({len(overdue)} 张)")  # type: ignore[arg-type]
        self.follow_model.set_rows(d.followups)
        self.follow_box.title_label.setText(f"今日回访({len(d.followups)} 条)")  # type: ignore[attr-defined]
        last = f"交易数据截至 {d.last_data_day}" if d.last_data_day else "尚无交易数据"
        self.status.setText(f"{format_month(d.month)} · {last}")

    def _charts(self, series: list[service.MonthPoint]) -> None:
        labels = [_short_month(p.month) for p in series]
        chart = self.volume_chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        bars = QBarSet("交易额")
        bars.setColor(QColor("#1e88e5"))
        bars.setLabelColor(QColor("#37474f"))
        for p in series:
            bars.append(round(_wan(p.volume)))
        bar_series = QBarSeries()
        bar_series.append(bars)
        bar_series.setLabelsVisible(True)
        bar_series.setLabelsFormat("@value")
        bar_series.setLabelsPrecision(12)
        bar_series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
        chart.addSeries(bar_series)
        x = QBarCategoryAxis()
        x.append(labels)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        bar_series.attachAxis(x)
        y = QValueAxis()
        y.setLabelFormat("%.0f")
        top = max((_wan(p.volume) for p in series), default=0)
        y.setRange(0, max(5.0, top * 1.15))  # whole 万元 ticks even with no data yet
        y.applyNiceNumbers()
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        bar_series.attachAxis(y)

        chart = self.act_chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        line = QLineSeries()
        line.setPen(QPen(QColor("#43a047"), 2.5))
        line.setPointsVisible(True)
        line.setPointLabelsVisible(True)
        line.setPointLabelsFormat("@yPoint")
        for i, p in enumerate(series):
            line.append(i, p.activations)
        chart.addSeries(line)
        x2 = QBarCategoryAxis()
        x2.append(labels)
        chart.addAxis(x2, Qt.AlignmentFlag.AlignBottom)
        line.attachAxis(x2)
        y2 = QValueAxis()
        y2.setLabelFormat("%d")
        top2 = max((p.activations for p in series), default=0)
        y2.setRange(0, max(5, int(top2 * 1.2) + 1))
        y2.applyNiceNumbers()
        chart.addAxis(y2, Qt.AlignmentFlag.AlignLeft)
        line.attachAxis(y2)
