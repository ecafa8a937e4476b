"""设置 → 用户, 自动备份, 数据校验 (docs/trust.md): the parts of the settings page that
guard the data.  Every action goes through a core service that checks the role itself."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core import auth, backups, integrity
from app.core.errors import Changes, UserError
from app.views.changes import announce
from app.views.errors import confirm, show_error, show_info
from app.views.table_model import Column, RowsModel
from app.views.widgets import DataTable, hint_label

BACKUP_COLUMNS = [
    Column("时间", lambda b: b.taken_at.replace("T", " "), width=140),
    Column("类型", "kind_label", width=60),
    Column("已锁定月份", lambda b: "、".join(b.months_locked) or "无", width=160),
    Column("代理", "agents", width=50, align="right"),
    Column("最后导入", "last_import", width=220),
    Column("文件", lambda b: b.path.name),
]
USER_COLUMNS = [
    Column("用户名", "name", width=120),
    Column("角色", "role_label", width=80),
    Column("状态", lambda u: "启用" if u.active else "停用", width=60),
    Column("创建时间", lambda u: u.created.replace("T", " ")),
]


def verdict_text(verdict: integrity.Verdict) -> str:
    if verdict.ok:
        return "数据校验通过:数据库完整,锁定封存链、审计链和派生数据一致。"
    return "数据校验未通过:\n" + "\n".join(verdict.problems)


class TrustPanel(QWidget):
    """Users (administrators), the automatic backups with restore, and 数据校验."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)

        self.users_box = QGroupBox("用户")
        ul = QVBoxLayout(self.users_box)
        self.user_model = RowsModel(USER_COLUMNS)
        self.user_table = DataTable(multi=False)
        self.user_table.setModel(self.user_model)
        self.user_table.setMinimumHeight(120)
        ul.addWidget(self.user_table)
        form = QFormLayout()
        self.new_name = QLineEdit()
        self.new_role = QComboBox()
        for key, label in auth.ROLES.items():
            self.new_role.addItem(label, key)
        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("用户名:", self.new_name)
        form.addRow("角色:", self.new_role)
        form.addRow("密码:", self.new_password)
        ul.addLayout(form)
        row = QHBoxLayout()
        self.add_user_btn = QPushButton("新增用户")
        self.role_btn = QPushButton("改为所选角色")
        self.toggle_btn = QPushButton("停用/启用")
        self.password_btn = QPushButton("重设密码…")
        for b in (self.add_user_btn, self.role_btn, self.toggle_btn, self.password_btn):
            row.addWidget(b)
        row.addStretch(1)
        ul.addLayout(row)
        ul.addWidget(hint_label(
            "没有用户时不需要登录。创建第一个用户(须为管理员)后启用登录:管理员可做一切;"
            "财务可计算、锁定、打款并看完整身份证号和银行账号;录入可导入和修改资料,看到的号码打码,"
            "不能锁定;只读只能查看。", wrap=True))
        lay.addWidget(self.users_box)

        box = QGroupBox("自动备份(数据库旁的 backups 文件夹)")
        bl = QVBoxLayout(box)
        self.backup_model = RowsModel(BACKUP_COLUMNS)
        self.backup_table = DataTable(multi=False)
        self.backup_table.setModel(self.backup_model)
        self.backup_table.setMinimumHeight(160)
        bl.addWidget(self.backup_table)
        brow = QHBoxLayout()
        self.restore_btn = QPushButton("恢复所选备份…")
        self.reload_btn = QPushButton("刷新列表")
        self.verify_btn = QPushButton("数据校验")
        brow.addWidget(self.restore_btn)
        brow.addWidget(self.reload_btn)
        brow.addStretch(1)
        brow.addWidget(self.verify_btn)
        bl.addLayout(brow)
        bl.addWidget(hint_label(
            "每天第一次启动和每次锁定前自动备份,保留最近 7 个每日、12 个每月和 12 个锁定前备份;"
            "每个备份都通过完整性检查。恢复(仅管理员)先显示备份内容,并把当前数据库另存为"
            "“恢复前”备份。数据校验检查数据库完整性、锁定封存链、审计链和派生数据。", wrap=True))
        lay.addWidget(box)

        self.add_user_btn.clicked.connect(self.add_user)
        self.role_btn.clicked.connect(self.change_role)
        self.toggle_btn.clicked.connect(self.toggle_user)
        self.password_btn.clicked.connect(self.reset_password)
        self.restore_btn.clicked.connect(self.restore_selected)
        self.reload_btn.clicked.connect(self.refresh)
        self.verify_btn.clicked.connect(self.run_verify)
        self.refresh()

    # ------------------------------------------------------------ reading
    def refresh(self) -> None:
        first = not auth.sign_in_enabled()
        admin = auth.can("users")
        self.users_box.setVisible(admin)
        self.user_model.set_rows(auth.list_users())
        for b in (self.role_btn, self.toggle_btn, self.password_btn):
            b.setEnabled(not first)
        self.add_user_btn.setText("创建管理员并启用登录" if first else "新增用户")
        self.backup_model.set_rows(backups.list_backups())
        self.restore_btn.setEnabled(auth.can("restore"))

    def _selected(self, table: DataTable, what: str):
        row = table.current_object()
        if row is None:
            show_error(self, f"请先在列表中选择一个{what}")
        return row

    def _selected_user(self) -> str | None:
        row = self._selected(self.user_table, "用户")
        return None if row is None else str(row.name)

    def _run(self, action, message: str) -> bool:
        try:
            action()
        except UserError as exc:
            show_error(self, exc)
            return False
        announce(Changes({"settings"}, message=message))
        self.refresh()
        show_info(self, message)
        return True

    # ------------------------------------------------------------ users
    def add_user(self) -> None:
        name, role, password = (self.new_name.text(), self.new_role.currentData(),
                                self.new_password.text())
        first = not auth.sign_in_enabled()
        if first and role != "admin":
            show_error(self, "第一个用户必须是管理员(创建后即启用登录)")
            return

        def create() -> None:
            auth.create_user(name, role, password)
            if first:  # the one who turned sign-in on stays signed in
                auth.sign_in(name, password)

        if self._run(create, f"已新增用户“{name.strip()}”" + (",登录已启用" if first else "")):
            self.new_name.clear()
            self.new_password.clear()

    def change_role(self) -> None:
        name = self._selected_user()
        if name:
            role = self.new_role.currentData()
            self._run(lambda: auth.set_role(name, role), f"已把“{name}”改为{auth.ROLES[role]}")

    def toggle_user(self) -> None:
        row = self._selected(self.user_table, "用户")
        if row is None:
            return
        active = not row.active
        self._run(lambda: auth.set_active(row.name, active),
                  f"已{'启用' if active else '停用'}用户“{row.name}”")

    def reset_password(self) -> None:
        name = self._selected_user()
        if not name:
            return
        password, ok = QInputDialog.getText(self, "重设密码", f"用户“{name}”的新密码:",
                                            QLineEdit.EchoMode.Password)
        if ok:
            self._run(lambda: auth.set_password(name, password), f"已重设“{name}”的密码")

    # ------------------------------------------------------------ backups and verify
    def restore_selected(self) -> None:
        info = self._selected(self.backup_table, "备份")
        if info is None:
            return
        try:
            checked = backups.check_file(info.path)
        except UserError as exc:
            show_error(self, exc)
            return
        months = "、".join(checked.months_locked) or "无"
        text = (f"用这个备份替换当前数据库吗?\n\n备份时间:{checked.taken_at.replace('T', ' ')}"
                f"({checked.kind_label})\n已锁定月份:{months}\n代理:{checked.agents} 个\n"
                f"最后导入:{checked.last_import or '无'}\n\n当前数据库会先另存为“恢复前”备份。")
        if not confirm(self, text, "从备份恢复"):
            return

        def restore() -> None:
            backups.restore(info.path)

        try:
            restore()
        except UserError as exc:
            show_error(self, exc)
            return
        announce(Changes({"all"}, message="已从备份恢复"))
        self.refresh()
        show_info(self, f"已从备份 {info.path.name} 恢复。恢复前的数据库已另存在备份列表中。")

    def run_verify(self) -> integrity.Verdict:
        verdict = integrity.verify()
        if verdict.ok:
            show_info(self, verdict_text(verdict), "数据校验")
        else:
            show_error(self, verdict_text(verdict), "数据校验")
        return verdict
