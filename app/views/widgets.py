"""Small shared widgets: the data table view, a search box, money/date inputs."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.views.table_model import RowsModel

FOOTER_HEIGHT_PX = 24


class DataTable(QTableView):
    """A read-only table: row selection, sorting, fixed row height, Ctrl+C as TSV, and the
    tools of ``app.views.table_tools`` (right-click menu, 筛选, 显示列, 导出Excel, totals row)."""

    def __init__(self, parent: QWidget | None = None, multi: bool = True, name: str = ""):
        super().__init__(parent)
        from app.views.table_tools import TableTools

        self.name = name  # for the export file and the remembered columns
        self.extra_actions: list = []  # a page's own commands, added to the right-click menu
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
        self.tools = TableTools(self)

    def setModel(self, model) -> None:  # noqa: N802 - Qt name
        super().setModel(model)
        source = model
        while hasattr(source, "sourceModel"):
            source = source.sourceModel()
        if isinstance(source, RowsModel):
            for i, col in enumerate(source.columns):
                if col.width:
                    self.setColumnWidth(i, col.width)
        self.tools.model_set(model)

    def place_footer(self, shown: bool) -> None:
        """Make room for the totals row under the cells (or take it away)."""
        self._footer_shown = shown
        self.tools.footer.setVisible(shown)
        self.updateGeometries()

    def updateGeometries(self) -> None:  # noqa: N802 - Qt name
        super().updateGeometries()  # sets the margins for the headers
        m = self.viewportMargins()
        bottom = FOOTER_HEIGHT_PX if getattr(self, "_footer_shown", False) else 0
        if m.bottom() != bottom:
            self.setViewportMargins(m.left(), m.top(), m.right(), bottom)
        self._move_footer()

    def _move_footer(self) -> None:
        tools = self.__dict__.get("tools")
        if tools is None:  # Qt asks for geometries while __init__ is still running
            return
        footer = tools.footer
        if footer.isVisible():
            vp = self.viewport().geometry()
            footer.setGeometry(vp.left(), vp.bottom() + 1, vp.width(), FOOTER_HEIGHT_PX)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._move_footer()

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
        """Copy the selected rows (the columns shown, with a header line) as tab-separated text."""
        return self.tools.copy()

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


def warning_label(parent: QWidget | None = None) -> QLabel:
    """The red line a form shows its refusal in (the dialog stays open)."""
    label = QLabel(parent)
    label.setObjectName("warning")
    label.setWordWrap(True)
    return label


def hint_label(text: str, parent: QWidget | None = None, wrap: bool = False) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("hint")
    label.setWordWrap(wrap)
    return label


def title_label(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("pageTitle")
    return label


def page_head(outer: QVBoxLayout, title: str, hint: str) -> None:
    """The title and a wrapped one-paragraph explanation above a page."""
    head = QHBoxLayout()
    head.addWidget(title_label(title))
    head.addWidget(hint_label(hint, wrap=True), 1)
    outer.addLayout(head)
