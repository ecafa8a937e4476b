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
