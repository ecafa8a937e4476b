"""Staff slips: one PDF per member and the combined print file, from the CLI."""

from __future__ import annotations

import json

from pypdf import PdfReader

from app.cli import main
from tests.helpers import Office
from tests.unit.core import test_staff_pay as scenario


def test_staff_pdf_and_show_json_from_the_command_line(db, tmp_path, capsys):
    o = Office(tmp_path).base()
    o.load("staff", scenario.STAFF)
    o.load("merchants", scenario.MERCHANTS)
    o.load("staff_plans", scenario.PLANS)
    o.tx(*scenario.TXNS)
    o.load("tickets", scenario.TICKETS)
    path = str(tmp_path / "posdesk.db")
    db.close()
    assert main(["--db", path, "staff", "show", "2026-10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["month"] == "2026-10"
    assert [s["code"] for s in data["staff"]] == ["L01", "S01", "S02", "S03", "S04"]
    out = tmp_path / "slips"
    assert main(["--db", path, "staff", "pdf", "2026-10", "--out", str(out)]) == 0
    files = sorted(out.glob("员工提成单_2026-10_*.pdf"))
    assert len(files) == 5
    text = PdfReader(str(files[3])).pages[0].extract_text()  # S03 赵敏
    for words in ("员工提成单", "赵敏", "解决 3 单", "2/5", "4.3333", "壹仟壹佰壹拾伍元整",
                  "员工签字", "第 1 页"):
        assert words in text, words
    combined = PdfReader(str(out / "全部员工提成单_2026-10.pdf"))
    assert len(combined.pages) == 5


def test_staff_show_for_a_bad_month_exits_2(db, tmp_path, capsys):
    db.close()
    assert main(["--db", str(tmp_path / "posdesk.db"), "staff", "show", "2026-13", "--json"]) == 2
