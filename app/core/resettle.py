"""Re-settlement (补差) of a locked month, DOMAIN §10.

A locked month never changes.  When its policy turns out to have been wrong, the month is
priced again under the corrected rows — with the settlement's own engine, on what that
month settled (its transactions and the per-terminal amounts whose day falls in it), the
corrected rows laid over the stored ones as an import would lay them — and priced once
more as the data stands; the difference of each (agent, product) is what the correction
is worth.  On confirmation it is written as an adjustment (调账) into the next open month,
its reason ``补差 YYYY-MM`` and ``adjustment.corrects`` naming the month it corrects; the
slip of that month shows it as a 补差 line.

Both sides are priced by the same code from the same rows, so whatever the correction
does not touch cancels to the fen.  Data that arrived late for the locked month
(transactions, activations, moves dated in it) is already settled in the next open month
by the ordinary rules (DOMAIN §6) and is therefore never counted here a second time.
What a 补差 already wrote for the month is subtracted: running it again writes nothing
new, and a second correction writes only what it adds.  The corrected rows are not
stored: to apply them from now on, import them dated in the first open month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.core import audit, auth, derived, scans
from app.core.errors import Changes, UserError
from app.core.money import format_month, next_month, parse_month, round_micro
from app.core.months import locked_months, settle_month
from app.core.policies import PolicyRecord, _full_terms, check_policies
from app.core.policy import Terms
from app.core.settlement import (
    Context,
    SharePass,
    _qualification,
    derive_terminal_units,
    expand,
    load_context,
    qualification_tasks,
    txn_months,
)
from app.models import database

REASON = "补差 {month}"


@dataclass
class ResettleLine:
    agent_id: int
    agent: str
    name: str
    product_id: int
    product: str
    before: int  # the month's amounts (fen) as the data stands
    after: int  # under the corrections
    written: int  # what earlier 补差 runs already wrote for this month

    @property
    def diff(self) -> int:
        return self.after - self.before

    @property
    def pending(self) -> int:
        return self.diff - self.written


@dataclass
class ResettlePlan:
    month: str
    target: str  # the open month the adjustments go to
    lines: list[ResettleLine] = field(default_factory=list)

    @property
    def pending_total(self) -> int:
        return sum(ln.pending for ln in self.lines)

    def as_json(self) -> dict:
        return {
            "month": self.month,
            "target_month": self.target,
            "lines": [
                {
                    "agent": ln.agent,
                    "product": ln.product,
                    "before_fen": ln.before,
                    "after_fen": ln.after,
                    "diff_fen": ln.diff,
                    "written_fen": ln.written,
                    "pending_fen": ln.pending,
                }
                for ln in self.lines
            ],
            "pending_fen": self.pending_total,
        }


def _corrected(ctx: Context, records: Sequence[PolicyRecord]) -> Context:
    """``ctx`` with ``records`` laid over its policies (same key and date: replaced)."""
    import copy

    out = copy.copy(ctx)
    out.policies = copy.deepcopy(ctx.policies)
    for r in records:
        terms = Terms(**_full_terms(r.terms))  # type: ignore[arg-type]
        out.policies.add((r.agent_id, r.product_id), r.effective_from.isoformat(), terms)
    return out


def _amounts(ctx: Context, month: str, readers: scans.Readers, units: list) -> dict:
    """(agent, product) → the month's transaction shares (rounded per category, as on the
    statement) plus the per-terminal amounts whose day falls in the month."""
    out: dict[tuple[int, int], int] = defaultdict(int)
    shares = SharePass(ctx, month, readers).totals()
    for (agent, pid, _cat), (_n, _vol, micro) in shares.acc.items():
        if agent is not None:
            out[(agent, pid)] += round_micro(micro)
    for _tid, _kind, agent, pid, day, amount in expand(units):
        if agent is not None and day[:7] == month:
            out[(agent, pid)] += amount
    return out


def check_corrections(records: Sequence[PolicyRecord]) -> None:
    """The 级差 guard on the corrected rows (the locked months may be named: nothing is
    written); UserError naming every problem."""
    problems = check_policies(records, locked_ok=True)
    if problems:
        raise UserError("更正的政策有误:\n" + "\n".join(
            (f"第{p.row}行:" if p.row else "") + p.reason for p in problems[:30]))  # fmt: skip


def plan_resettle(month: str, records: Sequence[PolicyRecord] = ()) -> ResettlePlan:
    """What a 补差 of the locked ``month`` under the corrected ``records`` would write."""
    month = parse_month(month)
    locked = locked_months()
    if month not in locked:
        raise UserError(f"{format_month(month)}未锁定;补差只用于已锁定的月份(未锁定的月份直接重新计算)")
    if records:
        check_corrections(records)
    target = settle_month(next_month(month), locked)
    db = database.obj
    with db.atomic():  # the holding timelines and day sums, up to date as for a compute
        derived.refresh(db.connection())
    with scans.Readers() as readers:
        qualifying = [readers.submit(t) for t in qualification_tasks(txn_months(), readers.workers)]
        ctx = load_context()
        windows, qualified = _qualification(qualifying)
        units_now, _ = derive_terminal_units(ctx, windows, qualified)
        before = _amounts(ctx, month, readers, units_now)
        fixed = _corrected(ctx, records)
        units_fixed, _ = derive_terminal_units(fixed, windows, qualified)
        after = _amounts(fixed, month, readers, units_fixed)
    written: dict[tuple[int, int], int] = defaultdict(int)
    for agent, pid, amount in db.execute_sql(
        "SELECT agent_id, product_id, SUM(amount) FROM adjustment WHERE corrects = ? "
        "GROUP BY agent_id, product_id",
        (month,),
    ):
        written[(agent, pid)] = amount
    products = dict(db.execute_sql("SELECT id, code FROM product").fetchall())
    lines = []
    for key in set(before) | set(after) | set(written):
        agent, pid = key
        b, a, w = before.get(key, 0), after.get(key, 0), written.get(key, 0)
        if a - b or w:
            info = ctx.agents[agent]
            lines.append(ResettleLine(agent, info.code, info.name, pid, products[pid], b, a, w))
    lines.sort(key=lambda ln: (ln.agent, ln.product))
    return ResettlePlan(month, target, lines)


def apply_resettle(month: str, records: Sequence[PolicyRecord] = ()) -> tuple[ResettlePlan, Changes]:
    """Write the pending differences of a 补差 of ``month`` as adjustments into the next open
    month (one ``db.atomic()``); a run that finds nothing pending writes nothing.  Needs
    ``compute`` (财务 and up, as a month compute); audited as ``补差.写入``."""
    auth.require("compute")
    db = database.obj
    with db.atomic():
        plan = plan_resettle(month, records)
        now = dt.datetime.now().replace(microsecond=0).isoformat(" ")
        rows = [
            (ln.agent_id, ln.product_id, plan.target, plan.month, ln.pending,
             REASON.format(month=plan.month), plan.month, now)
            for ln in plan.lines
            if ln.pending
        ]  # fmt: skip
        db.cursor().executemany(
            "INSERT INTO adjustment (agent_id, product_id, month, original_month, amount, reason, "
            "corrects, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        if rows:
            audit.record("补差.写入", f"月份 {plan.month}", None,
                         {"into": plan.target, "adjustments": len(rows),
                          "total_fen": sum(r[4] for r in rows)})
    changes = Changes({"adjustments", "statements"} if rows else set(), {plan.target} if rows else set(),
                      f"已写入 {len(rows)} 条补差调账到{format_month(plan.target)}" if rows
                      else "没有需要补差的金额,未写入任何数据")  # fmt: skip
    return plan, changes
