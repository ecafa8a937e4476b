"""Import templates (导入模板): for each kind of import, an xlsx with the Chinese headers,
one example row and a 说明 sheet with each column's rules, so that a new office can fill
its first files without reading a manual.  The headers are the canonical Chinese names the
importer reads (``app.io.importers``), so a template filled in imports as it is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.core.errors import UserError
from app.io.reader import KIND_COLUMNS, KIND_LABELS, KINDS


@dataclass(frozen=True)
class Col:
    header: str
    required: bool
    rule: str
    example: str


_CODE = "1–40 个字符:字母(可含汉字)、数字、- 和 _,不能有空格"
_MONEY = "元,最多两位小数,如 12.30 或 ¥1,230.00"
_RATE = "费率,如 0.60% 或 0.0060(0–10%)"
_DATE = "日期,如 2026-10-05、2026/10/5、20261005 或 Excel 日期"
_NAME = "最多 200 个字符"

TITLES = KIND_LABELS  # the names the import window shows

COLUMNS: dict[str, list[Col]] = {
    "products": [
        Col("产品编号", True, _CODE, "P01"),
        Col("产品名称", True, _NAME, "拉卡拉电签"),
        Col("支付公司", False, _NAME, "拉卡拉"),
        Col("激活门槛", False, "元;首笔成功交易不低于此额才算激活,默认 0.01", "1.00"),
        Col("达标天数", False, "激活后多少天内考核交易额;空 = 不考核", "90"),
        Col("达标交易额", False, _MONEY + ";考核期内要达到的交易额", "50000.00"),
        Col("押金期限天数", False, "下发后多少天内激活才退押金;空 = 不限", "60"),
        Col("公司激活返现", False, _MONEY + ";支付公司每台激活返给本机构", "150.00"),
        Col("公司达标奖励", False, _MONEY, "100.00"),
        Col("公司未达标扣款", False, _MONEY, "50.00"),
    ],
    "prices": [
        Col("产品编号", True, "已导入的产品编号", "P01"),
        Col("生效日期", True, _DATE + ";从这天起按本行费率", "2026-10-01"),
        Col("贷记卡费率", True, _RATE, "0.60%"),
        Col("借记卡费率", True, _RATE, "0.55%"),
        Col("借记卡封顶", False, "元;借记卡单笔手续费上限,空 = 不封顶", "25.00"),
        Col("扫码费率", True, _RATE, "0.38%"),
        Col("单笔手续费", False, "元;每笔另收", "0"),
    ],
    "agents": [
        Col("代理编号", True, _CODE, "A0001"),
        Col("代理名称", True, _NAME, "张建国"),
        Col("上级编号", False, "上级代理的编号;空 = 直属本机构(上级须在本文件中更靠前或已导入)", ""),
        Col("状态", False, "正常 或 停发;默认 正常", "正常"),
        Col("手机", False, "11 位手机号", "13800138000"),
        Col("身份证号", False, "18 位", ""),
        Col("结算方式", False, "直结 或 上级代发;默认 直结", "直结"),
        Col("税点", False, "0–100%,如 6%;默认 0", "0"),
        Col("开户行", False, _NAME, "中国银行"),
        Col("银行卡号", False, "请把该列设为文本格式", "6217000000000000"),
        Col("加入日期", False, _DATE, "2026-01-05"),
        Col("备注", False, _NAME, ""),
    ],
    "policies": [
        Col("代理编号", True, "代理编号;本机构自己的成本价写 本机构", "A0001"),
        Col("产品编号", True, "已导入的产品编号", "P01"),
        Col("生效日期", True, _DATE, "2026-10-01"),
        Col("贷记卡结算价", True, _RATE, "0.50%"),
        Col("借记卡结算价", True, _RATE, "0.45%"),
        Col("借记卡封顶", False, "元", "20.00"),
        Col("扫码结算价", True, _RATE, "0.30%"),
        Col("单笔成本", False, "元", "0"),
        Col("激活返现", False, _MONEY, "100.00"),
        Col("达标奖励", False, _MONEY, "50.00"),
        Col("未达标扣款", False, _MONEY, "30.00"),
        Col("押金", False, _MONEY + ";首次下发时收取,0 = 免押", "99.00"),
    ],
    "terminals": [
        Col("终端SN", True, _CODE + ";请把该列设为文本格式", "LKL00000001"),
        Col("产品编号", True, "已导入的产品编号", "P01"),
        Col("入库日期", True, _DATE, "2026-09-20"),
    ],
    "moves": [
        Col("终端SN", True, "已入库的终端SN", "LKL00000001"),
        Col("日期", True, _DATE, "2026-10-01"),
        Col("动作", True, "下发、调拨、回拨、丢失 或 退货", "下发"),
        Col("代理编号", False, "下发、调拨的接收代理", "A0001"),
        Col("押金方式", False, "分润扣除 或 现金;默认 分润扣除", "分润扣除"),
    ],
    "activations": [
        Col("终端SN", True, "已入库的终端SN", "LKL00000001"),
        Col("激活日期", True, _DATE, "2026-10-03"),
        Col("商户编号", False, _CODE, "M8220001"),
        Col("商户名称", False, _NAME, "便民超市"),
    ],
    "transactions": [
        Col("交易流水号", True, _CODE + ";同一流水号只记一次", "T2026100500001"),
        Col("交易时间", True, "如 2026-10-05 14:03:22", "2026-10-05 14:03:22"),
        Col("终端SN", True, "已入库的终端SN", "LKL00000001"),
        Col("商户编号", False, _CODE, "M8220001"),
        Col("交易金额", True, _MONEY, "1000.00"),
        Col("卡类型", True, "贷记卡(信用卡)、借记卡(储蓄卡) 或 扫码(微信、支付宝、云闪付)", "贷记卡"),
        Col("交易状态", False, "成功、撤销、冲正、失败 或 退货;默认 成功", "成功"),
        Col("手续费", False, _MONEY, "6.00"),
    ],
    "adjustments": [
        Col("代理编号", True, "代理编号", "A0001"),
        Col("产品编号", True, "已导入的产品编号", "P01"),
        Col("月份", True, "如 2026-10", "2026-10"),
        Col("金额", True, _MONEY + ";可为负(扣款)", "-99.00"),
        Col("原因", True, _NAME, "机具款扣回"),
    ],
    "company_report": [
        Col("月份", True, "支付公司结算的月份,如 2026-10", "2026-10"),
        Col("终端SN", False, "终端SN 与 商户编号 至少填一个", "LKL00000001"),
        Col("商户编号", False, _CODE, ""),
        Col("产品编号", False, "已导入的产品编号", "P01"),
        Col("分润金额", True, _MONEY + ";支付公司对账单上给本机构的分润", "6.00"),
    ],
}

GENERAL_NOTES = [
    "第一行是表头,可用中文或英文列名;列的顺序随意,不认识的列会被忽略并提示。",
    "示例行请改成自己的数据或删除;带 * 的列必须填写。",
    "有任何一行出错,整个文件都不导入,并列出每处错误的行号、列名和原因;改好后重新导入即可。",
    "同一文件重复导入不会重复记账。",
    "编号、SN、银行卡号等长数字请把列设为文本格式,否则 Excel 会丢掉后几位。",
]


def template_order() -> list[str]:
    """The kinds in the order a new office fills them in (the team's kinds last)."""
    return [*COLUMNS, *(k for k in KINDS if k not in COLUMNS)]


def columns_of(kind: str) -> list[Col]:
    """The template's columns: written out above, or (the team's kinds) the reader's own
    column table — its first name, required or not, the other names it accepts."""
    if kind in COLUMNS:
        return COLUMNS[kind]
    if kind not in KIND_COLUMNS:
        raise UserError(f"没有「{kind}」的导入模板")
    cols = []
    for spec in KIND_COLUMNS[kind]:
        others = [n for n in spec.names[1:] if n != spec.key]
        rule = ("必填" if spec.required else "可不填") + (
            f";也认:{'、'.join(others[:4])}" if others else "")
        cols.append(Col(spec.names[0], spec.required, rule, ""))
    return cols


def template_file_name(kind: str) -> str:
    return f"导入模板_{TITLES[kind]}.xlsx"


def write_template(kind: str, path: Path) -> Path:
    """Write the template of ``kind`` (a key of ``COLUMNS``) to ``path``."""
    cols = columns_of(kind)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = TITLES[kind]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE7F5")
    needed = PatternFill("solid", fgColor="F8D9D5")
    for i, col in enumerate(cols, start=1):
        cell = sheet.cell(row=1, column=i, value=col.header)
        cell.font = bold
        cell.fill = needed if col.required else fill
        example = sheet.cell(row=2, column=i, value=col.example or None)
        example.number_format = "@"  # text: codes and SNs keep their digits
        width = max(len(col.header), len(col.example)) * 2 + 4
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width, 10), 40)
        for row in range(3, 201):
            sheet.cell(row=row, column=i).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明")
    notes.append([f"{TITLES[kind]}导入模板 — 各列规则(生成于 {dt.date.today().isoformat()})"])
    notes["A1"].font = Font(bold=True, size=13)
    notes.append([])
    notes.append(["列名", "必填", "规则", "示例"])
    for c in notes[3]:
        c.font = bold
        c.fill = fill
    for col in cols:
        notes.append([col.header, "*" if col.required else "", col.rule, col.example])
    notes.append([])
    for line in GENERAL_NOTES:
        notes.append([line])
    for letter, width in zip("ABCD", (16, 6, 70, 22), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=4):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    path = Path(path)
    book.save(path)
    return path
