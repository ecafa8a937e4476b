"""Issue 23, defects 2, 3 and 5: 工作台 draws at start and on 刷新; closing the window
during a long job asks, then cancels it cleanly; Qt's own texts are Chinese and the spin
boxes show their arrows."""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QLibraryInfo
from PySide6.QtWidgets import QApplication, QMessageBox, QSpinBox

from app.models import Setting, database
from app.views import main_window as mw
from app.views.month_close import background
from app.views.workers import run_with_progress


def _dashboard_drawn(page) -> bool:
    return page.data is not None and page.cards["volume"].value.text() != "—"


def test_dashboard_draws_at_start_without_f5(qtbot, window):
    page = window.current_page()
    assert page.nav_title == "工作台"
    qtbot.waitUntil(lambda: _dashboard_drawn(page), timeout=60_000)
    assert page.month.count() > 0


def test_refresh_button_redraws_the_dashboard(qtbot, window):
    page = window.current_page()
    qtbot.waitUntil(lambda: _dashboard_drawn(page), timeout=60_000)
    page.data = None
    page.month.clear()  # as if nothing had been loaded yet
    page.reload_btn.click()
    qtbot.waitUntil(lambda: _dashboard_drawn(page), timeout=60_000)
    assert page.month.count() > 0


def _endless_write(started: threading.Event):
    """A job that writes inside its transaction, then waits for the cancel."""

    def fn(report):
        with database.obj.atomic():
            Setting.insert(key="half_written", value="1").execute()
            started.set()
            while True:  # report() raises settlement.Cancelled once cancelled
                report(50, "进行中")
                threading.Event().wait(0.01)

    return background(fn)


def test_closing_during_a_long_job_asks_then_cancels_cleanly(qtbot, window, messages):
    started = threading.Event()
    op = run_with_progress(window, "计算分润", _endless_write(started))
    assert started.wait(30)
    assert window.close()
    assert any("计算分润" in m and "确定关闭" in m for m in messages), messages
    assert op.done.is_set() and op.is_cancelled()
    assert not Setting.select().where(Setting.key == "half_written").exists()


def test_closing_can_be_refused_and_the_job_goes_on(qtbot, window):
    from app.views.errors import capture_messages, stop_capture

    asked = capture_messages(answer=False)
    started = threading.Event()
    op = run_with_progress(window, "锁定月份", _endless_write(started))
    try:
        assert started.wait(30)
        assert not window.close()
        assert asked and "锁定月份" in asked[0]
        assert window.isVisible() and not op.done.is_set()
    finally:
        op.cancel()
        qtbot.waitUntil(op.done.is_set, timeout=30_000)
        stop_capture()


def test_qt_texts_are_chinese(qtbot):
    mw.make_app()
    app = QCoreApplication.instance()
    assert app is not None
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    box = QMessageBox(QMessageBox.Icon.Question, "t", "x",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    assert sorted(b.text() for b in box.buttons()) == sorted(["是(&Y)", "否(&N)"])
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    assert any(t.filePath().startswith(folder) for t in app._posdesk_translators)


def test_spin_box_arrows_are_drawn(qtbot):
    """The arrows come from our own images: a dark pixel sits where each arrow is."""
    app = mw.make_app()
    assert isinstance(app, QApplication)
    sheet = app.styleSheet()
    assert "QSpinBox::up-arrow" in sheet and "arrow-up.png" in sheet
    spin = QSpinBox()
    qtbot.addWidget(spin)
    spin.setRange(0, 10)
    spin.setValue(5)
    spin.resize(120, 30)
    spin.show()
    image = spin.grab().toImage()
    w, h = image.width(), image.height()
    strip = [image.pixelColor(x, y) for x in range(w - 18, w - 2) for y in range(2, h - 2)]
    assert min(c.lightness() for c in strip) < 140  # an arrow, not just the button's face


def test_month_wizard_does_not_make_the_office_lock_a_quiet_month(qtbot, db, tmp_path):
    """Defect 8: terminals allocated in September, trading from October (as in the large
    demo): the wizard starts on October, offers no September and locks it along."""
    from app.core.months import locked_months
    from app.views import month_close
    from tests.helpers import Office
    from tests.unit.core.test_quiet_months import SEPT_MOVES, SEPT_POLICIES, SEPT_PRICES

    office = Office(tmp_path).base(prices=SEPT_PRICES, policies=SEPT_POLICIES, moves=SEPT_MOVES)
    office.tx("X1,2026-10-05 10:00:00,T1,M1,1000.00,credit,success")
    office.compute("2026-10")
    page = month_close.MonthClosePage()
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    combo = page.month_step.combo
    assert [combo.itemData(i) for i in range(combo.count())] == ["2026-10"]
    assert page.month == "2026-10"
    text = page.lock_step.confirm_text()
    assert "2026年9月" in text and "一并锁定" in text
    assert locked_months() == set()
