"""app.core.policies: a policy form's fields as typed, and which version is in force."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.errors import UserError
from app.core.policies import PolicyVersion, in_force, parse_term


def test_rates_to_ppm_money_to_fen():
    assert parse_term("credit_rate", "0.6%") == 6000  # 0.6 % = 6,000 ppm
    assert parse_term("debit_rate", "万55") == 5500  # 万分之55 = 0.55 %
    assert parse_term("debit_cap", "20.00") == 2000  # ¥20.00 = 2,000 fen
    assert parse_term("debit_cap", "不封顶") is None
    assert parse_term("cashback", "") == 0
    assert parse_term("unqualified_penalty", "-50") == 5000  # a penalty is kept positive


@pytest.mark.parametrize(("name", "text", "message"), [
    ("credit_rate", "", "不能为空"),
    ("cashback", "-1", "不能为负"),
    ("scan_rate", "abc", "扫码"),
])
def test_bad_fields_are_user_errors(name, text, message):
    with pytest.raises(UserError, match=message):
        parse_term(name, text)


def test_the_version_in_force_is_the_last_one_started():
    def v(i: int, day: dt.date) -> PolicyVersion:
        return PolicyVersion(i, 1, 1, day, None)  # type: ignore[arg-type]

    versions = [v(1, dt.date(2026, 9, 1)), v(2, dt.date(2026, 10, 15))]
    assert in_force(versions, dt.date(2026, 8, 31)) is None
    assert in_force(versions, dt.date(2026, 10, 14)).id == 1
    assert in_force(versions, dt.date(2026, 10, 15)).id == 2
