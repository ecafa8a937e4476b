"""First run: with an empty database, offer to create the agency or load the demo data."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core import values
from app.core.errors import Changes, UserError
from app.core.money import ParseError
from app.core.months import set_setting
from app.core.session import is_new_office
from app.views.changes import announce
from app.views.errors import show_error, show_info
from app.views.workers import run_with_progress


def needs_welcome() -> bool:
    """An empty database: no agency name and no agents yet."""
    return is_new_office()


def create_agency(name: str, min_payout_text: str) -> Changes:
    """Save the agency's name and minimum payout (起付金额, yuan as typed)."""
    name = name.strip()
    if not name:
        raise UserError("请填写机构名称")
    try:
        fen = values.money(min_payout_text) if min_payout_text.strip() else 0
    except ParseError as exc:
        raise UserError(f"起付金额:{exc}") from None
    if fen < 0:
        raise UserError("起付金额不能为负")
    set_setting("agency_name", name)
    set_setting("min_payout", str(fen))
    return Changes({"settings"}, message=f"已创建本机构“{name}”")


class WelcomeDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("欢迎使用分润台")
        self.setMinimumWidth(440)
        self.choice = ""
        layout = QVBoxLayout(self)
        intro = QLabel(
            "这是一个新的数据库。请先填写本机构的名称和起付金额,\n"
            "或者载入一套演示数据先看看效果(演示数据只能载入空数据库)。"
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText("例如:杭州鑫达支付服务部")
        self.min_payout = QLineEdit("0")
        self.min_payout.setPlaceholderText("元,例如 50")
        form.addRow("机构名称", self.name)
        form.addRow("起付金额(元)", self.min_payout)
        layout.addLayout(form)
        buttons = QDialogButtonBox()
        self.create_button = QPushButton("创建机构")
        self.create_button.setDefault(True)
        self.demo_button = QPushButton("载入演示数据")
        later = QPushButton("稍后")
        buttons.addButton(self.create_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.demo_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(later, QDialogButtonBox.ButtonRole.RejectRole)
        layout.addWidget(buttons)
        self.create_button.clicked.connect(self._create)
        self.demo_button.clicked.connect(self._demo)
        later.clicked.connect(self.reject)

    def _create(self) -> None:
        try:
            changes = create_agency(self.name.text(), self.min_payout.text())
        except UserError as exc:
            show_error(self, exc)
            return
        self.choice = "create"
        announce(changes)
        self.accept()

    def _demo(self) -> None:
        self.choice = "demo"
        self.accept()


def load_demo_in_background(parent: QWidget | None, on_done=None):
    """Load the small demo in a worker behind a progress dialog."""
    from app.io.demo_load import load_demo

    def job(progress, _cancel):
        return load_demo("small", progress=progress)

    def done(summary: object) -> None:
        announce(Changes({"all"}, message="已载入演示数据"))
        show_info(parent, "演示数据已载入。\n\n" + str(summary).splitlines()[-1], "演示数据")
        if on_done is not None:
            on_done(summary)

    return run_with_progress(parent, "正在载入演示数据……", job, on_done=done, cancellable=False)


def show_welcome(parent: QWidget | None) -> str:
    dialog = WelcomeDialog(parent)
    dialog.exec()
    if dialog.choice == "demo":
        load_demo_in_background(parent)
    return dialog.choice
