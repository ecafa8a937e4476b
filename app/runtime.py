"""The desktop process around the window: one instance per database, crash logs, version.

Nothing here imports Qt at import time (the CLI and the core tests load this module);
the Qt parts import ``PySide6`` inside the functions that need it and expect the caller to
have made the ``QApplication``.

Typical start of the GUI (``app.views.main_window.run``)::

    log_dir = install_crash_handler()
    app = QApplication(sys.argv)
    lock = InstanceLock(db_path)
    if not lock.acquire():
        return refuse_second_start(lock)      # raises the running window, says so, exits
    window = MainWindow(db_path)
    lock.listen(lambda: raise_window(window))
    window.show()
    try:
        return app.exec()
    finally:
        lock.release()
"""

from __future__ import annotations

import datetime as dt
import faulthandler
import getpass
import hashlib
import logging
import logging.handlers
import os
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from app.resources import is_frozen, resource_path

APP_NAME = "POSDesk"
APP_TITLE = "分润台"
ALREADY_RUNNING = "分润台已在运行,已切换到已打开的窗口"
IN_USE = "数据库文件正被另一个程序使用:{path}"
CRASH_MESSAGE = (
    "程序遇到意外错误,刚才的操作可能没有完成。\n\n日志已保存到:{path}\n\n请把这个文件发给技术支持。"
)
EXIT_OK, EXIT_IN_USE = 0, 2

log = logging.getLogger("posdesk")


# ---------------------------------------------------------------------------- version


def app_version() -> str:
    """The POSDesk version: package metadata, else the frozen VERSION file, else pyproject."""
    from importlib import metadata

    try:
        return metadata.version("posdesk")
    except metadata.PackageNotFoundError:
        pass
    frozen_file = resource_path("VERSION")
    if frozen_file.is_file():
        return frozen_file.read_text(encoding="utf-8").strip()
    try:
        import tomllib

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
    except (OSError, KeyError, ValueError):
        return "unknown"


def default_log_dir() -> Path:
    """``…/POSDesk/Logs`` (Windows) or ``~/.local/state/POSDesk/log`` (platformdirs)."""
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP_NAME, appauthor=False))


# ---------------------------------------------------------------------------- single instance


def _lock_fd(fd: int) -> bool:
    """Try to take an exclusive lock on ``fd`` without waiting."""
    try:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock_fd(fd: int) -> None:
    try:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        pass


class InstanceLock:
    """This process, and no other, writes the database at ``db_path``.

    The lock is an OS file lock on ``<db>.lock`` beside the database (released by the OS
    if the process dies, so a crash never leaves the office locked out).  The holder also
    listens on a local socket named after the database, so a second start can ask it to
    bring its window to the front instead of opening the same SQLite file again.
    """

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path).expanduser().resolve()
        self.lock_path = self.db_path.with_name(self.db_path.name + ".lock")
        self._fd: int | None = None
        self._server: Any = None

    @property
    def server_name(self) -> str:
        """Local socket / named pipe name: per user and per database file."""
        key = f"{getpass.getuser()}\0{os.path.normcase(str(self.db_path))}"
        return "posdesk-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock; False when another process holds it."""
        if self._fd is not None:
            return True
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _lock_fd(fd):
            os.close(fd)
            return False
        self._fd = fd
        # the pid is for a person looking at the folder; the lock itself is what counts
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError:
            pass
        return True

    def release(self) -> None:
        """Stop listening and give the lock back (the lock file stays: deleting it races)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._fd is not None:
            _unlock_fd(self._fd)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        if not self.acquire():
            from app.core.errors import UserError

            raise UserError(IN_USE.format(path=self.db_path))
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- the channel between the first and the second start (needs a QCoreApplication)

    def listen(self, activate_requested: Callable[[], None]) -> bool:
        """Call ``activate_requested`` on the GUI thread whenever a second start knocks."""
        from PySide6.QtNetwork import QLocalServer

        if not self.held:
            raise RuntimeError("listen() needs the lock")
        if self._server is not None:
            self._server.close()
        # we hold the lock, so a leftover socket is from a crashed run: safe to remove
        QLocalServer.removeServer(self.server_name)
        server = QLocalServer()
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)

        def on_connection() -> None:
            while server.hasPendingConnections():
                sock = server.nextPendingConnection()

                def on_ready(sock: Any = sock) -> None:
                    if b"activate" in bytes(sock.readAll().data()):
                        activate_requested()
                    sock.disconnectFromServer()

                sock.readyRead.connect(on_ready)
                sock.disconnected.connect(sock.deleteLater)

        server.newConnection.connect(on_connection)
        if not server.listen(self.server_name):
            log.warning("single-instance channel not available: %s", server.errorString())
            return False
        self._server = server
        return True

    def ask_running_to_activate(self, timeout_ms: int = 1500) -> bool:
        """From a second start: ask the holder to raise its window; False if nobody answers."""
        from PySide6.QtNetwork import QLocalSocket

        sock = QLocalSocket()
        sock.connectToServer(self.server_name)
        if not sock.waitForConnected(timeout_ms):
            return False
        if sys.platform == "win32":
            # Windows only lets the foreground process hand the foreground on
            try:
                import ctypes

                ctypes.windll.user32.AllowSetForegroundWindow(-1)  # ASFW_ANY
            except (AttributeError, OSError):
                pass
        sock.write(b"activate\n")
        ok = bool(sock.waitForBytesWritten(timeout_ms))
        sock.disconnectFromServer()
        return ok


def refusal_message(lock: InstanceLock) -> tuple[int, str]:
    """Exit code and Chinese message for a start that did not get the lock."""
    if lock.ask_running_to_activate():
        return EXIT_OK, ALREADY_RUNNING
    return EXIT_IN_USE, IN_USE.format(path=lock.db_path)


def refuse_second_start(lock: InstanceLock) -> int:
    """The second start: knock on the first, tell the user in Chinese, return the exit code."""
    code, text = refusal_message(lock)
    _print_err(text)
    app = _qapplication()
    if app is not None:
        from PySide6.QtWidgets import QMessageBox

        if code == EXIT_OK:
            QMessageBox.information(None, APP_TITLE, text)
        else:
            QMessageBox.warning(None, APP_TITLE, text)
    return code


def raise_window(window: Any) -> None:
    """Bring ``window`` to the front (un-minimise, raise, focus)."""
    from PySide6.QtCore import Qt

    if window is None:
        return
    window.setWindowState(
        (window.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive
    )
    window.show()
    window.raise_()
    window.activateWindow()


# ---------------------------------------------------------------------------- crash handler


_FILE_HANDLER_TAG = "_posdesk_file_log"
_state: dict[str, Any] = {"showing": False, "fault_file": None}


def _print_err(text: str) -> None:
    # a windowed (no console) build has sys.stderr = None
    if sys.stderr is not None:
        try:
            print(text, file=sys.stderr, flush=True)
        except (OSError, ValueError):
            pass


def _qapplication() -> Any:
    """The running QApplication, without importing Qt if the process never did."""
    if "PySide6.QtWidgets" not in sys.modules:
        return None
    from PySide6.QtWidgets import QApplication

    return QApplication.instance()


def _attach_file_log(path: Path) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, _FILE_HANDLER_TAG, False):
            root.removeHandler(h)
            h.close()
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=3, encoding="utf-8", delay=True
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    )
    setattr(handler, _FILE_HANDLER_TAG, True)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)


def _crash_file(log_dir: Path, now: dt.datetime) -> Path:
    stem = f"crash-{now:%Y%m%d-%H%M%S}"
    path = log_dir / f"{stem}.log"
    n = 2
    while path.exists():
        path = log_dir / f"{stem}-{n}.log"
        n += 1
    return path


def write_crash_log(
    log_dir: Path,
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    thread_name: str | None = None,
) -> Path:
    """Write one ``crash-YYYYmmdd-HHMMSS.log`` with the traceback; returns its path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now()
    path = _crash_file(log_dir, now)
    head = [
        f"POSDesk {app_version()} crash report",
        f"time: {now.isoformat(timespec='seconds')}",
        f"python: {platform.python_version()} ({'frozen' if is_frozen() else 'source'})",
        f"system: {platform.platform()}",
        f"thread: {thread_name or threading.current_thread().name}",
        "",
    ]
    body = "".join(traceback.format_exception(exc_type, exc, tb))
    path.write_text("\n".join(head) + body, encoding="utf-8")
    return path


def _show_crash_box(path: Path) -> None:
    """Tell the user in Chinese where the log is; they may go on or quit."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "posdesk"])
    box = QMessageBox(QMessageBox.Icon.Critical, APP_TITLE, CRASH_MESSAGE.format(path=path))
    box.setObjectName("crashBox")
    go_on = box.addButton("继续使用", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("退出分润台", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(go_on)
    box.exec()
    if box.clickedButton() is not go_on:
        app.exit(1)


def _tell_user(path: Path) -> None:
    _print_err(CRASH_MESSAGE.format(path=path))
    in_main = threading.current_thread() is threading.main_thread()
    app = _qapplication()
    # a box only from the GUI thread, one at a time (a failing paint would stack them),
    # and with no app yet only when there is no console to read the message on
    if not in_main:
        if app is not None:  # hand the box to the GUI thread
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, app, lambda: _tell_user_in_gui(path))
        return
    if app is None and sys.stderr is not None:
        return
    _tell_user_in_gui(path)


def _tell_user_in_gui(path: Path) -> None:
    if _state["showing"]:
        return
    _state["showing"] = True
    try:
        _show_crash_box(path)
    except Exception:  # the report is already on disk; never fail inside the hook
        log.exception("could not show the crash message")
    finally:
        _state["showing"] = False


def _show_busy_box(message: str) -> None:
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.warning(None, APP_TITLE, message)


def _tell_busy(message: str) -> None:
    _print_err(message)
    app = _qapplication()
    if app is None:
        return
    if threading.current_thread() is threading.main_thread():
        _show_busy_box(message)
    else:  # hand the box to the GUI thread
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, app, lambda: _show_busy_box(message))


def handle_exception(
    log_dir: Path,
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    thread_name: str | None = None,
) -> Path | None:
    """Log one unexpected exception, write its crash file, tell the user; returns the file.

    SQLite's "database is locked" reaching here (a write from the GUI thread while another
    program held the database past the wait) is no defect: the user gets the Chinese
    "数据库正忙…请稍后重试" and no crash file."""
    from app.core.errors import busy_error

    busy = busy_error(exc)
    if busy is not None:
        log.warning("database busy: %s", exc)
        _tell_busy(str(busy))
        return None
    try:
        path = write_crash_log(log_dir, exc_type, exc, tb, thread_name)
    except OSError:
        path = None
    log.critical("unhandled exception (crash log %s)", path, exc_info=(exc_type, exc, tb))
    if path is not None:
        _tell_user(path)
    return path


def install_crash_handler(log_dir: str | Path | None = None) -> Path:
    """Route unexpected exceptions to a crash log and a Chinese message; returns ``log_dir``.

    Also sends ``logging`` to ``log_dir/posdesk.log`` (rotating) and Python's fault handler
    (a crash inside Qt) to ``log_dir/faults.log``.  Exceptions in Qt slots reach
    ``sys.excepthook`` and the event loop goes on, so the app keeps running after the box.
    """
    folder = Path(log_dir) if log_dir is not None else default_log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _attach_file_log(folder / "posdesk.log")

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        handle_exception(folder, exc_type, exc, tb)

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else None
        handle_exception(folder, args.exc_type, args.exc_value, args.exc_traceback, name)

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
    try:
        old = _state["fault_file"]
        _state["fault_file"] = open(folder / "faults.log", "a", encoding="utf-8")  # noqa: SIM115
        faulthandler.enable(_state["fault_file"])
        if old is not None:
            old.close()
    except OSError:
        pass
    log.info("POSDesk %s started (pid %d)", app_version(), os.getpid())
    return folder
