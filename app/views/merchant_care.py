"""商户维护 page: every merchant with its tag of the month, volume, owner and next call; the
今日回访 list (for one member or the whole office) with contact logging in two clicks, the
tickets with the overdue ones first, manual tags and the tag history."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import merchant_care as care
from app.core import merchants as svc
from app.core.errors import UserError
from app.core.merchant_tags import compute_tags, tag_history
from app.core.money import format_money, format_month
from app.core.months import working_month
from app.core.tagging import MERCHANT_TAG_LABELS, MERCHANT_TAGS, split_tags
from app.views.changes import announce
from app.views.errors import show_error
from app.views.page import Loader, Page
from app.views.table_export import add_export_action, export_view
from app.views.table_model import Column, RowsModel, money_column
from app.views.widgets import DataTable, DateEdit, SearchBox, hint_label, title_label


def _date(v: dt.date | None) -> str:
    return v.isoformat() if v else ""


def merchant_columns(today: dt.date) -> list[Column]:
    def due_text(v: dt.date | None) -> str:
        if v is None:
            return ""
        return f"{v.isoformat()}(到期)" if v <= today else v.isoformat()

    return [
        Column("商户编号", "merchant_no", width=130),
        Column("商户名称", "name", width=160),
        Column("业务员", "owner_text", width=100),
        Column("标签", "tag_label", width=70, sort_key=lambda t: t or "~"),
        Column("手工标签", "manual_text", width=100),
        money_column("本月交易额", "volume", width=120),
        money_column("前两月均额", "before", width=120),
        Column("最近交易", "last_txn", fmt=_date, width=95),
        Column("最近回访", "last_contact", fmt=_date, width=95),
        Column("下次回访", "due", fmt=due_text, width=130),
    ]


def due_columns() -> list[Column]:
    return [
        Column("应回访日", "due", fmt=_date, width=95),
        Column("类别", "kind_label", width=100),
        Column("商户编号", "merchant_no", width=130),
        Column("商户名称", "name", width=160),
        Column("标签", "tag_label", width=70),
        Column("负责员工", "staff", width=100),
        Column("原因", "reason", width=260),
    ]


def ticket_columns() -> list[Column]:
    return [
        Column("状态", lambda r: "超时" if r.overdue else ("处理中" if not r.resolved else "已关闭"), width=60),
        Column("工单号", "ticket_no", width=110),
        Column("类型", "type_label", width=60),
        Column("创建时间", "opened", width=150),
        Column("响应时限", "deadline", fmt=lambda d: d.strftime("%Y-%m-%d %H:%M"), width=130),
        Column("处理人", "staff", width=100),
        Column("商户编号", "merchant_no", width=120),
        Column("终端SN", "sn", width=120),
        Column("解决时间", "resolved", width=150),
        Column("满意度", "rating", width=60),
    ]


class ContactDialog(QDialog):
    """记录回访: channel, summary, next date — then 保存."""

    def __init__(self, merchant_no: str, name: str, staff_id: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"记录回访 — {merchant_no} {name}")
        self.merchant_no = merchant_no
        form = QFormLayout(self)
        self.staff = QComboBox()
        self.staff.addItem("(未指定)", None)
        for sid, label in svc.staff_choices():
            self.staff.addItem(label, sid)
        if staff_id is not None:
            i = self.staff.findData(staff_id)
            if i >= 0:
                self.staff.setCurrentIndex(i)
        self.day = DateEdit(dt.date.today())
        self.channel = QComboBox()
        for ch in care.CHANNELS:
            self.channel.addItem(ch)
        self.summary = QLineEdit()
        self.summary.setPlaceholderText("沟通内容(最多200字)")
        self.use_next = QCheckBox("指定下次回访日期(本次代替标签周期)")
        self.next_day = DateEdit(dt.date.today() + dt.timedelta(days=7))
        self.next_day.setEnabled(False)
        self.use_next.toggled.connect(self.next_day.setEnabled)
        form.addRow("员工", self.staff)
        form.addRow("日期", self.day)
        form.addRow("方式", self.channel)
        form.addRow("内容", self.summary)
        form.addRow(self.use_next)
        form.addRow("下次日期", self.next_day)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.summary.setFocus()

    def save(self) -> None:
        try:
            changes = care.log_contact(
                self.merchant_no, self.day.date_value(), self.staff.currentData(),
                self.channel.currentText(), self.summary.text(),
                self.next_day.date_value() if self.use_next.isChecked() else None)
        except UserError as exc:
            show_error(self, exc)
            return
        announce(changes)
        self.accept()


class ManualTagsDialog(QDialog):
    def __init__(self, row: svc.MerchantRow, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"手工标签 — {row.merchant_no}")
        self.merchant_no = row.merchant_no
        lay = QVBoxLayout(self)
        lay.addWidget(hint_label(f"计算标签:{row.tag_label or '无'}。手工标签与之并列,用逗号分隔。"))
        self.edit = QLineEdit("、".join(row.manual))
        lay.addWidget(self.edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def save(self) -> None:
        try:
            announce(svc.set_manual_tags(self.merchant_no, split_tags(self.edit.text().replace("、", ","))))
        except UserError as exc:
            show_error(self, exc)
            return
        self.accept()


class HistoryDialog(QDialog):
    """A merchant's tag month by month, and its contact log."""

    def __init__(self, merchant_no: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"商户 {merchant_no}:标签历史与回访记录")
        self.resize(720, 460)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("标签历史(已计算的月份)"))
        hist = RowsModel([
            Column("月份", 0, fmt=format_month, width=100),
            Column("标签", 1, fmt=lambda t: MERCHANT_TAG_LABELS.get(t, t), width=80),
            money_column("当月交易额", 2), money_column("前两月均额", 3)], tag_history(merchant_no))
        t1 = DataTable()
        t1.setModel(hist)
        lay.addWidget(t1, 1)
        lay.addWidget(QLabel("回访记录"))
        log = RowsModel([
            Column("日期", "date", fmt=_date, width=95), Column("员工", "staff", width=100),
            Column("方式", "channel", width=60), Column("内容", "summary", width=260),
            Column("下次日期", "next_date", fmt=_date, width=95)], care.contacts_of(merchant_no))
        t2 = DataTable()
        t2.setModel(log)
        lay.addWidget(t2, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay.addWidget(close)


class MonthPage(Page):
    """A page about one month of merchant data: a title and a month chooser on top."""

    month: str

    def _head(self, title: str) -> tuple[QVBoxLayout, QHBoxLayout]:
        self.loader = Loader(self)
        self.month = working_month()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        head = QHBoxLayout()
        head.addWidget(title_label(title))
        self.month_box = QComboBox()
        self.month_box.setMinimumWidth(120)
        self.month_box.currentIndexChanged.connect(self._month_chosen)
        head.addWidget(QLabel("月份"))
        head.addWidget(self.month_box)
        outer.addLayout(head)
        return outer, head

    def _fill_months(self, months: list[str]) -> None:
        months = sorted(set(months) | {self.month}, reverse=True)
        self.month_box.blockSignals(True)
        self.month_box.clear()
        for m in months:
            self.month_box.addItem(format_month(m), m)
        self.month_box.setCurrentIndex(max(0, self.month_box.findData(self.month)))
        self.month_box.blockSignals(False)

    def _month_chosen(self, _i: int) -> None:
        m = self.month_box.currentData()
        if m and m != self.month:
            self.month = m
            self.refresh()


class MerchantCarePage(MonthPage):
    nav_title = "商户维护"
    watches = frozenset({"merchants", "contacts", "tickets", "transactions", "imports", "settings",
                         "staff", "all"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.today = dt.date.today()
        outer, head = self._head("商户维护")
        recompute = QPushButton("重新计算标签")
        recompute.setToolTip("按月末规则重新给每个商户打标签(沉睡/流失风险/新商户/潜力增长/忠诚/一般)")
        recompute.clicked.connect(self.recompute)
        head.addWidget(recompute)
        rules = QPushButton("标签与回访设置")
        rules.clicked.connect(self.edit_rules)
        head.addWidget(rules)
        head.addStretch(1)

        self.tabs = QTabWidget()
        outer.addWidget(self.tabs, 1)
        self.tabs.addTab(self._list_tab(), "商户列表")
        self.tabs.addTab(self._due_tab(), "今日回访")
        self.tabs.addTab(self._ticket_tab(), "工单")
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        outer.addWidget(self.summary)
        self._update_buttons()
        self.refresh()

    # ------------------------------------------------------------ tabs
    def _list_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        bar = QHBoxLayout()
        self.search = SearchBox("搜索商户编号、名称、业务员、手工标签 (Ctrl+F)")
        self.search.search.connect(lambda _t: self.apply_filter())
        self.tag_filter = QComboBox()
        self.tag_filter.addItem("全部标签", None)
        for t in MERCHANT_TAGS:
            self.tag_filter.addItem(MERCHANT_TAG_LABELS[t], t)
        self.tag_filter.addItem("未打标签", "")
        self.tag_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.owner_filter = QComboBox()
        self.owner_filter.setMinimumWidth(120)
        self.owner_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.due_only = QCheckBox("只看到期")
        self.due_only.toggled.connect(lambda _c: self.apply_filter())
        bar.addWidget(self.search, 2)
        bar.addWidget(self.tag_filter)
        bar.addWidget(self.owner_filter)
        bar.addWidget(self.due_only)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("contact", "记录回访", self.log_contact), ("tags", "手工标签", self.edit_tags),
                                ("history", "标签历史", self.show_history)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            self.buttons[key] = b
            bar.addWidget(b)
        export = QPushButton("导出Excel")
        export.clicked.connect(self.export_list)
        bar.addWidget(export)
        lay.addLayout(bar)
        self.model = RowsModel(merchant_columns(self.today))
        self.table = DataTable()
        self.table.setModel(self.model)
        self.table.doubleClicked.connect(lambda _i: self.log_contact())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        add_export_action(self.table, "商户")
        lay.addWidget(self.table, 1)
        return w

    def _due_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("员工"))
        self.member = QComboBox()
        self.member.setMinimumWidth(140)
        self.member.currentIndexChanged.connect(lambda _i: self.refresh_due())
        bar.addWidget(self.member)
        log = QPushButton("记录回访")
        log.setProperty("primary", True)
        log.clicked.connect(self.log_due_contact)
        bar.addWidget(log)
        export = QPushButton("导出Excel")
        export.clicked.connect(self.export_due)
        bar.addWidget(export)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.due_model = RowsModel(due_columns())
        self.due_table = DataTable(multi=False)
        self.due_table.setModel(self.due_model)
        self.due_table.doubleClicked.connect(lambda _i: self.log_due_contact())
        lay.addWidget(self.due_table, 1)
        lay.addWidget(hint_label("按标签的回访周期到期(或上次约定的下次日期已到)的商户,以及工单解决后待跟进的商户。"
                                 "选中一行,点“记录回访”,填写后保存。"))
        return w

    def _ticket_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        self.ticket_model = RowsModel(ticket_columns())
        self.ticket_table = DataTable()
        self.ticket_table.setModel(self.ticket_model)
        add_export_action(self.ticket_table, "工单")
        lay.addWidget(hint_label("超过服务标准响应时限仍未解决的工单(状态“超时”)排在最前。时限在“设置”中按工单类型设定。"))
        lay.addWidget(self.ticket_table, 1)
        return w

    # ------------------------------------------------------------ loading
    def refresh(self) -> None:
        self.today = dt.date.today()
        self.summary.setText("正在加载……")
        month = self.month
        today = self.today
        member = self.member.currentData() if self.member.count() else None

        def job():
            months = svc.merchant_months()
            # owners as of today: the member to call is the one keeping the merchant now
            rows = svc.merchant_rows(month, owner_day=today)
            plan_rows = rows if svc.tag_month_for(today) == month else None
            return (months, rows, svc.staff_choices(), svc.due_list(today, member, plan_rows),
                    care.ticket_rows())

        self.loader.load(job, self._loaded)

    def _loaded(self, result) -> None:
        months, rows, staff, due, tickets = result
        self._fill_months(months)
        self._fill_staff(staff)
        self.model.set_rows(rows)
        self.apply_filter()
        self._show_due(due)
        self.ticket_model.set_rows(tickets)
        late = sum(1 for t in tickets if t.overdue)
        self.tabs.setTabText(2, f"工单(超时 {late})" if late else "工单")
        self._update_buttons()

    def _fill_staff(self, staff: list[tuple[int, str]]) -> None:
        for box, first in ((self.owner_filter, "全部业务员"), (self.member, "本机构(全部)")):
            keep = box.currentData()
            box.blockSignals(True)
            box.clear()
            box.addItem(first, None)
            if box is self.owner_filter:
                box.addItem("(无业务员)", 0)
            for sid, label in staff:
                box.addItem(label, sid)
            i = box.findData(keep)
            box.setCurrentIndex(max(0, i))
            box.blockSignals(False)

    def refresh_due(self) -> None:
        member = self.member.currentData()
        today = self.today
        self.loader.load(lambda: svc.due_list(today, member), self._show_due)

    def _show_due(self, due: list[svc.DueItem]) -> None:
        self.due_model.set_rows(due)
        self.tabs.setTabText(1, f"今日回访({len(due)})")

    def recompute(self) -> None:
        month = self.month
        self.summary.setText("正在计算标签……")

        def job():
            compute_tags(month)
            return None

        self.loader.load(job, lambda _r: self.refresh())

    # ------------------------------------------------------------ filtering
    def apply_filter(self) -> None:
        text = self.search.text().strip().lower()
        tag = self.tag_filter.currentData()
        owner = self.owner_filter.currentData()
        due_only = self.due_only.isChecked()
        today = self.today

        def accept(r: svc.MerchantRow) -> bool:
            if tag is not None and (r.tag or "") != tag:
                return False
            if owner is not None and (r.owner_id or 0) != owner:
                return False
            if due_only and (r.due is None or r.due > today):
                return False
            if text:
                return text in f"{r.merchant_no} {r.name} {r.owner_text} {r.manual_text}".lower()
            return True

        active = text or tag is not None or owner is not None or due_only
        self.model.set_filter(accept if active else None)
        shown = self.model.shown_rows()
        due = sum(1 for r in shown if r.due is not None and r.due <= today)
        self.summary.setText(
            f"{format_month(self.month)}:共 {self.model.total_count():,} 个商户,显示 {len(shown):,} 个,"
            f"其中到期待回访 {due:,} 个;本月交易额合计 {format_money(sum(r.volume for r in shown))}")
        self._update_buttons()

    def focus_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.search.setFocus()
        self.search.selectAll()

    def current(self) -> svc.MerchantRow | None:
        return self.table.current_object() if self.table.selected_view_rows() else None

    def _update_buttons(self) -> None:
        r = self.current()
        for b in self.buttons.values():
            b.setEnabled(r is not None)

    # ------------------------------------------------------------ actions
    def log_contact(self) -> None:
        r = self.current()
        if r is not None:
            ContactDialog(r.merchant_no, r.name, r.owner_id, self).exec()

    def log_due_contact(self) -> None:
        item = self.due_table.current_object() if self.due_table.selected_view_rows() else None
        if item is not None:
            ContactDialog(item.merchant_no, item.name, item.staff_id, self).exec()

    def edit_tags(self) -> None:
        r = self.current()
        if r is not None:
            ManualTagsDialog(r, self).exec()

    def show_history(self) -> None:
        r = self.current()
        if r is not None:
            HistoryDialog(r.merchant_no, self).exec()

    def export_list(self) -> None:
        export_view(self, self.table, "商户")

    def export_due(self) -> None:
        export_view(self, self.due_table, "今日回访")

    def edit_rules(self) -> None:
        from app.views.merchant_settings import CareSettingsDialog

        if CareSettingsDialog(self).exec():
            self.recompute()

    def prepare_screenshot(self) -> None:
        if self.model.rowCount():
            self.table.selectRow(0)
