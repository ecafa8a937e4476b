"""代理商 page: create / edit / move / hold an agent, tags, follow-ups, the tree filter."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core import agents as svc
from app.models import Agent, FollowUp
from app.views import agents as view
from tests.gui.conftest import wait_loaded


@pytest.fixture
def page(qtbot, office_db, messages):
    p = view.AgentsPage()
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    wait_loaded(qtbot, p)
    return p


def agent_id(code: str) -> int:
    return Agent.get(Agent.code == code).id


def codes(page) -> list[str]:
    return [r.code for r in page.model.shown_rows()]


def test_table_lists_the_tree_with_figures(page, qtmodeltester):
    assert sorted(codes(page)) == ["A1", "A2", "A3"]
    qtmodeltester.check(page.model, force_py=True)
    a1 = next(r for r in page.model.all_rows() if r.code == "A1")
    assert a1.level == 1 and a1.parent == "本机构" and a1.held == 2  # T1 (A3) and T2 (A2) in its team
    a3 = next(r for r in page.model.all_rows() if r.code == "A3")
    assert a3.level == 3 and a3.parent == "A2 李秀英" and a3.held == 1
    # the tree: selecting A2 shows A2's team only
    item = page.tree_items[agent_id("A2")]
    page.tree.setCurrentItem(item)
    assert sorted(codes(page)) == ["A2", "A3"]
    page.tree.setCurrentItem(page.tree.topLevelItem(0))
    page.search.setText("王伟")
    page.apply_filter()
    assert codes(page) == ["A3"]


def test_create_agent_with_validation(qtbot, page, messages):
    dialog = view.AgentDialog(page, parent_id=agent_id("A1"))
    qtbot.addWidget(dialog)
    dialog.code.setText("A4")
    dialog.name.setText("赵敏")
    dialog.phone.setText("12345")  # not a phone number
    dialog.tax.setText("abc")
    dialog.save()
    assert "手机号" in messages[-1] and "税点" in messages[-1]
    assert not Agent.select().where(Agent.code == "A4").exists()
    dialog.code.setText("A1")  # taken
    dialog.phone.setText("13800138000")
    dialog.tax.setText("6%")
    dialog.save()
    assert "已被 张建国 使用" in messages[-1]
    dialog.code.setText("A4")
    dialog.tags.boxes["潜力"].setChecked(True)
    dialog.tags.free.setText("老乡")
    dialog.save()
    a4 = Agent.get(Agent.code == "A4")
    assert (a4.name, a4.parent_id, a4.phone, a4.tax_rate, a4.tags) == ("赵敏", agent_id("A1"), "13800138000", 60_000, "潜力,老乡")
    wait_loaded(qtbot, page)  # the page refreshed itself from the announced change
    assert "A4" in codes(page)


def test_edit_agent(qtbot, page, messages):
    dialog = view.AgentDialog(page, agent_id=agent_id("A2"))
    qtbot.addWidget(dialog)
    assert dialog.code.text() == "A2" and dialog.name.text() == "李秀英"
    dialog.name.setText("李秀英(杭州)")
    dialog.account.setText("6222 0212 3456 7890")
    dialog.save()
    a2 = Agent.get(Agent.code == "A2")
    assert a2.name == "李秀英(杭州)" and a2.bank_account == "6222021234567890"
    assert messages == []


def test_move_agent_refuses_cycles_and_negative_spread(qtbot, page, messages):
    a1, a2, a3 = agent_id("A1"), agent_id("A2"), agent_id("A3")
    dialog = view.MoveDialog(a1, page)
    qtbot.addWidget(dialog)
    # the descendants are not even offered
    offered = [dialog.target.itemData(i) for i in range(dialog.target.count())]
    assert a2 not in offered and a3 not in offered and a1 not in offered
    # the service refuses them anyway
    with pytest.raises(svc.UserError, match="循环"):
        svc.move_agent(a1, a3)
    # A3 directly under the agency: its rates (0.57 %) stay above the agency's cost, fine
    dialog = view.MoveDialog(a3, page)
    dialog.select(None)
    dialog.save()
    assert Agent.get_by_id(a3).parent_id is None
    # A1 under A3 would put A3 (0.57 %) above its new child A1 (0.53 %): negative 级差
    dialog = view.MoveDialog(a1, page)
    dialog.select(a3)
    dialog.save()
    assert "级差为负" in messages[-1] and "A1(张建国)" in messages[-1] and "A3(王伟)" in messages[-1]
    assert Agent.get_by_id(a1).parent_id is None  # nothing changed


def test_hold_with_children_switched_to_direct_and_release(qtbot, page, messages):
    a2, a3 = agent_id("A2"), agent_id("A3")
    Agent.update(payout="via_parent").where(Agent.id == a3).execute()
    page.select_agent(a2)
    assert page.buttons["hold"].text() == "停发"
    dialog = view.HoldDialog(a2, page)
    qtbot.addWidget(dialog)
    assert dialog.switch.isChecked() and "1 个" in dialog.switch.text()
    dialog.save()
    assert Agent.get_by_id(a2).status == "on_hold"
    assert Agent.get_by_id(a3).payout == "direct"
    wait_loaded(qtbot, page)
    page.select_agent(a2)
    assert page.buttons["hold"].text() == "恢复发放"
    page.toggle_hold()  # release
    assert Agent.get_by_id(a2).status == "active"


def test_tags_and_tag_filter(qtbot, page):
    a3 = agent_id("A3")
    dialog = view.TagsDialog(a3, page)
    qtbot.addWidget(dialog)
    dialog.editor.boxes["流失风险"].setChecked(True)
    dialog.save()
    assert Agent.get_by_id(a3).tags == "流失风险"
    wait_loaded(qtbot, page)
    page.tag_filter.setCurrentIndex(page.tag_filter.findData("流失风险"))
    assert codes(page) == ["A3"]


def test_follow_ups_and_today_list(qtbot, page, messages):
    a2 = agent_id("A2")
    dialog = view.FollowUpDialog(a2, page)
    qtbot.addWidget(dialog)
    dialog.add()  # empty note
    assert "联系内容" in messages[-1]
    dialog.day.set_date(dt.date.today() - dt.timedelta(days=10))
    dialog.note.setPlainText("电话沟通拿货计划")
    dialog.next_visit.set_date(dt.date.today() - dt.timedelta(days=3))
    dialog.add()
    assert dialog.model.rowCount() == 1
    due = view.DueDialog(page)
    qtbot.addWidget(due)
    assert due.model.rowCount() == 1 and "A2" in due.model.row_at(0).agent
    # a new contact closes the earlier one
    dialog.day.set_date(dt.date.today())
    dialog.note.setPlainText("上门拜访,已补货")
    dialog.next_visit.set_date(dt.date.today() + dt.timedelta(days=14))
    dialog.add()
    due.reload()
    assert due.model.rowCount() == 0
    assert FollowUp.select().where(FollowUp.done == True).count() == 1  # noqa: E712
    wait_loaded(qtbot, page)
    assert page.due_button.text() == "今日待跟进(0)"


def test_ctrl_f_and_ctrl_n_hooks(page):
    page.focus_search()
    assert page.search.hasFocus() or page.search.selectedText() == ""
