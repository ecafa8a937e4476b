"""app.core.terminals: SN ranges and pasted SN lists (the move dialog's input)."""

from __future__ import annotations

import pytest

from app.core.errors import UserError
from app.core.terminals import expand_sn_range, parse_sn_list


def test_a_range_keeps_the_zero_padding():
    assert expand_sn_range("LKL00098", "LKL00101") == ["LKL00098", "LKL00099", "LKL00100", "LKL00101"]
    assert expand_sn_range(" T9 ", "T11") == ["T9", "T10", "T11"]  # widths differ: no padding


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [("", "A1", "请填写"), ("A1", "B2", "前缀不同"), ("A9", "A1", "小于"), ("AX", "AY", "数字结尾")],
)
def test_a_bad_range_is_a_user_error(first, last, message):
    with pytest.raises(UserError, match=message):
        expand_sn_range(first, last)


def test_a_pasted_list_keeps_order_drops_repeats_and_expands_ranges():
    text = "T3, T1\nT1\n\nA01~A03\nT2\tT3"
    assert parse_sn_list(text) == ["T3", "T1", "A01", "A02", "A03", "T2"]
