"""The small demo loaded once per test session into a template file; each test gets a
fresh copy (loading takes seconds, copying milliseconds)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

_TEMPLATE: Path | None = None


def demo_template() -> Path:
    global _TEMPLATE
    if _TEMPLATE is None:
        from app.io.demo_load import load_demo
        from app.models.db import open_database

        folder = Path(tempfile.mkdtemp(prefix="posdesk-demo-"))
        path = folder / "demo.db"
        db = open_database(path)
        load_demo("small")
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        _TEMPLATE = path
    return _TEMPLATE


def open_demo_copy(tmp_path: Path):
    """Copy the template into ``tmp_path`` and bind the models to the copy."""
    from app.models.db import open_database

    target = tmp_path / "posdesk.db"
    shutil.copyfile(demo_template(), target)
    return open_database(target)


def isolate_settings(tmp_path: Path) -> None:
    """QSettings of the test go to a folder of its own."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
