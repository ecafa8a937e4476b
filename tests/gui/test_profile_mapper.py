"""Issue 23, defect 9 (the window's part): an export the program does not know is mapped in
the wizard — columns with sample values, unknown values to canonical ones, a preview of
the rows as they will be read — and saved as the office's profile, which then reads it."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from app.io.reader import list_profiles
from app.models import Txn
from app.views import profile_mapper
from app.views.import_wizard import ImportPage
from tests.gui.conftest import wait_loaded

EXPORT = (
    "流水,时间,机身号,商编,金额(分),卡种,结果\n"
    "H1,2026-10-05 10:00:00,T1,M1,100000,信用卡,交易成功\n"
    "H2,2026-10-06 11:00:00,T2,M2,2550,储蓄卡,交易成功\n"
    "H3,2026-10-07 12:00:00,T1,M1,990,微信,撤销成功\n"
)


def test_map_an_unknown_export_then_import_it(qtbot, office_db, tmp_path, messages):
    path = tmp_path / "海科.csv"
    path.write_text(EXPORT, encoding="utf-8")
    page = ImportPage()
    qtbot.addWidget(page)
    wizard = page.wizard
    wizard.add_files([path])
    wait_loaded(qtbot, wizard)
    assert wizard.entries[0].error  # not recognised: 流水/时间/机身号… are no standard headers

    seen = {}

    def fill():
        d = wizard.mapper
        d.name.setText("hkrt")
        d.company.setText("海科融通")
        d.unit.setCurrentIndex(d.unit.findData("fen"))
        headers = d.sample.headers
        for key, header in (("tx_id", "流水"), ("time", "时间"), ("sn", "机身号"),
                            ("merchant_no", "商编"), ("amount", "金额(分)"),
                            ("category", "卡种"), ("status", "结果")):
            d.combos[key].setCurrentIndex(d.combos[key].findData(headers.index(header)))
        seen["samples"] = d.columns.item(list(d.combos).index("amount"), 2).text()
        seen["values"] = {k: {v: c.currentData() for v, c in m.items()}
                          for k, m in d.value_combos.items()}
        assert d.preview()
        seen["preview"] = [d.preview_model.index(r, 4).data() for r in range(3)]
        d.save()

    QTimer.singleShot(0, fill)
    saved = wizard.map_file()
    assert saved is not None and saved.parent.name == "导入方案"
    assert seen["samples"] == "100000、2550、990"
    assert seen["values"] == {"category": {"信用卡": "credit", "储蓄卡": "debit", "微信": "scan"},
                              "status": {"交易成功": "success", "撤销成功": "void"}}
    assert seen["preview"] == ["1000.00", "25.50", "9.90"]  # 金额(分) read as yuan
    assert {p["name"]: p["origin"] for p in list_profiles()}["hkrt"] == "office"
    qtbot.waitUntil(lambda: bool(wizard.entries) and wizard.entries[0].guess is not None,
                    timeout=30_000)
    assert wizard.entries[0].guess.profile == "hkrt"
    wizard.go(1)
    wizard.next_step()
    qtbot.waitUntil(lambda: wizard.stack.currentIndex() == 2, timeout=30_000)
    wizard.next_step()
    qtbot.waitUntil(lambda: wizard.stack.currentIndex() == 3, timeout=60_000)
    assert sorted(t.amount for t in Txn.select()) == [990, 2550, 100000]


def test_value_guesses():
    assert profile_mapper.guess_value("status", "撤销成功") == "void"
    assert profile_mapper.guess_value("category", "准贷记卡") == "credit"
    assert profile_mapper.guess_value("category", "银联二维码") == "scan"
    assert profile_mapper.guess_value("status", "处理中") == ""
