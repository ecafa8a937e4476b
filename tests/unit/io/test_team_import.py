"""Imports of the team's files: bad rows refuse the whole file (file, row, column, reason
in Chinese); the same rows again change nothing; encodings and XLSX as everywhere."""

from __future__ import annotations

import openpyxl
import pytest

from app.core.errors import UserError
from app.io.importers import import_file
from tests.helpers import Office

STAFF = "员工编号,姓名,岗位,入职日期,离职日期\nS01,李娜,销售,2026-01-01,\nS02,王强,客服,2025-01-01,2026-09-30\n"


@pytest.fixture
def office(db, tmp_path):
    o = Office(tmp_path).base()
    o.load("staff", STAFF)
    o.load("merchants", "商户编号,商户名称,业务员\nM1,面馆,S01\n")
    return o


def count(db, table: str) -> int:
    return db.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize(
    ("kind", "text", "column", "words"),
    [
        ("staff", "员工编号,姓名,岗位\nS09,某人,经理\n", "岗位", "岗位"),
        ("staff", "员工编号,姓名,岗位,入职日期,离职日期\nS09,某人,销售,2026-05-01,2026-04-30\n",
         "离职日期", "早于入职日期"),
        ("merchants", "商户编号,业务员\nM9,S77\n", "业务员", "S77"),
        ("merchants", "商户编号,业务员,生效日期\nM1,S02,2026-10-01\n", "业务员", "离职"),
        ("tickets", "工单号,创建时间,类型,处理人\nK1,2026-10-01 09:00,故障,S77\n", "处理人", "S77"),
        ("tickets", "工单号,创建时间,类型,处理人,商户编号\nK1,2026-10-01 09:00,故障,S01,M9\n",
         "商户编号", "M9"),
        ("tickets", "工单号,创建时间,类型,处理人,满意度\nK1,2026-10-01 09:00,故障,S01,6\n",
         "满意度", "1到5"),
        ("tickets", "工单号,创建时间,类型,处理人,解决时间\nK1,2026-10-02 09:00,故障,S01,2026-10-01 09:00\n",
         "解决时间", "早于创建时间"),
        ("tickets", "工单号,创建时间,类型,处理人\nK1,2026-10-01 09:00,吵架,S01\n", "类型", "吵架"),
        ("staff_plans", "适用对象,生效月份,解决率奖励\n销售,2026-10,90%:300;80%\n", "解决率奖励", "80%"),
        ("staff_plans", "适用对象,生效月份,满意度奖励\n销售,2026-10,90%:300\n", "满意度奖励", "百分数"),
        ("staff_plans", "适用对象,生效月份\n经理,2026-10\n", "适用对象", "岗位"),
        ("staff_adjustments", "员工编号,月份,金额,原因\nS77,2026-10,100,奖励\n", "员工编号", "S77"),
        ("contacts", "商户编号,日期,员工编号\nM9,2026-10-01,S01\n", "商户编号", "M9"),
        ("contacts", "商户编号,日期,员工编号,下次日期\nM1,2026-10-05,S01,2026-10-01\n", "下次日期", "早于"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(office, db, kind, text, column, words):
    # a good first row and the bad one: nothing of the file is written
    tables = ["staff_member", "merchant", "merchant_owner", "ticket", "commission_plan",
              "staff_adjustment", "contact"]
    before = [count(db, t) for t in tables]
    with pytest.raises(UserError) as exc:
        office.load(kind, text)
    message = str(exc.value)
    assert "第2行" in message and f"「{column}」" in message and words in message
    assert [count(db, t) for t in tables] == before


def test_reimport_changes_nothing_and_a_ticket_again_is_updated(office, db):
    tickets = "工单号,创建时间,类型,处理人\nK1,2026-10-01 09:00,故障,S01\n"
    office.load("tickets", tickets)
    again = office.load("tickets", tickets)
    assert (again.added, again.updated, again.skipped) == (0, 0, 1)
    again = office.load("staff", STAFF)
    assert (again.added, again.updated, again.skipped) == (0, 0, 2)
    plans = "适用对象,生效月份,底薪,解决率奖励\n销售,2026-10,3000,90%:300；80%：150\n"
    office.load("staff_plans", plans)
    again = office.load("staff_plans", plans)
    assert (again.added, again.updated, again.skipped) == (0, 0, 1)
    assert db.execute_sql("SELECT resolution_tiers FROM commission_plan").fetchone()[0] == "90%:300;80%:150"
    updated = office.load("tickets", "工单号,创建时间,类型,处理人,解决时间,结果\n"
                          "K1,2026-10-01 09:00,故障,S01,2026-10-01 10:00,已解决\n")
    assert updated.updated == 1
    assert db.execute_sql("SELECT resolved, outcome FROM ticket").fetchall() == [
        ("2026-10-01 10:00:00", "resolved")]


def test_handover_keeps_history(office, db):
    office.load("staff", "员工编号,姓名,岗位\nS03,张三,销售\n")
    office.load("merchants", "商户编号,业务员,生效日期\nM1,S03,2026-10-16\n")
    rows = db.execute_sql("SELECT s.code, o.effective_from FROM merchant_owner o "
                          "JOIN staff_member s ON s.id = o.staff_id ORDER BY o.effective_from").fetchall()
    assert rows == [("S01", "2000-01-01"), ("S03", "2026-10-16")]


def test_gbk_csv_and_xlsx_with_english_headers(db, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_bytes("员工编号,姓名,岗位\nS01,李娜,销售\n".encode("gbk"))
    assert import_file("staff", path).added == 1
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["code", "name", "role", "joined"])
    ws.append(["S02", "王强", "service", "2026-10-01"])
    wb.save(tmp_path / "staff.xlsx")
    assert import_file("staff", tmp_path / "staff.xlsx").added == 1
    assert db.execute_sql("SELECT code, role FROM staff_member ORDER BY code").fetchall() == [
        ("S01", "sales"), ("S02", "service")]
