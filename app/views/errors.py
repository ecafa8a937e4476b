"""The one place that shows errors: a Chinese message box.

A ``UserError`` is a mistake the user can fix and is shown as-is; anything else is a
defect: it is logged with its traceback and the user is told to look at the log.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.errors import UserError, busy_error, from_db_error

log = logging.getLogger("posdesk")

BUG_MESSAGE = "程序出错,操作未完成。详见日志文件。"
MAX_DIALOG_LINES = 30


def message_of(exc_or_text: BaseException | str) -> str:
    """The Chinese text to show for an exception or a message."""
    if isinstance(exc_or_text, str):
        return exc_or_text
    if isinstance(exc_or_text, UserError):
        return str(exc_or_text)
    busy = busy_error(exc_or_text)
    if busy is not None:  # another writer held the database: not a defect
        return str(busy)
    refused = from_db_error(exc_or_text)
    if refused is not None:
        return str(refused)
    log.error("unexpected error", exc_info=exc_or_text)
    return BUG_MESSAGE


class _Capture:
    """Tests (and a headless self-test) collect messages instead of opening boxes."""

    messages: list[str] | None = None
    answer = True


def capture_messages(answer: bool = True) -> list[str]:
    """From now on, message boxes append their text to the returned list; ``confirm`` says ``answer``."""
    _Capture.messages = []
    _Capture.answer = answer
    return _Capture.messages


def stop_capture() -> None:
    _Capture.messages = None


def show_error(parent: QWidget | None, exc_or_text: BaseException | str, title: str = "无法完成") -> None:
    """Show a warning box; long texts keep the first lines and put the rest in 详细信息."""
    text = message_of(exc_or_text)
    if _Capture.messages is not None:
        _Capture.messages.append(text)
        return
    box = QMessageBox(QMessageBox.Icon.Warning, title, "", QMessageBox.StandardButton.Ok, parent)
    lines = text.splitlines()
    if len(lines) > MAX_DIALOG_LINES:
        box.setText("\n".join(lines[:MAX_DIALOG_LINES]) + f"\n……共 {len(lines)} 行,见详细信息")
        box.setDetailedText(text)
    else:
        box.setText(text)
    box.setObjectName("errorBox")
    box.exec()


def show_info(parent: QWidget | None, text: str, title: str = "完成") -> None:
    if _Capture.messages is not None:
        _Capture.messages.append(text)
        return
    QMessageBox.information(parent, title, text)


def confirm(parent: QWidget | None, text: str, title: str = "请确认") -> bool:
    if _Capture.messages is not None:
        _Capture.messages.append(text)
        return _Capture.answer
    answer = QMessageBox.question(
        parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes
