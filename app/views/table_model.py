"""One table model for every table of the window: ``RowsModel`` over a list of rows.

Columns are declared as data (``Column``: header, getter, formatter, alignment, sort key),
rows are whatever the service returned (tuples or dataclasses).  Sorting and the quick
filter run inside the model on plain Python lists, so a 100,000-row table sorts and
filters in tens of milliseconds instead of calling back into Python a million times from
``QSortFilterProxyModel.lessThan``; the model still works under a proxy (``SORT_ROLE``
gives each cell's sort key, ``ROW_ROLE`` the row object).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.core.money import format_money, format_rate

SORT_ROLE = Qt.ItemDataRole.UserRole
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
RAW_ROLE = Qt.ItemDataRole.UserRole + 2

_ALIGN = {
    "left": Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
    "right": Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
    "center": Qt.AlignmentFlag.AlignCenter,
}
_NEGATIVE = QBrush(QColor("#c0392b"))
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
# roles as plain ints: data() runs for every visible cell and role, int compares are cheapest
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_SORT = SORT_ROLE.value

Index = QModelIndex | QPersistentModelIndex


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


@dataclass
class Column:
    """One column: ``get`` is a tuple index or a function of the row."""

    header: str
    get: int | str | Callable[[Any], Any]
    fmt: Callable[[Any], str] = _text
    align: str = "left"
    sort_key: Callable[[Any], Any] | None = None
    width: int = 0  # initial width in pixels; 0 = let the view decide
    tooltip: str = ""
    red_if_negative: bool = False
    total: bool = False  # summed in the table's totals row (over the rows shown)
    money: bool = False  # int fen, shown as money (the totals row formats it so)

    def __post_init__(self) -> None:
        g = self.get
        if isinstance(g, int):
            self.getter: Callable[[Any], Any] = operator.itemgetter(g)
        elif isinstance(g, str):
            self.getter = operator.attrgetter(g)
        else:
            self.getter = g


def money_column(header: str, get: Any, width: int = 110, **kw: Any) -> Column:
    kw.setdefault("total", True)
    return Column(header, get, fmt=lambda v: "" if v is None else format_money(v), align="right",
                  width=width, red_if_negative=True, money=True, **kw)


def rate_column(header: str, get: Any, width: int = 80, **kw: Any) -> Column:
    return Column(header, get, fmt=lambda v: "" if v is None else format_rate(v), align="right",
                  width=width, **kw)


def format_ratio(ppm: int | None) -> str:
    """A ratio in ppm as a percentage with one decimal: 834711 → ``83.5%``."""
    if ppm is None:
        return ""
    tenths = (ppm + 500) // 1000
    return f"{tenths // 10}.{tenths % 10}%"


def ratio_column(header: str, get: Any, width: int = 70, **kw: Any) -> Column:
    return Column(header, get, fmt=format_ratio, align="right", width=width, **kw)


def int_column(header: str, get: Any, width: int = 70, **kw: Any) -> Column:
    return Column(header, get, fmt=lambda v: "" if v is None else f"{v:,}", align="right",
                  width=width, **kw)


class RowsModel(QAbstractTableModel):
    """A read-only table of ``rows`` under ``columns``, with in-model sort and filter."""

    def __init__(self, columns: Sequence[Column], rows: Sequence[Any] = (), parent=None):
        super().__init__(parent)
        self.columns = list(columns)
        self._all: list[Any] = list(rows)
        self._ordered: list[Any] = self._all  # every row in the current sort order
        self._shown: list[Any] = list(self._all)
        self._filter: Callable[[Any], bool] | None = None
        self._quick = ""  # the table's own 筛选 (app.views.table_tools), on top of _filter
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # ------------------------------------------------------------ data in
    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._all = list(rows)
        self._ordered = self._all if self._sort is None else self._sorted(self._all, *self._sort)
        self._recompute()
        self.endResetModel()

    def set_filter(self, accept: Callable[[Any], bool] | None, accepted: list[Any] | None = None) -> None:
        """Show only rows for which ``accept(row)`` is true (None shows all).  A caller that
        already has the accepted rows (taken from ``ordered_rows()``, in that order) passes
        them as ``accepted`` to save a pass."""
        self.beginResetModel()
        self._filter = accept
        self._recompute(accepted)
        self.endResetModel()

    def set_quick_filter(self, text: str) -> None:
        """Show only rows where some column's text contains ``text`` (case ignored)."""
        self.beginResetModel()
        self._quick = text.strip().lower()
        self._recompute()
        self.endResetModel()

    def _recompute(self, accepted: list[Any] | None = None) -> None:
        # filtering keeps the order, so a filter never sorts again
        if accepted is not None:
            self._shown = accepted
        elif self._filter is None:
            self._shown = list(self._ordered)
        else:
            accept = self._filter
            self._shown = [r for r in self._ordered if accept(r)]
        if self._quick:
            needle = self._quick
            cols = [(c.getter, c.fmt) for c in self.columns]
            self._shown = [r for r in self._shown
                           if any(needle in str(fmt(get(r))).lower() for get, fmt in cols)]

    def _sorted(self, rows: list[Any], column: int, order: Qt.SortOrder) -> list[Any]:
        """Rows by the column's value (or sort key), blanks last in either order."""
        spec = self.columns[column]
        get = spec.getter
        if spec.sort_key is not None:
            sk = spec.sort_key

            def key(r: Any) -> Any:
                return sk(get(r))
        else:
            key = get  # type: ignore[assignment]  # itemgetter / attrgetter: no Python call per row
        values = list(map(key, rows))
        reverse = order == Qt.SortOrder.DescendingOrder
        if None in values or "" in values:
            full = [i for i, v in enumerate(values) if v is not None and v != ""]
            blank = [i for i, v in enumerate(values) if v is None or v == ""]
        else:
            full, blank = list(range(len(values))), []
        try:
            full.sort(key=values.__getitem__, reverse=reverse)
        except TypeError:  # mixed types in one column: compare as text
            full.sort(key=lambda i: _text(values[i]), reverse=reverse)
        return [rows[i] for i in full] + [rows[i] for i in blank]

    # ------------------------------------------------------------ data out
    def row_at(self, row: int) -> Any:
        return self._shown[row]

    def all_rows(self) -> list[Any]:
        return self._all

    def ordered_rows(self) -> list[Any]:
        """Every row (filtered or not) in the current sort order."""
        return self._ordered

    def shown_rows(self) -> list[Any]:
        return self._shown

    def total_count(self) -> int:
        return len(self._all)

    # ------------------------------------------------------------ Qt interface
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if r >= len(self._shown) or c >= len(self.columns):
            return None
        role = int(role)
        spec = self.columns[c]
        if role == _DISPLAY:
            return spec.fmt(spec.getter(self._shown[r]))
        if role == _ALIGNMENT:
            return _ALIGN[spec.align]
        if role == _FOREGROUND:
            if spec.red_if_negative:
                value = spec.getter(self._shown[r])
                if isinstance(value, int) and value < 0:
                    return _NEGATIVE
            return None
        if role == _SORT:
            value = spec.getter(self._shown[r])
            key = spec.sort_key(value) if spec.sort_key else value
            return key if isinstance(key, (int, str, float)) else _text(key)
        if role == ROW_ROLE:
            return self._shown[r]
        if role == RAW_ROLE:
            return spec.getter(self._shown[r])
        if role == _TOOLTIP and spec.tooltip:
            return spec.tooltip
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            spec = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return spec.header
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _ALIGN[spec.align]
            if role == Qt.ItemDataRole.ToolTipRole and spec.tooltip:
                return spec.tooltip
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _FLAGS

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_rows = [(self._shown[i.row()], i.column()) for i in old if i.row() < len(self._shown)]
        self._sort = (column, order)
        self._ordered = self._sorted(self._all, column, order)
        if (self._filter is None and not self._quick) or len(self._shown) == len(self._all):
            self._shown = list(self._ordered)
        else:
            self._shown = self._sorted(self._shown, column, order)
        if old:
            pos = {id(r): i for i, r in enumerate(self._shown)}
            self.changePersistentIndexList(
                old[: len(old_rows)], [self.index(pos[id(r)], c) for r, c in old_rows]
            )
        self.layoutChanged.emit()


def rows_as_tsv(model: Any, rows: Sequence[int], columns: Sequence[int] | None = None,
                header: bool = True) -> str:
    """The given view rows of ``model`` as tab-separated text that pastes into Excel."""
    cols = list(columns) if columns is not None else list(range(model.columnCount()))
    lines = []
    if header:
        lines.append("\t".join(_clean(model.headerData(c, Qt.Orientation.Horizontal)) for c in cols))
    for r in rows:
        lines.append("\t".join(_clean(model.index(r, c).data()) for c in cols))
    return "\n".join(lines) + "\n"


def _clean(value: Any) -> str:
    return _text(value).replace("\t", " ").replace("\n", " ")
