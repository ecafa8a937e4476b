"""代理商: the agent tree beside a sortable, filterable table of agents with their team
figures; add/edit, move under another parent, hold/release (停发), tags, follow-ups."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core import agents as svc
from app.core.errors import UserError
from app.core.money import format_month
from app.core.months import working_month
from app.views.changes import announce
from app.views.errors import show_error
from app.views.page import Loader, Page
from app.views.table_model import Column, RowsModel, int_column, money_column, ratio_column
from app.views.widgets import DataTable, DateEdit, SearchBox, hint_label, title_label

ALL = "全部"


def agent_columns() -> list[Column]:
    return [
        Column("编号", "code", width=84),
        Column("名称", "name", width=70),
        int_column("级别", "level", width=44),
        Column("上级", "parent", width=104),
        Column("状态", "status_label", width=48, align="center"),
        int_column("持机", "held", width=56, tooltip="团队(本人及所有下级)月末在手的机具数"),
        int_column("拿货", "allocated", width=56, tooltip="团队累计下发到的机具数(拿货量)"),
        int_column("激活", "activated", width=56, tooltip="团队持有期间激活的机具数(累计)"),
        ratio_column("激活率", "activation_rate_ppm"),
        ratio_column("伪激活率", "fake_rate_ppm", width=76),
        ratio_column("丢失率", "lost_rate_ppm"),
        money_column("台均交易额", "avg_volume_fen", width=110, tooltip="本月有交易的机具平均交易额"),
        money_column("本月分润", "share_fen", width=100, tooltip="本月分润单合计(月结计算后才有)"),
        Column("标签", "tags_text", width=110),
        Column("手机", "phone", width=110),
    ]


# ------------------------------------------------------------------ dialogs


def _agent_choices(combo: QComboBox, exclude: set[int], selected: int | None) -> None:
    combo.clear()
    combo.addItem("本机构(一级代理)", None)
    for n in svc.agent_tree():
        if n.id in exclude:
            continue
        combo.addItem(f"{n.code} {n.name}", n.id)
    i = combo.findData(selected)
    combo.setCurrentIndex(max(i, 0))
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = combo.completer()
    if completer is not None:
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(completer.CompletionMode.PopupCompletion)


class TagEditor(QWidget):
    """The three trend tags as check boxes, plus free tags typed with commas."""

    def __init__(self, tags: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes = {}
        for t in svc.TAG_CHOICES:
            box = QCheckBox(t)
            box.setChecked(t in tags)
            self.boxes[t] = box
            layout.addWidget(box)
        self.free = QLineEdit("、".join(t for t in tags if t not in svc.TAG_CHOICES))
        self.free.setPlaceholderText("其他标签,用逗号分隔")
        layout.addWidget(self.free, 1)

    def tags(self) -> list[str]:
        chosen = [t for t, b in self.boxes.items() if b.isChecked()]
        return chosen + svc.split_tags(self.free.text().replace("、", ","))


class AgentDialog(QDialog):
    """Add or edit an agent; the service checks every field and the dialog stays open on errors."""

    def __init__(self, parent: QWidget | None = None, agent_id: int | None = None,
                 parent_id: int | None = None):
        super().__init__(parent)
        self.agent_id = agent_id
        self.created_id: int | None = None
        self.setWindowTitle("编辑代理" if agent_id else "新增代理")
        self.setMinimumWidth(520)
        form = svc.agent_form(agent_id) if agent_id else svc.AgentForm("", "", parent_id)
        layout = QVBoxLayout(self)
        grid = QFormLayout()
        self.code = QLineEdit(form.code)
        self.code.setPlaceholderText("例如 A001")
        self.name = QLineEdit(form.name)
        self.parent_combo = QComboBox()
        exclude = ({agent_id} | svc.descendants(agent_id)) if agent_id else set()
        _agent_choices(self.parent_combo, exclude, form.parent_id)
        self.phone = QLineEdit(form.phone)
        self.id_no = QLineEdit(form.id_no)
        self.payout = QComboBox()
        for key, label in svc.PAYOUT_LABELS.items():
            self.payout.addItem(label, key)
        self.payout.setCurrentIndex(self.payout.findData(form.payout))
        self.tax = QLineEdit(form.tax_rate)
        self.tax.setPlaceholderText("例如 6% 或 0.06")
        self.bank = QLineEdit(form.bank)
        self.account = QLineEdit(form.bank_account)
        self.joined_on = QCheckBox("填写")
        self.joined = DateEdit(form.joined or dt.date.today())
        self.joined_on.setChecked(form.joined is not None)
        self.joined.setEnabled(form.joined is not None)
        self.joined_on.toggled.connect(self.joined.setEnabled)
        joined_row = QHBoxLayout()
        joined_row.addWidget(self.joined_on)
        joined_row.addWidget(self.joined, 1)
        self.status = QComboBox()
        for key, label in svc.STATUS_LABELS.items():
            self.status.addItem(label, key)
        self.status.setCurrentIndex(self.status.findData(form.status))
        self.tags = TagEditor(form.tags)
        self.note = QPlainTextEdit(form.note)
        self.note.setFixedHeight(60)
        grid.addRow("代理编号 *", self.code)
        grid.addRow("代理名称 *", self.name)
        grid.addRow("上级", self.parent_combo)
        grid.addRow("手机", self.phone)
        grid.addRow("身份证号", self.id_no)
        grid.addRow("结算方式", self.payout)
        grid.addRow("税点", self.tax)
        grid.addRow("开户行", self.bank)
        grid.addRow("银行卡号", self.account)
        grid.addRow("加入日期", joined_row)
        grid.addRow("状态", self.status)
        grid.addRow("标签", self.tags)
        grid.addRow("备注", self.note)
        layout.addLayout(grid)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def form(self) -> svc.AgentForm:
        return svc.AgentForm(
            code=self.code.text(), name=self.name.text(), parent_id=self._parent_id(),
            phone=self.phone.text(), id_no=self.id_no.text(), payout=self.payout.currentData(),
            tax_rate=self.tax.text(), bank=self.bank.text(), bank_account=self.account.text(),
            joined=self.joined.date_value() if self.joined_on.isChecked() else None,
            note=self.note.toPlainText(), status=self.status.currentData(), tags=self.tags.tags(),
        )

    def _parent_id(self) -> int | None:
        i = self.parent_combo.findText(self.parent_combo.currentText())
        return self.parent_combo.itemData(i) if i >= 0 else self.parent_combo.currentData()

    def save(self) -> None:
        from app.views import undo

        old = svc.agent_form(self.agent_id) if self.agent_id is not None else None
        new = self.form()
        try:
            if self.agent_id is None:
                changes, self.created_id = svc.create_agent(new)
            else:
                changes = svc.update_agent(self.agent_id, new)
        except UserError as exc:
            show_error(self, exc)
            return
        announce(changes)
        if old is not None and self.agent_id is not None:
            aid = self.agent_id
            undo.push(f"修改代理 {old.code} {old.name}", lambda: svc.update_agent(aid, old),
                      lambda: svc.update_agent(aid, new))
        self.accept()


class MoveDialog(QDialog):
    def __init__(self, agent_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.agent_id = agent_id
        form = svc.agent_form(agent_id)
        self.setWindowTitle("调整上级")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"把 {form.code} {form.name} 连同其所有下级移到:"))
        self.target = QComboBox()
        _agent_choices(self.target, {agent_id} | svc.descendants(agent_id), form.parent_id)
        layout.addWidget(self.target)
        layout.addWidget(hint_label("不能移到自己或自己的下级之下;移动后各产品政策仍须不低于新上级(级差不能为负)。", wrap=True))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("移动")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def select(self, new_parent_id: int | None) -> None:
        self.target.setCurrentIndex(max(self.target.findData(new_parent_id), 0))

    def save(self) -> None:
        from app.views import undo

        before = svc.agent_form(self.agent_id)
        target = self.target.currentData()
        try:
            changes = svc.move_agent(self.agent_id, target)
        except UserError as exc:
            show_error(self, exc)
            return
        announce(changes)
        aid, old_parent = self.agent_id, before.parent_id
        undo.push(f"调整 {before.code} {before.name} 的上级", lambda: svc.move_agent(aid, old_parent),
                  lambda: svc.move_agent(aid, target))
        self.accept()


class HoldDialog(QDialog):
    def __init__(self, agent_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.agent_id = agent_id
        form = svc.agent_form(agent_id)
        self.setWindowTitle("停发分润")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"停发 {form.code} {form.name} 的分润?\n停发期间照常计算,应付金额暂不发放、结转到以后月份。"))
        n = svc.children_via_parent(agent_id)
        self.switch = QCheckBox(f"同时把 {n} 个“上级代发”的下级改为直结(由本机构直接发放)")
        self.switch.setChecked(n > 0)
        self.switch.setEnabled(n > 0)
        layout.addWidget(self.switch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("停发")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def save(self) -> None:
        try:
            changes = svc.hold_agent(self.agent_id, self.switch.isChecked())
        except UserError as exc:
            show_error(self, exc)
            return
        announce(changes)
        self.accept()


class TagsDialog(QDialog):
    def __init__(self, agent_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.agent_id = agent_id
        form = svc.agent_form(agent_id)
        self.setWindowTitle(f"标签 · {form.code} {form.name}")
        layout = QVBoxLayout(self)
        self.editor = TagEditor(form.tags)
        layout.addWidget(self.editor)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def save(self) -> None:
        announce(svc.set_tags(self.agent_id, self.editor.tags()))
        self.accept()


def follow_up_columns() -> list[Column]:
    return [
        Column("联系日期", "date", width=100),
        Column("代理", "agent", width=120),
        Column("内容", "note", width=260),
        Column("下次拜访", "next_visit", width=100),
        Column("状态", lambda r: "已完成" if r.done else "待跟进", width=70, align="center"),
    ]


class FollowUpDialog(QDialog):
    """The agent's contact log (联系记录) and a form to add one with the next visit date."""

    def __init__(self, agent_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.agent_id = agent_id
        form = svc.agent_form(agent_id)
        self.setWindowTitle(f"联系记录 · {form.code} {form.name}")
        self.resize(720, 460)
        layout = QVBoxLayout(self)
        self.model = RowsModel(follow_up_columns())
        self.table = DataTable()
        self.table.setModel(self.model)
        layout.addWidget(self.table, 1)
        box = QGridLayout()
        self.day = DateEdit(dt.date.today())
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("这次联系的内容,例如:电话沟通10月拿货计划,下周去店里")
        self.note.setFixedHeight(64)
        self.has_next = QCheckBox("下次拜访")
        self.has_next.setChecked(True)
        self.next_visit = DateEdit(dt.date.today() + dt.timedelta(days=7))
        self.has_next.toggled.connect(self.next_visit.setEnabled)
        add = QPushButton("添加记录")
        add.setProperty("primary", True)
        add.clicked.connect(self.add)
        box.addWidget(QLabel("联系日期"), 0, 0)
        box.addWidget(self.day, 0, 1)
        box.addWidget(self.has_next, 0, 2)
        box.addWidget(self.next_visit, 0, 3)
        box.addWidget(self.note, 1, 0, 1, 4)
        box.addWidget(add, 1, 4)
        layout.addLayout(box)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(svc.follow_ups(self.agent_id))

    def add(self) -> None:
        try:
            changes = svc.add_follow_up(
                self.agent_id, self.day.date_value(), self.note.toPlainText(),
                self.next_visit.date_value() if self.has_next.isChecked() else None,
            )
        except UserError as exc:
            show_error(self, exc)
            return
        self.note.clear()
        self.reload()
        announce(changes)


class DueDialog(QDialog):
    """今日待跟进: follow-ups whose next visit is today or past."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("今日待跟进")
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(hint_label("下次拜访日期已到(或已过)且未完成的联系记录。添加新的联系记录后,旧记录自动完成。", wrap=True))
        self.model = RowsModel(follow_up_columns())
        self.table = DataTable()
        self.table.setModel(self.model)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        contact = QPushButton("记录联系…")
        contact.clicked.connect(self.contact)
        done = QPushButton("标记完成")
        done.clicked.connect(self.mark_done)
        row.addWidget(contact)
        row.addWidget(done)
        row.addStretch(1)
        close = QPushButton("关闭")
        close.clicked.connect(self.reject)
        row.addWidget(close)
        layout.addLayout(row)
        self.table.doubleClicked.connect(lambda _i: self.contact())
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(svc.due_follow_ups())

    def contact(self) -> None:
        fu = self.table.current_object()
        if fu is None:
            return
        FollowUpDialog(fu.agent_id, self).exec()
        self.reload()

    def mark_done(self) -> None:
        for fu in self.table.selected_objects():
            announce(svc.mark_follow_up_done(fu.id))
        self.reload()


# ------------------------------------------------------------------ the page


class AgentsPage(Page):
    nav_title = "代理商"
    watches = frozenset({"agents", "policies", "terminals", "statements", "followups", "months", "imports"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loader = Loader(self)
        self.month = working_month()
        self.team: set[int] | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        head = QHBoxLayout()
        head.addWidget(title_label("代理商"))
        self.month_label = QLabel()
        self.month_label.setObjectName("hint")
        head.addWidget(self.month_label)
        head.addStretch(1)
        self.due_button = QPushButton("今日待跟进")
        self.due_button.clicked.connect(self.show_due)
        head.addWidget(self.due_button)
        outer.addLayout(head)

        bar = QHBoxLayout()
        self.search = SearchBox("搜索编号、名称、手机、标签 (Ctrl+F)")
        self.search.search.connect(lambda _t: self.apply_filter())
        self.status_filter = QComboBox()
        self.status_filter.addItem("全部状态", None)
        for key, label in svc.STATUS_LABELS.items():
            self.status_filter.addItem(label, key)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.tag_filter = QComboBox()
        self.tag_filter.addItem("全部标签", None)
        for t in svc.TAG_CHOICES:
            self.tag_filter.addItem(t, t)
        self.tag_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        bar.addWidget(self.search, 2)
        bar.addWidget(self.status_filter)
        bar.addWidget(self.tag_filter)
        bar.addSpacing(12)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (
            ("new", "新增", self.new_item), ("edit", "编辑", self.edit_agent), ("move", "调整上级", self.move_agent),
            ("hold", "停发", self.toggle_hold), ("tags", "标签", self.edit_tags),
            ("follow", "联系记录", self.show_follow_ups),
        ):
            b = QPushButton(text)
            b.clicked.connect(slot)
            self.buttons[key] = b
            bar.addWidget(b)
        self.buttons["new"].setProperty("primary", True)
        auto = QPushButton("按趋势打标签")
        auto.setToolTip("按最近几个月的交易额给每个代理打上 忠诚 / 潜力 / 流失风险")
        auto.clicked.connect(self.auto_tags)
        bar.addWidget(auto)
        outer.addLayout(bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["代理层级"])
        self.tree.setMinimumWidth(180)
        self.tree.itemSelectionChanged.connect(self._tree_selected)
        split.addWidget(self.tree)
        self.model = RowsModel(agent_columns())
        self.table = DataTable()
        self.table.setModel(self.model)
        self.table.doubleClicked.connect(lambda _i: self.edit_agent())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        split.addWidget(self.table)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([200, 1100])
        outer.addWidget(split, 1)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        outer.addWidget(self.summary)
        self._update_buttons()
        self.refresh()

    # ------------------------------------------------------------ loading
    def refresh(self) -> None:
        self.month = working_month()
        self.month_label.setText(f"团队数据:{format_month(self.month)}(含所有下级)")
        self.summary.setText("正在加载……")
        month = self.month

        def job():
            return svc.agent_tree(), svc.agent_rows(month), len(svc.due_follow_ups())

        self.loader.load(job, self._loaded)

    def _loaded(self, result) -> None:
        tree, rows, due = result
        keep = self.table.current_object()
        self._fill_tree(tree)
        self.model.set_rows(rows)
        self.apply_filter()
        self.due_button.setText(f"今日待跟进({due})")
        if keep is not None:
            self.select_agent(keep.id)

    def _fill_tree(self, tree: list[svc.TreeNode]) -> None:
        current = self.tree.currentItem()
        keep = current.data(0, Qt.ItemDataRole.UserRole) if current else None
        self.tree.blockSignals(True)
        self.tree.clear()
        root = QTreeWidgetItem(["本机构(全部)"])
        root.setData(0, Qt.ItemDataRole.UserRole, None)
        self.tree.addTopLevelItem(root)
        items: dict[int, QTreeWidgetItem] = {}
        for n in tree:
            label = f"{n.code} {n.name}"
            if n.status != "active":
                label += f"({svc.STATUS_LABELS.get(n.status, n.status)})"
            item = QTreeWidgetItem([label])
            item.setData(0, Qt.ItemDataRole.UserRole, n.id)
            if n.status == "on_hold":
                item.setForeground(0, QBrush(QColor("#d35400")))
            elif n.status == "closed":
                item.setForeground(0, QBrush(QColor("#9aa3ad")))
            items[n.id] = item
        for n in tree:
            parent = items.get(n.parent_id) if n.parent_id is not None else root
            (parent or root).addChild(items[n.id])
        root.setExpanded(True)
        for i in range(root.childCount()):
            child = root.child(i)
            if child is not None:
                child.setExpanded(len(tree) <= 200)
        self.tree_items = items
        target = items.get(keep) if keep is not None else None
        self.tree.setCurrentItem(target or root)
        self.tree.blockSignals(False)

    # ------------------------------------------------------------ filtering
    def _tree_selected(self) -> None:
        item = self.tree.currentItem()
        agent_id = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        if agent_id is None:
            self.team = None
        else:
            self.team = {agent_id} | svc.descendants(agent_id, self._tree_nodes())
        self.apply_filter()

    def _tree_nodes(self) -> list[svc.TreeNode]:
        return [svc.TreeNode(r.id, r.parent_id, r.code, r.name, r.status) for r in self.model.all_rows()]

    def apply_filter(self) -> None:
        text = self.search.text().strip().lower()
        status = self.status_filter.currentData()
        tag = self.tag_filter.currentData()
        team = self.team

        def accept(r: svc.AgentRow) -> bool:
            if team is not None and r.id not in team:
                return False
            if status is not None and r.status != status:
                return False
            if tag is not None and tag not in r.tags:
                return False
            if text:
                hay = f"{r.code} {r.name} {r.phone} {r.tags_text} {r.parent}".lower()
                return text in hay
            return True

        self.model.set_filter(accept if (text or status or tag or team is not None) else None)
        shown = self.model.shown_rows()
        held = sum(r.held for r in shown if team is None or r.parent_id not in team)
        self.summary.setText(
            f"共 {self.model.total_count()} 个代理,显示 {len(shown)} 个"
            + (f";所选团队持机 {held:,} 台" if team is not None else "")
        )
        self._update_buttons()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def select_agent(self, agent_id: int) -> None:
        for row, r in enumerate(self.model.shown_rows()):
            if r.id == agent_id:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
                return

    def current_agent(self) -> svc.AgentRow | None:
        return self.table.current_object()

    def _update_buttons(self) -> None:
        a = self.current_agent() if self.table.selected_view_rows() else None
        for key in ("edit", "move", "hold", "tags", "follow"):
            self.buttons[key].setEnabled(a is not None)
        self.buttons["hold"].setText("恢复发放" if a is not None and a.status == "on_hold" else "停发")

    # ------------------------------------------------------------ actions
    def new_item(self) -> None:
        parent = None
        item = self.tree.currentItem()
        if item is not None:
            parent = item.data(0, Qt.ItemDataRole.UserRole)
        AgentDialog(self, parent_id=parent).exec()

    def edit_agent(self) -> None:
        a = self.current_agent()
        if a is not None:
            AgentDialog(self, agent_id=a.id).exec()

    def move_agent(self) -> None:
        a = self.current_agent()
        if a is not None:
            MoveDialog(a.id, self).exec()

    def toggle_hold(self) -> None:
        a = self.current_agent()
        if a is None:
            return
        if a.status == "on_hold":
            try:
                announce(svc.release_agent(a.id))
            except UserError as exc:
                show_error(self, exc)
        else:
            HoldDialog(a.id, self).exec()

    def edit_tags(self) -> None:
        a = self.current_agent()
        if a is not None:
            TagsDialog(a.id, self).exec()

    def show_follow_ups(self) -> None:
        a = self.current_agent()
        if a is not None:
            FollowUpDialog(a.id, self).exec()

    def show_due(self) -> None:
        DueDialog(self).exec()

    def auto_tags(self) -> None:
        try:
            announce(svc.apply_suggested_tags(self.month))
        except UserError as exc:
            show_error(self, exc)

    def prepare_screenshot(self) -> None:
        if self.model.rowCount():
            self.table.selectRow(0)
