"""Small shared widgets: the data table view, a search box, money/date inputs."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QWidget,
)

from app.views.table_model import RowsModel, rows_as_tsv


class DataTable(QTableView):
    """A read-only table: row selection, sorting, fixed row height, Ctrl+C as TSV."""

    def __init__(self, parent: QWidget | None = None, multi: bool = True):
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(
            QAbstractItemView.SelectionMode.ExtendedSelection if multi
            else QAbstractItemView.SelectionMode.SingleSelection
        )
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.setWordWrap(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vh = self.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row size hints
        vh.setDefaultSectionSize(26)
        hh = self.horizontalHeader()
        hh.setHighlightSections(False)
        hh.setStretchLastSection(True)
        hh.setSortIndicatorShown(True)
        hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)

    def setModel(self, model) -> None:  # noqa: N802 - Qt name
        super().setModel(model)
        source = model
        while hasattr(source, "sourceModel"):
            source = source.sourceModel()
        if isinstance(source, RowsModel):
            for i, col in enumerate(source.columns):
                if col.width:
                    self.setColumnWidth(i, col.width)

    def selected_view_rows(self) -> list[int]:
        sel = self.selectionModel()
        if sel is None:
            return []
        return sorted({i.row() for i in sel.selectedRows()})

    def selected_objects(self) -> list:
        """The row objects (as the model holds them) of the selected rows."""
        from app.views.table_model import ROW_ROLE

        model = self.model()
        return [model.index(r, 0).data(ROW_ROLE) for r in self.selected_view_rows()]

    def current_object(self):
        from app.views.table_model import ROW_ROLE

        idx = self.currentIndex()
        if not idx.isValid():
            rows = self.selected_view_rows()
            if not rows:
                return None
            return self.model().index(rows[0], 0).data(ROW_ROLE)
        return self.model().index(idx.row(), 0).data(ROW_ROLE)

    def copy_selection(self) -> str:
        """Copy the selected rows (all columns, with a header line) as tab-separated text."""
        rows = self.selected_view_rows()
        if not rows or self.model() is None:
            return ""
        text = rows_as_tsv(self.model(), rows)
        QGuiApplication.clipboard().setText(text)
        return text

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt name
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            event.accept()
            return
        super().keyPressEvent(event)


class SearchBox(QLineEdit):
    """A filter field that reports its text after a short pause (``search``)."""

    search = Signal(str)

    def __init__(self, placeholder: str = "搜索", parent: QWidget | None = None, delay_ms: int = 150):
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(220)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(lambda: self.search.emit(self.text().strip()))
        self.textChanged.connect(lambda _t: self._timer.start())
        self.returnPressed.connect(self._now)

    def _now(self) -> None:
        self._timer.stop()
        self.search.emit(self.text().strip())


class DateEdit(QDateEdit):
    """A calendar date field that speaks ``datetime.date``."""

    def __init__(self, value: dt.date | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.set_date(value or dt.date.today())

    def set_date(self, value: dt.date) -> None:
        self.setDate(QDate(value.year, value.month, value.day))

    def date_value(self) -> dt.date:
        d = self.date()
        return dt.date(d.year(), d.month(), d.day())


def hint_label(text: str, parent: QWidget | None = None, wrap: bool = False) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("hint")
    label.setWordWrap(wrap)
    return label


def title_label(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("pageTitle")
    return label
