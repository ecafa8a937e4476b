"""Summary rows (合计/总计/小计/汇总/总交易单数 …) in an import file (FORMATS.md).

Payment companies' exports end with a summary block; the app's own exports (打款清单,
分润单) have a 合计 row.  The reader hands every row that *might* be one (it holds 计, 总
or "total") to :class:`SummaryWatch`, which decides:

* a summary row followed later by a data row stands *amid* the data: an error naming its
  row and column (the user must delete it; we do not guess what it means);
* summary rows after the last data row are the block: left out, reported, and checked
  against the rows above where they state a count (笔数/单数 …: the number of data rows)
  or a total of the amount column (of every row as written, or of the successful ones;
  either agreeing is enough).  A mismatch means the file was cut short: refused whole;
* in an agents file any summary row means it is one of the app's own exports (or another
  report), never an agent list: refused whole with that reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from app.core.errors import RowError, UserError
from app.core.money import ParseError, format_money
from app.core.values import is_summary_label, money

# status texts that mean a successful transaction (blank = success, as the importer reads it)
SUCCESS_WORDS = {"", "成功", "success", "交易成功"}

_NUMBER = re.compile(r"[-+]?[¥￥]?\d[\d,]*(?:\.\d+)?", re.ASCII)
_COUNT_WORDS = ("笔", "单", "数", "条", "行", "count")
_AMOUNT_WORDS = ("金额", "额", "amount")


def might_be_summary(whole: str) -> bool:
    """The cheap test the reader runs on every row (the cells joined)."""
    return "计" in whole or "总" in whole or "otal" in whole or "OTAL" in whole


@dataclass
class _Held:
    row: int
    cells: list[str]
    label_col: int  # -1 for a note line of the block (导出时间：… / 制表人：…)


@dataclass
class SummaryWatch:
    """Follows one pass over a file's rows (see the module docstring)."""

    file_name: str
    kind: str
    header_cells: list[str]
    amount_col: int | None
    problems: list[RowError]
    notices: list[str]
    held: list[_Held] = field(default_factory=list)

    def column_name(self, col: int) -> str:
        if 0 <= col < len(self.header_cells) and self.header_cells[col].strip():
            return self.header_cells[col].strip()
        return f"第{col + 1}列"

    def take(self, row: int, cells: list[str]) -> bool:
        """True when the row is a summary row (or a note line of a block) and is held."""
        label = next((i for i, c in enumerate(cells) if c and is_summary_label(c)), None)
        if label is None:
            if self.held and _is_note_line(cells):
                self.held.append(_Held(row, list(cells), -1))
                return True
            return False
        if self.kind == "agents":
            raise UserError(
                f"{self.file_name} 第{row}行「{self.column_name(label)}」列是“{cells[label].strip()}”:"
                "这是汇总表(例如本程序导出的打款清单、分润单)而不是代理资料,未导入任何数据"
            )
        self.held.append(_Held(row, list(cells), label))
        return True

    def data_row(self) -> None:
        """A data row follows held summary rows: they stand amid the data."""
        for h in self.held:
            if h.label_col < 0:
                continue  # a note line: the row itself will be reported as data if bad
            self.problems.append(
                RowError(
                    self.file_name,
                    h.row,
                    self.column_name(h.label_col),
                    f"“{h.cells[h.label_col].strip()}”是合计/小计行,夹在数据行中间;请删除该行后重新导入",
                )
            )
        self.held.clear()

    def finish(self, data_rows: int, totals: Callable[[], tuple[int, int, int]]) -> None:
        """The block after the last data row: check what it states, then report it."""
        block, self.held = self.held, []
        counts, amounts = self._stated(block)
        checked = []
        first = next(h.row for h in block if h.label_col >= 0)
        if counts:
            good = {data_rows}
            if amounts or self.amount_col is not None:
                good.add(totals()[2])
            for n in counts:
                if n not in good:
                    raise UserError(
                        f"{self.file_name} 第{first}行的合计写明 {n} 笔,但其上只有 {data_rows} 行数据:"
                        "文件可能不完整(被截断),未导入任何数据"
                    )
            checked.append("笔数")
        if amounts:
            every, success, _n = totals()
            for fen in amounts:
                if fen not in (every, success):
                    raise UserError(
                        f"{self.file_name} 第{first}行的合计金额 {format_money(fen)} 与其上各行金额之和 "
                        f"{format_money(every)}(成功交易 {format_money(success)})不符:"
                        "文件可能不完整(被截断),未导入任何数据"
                    )
            checked.append("金额")
        rows = "、".join(str(h.row) for h in block)
        verdict = f",已核对{'和'.join(checked)}相符" if checked else ""
        self.notices.append(f"{self.file_name} 第{rows}行是合计行,未作为数据导入{verdict}。")

    def _stated(self, block: list[_Held]) -> tuple[list[int], list[int]]:
        counts: list[int] = []
        amounts: list[int] = []
        for h in block:
            for i, cell in enumerate(h.cells):
                text = cell.strip()
                if not text:
                    continue
                if i == self.amount_col and h.label_col >= 0 and i != h.label_col:
                    fen = _money_or_none(text)
                    if fen is not None:
                        amounts.append(fen)
                    continue
                found = _NUMBER.search(text)
                if found is None:
                    continue
                low = text.lower()
                if any(w in low for w in _AMOUNT_WORDS):
                    fen = _money_or_none(found.group())
                    if fen is not None:
                        amounts.append(fen)
                elif any(w in low for w in _COUNT_WORDS) and found.group().isdigit():
                    counts.append(int(found.group()))
        return counts, amounts


def _money_or_none(text: str) -> int | None:
    try:
        return money(text)
    except ParseError:
        return None


def _is_note_line(cells: list[str]) -> bool:
    filled = [c for c in cells if c.strip()]
    return 0 < len(filled) <= 2 and any(":" in c or "：" in c for c in filled)


def sum_amounts(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, int, int]:
    """(sum of every amount as written, sum of the successful ones, successful rows) of
    ``rows`` yielding [amount, status]; unreadable amounts are left out (the importer
    names them)."""
    every = success = n = 0
    for _row, values in rows:
        fen = _money_or_none(values[0]) if values[0] else None
        ok = (values[1] if len(values) > 1 else "").lower() in SUCCESS_WORDS
        if ok:
            n += 1
        if fen is None:
            continue
        every += fen
        if ok:
            success += fen
    return every, success, n
