"""app/runtime.py: one instance per database, and the crash handler's log."""

from __future__ import annotations

import faulthandler
import logging
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from app import runtime
from app.runtime import ALREADY_RUNNING, EXIT_IN_USE, EXIT_OK, InstanceLock

ROOT = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent(
    """
    import sys
    from app.runtime import InstanceLock
    lock = InstanceLock(sys.argv[1])
    print("locked" if lock.acquire() else "refused", flush=True)
    sys.stdin.readline()
    """
)


def _holder(db: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_process_is_refused_until_the_first_ends(tmp_path):
    db = tmp_path / "posdesk.db"
    proc = _holder(db)
    try:
        second = InstanceLock(db)
        assert not second.acquire()
        assert not second.held
        other_db = InstanceLock(tmp_path / "other.db")  # another database is free
        assert other_db.acquire()
        other_db.release()
    finally:
        proc.communicate("bye\n", timeout=10)
    assert proc.returncode == 0
    third = InstanceLock(db)
    assert third.acquire()  # the OS dropped the lock with the process
    third.release()  # (Windows locks are mandatory: read the file only once released)
    assert (tmp_path / "posdesk.db.lock").read_text().strip().isdigit()


def test_lock_is_released_when_the_holder_is_killed(tmp_path):
    db = tmp_path / "posdesk.db"
    proc = _holder(db)
    proc.kill()
    proc.wait(timeout=10)
    lock = InstanceLock(db)
    assert lock.acquire()
    lock.release()


def test_second_start_asks_the_first_to_raise_its_window(qapp, qtbot, tmp_path):
    db = tmp_path / "posdesk.db"
    first = InstanceLock(db)
    assert first.acquire()
    knocks: list[int] = []
    assert first.listen(lambda: knocks.append(1))
    try:
        second = InstanceLock(db)
        assert second.server_name == first.server_name
        assert not second.acquire()
        code, text = runtime.refusal_message(second)
        assert (code, text) == (EXIT_OK, ALREADY_RUNNING)
        qtbot.waitUntil(lambda: knocks == [1], timeout=3000)
    finally:
        first.release()


def test_locked_without_a_window_says_the_file_is_in_use(qapp, tmp_path):
    db = tmp_path / "posdesk.db"
    proc = _holder(db)  # holds the lock but never listens (e.g. another tool)
    try:
        second = InstanceLock(db)
        assert not second.acquire()
        code, text = runtime.refusal_message(second)
        assert code == EXIT_IN_USE
        assert text == f"数据库文件正被另一个程序使用:{second.db_path}"
    finally:
        proc.communicate("bye\n", timeout=10)


def test_context_manager_raises_a_user_error_when_taken(tmp_path):
    from app.core.errors import UserError

    with InstanceLock(tmp_path / "a.db"):
        with pytest.raises(UserError, match="正被另一个程序使用"):
            with InstanceLock(tmp_path / "a.db"):
                pass  # pragma: no cover


# ---------------------------------------------------------------------------- crash handler


@pytest.fixture
def crash_env(monkeypatch, tmp_path):
    """Install the handler into a temp folder; record message boxes instead of showing them."""
    shown: list[Path] = []
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(runtime, "_show_crash_box", shown.append)
    log_dir = runtime.install_crash_handler(tmp_path / "logs")
    yield log_dir, shown
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, runtime._FILE_HANDLER_TAG, False):
            root.removeHandler(h)
            h.close()
    faulthandler.enable(sys.__stderr__)
    if runtime._state["fault_file"] is not None:
        runtime._state["fault_file"].close()
        runtime._state["fault_file"] = None


def _raise_and_catch() -> tuple:
    try:
        raise ValueError("账目对不上")
    except ValueError:
        return sys.exc_info()


def test_excepthook_writes_crash_log_and_shows_the_path(qapp, crash_env):
    log_dir, shown = crash_env
    sys.excepthook(*_raise_and_catch())
    crashes = sorted(log_dir.glob("crash-*.log"))
    assert len(crashes) == 1
    assert crashes[0].name[len("crash-") : -len(".log")].replace("-", "").isdigit()
    text = crashes[0].read_text(encoding="utf-8")
    assert f"POSDesk {runtime.app_version()}" in text
    assert "ValueError: 账目对不上" in text
    assert "_raise_and_catch" in text  # the traceback itself
    assert shown == [crashes[0]]
    for h in logging.getLogger().handlers:
        h.flush()
    assert "unhandled exception" in (log_dir / "posdesk.log").read_text(encoding="utf-8")
    assert "日志已保存到:" + str(crashes[0]) in runtime.CRASH_MESSAGE.format(path=crashes[0])


def test_two_crashes_in_one_second_keep_both_logs(qapp, crash_env):
    log_dir, shown = crash_env
    sys.excepthook(*_raise_and_catch())
    sys.excepthook(*_raise_and_catch())
    assert len(list(log_dir.glob("crash-*.log"))) == 2
    assert len(shown) == 2


def test_thread_crash_is_logged_and_told_on_the_gui_thread(qapp, qtbot, crash_env):
    log_dir, shown = crash_env

    def boom() -> None:
        raise RuntimeError("后台线程出错")

    t = threading.Thread(target=boom, name="worker-7")
    t.start()
    t.join()
    crashes = list(log_dir.glob("crash-*.log"))
    assert len(crashes) == 1
    text = crashes[0].read_text(encoding="utf-8")
    assert "thread: worker-7" in text and "RuntimeError: 后台线程出错" in text
    qtbot.waitUntil(lambda: shown == crashes, timeout=3000)


def test_keyboard_interrupt_is_not_a_crash(crash_env, monkeypatch):
    log_dir, shown = crash_env
    monkeypatch.setattr(sys, "__excepthook__", lambda *a: None)
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        sys.excepthook(*sys.exc_info())
    assert not list(log_dir.glob("crash-*.log"))
    assert shown == []


def test_app_version_matches_pyproject():
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert runtime.app_version() == data["project"]["version"]


def test_a_busy_database_is_the_users_message_not_a_crash(qapp, crash_env, monkeypatch):
    import sqlite3

    log_dir, shown = crash_env
    boxes: list[str] = []
    monkeypatch.setattr(runtime, "_show_busy_box", boxes.append)
    try:
        raise sqlite3.OperationalError("database is locked")
    except sqlite3.OperationalError:
        sys.excepthook(*sys.exc_info())
    assert not list(log_dir.glob("crash-*.log")) and not shown
    assert len(boxes) == 1 and boxes[0].startswith("数据库正忙…请稍后重试")
