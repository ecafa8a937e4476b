"""Invariants of the staff statements (hypothesis): they never change the agents'
statements by a fen, and computing twice gives identical rows."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import settlement, staff_pay
from app.models.db import open_database
from tests.helpers import Office

STAFF = "员工编号,姓名,岗位,入职日期,离职日期\nS01,甲,销售,,\nS02,乙,销售,,\nL01,丙,负责人,,2026-10-20\n"
PLANS = ("适用对象,生效月份,底薪,激活提成,交易提成,范围\n"
         "销售,2026-01,3000,50,万7,本人\n负责人,2026-01,8000,10,万3,全部\n")

tx_rows = st.lists(
    st.tuples(
        st.integers(1, 31),  # day
        st.sampled_from(["T1", "T2", "T3"]),
        st.sampled_from(["", "M1", "M2", "M3"]),
        st.integers(1, 2_000_000),  # fen
        st.sampled_from(["贷记卡", "借记卡", "扫码"]),
        st.sampled_from(["成功", "成功", "退货", "撤销"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(tx_rows, st.integers(1, 31))
def test_staff_statements_do_not_change_the_agents_and_are_repeatable(rows, handover_day):
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "p.db")
        try:
            o = Office(Path(tmp)).base()
            o.tx(*[
                f"X{i},2026-10-{day:02d} 10:00:00,{sn},{mno},{fen / 100:.2f},{cat},{status}"
                for i, (day, sn, mno, fen, cat, status) in enumerate(rows)
            ])
            settlement.compute_month("2026-10")
            agents_before = settlement.statement_json("2026-10")
            o.load("staff", STAFF)
            o.load("merchants", "商户编号,业务员,生效日期\nM1,S01,\nM2,S01,\n"
                   f"M2,S02,2026-10-{handover_day:02d}\n")
            o.load("staff_plans", PLANS)
            settlement.compute_month("2026-10")
            assert settlement.statement_json("2026-10") == agents_before
            first = db.execute_sql("SELECT * FROM staff_statement ORDER BY staff_id").fetchall()
            assert first
            settlement.compute_month("2026-10")
            again = db.execute_sql("SELECT * FROM staff_statement ORDER BY staff_id").fetchall()
            # ids are new rows each time; everything else identical
            assert [r[1:] for r in again] == [r[1:] for r in first]
            # the owned volumes add up to at most everything counted (scope all)
            data = {s["code"]: s for s in staff_pay.staff_json("2026-10")["staff"]}
            counted = sum(
                (-fen if status == "退货" else fen)
                for _d, _sn, _m, fen, _c, status in rows if status != "撤销"
            )
            assert data["S01"]["volume"] + data["S02"]["volume"] + sum(
                (-fen if status == "退货" else fen)
                for day, sn, mno, fen, _c, status in rows
                if status != "撤销" and not (mno in ("M1", "M2") or (not mno and _bound(rows, sn) in ("M1", "M2")))
            ) == counted
        finally:
            db.close()


def _bound(rows, sn):
    """The terminal's bound merchant: its earliest transaction with a merchant number."""
    ordered = sorted(((day, i, mno) for i, (day, s, mno, *_r) in enumerate(rows) if s == sn and mno))
    return ordered[0][2] if ordered else None
