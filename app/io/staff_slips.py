"""Staff slips (员工提成单): one A4 PDF per member and one combined print file per month,
drawn with the agents' slip machinery (``app.io.slips``: font, header, footer, watermark,
"第 X 页 / 共 Y 页" per slip).  Every line shows what it was priced on (the count or the
volume), the plan's rate or tiers that applied, and the amount; then the total in figures
and in words (大写) and the signature line."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.core.errors import UserError
from app.core.money import format_money, format_month, format_rate, money_in_words
from app.core.team import ROLE_LABELS, SCOPE_LABELS, decimal_text
from app.io import slips
from app.io.slips import BOTTOM, FONT, MARGIN_X, PAGE_H, TOP, WIDTH
from app.models import database

COMBINED_NAME = "全部员工提成单"


@dataclass
class StaffSlip:
    """What one staff slip shows."""

    month: str
    code: str
    name: str
    role: str
    phone: str
    employed_days: int
    month_days: int
    lines: dict[str, int]
    activations: int
    volume: int
    tickets_resolved: int
    opened: int
    within_sla: int
    ratings: int
    rating_sum: int
    plan: dict[str, Any]
    adjustments: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.lines["total"]


@dataclass
class StaffBatch:
    files: list[Path] = field(default_factory=list)
    combined: Path | None = None

    @property
    def count(self) -> int:
        return len(self.files)


def staff_slips(month: str) -> list[StaffSlip]:
    """The month's staff slips, by member code."""
    db = database.obj
    adjustments: dict[int, list[tuple[str, int]]] = {}
    for sid, reason, amount in db.execute_sql(
        "SELECT staff_id, reason, amount FROM staff_adjustment WHERE month = ? ORDER BY id", (month,)
    ):
        adjustments.setdefault(sid, []).append((reason, amount))
    out = []
    for r in db.execute_sql(
        "SELECT s.staff_id, m.code, m.name, s.role, m.phone, s.employed_days, s.month_days, "
        "s.base, s.activation, s.volume_amount, s.ticket, s.resolution_bonus, "
        "s.satisfaction_bonus, s.adjustment, s.total, s.activations, s.volume, "
        "s.tickets_resolved, s.opened, s.within_sla, s.ratings, s.rating_sum, s.plan "
        "FROM staff_statement s JOIN staff_member m ON m.id = s.staff_id "
        "WHERE s.month = ? ORDER BY m.code",
        (month,),
    ):
        names = ("base", "activation", "volume", "ticket", "resolution", "satisfaction",
                 "adjustment", "total")
        out.append(StaffSlip(
            month, r[1], r[2], r[3], r[4], r[5], r[6], dict(zip(names, r[7:15], strict=True)),
            activations=r[15], volume=r[16], tickets_resolved=r[17], opened=r[18],
            within_sla=r[19], ratings=r[20], rating_sum=r[21],
            plan=json.loads(r[22]) if r[22] else {}, adjustments=adjustments.get(r[0], []),
        ))
    return out


# ---------------------------------------------------------------------------- drawing


def _lines_table(s: StaffSlip, st: dict) -> Table:
    p = s.plan
    money = format_money
    share = Fraction(s.within_sla, s.opened) if s.opened else None
    avg = Fraction(s.rating_sum, s.ratings) if s.ratings else None
    scope = SCOPE_LABELS.get(p.get("scope", "own"), "本人")
    sla = f"时限 {p['sla_hours']} 小时" if p.get("sla_hours") else "不限时(解决即计)"
    res_tiers = p.get("resolution_tiers") or "无阶梯"
    sat_tiers = p.get("satisfaction_tiers") or "无阶梯"
    share_text = (f"时限内解决 {s.within_sla}/{s.opened} 单 = {_pct(share)}" if share is not None
                  else "本月无新开工单")
    avg_text = (f"评价 {s.ratings} 条,平均 {decimal_text(avg)} 分" if avg is not None
                else "本月无评价")
    rows: list[list[Any]] = [
        ["项目", "计算依据", "方案", "金额"],
        ["底薪", f"在职 {s.employed_days} / {s.month_days} 天", f"{money(p.get('base', 0))}/月",
         money(s.lines["base"])],
        ["激活提成", f"激活 {s.activations:,} 台(范围:{scope})",
         f"{money(p.get('per_activation', 0))}/台", money(s.lines["activation"])],
        ["交易提成", f"交易额 {money(s.volume)}(范围:{scope})",
         f"{format_rate(p.get('volume_rate', 0))}", money(s.lines["volume"])],
        ["工单提成", f"解决 {s.tickets_resolved:,} 单", f"{money(p.get('per_ticket', 0))}/单",
         money(s.lines["ticket"])],
        ["解决率奖励", share_text, f"{sla};{res_tiers}", money(s.lines["resolution"])],
        ["满意度奖励", avg_text, f"{sat_tiers};至少 {p.get('min_ratings', 1)} 条评价",
         money(s.lines["satisfaction"])],
        ["奖惩", f"{len(s.adjustments)} 笔(明细见下)" if s.adjustments else "无", "",
         money(s.lines["adjustment"])],
    ]
    widths = [24 * mm, 62 * mm, 0.0, 30 * mm]
    widths[2] = WIDTH - sum(widths)
    for row in rows[1:]:
        row[1] = Paragraph(row[1], st["cell"])
        row[2] = Paragraph(row[2], st["cell"])
    return slips._table(rows, widths, right_cols=(3,), font_size=9)


def _pct(value: Fraction | None) -> str:
    if value is None:
        return ""
    text = decimal_text(value * 100, 2) or "0"
    return f"{text}%"


def _identity(s: StaffSlip, st: dict) -> Table:
    p = s.plan
    target = p.get("target", "")
    source = ("本人方案" if target == s.code else f"{ROLE_LABELS.get(target, target)}岗位方案"
              if target else "未设方案")
    if p.get("effective_month"):
        source += f"(自{format_month(p['effective_month'])}起)"
    widths = [20 * mm, 0.0, 20 * mm, 50 * mm]
    widths[1] = WIDTH - sum(widths)
    rows = [
        ["员工编号", s.code, "姓名", s.name],
        ["岗位", ROLE_LABELS.get(s.role, s.role), "手机号", slips.mask_phone(s.phone)],
        ["提成方案", Paragraph(source, st["cell"]), "月份", format_month(s.month)],
    ]
    extra = [("BACKGROUND", (c, 0), (c, -1), slips._HEAD_BG) for c in (0, 2)]
    return slips._table(rows, widths, header_rows=0, extra=extra, font_size=9)


def _totals(s: StaffSlip) -> Table:
    widths = [34 * mm, 0.0]
    widths[1] = WIDTH - widths[0]
    rows = [["应发提成", format_money(s.total)], ["大写", money_in_words(s.total)]]
    extra = [("BACKGROUND", (0, 0), (0, -1), slips._HEAD_BG), ("FONT", (1, 0), (1, 0), FONT, 11)]
    return slips._table(rows, widths, header_rows=0, extra=extra, font_size=10)


def _adjustment_table(s: StaffSlip, st: dict) -> Table:
    widths = [0.0, 30 * mm]
    widths[0] = WIDTH - widths[1]
    rows: list[list[Any]] = [["奖惩原因", "金额"]]
    rows += [[Paragraph(reason, st["cell"]), format_money(amount)] for reason, amount in s.adjustments]
    return slips._table(rows, widths, right_cols=(1,), font_size=9)


def _signatures() -> Table:
    widths = [17 * mm, 42 * mm, 24 * mm, 42 * mm, 14 * mm]
    widths.append(WIDTH - sum(widths))
    t = Table([["经办人：", "", "员工签字：", "", "日期：", ""]], colWidths=widths,
              rowHeights=[12 * mm], hAlign="LEFT")
    t.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 9.5),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        *[("LINEBELOW", (c, 0), (c, 0), 0.6, slips.colors.black) for c in (1, 3, 5)],
        ("LEFTPADDING", (0, 0), (0, 0), 0),
        ("ALIGN", (2, 0), (2, 0), "RIGHT"),
        ("ALIGN", (4, 0), (4, 0), "RIGHT"),
    ]))
    return t


class _Member(Flowable):
    """Marks where a member's slip begins (draws nothing)."""

    def __init__(self, slip: StaffSlip):
        super().__init__()
        self.slip = slip
        self.width = self.height = 0

    def draw(self) -> None:
        pass


def _story(s: StaffSlip) -> list[Flowable]:
    st = slips._styles()
    story: list[Flowable] = [_Member(s), _identity(s, st), Spacer(0, 6), _lines_table(s, st)]
    if s.adjustments:
        story += [Spacer(0, 6), _adjustment_table(s, st)]
    story += [Paragraph("本月应发", st["h2"]), _totals(s), Spacer(0, 3),
              Paragraph("应发提成为税前金额;个人所得税及社保由工资发放时另行处理。", st["small"]),
              KeepTogether([Spacer(0, 6 * mm), _signatures()])]
    return story


class _Doc(BaseDocTemplate):
    def __init__(self, path: Path, title: str, *, agency: str, right: str, locked: bool,
                 lock_text: str, printed: str):
        info = slips._doc_info(locked, title, agency)
        info["subject"] = "员工提成单"
        super().__init__(str(path), leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=TOP,
                         bottomMargin=BOTTOM, **info)
        self.agency, self.right, self.locked = agency, right, locked
        self.lock_text, self.printed = lock_text, printed
        self.current: StaffSlip | None = None
        frame = Frame(MARGIN_X, BOTTOM, WIDTH, PAGE_H - TOP - BOTTOM, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate("staff", [frame], onPageEnd=self._page_end)])

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, _Member):
            self.current = flowable.slip

    def _page_end(self, canv: Any, doc: BaseDocTemplate) -> None:
        s = self.current
        assert s is not None
        slips._draw_header(canv, self.agency, "", f"员工提成单 {format_month(s.month)}",
                           f"员工 {s.code} {s.name}", self.right)
        slips._draw_footer(canv, self.lock_text, f"打印时间 {self.printed}")
        if not self.locked:
            slips._draw_watermark(canv)
        canv.mark_page(s.code)


def _settings() -> dict[str, str]:
    return dict(database.obj.execute_sql("SELECT key, value FROM setting").fetchall())


def _month_state(month: str) -> tuple[bool, str]:
    row = database.obj.execute_sql(
        "SELECT state, locked_at FROM month_state WHERE month = ?", (month,)).fetchone()
    if row and row[0] == "locked":
        return True, str(row[1] or "")[:19]
    return False, ""


def _file_name(month: str, code: str, name: str) -> str:
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", f"{code}_{name}")
    return f"员工提成单_{month}_{safe}.pdf"


def render_staff_batch(month: str, out: Path) -> StaffBatch:
    """Write one PDF per member with a statement in ``month`` and the combined file."""
    items = staff_slips(month)
    if not items:
        raise UserError(f"{format_month(month)}没有员工提成单(请先导入员工并计算该月)")
    out.mkdir(parents=True, exist_ok=True)
    s = _settings()
    agency = s.get("agency_name", "本机构") or "本机构"
    right = "  ".join(x for x in (s.get("agency_address", ""), s.get("agency_phone", "")) if x)
    locked, locked_at = _month_state(month)
    lock_text = (f"本月已锁定（{locked_at}）" if locked else "本月未锁定 · 草稿，数字可能变动")
    printed = locked_at if locked else dt.datetime.now().replace(microsecond=0).isoformat(" ")
    canvas = slips._canvas_maker(locked_at or "2000-01-01 00:00:00" if locked else "")
    result = StaffBatch()

    def build(path: Path, title: str, group: list[StaffSlip]) -> None:
        story: list[Flowable] = []
        for i, item in enumerate(group):
            if i:
                story.append(PageBreak())
            story += _story(item)
        doc = _Doc(path, title, agency=agency, right=right, locked=locked, lock_text=lock_text,
                   printed=printed)
        doc.build(story, canvasmaker=canvas)

    for item in items:
        path = out / _file_name(month, item.code, item.name)
        build(path, f"员工提成单 {format_month(month)} {item.code} {item.name}", [item])
        result.files.append(path)
    combined = out / f"{COMBINED_NAME}_{month}.pdf"
    build(combined, f"{COMBINED_NAME} {format_month(month)}", items)
    result.combined = combined
    return result
