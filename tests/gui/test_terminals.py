"""机具 page: stock-in and allocation of an SN range of 500 terminals with the preview and
the deposit owed, scanner input, filters, the event history, moves refused with reasons."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from app.core.terminals import expand_sn_range, parse_sn_list, products
from app.models import Agent, Policy, Terminal, TerminalEvent
from app.views import terminals as view
from tests.gui.conftest import wait_loaded


@pytest.fixture
def page(qtbot, office_db, messages):
    p = view.TerminalsPage()
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    wait_loaded(qtbot, p)
    return p


def agent_id(code: str) -> int:
    return Agent.get(Agent.code == code).id


def test_sn_ranges_keep_zero_padding():
    sns = expand_sn_range("LKL00001", "LKL00500")
    assert len(sns) == 500 and sns[0] == "LKL00001" and sns[-1] == "LKL00500" and "LKL00099" in sns
    assert parse_sn_list("A1\nA2 A3\n\nA1\nB08~B10\n") == ["A1", "A2", "A3", "B08", "B09", "B10"]
    with pytest.raises(Exception, match="前缀不同"):
        expand_sn_range("LKL001", "SFT002")


def test_table_filters_and_history(qtbot, page, qtmodeltester):
    assert page.model.total_count() == 3
    qtmodeltester.check(page.model, force_py=True)
    page.search.setText("t2")
    page.apply_filter()
    assert [r.sn for r in page.model.shown_rows()] == ["T2"]
    page.search.setText("")
    page.holder.setCurrentIndex(page.holder.findData(view.STOCK))
    assert [r.sn for r in page.model.shown_rows()] == ["T3"]
    page.holder.setCurrentIndex(page.holder.findData(agent_id("A3")))
    assert [r.sn for r in page.model.shown_rows()] == ["T1"]
    page.table.selectRow(0)
    assert [(h.action, h.to_agent) for h in page.history_model.all_rows()] == [
        ("入库", "本机构"), ("下发", "A3(王伟)")]
    qtmodeltester.check(page.history_model, force_py=True)


def stock_500(qtbot, page):
    dialog = page.stock_in()
    qtbot.addWidget(dialog)
    dialog.source.first.setText("LKL00001")
    dialog.source.last.setText("LKL00500")
    assert dialog.source.range_count.text() == "共 500 台"
    dialog.day.set_date(dt.date(2026, 10, 2))
    dialog.save()
    assert dialog.applied
    assert Terminal.select().where(Terminal.sn.startswith("LKL")).count() == 500


def test_allocate_an_sn_range_of_500_with_preview_and_deposit(qtbot, page, messages, qtmodeltester):
    Policy.update(deposit=9900).where(Policy.agent == agent_id("A2")).execute()  # 99 元 per terminal
    stock_500(qtbot, page)
    dialog = page.open_move("allocate")
    qtbot.addWidget(dialog)
    dialog.source.setCurrentIndex(1)
    dialog.source.first.setText("LKL00001")
    dialog.source.last.setText("LKL00500")
    dialog.day.set_date(dt.date(2026, 10, 5))
    dialog.agent.setCurrentIndex(dialog.agent.findData(agent_id("A2")))
    dialog.preview()
    assert dialog.model.rowCount() == 500
    qtmodeltester.check(dialog.model, force_py=True)
    first = dialog.model.row_at(0)
    assert (first.current, first.after, first.deposit, first.error) == ("库存", "A2(李秀英)", 9900, "")
    assert "A2(李秀英) 应交押金 500 台 共 ¥49,500.00" in dialog.summary.text()
    assert dialog.ok.isEnabled()
    assert TerminalEvent.select().where(TerminalEvent.action == "allocate").count() == 2  # nothing yet
    dialog.apply()
    qtbot.waitUntil(lambda: dialog.applied, timeout=20_000)
    held = Terminal.select().where(Terminal.sn.startswith("LKL") & (Terminal.holder == agent_id("A2")))
    assert held.count() == 500 and all(t.status == "allocated" for t in held)
    wait_loaded(qtbot, page)
    page.search.setText("LKL002")
    page.apply_filter()
    assert page.model.rowCount() == 100
    assert {r.holder for r in page.model.shown_rows()} == {"A2(李秀英)"}


def test_refused_moves_show_why_and_write_nothing(qtbot, page, messages):
    dialog = page.open_move("allocate")
    qtbot.addWidget(dialog)
    dialog.source.setCurrentIndex(2)
    dialog.source.list.setPlainText("T1\nT3\nNOPE\n")
    dialog.day.set_date(dt.date(2026, 10, 5))
    dialog.agent.setCurrentIndex(dialog.agent.findData(agent_id("A1")))
    dialog.preview()
    problems = {r.sn: r.error for r in dialog.model.all_rows()}
    assert "不在库存" in problems["T1"] and "不存在" in problems["NOPE"] and problems["T3"] == ""
    assert not dialog.ok.isEnabled()
    # recall of a terminal in stock is refused too
    dialog = page.open_move("recall")
    qtbot.addWidget(dialog)
    dialog.source.setCurrentIndex(2)
    dialog.source.list.setPlainText("T3")
    dialog.preview()
    assert "不能回拨" in dialog.model.row_at(0).error


def test_scanner_types_sns_with_enter(qtbot, page, messages):
    page.table.selectRow(0)
    dialog = page.open_move("transfer")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.source.setCurrentIndex(2)
    for sn in ("T1", "T2", "T1"):  # the second T1 is a double scan
        qtbot.keyClicks(dialog.source.scan, sn)
        qtbot.keyClick(dialog.source.scan, Qt.Key.Key_Return)
    assert dialog.source.scan.text() == ""
    assert dialog.source.sns() == ["T1", "T2"]
    assert "已在清单中" in dialog.source.list_count.text()
    dialog.day.set_date(dt.date(2026, 10, 20))
    dialog.agent.setCurrentIndex(dialog.agent.findData(agent_id("A1")))
    dialog.preview()
    assert [(r.sn, r.current, r.after, r.error) for r in dialog.model.all_rows()] == [
        ("T1", "A3(王伟)", "A1(张建国)", ""), ("T2", "A2(李秀英)", "A1(张建国)", "")]
    dialog.apply()
    qtbot.waitUntil(lambda: dialog.applied, timeout=20_000)
    assert {t.sn: t.holder_id for t in Terminal.select()}["T1"] == agent_id("A1")


def test_stock_in_refuses_known_sns(qtbot, page, messages):
    dialog = page.stock_in()
    qtbot.addWidget(dialog)
    dialog.source.setCurrentIndex(1)
    dialog.source.list.setPlainText("T1\nN1")
    dialog.save()
    assert "已经入库" in messages[-1] and "T1" in messages[-1]
    assert not dialog.applied
    assert products()
