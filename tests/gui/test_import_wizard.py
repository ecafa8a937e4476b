"""交易导入 wizard: a bad file shows every bad row and writes nothing; a good one is
previewed, checked, imported in the background and reported; the history undoes a batch,
and refuses while its month is locked."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from app.core import settlement
from app.core.errors import UserError
from app.core.imports import undo_batch
from app.io.detect import detect_file
from app.models import ImportBatch, Terminal, Txn
from app.views import import_wizard as view
from tests.gui.conftest import wait_loaded

GOOD = """交易流水号,交易时间,终端SN,商户编号,交易金额,卡类型,交易状态
W1,2026-10-05 10:00:00,T1,M1,1000.00,贷记卡,成功
W2,2026-10-06 11:00:00,T2,M2,500.00,借记卡,成功
W3,2026-10-07 12:00:00,T1,M1,80.00,微信,成功
"""
BAD = """交易流水号,交易时间,终端SN,商户编号,交易金额,卡类型,交易状态
B1,2026-10-05 10:00:00,T1,M1,1000.00,贷记卡,成功
B2,2026-10-06 11:00:00,NOPE,M2,500.00,借记卡,成功
B3,2026-10-07 12:00:00,T1,M1,12.345,微信,成功
"""


@pytest.fixture
def page(qtbot, office_db, messages):
    p = view.ImportPage()
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    return p


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def add(qtbot, wizard, *paths):
    wizard.add_files(list(paths))
    wait_loaded(qtbot, wizard)


def check(qtbot, wizard):
    wizard.go(1)
    wizard.next_step()  # 检查
    qtbot.waitUntil(lambda: wizard.stack.currentIndex() == 2, timeout=20_000)


def test_detects_kind_profile_and_encoding(tmp_path):
    g = detect_file(write(tmp_path, "gbk.csv", GOOD, "gbk"))
    assert (g.kind, g.profile, g.encoding) == ("transactions", None, "GBK/GB18030")
    assert {c.key: c.header for c in g.columns}["amount"] == "交易金额"
    assert g.preview[0] == (2, ["W1", "2026-10-05 10:00:00", "T1", "M1", "1000.00", "贷记卡", "成功"])
    sample = detect_file(Path(__file__).resolve().parents[1] / "data" / "transactions_sample.xls")
    assert (sample.kind, sample.encoding, sample.unknown_columns) == ("transactions", "", ["清算日期"])
    lakala = detect_file(write(tmp_path, "lakala.csv", GOOD.replace("终端SN", "终端号").replace("商户编号", "商户号")))
    assert (lakala.kind, lakala.profile) == ("transactions", "lakala")
    agents = detect_file(write(tmp_path, "agents.csv", "代理编号,代理名称,上级编号\nA9,钱七,A1\n"))
    assert agents.kind == "agents"


def test_bad_file_lists_every_bad_row_and_writes_nothing(qtbot, page, tmp_path, qtmodeltester):
    wizard = page.wizard
    before = (Txn.select().count(), ImportBatch.select().count())
    add(qtbot, wizard, write(tmp_path, "bad.csv", BAD))
    assert wizard.files_model.row_at(0).kind == "transactions"
    qtmodeltester.check(wizard.files_model, force_py=True)
    check(qtbot, wizard)
    rows = wizard.errors_model.all_rows()
    assert [(r.row, r.column) for r in rows] == [(3, "终端SN"), (4, "交易金额")]
    assert "NOPE 不存在" in rows[0].reason and "两位小数" in rows[1].reason
    qtmodeltester.check(wizard.errors_model, force_py=True)
    assert "未写入任何数据" in wizard.check_summary.text()
    assert not wizard.next_button.isEnabled()
    assert (Txn.select().count(), ImportBatch.select().count()) == before


def test_good_file_preview_check_import_report(qtbot, page, tmp_path, qtmodeltester):
    wizard = page.wizard
    add(qtbot, wizard, write(tmp_path, "good.csv", GOOD))
    wizard.go(1)
    assert wizard.preview_file.currentText() == "good.csv"
    assert wizard.rows_model.rowCount() == 3
    headers = [wizard.rows_model.headerData(i, Qt.Orientation.Horizontal) for i in range(wizard.rows_model.columnCount())]
    assert headers[:4] == ["行", "交易流水号", "交易时间", "终端SN"]
    qtmodeltester.check(wizard.rows_model, force_py=True)
    qtmodeltester.check(wizard.mapping_model, force_py=True)
    check(qtbot, wizard)
    assert wizard.errors_model.rowCount() == 0 and "检查通过" in wizard.check_summary.text()
    assert Txn.select().count() == 0  # the check wrote nothing
    assert wizard.next_button.isEnabled()
    wizard.next_step()  # 开始导入
    qtbot.waitUntil(lambda: wizard.stack.currentIndex() == 3, timeout=20_000)
    assert Txn.select().count() == 3
    assert "新增 3 行" in wizard.report_text.toPlainText()
    # importing the same file again adds nothing
    wizard.restart()
    add(qtbot, wizard, write(tmp_path, "again.csv", GOOD))
    check(qtbot, wizard)
    wizard.next_step()
    qtbot.waitUntil(lambda: wizard.stack.currentIndex() == 3, timeout=20_000)
    assert Txn.select().count() == 3 and "重复跳过 3 行" in wizard.report_text.toPlainText()


def test_files_can_be_dropped(qtbot, page, tmp_path):
    path = write(tmp_path, "dropped.csv", GOOD)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    page.wizard.drop.dropEvent(event)
    wait_loaded(qtbot, page.wizard)
    assert [e.path.name for e in page.wizard.entries] == ["dropped.csv"]


def import_good(tmp_path):
    from app.io.importers import import_file

    return import_file("transactions", write(tmp_path, "good.csv", GOOD))


def test_undo_a_batch_from_the_history(qtbot, page, tmp_path, messages, qtmodeltester):
    report = import_good(tmp_path)
    assert Terminal.get(Terminal.sn == "T1").first_tx_on is not None
    history = page.history
    history.refresh()
    qtmodeltester.check(history.model, force_py=True)
    row = next(i for i, b in enumerate(history.model.shown_rows()) if b.id == report.batch_id)
    history.table.selectRow(row)
    assert history.undo_button.isEnabled()
    history.undo()
    qtbot.waitUntil(lambda: Txn.select().count() == 0, timeout=20_000)
    assert ImportBatch.get_by_id(report.batch_id).undone
    assert Terminal.get(Terminal.sn == "T1").first_tx_on is None
    qtbot.waitUntil(lambda: any(b.id == report.batch_id and b.undone for b in history.model.all_rows()))
    assert any("撤销批次" in m for m in messages)  # it asked first


def test_undo_of_moves_restores_holders_and_is_refused_once_locked(qtbot, page, tmp_path):
    from app.io.importers import import_file

    moves = import_file("moves", write(tmp_path, "m.csv", "sn,date,action,agent\nT3,2026-10-10,下发,A1\n"))
    assert Terminal.get(Terminal.sn == "T3").holder_id is not None
    undo_batch(moves.batch_id)
    t3 = Terminal.get(Terminal.sn == "T3")
    assert (t3.status, t3.holder_id) == ("in_stock", None)
    with pytest.raises(UserError, match="已经撤销"):
        undo_batch(moves.batch_id)
    report = import_good(tmp_path)
    settlement.lock_month("2026-10")
    with pytest.raises(UserError, match="已锁定"):
        undo_batch(report.batch_id)
    page.history.refresh()
    blocked = next(b for b in page.history.model.all_rows() if b.id == report.batch_id)
    assert "已锁定" in blocked.undo_blocked
    assert Txn.select().count() == 3
