"""The window at scale: how long each page takes to be usable, and how long the GUI thread
is blocked while long work runs, on a fresh demo database in an offscreen window.

    python -m bench.window_large [--scale large|small] [--db PATH] [--json]

prints ``{"dashboard_s", "agents_s", "terminals_s", "checks_s", "lock_s",
"max_gui_block_ms"}``.  A page is usable when its background load has delivered (its
loader idle and its table filled).  The GUI block is measured with a heartbeat: a 10 ms
timer on the GUI thread records the longest gap between two of its ticks, minus 10 ms;
``max_gui_block_ms`` is the worst during the compute and the lock (printing and importing
are not driven yet), and without ``--json`` the worst pause of every step is printed too.
Without ``--db`` the demo of ``--scale`` is loaded into a temporary database first (the
large one takes minutes; its loading is not timed).  Nothing is written to the checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TICK_MS = 10
PHASES: dict[str, float] = {}  # the worst GUI pause (ms) of each step, printed without --json


class Heartbeat:
    """The longest pause of the GUI thread's event loop, from a timer's ticks."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.last = time.perf_counter()
        self.worst = 0.0
        self.phase_worst = 0.0
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)

    def phase(self, name: str, phases: dict[str, float]) -> None:
        """Close a phase: its worst pause goes to ``phases[name]`` (ms)."""
        self.tick()
        phases[name] = round(max(0.0, self.phase_worst) * 1000, 1)
        self.phase_worst = 0.0

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()

    def tick(self) -> None:
        now = time.perf_counter()
        gap = now - self.last - TICK_MS / 1000
        self.worst = max(self.worst, gap)
        self.phase_worst = max(self.phase_worst, gap)
        self.last = now

    @property
    def worst_ms(self) -> float:
        return round(max(0.0, self.worst) * 1000, 1)


def wait_until(app: Any, ready, timeout: float = 600.0) -> float:
    """Run the event loop until ``ready()``; returns the seconds it took."""
    start = time.perf_counter()
    while not ready():
        app.processEvents()
        time.sleep(0.002)
        if time.perf_counter() - start > timeout:
            raise TimeoutError("page not ready in time")
    return round(time.perf_counter() - start, 3)


def prepare(scale: str, db: str | None) -> Path:
    from app.core.session import open_database

    if db:
        open_database(db)
        return Path(db)
    folder = Path(tempfile.mkdtemp(prefix="posdesk-window-bench-"))
    path = folder / "posdesk.db"
    open_database(path)
    from app.io.demo_load import load_demo

    print(f"载入{scale}演示数据……", file=sys.stderr)
    load_demo(scale, settle=False)
    return path


def measure(path: Path) -> dict[str, float]:
    from PySide6.QtCore import QSettings

    from app.views.errors import capture_messages
    from app.views.main_window import MainWindow, make_app

    app = make_app()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      tempfile.mkdtemp(prefix="posdesk-bench-settings-"))
    capture_messages()
    beat = Heartbeat()
    beat.start()
    out: dict[str, float] = {}

    start = time.perf_counter()
    window = MainWindow(path)
    window.resize(1280, 800)
    window.show()
    dash: Any = window.current_page()
    wait_until(app, lambda: getattr(dash, "data", None) is not None and not dash.busy)
    out["dashboard_s"] = round(time.perf_counter() - start, 3)
    beat.phase("dashboard", PHASES)

    for key, title in (("agents_s", "代理商"), ("terminals_s", "机具")):
        start = time.perf_counter()
        page: Any = window.go_to(title)
        wait_until(app, lambda page=page: not page.loader.loading and page.model.rowCount() > 0)
        out[key] = round(time.perf_counter() - start, 3)
        beat.phase(title, PHASES)

    close: Any = window.go_to("月结")
    close.refresh()
    start = time.perf_counter()
    close.checks_step.run()
    wait_until(app, lambda: not close.busy)
    out["checks_s"] = round(time.perf_counter() - start, 3)
    beat.phase("checks", PHASES)

    close.ask_confirm = lambda _text, _title: True  # type: ignore[method-assign]
    close.compute_step.run()
    wait_until(app, lambda: not close.busy)
    beat.phase("compute", PHASES)
    start = time.perf_counter()
    close.lock_step.lock()
    wait_until(app, lambda: not close.busy)
    out["lock_s"] = round(time.perf_counter() - start, 3)
    beat.phase("lock", PHASES)
    # the issue's limit is for long work (compute, lock): the pages' first build is timed
    # by their own figures above, and its pauses are printed apart (PHASES)
    out["max_gui_block_ms"] = max(PHASES["compute"], PHASES["lock"])
    window.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("large", "small"), default="large")
    parser.add_argument("--db", help="an existing demo database to measure (copied first)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    db = args.db
    if db:
        import shutil

        copy = Path(tempfile.mkdtemp(prefix="posdesk-window-bench-")) / "posdesk.db"
        shutil.copyfile(db, copy)
        db = str(copy)
    result = measure(prepare(args.scale, db))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for k, v in result.items():
            print(f"{k:18} {v}")
        print("最长卡顿(毫秒):" + ",".join(f"{k} {v}" for k, v in PHASES.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
