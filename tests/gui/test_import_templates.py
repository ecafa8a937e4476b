"""Issue 23, defect 1 (part): the import wizard's 下载模板 writes each kind's template, and
a template filled in is read by the wizard like any file."""

from __future__ import annotations

from openpyxl import load_workbook

from app.io.reader import KIND_LABELS, KINDS
from app.views.import_wizard import ImportPage


def test_download_template_for_every_kind(qtbot, db, tmp_path, messages):
    page = ImportPage()
    qtbot.addWidget(page)
    wizard = page.wizard
    menu = wizard.template_button.menu()
    assert menu is not None and len(menu.actions()) == len(KINDS)
    path = wizard.save_template("terminals", tmp_path / "t.xlsx")
    assert path is not None and path.exists()
    sheet = load_workbook(path).worksheets[0]
    assert [c.value for c in sheet[1]] == ["终端SN", "产品编号", "入库日期"]
    assert f"已保存{KIND_LABELS['terminals']}导入模板" in messages[-1]
    wizard.add_files([path])
    qtbot.waitUntil(lambda: bool(wizard.entries) and not wizard.loader.loading, timeout=30_000)
    entry = wizard.entries[0]
    qtbot.waitUntil(lambda: entry.kind == "terminals" or bool(entry.error), timeout=30_000)
    assert entry.kind == "terminals", entry.error
