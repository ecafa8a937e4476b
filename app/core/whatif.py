"""Policy what-if (政策试算), DOMAIN §10: a month priced under proposed policy rows,
without writing anything.

The whole run happens inside one database transaction that is always rolled back: the
month is computed as things stand (current), the proposed rows are written the way an
import writes them (same agent, product and effective date: replaced; others added; the
级差 guard and the locked months checked exactly as on import, so a negative 级差 is
refused with the import's message), then confined to the month (below), and the month is
computed again (proposed).  Both figures come from the settlement itself
(app.core.settlement), so a what-if equals, to the fen, a real compute after importing the
same rows — nothing of the fee arithmetic is written twice.

Only month m is priced under the proposal: what m carries in stays current.  So for every
(agent, product) the proposal touches, the rows dated before m's first day are put back
as they were, the proposed row in force on that first day is written as of it, and the
proposed rows dated later follow; the earlier open months that the compute settles first
therefore come out exactly as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from app.core import scans, settlement
from app.core.errors import UserError
from app.core.money import format_month, month_first_day, parse_month
from app.core.months import locked_months
from app.core.policy import TERM_FIELDS
from app.core.settlement import Progress
from app.models import database

PolicyKey = tuple["int | None", int]
PolicyRows = dict[PolicyKey, dict[str, tuple]]  # key → effective_from → the TERM_FIELDS values


@dataclass
class AgentImpact:
    agent_id: int
    code: str
    name: str
    current: int  # payable (fen) after tax, minimum payout and 停发
    proposed: int

    @property
    def diff(self) -> int:
        return self.proposed - self.current


@dataclass
class WhatIfResult:
    month: str
    agents: list[AgentImpact]
    margins: dict[str, tuple[int, int]] = field(default_factory=dict)  # product → (cur, prop)

    @property
    def current_margin(self) -> int:
        return sum(c for c, _ in self.margins.values())

    @property
    def proposed_margin(self) -> int:
        return sum(p for _, p in self.margins.values())

    @property
    def margin_diff(self) -> int:
        return self.proposed_margin - self.current_margin

    def as_json(self) -> dict:
        return {
            "month": self.month,
            "agents": [
                {
                    "agent": a.code,
                    "current_payable_fen": a.current,
                    "proposed_payable_fen": a.proposed,
                    "diff_fen": a.diff,
                }
                for a in self.agents
            ],
            "agency": {
                "current_margin_fen": self.current_margin,
                "proposed_margin_fen": self.proposed_margin,
                "diff_fen": self.margin_diff,
            },
        }


class _Rollback(Exception):
    """Raised at the end of the what-if to roll its transaction back."""


def _policy_rows() -> PolicyRows:
    cols = ", ".join(TERM_FIELDS)
    out: PolicyRows = {}
    for row in database.obj.execute_sql(
        f"SELECT agent_id, product_id, effective_from, {cols} FROM policy"
    ):
        out.setdefault((row[0], row[1]), {})[str(row[2])] = tuple(row[3:])
    return out


def confine_to_month(month: str, before: PolicyRows) -> None:
    """Make the proposal written since ``before`` apply from ``month`` on only."""
    first = month_first_day(month).isoformat()
    after = _policy_rows()
    db = database.obj
    cols = ", ".join(TERM_FIELDS)
    marks = ", ".join("?" * (3 + len(TERM_FIELDS)))
    for key in sorted(set(before) | set(after), key=repr):
        old, new = before.get(key, {}), after.get(key, {})
        if old == new:
            continue
        rows = {d: t for d, t in old.items() if d < first}
        at_first = [d for d in new if d <= first]
        if at_first:
            rows[first] = new[max(at_first)]
        rows.update({d: t for d, t in new.items() if d > first})
        agent, product = key
        db.execute_sql(
            "DELETE FROM policy WHERE agent_id IS ? AND product_id = ?", (agent, product)
        )
        db.cursor().executemany(
            f"INSERT INTO policy (agent_id, product_id, effective_from, {cols}) VALUES ({marks})",
            [(agent, product, d, *t) for d, t in sorted(rows.items())],
        )


def _payables(month: str) -> dict[int, tuple[str, str, int]]:
    return {
        aid: (code, name, payable)
        for aid, code, name, payable in database.obj.execute_sql(
            "SELECT a.id, a.code, a.name, s.payable FROM statement s "
            "JOIN agent a ON a.id = s.agent_id WHERE s.month = ?",
            (month,),
        )
    }


def _margins(month: str) -> dict[str, int]:
    return dict(
        database.obj.execute_sql(
            "SELECT p.code, m.margin FROM agency_margin m JOIN product p ON p.id = m.product_id "
            "WHERE m.month = ?",
            (month,),
        ).fetchall()
    )


def whatif(
    month: str, propose: Callable[[], object], progress: Progress | None = None
) -> WhatIfResult:
    """Price ``month`` as it stands and under the rows ``propose()`` writes (an import of a
    policies file, or the window's grid), then roll everything back."""
    month = parse_month(month)
    report = progress or (lambda _p, _m: None)
    if month in locked_months():
        raise UserError(f"{format_month(month)}已锁定;试算请选未锁定的月份(更正已锁定月份请用补差)")
    out: WhatIfResult | None = None
    db = database.obj
    # The readers that scan the transactions open before the transaction, as a compute
    # opens them: they never read the policies (the share pass gets its pricing periods
    # from the context, read on this connection, overlay included), so both computes
    # run in parallel on them (from the window's worker threads they run on one
    # connection, as every compute there does).
    settlement._refresh_derived()
    with settlement._small_cache(), scans.Readers() as readers:
        try:
            with db.atomic():
                report(5, "按现行政策计算")
                settlement._compute(month, lambda p, m: report(5 + p * 45 // 100, m), readers)
                current, cur_margin = _payables(month), _margins(month)
                before = _policy_rows()
                propose()
                confine_to_month(month, before)
                report(50, "按拟调整政策计算")
                settlement._compute(month, lambda p, m: report(50 + p * 45 // 100, m), readers)
                proposed, prop_margin = _payables(month), _margins(month)
                out = _result(month, current, proposed, cur_margin, prop_margin)
                raise _Rollback
        except _Rollback:
            pass
    assert out is not None
    report(100, "试算完成(未写入任何数据)")
    return out


def _result(
    month: str,
    current: dict[int, tuple[str, str, int]],
    proposed: dict[int, tuple[str, str, int]],
    cur_margin: dict[str, int],
    prop_margin: dict[str, int],
) -> WhatIfResult:
    agents = []
    for aid in set(current) | set(proposed):
        code, name, _ = current.get(aid) or proposed[aid]
        cur = current[aid][2] if aid in current else 0
        prop = proposed[aid][2] if aid in proposed else 0
        agents.append(AgentImpact(aid, code, name, cur, prop))
    agents.sort(key=lambda a: (-abs(a.diff), a.code))  # the largest impact first
    margins = {
        p: (cur_margin.get(p, 0), prop_margin.get(p, 0))
        for p in sorted(set(cur_margin) | set(prop_margin))
    }
    return WhatIfResult(month, agents, margins)


def rows_in_force(month: str) -> list[dict]:
    """The policy rows in force on ``month``'s last day, to prefill the window's grid:
    agent code ('' = the agency), product code, effective date and every term."""
    from app.core.money import month_last_day

    last = month_last_day(parse_month(month)).isoformat()
    cols = ", ".join(f"p.{f}" for f in TERM_FIELDS)
    rows = database.obj.execute_sql(
        f"SELECT a.code, k.code, p.effective_from, {cols} FROM policy p "
        "LEFT JOIN agent a ON a.id = p.agent_id JOIN product k ON k.id = p.product_id "
        "WHERE p.effective_from = (SELECT MAX(q.effective_from) FROM policy q WHERE "
        "q.agent_id IS p.agent_id AND q.product_id = p.product_id AND q.effective_from <= ?) "
        "ORDER BY a.code IS NOT NULL, a.code, k.code",
        (last,),
    ).fetchall()
    out = []
    for code, product, day, *terms in rows:
        entry: dict[str, object] = {
            "agent": code or "",
            "product": product,
            "effective_from": dt.date.fromisoformat(str(day)[:10]),
        }
        entry.update(zip(TERM_FIELDS, terms, strict=True))
        out.append(entry)
    return out


GRID_FIELDS = ("agent", "product", "effective_from", *TERM_FIELDS)


def records_from_grid(rows: list[dict[str, str]]) -> list:
    """The window's grid rows (text as typed) as policy records; UserError naming every
    bad row.  The agent '' or 本机构 is the agency's own cost."""
    from app.core.money import ParseError, parse_date
    from app.core.policies import PolicyRecord, terms_from_text

    agents = dict(database.obj.execute_sql("SELECT code, id FROM agent").fetchall())
    products = dict(database.obj.execute_sql("SELECT code, id FROM product").fetchall())
    records, problems = [], []
    for n, row in enumerate(rows, start=1):
        code = row.get("agent", "").strip()
        try:
            if code in ("", "本机构", "AGENCY", "agency"):
                agent = None
            elif code in agents:
                agent = agents[code]
            else:
                raise UserError(f"代理编号 {code} 不存在")
            pid = products.get(row.get("product", "").strip())
            if pid is None:
                raise UserError(f"产品编号 {row.get('product', '') or '(空)'} 不存在")
            try:
                day = parse_date(row.get("effective_from", ""))
            except ParseError as exc:
                raise UserError(f"生效日期:{exc}") from None
            terms = terms_from_text({k: row.get(k, "") for k in TERM_FIELDS})
        except UserError as exc:
            problems.append(f"第{n}行:{exc.message}")
            continue
        records.append(PolicyRecord(agent, pid, day, terms, n))
    if problems:
        raise UserError("拟调整的政策有误:\n" + "\n".join(problems[:30]))
    if not records:
        raise UserError("没有拟调整的政策行")
    return records


def whatif_records(month: str, records: list, progress: Progress | None = None) -> WhatIfResult:
    """试算 with rows edited in the window (checked and written as the policy form writes
    them, then rolled back)."""
    from app.core.policies import add_policies

    return whatif(month, lambda: add_policies(records), progress)
