"""The agents import (代理资料): parse and check every row, show what changes, then write.

A file with a summary row (合计 …: the app's own 打款清单 or 分润单, or any report) is
refused by the reader before a row is read here (``app.io.trailer``).  An import that
changes existing agents (re-parents them, or changes tax, payout, bank or other fields)
is described first (``app.core.agent_batches.describe``) and written only when ``confirm``
says so; what it wrote is kept so that the batch can be undone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core import agent_batches, values
from app.core.errors import UserError
from app.core.policies import check_spread_for_agents
from app.io.importers import (
    AGENCY_WORDS,
    PAYOUT,
    STATUS,
    ImportReport,
    Rows,
    _batch,
    _choice,
    _finish,
    _note,
)
from app.io.reader import Table
from app.models import Agent, database

AGENT_KEYS = ["code", "name", "parent", "status", "phone", "id_no", "payout", "tax_rate", "bank",
              "bank_account", "joined", "note"]
_FIELDS = ["name", "status", "phone", "id_no", "payout", "tax_rate", "bank", "bank_account", "joined", "note"]


class ConfirmationNeeded(UserError):
    """The import would change existing agents and was not confirmed."""

    def __init__(self, plan: agent_batches.AgentPlan):
        super().__init__(
            "此次代理导入将修改已有代理,未导入任何数据。变更如下:\n" + plan.text()
            + "\n核对无误后请确认导入(命令行请加 --yes 重新运行)。"
        )
        self.plan = plan


def _is_agency(code: str) -> bool:
    return code.lower() in AGENCY_WORDS or code.upper() == "AGENCY"


def _parse(table: Table, rows: Rows) -> dict[str, tuple[int, dict]]:
    parsed: dict[str, tuple[int, dict]] = {}
    first: dict = {}
    for row, v in table.rows(AGENT_KEYS):
        rec = dict(zip(AGENT_KEYS, v, strict=True))
        code = rows.parse(row, "code", rec["code"], lambda t: values.code(t, "代理编号"), required=True)
        if code is not None and _is_agency(code):
            rows.bad(row, "code", f"“{code}”是保留字,表示本机构")
            code = None
        parent = rec["parent"]
        parent = "" if _is_agency(parent) else rows.parse(
            row, "parent", parent, lambda t: values.code(t, "上级编号"), default="")
        data = {
            "name": rows.parse(row, "name", rec["name"], lambda t: values.name_text(t, "代理名称"),
                               required=True, default=""),
            "parent": parent,
            "status": rows.parse(row, "status", rec["status"], _choice(STATUS, "状态"), default="active"),
            "phone": rows.parse(row, "phone", rec["phone"], _note("手机", values.MAX_CODE), default=""),
            "id_no": rows.parse(row, "id_no", rec["id_no"], _note("身份证号", values.MAX_CODE), default=""),
            "payout": rows.parse(row, "payout", rec["payout"], _choice(PAYOUT, "结算方式"), default="direct"),
            "tax_rate": rows.parse(row, "tax_rate", rec["tax_rate"], values.tax_rate, default=0),
            "bank": rows.parse(row, "bank", rec["bank"], _note("开户行"), default=""),
            "bank_account": rows.parse(row, "bank_account", rec["bank_account"].replace(" ", ""),
                                       _note("银行卡号", values.MAX_CODE), default=""),
            "joined": rows.parse(row, "joined", rec["joined"], values.day),
            "note": rows.parse(row, "note", rec["note"], _note("备注"), default=""),
        }
        if code is None or rows.once(row, "code", code, data, "代理编号", first):
            continue
        parsed[code] = (row, data)
    return parsed


def _check_tree(rows: Rows, parsed: dict[str, tuple[int, dict]], existing: dict[str, Any]) -> None:
    """Parents known or in this file, and no cycle in the merged tree."""
    code_of = {a.id: code for code, a in existing.items()}
    parent_of = {code: code_of.get(a.parent_id, "") if a.parent_id else "" for code, a in existing.items()}
    for code, (row, data) in parsed.items():
        if data["parent"] and data["parent"] not in existing and data["parent"] not in parsed:
            rows.bad(row, "parent", f"上级编号 {data['parent']} 不存在")
        elif data["parent"] == code:
            rows.bad(row, "parent", "上级不能是自己")
        else:
            parent_of[code] = data["parent"]
    for code, (row, _data) in parsed.items():
        seen = [code]
        node = parent_of.get(code, "")
        while node:
            if node in seen:
                rows.bad(row, "parent", f"上级关系形成循环:{' → '.join(seen + [node])}")
                break
            seen.append(node)
            node = parent_of.get(node, "")


def import_agents(table: Table, report: ImportReport,
                  confirm: Callable[[agent_batches.AgentPlan], bool] | None = None) -> None:
    rows = Rows(table)
    existing = {a.code: a for a in Agent.select()}
    parsed = _parse(table, rows)
    _check_tree(rows, parsed, existing)
    rows.raise_if_bad()
    code_of = {a.id: code for code, a in existing.items()}
    new: list[tuple[str, dict]] = []
    updates: list[tuple[Any, dict, str, str]] = []
    for code, (_row, data) in parsed.items():
        agent = existing.get(code)
        if agent is None:
            new.append((code, data))
            continue
        fields = {k: data[k] for k in _FIELDS}
        old_parent = code_of.get(agent.parent_id, "") if agent.parent_id else ""
        if all(getattr(agent, k) == v for k, v in fields.items()) and old_parent == data["parent"]:
            report.skipped += 1
        else:
            updates.append((agent, fields, old_parent, data["parent"]))
    moved_ids = [a.id for a, _f, old, new_parent in updates if old != new_parent]
    plan = agent_batches.describe(new, updates, moved_ids)
    report.notices.extend(plan.lines())
    if plan.touches_existing:
        report.confirm_text = plan.text()
    if plan.touches_existing and confirm is not None and not confirm(plan):
        raise ConfirmationNeeded(plan)
    _write(table, report, new, updates, moved_ids)


def _write(table: Table, report: ImportReport, new: list[tuple[str, dict]],
           updates: list[tuple[Any, dict, str, str]], moved_ids: list[int]) -> None:
    batch = _batch("agents", table)
    before = agent_batches.snapshots()
    for agent, fields, _old, _new in updates:
        Agent.update(**fields).where(Agent.id == agent.id).execute()
    report.updated = len(updates)
    if new:
        cols = ", ".join(["code", *_FIELDS, "tags"])
        marks = ", ".join("?" * (len(_FIELDS) + 2))
        database.obj.cursor().executemany(
            f"INSERT INTO agent ({cols}) VALUES ({marks})",
            [(code, *(d[k].isoformat() if k == "joined" and d[k] else d[k] for k in _FIELDS), "")
             for code, d in new],
        )
        report.added = len(new)
    ids = dict(database.obj.execute_sql("SELECT code, id FROM agent").fetchall())
    parents = [(ids[d["parent"]] if d["parent"] else None, ids[code]) for code, d in new]
    parents += [(ids[p] if p else None, a.id) for a, _f, old, p in updates if old != p]
    database.obj.cursor().executemany("UPDATE agent SET parent_id = ? WHERE id = ?", parents)
    if moved_ids:
        problems = check_spread_for_agents(moved_ids)
        if problems:
            raise UserError("调整上级后级差为负,未导入任何数据:\n" + "\n".join(problems))
    after = agent_batches.snapshots()
    changed = [ids[code] for code, _d in new] + [a.id for a, *_rest in updates]
    agent_batches.record(batch.id, [(aid, before.get(aid), after[aid]) for aid in changed])
    _finish(batch, report)
