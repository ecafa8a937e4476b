"""Money, rates, dates and months: parsing, exact arithmetic and formatting (DOMAIN §1).

Money is integer fen (``Fen = int``) end to end.  Rates are integer ppm of the amount
(1 ppm = 0.0001 %).  Products ``fen × ppm`` are *micro-fen* and stay exact until the one
rounding per line item, half away from zero (``round_micro``).

Rules chosen where DOMAIN.md leaves room (also in docs/rules.md):

* a bare rate number below 0.1 is a fraction of the amount (``0.006`` = 0.6 %); from 0.1 up
  it is a percentage (``0.6`` = ``0.60`` = 0.6 %).  ``万60`` = 60/10000, ``60bp`` = 0.60 %.
* a bare tax rate (税点) below 1 is a fraction (``0.06`` = 6 %), from 1 up a percentage.
* money has at most two decimals; a third decimal is an error, never silently rounded.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

Fen = int
Ppm = int
MICRO = 1_000_000  # micro-fen per fen, and ppm per unit


class ParseError(ValueError):
    """A value the user typed cannot be read; the message is Chinese and says why."""


# ---------------------------------------------------------------------------- rounding


def round_micro(micro: int) -> Fen:
    """Round micro-fen to fen, half away from zero (ROUND_HALF_UP on the magnitude)."""
    q, r = divmod(abs(micro), MICRO)
    if 2 * r >= MICRO:
        q += 1
    return q if micro >= 0 else -q


def apply_rate(amount: Fen, rate: Ppm) -> Fen:
    """``amount × rate`` rounded once to the fen, half away from zero."""
    return round_micro(amount * rate)


# ---------------------------------------------------------------------------- text


def normalize_text(value: object) -> str:
    """Full-width to half-width (NFKC), trimmed; None becomes ''."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _decimal(text: str) -> Decimal:
    if not text.isascii():  # Decimal() reads other scripts' digits; the contract does not
        raise ParseError(f"“{text}”不是数字(数字只能用0-9)")
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ParseError(f"“{text}”不是数字") from None
    if not d.is_finite():
        raise ParseError(f"“{text}”不是数字")
    return d


# ---------------------------------------------------------------------------- money

_MONEY = re.compile(
    r"(?P<s1>[+-]?)(?:¥|￥|RMB|CNY)?(?P<s2>[+-]?)(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)"
    r"(?:元|RMB|CNY)?",
    re.IGNORECASE | re.ASCII,  # \d is 0-9 only: another script's digits are not money
)


def parse_money(value: object) -> Fen:
    """Read yuan as typed (``1234.56``, ``¥1,234.56``, ``1234.5元``, ``-12``) into fen."""
    text = normalize_text(value)
    if not text:
        raise ParseError("金额为空")
    cleaned = text.replace(" ", "")
    negative = False
    if cleaned.startswith("(") and cleaned.endswith(")"):  # accounting negative (12.30)
        cleaned, negative = cleaned[1:-1], True
    m = _MONEY.fullmatch(cleaned)
    if not m or (m.group("s1") and m.group("s2")):
        raise ParseError(f"“{text}”不是金额")
    d = _decimal(m.group("num").replace(",", ""))
    if "-" in (m.group("s1"), m.group("s2")):
        negative = not negative
    fen = d * 100
    if fen != fen.to_integral_value():
        raise ParseError(f"“{text}”超过两位小数(金额精确到分)")
    return -int(fen) if negative else int(fen)


def format_money(fen: Fen, symbol: bool = True) -> str:
    """``123456`` → ``¥1,234.56``; negative amounts get a leading minus."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{'¥' if symbol else ''}{yuan:,}.{cents:02d}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_SECTIONS = ["", "万", "亿", "万亿"]


def _four_digits(n: int) -> str:
    """0 < n < 10000 in capitals, with inner zeros collapsed to one 零."""
    out = ""
    zero = False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _UNITS[pos]
    return out


def money_in_words(fen: Fen) -> str:
    """Chinese financial capitals (大写): 123456 → 壹仟贰佰叁拾肆元伍角陆分."""
    if fen == 0:
        return "零元整"
    prefix = "负" if fen < 0 else ""
    fen = abs(fen)
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    text = ""
    if yuan:
        sections = []
        n = yuan
        while n:
            sections.append(n % 10000)
            n //= 10000
        need_zero = False
        for idx in range(len(sections) - 1, -1, -1):
            sec = sections[idx]
            if sec == 0:
                need_zero = bool(text)
                continue
            if text and (need_zero or sec < 1000):
                text += "零"
            need_zero = False
            text += _four_digits(sec) + _SECTIONS[idx]
        text += "元"
    if jiao == 0 and fen_digit == 0:
        return prefix + text + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen_digit:
        text += _DIGITS[fen_digit] + "分"
    else:
        text += "整"
    return prefix + text


# ---------------------------------------------------------------------------- rates

MAX_RATE_PPM = 100_000  # 10 %: no card or scan rate in this trade comes near it


def _rate_from_text(text: str, bare_fraction_below: Decimal) -> Decimal:
    """The rate as a fraction of the amount (Decimal), before range checks."""
    t = text.replace(" ", "").lower()
    if t.startswith("万"):
        return _decimal(t[1:]) / 10000
    if t.endswith("‱"):
        return _decimal(t[:-1]) / 10000
    if t.endswith("bp"):
        return _decimal(t[:-2]) / 10000
    if t.endswith("%"):
        return _decimal(t[:-1]) / 100
    if t.endswith("‰"):
        return _decimal(t[:-1]) / 1000
    d = _decimal(t)
    return d if abs(d) < bare_fraction_below else d / 100


def _to_ppm(frac: Decimal, text: str) -> Ppm:
    ppm = frac * MICRO
    if ppm != ppm.to_integral_value():
        raise ParseError(f"“{text}”精度超过0.0001%")
    return int(ppm)


def parse_rate(value: object, maximum: Ppm = MAX_RATE_PPM) -> Ppm:
    """Read a rate (``0.6%``, ``0.60``, ``万60``, ``0.006``, ``60bp``) into ppm."""
    text = normalize_text(value)
    if not text:
        raise ParseError("费率为空")
    ppm = _to_ppm(_rate_from_text(text, Decimal("0.1")), text)
    if ppm < 0 or ppm > maximum:
        raise ParseError(f"费率“{text}”超出范围(0%~{maximum / 10000:g}%)")
    return ppm


def parse_tax_rate(value: object) -> Ppm:
    """Read a tax rate (税点): ``6%``, ``6``, ``0.06`` are all 6 %."""
    text = normalize_text(value)
    if not text:
        return 0
    ppm = _to_ppm(_rate_from_text(text, Decimal("1")), text)
    if ppm < 0 or ppm > MICRO:
        raise ParseError(f"税点“{text}”超出范围(0%~100%)")
    return ppm


def format_rate(ppm: Ppm) -> str:
    """6000 → ``0.60%`` (at least two decimals, more when the rate has them)."""
    pct = Decimal(ppm) / 10000
    text = f"{pct:.4f}".rstrip("0")
    whole, _, dec = text.partition(".")
    return f"{whole}.{dec.ljust(2, '0')}%"


def format_rate_wan(ppm: Ppm) -> str:
    """6000 → ``万60``."""
    return f"万{Decimal(ppm) / 100:g}"


# ---------------------------------------------------------------------------- dates

_DATE_PATTERNS = [
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})", re.ASCII),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})", re.ASCII),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?", re.ASCII),
    re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII),
]
_TIME = re.compile(r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?", re.ASCII)


def parse_datetime(value: object) -> dt.datetime:
    """Read ``2026-10-05``, ``2026/10/5``, ``20261005`` (optionally `` 14:03:22``)."""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0, tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = normalize_text(value)
    if not text:
        raise ParseError("日期为空")
    for pat in _DATE_PATTERNS:
        m = pat.match(text)
        if not m:
            continue
        rest = _TIME.fullmatch(text[m.end() :])
        if rest is None:
            break
        try:
            y, mo, d = (int(g) for g in m.groups())
            hh, mm, ss = (int(g) if g else 0 for g in rest.groups())
            return dt.datetime(y, mo, d, hh, mm, ss)
        except ValueError:
            raise ParseError(f"“{text}”不是有效日期") from None
    raise ParseError(f"“{text}”不是日期(应为 2026-10-05、2026/10/5 或 20261005)")


def parse_date(value: object) -> dt.date:
    """Read a date; a time part, if any, is dropped."""
    return parse_datetime(value).date()


# ---------------------------------------------------------------------------- months

_MONTH = re.compile(r"(\d{4})\s*(?:[-/.年]\s*)?(\d{1,2})月?", re.ASCII)


def parse_month(value: object) -> str:
    """``2026-10``, ``202610``, ``2026/10``, ``2026年10月`` → ``2026-10``."""
    text = normalize_text(value)
    m = _MONTH.fullmatch(text)
    if not m:
        raise ParseError(f"“{text}”不是月份(应为 2026-10)")
    y, mo = int(m.group(1)), int(m.group(2))
    if not 1 <= mo <= 12 or y < 2000:
        raise ParseError(f"“{text}”不是有效月份")
    return f"{y:04d}-{mo:02d}"


def month_of(day: dt.date) -> str:
    """The ``YYYY-MM`` month a date falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def month_first_day(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def month_last_day(month: str) -> dt.date:
    return month_first_day(next_month(month)) - dt.timedelta(days=1)


def next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def prev_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def format_month(month: str) -> str:
    """``2026-10`` → ``2026年10月``."""
    return f"{int(month[:4])}年{int(month[5:7])}月"
