"""Merchant care (商户维护, DOMAIN §9): the contact plan (沟通计划) and the service standard
(服务标准).

Contact plan: per tag a cadence in days (settings ``merchant_cadence_<tag>``, defaults
忠诚 30, 潜力增长 14, 一般 30, 新商户 7, 流失风险 3, 沉睡 7).  A merchant's next call is due on
its last contact + the cadence of its tag; a next date written at the last contact
replaces that once (the contact after it goes back to the cadence).  A merchant never
contacted is due from its first counted transaction + the cadence (rule chosen, see
docs/merchants.md).  The member who keeps the merchant (its owner, 业务员, on the day) sees
it in its 今日回访 list when the due day is today or past.

服务后的跟进: each resolved ticket of a merchant asks for a follow-up call by the ticket's
handler, due ``service_followup_days`` (default 1) after the resolved day, until a contact
with that merchant is logged on or after the resolved day.  It lands in the same list.

Service standard: per ticket type a response time in hours (settings
``service_hours_<type>``); an open ticket older than that is overdue and listed first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.core.errors import Changes, UserError
from app.core.months import get_setting
from app.core.tagging import MERCHANT_TAG_LABELS
from app.models import database

CADENCE_DEFAULTS = {"loyal": 30, "growing": 14, "regular": 30, "new": 7, "churn_risk": 3, "dormant": 7}
SERVICE_HOURS_DEFAULTS = {
    "inquiry": 24, "fault": 24, "complaint": 12, "install": 48, "swap": 48, "visit": 72, "other": 48,
}
FOLLOWUP_DAYS_DEFAULT = 1
CHANNELS = ("电话", "微信", "上门", "短信")


def team_ready() -> bool:
    """Whether the team's tables (staff, merchants, tickets, contacts) exist: without them
    the tags and figures from the transactions still work, the rest stays empty."""
    return bool(database.table_exists("merchant") and database.table_exists("contact")
                and database.table_exists("ticket") and database.table_exists("staff_member"))


def _int_setting(key: str, default: int) -> int:
    text = get_setting(key, "").strip()
    return int(text) if text.isdigit() else default


def cadences() -> dict[str, int]:
    """tag → days between calls, as the office set them."""
    return {tag: _int_setting(f"merchant_cadence_{tag}", d) for tag, d in CADENCE_DEFAULTS.items()}


def service_hours() -> dict[str, int]:
    """ticket type → response time in hours, as the office set them."""
    return {t: _int_setting(f"service_hours_{t}", d) for t, d in SERVICE_HOURS_DEFAULTS.items()}


def followup_days() -> int:
    return _int_setting("service_followup_days", FOLLOWUP_DAYS_DEFAULT)


def _day(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def due_date(tag: str | None, last_contact: dt.date | None, next_date: dt.date | None,
             first_txn: dt.date | None, cadence: dict[str, int]) -> dt.date | None:
    """When a merchant's next call is due: the next date set at its last contact, else its
    last contact (or, never contacted, its first counted transaction) + its tag's cadence;
    None with neither a next date nor a tag."""
    if next_date is not None:
        return next_date
    if tag is None:
        return None
    anchor = last_contact or first_txn
    if anchor is None:
        return None
    return anchor + dt.timedelta(days=cadence[tag])


# ------------------------------------------------------------------ contacts and follow-ups


@dataclass(frozen=True)
class LastContact:
    date: dt.date
    next_date: dt.date | None
    staff_id: int | None


def last_contacts() -> dict[str, LastContact]:
    """merchant no → its latest contact (by date, then the order logged)."""
    if not team_ready():
        return {}
    rows = database.execute_sql(
        "SELECT m.merchant_no, c.date, c.next_date, c.staff_id FROM (SELECT merchant_id, date, "
        "next_date, staff_id, ROW_NUMBER() OVER (PARTITION BY merchant_id ORDER BY date DESC, "
        "id DESC) AS rn FROM contact) c JOIN merchant m ON m.id = c.merchant_id WHERE c.rn = 1"
    ).fetchall()
    return {m: LastContact(_day(d), _day(n), s) for m, d, n, s in rows}  # type: ignore[arg-type]


@dataclass(frozen=True)
class ServiceFollowUp:
    """A resolved ticket whose merchant has not been called since (服务后的跟进)."""

    ticket_no: str
    merchant_no: str
    staff_id: int
    resolved: dt.date
    due: dt.date
    type: str


def service_followups() -> list[ServiceFollowUp]:
    """Resolved tickets of a merchant with no contact logged on or after the resolved day."""
    if not team_ready():
        return []
    days = followup_days()
    rows = database.execute_sql(
        "SELECT t.ticket_no, m.merchant_no, t.staff_id, substr(t.resolved, 1, 10), t.type "
        "FROM ticket t JOIN merchant m ON m.id = t.merchant_id "
        "WHERE t.resolved IS NOT NULL AND t.outcome != 'unresolved' AND NOT EXISTS ("
        "SELECT 1 FROM contact c WHERE c.merchant_id = t.merchant_id "
        "AND c.date >= substr(t.resolved, 1, 10)) ORDER BY t.resolved, t.ticket_no"
    ).fetchall()
    out = []
    for ticket_no, merchant_no, staff_id, resolved, kind in rows:
        day = dt.date.fromisoformat(resolved)
        out.append(ServiceFollowUp(ticket_no, merchant_no, staff_id, day,
                                   day + dt.timedelta(days=days), kind))
    return out


def log_contact(merchant_no: str, day: dt.date, staff_id: int | None, channel: str,
                summary: str, next_date: dt.date | None = None) -> Changes:
    """Log a call or visit (回访记录) with a merchant; a merchant known only from its
    transactions is registered on the way (name from its terminal's activation record)."""
    from app.core import auth

    auth.require("edit")
    if not team_ready():
        raise UserError("请先导入员工与商户资料,再记录回访")
    from app.core.team_desk import add_contact

    merchant_no = (merchant_no or "").strip()
    summary = (summary or "").strip()
    problems = []
    if not merchant_no:
        problems.append("请选择商户")
    if channel not in CHANNELS:
        problems.append("方式应为 电话、微信、上门 或 短信")
    if len(summary) > 200 or any(ord(ch) < 32 for ch in summary):
        problems.append("内容最多200字,且不能含控制字符")
    if day > dt.date.today() + dt.timedelta(days=1):
        problems.append("回访日期不能晚于今天")
    if next_date is not None and next_date < day:
        problems.append("下次日期不能早于回访日期")
    if staff_id is not None and database.execute_sql(
            "SELECT 1 FROM staff_member WHERE id = ?", (staff_id,)).fetchone() is None:
        problems.append("所选员工不存在")
    if problems:
        raise UserError("回访记录有误:\n" + "\n".join(problems))
    with database.atomic():
        row = database.execute_sql("SELECT id FROM merchant WHERE merchant_no = ?",
                                   (merchant_no,)).fetchone()
        if row is None:
            name = database.execute_sql(
                "SELECT MAX(merchant_name) FROM terminal WHERE merchant_no = ?", (merchant_no,)
            ).fetchone()[0] or ""
            cur = database.execute_sql(
                "INSERT INTO merchant (merchant_no, name, contact, phone, address, industry) "
                "VALUES (?, ?, '', '', '', '')", (merchant_no, name))
            merchant_id = cur.lastrowid
        else:
            merchant_id = row[0]
        # the team's one way of logging a contact (earlier open ones of the merchant done)
        add_contact(merchant_id, staff_id, day, channel, summary, next_date)
    return Changes({"contacts", "merchants"}, message=f"已记录商户 {merchant_no} 的回访")


@dataclass(frozen=True)
class ContactRow:
    date: dt.date
    staff: str
    channel: str
    summary: str
    next_date: dt.date | None


def contacts_of(merchant_no: str) -> list[ContactRow]:
    """A merchant's contact log, newest first."""
    if not team_ready():
        return []
    rows = database.execute_sql(
        "SELECT c.date, COALESCE(s.code || ' ' || s.name, ''), c.channel, c.summary, c.next_date "
        "FROM contact c JOIN merchant m ON m.id = c.merchant_id "
        "LEFT JOIN staff_member s ON s.id = c.staff_id WHERE m.merchant_no = ? "
        "ORDER BY c.date DESC, c.id DESC", (merchant_no,)).fetchall()
    return [ContactRow(_day(d), s, ch, su, _day(n)) for d, s, ch, su, n in rows]  # type: ignore[arg-type]


# ------------------------------------------------------------------ service standard


@dataclass(frozen=True)
class TicketRow:
    ticket_no: str
    opened: str
    type: str
    staff: str
    merchant_no: str
    sn: str
    resolved: str | None
    outcome: str
    rating: int | None
    deadline: dt.datetime  # opened + the type's response time
    overdue: bool  # open and past its deadline

    @property
    def type_label(self) -> str:
        return TICKET_TYPE_LABELS.get(self.type, self.type)


TICKET_TYPE_LABELS = {"inquiry": "咨询", "fault": "故障", "complaint": "投诉", "install": "安装",
                      "swap": "换机", "visit": "回访", "other": "其他"}


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(str(text)[:19])


def is_overdue(opened: str, kind: str, resolved: str | None, now: dt.datetime,
               hours: dict[str, int]) -> bool:
    """An open ticket past its type's response time (exactly at it is not yet past)."""
    if resolved:
        return False
    return now > _time(opened) + dt.timedelta(hours=hours.get(kind, SERVICE_HOURS_DEFAULTS["other"]))


def ticket_rows(now: dt.datetime | None = None, *, open_only: bool = False,
                staff_id: int | None = None) -> list[TicketRow]:
    """Tickets, overdue ones first (the most overdue on top), then open ones, then the
    rest, newest first."""
    now = now or dt.datetime.now()
    if not team_ready():
        return []
    hours = service_hours()
    where, args = [], []
    if open_only:
        where.append("t.resolved IS NULL")
    if staff_id is not None:
        where.append("t.staff_id = ?")
        args.append(staff_id)
    sql = (
        "SELECT t.ticket_no, t.opened, t.type, COALESCE(s.code || ' ' || s.name, ''), "
        "COALESCE(m.merchant_no, ''), t.sn, t.resolved, t.outcome, t.rating FROM ticket t "
        "LEFT JOIN staff_member s ON s.id = t.staff_id LEFT JOIN merchant m ON m.id = t.merchant_id"
        + (" WHERE " + " AND ".join(where) if where else "")
    )
    out = []
    for no, opened, kind, staff, merchant, sn, resolved, outcome, rating in database.execute_sql(sql, args):
        deadline = _time(opened) + dt.timedelta(hours=hours.get(kind, SERVICE_HOURS_DEFAULTS["other"]))
        out.append(TicketRow(no, str(opened), kind, staff, merchant, sn or "", resolved, outcome or "",
                             rating, deadline, not resolved and now > deadline))
    return sort_overdue_first(out)


def sort_overdue_first(rows: list[TicketRow]) -> list[TicketRow]:
    """Overdue first (oldest deadline on top), then open (nearest deadline), then closed
    (newest first)."""
    overdue = sorted((r for r in rows if r.overdue), key=lambda r: r.deadline)
    open_ = sorted((r for r in rows if not r.overdue and not r.resolved), key=lambda r: r.deadline)
    closed = sorted((r for r in rows if r.resolved), key=lambda r: r.opened, reverse=True)
    return overdue + open_ + closed


def tag_label(tag: str | None) -> str:
    return MERCHANT_TAG_LABELS.get(tag or "", "")


# ------------------------------------------------------------------ the settings, declared once

CARE_SETTINGS: list[tuple[str, str, int, int]] = [
    # (key, label, default, upper bound)
    ("merchant_tag_dormant_days", "沉睡:最近多少天无交易", 30, 365),
    ("merchant_tag_churn_days", "流失风险:最近多少天无交易", 15, 365),
    ("merchant_tag_churn_pct", "流失风险:本月低于前两月均额的 %", 50, 1000),
    ("merchant_tag_growing_pct", "潜力增长:本月达到前两月均额的 %", 130, 10000),
    ("merchant_tag_loyal_months", "忠诚:连续有交易的月数", 3, 24),
    *[(f"merchant_cadence_{tag}", f"回访周期(天):{MERCHANT_TAG_LABELS[tag]}", days, 365)
      for tag, days in CADENCE_DEFAULTS.items()],
    *[(f"service_hours_{kind}", f"响应时限(小时):{label}", SERVICE_HOURS_DEFAULTS[kind], 24 * 90)
      for kind, label in (("inquiry", "咨询"), ("fault", "故障"), ("complaint", "投诉"), ("install", "安装"),
                          ("swap", "换机"), ("visit", "回访"), ("other", "其他"))],
    ("service_followup_days", "服务后的跟进:工单解决后几天内回访", FOLLOWUP_DAYS_DEFAULT, 60),
]


def care_settings() -> list[tuple[str, str, int]]:
    """(key, label, current value) of every merchant-care setting."""
    return [(key, label, _int_setting(key, default)) for key, label, default, _top in CARE_SETTINGS]


def save_care_settings(values: dict[str, str]) -> Changes:
    """Store the settings typed by the office; every value a whole number in its range."""
    from app.core.months import set_setting

    problems, clean = [], {}
    for key, label, _default, top in CARE_SETTINGS:
        if key not in values:
            continue
        text = str(values[key]).strip()
        low = 0 if key == "service_followup_days" else 1
        if not text.isdigit() or not low <= int(text) <= top:
            problems.append(f"{label}:应为 {low}~{top} 的整数")
        else:
            clean[key] = str(int(text))
    if problems:
        raise UserError("设置有误:\n" + "\n".join(problems))
    with database.atomic():
        for key, value in clean.items():
            set_setting(key, value)
    return Changes({"settings", "merchants"}, message="已保存商户维护设置")
