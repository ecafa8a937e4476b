"""Background operations: a job runs on the global thread pool, reports progress, can be
cancelled, and hands its result (or a Chinese error) back to the GUI thread by signals.

A job is a plain function ``job(progress, cancel) -> result`` where ``progress(pct, text)``
reports 0–100 and ``cancel()`` tells whether the user pressed 取消.  It must not touch
widgets.  ``UserError`` becomes ``failed(message)``; anything else is logged with its
traceback and becomes ``failed("程序出错…详见日志")``.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.core.errors import UserError, busy_error, from_db_error
from app.views.errors import BUG_MESSAGE

log = logging.getLogger("posdesk")

ProgressFn = Callable[[int, str], None]
CancelFn = Callable[[], bool]
Job = Callable[[ProgressFn, CancelFn], Any]


class OperationSignals(QObject):
    progress = Signal(int, str)
    finished = Signal(object)
    failed = Signal(str)


class Operation(QRunnable):
    """One background job.  Connect to ``signals`` then call ``start()``."""

    def __init__(self, job: Job):
        super().__init__()
        self.setAutoDelete(False)  # we keep a reference while it runs; Python frees it
        self.job = job
        self.signals = OperationSignals()
        self._cancelled = threading.Event()
        self.done = threading.Event()
        self.title = ""  # a long job the user started (closing the window asks about it)

    def cancel(self) -> None:
        self._cancelled.set()

    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()

    def start(self) -> Operation:
        _collect_on_gui_thread()
        _RUNNING.add(self)
        QThreadPool.globalInstance().start(self)
        return self

    def _tell(self, name: str, *args: object) -> None:
        """Emit a signal, unless its Qt side is gone (the window closed under the job):
        then nobody is left to tell, and the job's own transaction has decided."""
        try:
            getattr(self.signals, name).emit(*args)
        except RuntimeError:
            log.info("operation ended after its receiver was deleted")

    def run(self) -> None:  # worker thread
        try:
            result = self.job(lambda pct, text: self._tell("progress", pct, text),
                              self.is_cancelled)
        except UserError as exc:
            self._tell("failed", str(exc))
        except Exception as exc:  # a defect (logged), or another writer held the database
            busy = busy_error(exc)
            if busy is not None:
                self._tell("failed", str(busy))
            elif (refused := from_db_error(exc)) is not None:
                self._tell("failed", str(refused))
            else:
                log.exception("background operation failed")
                self._tell("failed", BUG_MESSAGE)
        else:
            self._tell("finished", result)
        finally:
            self.done.set()
            _RUNNING.discard(self)


_RUNNING: set[Operation] = set()


class _GuiThreadCollector(QObject):
    """Python's cyclic garbage collector runs in whatever thread allocates when a threshold
    is crossed.  In a worker thread it may free PySide objects that belong to the GUI
    thread, and the process dies (faulthandler in the GUI tests: "Garbage-collecting" in
    the demo loader's worker thread, the old code as well as the new).  So once a worker
    runs, automatic collection is off and the GUI thread collects from a timer, by the
    same thresholds, generation by generation."""

    def __init__(self, app: QCoreApplication):
        super().__init__(app)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect)
        self.timer.start(250)

    def collect(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):  # the oldest generation due takes the younger along
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                return


_COLLECTOR: dict[str, object] = {}  # "app": the application it was installed for


def _collect_on_gui_thread() -> None:
    app = QCoreApplication.instance()
    if app is None or _COLLECTOR.get("app") is app:
        return
    _COLLECTOR["app"] = app
    _COLLECTOR["collector"] = _GuiThreadCollector(app)


def run_with_progress(
    parent: QWidget | None,
    title: str,
    job: Job,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    cancellable: bool = True,
) -> Operation:
    """Run ``job`` in the background behind a modal progress dialog with a 取消 button.

    ``on_done(result)`` runs on the GUI thread; errors are shown with ``show_error``
    unless ``on_error`` is given.
    """
    from app.views.errors import show_error

    dialog = QProgressDialog(title, "取消" if cancellable else "", 0, 100, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setMinimumWidth(360)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    if not cancellable:
        dialog.setCancelButton(None)
    dialog.setValue(0)
    op = Operation(job)
    op.title = title

    ended: list[bool] = []

    def progress(pct: int, text: str) -> None:
        # a modal dialog's setValue runs the event loop: the job's end may be handled
        # inside it and the dialog gone by the next line
        try:
            if not ended:
                dialog.setValue(max(0, min(99, pct)))
            if text and not ended:
                dialog.setLabelText(text)
        except RuntimeError:
            pass

    def close_dialog() -> None:
        ended.append(True)
        try:
            dialog.close()
            dialog.deleteLater()
        except RuntimeError:  # deleted with its parent
            pass

    def finished(result: object) -> None:
        close_dialog()
        if on_done is not None:
            on_done(result)

    def failed(message: str) -> None:
        close_dialog()
        if on_error is not None:
            on_error(message)
        else:
            show_error(parent, message)

    def cancel() -> None:
        op.cancel()
        dialog.setLabelText("正在取消……")

    op.signals.progress.connect(progress)
    op.signals.finished.connect(finished)
    op.signals.failed.connect(failed)
    dialog.canceled.connect(cancel)
    op.dialog = dialog  # type: ignore[attr-defined]  # for tests
    return op.start()
