"""DOMAIN §1: units, parsing, formatting, rounding, 大写."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.money import (
    ParseError,
    format_money,
    format_month,
    format_rate,
    money_in_words,
    parse_date,
    parse_datetime,
    parse_money,
    parse_month,
    parse_rate,
    parse_tax_rate,
    round_micro,
)


@pytest.mark.parametrize("text,fen", [("1234.56", 123456), ("¥1,234.56", 123456), ("1234.5元", 123450),
                                      ("-12.3", -1230), ("０.０５", 5), ("(12.30)", -1230), ("1,000", 100000)])
def test_parse_money(text, fen):
    assert parse_money(text) == fen


@pytest.mark.parametrize("text", ["1.234", "abc", "", "1.2.3", "12元5"])
def test_parse_money_refuses(text):
    with pytest.raises(ParseError):
        parse_money(text)


def test_format_money():
    assert format_money(123456) == "¥1,234.56"
    assert format_money(-5) == "-¥0.05"
    assert format_money(0) == "¥0.00"


@pytest.mark.parametrize("text", ["0.6%", "0.60", "万60", "0.006", "60bp", "6‰", "0.6 %"])
def test_rates_all_mean_sixty_wan(text):
    assert parse_rate(text) == 6000  # 0.60 % = 6000 ppm


def test_rate_bounds_and_precision():
    assert parse_rate("0.38%") == 3800
    assert parse_rate("0.3855%") == 3855
    with pytest.raises(ParseError):
        parse_rate("0.38555%")  # finer than 1 ppm
    with pytest.raises(ParseError):
        parse_rate("60%")
    assert format_rate(6000) == "0.60%" and format_rate(3855) == "0.3855%"


def test_tax_rates():
    assert parse_tax_rate("6%") == parse_tax_rate("6") == parse_tax_rate("0.06") == 60000
    assert parse_tax_rate("") == 0


def test_round_half_away_from_zero():
    assert round_micro(1_500_000) == 2  # 1.5 fen → 2
    assert round_micro(-1_500_000) == -2
    assert round_micro(1_499_999) == 1
    assert round_micro(2_500_000) == 3  # not banker's rounding


@pytest.mark.parametrize("fen,words", [
    (0, "零元整"), (5, "伍分"), (1000, "壹拾元整"), (100000100, "壹佰万零壹元整"),
    (10002000345, "壹亿零贰万零叁元肆角伍分"), (123456, "壹仟贰佰叁拾肆元伍角陆分"),
    (100100, "壹仟零壹元整"), (1001000, "壹万零壹拾元整"), (150, "壹元伍角整"), (105, "壹元零伍分"),
])
def test_money_in_words(fen, words):
    assert money_in_words(fen) == words


def test_dates_and_months():
    assert parse_date("2026/10/5") == parse_date("20261005") == parse_date("2026-10-05") == dt.date(2026, 10, 5)
    assert parse_datetime("2026-10-05 14:03:22") == dt.datetime(2026, 10, 5, 14, 3, 22)
    assert parse_month("202610") == parse_month("2026/10") == parse_month("2026-10") == "2026-10"
    assert format_month("2026-10") == "2026年10月"
    for bad in ("2026-02-30", "10/05/2026"):
        with pytest.raises(ParseError):
            parse_date(bad)


@given(st.integers(-10**12, 10**12))
def test_money_round_trip(fen):
    assert parse_money(format_money(fen)) == fen


def test_no_float_near_money():
    """Money is int fen: no float() or float annotations in the core."""
    core = Path(__file__).resolve().parents[3] / "app" / "core"
    offenders = []
    for path in core.glob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bfloat\b", line.split("#")[0]):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []
