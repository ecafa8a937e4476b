"""Merchant tags (DOMAIN §9) on hand-made transactions, each tag and its boundaries.

Month m = 2026-10 (31 days: the last 30 days are 10-02 … 10-31, the last 15 days
10-17 … 10-31), m−1 = 2026-09, m−2 = 2026-08.  Amounts are fen.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from app.core import merchant_tags as mt
from app.core.months import set_setting
from app.core.tagging import MerchantThresholds, agent_trend_tag, falls_below, rises_to
from app.models import Product, Terminal, Txn

M = "2026-10"
_ids = itertools.count(1)


@pytest.fixture
def shop(db):
    product = Product.create(code="P1", name="电签")
    terminal = Terminal.create(sn="T1", product=product, stocked_on=dt.date(2026, 1, 1))

    def tx(merchant: str, day: str, amount: int, status: str = "success", *, month: str | None = None,
           terminal_id: int | None = None) -> None:
        n = next(_ids)
        Txn.create(tx_id=f"X{n}", terminal=terminal_id or terminal.id, product=product,
                   time=f"{day} 10:00:{n % 60:02d}", date=day, month=month or day[:7],
                   amount=amount, category="credit", status=status, merchant_no=merchant)

    tx.product = product  # type: ignore[attr-defined]
    tx.terminal = terminal  # type: ignore[attr-defined]
    return tx


def tags(month: str = M) -> dict[str, str]:
    mt.compute_tags(month)
    return mt.tags_of(month)


def steady(tx, merchant: str, v8: int, v9: int, v10: int, last: str = "2026-10-25") -> None:
    """A merchant trading in each of the three months; its October volume on ``last``."""
    tx(merchant, "2026-08-10", v8)
    tx(merchant, "2026-09-10", v9)
    tx(merchant, last, v10)


def test_dormant_is_no_transaction_in_the_30_days_ending_on_the_last_day(shop):
    # 10-01 is 30 days before 10-31, outside the window 10-02 … 10-31: dormant
    steady(shop, "M_OUT", 1000, 1000, 1000, last="2026-10-01")
    # 10-02 is the 30th day: not dormant, but before 10-17, so churn risk (15-day rule)
    steady(shop, "M_30TH", 1000, 1000, 1000, last="2026-10-02")
    # a failed or voided transaction is not counted: still dormant
    steady(shop, "M_FAIL", 1000, 1000, 1000, last="2026-10-01")
    shop("M_FAIL", "2026-10-30", 5000, "failed")
    shop("M_FAIL", "2026-10-30", 5000, "void")
    got = tags()
    assert got["M_OUT"] == "dormant"
    assert got["M_30TH"] == "churn_risk"
    assert got["M_FAIL"] == "dormant"


def test_dormant_window_reaches_into_the_month_before_when_m_is_short(shop):
    # February 2027 has 28 days: its last 30 days are 01-30 … 02-28
    shop("M_JAN30", "2027-01-30", 1000)
    shop("M_JAN29", "2027-01-29", 1000)
    got = tags("2027-02")
    assert got["M_JAN29"] == "dormant"
    assert got["M_JAN30"] == "churn_risk"  # nothing in 02-14 … 02-28


def test_churn_risk_when_nothing_in_the_last_15_days(shop):
    # the last 15 days are 10-17 … 10-31: 10-17 is the 15th day
    steady(shop, "M_15TH", 1000, 1000, 1000, last="2026-10-17")
    steady(shop, "M_16TH", 1000, 1000, 1000, last="2026-10-16")
    got = tags()
    assert got["M_15TH"] == "loyal"  # traded in 08, 09, 10 and volume is flat
    assert got["M_16TH"] == "churn_risk"


def test_churn_risk_below_half_of_before_and_exactly_half_is_not(shop):
    # before = (1000 + 3000) / 2 = 2000; 50 % of it is 1000
    steady(shop, "M_HALF", 1000, 3000, 1000)  # 1000 = 50 % exactly: not below
    steady(shop, "M_BELOW", 1000, 3000, 999)  # 999 < 1000: churn risk
    got = tags()
    assert got["M_HALF"] == "loyal"
    assert got["M_BELOW"] == "churn_risk"


def test_growing_at_130_percent_exactly(shop):
    # before = (1000 + 3000) / 2 = 2000; 130 % of it is 2600
    steady(shop, "M_130", 1000, 3000, 2600)  # ≥ 130 %: growing (before loyal)
    steady(shop, "M_129", 1000, 3000, 2599)  # 2599 < 2600: loyal
    got = tags()
    assert got["M_130"] == "growing"
    assert got["M_129"] == "loyal"


def test_first_month_m_minus_1_makes_before_that_month_alone(shop):
    # first counted transaction in 09: before = V(09) = 1000 (08 does not count, although 0)
    shop("M_ONE", "2026-09-05", 1000)
    shop("M_ONE", "2026-10-25", 400)  # 400 < 50 % × 1000: churn risk (with 08 as 0: 80 %)
    shop("M_TWO", "2026-09-05", 1000)
    shop("M_TWO", "2026-10-25", 600)  # 60 %: regular (not loyal: nothing in 08)
    shop("M_GROW", "2026-09-05", 1000)
    shop("M_GROW", "2026-10-25", 1300)  # 130 % of 1000: growing
    got = tags()
    assert got == {"M_ONE": "churn_risk", "M_TWO": "regular", "M_GROW": "growing"}
    row = dict((m, (v, b)) for m, _t, v, b in [(M, *mt.tag_history("M_ONE")[0][1:])])
    assert row[M] == (400, 1000)


def test_new_merchant_first_transaction_in_m(shop):
    shop("M_NEW", "2026-10-20", 50)  # within the last 15 days: new
    shop("M_NEW_EARLY", "2026-10-05", 50)  # nothing in the last 15 days: churn risk first
    shop("M_NEW_FIRSTDAY", "2026-10-01", 50)  # nothing in the last 30 days: dormant first
    got = tags()
    assert got == {"M_NEW": "new", "M_NEW_EARLY": "churn_risk", "M_NEW_FIRSTDAY": "dormant"}


def test_a_refund_is_a_counted_transaction(shop):
    # loyal needs counted transactions in each of 08, 09, 10: a refund alone in 09 counts
    shop("M_R", "2026-08-10", 1000)
    shop("M_R", "2026-09-10", -200, "refund")
    shop("M_R", "2026-10-25", 1000)
    # before = (1000 − 200) / 2 = 400; 1000 ≥ 130 % × 400 = 520: growing
    # a merchant whose only October transaction is a refund on 10-30 is not dormant
    steady(shop, "M_R2", 1000, 1000, 0, last="2026-10-03")
    shop("M_R2", "2026-10-30", -100, "refund")
    got = tags()
    assert got["M_R"] == "growing"
    # V(10) = 0 − 100 = −100 < 50 % × 1000: churn risk (not dormant)
    assert got["M_R2"] == "churn_risk"


def test_before_not_positive_makes_the_comparisons_not_apply(shop):
    # before = (500 − 800) / 2 < 0: neither churn by volume nor growing; loyal
    shop("M_NEG", "2026-08-10", 500)
    shop("M_NEG", "2026-09-10", -800, "refund")
    shop("M_NEG", "2026-10-25", 1)
    # before = 0: regular (nothing in 08: not loyal; first transaction in 09)
    shop("M_ZERO", "2026-09-10", 500)
    shop("M_ZERO", "2026-09-11", -500, "refund")
    shop("M_ZERO", "2026-10-25", 1)
    got = tags()
    assert got == {"M_NEG": "loyal", "M_ZERO": "regular"}


def test_regular_and_merchants_without_transactions_until_m(shop):
    shop("M_REG", "2026-07-10", 1000)  # first in 07: before = (0 + 0) / 2 → none applies
    shop("M_REG", "2026-10-25", 1000)
    shop("M_LATER", "2026-11-02", 1000)  # first counted transaction after m: no tag
    got = tags()
    assert got == {"M_REG": "regular"}


def test_blank_merchant_takes_the_terminals_bound_merchant(shop):
    Terminal.update(merchant_no="M_BOUND").where(Terminal.id == shop.terminal.id).execute()
    shop("", "2026-10-25", 700)
    shop("M_BOUND", "2026-10-26", 300)
    assert tags() == {"M_BOUND": "new"}
    assert mt.tag_history("M_BOUND") == [(M, "new", 1000, None)]


def test_blank_merchant_without_binding_takes_the_earliest_transaction_with_one(shop):
    shop("M_FIRST", "2026-09-01", 0, "failed")  # any status names the terminal's merchant
    shop("M_SECOND", "2026-09-02", 100)
    shop("", "2026-10-25", 700)
    got = tags()
    assert got["M_FIRST"] == "new"
    assert mt.tag_history("M_FIRST")[0][2] == 700


def test_a_late_transaction_counts_in_its_own_calendar_month(shop):
    # dated 10-25, settled in 11 (October locked when it arrived): October's volume
    steady(shop, "M_LATE", 1000, 1000, 1000, last="2026-10-25")
    Txn.update(month="2026-11").where(Txn.date == dt.date(2026, 10, 25)).execute()
    assert tags()["M_LATE"] == "loyal"
    assert mt.tag_history("M_LATE")[0][2] == 1000


def test_thresholds_are_settings(shop):
    steady(shop, "M_X", 1000, 3000, 1100)  # 55 % of 2000
    assert tags()["M_X"] == "loyal"
    set_setting(MerchantThresholds.setting_key("churn_pct"), "60")
    assert tags()["M_X"] == "churn_risk"
    set_setting(MerchantThresholds.setting_key("churn_pct"), "")  # blank: back to 50
    assert tags()["M_X"] == "loyal"


def test_summaries_follow_inserted_changed_and_deleted_transactions(shop):
    steady(shop, "M_C", 1000, 1000, 1000)
    assert tags()["M_C"] == "loyal"
    shop("M_C", "2026-10-28", 2000)  # inserted: V(10) = 3000 ≥ 1300
    assert tags()["M_C"] == "growing"
    Txn.delete().where(Txn.date == dt.date(2026, 10, 28)).execute()
    assert tags()["M_C"] == "loyal"
    Txn.update(amount=100).where(Txn.date == dt.date(2026, 10, 25)).execute()
    assert tags()["M_C"] == "churn_risk"  # 100 < 500
    # the sums kept equal the sums made from scratch
    kept = sorted(mt.database.execute_sql("SELECT * FROM merchant_month").fetchall())
    mt.rebuild_summaries()
    assert sorted(mt.database.execute_sql("SELECT * FROM merchant_month").fetchall()) == kept


def test_a_terminal_bound_later_moves_its_blank_transactions(shop):
    shop("", "2026-10-25", 700)
    assert tags() == {}
    Terminal.update(merchant_no="M_LATER_BOUND").where(Terminal.id == shop.terminal.id).execute()
    assert tags() == {"M_LATER_BOUND": "new"}


def test_tag_history_month_by_month(shop):
    shop("M_H", "2026-08-20", 1000)
    shop("M_H", "2026-09-20", 1000)
    shop("M_H", "2026-10-20", 3000)
    for m in ("2026-08", "2026-09", "2026-10"):
        mt.compute_tags(m)
    # 08: new · 09: before 1000, 1000 → regular (not yet 3 months) · 10: 3000 ≥ 1300 growing
    assert [(m, t) for m, t, _v, _b in mt.tag_history("M_H")] == [
        ("2026-08", "new"), ("2026-09", "regular"), ("2026-10", "growing")]


# ------------------------------------------------------------------ the shared comparisons


def test_comparisons_are_exact():
    # mean 2000 (4000 over 2 months): 50 % is 1000, 130 % is 2600
    assert not falls_below(1000, 4000, 2, 50) and falls_below(999, 4000, 2, 50)
    assert rises_to(2600, 4000, 2, 130) and not rises_to(2599, 4000, 2, 130)
    assert not rises_to(2600, 4000, 2, 130, strict=True) and rises_to(2601, 4000, 2, 130, strict=True)
    assert not falls_below(-5, 0, 2, 50) and not rises_to(5, -1, 2, 130) and not rises_to(5, 7, 0, 130)


def test_agent_trend_tag_keeps_the_agents_rule():
    # before = (1000 + 1000) / 2 = 1000: below 700 churn, above 1300 潜力 (strict), 6 months 忠诚
    assert agent_trend_tag([699, 1000, 1000, 0, 0, 0]) == "流失风险"
    assert agent_trend_tag([700, 1000, 1000, 0, 0, 0]) is None
    assert agent_trend_tag([1300, 1000, 1000, 1, 1, 1]) == "忠诚"  # 130 % is not above
    assert agent_trend_tag([1301, 1000, 1000, 1, 1, 1]) == "潜力"
    assert agent_trend_tag([1000, 1000, 1000, 1, 1, 0]) is None
    assert agent_trend_tag([5, 0, 0, 0, 0, 0]) is None  # no before: no comparison


def test_merchants_show_json_from_the_transactions_alone(shop, tmp_path, db):
    """Before any staff, merchant or ticket is imported the command still tags the
    merchants from their transactions: owner null, due by the cadence, no ticket figures."""
    import json
    import subprocess
    import sys

    steady(shop, "M_S", 1000, 1000, 1000, last="2026-10-20")
    db.close()
    out = subprocess.run([sys.executable, "-m", "app", "--db", str(tmp_path / "posdesk.db"), "merchants",
                          "show", "2026-10", "--json"], capture_output=True, text=True, encoding="utf-8",
                         timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    # loyal, never contacted: due = first counted transaction 08-10 + 30 days = 09-09
    assert data["merchants"] == [{"merchant_no": "M_S", "name": "", "owner": None, "tag": "loyal",
                                  "volume_fen": 1000, "last_txn": "2026-10-20", "due": "2026-09-09"}]
    fig = data["figures"]
    assert (fig["active"], fig["new"], fig["lost"], fig["retention"]) == (1, 0, 0, "1")
    assert (fig["satisfaction_avg"], fig["resolution_share"], fig["avg_handling_hours"]) == (None, None, None)
