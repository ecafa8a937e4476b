"""审计日志: who changed what, when, from what to what (``app.core.audit``).

Filters by date range, user and action area; 导出Excel writes exactly the rows shown.
Reading the log needs the ``audit`` permission (管理员, 财务); other roles see why not.
"""

from __future__ import annotations

import datetime as dt
import json

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core import audit, auth
from app.views.page import Page
from app.views.table_export import export_view
from app.views.table_model import Column, RowsModel
from app.views.widgets import DataTable, DateEdit, hint_label, title_label


def _change(value: object) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 300 else text[:300] + "…"


COLUMNS = [
    Column("时间", lambda e: e.time.replace("T", " "), width=150),
    Column("用户", "user", width=90),
    Column("操作", "action", width=120),
    Column("对象", "object", width=220),
    Column("修改前", lambda e: _change(e.before), width=220),
    Column("修改后", lambda e: _change(e.after)),
]


class AuditPage(Page):
    nav_title = "审计日志"
    watches = frozenset()  # every change writes an entry

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addWidget(title_label("审计日志"))
        bar = QHBoxLayout()
        today = dt.date.today()
        self.since = DateEdit(today - dt.timedelta(days=30))
        self.until = DateEdit(today)
        self.user = QComboBox()
        self.action = QComboBox()
        self.export_btn = QPushButton("导出Excel…")
        for label, widget in (("从", self.since), ("到", self.until), ("用户", self.user),
                              ("操作", self.action)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.export_btn)
        lay.addLayout(bar)
        self.model = RowsModel(COLUMNS)
        self.table = DataTable()
        self.table.setModel(self.model)
        lay.addWidget(self.table, 1)
        self.count = hint_label("")
        lay.addWidget(self.count)
        lay.addWidget(hint_label(
            "每一笔对金额、归属、人员、政策和设置的修改都与修改本身在同一事务中记入此日志;"
            "日志只能追加,数据库拒绝修改或删除(见 设置 → 数据校验)。", wrap=True))
        for w in (self.since, self.until):
            w.dateChanged.connect(lambda _d: self.refresh())
        self.user.currentIndexChanged.connect(lambda _i: self.refresh())
        self.action.currentIndexChanged.connect(lambda _i: self.refresh())
        self.export_btn.clicked.connect(lambda: export_view(self, self.table, "审计日志"))
        self._filling = False
        self.refresh()

    def _fill_filters(self) -> None:
        users, actions = audit.users_and_actions()
        self._filling = True
        for combo, values in ((self.user, users), (self.action, actions)):
            current = combo.currentData()
            combo.clear()
            combo.addItem("全部", "")
            for v in values:
                combo.addItem(v, v)
            index = combo.findData(current)
            combo.setCurrentIndex(max(index, 0))
        self._filling = False

    def refresh(self) -> None:
        if self._filling if hasattr(self, "_filling") else True:
            return
        if not auth.can("audit"):
            self.model.set_rows([])
            user = auth.current()
            self.count.setText(f"当前用户“{user.name}”({user.role_label})无权查看审计日志")
            self.export_btn.setEnabled(False)
            return
        self.export_btn.setEnabled(True)
        self._fill_filters()
        rows = audit.entries(
            since=self.since.date_value(), until=self.until.date_value(),
            user=self.user.currentData() or None, action=self.action.currentData() or None,
        )
        rows.reverse()  # newest first
        self.model.set_rows(rows)
        self.count.setText(f"共 {len(rows)} 条")
