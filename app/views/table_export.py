"""「导出Excel」for any table: what the view shows (its columns and its rows, in the order
and filter on screen) goes into an xlsx through ``app.io.xlsx_export`` (formulas
neutralised there).  ``add_export_action(view, name)`` puts the command on a table's
right-click menu; ``export_view`` is what a button calls."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QFileDialog, QWidget

from app.io.xlsx_export import export_rows


def model_rows(model) -> tuple[list[str], list[list[object]]]:
    """Headers and displayed texts of every row of ``model``."""
    cols = model.columnCount()
    headers = [
        str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in range(cols)
    ]
    rows = []
    for r in range(model.rowCount()):
        rows.append([model.index(r, c).data() for c in range(cols)])
    return headers, rows


def ask_path(parent: QWidget | None, name: str) -> Path | None:
    settings = QSettings()
    folder = str(settings.value("export/folder", "") or Path.home())
    stamp = dt.date.today().strftime("%Y%m%d")
    suggested = str(Path(folder) / f"{name}_{stamp}.xlsx")
    path, _ = QFileDialog.getSaveFileName(parent, "导出到Excel", suggested, "Excel 工作簿 (*.xlsx)")
    if not path:
        return None
    if not path.lower().endswith(".xlsx"):
        path += ".xlsx"
    settings.setValue("export/folder", str(Path(path).parent))
    return Path(path)


def export_model(model, path: str | Path, sheet: str = "导出") -> int:
    headers, rows = model_rows(model)
    return export_rows(path, headers, rows, sheet_title=sheet)


def export_view(parent: QWidget | None, view: QAbstractItemView, name: str) -> Path | None:
    """Ask where, then write the table of ``view``; returns the file written."""
    from app.views.errors import show_error, show_info

    path = ask_path(parent, name)
    if path is None:
        return None
    try:
        n = export_model(view.model(), path, sheet=name)
    except Exception as exc:  # UserError shown as is; a defect is logged
        show_error(parent, exc)
        return None
    show_info(parent, f"已导出 {n} 行到\n{path}")
    return path


def add_export_action(view: QAbstractItemView, name: str) -> QAction:
    """Name the table for 「导出Excel…」 (a ``DataTable`` has it on its right-click menu
    already); any other view gets the command added to its menu."""
    from app.views.widgets import DataTable

    action = QAction("导出Excel…", view)
    action.triggered.connect(lambda: export_view(view, view, name))
    if isinstance(view, DataTable):
        view.name = view.name or name
        view.tools.restore_columns()
        return action
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    view.addAction(action)
    return action


def export_shown(table, name: str, path: str | Path | None = None) -> Path | None:
    """Write what ``table`` (a ``DataTable``) shows: its visible columns, its filtered rows
    in order.  Asks where unless ``path`` is given; returns the file written."""
    from app.views.errors import show_error, show_info
    from app.views.table_tools import shown_texts

    target = Path(path) if path is not None else ask_path(table, name)
    if target is None:
        return None
    headers, rows = shown_texts(table)
    try:
        n = export_rows(target, headers, rows, sheet_title=name[:31])
    except Exception as exc:  # UserError shown as is; a defect is logged
        show_error(table, exc)
        return None
    if path is None:
        show_info(table, f"已导出 {n} 行到\n{target}")
    return target
