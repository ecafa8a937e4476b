"""团队: the office's staff, their commission plans (with a tier editor) and the month's
commission table; double-click a line amount to see the rows it counted."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import team_desk as svc
from app.core.errors import UserError
from app.core.months import working_month
from app.core.team import ROLE_LABELS, SCOPE_LABELS, format_tiers, parse_tiers
from app.views.changes import announce
from app.views.errors import show_error
from app.views.page import Page
from app.views.table_model import Column, RowsModel, int_column, money_column, rate_column
from app.views.widgets import DataTable, hint_label, page_head


def member_columns() -> list[Column]:
    return [
        Column("员工编号", "code", width=90), Column("姓名", "name", width=90),
        Column("岗位", "role", width=70), Column("手机", "phone", width=120),
        Column("入职日期", "joined", width=100), Column("离职日期", "left", width=100),
        int_column("负责商户", "merchants", width=80),
    ]


def plan_columns() -> list[Column]:
    return [
        Column("适用对象", "target", width=130), Column("生效月份", "effective_month", width=80),
        money_column("底薪", "base", width=100), money_column("激活提成", "per_activation", width=90),
        rate_column("交易提成", "volume_rate"), Column("范围", "scope", width=50),
        money_column("工单提成", "per_ticket", width=90),
        Column("时限(小时)", "sla_hours", width=80, align="right"),
        Column("解决率奖励", "resolution_tiers", width=140),
        Column("满意度奖励", "satisfaction_tiers", width=130),
        int_column("最少评价", "min_ratings"),
    ]


COMMISSION_LINES = ["base_fen", "activation_fen", "volume_fen", "ticket_fen",
                    "resolution_bonus_fen", "satisfaction_bonus_fen", "adjustment_fen", "total_fen"]
DRILL = {2: "activation", 4: "volume", 5: "ticket", 6: "resolution", 7: "satisfaction"}


def commission_columns() -> list[Column]:
    def g(key: str):
        return lambda r: r[key]

    return [
        Column("员工", lambda r: f"{r['code']} {r['name']}", width=110),
        money_column("底薪", g("base_fen"), width=95),
        money_column("激活提成", g("activation_fen"), width=90, tooltip="双击查看计入的激活机具"),
        int_column("激活台数", g("activations")),
        money_column("交易提成", g("volume_fen"), width=90, tooltip="双击查看按商户的交易额"),
        money_column("工单提成", g("ticket_fen"), width=90, tooltip="双击查看已解决的工单"),
        money_column("解决率奖励", g("resolution_bonus_fen"), width=90, tooltip="双击查看时限内外的工单"),
        money_column("满意度奖励", g("satisfaction_bonus_fen"), width=90, tooltip="双击查看评价"),
        money_column("奖惩", g("adjustment_fen"), width=90),
        money_column("应发提成", g("total_fen"), width=110),
        Column("解决率", lambda r: r["resolution_share"] or "", width=70, align="right"),
        Column("平均满意度", lambda r: r["satisfaction_avg"] or "", width=80, align="right"),
    ]


class TierEditor(QDialog):
    """Edit tiers as rows of (threshold, bonus in yuan); returns the canonical text."""

    def __init__(self, kind: str, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle("解决率阶梯" if kind == "resolution" else "满意度阶梯")
        lay = QVBoxLayout(self)
        lay.addWidget(hint_label("门槛:解决率写 90%(或 0.9),满意度写平均分(如 4.5);奖励单位为元。达到门槛即可,只发最高一档。"
                                 , wrap=True))
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["门槛", "奖励(元)"])
        lay.addWidget(self.table)
        for part in [p for p in text.replace("；", ";").split(";") if p.strip()]:
            t, _, b = part.replace("：", ":").partition(":")
            self._add(t.strip(), b.strip())
        row = QHBoxLayout()
        add, remove = QPushButton("加一档"), QPushButton("删除所选")
        add.clicked.connect(lambda: self._add("", ""))
        remove.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()))
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        lay.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.text = text

    def _add(self, threshold: str, bonus: str) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.table.setItem(r, 0, QTableWidgetItem(threshold))
        self.table.setItem(r, 1, QTableWidgetItem(bonus))

    def tiers_text(self) -> str:
        parts = []
        for r in range(self.table.rowCount()):
            cells = [self.table.item(r, c) for c in (0, 1)]
            t, b = ((c.text().strip() if c else "") for c in cells)
            if t or b:
                parts.append(f"{t}:{b}")
        return format_tiers(parse_tiers(";".join(parts), self.kind), self.kind)

    def accept(self) -> None:
        try:
            self.text = self.tiers_text()
        except ValueError as exc:
            show_error(self, str(exc))
            return
        super().accept()


class PlanDialog(QDialog):
    """Add or replace a plan (one per target and month)."""

    def __init__(self, parent: QWidget | None = None, plan: svc.PlanRow | None = None):
        super().__init__(parent)
        self.setWindowTitle("提成方案")
        form = QFormLayout(self)
        self.target = QComboBox()
        self.target.setEditable(True)
        for label in ROLE_LABELS.values():
            self.target.addItem(label)
        for m in svc.members():
            self.target.addItem(m.code)
        self.month = QLineEdit(working_month())
        self.fields = {k: QLineEdit() for k in ("base", "per_activation", "volume_rate", "per_ticket",
                                                 "sla_hours", "min_ratings")}
        self.fields["min_ratings"].setText("1")
        self.scope = QComboBox()
        for key, label in SCOPE_LABELS.items():
            self.scope.addItem(label, key)
        self.tiers = {"resolution": QLineEdit(), "satisfaction": QLineEdit()}
        form.addRow("适用对象(岗位或员工编号)", self.target)
        form.addRow("生效月份", self.month)
        for key, label in (("base", "底薪(元/月)"), ("per_activation", "激活提成(元/台)"),
                           ("volume_rate", "交易提成(如 万5 或 0.05%)"), ("per_ticket", "解决工单提成(元/单)"),
                           ("sla_hours", "处理时限(小时,空=不限)"), ("min_ratings", "最少评价数")):
            form.addRow(label, self.fields[key])
        form.addRow("范围", self.scope)
        for kind, label in (("resolution", "解决率奖励"), ("satisfaction", "满意度奖励")):
            row = QHBoxLayout()
            row.addWidget(self.tiers[kind], 1)
            edit = QPushButton("编辑阶梯…")
            edit.clicked.connect(lambda _c=False, k=kind: self.edit_tiers(k))
            row.addWidget(edit)
            form.addRow(label, row)
        if plan is not None:
            self.target.setCurrentText(plan.target.split(" ")[0].replace("(岗位)", ""))
            self.month.setText(plan.effective_month)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def edit_tiers(self, kind: str) -> None:
        dlg = TierEditor(kind, self.tiers[kind].text(), self)
        if dlg.exec():
            self.tiers[kind].setText(dlg.text)

    def save(self) -> None:
        f = {k: w.text().strip() for k, w in self.fields.items()}
        try:
            changes = svc.save_plan(
                self.target.currentText().strip(), self.month.text().strip(),
                scope=self.scope.currentData(), resolution_tiers=self.tiers["resolution"].text(),
                satisfaction_tiers=self.tiers["satisfaction"].text(), **f)
        except (UserError, ValueError) as exc:
            show_error(self, exc)
            return
        announce(changes)
        self.accept()


class DrillDialog(QDialog):
    def __init__(self, title: str, headers: list[str], rows: list[tuple], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, 420)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"{title}:共 {len(rows)} 行"))
        self.model = RowsModel([Column(h, i, width=120) for i, h in enumerate(headers)], rows)
        table = DataTable()
        table.setModel(self.model)
        lay.addWidget(table)


class TeamPage(Page):
    nav_title = "团队"
    watches = frozenset({"team", "statements", "months", "imports", "tickets"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        page_head(outer, "团队", "员工、提成方案与每月员工提成;提成随月结计算与锁定。")
        self.tabs = QTabWidget()
        outer.addWidget(self.tabs, 1)
        self.members_model = RowsModel(member_columns())
        self.members_table = DataTable()
        self.members_table.setModel(self.members_model)
        self.tabs.addTab(self.members_table, "成员")
        plans_box = QWidget()
        pl = QVBoxLayout(plans_box)
        bar = QHBoxLayout()
        new = QPushButton("新增/修改方案…")
        new.clicked.connect(self.new_item)
        bar.addWidget(new)
        bar.addWidget(hint_label("员工本人的方案整体优先于岗位方案;方案自生效月份起适用。"))
        bar.addStretch(1)
        pl.addLayout(bar)
        self.plans_model = RowsModel(plan_columns())
        self.plans_table = DataTable()
        self.plans_table.setModel(self.plans_model)
        self.plans_table.doubleClicked.connect(lambda _i: self.edit_plan())
        pl.addWidget(self.plans_table)
        self.tabs.addTab(plans_box, "提成方案")
        pay_box = QWidget()
        py = QVBoxLayout(pay_box)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("月份"))
        self.month = QLineEdit(working_month())
        self.month.setMaximumWidth(100)
        self.month.editingFinished.connect(self.refresh)
        bar.addWidget(self.month)
        bar.addWidget(hint_label("双击激活、交易、工单、解决率、满意度各列,查看计入的明细。"))
        bar.addStretch(1)
        py.addLayout(bar)
        self.pay_model = RowsModel(commission_columns())
        self.pay_table = DataTable()
        self.pay_table.setModel(self.pay_model)
        self.pay_table.doubleClicked.connect(self.drill)
        py.addWidget(self.pay_table)
        self.total = QLabel()
        py.addWidget(self.total)
        self.tabs.addTab(pay_box, "本月提成")
        self.refresh()

    def refresh(self) -> None:
        self.members_model.set_rows(svc.members())
        self.plans_model.set_rows(svc.plans())
        try:
            rows = svc.commission(self.month.text().strip())
        except (UserError, ValueError):
            rows = []
        self.pay_model.set_rows(rows)
        total = sum(r["total_fen"] for r in rows)
        from app.core.money import format_money

        self.total.setText(f"共 {len(rows)} 人,应发提成合计 {format_money(total)}"
                           if rows else "该月尚未计算员工提成(请在「月结」计算该月)")

    def new_item(self) -> None:
        PlanDialog(self).exec()

    def edit_plan(self) -> None:
        PlanDialog(self, self.plans_table.current_object()).exec()

    def drill(self, index) -> None:
        line = DRILL.get(index.column())
        row = self.pay_table.current_object()
        if line is None or row is None:
            return
        try:
            headers, rows = svc.drill_down(self.month.text().strip(), row["code"], line)
        except UserError as exc:
            show_error(self, exc)
            return
        DrillDialog(f"{row['code']} {row['name']} {svc.LINES[line]}", headers, rows, self).exec()
