"""One test per FORMATS "Values" rule, on the functions every importer and form calls."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core import values
from app.core.values import ValueProblem


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr(values, "today", lambda: dt.date(2026, 12, 7))


@pytest.mark.parametrize("text,expected", [
    ("A-01", "A-01"), ("Ａ００１", "A001"), ("代理_一", "代理_一"), ("x" * 40, "x" * 40), (" SN01 ", "SN01"),
])
def test_code_accepts(text, expected):
    assert values.code(text) == expected


@pytest.mark.parametrize("text,fragment", [
    ("", "不能为空"), ("x" * 41, "最多40个字符"), ("A 01", "空格"), ("A;01", "“;”"),
    ("A\x0701", "控制字符"), ("\x1b[31mA", "控制字符"), ("A٣", "非0-9"), ("፩፪፫", "非0-9"),
    ("1.23456789012346E+19", "请把该列设为文本格式后重新导出"),
])
def test_code_refuses(text, fragment):
    with pytest.raises(ValueProblem, match=fragment.replace("+", r"\+")):
        values.code(text)


def test_names_and_notes():
    assert values.name_text(" 张三 ") == "张三"
    assert values.note("") == ""
    assert values.name_text("x" * 200) == "x" * 200
    for bad, fragment in (("x" * 201, "最多200"), ("a\x07b", "控制字符"), ("", "不能为空"), ("a\nb", "控制字符")):
        with pytest.raises(ValueProblem, match=fragment):
            values.name_text(bad)
    with pytest.raises(ValueProblem, match="最多200"):
        values.note("x" * 100_000)


@pytest.mark.parametrize("text,fen", [
    ("1,000,000,000.00", 100_000_000_000), ("-1000000000", -100_000_000_000), ("¥12.30", 1230), ("１２.３", 1230),
])
def test_money_accepts(text, fen):
    assert values.money(text) == fen


@pytest.mark.parametrize("text,fragment", [
    ("1000000000.01", "超出范围"), ("-1000000000.01", "超出范围"), ("100000000000000000000", "超出范围"),
    ("1E+20", "超出范围"), ("NaN", "不是金额"), ("inf", "不是金额"), ("-Infinity", "不是金额"),
    ("١٢٣", "非0-9"), ("፩፪፫", "非0-9"), ("1.234", "两位小数"),
])
def test_money_refuses(text, fragment):
    with pytest.raises(ValueProblem, match=fragment):
        values.money(text)


def test_money_signs():
    assert values.money("-80", sign="size") == 8000
    with pytest.raises(ValueProblem, match="不能为负"):
        values.money("-1", sign="positive")


def test_rates():
    assert values.rate("10%") == 100_000
    assert values.rate("0") == 0
    assert values.tax_rate("100%") == 1_000_000
    assert values.tax_rate("6") == 60_000
    for bad in ("10.01%", "-0.1%", "٠.٦%"):
        with pytest.raises(ValueProblem):
            values.rate(bad)
    for bad in ("100.5%", "-1%", "١"):
        with pytest.raises(ValueProblem):
            values.tax_rate(bad)


@pytest.mark.parametrize("text,expected", [
    ("2026-10-05", dt.date(2026, 10, 5)), ("2026/10/5", dt.date(2026, 10, 5)), ("20261005", dt.date(2026, 10, 5)),
    ("2026年10月5日", dt.date(2026, 10, 5)), ("2026.10.5", dt.date(2026, 10, 5)), ("２０２６-１０-０５", dt.date(2026, 10, 5)),
    ("2000-01-01", dt.date(2000, 1, 1)), ("2027-12-07", dt.date(2027, 12, 7)),
])
def test_day_accepts(text, expected):
    assert values.day(text) == expected


@pytest.mark.parametrize("text", [
    "0001-01-01", "1899-12-30", "1999-12-31", "9999-12-31", "2027-12-08", "05/10/2026", "5.10.2026",
    "٢٠٢٦-١٠-٠٥", "2026-13-01", "",
])
def test_day_refuses(text):
    with pytest.raises(ValueProblem):
        values.day(text)


def test_leap_day_limit(monkeypatch):
    monkeypatch.setattr(values, "today", lambda: dt.date(2028, 2, 29))
    assert values.last_day() == dt.date(2029, 2, 28)


def test_month_and_count():
    assert values.month("2026年10月") == "2026-10"
    for bad in ("1999-12", "2028-01", "2026-13", "٢٠٢٦-١٠"):
        with pytest.raises(ValueProblem):
            values.month(bad)
    assert values.count("30") == 30
    for bad in ("-1", "1.5", "x", "٣", "10000001"):
        with pytest.raises(ValueProblem):
            values.count(bad)


def test_check_fen_and_day():
    assert values.check_fen(values.MAX_FEN) == values.MAX_FEN
    with pytest.raises(ValueProblem):
        values.check_fen(values.MAX_FEN + 1)
    with pytest.raises(ValueProblem):
        values.check_day(dt.date(1999, 12, 31))


@pytest.mark.parametrize("cell,is_label", [
    ("合计", True), ("总计:", True), ("小计 12笔", True), ("汇总", True), ("总交易单数：120", True),
    ("合计科技", False), ("张三", False), ("", False), ("Total", True), ("totally", False),
])
def test_summary_labels(cell, is_label):
    assert values.is_summary_label(cell) is is_label
