"""The two kinds of failure: a user's mistake (shown in Chinese) and a defect (logged)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RowError:
    """One bad cell of an import: file, row as seen in the spreadsheet, column, reason."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file} 第{self.row}行" if self.row else self.file
        col = f"「{self.column}」列" if self.column else ""
        return f"{where}{col}:{self.reason}"


class UserError(Exception):
    """A mistake the user can fix; ``str()`` is a Chinese message fit for a dialog."""

    def __init__(self, message: str, rows: list[RowError] | None = None):
        super().__init__(message)
        self.message = message
        self.rows: list[RowError] = rows or []

    def __str__(self) -> str:
        if not self.rows:
            return self.message
        lines = [self.message] + [str(r) for r in self.rows[:MAX_REPORTED_ROWS]]
        if len(self.rows) > MAX_REPORTED_ROWS:
            lines.append(f"……另有 {len(self.rows) - MAX_REPORTED_ROWS} 处错误未列出")
        return "\n".join(lines)


MAX_REPORTED_ROWS = 200


@dataclass
class Changes:
    """What an operation changed, so windows can refresh themselves from it."""

    kinds: set[str] = field(default_factory=set)
    months: set[str] = field(default_factory=set)
    message: str = ""
    batch_id: int | None = None  # the import batch written, when the operation made one


BUSY_MESSAGE = (
    "数据库正忙…请稍后重试。另一个操作(导入、月结或另一台电脑上的分润台)正在写入同一个数据库,"
    "已等待 {seconds} 秒仍未完成;本次操作没有写入任何数据。"
)
_BUSY_TEXTS = ("database is locked", "database table is locked", "database is busy")


def busy_error(exc: BaseException) -> UserError | None:
    """The ``UserError`` for SQLite's "database is locked" (another writer held the write
    lock longer than the busy timeout), or ``None`` for any other exception.  The one place
    that turns it into words: the command line and the window both ask here."""
    import sqlite3

    from peewee import OperationalError

    if not isinstance(exc, (sqlite3.OperationalError, OperationalError)):
        return None
    if not any(text in str(exc).lower() for text in _BUSY_TEXTS):
        return None
    from app.models.db import BUSY_TIMEOUT_S

    return UserError(BUSY_MESSAGE.format(seconds=BUSY_TIMEOUT_S))
PROTECTED = "数据保护:"


def from_db_error(exc: BaseException) -> UserError | None:
    """A database refusal the user should read (a lock or audit trigger of migration 9,
    whose message starts with ``数据保护:``) as a ``UserError``; None for anything else.
    The one place that recognises them: the CLI, the window's message box and its
    workers all ask here."""
    text = str(exc)
    if PROTECTED not in text:
        return None
    reason = text[text.index(PROTECTED) + len(PROTECTED):].strip()
    return UserError(f"操作被数据库拒绝:{reason}。已锁定月份的数据和审计日志不能更改,"
                     "迟到的数据请记入下一个未锁定的月份。")
