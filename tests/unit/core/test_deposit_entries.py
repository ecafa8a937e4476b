"""Deposits at the desk (app.core.deposit_entries): 收押金 / 退押金 / 没收 with hand-worked
money, the checks at the edge, undo while the month is open, and the receipt PDF."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core import deposit_entries as desk
from app.core import settlement
from app.core.errors import UserError
from app.models import Statement
from tests.helpers import Office

D = dt.date


@pytest.fixture
def office(db, tmp_path):
    return Office(tmp_path).base()


def test_money_of_the_desk_by_hand(office):
    # A2 pays 99.00 + 39.00 cash on 10-02 and 10-03: the desk holds 138.00 = 13800 fen.
    a = desk.record("receive", "A2", 9900, "cash", D(2026, 10, 2), product_code="P1", sn="T2")
    b = desk.record("receive", "A2", 3900, "wechat", D(2026, 10, 3))
    assert (a.receipt_no, b.receipt_no) == ("YJ202610-00001", "YJ202610-00002")
    assert desk.in_hand(a.agent_id) == 13800
    # 39.00 back on 10-20: 13800 − 3900 = 9900
    desk.record("refund", "A2", 3900, "cash", D(2026, 10, 20))
    assert desk.in_hand(a.agent_id) == 9900
    # forfeiting 99.01 is one fen more than the desk holds: refused, nothing written
    with pytest.raises(UserError, match="只有 ¥99.00"):
        desk.record("forfeit", "A2", 9901, "cash", D(2026, 10, 21))
    # 99.00 kept in November: 9900 − 9900 = 0
    desk.record("forfeit", "A2", 9900, "cash", D(2026, 11, 2))
    assert desk.in_hand(a.agent_id) == 0
    october = desk.month_figures("2026-10")
    # October: received 9900 + 3900 = 13800, refunded 3900, in hand at the end 9900
    assert (october.received, october.refunded, october.forfeited) == (13800, 3900, 0)
    assert (october.entries, october.in_hand_at_end) == (3, 9900)
    november = desk.month_figures("2026-11")
    assert (november.received, november.forfeited, november.in_hand_at_end) == (0, 9900, 0)
    [row] = desk.desk_ledger()
    assert (row.code, row.received, row.refunded, row.forfeited, row.in_hand) == (
        "A2", 13800, 3900, 9900, 0)
    assert [e.kind_label for e in desk.entries(a.agent_id)] == ["收押金", "收押金", "退押金", "没收"]
    assert desk.entry(a.id).product == "P1 拉卡拉电签" and desk.entry(a.id).sn == "T2"


@pytest.mark.parametrize("kwargs, message", [
    (dict(kind="lend"), "未知的押金操作"),
    (dict(method="gold"), "未知的收付方式"),
    (dict(amount=0), "大于 0"),
    (dict(amount=-100), "大于 0"),
    (dict(amount=99.0), "整数分"),
    (dict(amount=10_000_001), "超过单笔上限"),
    (dict(agent="A9"), "没有编号为 A9 的代理"),
    (dict(product="P9"), "没有编号为 P9 的产品"),
    (dict(sn="NOPE"), "没有 SN 为 NOPE"),
])
def test_bad_input_is_refused_and_nothing_written(office, kwargs, message):
    args = dict(kind="receive", agent="A1", amount=1900, method="cash", product="", sn="")
    args.update(kwargs)
    with pytest.raises(UserError, match=message):
        desk.record(args["kind"], args["agent"], args["amount"], args["method"],
                    D(2026, 10, 5), product_code=args["product"], sn=args["sn"])
    assert desk.entries() == []


def test_locked_month_takes_no_entry_and_loses_none(office):
    kept = desk.record("receive", "A1", 1900, "cash", D(2026, 10, 5))
    settlement.lock_month("2026-10")
    with pytest.raises(UserError, match="已锁定"):
        desk.record("receive", "A1", 1900, "cash", D(2026, 10, 6))
    with pytest.raises(UserError, match="已锁定"):
        desk.cancel(kept.id)
    assert desk.record("receive", "A1", 1900, "cash", D(2026, 11, 1)).month == "2026-11"


def test_cancel_is_the_inverse_and_keeps_the_desk_above_zero(office):
    got = desk.record("receive", "A3", 2900, "cash", D(2026, 10, 5))
    back = desk.record("refund", "A3", 1000, "cash", D(2026, 10, 6))
    with pytest.raises(UserError, match="请先撤销"):
        desk.cancel(got.id)  # 0 − 1000 would be left
    desk.cancel(back.id)
    desk.cancel(got.id)
    assert desk.entries() == [] and desk.in_hand(got.agent_id) == 0
    # a receipt number is never given twice, even after an undo
    assert desk.record("receive", "A3", 100, "cash", D(2026, 10, 7)).receipt_no == "YJ202610-00003"


def test_desk_entries_do_not_touch_the_statements(office):
    office.tx("X1,2026-10-05 10:00:00,T1,M1,1000.00,credit,success")
    before = office.compute()
    desk.record("receive", "A3", 9900, "cash", D(2026, 10, 2))
    assert office.compute() == before
    assert Statement.select().count() > 0
