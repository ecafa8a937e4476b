"""The value rules of every import and every form (FORMATS.md "Values"), in one place.

Every cell an importer reads and every field a dialog saves goes through one of these
functions; each returns the value to store or raises :class:`ValueProblem` (a
``ParseError``, so a ``ValueError``) whose Chinese message says what is wrong.  The
importer turns it into a ``RowError`` naming the file, row and column; a form shows it
beside the field's label.  Nothing here knows files, rows or Qt::

    code("A-01")            -> "A-01"        # codes, SNs, ids: 1–40 of letters, 0-9, - _
    name_text("张三")        -> "张三"         # names: 1–200 characters, no control chars
    note("")                -> ""            # notes, reasons when optional: 0–200
    money("¥1,230.00")      -> 123000        # fen, |x| ≤ ¥1,000,000,000.00
    rate("0.6%")            -> 6000          # ppm, 0–10 %
    tax_rate("6")           -> 60000         # ppm, 0–100 %
    day("2026年10月5日")     -> date(2026, 10, 5)   # 2000-01-01 … today + 1 year
    moment("2026-10-05 14:03:22") -> datetime
    month("2026-10")        -> "2026-10"
    count("30")             -> 30            # a whole number ≥ 0

Text is folded first (NFKC: full-width letters and digits become half-width) and trimmed.
Where FORMATS.md is silent the choice is written in docs/rules.md ("Values").
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from app.core.money import (
    Fen,
    ParseError,
    Ppm,
    parse_datetime,
    parse_money,
    parse_month,
    parse_rate,
    parse_tax_rate,
)

__all__ = [
    "MAX_FEN",
    "FIRST_DAY",
    "ValueProblem",
    "check_fen",
    "check_day",
    "code",
    "optional_code",
    "name_text",
    "note",
    "money",
    "rate",
    "tax_rate",
    "day",
    "moment",
    "month",
    "count",
    "last_day",
    "today",
    "is_summary_label",
    "shown",
]

ValueProblem = ParseError  # one error type: the importers and forms already catch ParseError

MAX_FEN: Fen = 100_000_000_000  # ¥1,000,000,000.00: any larger figure is a typo
MAX_CODE = 40
MAX_TEXT = 200
MAX_COUNT = 1_000_000
FIRST_DAY = dt.date(2000, 1, 1)
FIRST_MONTH = "2000-01"

# Excel shows a number of more than 15 digits as 1.23456789012346E+19: the digits are lost.
_EXCEL_SCIENTIFIC = re.compile(r"[+-]?\d(?:\.\d+)?E[+-]?\d+", re.IGNORECASE)
_CODE = re.compile(r"[0-9A-Za-z_\-]{1,40}")  # the fast path; other letters go the slow way
PLAIN_CODE = _CODE  # for a hot loop: ``PLAIN_CODE.fullmatch(text)`` before calling code()
SCIENTIFIC_HINT = "请把该列设为文本格式后重新导出"


def today() -> dt.date:
    """Today's date (a function so that tests can move the clock)."""
    return dt.date.today()


def last_day(on: dt.date | None = None) -> dt.date:
    """The latest date accepted: one year after today (28 February for a 29th)."""
    t = on or today()
    try:
        return t.replace(year=t.year + 1)
    except ValueError:  # 29 February
        return t.replace(year=t.year + 1, day=28)


# ---------------------------------------------------------------------------- text


def _fold(value: object) -> str:
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def shown(text: str, limit: int = 30) -> str:
    """Text fit to quote in a message: control characters escaped, long text cut."""
    out = "".join(
        c if unicodedata.category(c)[0] != "C" else repr(c)[1:-1] for c in text[: limit + 1]
    )
    if len(text) > limit:
        out = out[:limit] + "…"
    return out


def _is_foreign_digit(c: str) -> bool:
    return c not in "0123456789" and unicodedata.digit(c, None) is not None


def _check_digits(text: str) -> None:
    """Digits are 0-9 (full-width ones are folded before): any other script's are an error."""
    if text.isascii():
        return
    for c in text:
        if _is_foreign_digit(c):
            raise ValueProblem(f"“{shown(text)}”含有非0-9的数字字符“{c}”,请改用0-9")


def _check_controls(text: str) -> None:
    if text.isprintable():
        return
    for c in text:
        if unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") or c in "\u2028\u2029":
            raise ValueProblem(f"含有控制字符或不可见字符({repr(c)[1:-1]}),请删除")


def code(value: object, label: str = "编号") -> str:
    """A code, SN or id: 1–40 characters, letters (Chinese too), digits 0-9, ``-`` and ``_``."""
    text = _fold(value)
    if _CODE.fullmatch(text):
        return text
    if not text:
        raise ValueProblem(f"{label}不能为空")
    if _EXCEL_SCIENTIFIC.fullmatch(text):
        raise ValueProblem(
            f"“{text}”是Excel按数字显示的{label},超过15位的末尾数字已丢失;{SCIENTIFIC_HINT}"
        )
    _check_controls(text)
    _check_digits(text)
    if len(text) > MAX_CODE:
        raise ValueProblem(f"{label}最多{MAX_CODE}个字符(现有{len(text)}个)")
    for c in text:
        if not (c.isalpha() or c in "0123456789-_"):
            what = "空格" if c.isspace() else f"“{c}”"
            raise ValueProblem(f"{label}“{shown(text)}”含有{what};只能用字母、汉字、数字、-和_")
    return text


def optional_code(value: object, label: str = "编号") -> str:
    """A code that may be left blank ('')."""
    text = _fold(value)
    return code(text, label) if text else ""


def name_text(value: object, label: str = "名称", limit: int = MAX_TEXT) -> str:
    """A required name: 1–200 characters, no control characters."""
    text = note(value, label, limit)
    if not text:
        raise ValueProblem(f"{label}不能为空")
    return text


def note(value: object, label: str = "备注", limit: int = MAX_TEXT) -> str:
    """Free text that may be blank (notes, reasons, bank names, phones): at most 200 characters."""
    text = _fold(value)
    if not text:
        return ""
    if len(text) > limit:
        raise ValueProblem(f"{label}最多{limit}个字符(现有{len(text)}个)")
    _check_controls(text)
    _check_digits(text)
    return text


def is_summary_label(cell: str) -> bool:
    """Whether a cell reads like the label of a summary row (合计/总计/小计/汇总/总交易单数…)."""
    return _SUMMARY.match(cell.strip()) is not None


_SUMMARY = re.compile(
    r"(?:合\s*计|总\s*计|小\s*计|汇\s*总|累\s*计|总交易单数|总交易笔数|交易总笔数|总笔数|总单数"
    r"|交易总金额|总交易金额|总金额|笔数合计|金额合计|total|sum|subtotal|grand\s*total)"
    r"(?:$|[\s:：(（\d¥￥,，=-])",
    re.IGNORECASE,
)

# ---------------------------------------------------------------------------- numbers


def check_fen(value: int, label: str = "金额") -> Fen:
    """A money figure in fen within ±¥1,000,000,000.00 (for values that come from code)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueProblem(f"{label}必须是整数分")
    if not -MAX_FEN <= value <= MAX_FEN:
        raise ValueProblem(f"{label}超出范围(最多 ¥1,000,000,000.00)")
    return value


def money(value: object, label: str = "金额", sign: str = "any") -> Fen:
    """Yuan as typed into fen.  ``sign``: ``any``; ``positive`` (≥ 0, a negative is an error);
    ``size`` (a deduction given either way: its absolute value)."""
    text = _fold(value)
    if not text:
        raise ValueProblem(f"{label}为空")
    _check_digits(text)
    if _EXCEL_SCIENTIFIC.fullmatch(text.replace(" ", "")):
        raise ValueProblem(f"{label}“{text}”超出范围(最多 ¥1,000,000,000.00)")
    low = text.lower()
    if low.lstrip("+-") in ("nan", "inf", "infinity", "∞"):
        raise ValueProblem(f"“{text}”不是金额")
    fen = parse_money(text)
    if not -MAX_FEN <= fen <= MAX_FEN:
        raise ValueProblem(f"{label}“{shown(text)}”超出范围(最多 ¥1,000,000,000.00)")
    if sign == "positive" and fen < 0:
        raise ValueProblem(f"{label}不能为负")
    if sign == "size":
        fen = abs(fen)
    return fen


def rate(value: object) -> Ppm:
    """A card or scan rate, 0–10 %, into ppm."""
    text = _fold(value)
    _check_digits(text)
    return parse_rate(text)


def tax_rate(value: object) -> Ppm:
    """A tax rate (税点), 0–100 %, into ppm; blank = 0."""
    text = _fold(value)
    _check_digits(text)
    return parse_tax_rate(text)


def count(value: object, label: str = "数量", maximum: int = MAX_COUNT) -> int:
    """A whole number from 0 to ``maximum`` (days, counts)."""
    text = _fold(value)
    _check_digits(text)
    t = text[:-2] if text.endswith(".0") else text
    if not t.isdigit():
        if t.startswith("-") and t[1:].isdigit():
            raise ValueProblem(f"{label}不能为负数")
        raise ValueProblem(f"“{shown(text)}”不是整数")
    n = int(t)
    if n > maximum:
        raise ValueProblem(f"{label}“{text}”太大(最多{maximum:,})")
    return n


# ---------------------------------------------------------------------------- dates


def check_day(value: dt.date, label: str = "日期") -> dt.date:
    """A date within 2000-01-01 … one year after today."""
    top = last_day()
    if value < FIRST_DAY or value > top:
        raise ValueProblem(f"{label} {value.isoformat()} 超出范围(应在 2000-01-01 至 {top.isoformat()} 之间)")
    return value


_DAY_MONTH_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}")


def moment(value: object, label: str = "日期") -> dt.datetime:
    """A date with an optional time, within the accepted range."""
    if isinstance(value, (dt.date, dt.datetime)):
        when = parse_datetime(value)
    else:
        text = _fold(value)
        if not text:
            raise ValueProblem(f"{label}为空")
        _check_digits(text)
        if _DAY_MONTH_YEAR.match(text):
            raise ValueProblem(f"“{shown(text)}”的日期写法无法确定年月日,请写成 2026-10-05")
        when = parse_datetime(text)
    check_day(when.date(), label)
    return when


def day(value: object, label: str = "日期") -> dt.date:
    """A date (a time part, if any, is dropped) within the accepted range."""
    return moment(value, label).date()


def month(value: object, label: str = "月份") -> str:
    """A ``YYYY-MM`` month within 2000-01 … the month one year after today."""
    text = _fold(value)
    _check_digits(text)
    m = parse_month(text)
    top = last_day().strftime("%Y-%m")
    if not FIRST_MONTH <= m <= top:
        raise ValueProblem(f"{label} {m} 超出范围(应在 2000-01 至 {top} 之间)")
    return m
