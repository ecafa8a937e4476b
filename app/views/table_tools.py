"""What every list of the window offers, in one place (every ``DataTable`` gets it):

* sort by a click on a header (the model sorts, ``RowsModel.sort``);
* 筛选: a quick filter on the text of every column, on top of the page's own filters;
* 显示列: a column chooser, remembered per table in QSettings (``tables/<key>/hidden``);
* 复制 (the selected rows, or all rows shown) with the headers, as tab-separated text
  that pastes into Excel;
* 导出Excel: what is shown — the visible columns, the rows the filters let through, in
  the order on screen;
* a totals row under the table for the columns whose numbers add up (money columns, and
  the columns a page marks ``total=True``), over the rows shown.

The right-click menu holds them all.  A page names its table for the export file and the
remembered columns with ``table.name = "代理商"`` (``add_export_action`` does it too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter
from PySide6.QtWidgets import QInputDialog, QMenu, QWidget

from app.core.money import format_money
from app.views.table_model import RAW_ROLE, RowsModel, rows_as_tsv

if TYPE_CHECKING:
    from app.views.widgets import DataTable

FOOTER_HEIGHT = 24  # = widgets.FOOTER_HEIGHT_PX


def source_model(model: Any) -> Any:
    while hasattr(model, "sourceModel"):
        model = model.sourceModel()
    return model


def visible_columns(table: DataTable) -> list[int]:
    model = table.model()
    if model is None:
        return []
    return [c for c in range(model.columnCount()) if not table.isColumnHidden(c)]


def shown_texts(table: DataTable) -> tuple[list[str], list[list[object]]]:
    """Headers and texts of what the table shows (visible columns, filtered rows, in order)."""
    model = table.model()
    cols = visible_columns(table)
    headers = [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in cols]
    source = source_model(model)
    # counts stay numbers in Excel; money stays the text the user saw (¥1,234.56)
    counts = set()
    if isinstance(source, RowsModel) and source is model:
        counts = {c for c in cols if source.columns[c].total and not source.columns[c].money}
    rows = []
    for r in range(model.rowCount()):
        row: list[object] = []
        for c in cols:
            if c in counts:
                value = model.index(r, c).data(RAW_ROLE)
                row.append(value if isinstance(value, int) else model.index(r, c).data())
            else:
                row.append(model.index(r, c).data())
        rows.append(row)
    return headers, rows


def totals(model: RowsModel) -> dict[int, int]:
    """Column → sum over the shown rows, for the columns that add up."""
    out: dict[int, int] = {}
    rows = model.shown_rows()
    for c, spec in enumerate(model.columns):
        if not spec.total:
            continue
        s = 0
        for v in map(spec.getter, rows):
            if isinstance(v, int) and not isinstance(v, bool):
                s += v
        out[c] = s
    return out


class Footer(QWidget):
    """The totals row, drawn under the table's cells, column by column."""

    def __init__(self, table: DataTable):
        super().__init__(table)
        self.table = table
        self.texts: dict[int, str] = {}
        self.setObjectName("tableFooter")

    def refresh(self) -> None:
        model = source_model(self.table.model())
        if not isinstance(model, RowsModel) or not any(c.total for c in model.columns):
            self.texts = {}
        else:
            sums = totals(model)
            self.texts = {
                c: (format_money(v) if model.columns[c].money else f"{v:,}")
                for c, v in sums.items()
            }
        self.table.place_footer(bool(self.texts))
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt name
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#eef1f6"))
        painter.setPen(QColor("#dde2ea"))
        painter.drawLine(0, 0, self.width(), 0)
        header = self.table.horizontalHeader()
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#1f2a3a"))
        label_done = False
        for c in range(header.count()):
            if header.isSectionHidden(c):
                continue
            x, w = header.sectionViewportPosition(c), header.sectionSize(c)
            rect = QRect(x + 6, 0, max(0, w - 12), self.height())
            if c in self.texts:
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                                 self.texts[c])
            elif not label_done:
                n = self.table.model().rowCount() if self.table.model() else 0
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                                 f"合计({n:,} 行)")
            label_done = True
        painter.end()


class TableTools(QObject):
    """The menu, the column chooser and the footer of one ``DataTable``."""

    def __init__(self, table: DataTable):
        super().__init__(table)
        self.table = table
        self.footer = Footer(table)
        self.footer.hide()
        self.quick = ""
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self.show_menu)
        header = table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(lambda pos: self.columns_menu().exec(
            header.mapToGlobal(pos)))
        header.sectionResized.connect(lambda *_a: self.footer.update())
        header.sectionMoved.connect(lambda *_a: self.footer.update())
        table.horizontalScrollBar().valueChanged.connect(lambda _v: self.footer.update())
        self._watched: Any = None

    # ------------------------------------------------------------ model
    def model_set(self, model: Any) -> None:
        source = source_model(model)
        if self._watched is not None:
            for signal in self._signals(self._watched):
                try:
                    signal.disconnect(self._changed)
                except (RuntimeError, TypeError):
                    pass
        self._watched = model
        if model is not None:
            for signal in self._signals(model):
                signal.connect(self._changed)
        if isinstance(source, RowsModel) and self.quick:
            source.set_quick_filter(self.quick)
        self.restore_columns()
        self.footer.refresh()

    @staticmethod
    def _signals(model: Any) -> list:
        return [model.modelReset, model.layoutChanged, model.rowsInserted, model.rowsRemoved,
                model.dataChanged]

    def _changed(self, *_args: object) -> None:
        self.restore_columns()
        self.footer.refresh()

    # ------------------------------------------------------------ columns
    def key(self) -> str:
        model = self.table.model()
        if self.table.name:
            return self.table.name
        if model is None:
            return ""
        return "|".join(str(model.headerData(c, Qt.Orientation.Horizontal) or "")
                        for c in range(model.columnCount()))[:120]

    def headers(self) -> list[str]:
        model = self.table.model()
        if model is None:
            return []
        return [str(model.headerData(c, Qt.Orientation.Horizontal) or "")
                for c in range(model.columnCount())]

    def hidden_names(self) -> list[str]:
        value = QSettings().value(f"tables/{self.key()}/hidden", [])
        if isinstance(value, str):
            return [value] if value else []
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        return []

    def restore_columns(self) -> None:
        hidden = set(self.hidden_names())
        for c, name in enumerate(self.headers()):
            self.table.setColumnHidden(c, name in hidden)

    def set_column_shown(self, column: int, shown: bool) -> None:
        names = self.headers()
        hidden = [h for h in self.hidden_names() if h in names and h != names[column]]
        if not shown:
            if len(hidden) + 1 >= len(names):
                return  # keep at least one column
            hidden.append(names[column])
        QSettings().setValue(f"tables/{self.key()}/hidden", hidden)
        self.restore_columns()
        self.footer.update()

    def columns_menu(self, parent: QWidget | None = None) -> QMenu:
        menu = QMenu("显示列", parent or self.table)
        for c, name in enumerate(self.headers()):
            act = menu.addAction(name or f"第{c + 1}列")
            act.setCheckable(True)
            act.setChecked(not self.table.isColumnHidden(c))
            act.toggled.connect(lambda on, c=c: self.set_column_shown(c, on))
        menu.addSeparator()
        menu.addAction("全部显示", self.show_all_columns)
        return menu

    def show_all_columns(self) -> None:
        QSettings().setValue(f"tables/{self.key()}/hidden", [])
        self.restore_columns()
        self.footer.update()

    # ------------------------------------------------------------ filter
    def set_quick_filter(self, text: str) -> None:
        self.quick = text.strip()
        source = source_model(self.table.model())
        if isinstance(source, RowsModel):
            source.set_quick_filter(self.quick)

    def ask_filter(self) -> None:
        text, ok = QInputDialog.getText(self.table, "筛选本表", "显示包含以下文字的行(留空显示全部):",
                                        text=self.quick)
        if ok:
            self.set_quick_filter(text)

    # ------------------------------------------------------------ copy / export
    def copy(self, every_row: bool = False) -> str:
        model = self.table.model()
        if model is None:
            return ""
        rows = list(range(model.rowCount())) if every_row else self.table.selected_view_rows()
        if not rows:
            return ""
        text = rows_as_tsv(model, rows, visible_columns(self.table))
        QGuiApplication.clipboard().setText(text)
        return text

    def export(self) -> None:
        from app.views.table_export import export_shown

        export_shown(self.table, self.table.name or "导出")

    # ------------------------------------------------------------ menu
    def menu(self) -> QMenu:
        menu = QMenu(self.table)
        copy = menu.addAction("复制所选行(含表头)", self.copy)
        copy.setShortcut("Ctrl+C")
        copy.setEnabled(bool(self.table.selected_view_rows()))
        menu.addAction("复制全部显示的行", lambda: self.copy(every_row=True))
        menu.addAction("导出Excel…", self.export)
        menu.addSeparator()
        menu.addAction("筛选…" if not self.quick else f"筛选:{self.quick}…", self.ask_filter)
        if self.quick:
            menu.addAction("清除筛选", lambda: self.set_quick_filter(""))
        menu.addMenu(self.columns_menu(menu))
        for act in self.table.extra_actions:
            if not menu.actions()[-1].isSeparator():
                menu.addSeparator()
            menu.addAction(act)
        return menu

    def show_menu(self, pos: QPoint) -> None:
        self.menu().exec(self.table.viewport().mapToGlobal(pos))
