"""Stored policies (政策): history per agent × product, adding versions, bulk apply, and
the 级差 guard — in one place for the file importer and the window.

``add_policies(records)`` is the one way a policy version is written: it refuses a date in
a locked month and any negative 级差 (a child's rate, cap or per-transaction cost below
its parent's, or its cashback/bonus above, on any date), naming both agents.  The guard
looks both ways: the touched agent against its parent, and its children against it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core import audit, auth
from app.core.errors import Changes, RowError, UserError
from app.core.money import format_month, month_of
from app.core.months import last_locked_day, locked_months
from app.core.policy import TERM_FIELDS, Book, Terms, spread_violations
from app.models import Agent, Policy, Product, database


def policy_book(product_ids: Iterable[int] | None = None) -> Book:
    """Every stored policy version (of the given products) keyed by (agent, product)."""
    book = Book()
    query = Policy.select()
    if product_ids is not None:
        query = query.where(Policy.product.in_(list(product_ids)))
    for p in query:
        book.add((p.agent_id, p.product_id), p.effective_from, Terms(*(getattr(p, f) for f in TERM_FIELDS)))
    return book


def company_terms(book: Book, product: Product) -> list[tuple[dt.date, Terms]]:
    """The agency's own line as a parent: its cost rates, and the company's amounts."""
    out = []
    for day, t in book.history((None, product.id)):
        values = {f: getattr(t, f) for f in TERM_FIELDS}
        if product.company_cashback:
            values["cashback"] = product.company_cashback
        if product.company_qualify_bonus:
            values["qualify_bonus"] = product.company_qualify_bonus
        out.append((day, Terms(**values)))
    return out


def agent_label(agents: dict[int, Agent], agent_id: int | None) -> str:
    if agent_id is None:
        return "本机构"
    a = agents[agent_id]
    return f"{a.code}({a.name})"


def spread_problems(
    book: Book, pairs: Iterable[tuple[int, int]], parent_of: dict[int, int | None] | None = None
) -> list[tuple[int, int, str]]:
    """(child, product, message) for every negative 级差 between a child and its parent.
    ``parent_of`` overrides stored parents (a move not yet written)."""
    agents = {a.id: a for a in Agent.select()}
    products = {p.id: p for p in Product.select()}
    out = []
    for child, pid in pairs:
        parent = agents[child].parent_id
        if parent_of is not None and child in parent_of:
            parent = parent_of[child]
        parent_terms = (
            book.history((parent, pid)) if parent is not None else company_terms(book, products[pid])
        )
        for v in spread_violations(book.history((child, pid)), parent_terms):
            text = v.describe(agent_label(agents, child), agent_label(agents, parent))
            out.append((child, pid, f"产品 {products[pid].code}:{text}"))
    return out


def check_spread_for_agents(agent_ids: Sequence[int], parent_of: dict[int, int | None] | None = None) -> list[str]:
    """Messages for every negative 级差 of these agents against their (new) parents."""
    book = policy_book()
    wanted = set(agent_ids)
    pairs = [key for key in book.keys() if isinstance(key, tuple) and key[0] in wanted]
    return [msg for _, _, msg in spread_problems(book, pairs, parent_of)]


# ------------------------------------------------------------------ adding versions


@dataclass
class PolicyRecord:
    """One policy version to add: agent None = the agency's own cost (本机构成本)."""

    agent_id: int | None
    product_id: int
    effective_from: dt.date
    terms: dict[str, int | None]  # TERM_FIELDS → value (rates ppm, money fen, cap may be None)
    row: int = 0  # names it in messages (a file row; 0 in the window)


@dataclass
class PolicyProblem:
    row: int
    key: str
    reason: str


@dataclass
class PolicyCounts:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[PolicyProblem] = field(default_factory=list)


def _full_terms(data: dict[str, int | None]) -> dict[str, int | None]:
    out: dict[str, int | None] = dict.fromkeys(TERM_FIELDS, 0)
    out["debit_cap"] = None
    out.update(data)
    return out


def check_policies(records: Sequence[PolicyRecord], *, locked_ok: bool = False) -> list[PolicyProblem]:
    """Every reason the records cannot be written (nothing is written).  ``locked_ok``: the
    records correct a locked month and are never written (补差, app.core.resettle), so only
    the 级差 guard applies."""
    problems: list[PolicyProblem] = []
    limit = None if locked_ok else last_locked_day(locked_months())
    existing = {(p.agent_id, p.product_id, p.effective_from): p for p in Policy.select()}
    seen: dict[tuple[Any, ...], int] = {}
    for r in records:
        key = (r.agent_id, r.product_id, r.effective_from)
        if key in seen:
            problems.append(PolicyProblem(r.row, "effective_from", f"同一代理同一产品同一生效日期重复(第{seen[key]}行)"))
            continue
        seen[key] = r.row
        old = existing.get(key)
        if old is None or any(getattr(old, k) != v for k, v in r.terms.items()):
            if limit is not None and r.effective_from <= limit:
                problems.append(PolicyProblem(
                    r.row, "effective_from",
                    f"{format_month(month_of(limit))}及以前的月份已锁定,不能再改动生效于 {r.effective_from} 的数据"))
    if problems:
        return problems
    # the 级差 guard on the merged policies: each touched agent against its parent and children
    book = policy_book({r.product_id for r in records})
    for r in records:
        book.add((r.agent_id, r.product_id), r.effective_from, Terms(**_full_terms(r.terms)))  # type: ignore[arg-type]
    children: dict[int | None, list[int]] = defaultdict(list)
    parents: dict[int, int | None] = {}
    for a in Agent.select(Agent.id, Agent.parent):
        children[a.parent_id].append(a.id)
        parents[a.id] = a.parent_id
    pairs: set[tuple[int, int]] = set()
    for r in records:
        if r.agent_id is not None:
            pairs.add((r.agent_id, r.product_id))
        for child in children[r.agent_id]:
            pairs.add((child, r.product_id))
    row_of: dict[tuple[int | None, int], int] = {}
    for r in sorted(records, key=lambda x: x.row):
        row_of.setdefault((r.agent_id, r.product_id), r.row)
    for child, pid, message in spread_problems(book, sorted(pairs)):
        owner = child if (child, pid) in row_of else parents.get(child)
        row = row_of.get((child, pid)) or row_of.get((owner, pid), 0)
        problems.append(PolicyProblem(row, "", message))
    return problems


def write_policies(records: Sequence[PolicyRecord]) -> PolicyCounts:
    """Insert new versions, update changed ones, skip equal ones (already checked)."""
    counts = PolicyCounts()
    existing = {(p.agent_id, p.product_id, p.effective_from): p for p in Policy.select()}
    new_rows = []
    for r in records:
        old = existing.get((r.agent_id, r.product_id, r.effective_from))
        if old is None:
            full = _full_terms(r.terms)
            new_rows.append(
                (r.agent_id, r.product_id, r.effective_from.isoformat(), *(full[f] for f in TERM_FIELDS))
            )
            counts.added += 1
        elif all(getattr(old, k) == v for k, v in r.terms.items()):
            counts.skipped += 1
        else:
            Policy.update(**r.terms).where(Policy.id == old.id).execute()
            counts.updated += 1
    if new_rows:
        cols = ", ".join(["agent_id", "product_id", "effective_from", *TERM_FIELDS])
        marks = ", ".join("?" * (3 + len(TERM_FIELDS)))
        database.obj.cursor().executemany(f"INSERT INTO policy ({cols}) VALUES ({marks})", new_rows)
    return counts


def add_policies(
    records: Sequence[PolicyRecord], file_name: str = "", column_name: Callable[[str], str] = str
) -> PolicyCounts:
    """Check then write policy versions, all or nothing (UserError naming every problem).
    The file importer calls it inside its own transaction with ``file_name`` set."""
    if not records:
        raise UserError("没有要保存的政策")
    auth.require("import" if file_name else "edit")
    with database.atomic():
        problems = check_policies(records)
        if problems:
            if file_name:
                rows = [RowError(file_name, p.row, column_name(p.key) if p.key else "", p.reason)
                        for p in problems]
                err = UserError(f"文件 {file_name} 有 {len(problems)} 处错误,未导入任何数据:", rows)
            else:
                err = UserError("政策未保存:\n" + "\n".join(p.reason for p in problems[:30]))
            err.problems = problems  # type: ignore[attr-defined]
            raise err
        counts = write_policies(records)
        if not file_name:  # an import is recorded by the importer, once for its file
            audit.record("政策.保存", _policy_object(records), None,
                         [_policy_entry(r) for r in records[:200]])
        return counts


def _policy_object(records: Sequence[PolicyRecord]) -> str:
    codes: dict[int, str] = {p.id: p.code for p in Product.select(Product.id, Product.code)}
    products = sorted({codes.get(r.product_id, str(r.product_id)) for r in records})
    return f"政策 {'、'.join(products)} 共 {len(records)} 条"


def _policy_entry(r: PolicyRecord) -> dict[str, Any]:
    agent = Agent.get_or_none(Agent.id == r.agent_id) if r.agent_id is not None else None
    return {"agent": agent.code if agent else "本机构", "product_id": r.product_id,
            "effective_from": r.effective_from.isoformat(), **r.terms}


# ------------------------------------------------------------------ the window's reads


@dataclass(frozen=True)
class PolicyVersion:
    """One stored version as the 政策 page shows it."""

    id: int
    agent_id: int | None
    product_id: int
    effective_from: dt.date
    terms: Terms


def policy_history(agent_id: int | None, product_id: int) -> list[PolicyVersion]:
    """The versions of (agent, product), oldest first."""
    cond = Policy.agent.is_null() if agent_id is None else Policy.agent == agent_id
    query = Policy.select().where(cond & (Policy.product == product_id)).order_by(Policy.effective_from)
    return [
        PolicyVersion(p.id, p.agent_id, p.product_id, p.effective_from,
                      Terms(*(getattr(p, f) for f in TERM_FIELDS)))
        for p in query
    ]


def parent_history(agent_id: int | None, product_id: int) -> tuple[str, list[PolicyVersion]]:
    """The parent's label and versions (for the agency as parent: its cost and the company's
    amounts).  The agency itself has no parent: ('', [])."""
    if agent_id is None:
        return "", []
    agent = Agent.get_by_id(agent_id)
    if agent.parent_id is not None:
        parent = Agent.get_by_id(agent.parent_id)
        return f"{parent.code}({parent.name})", policy_history(parent.id, product_id)
    product = Product.get_by_id(product_id)
    book = policy_book([product_id])
    return "本机构", [PolicyVersion(0, None, product_id, day, t) for day, t in company_terms(book, product)]


def in_force(versions: Sequence[PolicyVersion], day: dt.date) -> PolicyVersion | None:
    found = None
    for v in versions:
        if v.effective_from <= day:
            found = v
    return found


@dataclass(frozen=True)
class PolicyOverview:
    """One row of the 政策 overview: an agent × product and its version in force today."""

    agent_id: int | None
    agent: str
    parent: str
    product_id: int
    product: str
    versions: int
    effective_from: dt.date
    terms: Terms


def policy_overview(today: dt.date | None = None) -> list[PolicyOverview]:
    """The latest version in force (or the first future one) per agent × product."""
    today = today or dt.date.today()
    agents = {a.id: a for a in Agent.select(Agent.id, Agent.code, Agent.name, Agent.parent)}
    products = {p.id: p.code for p in Product.select(Product.id, Product.code)}
    book = policy_book()
    out = []
    for key in book.keys():
        assert isinstance(key, tuple)
        agent_id, pid = key
        history = book.history(key)
        current = history[0]
        for day, t in history:
            if day <= today:
                current = (day, t)
        a = agents.get(agent_id) if agent_id is not None else None
        parent = ""
        if a is not None:
            parent = agent_label(agents, a.parent_id)
        out.append(PolicyOverview(
            agent_id, agent_label(agents, agent_id) if agent_id is not None else "本机构(成本)",
            parent, pid, products.get(pid, ""), len(history), current[0], current[1],
        ))
    out.sort(key=lambda o: (o.agent_id is not None, o.agent, o.product))
    return out


def bulk_apply(agent_ids: Sequence[int | None], product_id: int, day: dt.date,
               terms: dict[str, int | None]) -> Changes:
    """Give several agents the same policy version from ``day`` (all or nothing)."""
    if not agent_ids:
        raise UserError("请至少选择一个代理")
    records = [PolicyRecord(a, product_id, day, dict(terms), row=i + 1) for i, a in enumerate(agent_ids)]
    counts = add_policies(records)
    return Changes({"policies", "agents"}, {month_of(day)},
                   f"已保存 {counts.added + counts.updated} 条政策(新增 {counts.added},更新 {counts.updated},"
                   f"相同跳过 {counts.skipped})")


def delete_policy(policy_id: int) -> Changes:
    """Remove one version, unless its date is in a locked month or the guard then fails."""
    p = Policy.get_or_none(Policy.id == policy_id)
    if p is None:
        raise UserError("该政策已不存在")
    limit = last_locked_day(locked_months())
    if limit is not None and p.effective_from <= limit:
        raise UserError(f"{format_month(month_of(limit))}及以前的月份已锁定,不能删除生效于 {p.effective_from} 的政策")
    auth.require("edit")
    with database.atomic():
        before = _policy_entry(PolicyRecord(p.agent_id, p.product_id, p.effective_from,
                                            {f: getattr(p, f) for f in TERM_FIELDS}))
        p.delete_instance()
        audit.record("政策.删除", f"政策 {before['agent']} 生效于 {before['effective_from']}",
                     before, None)
        kids = [a.id for a in Agent.select(Agent.id).where(
            Agent.parent.is_null() if p.agent_id is None else Agent.parent == p.agent_id)]
        touched = ([p.agent_id] if p.agent_id is not None else []) + kids
        problems = [m for m in check_spread_for_agents(touched)]
        if problems:
            raise UserError("删除后级差为负,未删除:\n" + "\n".join(problems[:20]))
    return Changes({"policies", "agents"}, {month_of(p.effective_from)}, "已删除该政策版本")


# ------------------------------------------------------------------ the form's fields

FIELD_LABELS = {
    "credit_rate": "贷记卡结算价", "debit_rate": "借记卡结算价", "debit_cap": "借记卡封顶",
    "scan_rate": "扫码结算价", "per_txn": "单笔成本", "cashback": "激活返现",
    "qualify_bonus": "达标奖励", "unqualified_penalty": "未达标扣款", "deposit": "押金",
}
RATE_FIELDS = ("credit_rate", "debit_rate", "scan_rate")


def parse_term(name: str, text: str) -> int | None:
    """One field as typed: rates (``0.6%``, ``万60``…) to ppm, money to fen; blank cap = 不封顶."""
    from app.core import values
    from app.core.money import ParseError

    text = text.strip()
    if name == "debit_cap" and text in ("", "不封顶", "无"):
        return None
    if not text:
        if name in RATE_FIELDS:
            raise UserError(f"{FIELD_LABELS[name]}不能为空")
        return 0
    try:
        value = values.rate(text) if name in RATE_FIELDS else values.money(text)
    except ParseError as exc:
        raise UserError(f"{FIELD_LABELS[name]}:{exc}") from None
    if name == "unqualified_penalty":
        return abs(value)
    if value < 0:
        raise UserError(f"{FIELD_LABELS[name]}不能为负")
    return value


def terms_from_text(values: dict[str, str]) -> dict[str, int | None]:
    """Every field of a policy form, or UserError listing every bad one."""
    out: dict[str, int | None] = {}
    problems = []
    for name in TERM_FIELDS:
        try:
            out[name] = parse_term(name, values.get(name, ""))
        except UserError as exc:
            problems.append(exc.message)
    if problems:
        raise UserError("政策填写有误:\n" + "\n".join(problems))
    return out


def add_policy_version(agent_id: int | None, product_id: int, day: dt.date,
                       values: dict[str, str]) -> Changes:
    """The policy form's 保存: one new version from ``day`` (the 级差 guard applies)."""
    terms = terms_from_text(values)
    counts = add_policies([PolicyRecord(agent_id, product_id, day, terms)])
    verb = "已新增" if counts.added else "已更新" if counts.updated else "无变化:已有相同的"
    return Changes({"policies", "agents"}, {month_of(day)}, f"{verb}政策版本({day} 起生效)")


def agents_for_policies() -> list[tuple[int | None, str]]:
    """(id, label) of the agency (None) and every agent, for pickers."""
    out: list[tuple[int | None, str]] = [(None, "本机构(成本)")]
    out += [(a, f"{c} {n}") for a, c, n in database.execute(
        Agent.select(Agent.id, Agent.code, Agent.name).order_by(Agent.code)).fetchall()]
    return out
