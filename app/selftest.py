"""``posdesk --self-test``: prove an install works, end to end, in a throw-away folder.

Run after a build (the frozen app) and after an install: it touches nothing of the user's.
Each step prints ``OK <step> (<ms> ms)``; the first failure prints ``FAIL <step>: <reason>``
and the exit code is 1.  Steps: a temporary folder, the database and its migrations, the
small demo (which locks two months), its derived tables checked against the raw rows
(``app.core.derived.verify``), computing and locking the open month, one PDF slip,
Qt offscreen, the single-instance lock and its local socket, the main window shown and
closed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL = 0, 1


class _Failed(Exception):
    pass


def _say(line: str) -> None:
    # a windowed build has no stdout; the exit code still tells
    try:
        print(line, flush=True)
    except (OSError, ValueError, AttributeError):
        pass


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class _Run:
    def __init__(self) -> None:
        self.tmp: Path | None = None
        self.db_path: Path | None = None
        self.month = ""
        self.app: Any = None
        self.lock: Any = None

    def step(self, name: str, fn: Callable[[], object]) -> None:
        start = time.perf_counter()
        try:
            fn()
        except Exception as exc:
            _say(f"FAIL {name}: {_reason(exc)}")
            if os.environ.get("POSDESK_SELFTEST_TRACEBACK"):
                traceback.print_exc()
            raise _Failed(name) from exc
        _say(f"OK {name} ({(time.perf_counter() - start) * 1000:.0f} ms)")

    # -- steps

    def temp_folder(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="posdesk-selftest-"))
        self.db_path = self.tmp / "posdesk.db"

    def migrate(self) -> None:
        from app.models.db import open_database
        from app.models.migrations import LATEST, schema_version

        assert self.db_path is not None
        db = open_database(self.db_path)
        if schema_version(db) != LATEST:
            raise RuntimeError(f"schema {schema_version(db)}, expected {LATEST}")

    def demo(self) -> None:
        from app.io.demo import write_demo_files  # noqa: F401  (the frozen build has it)
        from app.io.demo_load import load_demo
        from app.models import Txn

        load_demo("small", settle=False)  # the next two steps compute and lock
        latest = Txn.select(Txn.month).order_by(Txn.month.desc()).first()
        if latest is None:
            raise RuntimeError("the demo imported no transactions")
        self.month = latest.month

    def derived(self) -> None:
        from app.core import derived
        from app.models import database

        with database.obj.atomic():
            differences = derived.verify(database.obj.connection())
        if differences:
            raise RuntimeError("derived tables differ: " + "; ".join(map(str, differences)))

    def compute(self) -> None:
        from app.core import settlement

        result = settlement.compute_month(self.month)
        if result.statements <= 0:
            raise RuntimeError(f"{self.month}: no statements")

    def lock_month(self) -> None:
        from app.core import closing
        from app.core.months import is_locked

        for earlier in closing.open_months_before(self.month):  # months close in order
            closing.lock(earlier)
        closing.lock(self.month)
        if not is_locked(self.month):
            raise RuntimeError(f"{self.month} is not locked")

    def slip(self) -> None:
        from app.io.slips import render_slip, slip_data
        from app.models import Agent, Statement

        assert self.tmp is not None
        row = (
            Statement.select(Agent.code)
            .join(Agent)
            .where(Statement.month == self.month)
            .order_by(Agent.code)
            .tuples()
            .first()
        )
        if row is None:
            raise RuntimeError(f"{self.month}: no statement to print")
        out = self.tmp / "slip.pdf"
        render_slip(slip_data(self.month, row[0]), out, locked=True)
        with open(out, "rb") as fh:
            if fh.read(5) != b"%PDF-":
                raise RuntimeError("the slip is not a PDF")

    def qt(self) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication

        self.app = QApplication.instance() or QApplication(["posdesk", "--self-test"])

    def single_instance(self) -> None:
        from app.runtime import InstanceLock

        assert self.db_path is not None
        first = InstanceLock(self.db_path)
        if not first.acquire():
            raise RuntimeError(f"cannot lock {first.lock_path}")
        self.lock = first
        knocked: list[bool] = []
        if not first.listen(lambda: knocked.append(True)):
            raise RuntimeError("local socket: cannot listen")
        second = InstanceLock(self.db_path)
        if second.acquire():
            second.release()
            raise RuntimeError("a second lock on the same database was granted")
        if not second.ask_running_to_activate():
            raise RuntimeError("local socket: the first instance did not answer")
        deadline = time.monotonic() + 3
        while not knocked and time.monotonic() < deadline:
            self.app.processEvents()
            time.sleep(0.01)
        if not knocked:
            raise RuntimeError("local socket: the activate request did not arrive")

    def main_window(self) -> None:
        from PySide6.QtCore import QThreadPool, QTimer

        from app.views.main_window import MainWindow

        # a modal box here (welcome, confirm-quit) would hang an unattended run: close it
        # and fail instead
        surprises: list[str] = []

        def close_modal() -> None:
            modal = self.app.activeModalWidget()
            if modal is not None:
                surprises.append(modal.windowTitle() or type(modal).__name__)
                modal.close()

        watchdog = QTimer()
        watchdog.timeout.connect(close_modal)
        watchdog.start(200)
        try:
            window = MainWindow(str(self.db_path))
            window.show()
            self.app.processEvents()
            window.close()
            self.app.processEvents()
            QThreadPool.globalInstance().waitForDone(10_000)
            window.deleteLater()
            self.app.processEvents()
        finally:
            watchdog.stop()
        if surprises:
            raise RuntimeError("unexpected dialog: " + ", ".join(surprises))

    def cleanup(self) -> None:
        from app.models.db import close_database

        if self.lock is not None:
            self.lock.release()
            self.lock = None
        close_database()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)


def self_test() -> int:
    """Run every step; 0 when all pass, 1 at the first failure."""
    run = _Run()
    started = time.perf_counter()
    steps: list[tuple[str, Callable[[], object]]] = [
        ("temp-folder", run.temp_folder),
        ("migrate", run.migrate),
        ("demo", run.demo),
        ("derived", run.derived),
        ("compute", run.compute),
        ("lock-month", run.lock_month),
        ("slip", run.slip),
        ("qt-offscreen", run.qt),
        ("single-instance", run.single_instance),
        ("main-window", run.main_window),
    ]
    try:
        for name, fn in steps:
            run.step(name, fn)
    except _Failed:
        return EXIT_FAIL
    finally:
        try:
            run.cleanup()
        except Exception:  # noqa: S110 - leaving a temp folder behind is not a failure
            pass
    _say(f"OK self-test {run.month} ({(time.perf_counter() - started) * 1000:.0f} ms)")
    return EXIT_OK
