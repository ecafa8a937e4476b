"""商户分析 page: the month's merchant figures (DOMAIN §9), their trend over twelve months
(QtCharts), the tag distribution and the top movers; everything exportable to xlsx."""

from __future__ import annotations

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core import merchant_figures as figs
from app.core.merchants import merchant_months
from app.core.money import format_money, format_month
from app.core.tagging import MERCHANT_TAG_LABELS, MERCHANT_TAGS
from app.views.errors import show_error, show_info
from app.views.merchant_care import MonthPage
from app.views.table_export import ask_path
from app.views.table_model import Column, RowsModel, money_column
from app.views.widgets import DataTable


def ratio_text(value, percent: bool = True) -> str:
    """An exact ratio as 83.5% (or a plain 4.25), half up; "—" when undefined."""
    text = figs.decimal_text(value * 100 if percent and value is not None else value, 1 if percent else 2)
    if text is None:
        return "—"
    return f"{text}%" if percent else text


def _chart(title: str) -> tuple[QChart, QChartView]:
    chart = QChart()
    chart.setTitle(title)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(260)
    return chart, view


def mover_columns() -> list[Column]:
    return [
        Column("商户编号", "merchant_no", width=120), Column("商户名称", "name", width=140),
        money_column("上月", "previous"), money_column("本月", "volume"), money_column("变化", "change"),
    ]


class MerchantAnalysisPage(MonthPage):
    nav_title = "商户分析"
    watches = frozenset({"merchants", "contacts", "tickets", "transactions", "imports", "settings", "all"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.data: tuple | None = None
        outer, head = self._head("商户分析")
        head.addStretch(1)
        export = QPushButton("导出Excel")
        export.clicked.connect(self.export)
        head.addWidget(export)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        grid = QGridLayout(body)
        self.cards: dict[str, QLabel] = {}
        cards = QHBoxLayout()
        for key, label in (("active", "活跃商户"), ("new", "新增"), ("lost", "流失"), ("retention", "留存率"),
                           ("satisfaction", "平均满意度"), ("sla", "时限内解决率"), ("hours", "平均处理时长")):
            box = QLabel()
            box.setObjectName("card")
            box.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.setMinimumWidth(110)
            box.setToolTip(label)
            self.cards[key] = box
            box.setProperty("label", label)
            cards.addWidget(box)
        grid.addLayout(cards, 0, 0, 1, 2)
        self.count_chart, v1 = _chart("活跃 / 新增 / 流失商户(近12个月)")
        self.rate_chart, v2 = _chart("留存率与时限内解决率(%)")
        self.tag_chart, v3 = _chart("标签分布")
        self.fault_chart, v4 = _chart("各产品故障率(%)")
        grid.addWidget(v1, 1, 0)
        grid.addWidget(v2, 1, 1)
        grid.addWidget(v3, 2, 0)
        grid.addWidget(v4, 2, 1)
        self.rises = RowsModel(mover_columns())
        self.falls = RowsModel(mover_columns())
        for col, (title, model) in enumerate((("交易额增长最多", self.rises), ("交易额下降最多", self.falls))):
            column = QVBoxLayout()
            column.addWidget(QLabel(title))
            table = DataTable()
            table.setModel(model)
            table.setMinimumHeight(240)
            column.addWidget(table)
            grid.addLayout(column, 3, col)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        outer.addWidget(self.summary)
        self.refresh()

    def refresh(self) -> None:
        self.summary.setText("正在计算……")
        month = self.month

        def job():
            from app.core.merchant_tags import compute_tags, tags_computed

            if not tags_computed(month):
                compute_tags(month)
            trend = figs.trend(month, 12)
            rises, falls = figs.top_movers(month, 10)
            return merchant_months(), trend, rises, falls

        self.loader.load(job, self._loaded)

    def _loaded(self, result) -> None:
        months, trend, rises, falls = result
        self.data = result
        self._fill_months(months)
        f: figs.MonthFigures = trend[-1]
        values = {
            "active": f"{f.active:,}", "new": f"{f.new:,}", "lost": f"{f.lost:,}",
            "retention": ratio_text(f.retention), "satisfaction": ratio_text(f.satisfaction, percent=False),
            "sla": ratio_text(f.resolution_share),
            "hours": "—" if f.handling_hours is None else f"{ratio_text(f.handling_hours, percent=False)} 小时",
        }
        for key, box in self.cards.items():
            box.setText(f"{box.property('label')}\n{values[key]}")
        self._draw(trend)
        self.rises.set_rows(rises)
        self.falls.set_rows(falls)
        self.summary.setText(f"{format_month(self.month)}:活跃商户 {f.active:,},交易额 {format_money(f.volume)}")

    # ------------------------------------------------------------ charts
    def _draw(self, trend: list[figs.MonthFigures]) -> None:
        labels = [m.month[2:] for m in trend]
        self._lines(self.count_chart, labels, [
            ("活跃", [m.active for m in trend]), ("新增", [m.new for m in trend]), ("流失", [m.lost for m in trend])])
        self._lines(self.rate_chart, labels, [
            ("留存率", [_pct(m.retention) for m in trend]),
            ("时限内解决率", [_pct(m.resolution_share) for m in trend])])
        last = trend[-1]
        self._bars(self.tag_chart, [MERCHANT_TAG_LABELS[t] for t in MERCHANT_TAGS],
                   [("商户数", [last.tags.get(t, 0) for t in MERCHANT_TAGS])])
        products = sorted(last.fault_rate)
        self._bars(self.fault_chart, products or ["—"],
                   [("故障率", [_pct(last.fault_rate[p]) for p in products] or [0])])

    @staticmethod
    def _reset(chart: QChart) -> None:
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)

    def _lines(self, chart: QChart, labels: list[str], series: list[tuple[str, list]]) -> None:
        self._reset(chart)
        x = QBarCategoryAxis()
        x.append(labels)
        y = QValueAxis()
        top = max([v for _n, vs in series for v in vs if v is not None] + [1])
        y.setRange(0, top * 1.1)
        y.setLabelFormat("%d")
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for name, values in series:
            s = QLineSeries()
            s.setName(name)
            s.setPointsVisible(True)
            for i, v in enumerate(values):
                if v is not None:
                    s.append(i, v)
            chart.addSeries(s)
            s.attachAxis(y)
        # a category axis under line series: points sit on the categories 0 … n−1
        hidden = QValueAxis()
        hidden.setRange(0, max(len(labels) - 1, 1))
        hidden.setVisible(False)
        chart.addAxis(hidden, Qt.AlignmentFlag.AlignBottom)
        for line in chart.series():
            line.attachAxis(hidden)

    def _bars(self, chart: QChart, labels: list[str], series: list[tuple[str, list]]) -> None:
        self._reset(chart)
        bars = QBarSeries()
        for name, values in series:
            bs = QBarSet(name)
            for v in values:
                bs.append(v or 0)
            bars.append(bs)
        bars.setLabelsVisible(True)
        chart.addSeries(bars)
        x = QBarCategoryAxis()
        x.append(labels)
        y = QValueAxis()
        top = max([v or 0 for _n, vs in series for v in vs] + [1])
        y.setRange(0, top * 1.15)
        y.setLabelFormat("%d")
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        bars.attachAxis(x)
        bars.attachAxis(y)

    # ------------------------------------------------------------ export
    def export(self) -> None:
        if self.data is None:
            return
        path = ask_path(self, f"商户分析_{self.month}")
        if path is None:
            return
        try:
            n = export_analysis(path, self.data)
        except Exception as exc:  # UserError shown as is; a defect is logged
            show_error(self, exc)
            return
        show_info(self, f"已导出 {n} 行到\n{path}")


def _pct(value) -> float | None:
    """A ratio as a percentage for a chart axis (display only, never money)."""
    return None if value is None else round(value.numerator * 100 / value.denominator, 2)


def export_analysis(path, data: tuple) -> int:
    """The page's figures, trend, tag distribution, fault rates and movers as sheets."""
    from app.io.xlsx_export import export_sheets

    _months, trend, rises, falls = data
    last = trend[-1]
    trend_rows = [[format_month(m.month), m.active, m.new, m.lost, ratio_text(m.retention),
                   ratio_text(m.satisfaction, percent=False), ratio_text(m.resolution_share),
                   ratio_text(m.handling_hours, percent=False), format_money(m.volume)] for m in trend]
    tag_rows = [[MERCHANT_TAG_LABELS[t], last.tags.get(t, 0)] for t in MERCHANT_TAGS]
    fault_rows = [[p, last.faults[p][0], last.faults[p][1], ratio_text(last.fault_rate[p])]
                  for p in sorted(last.fault_rate)]

    def movers(rows):
        return [[r.merchant_no, r.name, format_money(r.previous), format_money(r.volume),
                 format_money(r.change)] for r in rows]

    mover_head = ["商户编号", "商户名称", "上月交易额", "本月交易额", "变化"]
    return export_sheets(path, [
        ("月度指标", ["月份", "活跃商户", "新增", "流失", "留存率", "平均满意度", "时限内解决率",
                  "平均处理时长(小时)", "交易额"], trend_rows),
        ("标签分布", ["标签", "商户数"], tag_rows),
        ("故障率", ["产品", "故障终端", "在用已激活终端", "故障率"], fault_rows),
        ("增长最多", mover_head, movers(rises)),
        ("下降最多", mover_head, movers(falls)),
    ])

