"""First run (issue 7): ``posdesk`` with an empty data folder creates the database there and
greets the user with the welcome dialog (create the agency or load the demo)."""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading

import platformdirs
import pytest
from PySide6.QtWidgets import QApplication

from app import cli


@pytest.fixture(autouse=True)
def _process_state(monkeypatch):
    """``run`` installs process-wide hooks and log handlers: put them back afterwards."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in root.handlers[:]:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)
    faulthandler.enable(sys.__stderr__)


def test_empty_data_folder_opens_the_welcome_dialog(qapp, monkeypatch, tmp_path):
    from app.views import welcome

    data = tmp_path / "data"
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **k: str(data))
    monkeypatch.setattr(platformdirs, "user_log_dir", lambda *a, **k: str(tmp_path / "logs"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # QSettings
    shown: list[object] = []

    def fake_exec(self):  # the dialog is built for real; only its modal loop is skipped
        shown.append(self)
        return 0

    monkeypatch.setattr(welcome.WelcomeDialog, "exec", fake_exec)
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    assert not data.exists()

    assert cli.main([]) == 0

    assert cli.default_db_path() == data / "posdesk.db"
    assert (data / "posdesk.db").is_file()
    assert len(shown) == 1 and isinstance(shown[0], welcome.WelcomeDialog)
    for w in QApplication.topLevelWidgets():
        w.close()


def test_second_run_skips_the_welcome(qapp, monkeypatch, tmp_path):
    from app.core.months import set_setting
    from app.models.db import open_database
    from app.views import welcome

    data = tmp_path / "data"
    open_database(data / "posdesk.db")
    set_setting("agency_name", "测试代理商")
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **k: str(data))
    monkeypatch.setattr(platformdirs, "user_log_dir", lambda *a, **k: str(tmp_path / "logs"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    shown: list[object] = []
    monkeypatch.setattr(welcome.WelcomeDialog, "exec", lambda self: shown.append(self) or 0)
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)

    assert cli.main([]) == 0
    assert shown == []
    for w in QApplication.topLevelWidgets():
        w.close()
