"""Reconciliation (对账) with the payment company's settlement report, DOMAIN §10.

What the agency expects from the company for a terminal and a month (the calendar month of
the transactions' days) is the sum over its counted transactions of
``M − fee(agency cost, t)`` — the merchant's fee less the agency's own cost row in force on
the transaction's day, whoever holds the terminal (stock, lost and returned terminals too)
— rounded once per terminal and month, plus the company's per-terminal amounts (激活返现,
达标奖励, 未达标扣款) that fall in the month on the days the statement uses.  The fees are
the settlement's own (``Terms`` in app.core.policy, the debit bands of app.core.scans):
transactions are grouped in SQL by (terminal, pricing period, category, refund, debit
band) and each group is priced with the linear fee formula, exact to the micro-fen.

The report (``company_report``, app.io.report_import) is compared line by line: its lines
for one SN (or one merchant) are summed; a line by merchant stands for the terminals bound
to it (the activation record's merchant number, else that of the terminal's earliest
transaction that has one) that the report does not also name by SN.  Each line is
matched (diff 0), differs, missing (expected ≠ 0, not in the report) or unknown (the
report names an SN or merchant we do not know).  diff = reported − expected.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.core import derived, scans
from app.core.merchant_tags import bound_merchants
from app.core.money import MICRO, month_first_day, month_last_day, parse_month, round_micro
from app.core.policy import CATEGORIES, Terms
from app.core.settlement import (
    Context,
    _qualification,
    load_context,
    qualification_tasks,
    txn_months,
)
from app.models import database

STATUSES = ("matched", "differs", "missing", "unknown")
STATUS_LABELS = {
    "matched": "一致",
    "differs": "有差异",
    "missing": "对账单缺少",
    "unknown": "我方未知",
}
ITEM_KINDS = ("cashback", "qualify_bonus", "unqualified_penalty")


@dataclass
class Expected:
    """What the agency expects from the company for one terminal in the month."""

    terminal_id: int
    sn: str
    product_id: int
    share_micro: int = 0  # Σ M − fee(agency cost) of its counted transactions
    volume: int = 0  # signed counted volume (fen)
    count: int = 0
    items: dict[str, int] = field(default_factory=dict)  # kind → company amount (fen)

    @property
    def share(self) -> int:
        return round_micro(self.share_micro)

    @property
    def expected(self) -> int:
        return self.share + sum(self.items.values())


@dataclass
class Line:
    sn: str | None
    merchant_no: str | None
    product: str | None
    expected: int | None
    reported: int | None
    status: str
    volume: int = 0
    terminals: list[str] | None = None  # a line by merchant: the SNs it stands for

    @property
    def diff(self) -> int:
        return (self.reported or 0) - (self.expected or 0)

    @property
    def implied_rate_ppm(self) -> int | None:
        if self.status == "unknown":
            return None
        return implied_rate(self.diff, self.volume)

    def as_json(self) -> dict:
        out: dict[str, object] = {
            "sn": self.sn,
            "merchant_no": self.merchant_no,
            "product": self.product,
            "expected_fen": self.expected,
            "reported_fen": self.reported,
            "diff_fen": self.diff,
            "status": self.status,
            "implied_rate_ppm": self.implied_rate_ppm,
        }
        if self.terminals is not None:
            out["terminals"] = self.terminals
        return out


def implied_rate(diff: int, volume: int) -> int | None:
    """diff × 10⁶ ÷ volume in ppm, rounded half away from zero; None when either is 0."""
    if not diff or not volume:
        return None
    num, den = abs(diff) * MICRO, abs(volume)
    q, r = divmod(num, den)
    if 2 * r >= den:
        q += 1
    return q if (diff > 0) == (volume > 0) else -q


# ------------------------------------------------------------------ what we expect


def _in_month_changes(ctx: Context, pid: int, first: str, last: str) -> list[str]:
    """Days inside the month on which the agency's cost or the merchant price of ``pid``
    changes: the edges of the pricing periods."""
    days = set(ctx.policies.dates((None, pid))) | set(ctx.prices.dates(pid))
    return sorted(d for d in days if first < d <= last)


def _agency_thresholds(ctx: Context, pid: int) -> list[int]:
    """Every |amount| at which a debit cap of the price list or the agency's cost starts
    to bite: the edges of the debit bands (inside a band each cap bites on all or none)."""
    out = set()
    for _, t in ctx.policies.history((None, pid)) + ctx.prices.history(pid):
        threshold = t.cap_threshold()
        if threshold is not None:
            out.add(threshold)
    return sorted(out)


def _sql_steps(column: str, steps: dict[int, list[object]], quote: bool) -> str:
    """SQL counting, per product, how many of its ``steps`` ``column`` reaches."""
    whens = []
    for pid, values in steps.items():
        if values:
            parts = " + ".join(f"({column} >= {_lit(v, quote)})" for v in values)
            whens.append(f"WHEN {int(pid)} THEN {parts}")
    return f"(CASE t.product_id {' '.join(whens)} ELSE 0 END)" if whens else "0"


def _lit(value: object, quote: bool) -> str:
    if quote:
        text = str(value)
        assert len(text) == 10 and text.replace("-", "").isdigit()  # an ISO day only
        return f"'{text}'"
    return str(int(value))  # type: ignore[call-overload]


def expected_by_terminal(month: str, ctx: Context | None = None) -> dict[int, Expected]:
    """Per terminal with anything expected in ``month``: share, volume and company amounts."""
    month = parse_month(month)
    db = database.obj
    with db.atomic():  # the day sums the 达标 pass reads, up to date (as a compute does)
        derived.refresh(db.connection())
    first, last = month_first_day(month).isoformat(), month_last_day(month).isoformat()
    with scans.Readers() as readers:
        qualifying = [readers.submit(t) for t in qualification_tasks(txn_months(), readers.workers)]
        ctx = ctx or load_context(holdings=False)
        windows, qualified = _qualification(qualifying)
    changes = {pid: _in_month_changes(ctx, pid, first, last) for pid in ctx.products}
    thresholds = {pid: _agency_thresholds(ctx, pid) for pid in ctx.products}
    period = _sql_steps("t.date", {p: list(v) for p, v in changes.items()}, quote=True)
    band = _sql_steps("ABS(t.amount)", {p: list(v) for p, v in thresholds.items()}, quote=False)
    category = (
        f"(CASE t.category WHEN '{CATEGORIES[0]}' THEN 0 WHEN '{CATEGORIES[1]}' THEN 1 ELSE 2 END)"
    )
    terminals = {
        tid: (sn, pid, act)
        for tid, sn, pid, act in db.execute_sql(
            "SELECT id, sn, product_id, COALESCE(activated_on, first_tx_on) FROM terminal"
        )
    }
    out: dict[int, Expected] = {}

    def entry(tid: int) -> Expected:
        e = out.get(tid)
        if e is None:
            sn, pid, _act = terminals[tid]
            e = out[tid] = Expected(tid, sn, pid)
        return e

    # a late transaction is settled in a later month, never an earlier one: month ≥ M
    # the month's own transactions from the covering index (txn_settle: month, terminal,
    # date, category, status, amount; the product is the terminal's), then those dated in
    # it that arrived late and were settled in a later month
    columns = "x.terminal_id, {}, x.date, x.category, x.status, x.amount"
    counted = f"x.status IN {scans.COUNTED} AND {{0}}x.date >= ? AND {{0}}x.date <= ?"
    rows = (  # '+x.date': the day filtered inside the covering index, not by another one
        f"SELECT {columns.format('k.product_id')} FROM txn x JOIN terminal k "
        f"ON k.id = x.terminal_id WHERE x.month = ? AND {counted.format('+')} UNION ALL "
        f"SELECT {columns.format('x.product_id')} FROM txn x WHERE x.month > ? "
        f"AND {counted.format('')}"
    )
    groups = db.execute_sql(
        f"SELECT t.terminal_id, t.product_id, {period}, {category}, t.status = 'refund', "
        f"iif(t.category = 'debit', {band}, 0), COUNT(*), SUM(t.amount) FROM ({rows}) t "
        "GROUP BY 1, 2, 3, 4, 5, 6",
        (month, first, last, month, first, last),
    ).fetchall()
    priced: dict[tuple[int, int], tuple[Terms, Terms]] = {}
    for tid, pid, per, code, refund, bnd, n, total in groups:
        key = (pid, per)
        terms = priced.get(key)
        if terms is None:
            day = changes[pid][per - 1] if per else first
            terms = priced[key] = (ctx.price(pid, day), ctx.fee_terms((None,), pid, day)[0])
        price, own = terms
        cat, refund = CATEGORIES[code], bool(refund)
        if bnd:
            low = thresholds[pid][bnd - 1]
            micro = price.bucket_fee_micro(cat, total, n, refund, low) - own.bucket_fee_micro(
                cat, total, n, refund, low
            )
        else:
            micro = price.linear_fee_micro(cat, total, n, refund) - own.linear_fee_micro(
                cat, total, n, refund
            )
        e = entry(tid)
        e.share_micro += micro
        e.volume += total
        e.count += n

    def add_item(tid: int, kind: str, day: str, sign: int) -> None:
        if first <= day <= last:
            pid = terminals[tid][1]
            amount = ctx.company_amount(pid, kind, day)  # type: ignore[union-attr]
            if amount:
                items = entry(tid).items
                items[kind] = items.get(kind, 0) + sign * amount

    for tid, (_sn, _pid, act) in terminals.items():
        if act is not None and first <= act <= last:
            add_item(tid, "cashback", act, 1)
    for tid, _start, end, _target in windows:
        hit = qualified.get(tid)
        if hit is not None:
            add_item(tid, "qualify_bonus", hit, 1)
        else:
            add_item(tid, "unqualified_penalty", end, -1)
    return out


# ------------------------------------------------------------------ the comparison


def _bound_terminals(merchants: Iterable[str]) -> dict[str, list[int]]:
    """The terminals bound to each of ``merchants``: the activation record's merchant
    number, else that of the terminal's earliest transaction (by time, then id, any
    status) that has one."""
    names = sorted(set(merchants))
    if not names:
        return {}
    wanted = json.dumps(names, ensure_ascii=False)
    candidates = [
        r[0]
        for r in database.obj.execute_sql(
            "SELECT id FROM terminal WHERE merchant_no IN (SELECT value FROM json_each(?)) "
            "UNION SELECT terminal_id FROM txn WHERE merchant_no IN "
            "(SELECT value FROM json_each(?))",
            (wanted, wanted),
        )
    ]
    rows = bound_merchants(candidates).items()  # the one rule of DOMAIN §8
    out: dict[str, list[int]] = defaultdict(list)
    keep = set(names)
    for tid, bound in rows:
        if bound in keep:
            out[bound].append(tid)
    return out


@dataclass
class Reconciliation:
    month: str
    lines: list[Line]
    expected: dict[int, Expected]

    def totals(self) -> dict[str, int]:
        out = {"lines": len(self.lines)}
        for status in STATUSES:
            out[status] = sum(1 for ln in self.lines if ln.status == status)
        out["expected_fen"] = sum(ln.expected or 0 for ln in self.lines)
        out["reported_fen"] = sum(ln.reported or 0 for ln in self.lines)
        out["diff_fen"] = sum(ln.diff for ln in self.lines)
        return out

    def as_json(self) -> dict:
        return {
            "month": self.month,
            "lines": [ln.as_json() for ln in self.lines],
            "totals": self.totals(),
        }

    def by_product(self) -> list[dict]:
        """Lines, expected, reported and diff per product and status (the page's summary)."""
        acc: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for ln in self.lines:
            a = acc[(ln.product or "", ln.status)]
            a[0] += 1
            a[1] += ln.expected or 0
            a[2] += ln.reported or 0
            a[3] += ln.diff
        return [
            {"product": p, "status": s, "lines": v[0], "expected_fen": v[1],
             "reported_fen": v[2], "diff_fen": v[3]}
            for (p, s), v in sorted(acc.items(), key=lambda kv: (kv[0][0], STATUSES.index(kv[0][1])))
        ]  # fmt: skip


def reconcile(month: str) -> Reconciliation:
    """Compare the company's report for ``month`` with what the agency expects."""
    month = parse_month(month)
    db = database.obj
    expected = expected_by_terminal(month)
    codes = dict(db.execute_sql("SELECT id, code FROM product").fetchall())
    by_sn: dict[str, list] = {}
    by_merchant: dict[str, list] = {}
    for sn, merchant, pid, amount in db.execute_sql(
        "SELECT sn, merchant_no, product_id, amount FROM company_report WHERE month = ? "
        "ORDER BY id",
        (month,),
    ):
        group = (
            by_sn.setdefault(sn, [0, "", None])
            if sn
            else by_merchant.setdefault(merchant, [0, "", None])
        )
        group[0] += amount
        group[1] = group[1] or merchant
        group[2] = group[2] if group[2] is not None else pid
    known = dict(db.execute_sql("SELECT sn, id FROM terminal").fetchall()) if by_sn else {}
    info = {
        tid: (sn, pid)
        for tid, sn, pid in db.execute_sql("SELECT id, sn, product_id FROM terminal WHERE id IN "
                                           "(SELECT value FROM json_each(?))",
                                           (json.dumps(sorted(set(known.values()) | set(expected))),))
    }  # fmt: skip
    lines: list[Line] = []
    covered: set[int] = set()
    for sn in sorted(by_sn):
        reported, merchant, pid = by_sn[sn]
        tid = known.get(sn)
        if tid is None:
            lines.append(Line(sn, merchant or None, codes.get(pid), None, reported, "unknown"))
            continue
        covered.add(tid)
        e = expected.get(tid)
        exp = e.expected if e else 0
        lines.append(
            Line(sn, merchant or None, codes.get(info[tid][1]), exp, reported,
                 "matched" if reported == exp else "differs", e.volume if e else 0)
        )  # fmt: skip
    bound = _bound_terminals(by_merchant)
    merchant_lines: list[Line] = []
    for merchant in sorted(by_merchant):
        reported, _m, pid = by_merchant[merchant]
        tids = [t for t in bound.get(merchant, []) if t not in covered]
        if pid is not None:
            tids = [t for t in tids if _product_of(t, expected, info) == pid]
        if not bound.get(merchant):
            merchant_lines.append(Line(None, merchant, codes.get(pid), None, reported, "unknown"))
            continue
        covered.update(tids)
        exp = sum(expected[t].expected for t in tids if t in expected)
        volume = sum(expected[t].volume for t in tids if t in expected)
        pids = {_product_of(t, expected, info) for t in tids}
        product = (
            codes.get(pid)
            if pid is not None
            else (codes.get(next(iter(pids))) if len(pids) == 1 else None)
        )
        sns = sorted(expected[t].sn if t in expected else _sn_of(t) for t in tids)
        merchant_lines.append(
            Line(None, merchant, product, exp, reported,
                 "matched" if reported == exp else "differs", volume, sns)
        )  # fmt: skip
    for tid, e in expected.items():
        if tid not in covered and e.expected != 0:
            lines.append(
                Line(e.sn, None, codes.get(e.product_id), e.expected, None, "missing", e.volume)
            )
    lines.sort(key=lambda ln: ln.sn or "")
    return Reconciliation(month, lines + merchant_lines, expected)


def _product_of(tid: int, expected: dict[int, Expected], info: dict) -> int:
    e = expected.get(tid)
    if e is not None:
        return e.product_id
    row = info.get(tid)
    if row is not None:
        return row[1]
    return database.obj.execute_sql(
        "SELECT product_id FROM terminal WHERE id = ?", (tid,)
    ).fetchone()[0]


def _sn_of(tid: int) -> str:
    return database.obj.execute_sql("SELECT sn FROM terminal WHERE id = ?", (tid,)).fetchone()[0]


def report_months() -> list[str]:
    """The months that have a company report, newest first."""
    return [
        r[0]
        for r in database.obj.execute_sql(
            "SELECT DISTINCT month FROM company_report ORDER BY month DESC"
        )
    ]


def reconcile_json(month: str) -> dict:
    """``posdesk reconcile M --json``."""
    return reconcile(month).as_json()


# ------------------------------------------------------------------ drill-down


@dataclass
class TxnDetail:
    tx_id: str
    time: str
    category: str
    status: str
    amount: int
    merchant_fee_micro: int
    agency_fee_micro: int

    @property
    def margin_micro(self) -> int:
        return self.merchant_fee_micro - self.agency_fee_micro


def terminal_transactions(month: str, sn: str) -> list[TxnDetail]:
    """The counted transactions of terminal ``sn`` dated in ``month``, each with the
    merchant's fee and the agency's cost fee (micro-fen, unrounded: the terminal's month
    is rounded once, in ``expected_by_terminal``)."""
    month = parse_month(month)
    first, last = month_first_day(month).isoformat(), month_last_day(month).isoformat()
    ctx = load_context(holdings=False)
    out = []
    for tx_id, time, day, cat, status, amount, pid in database.obj.execute_sql(
        "SELECT t.tx_id, t.time, t.date, t.category, t.status, t.amount, t.product_id "
        "FROM txn t JOIN terminal k ON k.id = t.terminal_id WHERE k.sn = ? AND t.date >= ? "
        f"AND t.date <= ? AND t.status IN {scans.COUNTED} ORDER BY t.time, t.id",
        (sn, first, last),
    ):
        refund = status == "refund"
        day = day if isinstance(day, str) else dt.date.isoformat(day)
        price = ctx.price(pid, day)
        own = ctx.fee_terms((None,), pid, day)[0]
        out.append(
            TxnDetail(tx_id, time, cat, status, amount, price.fee_micro(cat, amount, refund),
                      own.fee_micro(cat, amount, refund))
        )  # fmt: skip
    return out
