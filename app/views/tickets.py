"""工单: service tickets with filters (state, type, member, overdue), the response time
of their type (服务标准, 时限) and new / resolve / rate dialogs.  Overdue open tickets come first."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core import team_desk as svc
from app.core.errors import UserError
from app.core.team import TYPE_LABELS
from app.views.changes import announce
from app.views.errors import show_error
from app.views.page import Page
from app.views.table_model import Column, RowsModel
from app.views.widgets import DataTable, SearchBox, page_head


def ticket_columns() -> list[Column]:
    return [
        Column("工单号", "ticket_no", width=100), Column("类型", "type_label", width=60),
        Column("处理人", "staff", width=100), Column("商户编号", "merchant", width=120),
        Column("终端SN", "sn", width=120), Column("创建时间", "opened", width=150),
        Column("时限", lambda r: f"{r.sla_hours} 小时" if r.sla_hours else "不限", width=70),
        Column("状态", lambda r: "已超时" if r.overdue else r.state, width=70),
        Column("解决时间", "resolved", width=150), Column("满意度", "rating", width=60),
        Column("备注", "note", width=160),
    ]


def _moment(edit: QDateTimeEdit) -> dt.datetime:
    return dt.datetime.strptime(edit.dateTime().toString("yyyy-MM-dd HH:mm:ss"), "%Y-%m-%d %H:%M:%S")


class NewTicketDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("新建工单")
        form = QFormLayout(self)
        self.no = QLineEdit(dt.datetime.now().strftime("GD%Y%m%d%H%M%S"))
        self.opened = QDateTimeEdit(QDateTime.currentDateTime())
        self.opened.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.kind = QComboBox()
        for key, label in TYPE_LABELS.items():
            self.kind.addItem(label, key)
        self.member = QComboBox()
        for sid, label in svc.active_members():
            self.member.addItem(label, sid)
        self.merchant = QLineEdit()
        self.sn = QLineEdit()
        self.note = QLineEdit()
        for label, w in (("工单号", self.no), ("创建时间", self.opened), ("类型", self.kind),
                         ("处理人", self.member), ("商户编号", self.merchant), ("终端SN", self.sn),
                         ("备注", self.note)):
            form.addRow(label, w)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def save(self) -> None:
        try:
            changes = svc.new_ticket(self.no.text().strip(), _moment(self.opened),
                                     self.kind.currentData(), self.member.currentData(),
                                     self.merchant.text().strip(), self.sn.text().strip(), self.note.text())
        except UserError as exc:
            show_error(self, exc)
            return
        announce(changes)
        self.accept()


class ResolveDialog(QDialog):
    def __init__(self, ticket: svc.TicketRow, parent: QWidget | None = None):
        super().__init__(parent)
        self.ticket = ticket
        self.setWindowTitle(f"结单 {ticket.ticket_no}")
        form = QFormLayout(self)
        self.when = QDateTimeEdit(QDateTime.currentDateTime())
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.outcome = QComboBox()
        self.outcome.addItem("已解决", "resolved")
        self.outcome.addItem("未解决", "unresolved")
        form.addRow("创建时间", QLabel(ticket.opened))
        form.addRow("时限", QLabel(f"{ticket.sla_hours} 小时" if ticket.sla_hours else "不限"))
        form.addRow("解决时间", self.when)
        form.addRow("结果", self.outcome)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def save(self) -> None:
        try:
            changes = svc.resolve_ticket(self.ticket.id, _moment(self.when),
                                         self.outcome.currentData())
        except UserError as exc:
            show_error(self, exc)
            return
        announce(changes)
        self.accept()


class TicketsPage(Page):
    nav_title = "工单"
    watches = frozenset({"tickets", "team", "imports"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        page_head(outer, "工单", "时限取服务标准(按工单类型,在“商户维护”的“标签与回访设置”中设定);超时未结的工单排在最前。")
        bar = QHBoxLayout()
        self.search = SearchBox("搜索工单号、商户或SN (Ctrl+F)")
        self.search.search.connect(lambda _t: self.apply_filter())
        self.state = QComboBox()
        self.state.addItems(["全部状态", "处理中", "已解决", "未解决"])
        self.kind = QComboBox()
        self.kind.addItem("全部类型", "")
        for key, label in TYPE_LABELS.items():
            self.kind.addItem(label, key)
        self.member = QComboBox()
        self.overdue = QCheckBox("只看超时")
        for combo in (self.state, self.kind, self.member):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.overdue.toggled.connect(lambda _c: self.apply_filter())
        bar.addWidget(self.search, 2)
        for widget in (self.state, self.kind, self.member, self.overdue):
            bar.addWidget(widget)
        for text, slot in (("新建工单…", self.new_item), ("结单…", self.resolve), ("评价…", self.rate)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            bar.addWidget(b)
        outer.addLayout(bar)
        self.model = RowsModel(ticket_columns())
        self.table = DataTable()
        self.table.setModel(self.model)
        outer.addWidget(self.table, 1)
        self.summary = QLabel()
        outer.addWidget(self.summary)
        self.refresh()

    def refresh(self) -> None:
        rows = svc.tickets()
        self.model.set_rows(rows)
        current = self.member.currentData()
        self.member.blockSignals(True)
        self.member.clear()
        self.member.addItem("全部处理人", None)
        for m in svc.members():
            self.member.addItem(f"{m.code} {m.name}", m.id)
        idx = self.member.findData(current)
        self.member.setCurrentIndex(max(idx, 0))
        self.member.blockSignals(False)
        self.apply_filter()
        overdue = sum(r.overdue for r in rows)
        self.summary.setText(f"共 {len(rows):,} 张工单,处理中 {sum(not r.resolved for r in rows):,} 张,"
                             f"已超时 {overdue:,} 张")
        if overdue:
            self.summary.setStyleSheet(f"color: {QColor('#C62828').name()}")

    def apply_filter(self) -> None:
        text = self.search.text().strip()
        state = self.state.currentText()
        kind = self.kind.currentData()
        member = self.member.currentData()
        only_overdue = self.overdue.isChecked()

        def accept(r: svc.TicketRow) -> bool:
            return ((not text or text in r.ticket_no or text in r.merchant or text in r.sn)
                    and (state == "全部状态" or r.state == state)
                    and (not kind or r.type == kind)
                    and (member is None or r.staff_id == member)
                    and (not only_overdue or r.overdue))

        self.model.set_filter(accept)

    def focus_search(self) -> None:
        self.search.setFocus()

    def new_item(self) -> None:
        NewTicketDialog(self).exec()

    def resolve(self) -> None:
        t = self.table.current_object()
        if t is None:
            show_error(self, "请先选择工单")
            return
        ResolveDialog(t, self).exec()

    def rate(self) -> None:
        t = self.table.current_object()
        if t is None:
            show_error(self, "请先选择工单")
            return
        rating, ok = QInputDialog.getInt(self, "满意度", f"工单 {t.ticket_no} 的满意度(1–5)",
                                         t.rating or 5, 1, 5)
        if ok:
            try:
                announce(svc.rate_ticket(t.id, rating))
            except UserError as exc:
                show_error(self, exc)
