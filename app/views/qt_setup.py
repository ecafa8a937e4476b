"""What the application needs before its first window: Qt's own texts in Chinese, one
style on every Windows theme, and a guard that lets no background job outlive the window.

* ``install_translations`` loads ``qtbase_zh_CN.qm`` (file chooser, message box buttons,
  the context menu of a line edit) from PySide6's translations folder, or from
  ``resources/translations`` where a build put it there.
* ``use_fusion`` makes the spin box arrows and the focus frame look the same whatever the
  Windows theme (the native style draws them in the theme's colours, and some high
  contrast and dark themes left the arrows invisible under our style sheet).
* ``running_jobs`` / ``stop_jobs`` back the window's close: a job still running is
  cancelled and waited for, so none emits into a window that is gone.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from app.resources import resource_path

QT_CATALOGUES = ("qtbase_zh_CN.qm",)


def translation_folders() -> list[Path]:
    """Where Qt's Chinese catalogues may be: PySide6's folder, then ours."""
    qt = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    return [qt, resource_path("translations")]


def install_translations(app: QCoreApplication) -> list[str]:
    """Load Qt's Chinese catalogues into ``app``; returns the files loaded."""
    loaded: list[str] = []
    kept = getattr(app, "_posdesk_translators", [])
    if kept:
        return [t.filePath() for t in kept]
    for name in QT_CATALOGUES:
        for folder in translation_folders():
            path = folder / name
            if not path.is_file():
                continue
            translator = QTranslator(app)
            if translator.load(str(path)):
                app.installTranslator(translator)
                kept.append(translator)
                loaded.append(str(path))
                break
    app._posdesk_translators = kept  # type: ignore[attr-defined]  # keep them alive
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    return loaded


def use_fusion(app: QApplication) -> None:
    """One style on every theme (our style sheet draws the arrows and focus on top of it)."""
    app.setStyle("Fusion")


def running_jobs() -> list:
    """The background operations still running (loaders, computes, imports, prints)."""
    from app.views.workers import _RUNNING

    return [op for op in list(_RUNNING) if not op.done.is_set()]


def stop_jobs(timeout_s: float = 120.0) -> bool:
    """Cancel every running job and wait for it to end (the GUI keeps painting meanwhile).

    A job that honours cancel rolls its transaction back; one that cannot be cancelled
    (a lock, a backup) is let finish whole.  True when none is left running."""
    jobs = running_jobs()
    for op in jobs:
        op.cancel()
    deadline = time.monotonic() + timeout_s
    while running_jobs() and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.02)
    QCoreApplication.processEvents()  # deliver the last finished/failed signals
    return not running_jobs()
