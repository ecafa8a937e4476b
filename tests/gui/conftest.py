"""Fixtures of the GUI tests: message boxes captured, QSettings isolated, databases."""

from __future__ import annotations

import pytest

from tests.gui.demo_db import isolate_settings, open_demo_copy


@pytest.fixture(autouse=True)
def _own_settings(tmp_path):
    isolate_settings(tmp_path)


@pytest.fixture
def messages():
    """Texts of the message boxes (errors, infos, confirmations answered yes) of the test."""
    from app.views.errors import capture_messages, stop_capture

    shown = capture_messages(answer=True)
    yield shown
    stop_capture()


@pytest.fixture
def demo_copy(tmp_path):
    """A private copy of the small demo database, bound to the models."""
    db = open_demo_copy(tmp_path)
    yield db
    db.close()


@pytest.fixture
def office_db(db, tmp_path):
    """The three-level test office of tests/helpers.py (A1 → A2 → A3, terminals T1–T3)."""
    from tests.helpers import Office

    return Office(tmp_path).base()


@pytest.fixture
def window(qtbot, demo_copy, tmp_path, messages):
    """The main window on a copy of the small demo, shown."""
    from app.views import main_window as mw

    w = mw.MainWindow(tmp_path / "posdesk.db")
    qtbot.addWidget(w)
    w.show()
    return w


def wait_loaded(qtbot, page, timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: not page.loader.loading, timeout=timeout)
