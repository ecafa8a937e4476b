"""分润单 PDFs, the summary and the payout list, on a small hand-made month.

Statement numbers (2026-10, locked; minimum payout ¥100.00):

* A001 张三, direct, tax 6 %:
  P1 credit 123,456 + debit 80 + scan 25 + cashback 5,000 + bonus 3,000 − penalty 2,000
  + deposit refund 3,900 − deposit deduction 9,900 − adjustment 1,234 = subtotal 122,327;
  P2 scan 600 + carried in −10,000 = −9,400, carried out.
  gross 122,327, tax 7,340 (6 % of 1,223.27 = 73.3962 → 73.40), payable 114,987.
  It also passes on A002's 23,450 (上级代发): the bank gets 138,437 for A001.
* A002 李四, child of A001, via parent: 23,450, tax 0.
* A003 王五, on hold: gross 15,000 carried forward, nothing paid.
* A004 赵六, below the minimum: gross 5,000 (after tax 47.00 < 100.00), carried forward.
* A005 "=HYPERLINK(…)", direct: 100,000.
* A006 钱七, direct: 10,002,000,345 (壹亿零贰万零叁元肆角伍分).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.core.money import format_money, money_in_words
from app.io.slips import (
    WATERMARK,
    mask_account,
    mask_id,
    mask_phone,
    render_batch,
    render_slip,
    slip_data,
    slip_file_name,
    write_payout_list,
)
from app.models import (
    Adjustment,
    AgencyMargin,
    Agent,
    MonthState,
    Product,
    Setting,
    Statement,
    StatementLine,
    Terminal,
    TerminalEvent,
    Txn,
)

MONTH = "2026-10"
OPEN_MONTH = "2026-11"
HYPERLINK = '=HYPERLINK("http://evil.example/x","点我")'


def _statement(agent, month, lines, *, gross, tax, payable, paid, on_hold=False, paid_by=None):
    st = Statement.create(
        month=month, agent=agent, gross=gross, tax=tax, payable=payable,
        paid=paid, on_hold=on_hold, paid_by=paid_by,
    )  # fmt: skip
    for product, values in lines:
        StatementLine.create(statement=st, product=product, **values)
    return st


def build_month(db):
    """The month described in the module docstring; returns agents and products by code."""
    for key, value in {
        "agency_name": "鑫联支付服务中心",
        "min_payout": "10000",
        "agency_address": "杭州市西湖区文三路 90 号",
        "agency_phone": "0571-88886666",
    }.items():
        Setting.create(key=key, value=value)
    p1 = Product.create(code="P1", name="拉卡拉电签 X1", qualify_days=30, qualify_volume=1_000_000)
    p2 = Product.create(code="P2", name="盛付通 S2")
    common = {"id_no": "110101199001011234", "bank": "招商银行杭州分行"}
    a1 = Agent.create(code="A001", name="张三", phone="13812345678", tax_rate=60_000,
                      bank_account="6225880112345678", **common)  # fmt: skip
    a2 = Agent.create(code="A002", name="李四", parent=a1, payout="via_parent", phone="13900001111",
                      bank_account="6222000000009999", **common)  # fmt: skip
    a3 = Agent.create(code="A003", name="王五", status="on_hold", phone="13700002222",
                      bank_account="6222000000007777", **common)  # fmt: skip
    a4 = Agent.create(code="A004", name="赵六", tax_rate=60_000, phone="13600003333",
                      bank_account="6222000000006666", **common)  # fmt: skip
    a5 = Agent.create(code="A005", name=HYPERLINK, phone="13500004444",
                      bank_account="6222000011112222333", **common)  # fmt: skip
    a6 = Agent.create(code="A006", name="钱七", phone="13400005555",
                      bank_account="6222000000005555", **common)  # fmt: skip

    _statement(
        a1, MONTH,
        [
            (p1, dict(credit_count=3, credit_volume=20_576_000, credit_amount=123_456,
                      debit_count=1, debit_volume=800_000, debit_amount=80,
                      scan_count=2, scan_volume=50_000, scan_amount=25,
                      cashback=5_000, qualify_bonus=3_000, unqualified_penalty=-2_000,
                      deposit_refund=3_900, deposit_deduction=-9_900, adjustment=-1_234,
                      carried_in=0, subtotal=122_327, carried_out=0)),
            (p2, dict(scan_count=5, scan_volume=300_000, scan_amount=600,
                      carried_in=-10_000, subtotal=-9_400, carried_out=-9_400)),
        ],
        gross=122_327, tax=7_340, payable=114_987, paid=True,
    )  # fmt: skip
    Adjustment.create(agent=a1, product=p1, month=MONTH, original_month="2026-09",
                      amount=-1_234, reason="9月少扣手续费补扣")  # fmt: skip
    _statement(
        a2, MONTH,
        [(p1, dict(credit_count=2, credit_volume=1_000_000, credit_amount=23_450,
                   subtotal=23_450))],
        gross=23_450, tax=0, payable=23_450, paid=True, paid_by=a1,
    )  # fmt: skip
    _statement(
        a3, MONTH,
        [(p1, dict(credit_count=1, credit_volume=500_000, credit_amount=15_000,
                   subtotal=15_000, carried_out=15_000))],
        gross=15_000, tax=0, payable=0, paid=False, on_hold=True,
    )  # fmt: skip
    _statement(
        a4, MONTH,
        [(p1, dict(credit_count=1, credit_volume=200_000, credit_amount=5_000,
                   subtotal=5_000, carried_out=5_000))],
        gross=5_000, tax=0, payable=0, paid=False,
    )  # fmt: skip
    _statement(
        a5, MONTH,
        [(p1, dict(credit_count=1, credit_volume=1_000_000, credit_amount=100_000,
                   subtotal=100_000))],
        gross=100_000, tax=0, payable=100_000, paid=True,
    )  # fmt: skip
    _statement(
        a6, MONTH,
        [(p1, dict(credit_count=9_999, credit_volume=987_654_321_000,
                   credit_amount=10_002_000_345, subtotal=10_002_000_345))],
        gross=10_002_000_345, tax=0, payable=10_002_000_345, paid=True,
    )  # fmt: skip
    AgencyMargin.create(month=MONTH, product=p1, pool=300_000, margin=45_678)
    AgencyMargin.create(month=MONTH, product=p2, pool=1_000, margin=400)

    # a few terminals so that the team table has numbers
    for i, (holder, act) in enumerate([(a1, 5), (a2, 8), (a2, None), (a2, 12)]):
        t = Terminal.create(sn=f"SN{i}", product=p1, stocked_on=dt.date(2026, 9, 1),
                            status="allocated", holder=holder,
                            activated_on=dt.date(2026, 10, act) if act else None)  # fmt: skip
        TerminalEvent.create(terminal=t, date=dt.date(2026, 9, 2), action="allocate",
                             to_agent=holder)  # fmt: skip
        Txn.create(tx_id=f"TX{i}", terminal=t, product=p1, time="2026-10-15 10:00:00",
                   date=dt.date(2026, 10, 15), month=MONTH, amount=100_000 * (i + 1),
                   category="credit", status="success")  # fmt: skip

    # the next month is still open
    _statement(
        a1, OPEN_MONTH,
        [(p1, dict(credit_count=1, credit_volume=300_000, credit_amount=3_000, subtotal=3_000,
                   carried_out=3_000))],
        gross=3_000, tax=0, payable=0, paid=False,
    )  # fmt: skip
    MonthState.create(month=OPEN_MONTH, state="open", computed_at=dt.datetime(2026, 12, 1, 9, 0))
    # locked last: the database refuses rows written into a locked month (migration 9)
    MonthState.create(month=MONTH, state="locked", computed_at=dt.datetime(2026, 11, 2, 18, 0),
                      locked_at=dt.datetime(2026, 11, 3, 10, 0, 0))  # fmt: skip
    return {a.code: a for a in (a1, a2, a3, a4, a5, a6)}


@pytest.fixture
def month(db):
    return build_month(db)


def pdf_text(path) -> str:
    """All text of a PDF with white space removed (extraction spaces CJK freely)."""
    reader = PdfReader(str(path))
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


def test_money_in_words():
    assert money_in_words(0) == "零元整"
    assert money_in_words(5) == "伍分"
    assert money_in_words(1_000) == "壹拾元整"
    assert money_in_words(100_000_100) == "壹佰万零壹元整"
    assert money_in_words(10_002_000_345) == "壹亿零贰万零叁元肆角伍分"


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id("110101199001011234") == "1101**********1234"
    assert mask_account("6225 8801 1234 5678") == "**** 5678"
    assert mask_phone("") == mask_id("") == mask_account("") == ""


def test_slip_shows_every_figure_of_the_statement(month, tmp_path):
    data = slip_data(MONTH, "A001")
    path = tmp_path / "a001.pdf"
    render_slip(data, path, locked=True)
    text = pdf_text(path)
    st = Statement.get(month=MONTH, agent=month["A001"])
    figures = [st.gross, st.tax, st.payable]
    for line in st.lines:
        for cat in ("credit", "debit", "scan"):
            figures += [getattr(line, f"{cat}_volume"), getattr(line, f"{cat}_amount")]
            assert f"{getattr(line, f'{cat}_count'):,}" in text
        figures += [
            line.cashback, line.qualify_bonus, line.unqualified_penalty, line.deposit_refund,
            line.deposit_deduction, line.adjustment, line.carried_in, line.subtotal,
            line.carried_out,
        ]  # fmt: skip
    for fen in figures:
        assert format_money(fen) in text, format_money(fen)
    assert "¥1,149.87" in text and "壹仟壹佰肆拾玖元捌角柒分" in text
    assert "¥73.40" in text and "6.00%" in text
    for words in ("分润单2026年10月", "鑫联支付服务中心", "A001", "张三", "138****5678",
                  "1101**********1234", "****5678", "直结", "9月少扣手续费补扣",
                  "拉卡拉电签X1", "盛付通S2", "经办人", "代理商签字", "日期",
                  "第1页/共1页", data.fingerprint, "本月已锁定", "2026-11-0310:00:00"):  # fmt: skip
        assert words in text, words
    assert "6225880112345678" not in text  # never the full account on paper
    # A001 passes A002's money on: listed with the total it receives
    assert "代发明细" in text and "A002" in text and "¥234.50" in text
    assert "¥1,384.37" in text  # 1,149.87 + 234.50
    # team figures: A001 holds 1 + A002's 3 terminals, 3 activated in October
    assert "本人团队" in text
    assert WATERMARK.replace(" ", "") not in text


def test_via_parent_and_not_paid_slips(month, tmp_path):
    cases = {
        "A002": ["上级代发", "A001张三", "¥234.50", "贰佰叁拾肆元伍角"],
        "A003": ["停发", "本月不发放", "¥150.00", "零元整"],
        "A004": ["低于起付金额", "¥100.00", "¥47.00", "结转下月", "¥50.00", "零元整"],
        "A006": ["¥100,020,003.45", "壹亿零贰万零叁元肆角伍分", "9,999"],
    }
    for code, expected in cases.items():
        path = tmp_path / f"{code}.pdf"
        render_slip(slip_data(MONTH, code), path, locked=True)
        text = pdf_text(path)
        for words in expected:
            assert words in text, (code, words)


@pytest.mark.parametrize(
    "fen, words",
    [
        (0, "零元整"),
        (5, "伍分"),
        (1_000, "壹拾元整"),
        (100_000_100, "壹佰万零壹元整"),
        (10_002_000_345, "壹亿零贰万零叁元肆角伍分"),
    ],
)
def test_words_on_the_slip(month, tmp_path, fen, words):
    data = dataclasses.replace(slip_data(MONTH, "A005"), payable=fen)
    path = tmp_path / "w.pdf"
    render_slip(data, path, locked=True)
    text = pdf_text(path)
    assert words in text and format_money(fen) in text


def test_long_slip_repeats_header_and_numbers_pages(month, tmp_path):
    data = slip_data(MONTH, "A001")
    data.team = data.team * 40  # 80 team rows: the slip flows onto more pages
    path = tmp_path / "long.pdf"
    render_slip(data, path, locked=True)
    pages = [re.sub(r"\s+", "", p.extract_text()) for p in PdfReader(str(path)).pages]
    assert len(pages) >= 2
    for i, text in enumerate(pages, start=1):
        assert "分润单2026年10月" in text and "代理商A001张三" in text
        assert f"第{i}页/共{len(pages)}页" in text
        assert data.fingerprint in text
    assert "持有机具" in pages[-1]  # the team table's header row is repeated


def test_font_is_embedded(month, tmp_path):
    path = tmp_path / "a001.pdf"
    render_slip(slip_data(MONTH, "A001"), path, locked=True)
    reader = PdfReader(str(path))
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/FontDescriptor"].get_object()
            fonts.append((str(font["/BaseFont"]), "/FontFile2" in descriptor))
    assert fonts
    assert all("WenQuanYi" in name and embedded for name, embedded in fonts), fonts


def test_locked_slip_is_byte_identical(month, tmp_path):
    first, second = tmp_path / "1.pdf", tmp_path / "2.pdf"
    render_slip(slip_data(MONTH, "A001"), first, locked=True)
    time.sleep(1.1)  # a clock that leaked into the file would show now
    render_slip(slip_data(MONTH, "A001"), second, locked=True)
    assert first.read_bytes() == second.read_bytes()
    assert b"D:20261103100000" in first.read_bytes()  # creation date = lock time


def test_open_month_is_watermarked(month, tmp_path):
    data = slip_data(OPEN_MONTH, "A001")
    assert not data.locked
    path = tmp_path / "open.pdf"
    render_slip(data, path, locked=False)
    text = pdf_text(path)
    assert "未锁定" in text and "草稿" in text
    assert "¥30.00" in text


def _listing(out: Path) -> list[str]:
    return sorted(os.listdir(out))


@pytest.mark.parametrize("processes", [1, 2])
def test_batch_writes_every_file(month, tmp_path, processes):
    out = tmp_path / "out"
    seen = []
    result = render_batch(
        MONTH, out, processes=processes, progress=lambda d, t: seen.append((d, t))
    )
    assert not result.cancelled
    codes = ["A001", "A002", "A003", "A004", "A005", "A006"]
    names = {a.code: a.name for a in month.values()}
    expected = sorted(
        [slip_file_name(MONTH, c, names[c]) for c in codes]
        + [f"{MONTH}_全部分润单.pdf", f"{MONTH}_汇总.pdf"]
    )
    assert _listing(out) == expected
    assert f"{MONTH}_A001_张三.pdf" in expected
    assert slip_file_name(MONTH, "A005", HYPERLINK) == (
        "2026-10_A005_=HYPERLINK(_http_evil.example_x_,_点我_).pdf"
    )
    assert seen[-1][0] == seen[-1][1] and seen[0][0] == 0
    # the combined file holds every slip in tree order: A001, A002 (its child), A003 …
    combined = PdfReader(str(out / f"{MONTH}_全部分润单.pdf"))
    per_agent = sum(len(PdfReader(str(p)).pages) for p in result.files)
    assert len(combined.pages) == per_agent
    firsts = [re.sub(r"\s+", "", p.extract_text()) for p in combined.pages]
    order = [next(c for c in codes if f"代理商{c}" in t) for t in firsts]
    assert order == codes
    summary = pdf_text(out / f"{MONTH}_汇总.pdf")
    for code in codes:
        assert code in summary
    total_payable = sum(s.payable for s in Statement.select().where(Statement.month == MONTH))
    assert format_money(total_payable) in summary
    assert "¥456.78" in summary and "¥4.00" in summary and "¥460.78" in summary


def test_batch_one_agent(month, tmp_path):
    out = tmp_path / "one"
    result = render_batch(MONTH, out, agent_code="A002")
    assert _listing(out) == ["2026-10_A002_李四.pdf"]
    assert result.combined is None and result.summary is None


@pytest.mark.parametrize("processes", [1, 2])
def test_cancel_leaves_nothing(month, tmp_path, processes):
    out = tmp_path / "cancel"
    result = render_batch(MONTH, out, processes=processes, cancel=lambda: True)
    assert result.cancelled and result.files == []
    assert _listing(out) == []

    # cancelled half way: still nothing, not even the temporary folder
    ticks = []

    def cancel_after_first() -> bool:
        return len(ticks) > 1

    result = render_batch(
        MONTH, out, processes=processes, progress=lambda d, t: ticks.append(d),
        cancel=cancel_after_first,
    )  # fmt: skip
    assert result.cancelled
    assert _listing(out) == []


def test_payout_list(month, tmp_path):
    path = tmp_path / "payout.xlsx"
    assert write_payout_list(MONTH, path) == 3
    ws = load_workbook(path).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][:5] == ["代理编号", "代理名称", "开户行", "银行卡号", "转账金额(元)"]
    body = {r[0]: r for r in rows[1:-1]}
    assert set(body) == {"A001", "A005", "A006"}  # A002 via A001; A003/A004 not paid
    assert body["A001"][3] == "6225880112345678"
    assert body["A001"][4] == pytest.approx(1384.37)  # own 1,149.87 + A002's 234.50
    assert body["A001"][5] == pytest.approx(1149.87)
    assert body["A001"][6] == pytest.approx(234.50)
    assert body["A006"][4] == pytest.approx(100_020_003.45)
    total = rows[-1]
    assert total[0] == "合计" and total[1] == "3 人"
    assert total[4] == pytest.approx(1384.37 + 1000 + 100_020_003.45)
    name_cell = ws.cell(row=[r[0] for r in rows].index("A005") + 1, column=2)
    assert name_cell.value == HYPERLINK
    assert name_cell.data_type == "s"
    assert name_cell.quotePrefix
    assert ws.cell(row=2, column=5).number_format == "#,##0.00"
    assert ws.cell(row=len(rows), column=5).number_format == "#,##0.00"


def test_unknown_agent(month):
    from app.core.errors import UserError

    with pytest.raises(UserError):
        slip_data(MONTH, "NOPE")


def test_combined_file_numbers_pages_per_slip(month, tmp_path, monkeypatch):
    """The combined file copies the pages drawn for each agent's own file: a slip over
    three pages is numbered 1-3 of 3 there too, and the next slip starts again at 1."""
    from app.io import slips

    plain = slips.MonthSnapshot.slip

    def long_slip(self, agent_id):
        data = plain(self, agent_id)
        if data.agent_code == "A001":
            data.team = data.team * 40
        return data

    monkeypatch.setattr(slips.MonthSnapshot, "slip", long_slip)
    out = tmp_path / "out"
    result = render_batch(MONTH, out, processes=1)
    pages = [re.sub(r"\s+", "", p.extract_text()) for p in PdfReader(str(result.combined)).pages]
    own = PdfReader(str(out / slip_file_name(MONTH, "A001", "张三"))).pages
    assert len(own) >= 3
    for i in range(len(own)):
        assert "代理商A001张三" in pages[i] and f"第{i + 1}页/共{len(own)}页" in pages[i]
    assert "代理商A002李四" in pages[len(own)] and "第1页/共1页" in pages[len(own)]
    assert len(pages) == len(own) + 5


def test_batch_file_is_the_printed_slip(month, tmp_path):
    """A locked slip from the batch is byte for byte the slip printed alone."""
    out = tmp_path / "out"
    render_batch(MONTH, out, processes=1)
    alone = tmp_path / "alone.pdf"
    render_slip(slip_data(MONTH, "A004"), alone, locked=True)
    assert (out / slip_file_name(MONTH, "A004", "赵六")).read_bytes() == alone.read_bytes()
