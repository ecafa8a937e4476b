"""押金收付 at the desk: the 收押金 / 退押金 / 没收 dialog, and the receipt (收据) it prints.

The dialog checks what it can as the user types (the amount through ``parse_money``, the
agent and SN against the office's data) and hands the rest to
``app.core.deposit_entries.record``, whose ``UserError`` it shows in place.  Receipts go
to the folder ``收据`` beside the database, named by receipt number."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.core import deposit_entries as svc
from app.core.errors import UserError
from app.core.money import ParseError, format_money, money_in_words, parse_money
from app.core.months import agency_name
from app.core.session import database_path
from app.core.terminals import products
from app.io.receipts import receipt_file_name, render_receipt
from app.views.widgets import DateEdit, warning_label


def receipts_folder() -> Path:
    """``收据`` beside the database file (or in the working folder without one)."""
    db = database_path()
    folder = (db.parent if db is not None else Path.cwd()) / "收据"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def print_receipt(entry: svc.Entry, folder: Path | None = None) -> Path:
    """Write ``entry``'s receipt PDF and return its path."""
    folder = folder or receipts_folder()
    return render_receipt(entry, agency_name(), folder / receipt_file_name(entry))


class DepositEntryDialog(QDialog):
    """One 收押金 / 退押金 / 没收; ``entry`` holds the recorded entry after 确定."""

    def __init__(self, kind: str, agent_code: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = kind
        self.entry: svc.Entry | None = None
        self.setWindowTitle(svc.KINDS[kind])
        self.setMinimumWidth(420)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.agent = QLineEdit(agent_code)
        self.agent.setPlaceholderText("代理编号,如 A00012")
        self.product = QComboBox()
        self.product.addItem("(不指定)", "")
        for _pid, code, name in products():
            self.product.addItem(f"{code} {name}", code)
        self.sn = QLineEdit()
        self.sn.setPlaceholderText("可不填;填写则按该机具的产品")
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("元,如 99 或 99.00")
        self.words = QLabel()
        self.words.setObjectName("hint")
        self.method = QComboBox()
        for key, label in svc.METHODS.items():
            self.method.addItem(label, key)
        self.day = DateEdit(dt.date.today())
        self.note = QLineEdit()
        form.addRow("代理编号", self.agent)
        form.addRow("产品", self.product)
        form.addRow("机具SN", self.sn)
        form.addRow("金额(元)", self.amount)
        form.addRow("", self.words)
        form.addRow("方式", self.method)
        form.addRow("日期", self.day)
        form.addRow("备注", self.note)
        lay.addLayout(form)
        self.error = warning_label()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setText(f"{svc.KINDS[kind]}并打印收据")
        self.ok_button = ok
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.amount.textChanged.connect(self._amount_changed)

    def _amount_changed(self, text: str) -> None:
        try:
            fen = parse_money(text)
        except (ParseError, ValueError):
            self.words.setText("金额格式不对" if text.strip() else "")
            self.amount.setProperty("invalid", bool(text.strip()))
        else:
            self.words.setText(f"{format_money(fen)}  {money_in_words(fen)}")
            self.amount.setProperty("invalid", False)
        style = self.amount.style()
        if style is not None:
            style.unpolish(self.amount)
            style.polish(self.amount)

    def submit(self) -> None:
        try:
            try:
                fen = parse_money(self.amount.text())
            except (ParseError, ValueError) as exc:
                raise UserError(f"金额:{exc}") from exc
            self.entry = svc.record(
                self.kind, self.agent.text(), fen, self.method.currentData(),
                self.day.date_value(), product_code=self.product.currentData() or "",
                sn=self.sn.text(), note=self.note.text())
        except UserError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
