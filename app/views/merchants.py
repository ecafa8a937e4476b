"""商户: every merchant with its owner (业务员), tag, volume trend, terminals, open tickets
and last contact; below, the selected merchant's terminals, tickets, contact log and owner
history.  交接 hands one or many merchants to another member from a date."""

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
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import team_desk as svc
from app.core.errors import UserError
from app.core.money import format_money
from app.core.months import working_month
from app.core.team import CHANNELS
from app.views.changes import announce
from app.views.errors import show_error
from app.views.page import Page
from app.views.table_model import Column, RowsModel, int_column, money_column
from app.views.widgets import DataTable, DateEdit, SearchBox, hint_label, page_head


def _trend(v: tuple[int, int, int]) -> str:
    if v[1] == 0:
        return "新增" if v[2] else ""
    pct = (v[2] - v[1]) * 100 // v[1] if v[2] >= v[1] else -((v[1] - v[2]) * 100 // v[1])
    arrow = "↑" if pct > 0 else "↓" if pct < 0 else "→"
    return f"{arrow}{abs(pct)}%"


def merchant_columns() -> list[Column]:
    return [
        Column("商户编号", "merchant_no", width=130), Column("商户名称", "name", width=150),
        Column("业务员", "owner", width=100), Column("标签", "tag", width=70),
        money_column("前两月", lambda r: r.volumes[0], width=110),
        money_column("上月", lambda r: r.volumes[1], width=110),
        money_column("本月交易额", lambda r: r.volumes[2], width=110),
        Column("趋势", lambda r: _trend(r.volumes), width=70, align="right"),
        int_column("机具", "terminals", width=50), int_column("未结工单", "open_tickets", width=70),
        Column("最近回访", "last_contact", width=100), Column("行业", "industry", width=80),
    ]


class HandoverDialog(QDialog):
    def __init__(self, merchant_ids: list[int], parent: QWidget | None = None):
        super().__init__(parent)
        self.ids = merchant_ids
        self.setWindowTitle("商户交接")
        form = QFormLayout(self)
        form.addRow(QLabel(f"交接 {len(merchant_ids)} 个商户"))
        self.member = QComboBox()
        for sid, label in svc.active_members():
            self.member.addItem(label, sid)
        self.day = DateEdit(dt.date.today())
        form.addRow("接手员工", self.member)
        form.addRow("自(含当日)", self.day)
        form.addRow(hint_label("交接日当天及以后的交易与激活计入接手员工;之前的记录保留。", wrap=True))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def save(self) -> None:
        try:
            changes = svc.handover(self.ids, self.member.currentData(), self.day.date_value())
        except UserError as exc:
            show_error(self, exc)
            return
        announce(changes)
        self.accept()


class ContactDialog(QDialog):
    def __init__(self, merchant_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.merchant_id = merchant_id
        self.setWindowTitle("记录回访")
        form = QFormLayout(self)
        self.member = QComboBox()
        for sid, label in svc.active_members():
            self.member.addItem(label, sid)
        self.day = DateEdit(dt.date.today())
        self.channel = QComboBox()
        self.channel.addItems(list(CHANNELS))
        self.summary = QLineEdit()
        self.next = QLineEdit()
        self.next.setPlaceholderText("如 2026-11-05,可空")
        form.addRow("员工", self.member)
        form.addRow("日期", self.day)
        form.addRow("方式", self.channel)
        form.addRow("内容", self.summary)
        form.addRow("下次日期", self.next)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def save(self) -> None:
        from app.core import values

        try:
            nxt = values.day(self.next.text(), "下次日期") if self.next.text().strip() else None
            changes = svc.add_contact(self.merchant_id, self.member.currentData(),
                                      self.day.date_value(), self.channel.currentText(),
                                      self.summary.text(), nxt)
        except (UserError, ValueError) as exc:
            show_error(self, exc)
            return
        announce(changes)
        self.accept()


class MerchantsPage(Page):
    nav_title = "商户"
    watches = frozenset({"merchants", "team", "contacts", "tickets", "imports", "statements"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        page_head(outer, "商户", "业务员按生效日期记录,交接保留历史;交易额为计入的成功减退货。")
        bar = QHBoxLayout()
        self.search = SearchBox("搜索商户编号、名称或业务员 (Ctrl+F)")
        self.search.search.connect(lambda _t: self.apply_filter())
        bar.addWidget(self.search, 2)
        bar.addWidget(QLabel("月份"))
        self.month = QLineEdit(working_month())
        self.month.setMaximumWidth(90)
        self.month.editingFinished.connect(self.refresh)
        bar.addWidget(self.month)
        hand = QPushButton("交接所选…")
        hand.clicked.connect(self.handover)
        contact = QPushButton("记录回访…")
        contact.clicked.connect(self.add_contact)
        bar.addWidget(hand)
        bar.addWidget(contact)
        bar.addStretch(1)
        outer.addLayout(bar)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = RowsModel(merchant_columns())
        self.table = DataTable()
        self.table.setModel(self.model)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self.show_details())
        split.addWidget(self.table)
        self.details = QTabWidget()
        self.terminals = RowsModel([Column("终端SN", 0, width=150), Column("产品", 1, width=80),
                                    Column("激活日", 2, width=100)])
        self.tickets = RowsModel([Column("工单号", "ticket_no", width=100), Column("类型", "type_label", width=60),
                                  Column("处理人", "staff", width=100), Column("创建时间", "opened", width=150),
                                  Column("状态", "state", width=70), Column("满意度", "rating", width=60)])
        self.contacts = RowsModel([Column("日期", 0, width=100), Column("员工", 1, width=100),
                                   Column("方式", 2, width=60), Column("内容", 3, width=260),
                                   Column("下次日期", 4, width=100)])
        self.owners = RowsModel([Column("自", 0, width=100), Column("业务员", 1, width=150)])
        for model, label in ((self.terminals, "机具"), (self.tickets, "工单"), (self.contacts, "回访记录"),
                             (self.owners, "业务员历史")):
            view = DataTable()
            view.setModel(model)
            self.details.addTab(view, label)
        split.addWidget(self.details)
        split.setSizes([420, 220])
        outer.addWidget(split, 1)
        self.summary = QLabel()
        outer.addWidget(self.summary)
        self._tickets: list[svc.TicketRow] = []
        self.refresh()

    def refresh(self) -> None:
        try:
            rows = svc.merchants(self.month.text().strip())
        except (UserError, ValueError) as exc:
            show_error(self, exc)
            return
        self.model.set_rows(rows)
        self._tickets = svc.tickets()
        self.apply_filter()
        total = sum(r.volumes[2] for r in rows)
        self.summary.setText(f"共 {len(rows):,} 个商户,本月交易额 {format_money(total)}")
        self.show_details()

    def apply_filter(self) -> None:
        text = self.search.text().strip()
        self.model.set_filter(
            (lambda r: text in r.merchant_no or text in r.name or text in r.owner) if text else None)

    def focus_search(self) -> None:
        self.search.setFocus()

    def show_details(self) -> None:
        m = self.table.current_object()
        if m is None:
            for model in (self.terminals, self.tickets, self.contacts, self.owners):
                model.set_rows([])
            return
        self.terminals.set_rows(svc.merchant_terminals(m.merchant_no))
        self.tickets.set_rows([t for t in self._tickets if t.merchant == m.merchant_no])
        self.contacts.set_rows(svc.contacts_of(m.id))
        self.owners.set_rows(svc.owner_history(m.id))

    def handover(self) -> None:
        ids = [m.id for m in self.table.selected_objects()]
        if not ids:
            show_error(self, "请先在列表中选择要交接的商户(可多选)")
            return
        HandoverDialog(ids, self).exec()

    def add_contact(self) -> None:
        m = self.table.current_object()
        if m is None:
            show_error(self, "请先选择商户")
            return
        ContactDialog(m.id, self).exec()
