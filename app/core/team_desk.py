"""Services of the team's pages (团队, 商户, 工单): what the window reads and the writes it
makes (交接, contacts, tickets, plans).  Each write checks its values, runs in one
transaction and returns a ``Changes``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.core import audit, auth, values
from app.core.errors import Changes, UserError
from app.core.money import ParseError, month_first_day, month_last_day, prev_month
from app.core.scans import COUNTED
from app.core.staff_pay import plans_in_force, staff_json, within_sla
from app.core.team import (
    BOUND_TABLE,
    CHANNELS,
    OUTCOME_LABELS,
    ROLE_LABELS,
    ROLE_WORDS,
    SCOPE_LABELS,
    SPAN_TABLE,
    TYPE_LABELS,
    format_tiers,
    load_bound_merchants,
    load_owner_spans,
    parse_tiers,
    txn_merchant_sql,
)
from app.models import database


def _db():
    return database.obj


# ------------------------------------------------------------------ members and plans


@dataclass(frozen=True)
class MemberRow:
    id: int
    code: str
    name: str
    role: str
    phone: str
    joined: str
    left: str
    merchants: int


def members(today: dt.date | None = None) -> list[MemberRow]:
    """Every staff member with the number of merchants it owns today."""
    day = (today or dt.date.today()).isoformat()
    owned = dict(_db().execute_sql(
        "SELECT o.staff_id, COUNT(*) FROM merchant_owner o WHERE o.effective_from = ("
        "SELECT MAX(p.effective_from) FROM merchant_owner p WHERE p.merchant_id = o.merchant_id "
        "AND p.effective_from <= ?) GROUP BY o.staff_id", (day,)).fetchall())
    return [
        MemberRow(i, c, n, ROLE_LABELS.get(r, r), p or "", str(j or ""), str(left or ""), owned.get(i, 0))
        for i, c, n, r, p, j, left in _db().execute_sql(
            "SELECT id, code, name, role, phone, joined, left_on FROM staff_member ORDER BY code")
    ]


def active_members(day: dt.date | None = None) -> list[tuple[int, str]]:
    """(id, "code name") of the members employed on ``day`` (default today)."""
    d = (day or dt.date.today()).isoformat()
    return [(i, f"{c} {n}") for i, c, n in _db().execute_sql(
        "SELECT id, code, name FROM staff_member WHERE (joined IS NULL OR joined <= ?) "
        "AND (left_on IS NULL OR left_on >= ?) ORDER BY code", (d, d))]


@dataclass(frozen=True)
class PlanRow:
    id: int
    target: str
    effective_month: str
    base: int
    per_activation: int
    volume_rate: int
    scope: str
    per_ticket: int
    sla_hours: int | None
    resolution_tiers: str
    satisfaction_tiers: str
    min_ratings: int


def plans() -> list[PlanRow]:
    codes = dict(_db().execute_sql("SELECT id, code || ' ' || name FROM staff_member").fetchall())
    rows = []
    for r in _db().execute_sql(
        "SELECT id, role, staff_id, effective_month, base, per_activation, volume_rate, scope, "
        "per_ticket, sla_hours, resolution_tiers, satisfaction_tiers, min_ratings "
        "FROM commission_plan ORDER BY role, staff_id, effective_month"
    ):
        target = codes.get(r[2], "") if r[2] is not None else f"{ROLE_LABELS.get(r[1], r[1])}(岗位)"
        rows.append(PlanRow(r[0], target, r[3], r[4], r[5], r[6], SCOPE_LABELS.get(r[7], r[7]),
                            *r[8:]))
    return rows


def save_plan(target: str, month: str, *, base: str = "", per_activation: str = "",
              volume_rate: str = "", scope: str = "own", per_ticket: str = "",
              sla_hours: str = "", resolution_tiers: str = "", satisfaction_tiers: str = "",
              min_ratings: str = "1") -> Changes:
    """Add or replace the plan of ``target`` (a member code or a role) from ``month``."""
    auth.require("edit")
    try:
        m = values.month(month, "生效月份")
        fields = (
            values.money(base, "底薪", "positive") if base else 0,
            values.money(per_activation, "激活提成", "positive") if per_activation else 0,
            values.rate(volume_rate) if volume_rate else 0,
            scope if scope in SCOPE_LABELS else "own",
            values.money(per_ticket, "解决工单提成", "positive") if per_ticket else 0,
            values.count(sla_hours, "处理时限小时") if sla_hours else None,
            format_tiers(parse_tiers(resolution_tiers, "resolution"), "resolution"),
            format_tiers(parse_tiers(satisfaction_tiers, "satisfaction"), "satisfaction"),
            values.count(min_ratings, "最少评价数") if min_ratings else 1,
        )
    except ParseError as exc:
        raise UserError(str(exc)) from None
    row = _db().execute_sql("SELECT id FROM staff_member WHERE code = ?", (target,)).fetchone()
    role, sid = ("", row[0]) if row else (ROLE_WORDS.get(target, ""), None)
    if not row and not role:
        raise UserError(f"适用对象 {target} 既不是员工编号,也不是岗位")
    cols = ("base", "per_activation", "volume_rate", "scope", "per_ticket", "sla_hours",
            "resolution_tiers", "satisfaction_tiers", "min_ratings")
    with _db().atomic():
        _db().execute_sql(
            "DELETE FROM commission_plan WHERE role = ? AND COALESCE(staff_id, 0) = ? "
            "AND effective_month = ?", (role, sid or 0, m))
        _db().execute_sql(
            f"INSERT INTO commission_plan (role, staff_id, effective_month, {', '.join(cols)}) "
            f"VALUES (?, ?, ?, {', '.join('?' * len(cols))})", (role, sid, m, *fields))
        audit.record("团队.提成方案", f"提成方案 {target} {m}起", None, dict(zip(cols, fields, strict=True)))
    return Changes({"team"}, message=f"已保存提成方案({target},{m}起)")


# ------------------------------------------------------------------ commission and drill-down


def commission(month: str) -> list[dict]:
    """The month's staff statements (as computed with the month), for the 团队 table."""
    return staff_json(month)["staff"]


LINES = {"activation": "激活提成", "volume": "交易提成", "ticket": "工单提成",
         "resolution": "解决率奖励", "satisfaction": "满意度奖励"}


def drill_down(month: str, code: str, line: str) -> tuple[list[str], list[tuple]]:
    """The rows a line of member ``code``'s statement counted: (headers, rows).  Read from
    the current data (a locked month's statement may differ if data came later)."""
    row = _db().execute_sql(
        "SELECT id, role, joined, left_on FROM staff_member WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise UserError(f"员工 {code} 不存在")
    sid, role = row[0], row[1]
    first, last = month_first_day(month), month_last_day(month)
    start = max(first, dt.date.fromisoformat(str(row[2]))) if row[2] else first
    end = min(last, dt.date.fromisoformat(str(row[3]))) if row[3] else last
    plan = plans_in_force(month, [(sid, code, role)])[sid]
    scope_all = plan.scope == "all"
    load_bound_merchants()
    load_owner_spans()
    lo, hi = start.isoformat(), end.isoformat()
    if line == "activation":
        sql = (
            "SELECT t.sn, COALESCE(t.activated_on, t.first_tx_on), COALESCE(bm.merchant_no, ''), "
            f"COALESCE(o.staff_id, 0) FROM terminal t LEFT JOIN \"{BOUND_TABLE}\" bm ON bm.terminal_id = t.id "
            f"LEFT JOIN \"{SPAN_TABLE}\" o ON o.merchant_no = bm.merchant_no "
            "AND COALESCE(t.activated_on, t.first_tx_on) >= o.start "
            "AND COALESCE(t.activated_on, t.first_tx_on) < o.finish "
            "WHERE COALESCE(t.activated_on, t.first_tx_on) BETWEEN ? AND ? ORDER BY 2, 1")
        rows = [(sn, str(d), m) for sn, d, m, owner in _db().execute_sql(sql, (lo, hi))
                if scope_all or owner == sid]
        return ["终端SN", "激活日", "商户编号"], rows
    if line == "volume":
        join, expr = txn_merchant_sql("x")
        own = "" if scope_all else "AND o.staff_id = ?"
        sql = (
            f"SELECT COALESCE({expr}, ''), COUNT(*), SUM(x.amount) FROM txn x {join} "
            f"LEFT JOIN \"{SPAN_TABLE}\" o ON o.merchant_no = {expr} AND x.date >= o.start "
            f"AND x.date < o.finish WHERE x.month = ? AND x.status IN {COUNTED} "
            f"AND x.date BETWEEN ? AND ? {own} GROUP BY 1 ORDER BY 3 DESC")
        params: tuple = (month, lo, hi) + (() if scope_all else (sid,))
        return ["商户编号", "笔数", "交易额(分)"], _db().execute_sql(sql, params).fetchall()
    tickets = _db().execute_sql(
        "SELECT ticket_no, type, opened, resolved, outcome, rating FROM ticket WHERE staff_id = ? "
        "AND ((opened >= ? AND opened < ?) OR (resolved >= ? AND resolved < ?)) ORDER BY opened",
        (sid, lo, hi + "~", lo, hi + "~")).fetchall()
    out: list[tuple] = []
    for no, kind, opened, resolved, outcome, rating in tickets:
        resolved_in = resolved is not None and lo <= resolved[:10] <= hi and outcome != "unresolved"
        opened_in = lo <= opened[:10] <= hi
        if line == "ticket" and resolved_in:
            out.append((no, TYPE_LABELS.get(kind, kind), opened, resolved))
        elif line == "resolution" and opened_in:
            ok = within_sla(opened, resolved, outcome, plan.sla_hours)
            out.append((no, TYPE_LABELS.get(kind, kind), opened, resolved or "", "是" if ok else "否"))
        elif line == "satisfaction" and resolved_in and rating is not None:
            out.append((no, TYPE_LABELS.get(kind, kind), resolved, rating))
    headers = {
        "ticket": ["工单号", "类型", "创建时间", "解决时间"],
        "resolution": ["工单号", "类型", "创建时间", "解决时间", "时限内解决"],
        "satisfaction": ["工单号", "类型", "解决时间", "满意度"],
    }
    if line not in headers:
        raise UserError(f"未知的提成项目“{line}”")
    return headers[line], out


# ------------------------------------------------------------------ merchants


@dataclass(frozen=True)
class MerchantRow:
    id: int
    merchant_no: str
    name: str
    owner: str
    owner_id: int | None
    tag: str
    volumes: tuple[int, int, int]  # m−2, m−1, m (fen)
    terminals: int
    open_tickets: int
    last_contact: str
    industry: str


TAG_LABELS = {"dormant": "沉睡", "churn_risk": "流失风险", "new": "新商户", "growing": "潜力增长",
              "loyal": "忠诚", "regular": "一般"}


def merchants(month: str, today: dt.date | None = None) -> list[MerchantRow]:
    """Every merchant with its owner today, its tag (when the month's tags are computed),
    its counted volume in the month and the two before, terminals, open tickets and last
    contact."""
    day = (today or dt.date.today()).isoformat()
    db = _db()
    months = (prev_month(prev_month(month)), prev_month(month), month)
    load_bound_merchants()
    join, expr = txn_merchant_sql("x")
    vols: dict[str, list[int]] = {}
    for mno, m, vol in db.execute_sql(
        f"SELECT {expr}, x.month, SUM(x.amount) FROM txn x {join} WHERE x.month IN (?, ?, ?) "
        f"AND x.status IN {COUNTED} GROUP BY 1, 2", months):
        if mno:
            vols.setdefault(mno, [0, 0, 0])[months.index(m)] = vol
    terminals = dict(db.execute_sql(
        f'SELECT merchant_no, COUNT(*) FROM "{BOUND_TABLE}" GROUP BY merchant_no').fetchall())
    tags: dict[str, str] = {}
    if db.table_exists("merchant_tag"):
        tags = dict(db.execute_sql(
            "SELECT merchant_no, tag FROM merchant_tag WHERE month = ?", (month,)).fetchall())
    open_tickets = dict(db.execute_sql(
        "SELECT merchant_id, COUNT(*) FROM ticket WHERE resolved IS NULL GROUP BY merchant_id").fetchall())
    last_contact = dict(db.execute_sql(
        "SELECT merchant_id, MAX(date) FROM contact GROUP BY merchant_id").fetchall())
    owners = {m: (s, label) for m, s, label in db.execute_sql(
        "SELECT o.merchant_id, o.staff_id, s.code || ' ' || s.name FROM merchant_owner o "
        "LEFT JOIN staff_member s ON s.id = o.staff_id WHERE o.effective_from = ("
        "SELECT MAX(p.effective_from) FROM merchant_owner p WHERE p.merchant_id = o.merchant_id "
        "AND p.effective_from <= ?)", (day,))}
    rows = []
    for mid, mno, name, industry in db.execute_sql(
            "SELECT id, merchant_no, name, industry FROM merchant ORDER BY merchant_no"):
        owner_id, owner = owners.get(mid, (None, ""))
        v = vols.get(mno, [0, 0, 0])
        rows.append(MerchantRow(mid, mno, name, owner or "", owner_id,
                                TAG_LABELS.get(tags.get(mno, ""), ""), (v[0], v[1], v[2]),
                                terminals.get(mno, 0), open_tickets.get(mid, 0),
                                str(last_contact.get(mid) or ""), industry))
    return rows


def owner_history(merchant_id: int) -> list[tuple[str, str]]:
    return [(str(d), label or "(无)") for d, label in _db().execute_sql(
        "SELECT o.effective_from, s.code || ' ' || s.name FROM merchant_owner o "
        "LEFT JOIN staff_member s ON s.id = o.staff_id WHERE o.merchant_id = ? "
        "ORDER BY o.effective_from DESC", (merchant_id,))]


def merchant_terminals(merchant_no: str) -> list[tuple[str, str, str]]:
    load_bound_merchants()
    return [(sn, p, str(d or "")) for sn, p, d in _db().execute_sql(
        f'SELECT t.sn, p.code, COALESCE(t.activated_on, t.first_tx_on) FROM "{BOUND_TABLE}" b '
        "JOIN terminal t ON t.id = b.terminal_id JOIN product p ON p.id = t.product_id "
        "WHERE b.merchant_no = ? ORDER BY t.sn", (merchant_no,))]


def contacts_of(merchant_id: int) -> list[tuple[str, str, str, str, str]]:
    return [(str(d), label or "", ch, summary, str(nxt or "")) for d, label, ch, summary, nxt in _db().execute_sql(
        "SELECT c.date, s.code || ' ' || s.name, c.channel, c.summary, c.next_date FROM contact c "
        "LEFT JOIN staff_member s ON s.id = c.staff_id WHERE c.merchant_id = ? "
        "ORDER BY c.date DESC, c.id DESC", (merchant_id,))]


def handover(merchant_ids: list[int], staff_id: int, day: dt.date) -> Changes:
    """交接: the merchants are owned by ``staff_id`` from ``day`` on (history kept)."""
    auth.require("edit")
    if not merchant_ids:
        raise UserError("请先选择要交接的商户")
    values.check_day(day, "交接日期")
    row = _db().execute_sql(
        "SELECT code, name, left_on FROM staff_member WHERE id = ?", (staff_id,)).fetchone()
    if row is None:
        raise UserError("接手的员工不存在")
    if row[2] and str(row[2]) < day.isoformat():
        raise UserError(f"员工 {row[0]} {row[1]} 已于 {row[2]} 离职,不能从 {day} 起接手商户")
    with _db().atomic():
        for mid in merchant_ids:
            _db().execute_sql(
                "DELETE FROM merchant_owner WHERE merchant_id = ? AND effective_from = ?",
                (mid, day.isoformat()))
            _db().execute_sql(
                "INSERT INTO merchant_owner (merchant_id, staff_id, effective_from) VALUES (?, ?, ?)",
                (mid, staff_id, day.isoformat()))
        audit.record("商户.交接", f"员工 {row[0]} {row[1]}", None,
                     {"merchants": _merchant_nos(merchant_ids), "from": day.isoformat()})
    return Changes({"merchants", "team"},
                   message=f"已将 {len(merchant_ids)} 个商户自 {day} 起交接给 {row[0]} {row[1]}")


def _merchant_nos(merchant_ids: list[int]) -> list[str]:
    found = dict(_db().execute_sql(
        f"SELECT id, merchant_no FROM merchant WHERE id IN ({', '.join('?' * len(merchant_ids))})",
        tuple(merchant_ids)).fetchall())
    return [found.get(i, f"#{i}") for i in merchant_ids]


def add_contact(merchant_id: int, staff_id: int | None, day: dt.date, channel: str,
                summary: str, next_date: dt.date | None = None) -> Changes:
    """Log a contact (回访记录); the merchant's earlier open contacts are done."""
    auth.require("edit")
    values.check_day(day, "回访日期")
    summary = values.note(summary, "内容")
    if channel and channel not in CHANNELS:
        raise UserError(f"方式“{channel}”无效")
    if next_date is not None and next_date < day:
        raise UserError("下次日期不能早于回访日期")
    with _db().atomic():
        _db().execute_sql("UPDATE contact SET done = 1 WHERE merchant_id = ? AND done = 0", (merchant_id,))
        _db().execute_sql(
            "INSERT INTO contact (merchant_id, date, staff_id, channel, summary, next_date, done) "
            "VALUES (?, ?, ?, ?, ?, ?, 0)",
            (merchant_id, day.isoformat(), staff_id, channel, summary,
             next_date.isoformat() if next_date else None))
        audit.record("商户.回访", f"商户 {_merchant_nos([merchant_id])[0]}", None,
                     {"date": day.isoformat(), "staff_id": staff_id, "channel": channel,
                      "summary": summary, "next": next_date.isoformat() if next_date else None})
    return Changes({"contacts"}, message="已记录回访")


# ------------------------------------------------------------------ tickets


@dataclass(frozen=True)
class TicketRow:
    id: int
    ticket_no: str
    type: str
    type_label: str
    staff_id: int
    staff: str
    merchant: str
    sn: str
    opened: str
    resolved: str
    outcome: str
    rating: int | None
    sla_hours: int | None
    overdue: bool
    note: str

    @property
    def state(self) -> str:
        if not self.resolved:
            return "处理中"
        return OUTCOME_LABELS.get(self.outcome, "") or "已解决"


def tickets(now: dt.datetime | None = None) -> list[TicketRow]:
    """Every ticket with the response time of its type (服务标准, DOMAIN §9:
    ``app.core.merchant_care.service_hours``); an open ticket past it is overdue.  Overdue
    first (the longest overdue on top), then newest."""
    from app.core.merchant_care import SERVICE_HOURS_DEFAULTS, service_hours

    now = now or dt.datetime.now().replace(microsecond=0)
    db = _db()
    staff = {i: (c, n) for i, c, n in db.execute_sql("SELECT id, code, name FROM staff_member")}
    hours = service_hours()
    rows = []
    for tid, no, kind, sid, mno, sn, opened, resolved, outcome, rating, note in db.execute_sql(
        "SELECT t.id, t.ticket_no, t.type, t.staff_id, COALESCE(m.merchant_no, ''), t.sn, t.opened, "
        "t.resolved, t.outcome, t.rating, t.note FROM ticket t LEFT JOIN merchant m ON m.id = t.merchant_id"
    ):
        code, name = staff.get(sid, ("", ""))
        sla = hours.get(kind, SERVICE_HOURS_DEFAULTS["other"])
        overdue = resolved is None and now - dt.datetime.fromisoformat(opened) > dt.timedelta(hours=sla)
        rows.append(TicketRow(tid, no, kind, TYPE_LABELS.get(kind, kind), sid, f"{code} {name}", mno,
                              sn, opened, resolved or "", outcome, rating, sla, overdue, note))
    rows.sort(key=lambda r: r.opened, reverse=True)
    # overdue ones first, the oldest deadline on top (its type's hours after it was opened)
    rows.sort(key=lambda r: (not r.overdue, _deadline(r) if r.overdue else ""))
    return rows


def _deadline(r: TicketRow) -> str:
    return (dt.datetime.fromisoformat(r.opened) + dt.timedelta(hours=r.sla_hours or 0)).isoformat()


def new_ticket(ticket_no: str, opened: dt.datetime, kind: str, staff_id: int,
               merchant_no: str = "", sn: str = "", note: str = "") -> Changes:
    auth.require("edit")
    try:
        no = values.code(ticket_no, "工单号")
        note = values.note(note)
    except ParseError as exc:
        raise UserError(str(exc)) from None
    if kind not in TYPE_LABELS:
        raise UserError(f"未知的工单类型“{kind}”")
    db = _db()
    if db.execute_sql("SELECT 1 FROM ticket WHERE ticket_no = ?", (no,)).fetchone():
        raise UserError(f"工单号 {no} 已存在")
    mid = None
    if merchant_no:
        r = db.execute_sql("SELECT id FROM merchant WHERE merchant_no = ?", (merchant_no,)).fetchone()
        if r is None:
            raise UserError(f"商户编号 {merchant_no} 不存在")
        mid = r[0]
    if sn and not db.execute_sql("SELECT 1 FROM terminal WHERE sn = ?", (sn,)).fetchone():
        raise UserError(f"终端SN {sn} 不存在")
    with db.atomic():
        db.execute_sql(
            "INSERT INTO ticket (ticket_no, opened, type, staff_id, merchant_id, sn, resolved, "
            "outcome, rating, note) VALUES (?, ?, ?, ?, ?, ?, NULL, '', NULL, ?)",
            (no, opened.replace(microsecond=0).isoformat(" "), kind, staff_id, mid, sn, note))
        audit.record("工单.新建", f"工单 {no}", None,
                     {"type": kind, "staff_id": staff_id, "merchant": merchant_no, "sn": sn,
                      "opened": opened.replace(microsecond=0).isoformat(" "), "note": note})
    return Changes({"tickets"}, message=f"已新建工单 {no}")


def resolve_ticket(ticket_id: int, when: dt.datetime, outcome: str = "resolved") -> Changes:
    auth.require("edit")
    row = _db().execute_sql("SELECT ticket_no, opened, resolved, outcome FROM ticket WHERE id = ?", (ticket_id,)).fetchone()
    if row is None:
        raise UserError("工单不存在")
    when = when.replace(microsecond=0)
    if when < dt.datetime.fromisoformat(row[1]):
        raise UserError(f"解决时间 {when} 早于创建时间 {row[1]}")
    if outcome not in ("resolved", "unresolved"):
        raise UserError("结果只能是已解决或未解决")
    with _db().atomic():
        _db().execute_sql("UPDATE ticket SET resolved = ?, outcome = ? WHERE id = ?",
                          (when.isoformat(" "), outcome, ticket_id))
        audit.record("工单.处理", f"工单 {row[0]}", {"resolved": row[2], "outcome": row[3]},
                     {"resolved": when.isoformat(" "), "outcome": outcome})
    return Changes({"tickets"}, message=f"工单 {row[0]} 已{OUTCOME_LABELS[outcome]}")


def rate_ticket(ticket_id: int, rating: int) -> Changes:
    auth.require("edit")
    if not 1 <= rating <= 5:
        raise UserError("满意度应在1到5之间")
    row = _db().execute_sql("SELECT ticket_no, rating FROM ticket WHERE id = ?", (ticket_id,)).fetchone()
    if row is None:
        raise UserError("工单不存在")
    with _db().atomic():
        _db().execute_sql("UPDATE ticket SET rating = ? WHERE id = ?", (rating, ticket_id))
        audit.record("工单.评价", f"工单 {row[0]}", {"rating": row[1]}, {"rating": rating})
    return Changes({"tickets"}, message=f"已记录满意度 {rating} 分")

