"""app/io/reader.py: encodings, headers, cells, row numbers, refusals, profiles, streaming.

``tests/data/transactions_sample.xls`` is a real BIFF8 file made once with xlwt (not a
dependency of the project)::

    wb = xlwt.Workbook(encoding="utf-8"); wb.add_sheet("说明").write(0, 0, "本文件为测试数据")
    ws = wb.add_sheet("交易明细")   # row 1 blank, header on row 2, rows 3, 4, (5 blank), 6
    header 交易流水号 交易时间 终端SN 交易金额(元) 卡类型 交易状态 清算日期
    T0001 2026-10-05 14:03:22 SN0001 12.3 贷记卡 成功 2026-10-06
    T0002 2026-10-05 00:00:00 SN0002 1234567.0 微信 撤销 2026-10-06
    T0003 2026-10-06 09:30:00 SN0003 0.1+0.2 借记卡 成功 2026-10-07
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest

from app.core.errors import UserError
from app.core.money import normalize_text
from app.io import reader
from app.io.reader import (
    KIND_COLUMNS,
    KIND_LABELS,
    KINDS,
    header_key,
    list_profiles,
    open_table,
)

DATA = Path(__file__).resolve().parents[2] / "data"

TX_KEYS = ["tx_id", "time", "sn", "merchant_no", "amount", "category", "status", "fee"]
TX_HEADER = ["交易流水号", "交易时间", "终端SN", "交易金额", "卡类型", "交易状态"]
TX_ROWS = [
    ["T001", "2026-10-05 14:03:22", "SN001", "12.30", "贷记卡", "成功"],
    ["T002", "2026/10/5", "SN002", "￥1,230.00", "微信", "撤销"],  # full-width yuan sign
]


def write_csv(
    path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(
    path: Path, rows: list[list[object]], sheets: dict[str, list[list[object]]] | None = None
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for r, row in enumerate(rows, 1):
        for c, v in enumerate(row, 1):
            if v is not None:
                ws.cell(r, c, v)
    for title, more in (sheets or {}).items():
        extra = wb.create_sheet(title)
        for r, row in enumerate(more, 1):
            for c, v in enumerate(row, 1):
                if v is not None:
                    extra.cell(r, c, v)
    wb.save(path)
    return path


def patch_sheet_xml(path: Path, old: str, new: str) -> None:
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert old.encode() in parts[sheet]
    parts[sheet] = parts[sheet].replace(old.encode(), new.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def read_all(
    path: Path,
    kind: str = "transactions",
    keys: list[str] | None = None,
    profile: str | None = None,
):
    table = open_table(path, kind, profile)
    return list(table.rows(keys or ["tx_id", "time", "sn", "amount", "category", "status"]))


def error_of(path: Path, kind: str = "transactions", profile: str | None = None) -> str:
    with pytest.raises(UserError) as info:
        open_table(path, kind, profile)
    return str(info.value)


# ---------------------------------------------------------------------------- the column table


def test_every_kind_has_columns_and_a_label():
    assert set(KIND_COLUMNS) == set(KINDS) == set(KIND_LABELS)
    assert KIND_LABELS["transactions"] == "交易"
    for kind, specs in KIND_COLUMNS.items():
        keys = [s.key for s in specs]
        assert len(keys) == len(set(keys)), kind
        seen: dict[str, str] = {}
        for spec in specs:
            assert spec.key in spec.names  # the English name is always accepted
            for name in spec.names:
                assert seen.setdefault(header_key(name), spec.key) == spec.key, (kind, name)


def test_required_columns_follow_formats_md():
    required = {k: {s.key for s in specs if s.required} for k, specs in KIND_COLUMNS.items()}
    assert required["transactions"] == {"tx_id", "time", "sn", "amount", "category"}
    assert required["agents"] == {"code", "name"}
    assert required["policies"] == {
        "agent",
        "product",
        "effective_from",
        "credit_rate",
        "debit_rate",
        "scan_rate",
    }
    assert required["moves"] == {"sn", "date", "action"}
    assert required["adjustments"] == {"agent", "product", "month", "amount", "reason"}


# ---------------------------------------------------------------------------- CSV encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings_read_the_same(tmp_path, encoding):
    path = write_csv(tmp_path / "tx.csv", [TX_HEADER, *TX_ROWS], encoding=encoding)
    rows = read_all(path)
    assert rows == [
        (2, ["T001", "2026-10-05 14:03:22", "SN001", "12.30", "贷记卡", "成功"]),
        (3, ["T002", "2026/10/5", "SN002", "¥1,230.00", "微信", "撤销"]),
    ]


def test_gbk_detected_even_when_the_sample_cuts_a_character(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "tx.csv", [TX_HEADER, *TX_ROWS * 50], encoding="gbk")
    data = path.read_bytes()
    # a sample ending in the middle of a two-byte character
    monkeypatch.setattr(reader, "_SAMPLE_BYTES", data.index("贷".encode("gbk")) + 1)
    table = open_table(path, "transactions")
    assert table.encoding == "gb18030"
    assert list(table.rows(["category"]))[0] == (2, ["贷记卡"])


def test_utf8_detected_when_the_sample_cuts_a_character(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "tx.csv", [TX_HEADER, *TX_ROWS * 50])
    monkeypatch.setattr(reader, "_SAMPLE_BYTES", path.read_bytes().index("贷".encode()) + 1)
    assert open_table(path, "transactions").encoding == "utf-8"


def test_decoding_error_after_the_sample_names_the_row(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "_SAMPLE_BYTES", 4096)
    rows = [TX_HEADER] + [
        [f"T{i}", "2026-10-05", f"SN{i}", "1.00", "credit", "success"] for i in range(1, 500)
    ]
    path = write_csv(tmp_path / "tx.csv", rows)
    with open(path, "ab") as f:  # row 501 written by another program in GBK
        f.write("T500,2026-10-05,SN500,1.00,贷记卡,成功\r\n".encode("gbk"))
        f.write(b"T501,2026-10-05,SN501,1.00,credit,success\r\n")
    table = open_table(path, "transactions")
    with pytest.raises(UserError) as info:
        list(table.rows(["tx_id"]))
    assert "tx.csv 第501行" in str(info.value)
    assert "UTF-8" in str(info.value)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    path = write_csv(tmp_path / "tx.csv", [TX_HEADER, *TX_ROWS], delimiter=delimiter)
    assert read_all(path)[1][1][3] == "¥1,230.00"


def test_tab_separated_text_saved_as_xls_is_read(tmp_path):
    path = write_csv(tmp_path / "export.xls", [TX_HEADER, *TX_ROWS], encoding="gbk", delimiter="\t")
    assert [r for r, _ in read_all(path)] == [2, 3]


def test_quoted_fields_and_multiline_cells_count_as_one_row(tmp_path):
    path = tmp_path / "tx.csv"
    path.write_text(
        "交易流水号,交易时间,终端SN,交易金额,卡类型,备注\n"
        'T1,2026-10-05,SN1,"1,230.00",贷记卡,"第一行\n第二行"\n'
        "T2,2026-10-05,SN2,5.00,借记卡,\n",
        encoding="utf-8",
    )
    rows = read_all(path, keys=["tx_id", "amount"])
    assert rows == [(2, ["T1", "1,230.00"]), (3, ["T2", "5.00"])]


# ---------------------------------------------------------------------------- headers


def test_english_headers(tmp_path):
    header = ["tx_id", "time", "SN", "Amount", "CATEGORY", "status", "merchant_no", "fee"]
    row = ["T9", "2026-10-05", "SN9", "3.00", "credit", "success", "M1", "0.01"]
    path = write_csv(tmp_path / "tx.csv", [header, row])
    assert read_all(path, keys=TX_KEYS) == [
        (2, ["T9", "2026-10-05", "SN9", "M1", "3.00", "credit", "success", "0.01"])
    ]


def test_header_spelling_variants(tmp_path):
    header = [
        "  交易流水号*",
        "交易 时间",
        "ＳＮ",
        "交易金额（元）",
        "*卡类型",
        "手续费(元)",
        "Merchant No",
        "tx-status",
    ]
    assert header_key("Merchant No") == header_key("merchant_no")
    path = write_csv(
        tmp_path / "tx.csv",
        [header, ["T1", "2026-10-05", "SN1", "1.00", "贷记卡", "0.01", "M1", "成功"]],
    )
    table = open_table(path, "transactions")
    assert table.present == {
        "tx_id": "交易流水号*",
        "time": "交易 时间",
        "sn": "ＳＮ",
        "amount": "交易金额（元）",
        "category": "*卡类型",
        "fee": "手续费(元)",
        "merchant_no": "Merchant No",
    }
    assert table.unknown_columns == ["tx-status"]


def test_column_order_is_free_and_absent_columns_are_blank(tmp_path):
    header = ["卡类型", "交易金额", "终端SN", "交易时间", "交易流水号"]
    path = write_csv(tmp_path / "tx.csv", [header, ["扫码", "9.99", "SN7", "2026-10-05", "T7"]])
    assert read_all(path, keys=TX_KEYS) == [
        (2, ["T7", "2026-10-05", "SN7", "", "9.99", "扫码", "", ""])
    ]
    assert list(open_table(path, "transactions").rows(["status"])) == [(2, [""])]


def test_unknown_columns_are_reported(tmp_path):
    header = [*TX_HEADER, "商户名称", "卡号", ""]
    path = write_csv(tmp_path / "tx.csv", [header, [*TX_ROWS[0], "小张便利店", "6222****", ""]])
    table = open_table(path, "transactions")
    assert table.unknown_columns == ["商户名称", "卡号"]
    assert table.file_name == "tx.csv" and table.kind == "transactions"


def test_duplicate_header_is_refused(tmp_path):
    path = write_csv(tmp_path / "tx.csv", [[*TX_HEADER, "amount"], [*TX_ROWS[0], "12.30"]])
    message = error_of(path)
    assert "tx.csv" in message and "交易金额" in message and "amount" in message


def test_rows_rejects_unknown_keys(tmp_path):
    table = open_table(write_csv(tmp_path / "tx.csv", [TX_HEADER, TX_ROWS[0]]), "transactions")
    with pytest.raises(ValueError):
        list(table.rows(["nonsense"]))


# ---------------------------------------------------------------------------- rows


def test_blank_rows_are_skipped_and_numbered_as_the_spreadsheet_shows(tmp_path):
    rows = [[], ["", "", ""], TX_HEADER, TX_ROWS[0], [], [" ", "\u3000", ""], TX_ROWS[1]]
    path = write_csv(tmp_path / "tx.csv", rows)
    table = open_table(path, "transactions")
    assert table.header_row == 3
    assert [r for r, _ in table.rows(["tx_id"])] == [4, 7]


def test_title_rows_above_the_header_are_skipped(tmp_path):
    rows = [["拉卡拉交易明细"], ["查询时间:2026-10-31"], [], TX_HEADER, *TX_ROWS]
    table = open_table(write_csv(tmp_path / "tx.csv", rows), "transactions")
    assert table.header_row == 4
    assert [r for r, _ in table.rows(["tx_id"])] == [5, 6]


def test_row_with_only_unrequested_columns_is_still_a_row(tmp_path):
    path = write_csv(tmp_path / "tx.csv", [TX_HEADER, TX_ROWS[0], ["", "", "", "", "", "成功"]])
    assert list(open_table(path, "transactions").rows(["tx_id"])) == [(2, ["T001"]), (3, [""])]


def test_short_rows_are_padded(tmp_path):
    path = write_csv(tmp_path / "tx.csv", [TX_HEADER, ["T1", "2026-10-05"], TX_ROWS[0]])
    assert read_all(path)[0] == (2, ["T1", "2026-10-05", "", "", "", ""])


TRICKY = [
    "  SN001 ",
    "\tSN002",
    "ＳＮ００３",
    "\u3000贷记卡\u3000",
    "e\u0301",
    "\u00a0x\u00a0",
    "a\u200bb",
    "①",
    "ｶﾀｶﾅ",
    "a  b",
    "㎡",
    "x\u0085",
]


@pytest.mark.parametrize("raw", TRICKY)
def test_values_are_normalize_text_of_the_cell(tmp_path, raw):
    header = ["交易流水号", "交易时间", "终端SN", "交易金额", "卡类型"]
    row = [raw, "2026-10-05", "贷记卡", raw + "|", raw]
    path = write_csv(tmp_path / "tx.csv", [header, row])
    expected = [normalize_text(v) for v in row]
    assert read_all(path, keys=["tx_id", "time", "sn", "amount", "category"]) == [(2, expected)]
    assert unicodedata.is_normalized("NFKC", "".join(expected))


# ---------------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    "value, text",
    [
        (12.3, "12.3"),
        (1234567.0, "1234567"),
        (12345678.0, "12345678"),
        (0.1 + 0.2, "0.30000000000000004"),
        (12.345, "12.345"),
        (-0.0, "0"),
        (1e-05, "0.00001"),
        (1e20, "1E+20"),
        (7, "7"),
        (True, "TRUE"),
        (None, ""),
        (dt.datetime(2026, 10, 5), "2026-10-05"),
        (dt.datetime(2026, 10, 5, 14, 3, 22), "2026-10-05 14:03:22"),
        (dt.datetime(2026, 10, 5, 14, 3, 21, 999_600), "2026-10-05 14:03:22"),
        (dt.date(2026, 10, 5), "2026-10-05"),
        (dt.time(9, 30, 1), "09:30:01"),
        (dt.timedelta(hours=25, seconds=3), "25:00:03"),
    ],
)
def test_cell_text(value, text):
    assert reader._cell_text(value) == text


def test_xlsx_date_and_number_cells(tmp_path):
    rows = [
        None,
        ["交易流水号", "交易时间", "终端SN", "交易金额(元)", "卡类型", "商户编号"],
        ["T1", dt.datetime(2026, 10, 5, 14, 3, 22), "SN1", 12.3, "贷记卡", 822100058120001],
        None,
        ["T2", dt.date(2026, 10, 6), "SN2", 1234567.0, "借记卡", None],
        ["T3", dt.datetime(2026, 10, 7), "SN3", 0.1 + 0.2, "扫码", "M3"],
    ]
    path = write_xlsx(tmp_path / "tx.xlsx", [r or [] for r in rows])
    # openpyxl writes 0.3; Excel stores the float's 17 digits: put them in as Excel would
    patch_sheet_xml(path, "<v>0.3</v>", "<v>0.30000000000000004</v>")
    table = open_table(path, "transactions")
    assert table.header_row == 2 and table.sheet == "Sheet1"
    assert list(table.rows(["tx_id", "time", "amount", "merchant_no"])) == [
        (3, ["T1", "2026-10-05 14:03:22", "12.3", "822100058120001"]),
        (5, ["T2", "2026-10-06", "1234567", ""]),
        (6, ["T3", "2026-10-07", "0.30000000000000004", "M3"]),
    ]


def test_xlsx_picks_the_sheet_whose_header_matches_and_skips_hidden(tmp_path):
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "请在第二个工作表填写"
    hidden = wb.create_sheet("旧数据")
    for r in [TX_HEADER, ["OLD", "2026-01-01", "SN0", "1", "贷记卡", "成功"]]:
        hidden.append(r)
    hidden.sheet_state = "hidden"
    data = wb.create_sheet("交易")
    for r in [TX_HEADER, *TX_ROWS]:
        data.append(r)
    wb.save(path)
    table = open_table(path, "transactions")
    assert table.sheet == "交易"
    assert [v[0] for _, v in table.rows(["tx_id"])] == ["T001", "T002"]


def test_xls_file(tmp_path):
    table = open_table(DATA / "transactions_sample.xls", "transactions")
    assert table.sheet == "交易明细" and table.header_row == 2
    assert table.unknown_columns == ["清算日期"]
    assert list(table.rows(["tx_id", "time", "amount", "category", "status"])) == [
        (3, ["T0001", "2026-10-05 14:03:22", "12.3", "贷记卡", "成功"]),
        (4, ["T0002", "2026-10-05", "1234567", "微信", "撤销"]),
        (6, ["T0003", "2026-10-06 09:30:00", "0.30000000000000004", "借记卡", "成功"]),
    ]


def test_xls_renamed_to_xlsx_is_still_read(tmp_path):
    path = tmp_path / "renamed.xlsx"
    path.write_bytes((DATA / "transactions_sample.xls").read_bytes())
    assert len(read_all(path)) == 3


def test_xlsx_renamed_to_xls_is_still_read(tmp_path):
    path = write_xlsx(tmp_path / "tx.xlsx", [TX_HEADER, *TX_ROWS])
    renamed = tmp_path / "tx.xls"
    path.rename(renamed)
    assert len(read_all(renamed)) == 2


# ---------------------------------------------------------------------------- refusals


def test_missing_file(tmp_path):
    assert "nope.csv" in error_of(tmp_path / "nope.csv")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert error_of(path) == "empty.csv:文件没有数据行(空文件)"
    path.write_text("\n , \n\n", encoding="utf-8")
    assert "文件没有数据行" in error_of(path)


def test_empty_xlsx(tmp_path):
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    assert "empty.xlsx" in error_of(path) and "文件没有数据行" in error_of(path)


def test_header_only(tmp_path):
    # FORMATS: a header and no data rows imports nothing and says so (exit 0), no error
    path = write_csv(tmp_path / "tx.csv", [TX_HEADER, [], ["", ""]])
    assert open_table(path, "transactions").has_data is False


def test_binary_file_given_as_csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\x01\x02\x00\x00\xff\xfe\x00garbage\x00" * 50)
    message = error_of(path)
    assert message.startswith("data.csv") and "CSV" in message
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert "图片" in error_of(path)


def test_xlsx_saved_as_csv(tmp_path):
    path = write_xlsx(tmp_path / "tx.xlsx", [TX_HEADER, *TX_ROWS])
    renamed = tmp_path / "tx.csv"
    path.rename(renamed)
    assert "Excel" in error_of(renamed)


def test_encrypted_xlsx(tmp_path):
    path = tmp_path / "secret.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 4096)
    assert error_of(path) == "secret.xlsx:文件有密码保护,请先在Excel中取消密码"


def test_corrupt_excel_files(tmp_path):
    bad_zip = tmp_path / "bad.xlsx"
    bad_zip.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 100)
    assert "bad.xlsx" in error_of(bad_zip) and "损坏" in error_of(bad_zip)
    bad_xls = tmp_path / "bad.xls"
    bad_xls.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x01" * 600)
    assert "bad.xls" in error_of(bad_xls)
    noise = tmp_path / "noise.xlsx"
    noise.write_bytes(b"\x00\x01\x02" * 100)
    assert "损坏" in error_of(noise)


def test_html_table_saved_as_xls(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text(
        "<html><body><table><tr><td>交易流水号</td></tr></table></body></html>", encoding="utf-8"
    )
    assert "网页" in error_of(path)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "tx.pdf"
    path.write_bytes(b"%PDF-1.4")
    assert "tx.pdf" in error_of(path) and ".pdf" in error_of(path)


def test_missing_required_column_is_named_in_chinese_and_english(tmp_path):
    header = ["交易流水号", "交易时间", "终端SN", "卡类型"]
    path = write_csv(tmp_path / "tx.csv", [header, ["T1", "2026-10-05", "SN1", "贷记卡"]])
    message = error_of(path)
    assert message.startswith("tx.csv")
    assert "交易金额" in message and "amount" in message
    assert "这似乎是" not in message


def test_wrong_kind_is_recognised(tmp_path):
    header = ["终端SN", "产品编号", "入库日期"]
    path = write_csv(tmp_path / "stock.csv", [header, ["SN1", "P1", "2026-10-01"]])
    message = error_of(path, "transactions")
    assert "这似乎是「机具入库」文件" in message
    tx = write_csv(tmp_path / "tx.csv", [TX_HEADER, *TX_ROWS])
    assert "这似乎是「交易」文件" in error_of(tx, "activations")
    prices = write_csv(
        tmp_path / "prices.csv",
        [
            ["产品编号", "生效日期", "贷记卡费率", "借记卡费率", "扫码费率"],
            ["P1", "2026-10-01", "0.6", "0.5", "0.38"],
        ],
    )
    assert "这似乎是「商户费率」文件" in error_of(prices, "policies")


def test_unknown_profile(tmp_path):
    path = write_csv(tmp_path / "tx.csv", [TX_HEADER, *TX_ROWS])
    message = error_of(path, profile="nosuchco")
    assert "nosuchco" in message and "lakala" in message


def test_profile_for_another_kind(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["代理编号", "代理名称"], ["A1", "张三"]])
    assert "交易" in error_of(path, "agents", profile="lakala")


# ---------------------------------------------------------------------------- profiles


def test_list_profiles():
    profiles = {p["name"]: p for p in list_profiles()}
    assert profiles["lakala"]["company"] == "拉卡拉"
    assert profiles["shengfutong"]["company"] == "盛付通"
    assert profiles["lakala_report"]["kind"] == "company_report"
    assert all(p["description"] and p["kind"] in ("transactions", "company_report") for p in profiles.values())


def test_lakala_profile(tmp_path):
    header = [
        "交易流水号",
        "交易时间",
        "商户编号",
        "商户名称",
        "终端号",
        "交易金额(元)",
        "手续费(元)",
        "卡类型",
        "交易状态",
        "卡号",
    ]
    rows = [
        [
            "202610050001",
            "2026-10-05 14:03:22",
            "822100058120001",
            "小张便利店",
            "LKL001",
            "1,230.00",
            "7.38",
            "贷记卡",
            "交易成功",
            "6225****1234",
        ],
        [
            "202610050002",
            "2026-10-05 14:05:00",
            "822100058120001",
            "小张便利店",
            "LKL001",
            "88.00",
            "0.34",
            "微信",
            "撤销",
            "",
        ],
        [
            "202610050003",
            "2026-10-05 15:00:00",
            "822100058120002",
            "刘记餐饮",
            "LKL002",
            "500.00",
            "2.50",
            "借记卡",
            "冲正",
            "",
        ],
        [
            "202610050004",
            "2026-10-05 16:00:00",
            "822100058120002",
            "刘记餐饮",
            "LKL002",
            "20.00",
            "0.12",
            "准贷记卡",
            "退货",
            "",
        ],
    ]
    path = write_csv(tmp_path / "拉卡拉交易明细.csv", [header, *rows], encoding="gbk")
    table = open_table(path, "transactions", profile="lakala")
    assert table.present["sn"] == "终端号"
    assert table.unknown_columns == ["商户名称", "卡号"]
    assert list(table.rows(TX_KEYS)) == [
        (
            2,
            [
                "202610050001",
                "2026-10-05 14:03:22",
                "LKL001",
                "822100058120001",
                "1,230.00",
                "credit",
                "success",
                "7.38",
            ],
        ),
        (
            3,
            [
                "202610050002",
                "2026-10-05 14:05:00",
                "LKL001",
                "822100058120001",
                "88.00",
                "scan",
                "void",
                "0.34",
            ],
        ),
        (
            4,
            [
                "202610050003",
                "2026-10-05 15:00:00",
                "LKL002",
                "822100058120002",
                "500.00",
                "debit",
                "reversal",
                "2.50",
            ],
        ),
        (
            5,
            [
                "202610050004",
                "2026-10-05 16:00:00",
                "LKL002",
                "822100058120002",
                "20.00",
                "credit",
                "refund",
                "0.12",
            ],
        ),
    ]
    # without the profile the terminal column is not recognised
    assert "终端SN" in error_of(path)


def test_shengfutong_profile(tmp_path):
    header = [
        "系统流水号",
        "交易日期",
        "交易时间",
        "商户号",
        "终端SN号",
        "交易金额(分)",
        "手续费(分)",
        "卡类型",
        "交易状态",
    ]
    rows = [
        [
            "SFT0001",
            20261005,
            140322,
            "8440001",
            "SFT-SN-1",
            123000,
            738,
            2,
            0,
        ],  # Excel dropped the zeros
        ["SFT0002", "20261005", "093022", "8440001", "SFT-SN-1", "5", "0", "01", "02"],
        [
            "SFT0003",
            dt.datetime(2026, 10, 6),
            dt.time(9, 3, 2),
            "8440002",
            "SFT-SN-2",
            "-2000",
            "",
            "03",
            "04",
        ],
        ["SFT0004", "20261006", 93022, "8440002", "SFT-SN-2", "12.5", "", "03", "00"],
    ]
    path = write_xlsx(tmp_path / "盛付通交易.xlsx", [header, *rows])
    table = open_table(path, "transactions", profile="shengfutong")
    assert table.present["time"] == "交易日期+交易时间"
    assert table.unknown_columns == []
    assert list(table.rows(TX_KEYS)) == [
        (
            2,
            [
                "SFT0001",
                "20261005 14:03:22",
                "SFT-SN-1",
                "8440001",
                "1230.00",
                "credit",
                "success",
                "7.38",
            ],
        ),
        (
            3,
            [
                "SFT0002",
                "20261005 09:30:22",
                "SFT-SN-1",
                "8440001",
                "0.05",
                "debit",
                "void",
                "0.00",
            ],
        ),
        (
            4,
            [
                "SFT0003",
                "2026-10-06 09:03:02",
                "SFT-SN-2",
                "8440002",
                "-20.00",
                "scan",
                "refund",
                "",
            ],
        ),
        # not whole fen: left for the amount parser to refuse, never read as yuan
        (
            5,
            [
                "SFT0004",
                "20261006 09:30:22",
                "SFT-SN-2",
                "8440002",
                "12.5分",
                "scan",
                "success",
                "",
            ],
        ),
    ]


def test_profile_missing_its_date_column(tmp_path):
    header = ["系统流水号", "交易时间", "终端SN号", "交易金额(分)", "卡类型"]
    path = write_csv(tmp_path / "sft.csv", [header, ["S1", "140322", "SN1", "100", "02"]])
    message = error_of(path, profile="shengfutong")
    assert "交易日期" in message and "time" in message


def test_a_user_profile_file_with_a_typo_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "profiles_dir", lambda: tmp_path)
    monkeypatch.setattr("app.io.profile_store.office_dir", lambda: None)  # no office open
    (tmp_path / "mine.json").write_text(
        json.dumps({"name": "mine", "company": "某公司", "kind": "transactions", "colums": {}}),
        encoding="utf-8",
    )
    path = write_csv(tmp_path / "tx.csv", [TX_HEADER, *TX_ROWS])
    assert "colums" in error_of(path, profile="mine")
    assert list_profiles() == []


def test_profiles_folder_inside_a_pyinstaller_bundle(tmp_path, monkeypatch):
    (tmp_path / "resources" / "profiles").mkdir(parents=True)
    monkeypatch.setattr(__import__("sys"), "_MEIPASS", str(tmp_path), raising=False)
    assert reader.profiles_dir() == tmp_path / "resources" / "profiles"


# ---------------------------------------------------------------------------- streaming


def test_large_csv_streams_through_rows(tmp_path):
    n = 200_000
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "交易流水号",
                "交易时间",
                "终端SN",
                "商户编号",
                "交易金额",
                "卡类型",
                "交易状态",
                "手续费",
            ]
        )
        cats = ("贷记卡", "借记卡", "扫码")
        for i in range(n):
            w.writerow(
                [
                    f"T{i:010d}",
                    "2026-10-05 14:03:22",
                    f"SN{i % 5000:08d}",
                    "M1",
                    "12.30",
                    cats[i % 3],
                    "成功",
                    "0.07",
                ]
            )
    table = open_table(path, "transactions")
    count = 0
    last = None
    for row, values in table.rows(TX_KEYS):
        count += 1
        last = row, values
    assert count == n
    assert last == (
        n + 1,
        [
            f"T{n - 1:010d}",
            "2026-10-05 14:03:22",
            "SN00004999",
            "M1",
            "12.30",
            "借记卡",
            "成功",
            "0.07",
        ],
    )
    # rows() can be read again (e.g. a validation pass, then the write pass)
    assert sum(1 for _ in table.rows(["tx_id"])) == n


def test_short_gbk_file_is_read_as_gbk_not_big5(tmp_path):
    # a three-line product list: too short for a statistical guess to be trusted
    path = tmp_path / "products.csv"
    path.write_bytes("产品编号,产品名称\nP1,电签\n".encode("gbk"))
    table = reader.open_table(path, "products")
    assert table.encoding == "gb18030"
    assert list(table.rows(["code", "name"])) == [(2, ["P1", "电签"])]
