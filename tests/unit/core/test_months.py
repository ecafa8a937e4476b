"""app.core.months: open and locked months, and where late data is settled (DOMAIN §6)."""

from __future__ import annotations

import datetime as dt

from app.core import months
from app.models import MonthState


def test_nothing_locked_everything_settles_in_its_own_month(db):
    assert months.locked_months() == set()
    assert months.last_locked_month() is None
    assert months.last_locked_day(set()) is None
    assert not months.is_late("2026-09", set())
    assert months.settle_month("2026-09", set()) == "2026-09"


def test_late_data_goes_to_the_month_after_the_last_locked_one(db):
    MonthState.create(month="2026-09", state="locked")
    MonthState.create(month="2026-10", state="open")
    locked = months.locked_months()
    assert locked == {"2026-09"} and months.is_locked("2026-09") and not months.is_locked("2026-10")
    # September is locked: its data and August's (never settled, before it) land in October
    assert months.settle_month("2026-09", locked) == "2026-10"
    assert months.settle_month("2026-08", locked) == "2026-10"
    assert months.settle_month("2026-10", locked) == "2026-10"
    assert months.last_locked_day(locked) == dt.date(2026, 9, 30)
    assert months.late_notice("2026-08", locked, "交易") == (
        "注意:2026年8月早于已锁定的2026年9月,该月的交易计入 2026年10月,已锁定月份不变。"
    )


def test_settings_round_trip(db):
    assert months.get_setting("agency_name") == ""
    months.set_setting("agency_name", "鑫达")
    months.set_setting("min_payout", "5000")
    assert months.agency_name() == "鑫达"
    assert months.min_payout() == 5000  # ¥50.00 in fen
