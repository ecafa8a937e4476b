"""对账 (DOMAIN §10) with hand-worked numbers.

Base office (tests/helpers.py): merchant price credit 0.60 %, debit 0.55 % cap 25 元, scan
0.38 %; the agency's own cost credit 0.50 %, debit 0.45 % cap 20 元, scan 0.30 %.  T1 is
with A3, T2 with A2, T3 in stock.  What the agency expects per terminal and month is
Σ M − fee(agency cost), rounded once per terminal, plus the company's per-terminal amounts.
"""

from __future__ import annotations

import json

import pytest

from app.core.errors import UserError
from app.core.reconcile import implied_rate, reconcile_json, terminal_transactions
from app.models import CompanyReport
from tests.helpers import PRODUCTS, Office

HEADER = "月份,终端SN,商户编号,产品编号,分润金额\n"


@pytest.fixture
def office(db, tmp_path):
    return Office(tmp_path).base()


def report(office, *rows: str):
    return office.load("company_report", HEADER + "\n".join(rows) + "\n")


def lines(month="2026-10"):
    return {(ln["sn"], ln["merchant_no"]): ln for ln in reconcile_json(month)["lines"]}


def test_matched_differs_missing_unknown(office):
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功",
        "X2,2026-10-06 10:00:00,T2,M2,10000.00,贷记卡,成功",
        "X3,2026-10-07 10:00:00,T3,M3,5000.00,扫码,成功",
    )
    report(office, "2026-10,T1,,P1,10.00", "2026-10,T2,,P1,9.00", "2026-10,ZZZ9,,,3.00")
    data = reconcile_json("2026-10")
    got = {ln["sn"]: ln for ln in data["lines"]}
    # T1: M 60.00 − agency 50.00 = 10.00 expected, 10.00 reported → matched, no rate
    assert got["T1"] == {
        "sn": "T1",
        "merchant_no": None,
        "product": "P1",
        "expected_fen": 1000,
        "reported_fen": 1000,
        "diff_fen": 0,
        "status": "matched",
        "implied_rate_ppm": None,
    }
    # T2 (held by A2: the agency's own cost still applies): expected 10.00, reported 9.00:
    # diff −1.00; implied rate −100 × 10⁶ ÷ 1,000,000 = −100 ppm (0.01 %)
    assert (got["T2"]["diff_fen"], got["T2"]["status"], got["T2"]["implied_rate_ppm"]) == (
        -100,
        "differs",
        -100,
    )
    # T3 in stock: scan 5,000.00 → M 19.00 − agency 15.00 = 4.00; not in the report:
    # missing, diff −400, rate −400 × 10⁶ ÷ 500,000 = −800 ppm
    assert got["T3"]["expected_fen"] == 400 and got["T3"]["reported_fen"] is None
    assert (got["T3"]["status"], got["T3"]["diff_fen"], got["T3"]["implied_rate_ppm"]) == (
        "missing",
        -400,
        -800,
    )
    # ZZZ9 is no terminal of ours: unknown, diff = reported 3.00, no rate
    assert got["ZZZ9"]["expected_fen"] is None
    assert (got["ZZZ9"]["status"], got["ZZZ9"]["diff_fen"], got["ZZZ9"]["implied_rate_ppm"]) == (
        "unknown",
        300,
        None,
    )
    # SN order; totals count an absent side as 0
    assert [ln["sn"] for ln in data["lines"]] == ["T1", "T2", "T3", "ZZZ9"]
    assert data["totals"] == {
        "lines": 4,
        "matched": 1,
        "differs": 1,
        "missing": 1,
        "unknown": 1,
        "expected_fen": 2400,
        "reported_fen": 2200,
        "diff_fen": -200,
    }
    json.dumps(data)


def test_rounded_once_per_terminal_and_month(office):
    # each 333.33 credit: M 33333 × 0.60 % = 199.998 fen, agency 166.665 → 33.333 fen;
    # two of them 66.666 → 67 (rounding each would give 33 + 33 = 66)
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,333.33,贷记卡,成功",
        "X2,2026-10-06 10:00:00,T1,M1,333.33,贷记卡,成功",
    )
    report(office, "2026-10,T1,,,0.67")
    got = lines()[("T1", None)]
    assert (got["expected_fen"], got["status"]) == (67, "matched")


def test_refund_debit_cap_and_a_late_transaction(office):
    # debit 10,000.00: M min(55, 25) = 25.00, agency min(45, 20) = 20.00 → 5.00
    # refund 2,000.00 credit: M −12.00, agency −10.00 → −2.00; expected 3.00
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,10000.00,借记卡,成功",
        "X2,2026-10-06 10:00:00,T1,M1,2000.00,贷记卡,退货",
        "X3,2026-10-07 10:00:00,T1,M1,500.00,贷记卡,撤销",
    )
    report(office, "2026-10,T1,,,2.00")
    got = lines()[("T1", None)]
    assert got["expected_fen"] == 300
    # diff −1.00 over the signed counted volume 10,000 − 2,000 = 8,000.00:
    # −100 × 10⁶ ÷ 800,000 = −125 ppm
    assert (got["diff_fen"], got["implied_rate_ppm"]) == (-100, -125)


def test_several_lines_for_one_sn_are_summed(office):
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    report(office, "2026-10,T1,,,6.00", "2026-10,T1,,,4.00")  # 6.00 + 4.00 = the 10.00 due
    assert lines()[("T1", None)]["status"] == "matched"
    assert len(reconcile_json("2026-10")["lines"]) == 1


def test_a_report_by_merchant(office):
    # T1 and T2 both trade under merchant M1; the report names M1 and, by SN, T2:
    # the M1 line stands for T1 alone (expected 10.00, reported 20.00: +10.00)
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功",
        "X2,2026-10-06 10:00:00,T2,M1,10000.00,贷记卡,成功",
    )
    report(office, "2026-10,,M1,,20.00", "2026-10,T2,,,10.00", "2026-10,,M404,,1.00")
    data = reconcile_json("2026-10")
    assert [(ln["sn"], ln["merchant_no"]) for ln in data["lines"]] == [
        ("T2", None),
        (None, "M1"),
        (None, "M404"),
    ]
    m1 = data["lines"][1]
    assert m1["terminals"] == ["T1"]
    # +1000 × 10⁶ ÷ 1,000,000 = +1000 ppm
    assert (
        m1["expected_fen"],
        m1["reported_fen"],
        m1["diff_fen"],
        m1["status"],
        m1["implied_rate_ppm"],
    ) == (1000, 2000, 1000, "differs", 1000)
    assert data["lines"][0]["status"] == "matched"
    assert data["lines"][2]["status"] == "unknown"  # no terminal is bound to M404
    assert data["totals"]["missing"] == 0  # T1 is covered by the merchant line


def test_merchant_binding_prefers_the_activation_record(office):
    # T3's transactions carry M7, its activation record says M9: bound to M9
    office.load("activations", "终端SN,激活日期,商户编号\nT3,2026-10-02,M9\n")
    office.tx("X1,2026-10-05 10:00:00,T3,M7,5000.00,扫码,成功")
    report(office, "2026-10,,M9,,4.00", "2026-10,,M7,,1.00")
    got = lines()
    assert got[(None, "M9")]["terminals"] == ["T3"] and got[(None, "M9")]["status"] == "matched"
    assert got[(None, "M7")]["status"] == "unknown"


def test_company_per_terminal_amounts_fall_in_their_month(db, tmp_path):
    # the company pays 50.00 cashback when a terminal activates (first tx ≥ 1.00 on 10-05)
    products = PRODUCTS.replace(
        "P1,拉卡拉电签,拉卡拉,1.00,,,,,,", "P1,拉卡拉电签,拉卡拉,1.00,,,,50,,"
    )
    office = Office(tmp_path).base(products=products)
    office.tx(
        "X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功",
        "X2,2026-11-05 10:00:00,T1,M1,10000.00,贷记卡,成功",
    )
    # October: 10.00 share + 50.00 cashback = 60.00; November: the share alone
    report(office, "2026-10,T1,,,60.00")
    assert lines("2026-10")[("T1", None)]["status"] == "matched"
    assert reconcile_json("2026-11")["lines"][0]["expected_fen"] == 1000


def test_implied_rate_rounds_half_up():
    assert implied_rate(1, 2_000_000) == 1  # 0.5 ppm → 1
    assert implied_rate(-1, 2_000_000) == -1  # half away from zero
    assert implied_rate(1, 3_000_000) == 0  # 0.33 ppm → 0
    assert implied_rate(0, 100) is None and implied_rate(5, 0) is None


def test_drill_down_lists_the_fees(office):
    office.tx("X1,2026-10-05 10:00:00,T1,M1,10000.00,贷记卡,成功")
    (t,) = terminal_transactions("2026-10", "T1")
    assert (t.merchant_fee_micro, t.agency_fee_micro, t.margin_micro) == (
        6000 * 10**6,
        5000 * 10**6,
        1000 * 10**6,
    )


def test_import_refuses_a_bad_row_and_replaces_a_month(office):
    with pytest.raises(UserError) as err:
        report(
            office,
            "2026-10,T1,,,10.00",
            "2026-13,T2,,,1.00",
            "2026-10,,,,2.00",
            "2026-10,T 1,,,1.00",
            "2026-10,T1,,PX,1.00",
        )
    text = str(err.value)
    assert "第3行「月份」" in text and "第4行「终端SN」" in text and "第5行「终端SN」" in text
    assert "第6行「产品编号」" in text
    assert CompanyReport.select().count() == 0
    first = report(office, "2026-10,T1,,,10.00", "2026-10,T2,,,1.00")
    assert first.added == 2
    again = report(office, "2026-10,T1,,,10.00", "2026-10,T2,,,1.00")
    assert (again.added, again.skipped) == (0, 2)
    assert CompanyReport.select().count() == 2
    # a corrected report for the month replaces the stored one
    report(office, "2026-10,T1,,,12.00")
    assert [r.amount for r in CompanyReport.select()] == [1200]


def test_a_report_needs_an_sn_or_merchant_column(office):
    with pytest.raises(UserError, match="终端SN"):
        office.load("company_report", "月份,分润金额\n2026-10,1.00\n")


def test_import_refuses_a_summary_row_and_a_huge_amount(office):
    with pytest.raises(UserError) as err:
        report(office, "2026-10,T1,,,10.00", "合计,,,,10.00", "2026-10,T2,,,10000000001.00")
    text = str(err.value)
    assert "第3行" in text and "合计" in text and "第4行「分润金额」" in text
    assert CompanyReport.select().count() == 0
