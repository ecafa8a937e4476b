"""The receipt (收据) of a deposit handled at the desk: one A5 landscape page with the
agency, the receipt number, who paid or was paid, what for, the amount in figures and in
大写, how it was paid, and lines for the signatures.  Drawn with the slips' bundled font."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.core.deposit_entries import Entry
from app.core.money import format_money, money_in_words
from app.io.slips import register_font

TITLES = {"receive": "押金收据", "refund": "押金退还凭证", "forfeit": "押金没收凭证"}
PARTY = {"receive": "交款人", "refund": "领款人", "forfeit": "押金人"}
REASON = {"receive": "收取机具押金", "refund": "退还机具押金", "forfeit": "没收机具押金"}


def receipt_file_name(entry: Entry) -> str:
    return f"{TITLES[entry.kind]}_{entry.receipt_no}_{entry.agent_code}.pdf"


def render_receipt(entry: Entry, agency: str, path: Path) -> Path:
    """Write ``entry``'s receipt to ``path`` (written beside, then moved in place)."""
    font = register_font()
    width, height = landscape(A5)
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    c = Canvas(str(tmp), pagesize=(width, height))
    c.setTitle(f"{TITLES[entry.kind]} {entry.receipt_no}")
    left, right = 18 * mm, width - 18 * mm

    c.setFont(font, 18)
    c.drawCentredString(width / 2, height - 20 * mm, agency)
    c.setFont(font, 15)
    c.drawCentredString(width / 2, height - 29 * mm, TITLES[entry.kind])
    c.setFont(font, 10)
    c.drawString(left, height - 38 * mm, f"日期:{entry.day:%Y年%m月%d日}")
    c.drawRightString(right, height - 38 * mm, f"No. {entry.receipt_no}")

    rows = [
        (PARTY[entry.kind], f"{entry.agent_code}  {entry.agent_name}"),
        ("事由", REASON[entry.kind] + (f"({entry.product})" if entry.product else "")),
        ("机具SN", entry.sn or "—"),
        ("金额(大写)", money_in_words(entry.amount)),
        ("金额(小写)", format_money(entry.amount)),
        ("方式", entry.method_label),
        ("备注", entry.note or ""),
    ]
    top = height - 42 * mm
    row_h = 9.5 * mm
    label_w = 30 * mm
    c.setStrokeColor(colors.HexColor("#44546a"))
    c.setLineWidth(0.8)
    c.rect(left, top - row_h * len(rows), right - left, row_h * len(rows))
    c.line(left + label_w, top, left + label_w, top - row_h * len(rows))
    for i, (label, value) in enumerate(rows):
        y = top - row_h * (i + 1)
        if i:
            c.line(left, y + row_h, right, y + row_h)
        c.setFont(font, 10.5)
        c.drawString(left + 3 * mm, y + 3.2 * mm, label)
        c.setFont(font, 13 if label.startswith("金额") else 10.5)
        c.drawString(left + label_w + 4 * mm, y + 3 * mm, value)

    sign_y = top - row_h * len(rows) - 14 * mm
    c.setFont(font, 10.5)
    third = (right - left) / 3
    for k, label in enumerate(("经办人", "收款单位(盖章)", PARTY[entry.kind] + "签字")):
        x = left + k * third
        c.drawString(x, sign_y, f"{label}:")
        c.line(x + c.stringWidth(f"{label}:", font, 10.5) + 1 * mm, sign_y - 1,
               x + third - 6 * mm, sign_y - 1)
    c.setFont(font, 8)
    c.setFillColor(colors.HexColor("#6b7685"))
    c.drawString(left, 10 * mm, "本凭证一式两联,机构与代理各执一联;押金按结算政策退还或没收,以分润单为准。")
    c.showPage()
    c.save()
    tmp.replace(path)
    return path
