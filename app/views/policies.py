"""政策: per agent × product, the history of effective-dated policies; a form to add a new
version from a date with the parent's figures beside it (the 级差 guard refuses a negative
spread, naming both agents); bulk-apply one policy to several agents."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core import policies as svc
from app.core.errors import UserError
from app.core.money import format_money, format_rate
from app.core.policy import TERM_FIELDS, Terms
from app.core.terminals import products
from app.views.changes import announce
from app.views.errors import show_error
from app.views.page import Page
from app.views.table_model import Column, RowsModel
from app.views.widgets import DataTable, DateEdit, SearchBox, hint_label, title_label


def show_term(name: str, value: int | None) -> str:
    if name == "debit_cap" and value is None:
        return "不封顶"
    if value is None:
        return ""
    if name in svc.RATE_FIELDS:
        return format_rate(value)
    return format_money(value, symbol=False)


def input_text(name: str, value: int | None) -> str:
    """A stored value as the user would type it back."""
    if name == "debit_cap" and value is None:
        return ""
    return show_term(name, value)


SHORT = {"credit_rate": "贷记", "debit_rate": "借记", "debit_cap": "封顶", "scan_rate": "扫码",
         "per_txn": "单笔", "cashback": "返现", "qualify_bonus": "达标奖励",
         "unqualified_penalty": "未达标扣款", "deposit": "押金"}


def version_columns() -> list[Column]:
    cols = [Column("生效日期", lambda v: v.effective_from.isoformat(), width=96)]
    for name in TERM_FIELDS:
        cols.append(Column(SHORT[name], (lambda n: lambda v: show_term(n, getattr(v.terms, n)))(name),
                           align="right", width=72 if name != "unqualified_penalty" else 86))
    return cols


class PolicyForm(QGroupBox):
    """The fields of one version, each with the parent's value in force beside it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("新增政策版本", parent)
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(10)
        self.day = DateEdit(dt.date.today())
        grid.addWidget(QLabel("生效日期"), 0, 0)
        grid.addWidget(self.day, 0, 1)
        self.parent_title = QLabel("上级")
        self.parent_title.setObjectName("hint")
        grid.addWidget(self.parent_title, 0, 3)
        self.edits: dict[str, QLineEdit] = {}
        self.echo: dict[str, QLabel] = {}
        self.parent_values: dict[str, QLabel] = {}
        for i, name in enumerate(TERM_FIELDS, start=1):
            edit = QLineEdit()
            edit.setPlaceholderText("例如 0.60% 或 万60" if name in svc.RATE_FIELDS
                                    else "留空 = 不封顶" if name == "debit_cap" else "元")
            edit.textChanged.connect(lambda _t, n=name: self._echo(n))
            echo = QLabel()
            echo.setObjectName("hint")
            echo.setMinimumWidth(90)
            pv = QLabel()
            pv.setMinimumWidth(110)
            grid.addWidget(QLabel(svc.FIELD_LABELS[name]), i, 0)
            grid.addWidget(edit, i, 1)
            grid.addWidget(echo, i, 2)
            grid.addWidget(pv, i, 3)
            self.edits[name], self.echo[name], self.parent_values[name] = edit, echo, pv
        for edit in self.edits.values():
            edit.setFixedWidth(180)
        self.day.setFixedWidth(180)
        grid.setColumnStretch(4, 1)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("保存新版本")
        self.save_button.setProperty("primary", True)
        self.bulk_button = QPushButton("批量应用到其他代理…")
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.bulk_button)
        buttons.addStretch(1)
        grid.addLayout(buttons, len(TERM_FIELDS) + 1, 0, 1, 4)

    def _echo(self, name: str) -> None:
        text = self.edits[name].text()
        try:
            value = svc.parse_term(name, text)
        except UserError:
            self.echo[name].setText("✗ 无法识别" if text.strip() else "")
            return
        self.echo[name].setText(f"= {show_term(name, value)}" if text.strip() else "")

    def values(self) -> dict[str, str]:
        return {n: e.text() for n, e in self.edits.items()}

    def fill(self, terms: Terms | None) -> None:
        for n, e in self.edits.items():
            e.setText(input_text(n, getattr(terms, n)) if terms is not None else "")

    def show_parent(self, label: str, terms: Terms | None) -> None:
        self.parent_title.setText(f"上级 {label} 当日政策" if label else "(本机构无上级)")
        for n, pv in self.parent_values.items():
            if terms is None:
                pv.setText("—" if label else "")
                continue
            side = "≥" if n in ("credit_rate", "debit_rate", "debit_cap", "scan_rate", "per_txn") else (
                "≤" if n in ("cashback", "qualify_bonus") else "")
            pv.setText(f"{side} {show_term(n, getattr(terms, n))}".strip())


class BulkDialog(QDialog):
    """Apply one policy (product, date, terms) to several agents at once."""

    def __init__(self, product_id: int, day: dt.date, values: dict[str, str], parent: QWidget | None = None):
        super().__init__(parent)
        self.product_id, self.day, self.values = product_id, day, values
        self.setWindowTitle("批量应用政策")
        self.resize(460, 520)
        layout = QVBoxLayout(self)
        layout.addWidget(hint_label(f"把表单中的政策({day} 起生效)应用到勾选的代理。任何一个代理级差为负,全部不保存。", wrap=True))
        self.search = SearchBox("筛选代理")
        layout.addWidget(self.search)
        self.list = QListWidget()
        self.list.setObjectName("plain")
        for agent_id, label in svc.agents_for_policies():
            if agent_id is None:
                continue
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, agent_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.search.search.connect(self._filter)
        layout.addWidget(self.list, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("应用")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _filter(self, text: str) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(text) and text.lower() not in item.text().lower())

    def check(self, agent_ids: list[int]) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in agent_ids:
                item.setCheckState(Qt.CheckState.Checked)

    def chosen(self) -> list[int]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def save(self) -> None:
        try:
            terms = svc.terms_from_text(self.values)
            changes = svc.bulk_apply(self.chosen(), self.product_id, self.day, terms)
        except UserError as exc:
            show_error(self, exc)
            return
        announce(changes)
        self.accept()


class PoliciesPage(Page):
    nav_title = "政策"
    watches = frozenset({"policies", "agents", "imports", "months"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        head = QHBoxLayout()
        head.addWidget(title_label("政策"))
        note = hint_label("每个代理、每个产品的结算政策按生效日期保存历史;调价时新增一个版本,旧版本保留。")
        note.setWordWrap(False)
        head.addWidget(note)
        head.addStretch(1)
        outer.addLayout(head)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.search = SearchBox("搜索代理 (Ctrl+F)")
        self.search.search.connect(self._filter_agents)
        self.agent_list = QListWidget()
        self.agent_list.setObjectName("plain")
        self.agent_list.currentRowChanged.connect(lambda _r: self.show_history())
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.agent_list, 1)
        split.addWidget(left)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(8, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("产品"))
        self.product = QComboBox()
        self.product.setMinimumWidth(200)
        self.product.currentIndexChanged.connect(lambda _i: self.show_history())
        bar.addWidget(self.product)
        bar.addStretch(1)
        self.delete_button = QPushButton("删除所选版本")
        self.delete_button.clicked.connect(self.delete_version)
        bar.addWidget(self.delete_button)
        rl.addLayout(bar)
        self.history_title = QLabel()
        self.history_title.setObjectName("figure")
        rl.addWidget(self.history_title)
        self.model = RowsModel(version_columns())
        self.table = DataTable(multi=False)
        self.table.setModel(self.model)
        self.table.setMinimumHeight(130)
        self.table.clicked.connect(lambda _i: self._copy_selected_to_form())
        rl.addWidget(self.table, 2)
        self.parent_title = QLabel()
        self.parent_title.setObjectName("hint")
        rl.addWidget(self.parent_title)
        self.parent_model = RowsModel(version_columns())
        self.parent_table = DataTable(multi=False)
        self.parent_table.setModel(self.parent_model)
        self.parent_table.setMinimumHeight(100)
        rl.addWidget(self.parent_table, 1)
        self.form = PolicyForm()
        self.form.save_button.clicked.connect(self.save_version)
        self.form.bulk_button.clicked.connect(self.bulk_apply)
        self.form.day.dateChanged.connect(lambda _d: self._show_parent_in_force())
        rl.addWidget(self.form)
        split.addWidget(right)
        split.setSizes([240, 1000])
        outer.addWidget(split, 1)
        self.parent_versions: list[svc.PolicyVersion] = []
        self.parent_label = ""
        self.refresh()

    # ------------------------------------------------------------ data
    def refresh(self) -> None:
        keep_agent = self.current_agent_key()
        keep_product = self.product.currentData()
        self.agent_list.blockSignals(True)
        self.agent_list.clear()
        for agent_id, label in svc.agents_for_policies():
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, agent_id)
            self.agent_list.addItem(item)
        self.agent_list.blockSignals(False)
        self.product.blockSignals(True)
        self.product.clear()
        for pid, code, name in products():
            self.product.addItem(f"{code} {name}", pid)
        if keep_product is not None:
            self.product.setCurrentIndex(max(self.product.findData(keep_product), 0))
        self.product.blockSignals(False)
        self._filter_agents(self.search.text())
        self.select_agent(keep_agent[0] if keep_agent else None)

    def current_agent_key(self) -> tuple[int | None] | None:
        item = self.agent_list.currentItem()
        return (item.data(Qt.ItemDataRole.UserRole),) if item is not None else None

    def select_agent(self, agent_id: int | None) -> None:
        for i in range(self.agent_list.count()):
            if self.agent_list.item(i).data(Qt.ItemDataRole.UserRole) == agent_id:
                self.agent_list.setCurrentRow(i)
                return
        self.show_history()

    def select_product(self, product_id: int) -> None:
        self.product.setCurrentIndex(max(self.product.findData(product_id), 0))

    def _filter_agents(self, text: str) -> None:
        for i in range(self.agent_list.count()):
            item = self.agent_list.item(i)
            item.setHidden(bool(text) and text.lower() not in item.text().lower())

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def new_item(self) -> None:
        self.form.edits["credit_rate"].setFocus()

    def show_history(self) -> None:
        key = self.current_agent_key()
        pid = self.product.currentData()
        if key is None or pid is None:
            self.model.set_rows([])
            self.parent_model.set_rows([])
            self.history_title.setText("请选择代理和产品")
            return
        agent_id = key[0]
        versions = svc.policy_history(agent_id, pid)
        self.model.set_rows(versions)
        label = self.agent_list.currentItem().text()
        self.history_title.setText(f"{label} · {self.product.currentText()}:{len(versions)} 个版本")
        self.parent_label, self.parent_versions = svc.parent_history(agent_id, pid)
        self.parent_model.set_rows(self.parent_versions)
        self.parent_title.setText(
            f"上级 {self.parent_label} 的政策(新版本须:结算价、封顶、单笔不低于上级,返现、达标奖励不高于上级)"
            if self.parent_label else "本机构成本政策没有上级"
        )
        self.parent_table.setVisible(bool(self.parent_label))
        self.form.fill(versions[-1].terms if versions else None)
        self._show_parent_in_force()

    def _show_parent_in_force(self) -> None:
        v = svc.in_force(self.parent_versions, self.form.day.date_value())
        self.form.show_parent(self.parent_label, v.terms if v else None)

    def _copy_selected_to_form(self) -> None:
        v = self.table.current_object()
        if v is not None:
            self.form.fill(v.terms)

    # ------------------------------------------------------------ actions
    def save_version(self) -> None:
        key = self.current_agent_key()
        pid = self.product.currentData()
        if key is None or pid is None:
            show_error(self, "请先选择代理和产品")
            return
        day, values = self.form.day.date_value(), self.form.values()
        before = {v.effective_from for v in svc.policy_history(key[0], pid)}
        try:
            changes = svc.add_policy_version(key[0], pid, day, values)
        except UserError as exc:
            show_error(self, exc, "政策未保存")
            return
        announce(changes)
        if day not in before:  # a new version: its undo deletes it
            from app.views import undo

            agent = key[0]
            new = next((v.id for v in svc.policy_history(agent, pid) if v.effective_from == day), None)
            if new is not None:
                undo.push(f"{day} 起的政策版本", lambda: svc.delete_policy(new),
                          lambda: svc.add_policy_version(agent, pid, day, values))
        self.show_history()

    def bulk_apply(self) -> None:
        pid = self.product.currentData()
        if pid is None:
            show_error(self, "请先选择产品")
            return
        dialog = BulkDialog(pid, self.form.day.date_value(), self.form.values(), self)
        key = self.current_agent_key()
        if key and key[0] is not None:
            dialog.check([key[0]])
        dialog.exec()

    def delete_version(self) -> None:
        from app.views.errors import confirm

        v = self.table.current_object()
        if v is None:
            return
        if not confirm(self, f"删除 {v.effective_from} 起生效的这个政策版本?"):
            return
        try:
            announce(svc.delete_policy(v.id))
        except UserError as exc:
            show_error(self, exc)

    def prepare_screenshot(self) -> None:
        if self.agent_list.count() > 2:
            self.agent_list.setCurrentRow(2)
