"""Start-up of the window with trust (docs/trust.md): the database's quick check before it
is opened for writing (a damaged one is never opened: the newest good backup is offered),
the first backup of the day, and the sign-in dialog when sign-in is on."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.core import auth, backups
from app.core.errors import UserError
from app.views.errors import confirm, show_error


class SignInDialog(QDialog):
    """登录: name and password; refused attempts say so and stay open."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("登录分润台")
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("本数据库已启用登录,请输入用户名和密码。"))
        form = QFormLayout()
        self.name = QLineEdit(auth.os_user())
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("用户名:", self.name)
        form.addRow("密码:", self.password)
        lay.addLayout(form)
        self.message = QLabel("")
        self.message.setStyleSheet("color:#c62828")
        lay.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("登录")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("退出")
        buttons.accepted.connect(self.try_sign_in)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.password.setFocus()

    def try_sign_in(self) -> bool:
        try:
            auth.sign_in(self.name.text(), self.password.text())
        except UserError as exc:
            self.message.setText(str(exc))
            self.password.selectAll()
            return False
        self.accept()
        return True


def check_before_open(db_path: str | Path) -> bool:
    """The quick check of the file, read-only.  A damaged database is not opened: the
    newest backup that passes its check is offered in its place.  True: go on opening."""
    path = Path(db_path)
    verdict = backups.startup_check(path)
    if verdict == "ok":
        return True
    good = backups.newest_good(path)
    if good is None:
        show_error(None, f"数据库 {path} 未通过完整性检查({verdict}),且没有可用的备份。"
                         "程序不会写入该文件;请联系技术支持。")
        return False
    info = backups.inspect(good)
    months = "、".join(info.months_locked) or "无"
    if not confirm(None, f"数据库 {path} 未通过完整性检查({verdict}),不能打开写入。\n\n"
                         f"最新的完好备份:{good.name}\n备份时间 {info.taken_at},已锁定月份:{months},"
                         f"代理 {info.agents} 个,最后导入:{info.last_import or '无'}\n\n"
                         "用这个备份替换损坏的数据库吗?(损坏的文件会保留在旁边)", "数据库已损坏"):
        return False
    try:
        damaged = backups.recover(path, good)
    except (UserError, OSError) as exc:
        show_error(None, exc if isinstance(exc, UserError) else UserError(str(exc)))
        return False
    show_error(None, f"已用备份 {good.name} 恢复。损坏的文件保存为 {damaged.name}。", "已恢复")
    return True


def after_open(parent: QWidget | None) -> bool:
    """The day's first backup, then sign-in when it is on.  False: the user chose to quit."""
    try:
        backups.daily_backup()
    except (UserError, OSError) as exc:  # a backup that fails must not stop the office
        show_error(parent, f"今日自动备份未完成:{exc}")
    if not auth.sign_in_enabled():
        return True
    dialog = SignInDialog(parent)
    return dialog.exec() == QDialog.DialogCode.Accepted
