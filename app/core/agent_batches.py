"""What an agents import changed, so that it can be shown before and undone after.

An agents import (代理资料导入) that changes existing agents first lists the changes
(:func:`describe`): new agents, re-parented ones (with the open months whose statements
the new tree will change when they are recomputed), tax, payout and bank changes; the
office confirms (``--yes`` on the command line, a question in the window).  Each written
agent's fields before and after are kept per batch (table ``agent_import_change``,
migration 7), and :func:`undo_agents_batch` puts them back — new agents removed — while
no month was locked since the import and nothing written since depends on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from app.core.errors import UserError
from app.core.money import format_month, format_rate
from app.models import Agent, ImportBatch, database

FIELDS = ("name", "parent_id", "status", "phone", "id_no", "payout", "tax_rate", "bank",
          "bank_account", "joined", "note")
_LABELS = {"name": "名称", "status": "状态", "phone": "手机", "id_no": "身份证号", "payout": "结算方式",
           "tax_rate": "税点", "bank": "开户行", "bank_account": "银行卡号", "joined": "加入日期",
           "note": "备注"}
_STATUS = {"active": "正常", "on_hold": "停发", "closed": "注销"}
_PAYOUT = {"direct": "直结", "via_parent": "上级代发"}


@dataclass
class AgentPlan:
    """The changes an agents import will make, as lines the office reads."""

    new: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # tax, payout, bank, other fields
    corrections: list[str] = field(default_factory=list)  # what re-parenting changes in open months

    @property
    def touches_existing(self) -> bool:
        return bool(self.moved or self.changed)

    def lines(self) -> list[str]:
        out = []
        for title, items in (("新增代理", self.new), ("调整上级", self.moved), ("资料变更", self.changed),
                             ("调整上级的影响", self.corrections)):
            if items:
                out.append(f"{title}({len(items)}):")
                out += [f"  {x}" for x in items[:200]]
                if len(items) > 200:
                    out.append(f"  ……另有 {len(items) - 200} 项")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


def _shown(key: str, value: object) -> str:
    if value in (None, ""):
        return "(空)"
    if key == "tax_rate":
        return format_rate(int(value))  # type: ignore[call-overload]
    if key == "status":
        return _STATUS.get(str(value), str(value))
    if key == "payout":
        return _PAYOUT.get(str(value), str(value))
    if key == "bank_account":
        text = str(value)
        return "*" * max(0, len(text) - 4) + text[-4:]
    return str(value)


def describe(new: list[tuple[str, dict]], updates: list[tuple[Agent, dict, str, str]],
             moved_ids: list[int]) -> AgentPlan:
    """The plan for ``new`` (code, fields), ``updates`` (agent, new fields, old parent code,
    new parent code) and the ids of re-parented agents."""
    plan = AgentPlan()
    for code, data in new:
        parent = data.get("parent") or "本机构"
        plan.new.append(f"{code} {data['name']}(上级 {parent})")
    for agent, data, old_parent, new_parent in updates:
        who = f"{agent.code} {agent.name}"
        if old_parent != new_parent:
            plan.moved.append(f"{who}:上级 {old_parent or '本机构'} → {new_parent or '本机构'}")
        diffs = [
            f"{_LABELS[k]} {_shown(k, getattr(agent, k))} → {_shown(k, v)}"
            for k, v in data.items() if k in _LABELS and getattr(agent, k) != v
        ]
        if diffs:
            plan.changed.append(f"{who}:" + ";".join(diffs))
    if moved_ids:
        plan.corrections = _corrections(moved_ids)
    return plan


def _corrections(moved_ids: list[int]) -> list[str]:
    """Which open months the new tree changes: those where a moved agent's team has
    transactions or per-terminal amounts (their statements change when recomputed)."""
    from app.core.agents import descendants
    from app.core.months import locked_months

    team: set[int] = set()
    for a in moved_ids:
        team |= {a} | descendants(a)
    locked = locked_months()
    ids = ",".join(str(int(a)) for a in sorted(team))
    rows = database.execute_sql(
        "SELECT t.month, COUNT(*) FROM txn t JOIN terminal_holding h ON h.terminal_id = t.terminal_id "
        f"AND h.start <= t.date AND t.date < h.finish WHERE h.holder IN ({ids}) GROUP BY t.month ORDER BY t.month"
    ).fetchall()
    out = []
    for month, n in rows:
        if month in locked:
            continue
        out.append(f"{format_month(month)}:该月 {n} 笔交易的分润将按新的上级关系重新计算(月结时生效)")
    if any(m in locked for m, _n in rows):
        out.append("已锁定月份不变")
    return out


def record(batch_id: int, changes: list[tuple[int, dict | None, dict]]) -> None:
    """Keep (agent id, fields before or None for a new agent, fields after) of a batch."""
    database.obj.cursor().executemany(
        "INSERT INTO agent_import_change (batch_id, agent_id, before, after) VALUES (?, ?, ?, ?)",
        [(batch_id, aid, json.dumps(b, ensure_ascii=False, default=str) if b is not None else None,
          json.dumps(a, ensure_ascii=False, default=str)) for aid, b, a in changes],
    )


def snapshots() -> dict[int, dict]:
    """Every agent's importable fields as stored (dates as their text), by id."""
    return {
        row[0]: dict(zip(FIELDS, row[1:], strict=True))
        for row in database.execute_sql(f"SELECT id, {', '.join(FIELDS)} FROM agent")
    }


def undo_blocked(batch: ImportBatch) -> str:
    """Why an agents batch cannot be undone ('' when it can)."""
    created = str(batch.created or "")
    later = [m for (m,) in database.execute_sql(
        "SELECT month FROM month_state WHERE state = 'locked' AND locked_at >= ? ORDER BY month", (created,))]
    if later:
        return "导入后已锁定 " + "、".join(format_month(m) for m in later)
    rows = database.execute_sql(
        "SELECT agent_id, before, after FROM agent_import_change WHERE batch_id = ?", (batch.id,)).fetchall()
    if not rows and (batch.added or batch.updated):
        return "该批次没有可撤销的记录(旧版本导入)"
    new_ids = [aid for aid, before, _a in rows if before is None]
    now = snapshots()
    for aid, _before, after in rows:
        if now.get(aid) != json.loads(after):
            code = database.execute_sql("SELECT code FROM agent WHERE id = ?", (aid,)).fetchone()
            return f"代理 {code[0] if code else aid} 在导入后又被修改过"
    if new_ids:
        ids = ",".join(str(int(a)) for a in new_ids)
        for sql, what in (
            (f"SELECT COUNT(*) FROM terminal WHERE holder_id IN ({ids})", "持有机具"),
            (f"SELECT COUNT(*) FROM terminal_event WHERE to_agent_id IN ({ids}) OR from_agent_id IN ({ids})", "机具流转"),
            (f"SELECT COUNT(*) FROM policy WHERE agent_id IN ({ids})", "政策"),
            (f"SELECT COUNT(*) FROM adjustment WHERE agent_id IN ({ids})", "调账"),
            (f"SELECT COUNT(*) FROM statement WHERE agent_id IN ({ids})", "分润单"),
            (f"SELECT COUNT(*) FROM agent WHERE parent_id IN ({ids}) AND id NOT IN ({ids})", "其他下级"),
        ):
            if database.execute_sql(sql).fetchone()[0]:
                return f"新增的代理已有{what},请先撤销或删除那些记录"
    return ""


def undo_agents_batch(batch: ImportBatch) -> int:
    """Put every agent of the batch back as it was (inside the caller's transaction)."""
    blocked = undo_blocked(batch)
    if blocked:
        raise UserError(f"该批代理导入不能撤销:{blocked}")
    rows = database.execute_sql(
        "SELECT agent_id, before FROM agent_import_change WHERE batch_id = ?", (batch.id,)).fetchall()
    restored = 0
    for aid, before in rows:
        if before is not None:
            Agent.update(**{("parent" if k == "parent_id" else k): v for k, v in json.loads(before).items()}
                         ).where(Agent.id == aid).execute()
            restored += 1
    new_ids = [aid for aid, before in rows if before is None]
    # children before parents: clear the new agents' parents first, then delete them
    if new_ids:
        ids = ",".join(str(int(a)) for a in new_ids)
        database.execute_sql(f"UPDATE agent SET parent_id = NULL WHERE id IN ({ids})")
        restored += database.execute_sql(f"DELETE FROM agent WHERE id IN ({ids})").rowcount
    return restored
