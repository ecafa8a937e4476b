"""标签与回访设置: the numbers of the merchant tags, the contact cadence per tag and the
service standard per ticket type, as one form (declared once in app.core.merchant_care)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core import merchant_care as care
from app.core.errors import UserError
from app.views.changes import announce
from app.views.errors import show_error
from app.views.widgets import hint_label


class CareSettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("标签与回访设置")
        self.resize(460, 620)
        outer = QVBoxLayout(self)
        outer.addWidget(hint_label("月末按以下规则给商户打标签(依次判断,先符合者为准);"
                                   "回访周期决定“今日回访”;响应时限决定工单是否超时。", wrap=True))
        body = QWidget()
        form = QFormLayout(body)
        self.edits: dict[str, QLineEdit] = {}
        for key, label, value in care.care_settings():
            edit = QLineEdit(str(value))
            edit.setMaximumWidth(90)
            self.edits[key] = edit
            form.addRow(label, edit)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)

    def save(self) -> None:
        try:
            changes = care.save_care_settings({k: e.text() for k, e in self.edits.items()})
        except UserError as exc:
            show_error(self, exc)
            return
        announce(changes)
        self.accept()
