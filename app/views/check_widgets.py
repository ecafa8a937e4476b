"""Pieces shared by the 对账, 试算 and 补差 pages: the month picker."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from app.core.money import ParseError, parse_month
from app.views.errors import show_error


class MonthPicker(QComboBox):
    """A month to choose from a list, or typed (2026-10, 202610, 2026/10)."""

    def __init__(self, parent: QWidget | None = None, editable: bool = True):
        super().__init__(parent)
        self.setEditable(editable)
        self.setMinimumWidth(110)

    def set_months(self, months: list[str], current: str | None = None) -> None:
        keep = current or self.currentText()
        self.clear()
        self.addItems(months)
        if keep in months or (keep and self.isEditable()):
            self.setCurrentText(keep)

    def month(self) -> str | None:
        """The chosen month, or None (and the user told why) when it cannot be read."""
        try:
            return parse_month(self.currentText())
        except ParseError:
            show_error(self, "月份格式应为 2026-10")
            return None
