"""Imports of the team's files (FORMATS "Team, merchants …"), with the guarantees of every
import: each bad row is reported (file, row, column, reason in Chinese) and a file with any
is refused whole; the same rows imported again change nothing; a ticket imported again is
updated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from app.core import values
from app.core.errors import UserError
from app.core.money import ParseError, format_month
from app.core.months import locked_months, settle_month
from app.core.team import (
    CHANNELS,
    EARLIEST_DAY,
    OUTCOME_WORDS,
    ROLE_LABELS,
    ROLE_WORDS,
    SCOPE_WORDS,
    TYPE_WORDS,
    format_tiers,
    parse_tiers,
)
from app.io.importers import ImportReport, Rows, _batch, _choice, _finish
from app.io.reader import Table
from app.models import database


def _code(label: str) -> Callable[[str], str]:
    return lambda text: values.code(text, label)


def _name(text: str) -> str:
    return values.note(text)


def _count(low: int, high: int | None, label: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = values.count(text, label)
        if value < low or (high is not None and value > high):
            raise ParseError(f"{label}应在{low}到{high}之间" if high is not None else f"{label}不能小于{low}")
        return value

    return parse


def _money_nonneg(text: str) -> int:
    return values.money(text, sign="positive")


def _staff_codes() -> dict[str, tuple[int, dt.date | None, dt.date | None]]:
    out = {}
    for sid, code, joined, left in database.obj.execute_sql(
        "SELECT id, code, joined, left_on FROM staff_member"
    ):
        out[code] = (sid, _d(joined), _d(left))
    return out


def _d(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _merchant_ids() -> dict[str, int]:
    return dict(database.obj.execute_sql("SELECT merchant_no, id FROM merchant").fetchall())


def _same_key(rows: Rows, row: int, key: str, label: str, value: str, data: tuple,
              seen: dict[str, tuple[int, tuple]]) -> bool:
    """True when this row repeats an earlier one of the file (identical: counted once;
    different: recorded as an error)."""
    if value in seen:
        first, earlier = seen[value]
        if earlier != data:
            rows.bad(row, key, f"{label} {value} 在文件中重复且内容不同(第{first}行)")
        return True
    seen[value] = (row, data)
    return False


# ------------------------------------------------------------------ staff

STAFF_KEYS = ["code", "name", "role", "phone", "joined", "left"]


def import_staff(table: Table, report: ImportReport) -> None:
    rows = Rows(table)
    existing = {r[1]: r for r in database.obj.execute_sql(
        "SELECT id, code, name, role, phone, joined, left_on FROM staff_member")}
    seen: dict[str, tuple[int, tuple]] = {}
    parsed = []
    for row, (code, name, role, phone, joined_t, left_t) in table.rows(STAFF_KEYS):
        code = rows.parse(row, "code", code, _code("员工编号"), required=True)
        name = rows.parse(row, "name", name, _name, required=True)
        role = rows.parse(row, "role", role, _choice(ROLE_WORDS, "岗位"), required=True)
        phone = rows.parse(row, "phone", phone, _name, default="")
        joined = rows.parse(row, "joined", joined_t, values.day)
        left = rows.parse(row, "left", left_t, values.day)
        if joined and left and left < joined:
            rows.bad(row, "left", f"离职日期 {left} 早于入职日期 {joined}")
            continue
        if code is None or name is None or role is None:
            continue
        data = (name, role, phone, joined, left)
        if _same_key(rows, row, "code", "员工编号", code, data, seen):
            continue
        parsed.append((code, data))
    rows.raise_if_bad()
    batch = _batch("staff", table)
    for code, (name, role, phone, joined, left) in parsed:
        stored = (name, role, phone, _iso(joined), _iso(left))
        old = existing.get(code)
        if old is not None and tuple(old[2:5]) + (_iso(_d(old[5])), _iso(_d(old[6]))) == stored:
            report.skipped += 1
        elif old is not None:
            database.obj.execute_sql(
                "UPDATE staff_member SET name = ?, role = ?, phone = ?, joined = ?, left_on = ? "
                "WHERE id = ?", (*stored, old[0]))
            report.updated += 1
        else:
            database.obj.execute_sql(
                "INSERT INTO staff_member (code, name, role, phone, joined, left_on) "
                "VALUES (?, ?, ?, ?, ?, ?)", (code, *stored))
            report.added += 1
    _finish(batch, report)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# ------------------------------------------------------------------ merchants and owners

MERCHANT_KEYS = ["merchant_no", "name", "staff", "effective_from", "contact", "phone",
                 "address", "industry"]
_DETAILS = ("name", "contact", "phone", "address", "industry")


def import_merchants(table: Table, report: ImportReport) -> None:
    rows = Rows(table)
    staff = _staff_codes()
    merchants = {r[1]: r for r in database.obj.execute_sql(
        f"SELECT id, merchant_no, {', '.join(_DETAILS)} FROM merchant")}
    details: dict[str, tuple[int, dict[str, str]]] = {}
    owners: dict[tuple[str, str], tuple[int, int]] = {}
    for row, v in table.rows(MERCHANT_KEYS):
        rec = dict(zip(MERCHANT_KEYS, v, strict=True))
        mno = rows.parse(row, "merchant_no", rec["merchant_no"], _code("商户编号"), required=True)
        info = {k: rows.parse(row, k, rec[k], _name, default="") for k in _DETAILS}
        day = rows.parse(row, "effective_from", rec["effective_from"], values.day)
        if mno is None:
            continue
        if rec["staff"]:
            member = staff.get(rec["staff"])
            if member is None:
                rows.bad(row, "staff", f"员工编号 {rec['staff']} 不存在")
                continue
            when = day.isoformat() if day else EARLIEST_DAY
            if member[2] is not None and member[2] < dt.date.fromisoformat(when):
                rows.bad(row, "staff", f"员工 {rec['staff']} 已于 {member[2]} 离职,不能从 {when} 起负责商户")
                continue
            key = (mno, when)
            if key in owners and owners[key][1] != member[0]:
                rows.bad(row, "staff", f"商户 {mno} 在 {when} 的业务员与第{owners[key][0]}行不同")
                continue
            owners.setdefault(key, (row, member[0]))
        elif day is not None:
            rows.bad(row, "staff", "填写了生效日期,请同时填写业务员")
            continue
        if mno in details:
            first, earlier = details[mno]
            for k, value in info.items():
                if value and earlier[k] and value != earlier[k]:
                    rows.bad(row, k, f"商户 {mno} 的信息与第{first}行不同")
                elif value:
                    earlier[k] = value
        else:
            details[mno] = (row, info)
    rows.raise_if_bad()
    batch = _batch("merchants", table)
    db = database.obj
    for mno, (_row, info) in details.items():
        old = merchants.get(mno)
        if old is None:
            db.execute_sql(
                f"INSERT INTO merchant (merchant_no, {', '.join(_DETAILS)}) VALUES (?, ?, ?, ?, ?, ?)",
                (mno, *(info[k] for k in _DETAILS)))
            report.added += 1
            continue
        stored = dict(zip(_DETAILS, old[2:], strict=True))
        new = {k: info[k] or stored[k] for k in _DETAILS}  # a blank cell keeps what is stored
        if new != stored:
            db.execute_sql(
                f"UPDATE merchant SET {', '.join(f'{k} = ?' for k in _DETAILS)} WHERE id = ?",
                (*(new[k] for k in _DETAILS), old[0]))
            report.updated += 1
        elif not any(k[0] == mno for k in owners):
            report.skipped += 1
    ids = _merchant_ids()
    current = {(m, str(d)): s for m, d, s in db.execute_sql(
        "SELECT merchant_id, effective_from, staff_id FROM merchant_owner")}
    for (mno, when), (_row, sid) in owners.items():
        key = (ids[mno], when)
        if key in current:
            if current[key] == sid:
                continue
            db.execute_sql("UPDATE merchant_owner SET staff_id = ? WHERE merchant_id = ? "
                           "AND effective_from = ?", (sid, *key))
        else:
            db.execute_sql("INSERT INTO merchant_owner (merchant_id, effective_from, staff_id) "
                           "VALUES (?, ?, ?)", (*key, sid))
        if mno in merchants:
            report.updated += 1
    _finish(batch, report)


# ------------------------------------------------------------------ tickets

TICKET_KEYS = ["ticket_id", "opened", "type", "staff", "merchant_no", "sn", "resolved",
               "outcome", "rating", "note"]
_TICKET_FIELDS = ("opened", "type", "staff_id", "merchant_id", "sn", "resolved", "outcome",
                  "rating", "note")


def _time_text(value: dt.datetime | None) -> str | None:
    return value.isoformat(" ") if value else None


def import_tickets(table: Table, report: ImportReport) -> None:
    rows = Rows(table)
    staff = _staff_codes()
    merchants = _merchant_ids()
    sns = {r[0] for r in database.obj.execute_sql("SELECT sn FROM terminal")}
    existing = {r[0]: r[1:] for r in database.obj.execute_sql(
        f"SELECT ticket_no, id, {', '.join(_TICKET_FIELDS)} FROM ticket")}
    seen: dict[str, tuple[int, tuple]] = {}
    parsed = []
    for row, v in table.rows(TICKET_KEYS):
        rec = dict(zip(TICKET_KEYS, v, strict=True))
        no = rows.parse(row, "ticket_id", rec["ticket_id"], _code("工单号"), required=True)
        opened = rows.parse(row, "opened", rec["opened"], values.moment, required=True)
        kind = rows.parse(row, "type", rec["type"], _choice(TYPE_WORDS, "工单类型"), required=True)
        member = staff.get(rec["staff"])
        if member is None:
            rows.bad(row, "staff", f"处理人 {rec['staff'] or '(空)'} 不是已登记的员工编号")
        merchant_id = None
        if rec["merchant_no"]:
            merchant_id = merchants.get(rec["merchant_no"])
            if merchant_id is None:
                rows.bad(row, "merchant_no", f"商户编号 {rec['merchant_no']} 不存在,请先导入商户")
        if rec["sn"] and rec["sn"] not in sns:
            rows.bad(row, "sn", f"终端SN {rec['sn']} 不存在")
        resolved = rows.parse(row, "resolved", rec["resolved"], values.moment)
        outcome = rows.parse(row, "outcome", rec["outcome"], _choice(OUTCOME_WORDS, "结果"), default="")
        rating = rows.parse(row, "rating", rec["rating"], _count(1, 5, "满意度"))
        note = rows.parse(row, "note", rec["note"], _name, default="")
        if opened and resolved and resolved < opened:
            rows.bad(row, "resolved", f"解决时间 {resolved} 早于创建时间 {opened}")
            continue
        if outcome == "resolved" and resolved is None and rec["resolved"] == "":
            rows.bad(row, "resolved", "结果为已解决,请填写解决时间")
            continue
        if None in (no, opened, kind, member):
            continue
        assert member is not None and no is not None
        data = (_time_text(opened), kind, member[0], merchant_id, rec["sn"], _time_text(resolved),
                outcome, rating, note)
        if _same_key(rows, row, "ticket_id", "工单号", no, data, seen):
            continue
        parsed.append((no, data))
    rows.raise_if_bad()
    batch = _batch("tickets", table)
    sets = ", ".join(f"{f} = ?" for f in _TICKET_FIELDS)
    for no, data in parsed:
        old = existing.get(no)
        if old is None:
            database.obj.execute_sql(
                f"INSERT INTO ticket (ticket_no, {', '.join(_TICKET_FIELDS)}) "
                f"VALUES (?, {', '.join('?' * len(_TICKET_FIELDS))})", (no, *data))
            report.added += 1
        elif tuple(old[1:]) == data:
            report.skipped += 1
        else:
            database.obj.execute_sql(f"UPDATE ticket SET {sets} WHERE id = ?", (*data, old[0]))
            report.updated += 1
    _finish(batch, report)


# ------------------------------------------------------------------ commission plans

PLAN_KEYS = ["target", "effective_month", "base", "per_activation", "volume_rate", "scope",
             "per_ticket", "sla_hours", "resolution_tiers", "satisfaction_tiers", "min_ratings"]
_PLAN_FIELDS = ("base", "per_activation", "volume_rate", "scope", "per_ticket", "sla_hours",
                "resolution_tiers", "satisfaction_tiers", "min_ratings")


def _tiers(kind: str):
    def parse(text: str) -> str:
        return format_tiers(parse_tiers(text, kind), kind)

    return parse


def import_staff_plans(table: Table, report: ImportReport) -> None:
    rows = Rows(table)
    staff = _staff_codes()
    existing = {(r[1], r[2] or 0, r[3]): r for r in database.obj.execute_sql(
        f"SELECT id, role, staff_id, effective_month, {', '.join(_PLAN_FIELDS)} FROM commission_plan")}
    seen: dict[str, tuple[int, tuple]] = {}
    parsed = []
    for row, v in table.rows(PLAN_KEYS):
        rec = dict(zip(PLAN_KEYS, v, strict=True))
        target = rec["target"]
        role, sid = "", None
        if target in staff:
            sid = staff[target][0]
        elif target in ROLE_WORDS:
            role = ROLE_WORDS[target]
        else:
            rows.bad(row, "target", f"适用对象 {target or '(空)'} 既不是员工编号,也不是岗位"
                     f"({'/'.join(ROLE_LABELS.values())})")
        month = rows.parse(row, "effective_month", rec["effective_month"], values.month, required=True)
        data = (
            rows.parse(row, "base", rec["base"], _money_nonneg, default=0),
            rows.parse(row, "per_activation", rec["per_activation"], _money_nonneg, default=0),
            rows.parse(row, "volume_rate", rec["volume_rate"], values.rate, default=0),
            rows.parse(row, "scope", rec["scope"], _choice(SCOPE_WORDS, "范围"), default="own"),
            rows.parse(row, "per_ticket", rec["per_ticket"], _money_nonneg, default=0),
            rows.parse(row, "sla_hours", rec["sla_hours"], _count(1, 100_000, "处理时限小时")),
            rows.parse(row, "resolution_tiers", rec["resolution_tiers"], _tiers("resolution"), default=""),
            rows.parse(row, "satisfaction_tiers", rec["satisfaction_tiers"], _tiers("satisfaction"),
                       default=""),
            rows.parse(row, "min_ratings", rec["min_ratings"], _count(0, None, "最少评价数"), default=1),
        )
        if month is None or (not role and sid is None):
            continue
        if _same_key(rows, row, "target", "适用对象与生效月份", f"{target} {month}", data, seen):
            continue
        parsed.append(((role, sid or 0, month), sid, data))
    rows.raise_if_bad()
    batch = _batch("staff_plans", table)
    for key, sid, data in parsed:
        old = existing.get(key)
        if old is None:
            database.obj.execute_sql(
                f"INSERT INTO commission_plan (role, staff_id, effective_month, {', '.join(_PLAN_FIELDS)}) "
                f"VALUES (?, ?, ?, {', '.join('?' * len(_PLAN_FIELDS))})", (key[0], sid, key[2], *data))
            report.added += 1
        elif tuple(old[4:]) == data:
            report.skipped += 1
        else:
            database.obj.execute_sql(
                f"UPDATE commission_plan SET {', '.join(f'{f} = ?' for f in _PLAN_FIELDS)} WHERE id = ?",
                (*data, old[0]))
            report.updated += 1
    _finish(batch, report)


# ------------------------------------------------------------------ staff adjustments

ADJUSTMENT_KEYS = ["staff", "month", "amount", "reason"]


def import_staff_adjustments(table: Table, report: ImportReport) -> None:
    rows = Rows(table)
    staff = _staff_codes()
    locked = locked_months()
    existing = set(database.obj.execute_sql(
        "SELECT staff_id, original_month, amount, reason FROM staff_adjustment").fetchall())
    seen: dict[tuple, int] = {}
    parsed = []
    late = set()
    for row, (code, month_t, amount_t, reason) in table.rows(ADJUSTMENT_KEYS):
        member = staff.get(code)
        if member is None:
            rows.bad(row, "staff", f"员工编号 {code or '(空)'} 不存在")
        month = rows.parse(row, "month", month_t, values.month, required=True)
        amount = rows.parse(row, "amount", amount_t, values.money, required=True)
        reason = rows.parse(row, "reason", reason, _name, required=True)
        if member is None or month is None or amount is None or not reason:
            continue
        key = (member[0], month, amount, reason)
        if key in seen:
            rows.bad(row, "amount", f"与第{seen[key]}行完全相同:如确为两笔,请合并为一行")
            continue
        seen[key] = row
        if key in existing:
            report.skipped += 1
            continue
        target = settle_month(month, locked)
        if target != month:
            late.add((month, target))
        parsed.append((member[0], target, month, amount, reason))
    rows.raise_if_bad()
    batch = _batch("staff_adjustments", table)
    database.obj.cursor().executemany(
        "INSERT INTO staff_adjustment (staff_id, month, original_month, amount, reason, batch_id) "
        "VALUES (?, ?, ?, ?, ?, ?)", [(*p, batch.id) for p in parsed])
    report.added = len(parsed)
    for m, target in sorted(late):
        report.notices.append(f"注意:{format_month(m)}已锁定,该月的员工奖惩计入 {format_month(target)}。")
    _finish(batch, report)


# ------------------------------------------------------------------ contacts (回访记录)

CONTACT_KEYS = ["merchant_no", "date", "staff", "channel", "summary", "next_date"]


def import_contacts(table: Table, report: ImportReport) -> None:
    rows = Rows(table)
    staff = _staff_codes()
    merchants = _merchant_ids()
    existing = {(m, str(d), s, c, t) for m, d, s, c, t in database.obj.execute_sql(
        "SELECT merchant_id, date, staff_id, channel, summary FROM contact")}
    seen: dict[tuple, tuple[int, tuple]] = {}
    parsed = []
    for row, (mno, day_t, code, channel, summary, next_t) in table.rows(CONTACT_KEYS):
        mid = merchants.get(mno)
        if mid is None:
            rows.bad(row, "merchant_no", f"商户编号 {mno or '(空)'} 不存在,请先导入商户")
        member = staff.get(code)
        if member is None:
            rows.bad(row, "staff", f"员工编号 {code or '(空)'} 不存在")
        day = rows.parse(row, "date", day_t, values.day, required=True)
        if channel and channel not in CHANNELS:
            rows.bad(row, "channel", f"方式“{channel}”无效(可选:{'/'.join(CHANNELS)})")
        summary = rows.parse(row, "summary", summary, _name, default="")
        next_day = rows.parse(row, "next_date", next_t, values.day)
        if day and next_day and next_day < day:
            rows.bad(row, "next_date", f"下次日期 {next_day} 早于回访日期 {day}")
            continue
        if mid is None or member is None or day is None:
            continue
        key = (mid, day.isoformat(), member[0], channel, summary)
        if key in seen:
            if seen[key][1] != (next_day,):
                rows.bad(row, "next_date", f"与第{seen[key][0]}行是同一次回访,但下次日期不同")
            continue
        seen[key] = (row, (next_day,))
        if key in existing:
            report.skipped += 1
            continue
        parsed.append((*key, _iso(next_day)))
    rows.raise_if_bad()
    batch = _batch("contacts", table)
    database.obj.cursor().executemany(
        "INSERT INTO contact (merchant_id, date, staff_id, channel, summary, next_date, done) "
        "VALUES (?, ?, ?, ?, ?, ?, 0)", parsed)
    # as in the agents' follow-up log: only a merchant's latest contact stays open
    database.obj.execute_sql(
        "UPDATE contact SET done = 1 WHERE done = 0 AND EXISTS (SELECT 1 FROM contact c "
        "WHERE c.merchant_id = contact.merchant_id AND (c.date > contact.date "
        "OR (c.date = contact.date AND c.id > contact.id)))")
    report.added = len(parsed)
    _finish(batch, report)


TEAM_IMPORTERS: dict[str, Callable[[Table, ImportReport], None]] = {
    "staff": import_staff,
    "merchants": import_merchants,
    "tickets": import_tickets,
    "staff_plans": import_staff_plans,
    "staff_adjustments": import_staff_adjustments,
    "contacts": import_contacts,
}


def check_kind(kind: str) -> None:
    if kind not in TEAM_IMPORTERS:
        raise UserError(f"未知的导入类型“{kind}”")
