"""Agents (代理商): the table with team figures, add/edit with validation, moving in the
tree, hold/release (停发), tags and the follow-up log (联系记录).

Rules chosen where DOMAIN.md is silent (also in docs/window.md):

* A parent can never be the agent itself or one of its descendants; a move is refused when
  it would give any (agent, product) a negative 级差 against the new parent.
* 停发 keeps the agent's payable (settlement does that); "switch children to direct" sets
  its children paid through it (上级代发) to 直结 so they are paid by the agency.
* Suggested tags from the agent's monthly volume on its statements (its team's volume),
  by the tagging service shared with the merchants (``app.core.tagging.agent_trend_tag``):
  流失风险 when the last computed month is below 70 % of the average of the two before,
  潜力 when above 130 %, 忠诚 when it has had volume in each of the last six months.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from peewee import fn

from app.core import audit, auth, values
from app.core.analytics import TeamFigures, team_figures
from app.core.errors import Changes, UserError
from app.core.money import ParseError, format_rate, prev_month
from app.core.tagging import AGENT_TAGS, agent_trend_tag, join_tags
from app.core.tagging import split_tags as split_tags  # the agents pages ask here
from app.models import Agent, FollowUp, Statement, StatementLine, database

TAG_CHOICES = AGENT_TAGS
STATUS_LABELS = {"active": "正常", "on_hold": "停发", "closed": "注销"}
PAYOUT_LABELS = {"direct": "直结", "via_parent": "上级代发"}
RESERVED_CODES = {"本机构", "agency", "机构", "本公司"}


def has_agents() -> bool:
    """Whether any agent is stored (an empty office has none)."""
    return bool(Agent.select().exists())


# ------------------------------------------------------------------ reads


@dataclass(frozen=True)
class TreeNode:
    id: int
    parent_id: int | None
    code: str
    name: str
    status: str


def agent_tree() -> list[TreeNode]:
    """Every agent as (id, parent, code, name, status), by code."""
    query = Agent.select(Agent.id, Agent.parent, Agent.code, Agent.name, Agent.status).order_by(Agent.code)
    return [TreeNode(*r) for r in database.execute(query).fetchall()]


def levels(tree: list[TreeNode]) -> dict[int, int]:
    """Depth of every agent: 1 for a first-level agent (directly under the agency)."""
    parent = {n.id: n.parent_id for n in tree}
    out: dict[int, int] = {}
    for n in tree:
        chain = []
        cur: int | None = n.id
        while cur is not None and cur not in out and cur not in chain:
            chain.append(cur)
            cur = parent.get(cur)
        base = out.get(cur, 0) if cur is not None else 0
        for depth, a in enumerate(reversed(chain), start=base + 1):
            out[a] = depth
    return out


class _Node(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def parent_id(self) -> int | None: ...


def descendants(agent_id: int, tree: Iterable[_Node] | None = None) -> set[int]:
    """Every agent below ``agent_id`` (not itself); ``tree`` is any rows with
    ``id`` and ``parent_id`` (default: the stored agents)."""
    nodes: Iterable[_Node] = tree if tree is not None else agent_tree()
    kids: dict[int | None, list[int]] = defaultdict(list)
    for n in nodes:
        kids[n.parent_id].append(n.id)
    out: set[int] = set()
    stack = list(kids[agent_id])
    while stack:
        a = stack.pop()
        if a not in out:
            out.add(a)
            stack.extend(kids[a])
    return out


@dataclass
class AgentRow:
    """One row of the 代理商 table; team figures are the agent and everyone below it."""

    id: int
    code: str
    name: str
    level: int
    parent_id: int | None
    parent: str
    status: str
    payout: str
    phone: str
    tags: list[str]
    held: int = 0
    allocated: int = 0
    activated: int = 0
    activated_month: int = 0
    activation_rate_ppm: int = 0
    fake_rate_ppm: int = 0
    lost_rate_ppm: int = 0
    avg_volume_fen: int = 0
    volume_fen: int = 0
    share_fen: int | None = None  # this month's statement gross; None when not computed
    payable_fen: int | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def tags_text(self) -> str:
        return "、".join(self.tags)


def month_shares(month: str) -> dict[int, tuple[int, int]]:
    """agent id → (gross, payable) of its statement for ``month`` (computed months only)."""
    query = Statement.select(Statement.agent, Statement.gross, Statement.payable).where(Statement.month == month)
    return {a: (g, p) for a, g, p in database.execute(query).fetchall()}


def agent_rows(month: str, figures: dict[int, TeamFigures] | None = None) -> list[AgentRow]:
    """Every agent with its team figures and share for ``month``."""
    tree = agent_tree()
    depth = levels(tree)
    by_id = {n.id: n for n in tree}
    figs = figures if figures is not None else team_figures(month)
    shares = month_shares(month)
    extra = {a: (payout, phone, tags) for a, payout, phone, tags in database.execute(
        Agent.select(Agent.id, Agent.payout, Agent.phone, Agent.tags)).fetchall()}
    out = []
    for n in tree:
        payout, phone, tags = extra[n.id]
        p = by_id.get(n.parent_id) if n.parent_id is not None else None
        f = figs.get(n.id)
        share = shares.get(n.id)
        row = AgentRow(
            n.id, n.code, n.name, depth.get(n.id, 1), n.parent_id,
            f"{p.code} {p.name}" if p else "本机构", n.status, payout, phone, split_tags(tags),
        )
        if f is not None:
            row.held, row.allocated = f.held, f.allocated
            row.activated, row.activated_month = f.activated_total, f.activated_month
            row.activation_rate_ppm, row.fake_rate_ppm = f.activation_rate_ppm, f.fake_rate_ppm
            row.lost_rate_ppm, row.avg_volume_fen, row.volume_fen = f.lost_rate_ppm, f.avg_volume_fen, f.volume_fen
        if share is not None:
            row.share_fen, row.payable_fen = share
        out.append(row)
    return out


@dataclass
class AgentForm:
    """What the add/edit dialog collects; texts as typed, checked by ``validate_form``."""

    code: str
    name: str
    parent_id: int | None = None
    phone: str = ""
    id_no: str = ""
    payout: str = "direct"
    tax_rate: str = "0"
    bank: str = ""
    bank_account: str = ""
    joined: dt.date | None = None
    note: str = ""
    status: str = "active"
    tags: list[str] = field(default_factory=list)


def agent_form(agent_id: int) -> AgentForm:
    """The agent as the edit dialog shows it; ID and bank numbers masked for a role that
    may not see them (``auth.mask_id``): saved back unchanged, they keep the stored ones."""
    a = Agent.get_by_id(agent_id)
    return AgentForm(
        a.code, a.name, a.parent_id, a.phone, auth.mask_id(a.id_no), a.payout,
        format_rate(a.tax_rate).rstrip("%").rstrip("0").rstrip(".") + "%" if a.tax_rate else "0",
        a.bank, auth.mask_bank(a.bank_account), a.joined, a.note, a.status, split_tags(a.tags),
    )


def _unmasked(form: AgentForm, agent: Agent) -> AgentForm:
    """A form whose masked numbers came back as shown gets the stored numbers again."""
    import dataclasses

    id_no, account = form.id_no, form.bank_account
    if id_no and id_no == auth.mask_id(agent.id_no) and id_no != agent.id_no:
        id_no = agent.id_no
    if account and account == auth.mask_bank(agent.bank_account) and account != agent.bank_account:
        account = agent.bank_account
    return dataclasses.replace(form, id_no=id_no, bank_account=account)


_PHONE = re.compile(r"1\d{10}|0\d{2,3}-?\d{7,8}")
_ID_NO = re.compile(r"\d{17}[\dXx]")
_ACCOUNT = re.compile(r"\d{12,19}")


def validate_form(form: AgentForm, agent_id: int | None = None) -> dict[str, Any]:
    """Check a form; returns the column values to store, or raises UserError listing every problem."""
    problems: list[str] = []

    def checked(fn: Any, text: Any, label: str, default: Any = "") -> Any:  # app.core.values' rules
        try:
            return fn(text, label)
        except ParseError as exc:
            problems.append(str(exc) if label in str(exc) else f"{label}:{exc}")
            return default

    code = checked(values.code, form.code, "代理编号")
    name = checked(values.name_text, form.name, "代理名称")
    bank = checked(values.note, form.bank, "开户行")
    note = checked(values.note, form.note, "备注")
    if form.joined is not None:
        checked(values.check_day, form.joined, "加入日期", None)
    if not code:
        pass
    elif code.lower() in RESERVED_CODES or code.upper() == "AGENCY":
        problems.append(f"“{code}”是保留字,表示本机构")
    else:
        clash = Agent.get_or_none(Agent.code == code)
        if clash is not None and clash.id != agent_id:
            problems.append(f"代理编号 {code} 已被 {clash.name} 使用")
    phone = form.phone.strip().replace(" ", "")
    if phone and not _PHONE.fullmatch(phone):
        problems.append(f"手机号“{phone}”格式不对(11位手机号或带区号的座机)")
    id_no = form.id_no.strip().upper()
    if id_no and not _ID_NO.fullmatch(id_no):
        problems.append("身份证号应为18位(最后一位可为X)")
    account = form.bank_account.replace(" ", "")
    if account and not _ACCOUNT.fullmatch(account):
        problems.append("银行卡号应为12~19位数字")
    try:
        tax = values.tax_rate(form.tax_rate)
    except ParseError as exc:
        problems.append(f"税点:{exc}")
        tax = 0
    if form.payout not in PAYOUT_LABELS:
        problems.append("结算方式应为直结或上级代发")
    if form.payout == "via_parent" and form.parent_id is None:
        problems.append("一级代理没有上级,不能选“上级代发”")
    if form.status not in STATUS_LABELS:
        problems.append("状态应为正常、停发或注销")
    if form.parent_id is not None:
        parent = Agent.get_or_none(Agent.id == form.parent_id)
        if parent is None:
            problems.append("所选上级不存在")
        elif agent_id is not None and (form.parent_id == agent_id or form.parent_id in descendants(agent_id)):
            problems.append("上级不能是自己或自己的下级")
    if problems:
        raise UserError("代理资料有误:\n" + "\n".join(problems))
    return {
        "code": code, "name": name, "phone": phone, "id_no": id_no, "payout": form.payout,
        "tax_rate": tax, "bank": bank, "bank_account": account, "joined": form.joined,
        "note": note, "status": form.status, "tags": join_tags(form.tags),
    }


def create_agent(form: AgentForm) -> tuple[Changes, int]:
    """Add an agent under ``form.parent_id`` (None = directly under the agency)."""
    auth.require("edit")
    values = validate_form(form)
    with database.atomic():
        agent_id = Agent.insert(parent=form.parent_id, **values).execute()
        audit.record("代理商.新增", f"代理商 {values['code']}", None, _snapshot(int(agent_id)))
    return Changes({"agents"}, message=f"已添加代理 {values['code']} {values['name']}"), int(agent_id)


def update_agent(agent_id: int, form: AgentForm) -> Changes:
    """Save an edited agent; a changed parent goes through ``move_agent``'s checks."""
    agent = Agent.get_or_none(Agent.id == agent_id)
    if agent is None:
        raise UserError("该代理已不存在")
    auth.require("edit")
    values = validate_form(_unmasked(form, agent), agent_id)
    with database.atomic():
        before = _snapshot(agent_id)
        Agent.update(**values).where(Agent.id == agent_id).execute()
        if form.parent_id != agent.parent_id:
            _move(agent_id, form.parent_id)
        _audit_change("代理商.修改", agent_id, before)
    return Changes({"agents", "policies"}, message=f"已保存代理 {values['code']} {values['name']}")


def _snapshot(agent_id: int) -> dict[str, Any]:
    """The agent's row as the audit log keeps it (parent by code)."""
    a = Agent.get_by_id(agent_id)
    parent = Agent.get_or_none(Agent.id == a.parent_id) if a.parent_id else None
    return {"code": a.code, "name": a.name, "parent": parent.code if parent else None,
            "status": a.status, "payout": a.payout, "tax_rate": a.tax_rate, "phone": a.phone,
            "id_no": a.id_no, "bank": a.bank, "bank_account": a.bank_account,
            "joined": str(a.joined or ""), "note": a.note, "tags": a.tags}


def _audit_change(action: str, agent_id: int, before: dict[str, Any]) -> None:
    """Record what changed on one agent: only the fields that differ."""
    after = _snapshot(agent_id)
    keys = [k for k in after if before.get(k) != after[k]]
    if keys:
        audit.record(action, f"代理商 {after['code']}", {k: before.get(k) for k in keys},
                     {k: after[k] for k in keys})


def _label(agent_id: int | None) -> str:
    if agent_id is None:
        return "本机构"
    a = Agent.get_by_id(agent_id)
    return f"{a.code}({a.name})"


def _move(agent_id: int, new_parent_id: int | None) -> None:
    from app.core.policies import check_spread_for_agents

    if new_parent_id is not None:
        if new_parent_id == agent_id:
            raise UserError("上级不能是自己")
        if new_parent_id in descendants(agent_id):
            raise UserError(f"不能把 {_label(agent_id)} 移到自己的下级 {_label(new_parent_id)} 之下(会形成循环)")
        if Agent.get_or_none(Agent.id == new_parent_id) is None:
            raise UserError("目标上级不存在")
    Agent.update(parent=new_parent_id).where(Agent.id == agent_id).execute()
    if new_parent_id is None:
        Agent.update(payout="direct").where((Agent.id == agent_id) & (Agent.payout == "via_parent")).execute()
    problems = check_spread_for_agents([agent_id])
    if problems:
        raise UserError(
            f"把 {_label(agent_id)} 移到 {_label(new_parent_id)} 之下会使级差为负,未移动:\n"
            + "\n".join(problems[:20])
        )


def move_agent(agent_id: int, new_parent_id: int | None) -> Changes:
    """Put an agent (with its whole team) under another parent; cycles and negative 级差 refused."""
    agent = Agent.get_or_none(Agent.id == agent_id)
    if agent is None:
        raise UserError("该代理已不存在")
    if agent.parent_id == new_parent_id:
        raise UserError(f"{_label(agent_id)} 已在 {_label(new_parent_id)} 之下")
    auth.require("edit")
    with database.atomic():
        before = _snapshot(agent_id)
        _move(agent_id, new_parent_id)
        _audit_change("代理商.移动", agent_id, before)
    return Changes({"agents", "policies", "statements"},
                   message=f"已把 {_label(agent_id)} 移到 {_label(new_parent_id)} 之下")


def hold_agent(agent_id: int, switch_children_to_direct: bool = False) -> Changes:
    """停发: the agent's payable is kept; optionally its children are paid directly (直结)."""
    agent = Agent.get_or_none(Agent.id == agent_id)
    if agent is None:
        raise UserError("该代理已不存在")
    if agent.status == "closed":
        raise UserError("已注销的代理不能停发")
    auth.require("edit")
    with database.atomic():
        Agent.update(status="on_hold").where(Agent.id == agent_id).execute()
        switched = 0
        if switch_children_to_direct:
            switched = Agent.update(payout="direct").where(
                (Agent.parent == agent_id) & (Agent.payout == "via_parent")).execute()
        audit.record("代理商.停发", f"代理商 {agent.code}", {"status": agent.status},
                     {"status": "on_hold", "children_switched_to_direct": switched})
    extra = f",{switched} 个下级改为直结" if switched else ""
    return Changes({"agents", "statements"}, message=f"已停发 {_label(agent_id)}{extra}")


def release_agent(agent_id: int) -> Changes:
    """恢复: end a hold; kept amounts are paid with the next statement."""
    agent = Agent.get_or_none(Agent.id == agent_id)
    if agent is None:
        raise UserError("该代理已不存在")
    if agent.status != "on_hold":
        raise UserError(f"{_label(agent_id)} 未停发")
    auth.require("edit")
    with database.atomic():
        Agent.update(status="active").where(Agent.id == agent_id).execute()
        audit.record("代理商.恢复", f"代理商 {agent.code}", {"status": agent.status},
                     {"status": "active"})
    return Changes({"agents", "statements"}, message=f"已恢复 {_label(agent_id)} 的分润发放")


def children_via_parent(agent_id: int) -> int:
    return Agent.select().where((Agent.parent == agent_id) & (Agent.payout == "via_parent")).count()


# ------------------------------------------------------------------ tags


def set_tags(agent_id: int, tags: list[str]) -> Changes:
    auth.require("edit")
    with database.atomic():
        before = _snapshot(agent_id)
        Agent.update(tags=join_tags(tags)).where(Agent.id == agent_id).execute()
        _audit_change("代理商.标签", agent_id, before)
    return Changes({"agents"}, message="已更新标签")


def suggested_tags(month: str) -> dict[int, str]:
    """agent id → 流失风险 / 潜力 / 忠诚 from its statement volumes up to ``month``."""
    months = [month]
    for _ in range(5):
        months.append(prev_month(months[-1]))
    volume = (StatementLine.credit_volume + StatementLine.debit_volume + StatementLine.scan_volume)
    query = (Statement.select(Statement.agent, Statement.month, fn.SUM(volume))
             .join(StatementLine).where(Statement.month.in_(months))
             .group_by(Statement.agent, Statement.month))
    per: dict[int, dict[str, int]] = defaultdict(dict)
    for agent, m, v in database.execute(query):
        per[agent][m] = int(v or 0)
    out: dict[int, str] = {}
    for agent, vols in per.items():
        tag = agent_trend_tag([vols.get(m, 0) for m in months])
        if tag is not None:
            out[agent] = tag
    return out


def apply_suggested_tags(month: str) -> Changes:
    """Replace the three trend tags of every agent by the suggestion (free tags are kept)."""
    auth.require("edit")
    suggestion = suggested_tags(month)
    changed = 0
    with database.atomic():
        for agent_id, tags in database.execute(Agent.select(Agent.id, Agent.tags)).fetchall():
            kept = [t for t in split_tags(tags) if t not in TAG_CHOICES]
            new = join_tags(kept + ([suggestion[agent_id]] if agent_id in suggestion else []))
            if new != (tags or ""):
                Agent.update(tags=new).where(Agent.id == agent_id).execute()
                changed += 1
        if changed:
            audit.record("代理商.标签", f"按{month}交易趋势", None, {"agents_changed": changed})
    return Changes({"agents"}, message=f"已按交易趋势更新 {changed} 个代理的标签")


# ------------------------------------------------------------------ follow-ups (联系记录)


@dataclass(frozen=True)
class FollowUpRow:
    id: int
    agent_id: int
    agent: str
    date: dt.date
    note: str
    next_visit: dt.date | None
    done: bool


def _fu_rows(query: Any) -> list[FollowUpRow]:
    labels = {a: f"{c} {n}" for a, c, n in database.execute(Agent.select(Agent.id, Agent.code, Agent.name))}
    return [FollowUpRow(f.id, f.agent_id, labels.get(f.agent_id, ""), f.date, f.note, f.next_visit, f.done)
            for f in query]


def add_follow_up(agent_id: int, day: dt.date, note: str, next_visit: dt.date | None = None) -> Changes:
    """Log a contact with an agent; the earlier open follow-ups of that agent are done."""
    note = note.strip()
    if not note:
        raise UserError("请填写联系内容")
    if next_visit is not None and next_visit < day:
        raise UserError("下次拜访日期不能早于联系日期")
    if Agent.get_or_none(Agent.id == agent_id) is None:
        raise UserError("该代理已不存在")
    auth.require("edit")
    with database.atomic():
        FollowUp.update(done=True).where((FollowUp.agent == agent_id) & (FollowUp.done == False)).execute()  # noqa: E712
        FollowUp.create(agent=agent_id, date=day, note=note, next_visit=next_visit, done=False)
    return Changes({"followups"}, message="已记录联系")


def follow_ups(agent_id: int) -> list[FollowUpRow]:
    """The agent's contact log, newest first."""
    return _fu_rows(FollowUp.select().where(FollowUp.agent == agent_id)
                    .order_by(FollowUp.date.desc(), FollowUp.id.desc()))


def due_follow_ups(today: dt.date | None = None) -> list[FollowUpRow]:
    """今日待跟进: open follow-ups whose next visit is today or already past, oldest first."""
    today = today or dt.date.today()
    return _fu_rows(FollowUp.select().where(
        (FollowUp.done == False) & FollowUp.next_visit.is_null(False) & (FollowUp.next_visit <= today)  # noqa: E712
    ).order_by(FollowUp.next_visit, FollowUp.id))


def mark_follow_up_done(follow_up_id: int) -> Changes:
    with database.atomic():
        FollowUp.update(done=True).where(FollowUp.id == follow_up_id).execute()
    return Changes({"followups"}, message="已标记为完成")
