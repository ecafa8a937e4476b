"""FORMATS "Values" and the export habits, through the command line as an office meets them:
each bad file exits 2 with a Chinese message naming the row and column and the database
dump unchanged; each accepted form is stored as meant."""

from __future__ import annotations

import codecs
import datetime as dt
import sqlite3

import openpyxl
import pytest

from app.cli import main
from tests.helpers import AGENTS, MOVES, POLICIES, PRICES, PRODUCTS, TERMINALS, write


@pytest.fixture
def dbfile(tmp_path):
    path = tmp_path / "office.db"
    assert main(["--db", str(path), "init", "--agency", "测试机构", "--min-payout", "0"]) == 0
    for kind, text in (("products", PRODUCTS), ("prices", PRICES), ("agents", AGENTS),
                       ("policies", POLICIES), ("terminals", TERMINALS), ("moves", MOVES)):
        assert main(["--db", str(path), "import", kind, str(write(tmp_path, f"{kind}.csv", text))]) == 0
    return path


def dump(path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def run(dbfile, kind, path, *extra):
    return main(["--db", str(dbfile), "import", kind, str(path), *extra])


def refused(dbfile, capsys, kind, path, *expect):
    before = dump(dbfile)
    code = run(dbfile, kind, path)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert dump(dbfile) == before, "a refused file must write nothing"
    for piece in expect:
        assert piece in err, err
    return err


def imported(dbfile, capsys, kind, path, *extra) -> str:
    code = run(dbfile, kind, path, *extra)
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def sql(dbfile, query, *args):
    con = sqlite3.connect(dbfile)
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()


TX = "tx_id,time,sn,amount,category,status\n"


# ---------------------------------------------------------------- codes, names, digits

@pytest.mark.parametrize("sn,reason", [
    ("N 01", "空格"), ("N;01", "“;”"), ("N" * 41, "最多40个字符"), ("N\x0701", "控制字符"),
    ("\x1b[31mN", "控制字符"),
])
def test_bad_codes_refused(dbfile, tmp_path, capsys, sn, reason):
    path = tmp_path / "t.csv"
    path.write_text(f'sn,product,stocked\n"{sn}",P1,2026-10-01\n', encoding="utf-8")
    refused(dbfile, capsys, "terminals", path, "第2行", "「sn」列", reason)


def test_full_width_code_folded(dbfile, tmp_path, capsys):
    imported(dbfile, capsys, "terminals", write(tmp_path, "t.csv", "sn,product,stocked\nＮ０１,P1,2026-10-01\n"))
    assert sql(dbfile, "SELECT sn FROM terminal WHERE sn = 'N01'") == [("N01",)]


@pytest.mark.parametrize("name,reason", [("张" * 201, "最多200个字符"), ("张\x07三", "控制字符"),
                                         ("x" * 100_000, "最多200个字符")])
def test_bad_names_refused(dbfile, tmp_path, capsys, name, reason):
    path = write(tmp_path, "a.csv", f"code,name\nA9,{name}\n")
    refused(dbfile, capsys, "agents", path, "第2行", "「name」列", reason)


@pytest.mark.parametrize("amount", ["፩፪፫", "١٢٣", "۱۲۳"])
def test_other_scripts_digits_refused(dbfile, tmp_path, capsys, amount):
    path = write(tmp_path, "tx.csv", TX + f"X1,2026-10-05 10:00:00,T1,{amount},贷记卡,成功\n")
    refused(dbfile, capsys, "transactions", path, "第2行", "「amount」列", "非0-9")


# ---------------------------------------------------------------- dates

@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-30", "1999-12-31", "9999-12-31", "05/10/2026"])
def test_dates_out_of_range_or_ambiguous_refused(dbfile, tmp_path, capsys, day):
    path = write(tmp_path, "t.csv", f"sn,product,stocked\nN1,P1,{day}\n")
    refused(dbfile, capsys, "terminals", path, "第2行", "「stocked」列")


def test_date_a_year_and_a_day_ahead_refused(dbfile, tmp_path, capsys):
    from app.core import values

    top = values.last_day()
    path = write(tmp_path, "tx.csv", TX + f"X1,{top.isoformat()} 10:00:00,T1,1.00,贷记卡,成功\n"
                 f"X2,{(top + dt.timedelta(days=1)).isoformat()} 10:00:00,T1,1.00,贷记卡,成功\n")
    err = refused(dbfile, capsys, "transactions", path, "第3行", "「time」列", "超出范围")
    assert "第2行" not in err


@pytest.mark.parametrize("day", ["2026年10月5日", "2026.10.5", "2026/10/5", "20261005"])
def test_date_forms_accepted(dbfile, tmp_path, capsys, day):
    imported(dbfile, capsys, "terminals", write(tmp_path, "t.csv", f"sn,product,stocked\nN1,P1,{day}\n"))
    assert sql(dbfile, "SELECT stocked_on FROM terminal WHERE sn = 'N1'") == [("2026-10-05",)]


# ---------------------------------------------------------------- money and rates

@pytest.mark.parametrize("amount,status", [
    ("1000000000.01", "成功"), ("100000000000000000000", "退货"), ("-100000000000000000000", "退货"),
    ("NaN", "成功"), ("inf", "成功"), ("1E+20", "成功"),
])
def test_money_out_of_range_refused(dbfile, tmp_path, capsys, amount, status):
    path = write(tmp_path, "tx.csv", TX + f"X1,2026-10-05 10:00:00,T1,{amount},贷记卡,{status}\n")
    refused(dbfile, capsys, "transactions", path, "第2行", "「amount」列")


def test_money_at_the_limit_accepted(dbfile, tmp_path, capsys):
    path = write(tmp_path, "tx.csv", TX + "X1,2026-10-05 10:00:00,T1,\"1,000,000,000.00\",贷记卡,成功\n"
                 "X2,2026-10-05 10:00:00,T1,-1000000000,贷记卡,退货\n")
    imported(dbfile, capsys, "transactions", path)
    assert sql(dbfile, "SELECT amount FROM txn ORDER BY tx_id") == [(100_000_000_000,), (-100_000_000_000,)]


def test_rates_and_tax_ranges(dbfile, tmp_path, capsys):
    path = write(tmp_path, "p.csv", "product,effective_from,credit_rate,debit_rate,scan_rate\n"
                 "P1,2026-11-01,10.01%,0.5%,0.3%\n")
    refused(dbfile, capsys, "prices", path, "第2行", "「credit_rate」列", "超出范围")
    refused(dbfile, capsys, "agents", write(tmp_path, "a.csv", "code,name,tax_rate\nA9,赵,100.5%\n"),
            "第2行", "「tax_rate」列")
    imported(dbfile, capsys, "agents", write(tmp_path, "a2.csv", "code,name,tax_rate\nA9,赵,100%\n"))


# ---------------------------------------------------------------- XLSX cells

def _xlsx(path, rows, formulas=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for ref, f in formulas:
        ws[ref] = f
    wb.save(path)
    return path


def test_xlsx_long_number_sn_refused_short_one_read_as_digits(dbfile, tmp_path, capsys):
    path = _xlsx(tmp_path / "t.xlsx", [["sn", "product", "stocked"], [12345678901234567890, "P1", "2026-10-01"]])
    refused(dbfile, capsys, "terminals", path, "第2行", "「sn」列", "请把该列设为文本格式后重新导出")
    path = _xlsx(tmp_path / "t2.xlsx", [["sn", "product", "stocked"], [123456789012345, "P1", "2026-10-01"]])
    imported(dbfile, capsys, "terminals", path)
    assert sql(dbfile, "SELECT COUNT(*) FROM terminal WHERE sn = '123456789012345'") == [(1,)]


def test_xlsx_formula_without_cached_value_refused(dbfile, tmp_path, capsys):
    # openpyxl writes formulas without a cached value, as a program that does not calculate
    path = _xlsx(tmp_path / "tx.xlsx", [TX.strip().split(","), ["X1", "2026-10-05 10:00:00", "T1", None, "贷记卡", "成功"]],
                 formulas=[("D2", "=1+1")])
    refused(dbfile, capsys, "transactions", path, "第2行", "「amount」列", "公式单元格没有计算结果")


def test_xlsx_formula_cached_value_is_read(dbfile, tmp_path, capsys):
    path = _xlsx(tmp_path / "tx.xlsx", [TX.strip().split(","), ["X1", "2026-10-05 10:00:00", "T1", 12.5, "贷记卡", "成功"]])
    # add a cached value to a formula cell by hand: <c r="D2"><f>10+2.5</f><v>12.5</v></c>
    import zipfile

    src = zipfile.ZipFile(path)
    out_path = tmp_path / "tx2.xlsx"
    with zipfile.ZipFile(out_path, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="D2" t="n"><v>12.5</v></c>', b'<c r="D2"><f>10+2.5</f><v>12.5</v></c>')
                assert b"<f>10+2.5</f>" in data
            out.writestr(item, data)
    imported(dbfile, capsys, "transactions", out_path)
    assert sql(dbfile, "SELECT amount FROM txn") == [(1250,)]


# ---------------------------------------------------------------- summary rows

def test_summary_row_amid_data_refused(dbfile, tmp_path, capsys):
    path = write(tmp_path, "tx.csv", TX + "X1,2026-10-05 10:00:00,T1,1.00,贷记卡,成功\n合计,,,1.00,,\n"
                 "X2,2026-10-05 11:00:00,T1,2.00,贷记卡,成功\n")
    refused(dbfile, capsys, "transactions", path, "第3行", "「tx_id」列", "夹在数据行中间")


def test_summary_block_left_out_checked_and_reported(dbfile, tmp_path, capsys):
    rows = "X1,2026-10-05 10:00:00,T1,1.00,贷记卡,成功\nX2,2026-10-05 11:00:00,T1,2.50,贷记卡,失败\n"
    # 3.50 = every row as written; 1.00 = the successful ones; both agree
    for total in ("3.50", "1.00"):
        path = write(tmp_path, f"tx{total}.csv", TX + rows + f"合计,,,{total},,\n总交易单数：2,,,,,\n")
        out = imported(dbfile, capsys, "transactions", path)
        assert "第4、5行是合计行,未作为数据导入,已核对笔数和金额相符" in out
    assert sql(dbfile, "SELECT COUNT(*) FROM txn") == [(2,)]


@pytest.mark.parametrize("trailer,reason", [("合计,,,9.99,,", "合计金额"), ("总交易单数：3,,,,,", "写明 3 笔")])
def test_summary_block_that_disagrees_means_cut_short(dbfile, tmp_path, capsys, trailer, reason):
    path = write(tmp_path, "tx.csv", TX + "X1,2026-10-05 10:00:00,T1,1.00,贷记卡,成功\n" + trailer + "\n")
    refused(dbfile, capsys, "transactions", path, reason, "不完整")


# ---------------------------------------------------------------- files

def test_header_only_imports_nothing_and_says_so(dbfile, tmp_path, capsys):
    before = dump(dbfile)
    out = imported(dbfile, capsys, "transactions", write(tmp_path, "tx.csv", TX))
    assert "没有数据行" in out
    assert dump(dbfile) == before


def test_utf16_with_bom_tab_separated_accepted(dbfile, tmp_path, capsys):
    text = "sn\tproduct\tstocked\r\nN1\tP1\t2026-10-01\r\n"
    path = tmp_path / "t.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    imported(dbfile, capsys, "terminals", path)
    assert sql(dbfile, "SELECT COUNT(*) FROM terminal WHERE sn = 'N1'") == [(1,)]


@pytest.mark.parametrize("data", [
    "sn\tproduct\tstocked\r\nN1\tP1\t2026-10-01\r\n".encode("utf-16-le"),  # no BOM
    codecs.BOM_UTF32_LE + "sn,product,stocked\nN1,P1,2026-10-01\n".encode("utf-32-le"),
    b"sn,product,stocked\nN1,P1,2026-10-01\n".replace(b"N1", b"\x81\xff"),
])
def test_other_encodings_refused(dbfile, tmp_path, capsys, data):
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    refused(dbfile, capsys, "terminals", path, "t.csv")


def test_export_habits(dbfile, tmp_path, capsys):
    # a title row, a leading ` and ', the date and the time in two columns
    path = write(tmp_path, "tx.csv", "拉卡拉交易明细 2026年10月\n交易流水号,交易日期,交易时间,终端SN,交易金额,卡类型\n"
                 "`X1,2026-10-05,10:00:00,'T1,1.00,贷记卡\n'X2,2026-10-06,09:30:01,T1,2.00,扫码\n")
    imported(dbfile, capsys, "transactions", path)
    assert sql(dbfile, "SELECT tx_id, time FROM txn ORDER BY tx_id") == [
        ("X1", "2026-10-05 10:00:00"), ("X2", "2026-10-06 09:30:01")]


# ---------------------------------------------------------------- duplicates

def test_same_key_other_data_within_a_file(dbfile, tmp_path, capsys):
    path = write(tmp_path, "tx.csv", TX + "X1,2026-10-05 10:00:00,T1,1.00,贷记卡,成功\n"
                 "X1,2026-10-05 10:00:00,T1,2.00,贷记卡,成功\n")
    refused(dbfile, capsys, "transactions", path, "第3行", "本文件第2行", "金额 ¥1.00 ≠ ¥2.00")
    path = write(tmp_path, "tx2.csv", TX + "X1,2026-10-05 10:00:00,T1,1.00,贷记卡,成功\n" * 2)
    out = imported(dbfile, capsys, "transactions", path)
    assert "新增 1 行" in out and "重复跳过 1 行" in out


def test_identical_adjustments_must_be_merged(dbfile, tmp_path, capsys):
    path = write(tmp_path, "adj.csv", "agent,product,month,amount,reason\nA1,P1,2026-10,-50,押金\nA1,P1,2026-10,-50,押金\n")
    refused(dbfile, capsys, "adjustments", path, "第3行", "合并为一行")


def test_tx_id_seen_before_with_other_data_names_the_earlier_row(dbfile, tmp_path, capsys):
    first = write(tmp_path, "october.csv", TX + "X0,2026-10-04 09:00:00,T1,5.00,扫码,成功\n"
                  "X1,2026-10-05 10:00:00,T1,1.00,贷记卡,成功\n")
    imported(dbfile, capsys, "transactions", first)
    same = write(tmp_path, "again.csv", TX + "X1,2026-10-05 10:00:00,T1,1.00,贷记卡,成功\n")
    assert "重复跳过 1 行" in imported(dbfile, capsys, "transactions", same)
    other = write(tmp_path, "other.csv", TX + "X1,2026-10-05 10:00:00,T2,1.00,贷记卡,撤销\n")
    refused(dbfile, capsys, "transactions", other, "other.csv 第2行", "october.csv 第3行",
            "终端 T1 ≠ T2", "状态 成功 ≠ 撤销")


# ---------------------------------------------------------------- agents imports

def test_own_payout_list_refused_as_agents(dbfile, tmp_path, capsys):
    path = _xlsx(tmp_path / "打款清单.xlsx", [["代理编号", "代理名称", "开户行", "银行卡号", "转账金额(元)"],
                                            ["A1", "张建国", "工行", "6222020000000001", 10.0],
                                            ["合计", "1 人", "", "", 10.0]])
    refused(dbfile, capsys, "agents", path, "第3行", "汇总表", "打款清单")


def test_agents_changes_need_yes_and_can_be_undone(dbfile, tmp_path, capsys):
    from app.core import imports
    from app.models.db import open_database

    changed = write(tmp_path, "a.csv", "code,name,parent,tax_rate\nA1,张建国,,6%\nA3,王伟,A1,0\nA4,新人,A1,0\n")
    err = refused(dbfile, capsys, "agents", changed, "--yes", "A3 王伟:上级 A2 → A1", "A1 张建国:税点 0.00% → 6.00%",
                  "新增代理(1)", "A4 新人")
    assert "调整上级的影响" not in err or "已锁定" not in err
    before = dump(dbfile)
    imported(dbfile, capsys, "agents", changed, "--yes")
    assert sql(dbfile, "SELECT code, parent_id, tax_rate FROM agent ORDER BY code") == [
        ("A1", None, 60000), ("A2", 1, 0), ("A3", 1, 0), ("A4", 1, 0)]
    db = open_database(dbfile)
    try:
        batch = max(b.id for b in imports.import_history() if b.kind == "agents")
        assert [b.undo_blocked for b in imports.import_history() if b.id == batch] == [""]
        imports.undo_batch(batch)
    finally:
        db.close()
    assert [line for line in dump(dbfile) if "agent\"" in line and "INSERT" in line] == [
        line for line in before if "agent\"" in line and "INSERT" in line]
