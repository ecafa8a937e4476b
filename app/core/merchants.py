"""The 商户 table and the 今日回访 list (DOMAIN §9): every merchant with its tag of a month,
volume, owner (业务员), last transaction, last contact and next due call.

A merchant is listed when the office registered it (商户 import or a logged contact) or
it has a counted transaction up to the month's end.  Its name is the registered one, else
the name on its terminal's activation record.  Its owner is the one in force on the
month's last day (for the 今日回访 list: today).  Everything comes from a handful of
set-based queries (the tags, the registry, the owners in force, the latest contacts, the
open service follow-ups) joined in one pass over the merchants.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from app.core import audit, auth
from app.core import merchant_care as care
from app.core.errors import Changes, UserError
from app.core.merchant_tags import compute_tags, tags_computed
from app.core.money import month_last_day, month_of
from app.core.tagging import MERCHANT_TAG_LABELS, join_tags, split_tags
from app.models import database


@dataclass
class MerchantRow:
    """One merchant in one month."""

    merchant_no: str
    name: str
    owner_id: int | None
    owner: str  # staff code, "" when nobody
    owner_name: str
    tag: str | None
    manual: list[str] = field(default_factory=list)
    volume: int = 0
    before: int | None = None
    last_txn: dt.date | None = None
    last_contact: dt.date | None = None
    due: dt.date | None = None  # the earlier of the two below
    plan_due: dt.date | None = None  # by the contact plan (cadence or next date)
    service_due: dt.date | None = None  # a resolved ticket asks for a follow-up call
    agreed: bool = False  # plan_due is the next date written at the last contact

    @property
    def tag_label(self) -> str:
        return MERCHANT_TAG_LABELS.get(self.tag or "", "")

    @property
    def manual_text(self) -> str:
        return "、".join(self.manual)

    @property
    def owner_text(self) -> str:
        return f"{self.owner} {self.owner_name}".strip()


def _day(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def owners_on(day: dt.date) -> dict[str, int | None]:
    """merchant no → the staff id owning it on ``day`` (the row with the latest effective
    date ≤ day; a 交接 dated ``day`` already applies)."""
    if not care.team_ready():
        return {}
    rows = database.execute_sql(
        "SELECT m.merchant_no, o.staff_id FROM merchant_owner o JOIN merchant m ON m.id = o.merchant_id "
        "WHERE o.effective_from = (SELECT MAX(o2.effective_from) FROM merchant_owner o2 "
        "WHERE o2.merchant_id = o.merchant_id AND o2.effective_from <= ?)", (day.isoformat(),)
    ).fetchall()
    return dict(rows)


def staff_labels() -> dict[int, tuple[str, str]]:
    if not care.team_ready():
        return {}
    return {i: (c, n) for i, c, n in database.execute_sql("SELECT id, code, name FROM staff_member")}


def registered_names() -> dict[str, str]:
    """merchant no → name of every registered merchant (商户 import or a logged contact)."""
    if not care.team_ready():
        return {}
    return dict(database.execute_sql("SELECT merchant_no, name FROM merchant").fetchall())


def merchant_rows(month: str, *, compute: bool = True, owner_day: dt.date | None = None) -> list[MerchantRow]:
    """Every merchant of ``month`` by merchant number (tags computed first when missing)."""
    if compute and not tags_computed(month):
        compute_tags(month)
    last = month_last_day(month)
    tagged = database.execute_sql(
        "SELECT merchant_no, tag, volume, before, first_day, last_day FROM merchant_tag WHERE month = ?",
        (month,)).fetchall()
    registered = registered_names()
    bound_names = dict(database.execute_sql(
        "SELECT merchant_no, MAX(merchant_name) FROM terminal WHERE merchant_no != '' GROUP BY merchant_no"
    ).fetchall())
    owners = owners_on(owner_day or last)
    staff = staff_labels()
    contacts = care.last_contacts()
    manual: dict[str, list[str]] = {}
    for m, t in database.execute_sql("SELECT merchant_no, tag FROM merchant_manual_tag ORDER BY tag"):
        manual.setdefault(m, []).append(t)
    service: dict[str, dt.date] = {}
    for f in care.service_followups():
        if f.merchant_no not in service or f.due < service[f.merchant_no]:
            service[f.merchant_no] = f.due
    cadence = care.cadences()

    def row(merchant_no: str, tag: str | None, volume: int, before: int | None,
            first_day: object, last_day: object) -> MerchantRow:
        owner_id = owners.get(merchant_no)
        code, name = staff.get(owner_id, ("", "")) if owner_id is not None else ("", "")
        c = contacts.get(merchant_no)
        plan = care.due_date(tag, c.date if c else None, c.next_date if c else None,
                             _day(first_day), cadence)
        follow = service.get(merchant_no)
        due = min((d for d in (plan, follow) if d is not None), default=None)
        shown = registered.get(merchant_no) or bound_names.get(merchant_no) or ""
        return MerchantRow(merchant_no, shown, owner_id, code, name, tag, manual.get(merchant_no, []),
                           volume, before, _day(last_day), c.date if c else None, due, plan, follow,
                           bool(c and c.next_date))

    out = {m: row(m, tag, v, b, f, lday) for m, tag, v, b, f, lday in tagged}
    for m in registered:
        if m not in out:
            out[m] = row(m, None, 0, None, None, None)
    return [out[m] for m in sorted(out)]


def merchants_json(month: str) -> dict:
    """``posdesk merchants show M --json`` (FORMATS): the merchants and the month's figures."""
    from app.core.merchant_figures import figures_json

    compute_tags(month)
    rows = merchant_rows(month, compute=False)
    return {
        "month": month,
        "merchants": [
            {"merchant_no": r.merchant_no, "name": r.name, "owner": r.owner or None, "tag": r.tag,
             "volume_fen": r.volume, "last_txn": r.last_txn.isoformat() if r.last_txn else None,
             "due": r.due.isoformat() if r.due else None}
            for r in rows
        ],
        "figures": figures_json(month),
    }


# ------------------------------------------------------------------ 今日回访


@dataclass(frozen=True)
class DueItem:
    """One call to make: planned by the cadence (计划回访) or after service (服务后的跟进)."""

    merchant_no: str
    name: str
    tag: str | None
    staff_id: int | None
    staff: str
    due: dt.date
    kind: str  # plan | service
    reason: str

    @property
    def kind_label(self) -> str:
        return "服务后的跟进" if self.kind == "service" else "计划回访"

    @property
    def tag_label(self) -> str:
        return MERCHANT_TAG_LABELS.get(self.tag or "", "")


def tag_month_for(today: dt.date) -> str | None:
    """The month whose tags drive the plan today: the latest computed one up to today's
    month (else the latest computed at all)."""
    current = month_of(today)
    row = database.execute_sql(
        "SELECT MAX(month) FROM merchant_tag WHERE month <= ?", (current,)).fetchone()
    if row and row[0]:
        return str(row[0])
    row = database.execute_sql("SELECT MAX(month) FROM merchant_tag").fetchone()
    return str(row[0]) if row and row[0] else None


def due_list(today: dt.date | None = None, staff_id: int | None = None,
             rows: list[MerchantRow] | None = None) -> list[DueItem]:
    """今日回访: the calls due today or earlier, for one member (its own merchants, and the
    follow-ups of its resolved tickets) or for the whole office (``staff_id`` None);
    the most overdue first.  ``rows``: the merchants of ``tag_month_for(today)`` with
    today's owners, when the caller has them already."""
    today = today or dt.date.today()
    if rows is None:
        month = tag_month_for(today)
        rows = [] if month is None else merchant_rows(month, compute=False, owner_day=today)
    staff = staff_labels()
    items: list[DueItem] = []
    cadence = care.cadences()
    tags: dict[str, str | None] = {}
    if rows:
        for r in rows:
            tags[r.merchant_no] = r.tag
            planned = r.plan_due
            if planned is None or planned > today:
                continue
            if staff_id is not None and r.owner_id != staff_id:
                continue
            every = ("上次约定的回访日" if r.agreed or not r.tag
                     else f"标签“{r.tag_label}”每 {cadence[r.tag]} 天回访")
            reason = f"{every};" + (f"上次回访 {r.last_contact}" if r.last_contact else "从未回访")
            items.append(DueItem(r.merchant_no, r.name, r.tag, r.owner_id, r.owner_text, planned, "plan", reason))
    names = registered_names()
    for f in care.service_followups():
        if f.due > today or (staff_id is not None and f.staff_id != staff_id):
            continue
        code, name = staff.get(f.staff_id, ("", ""))
        reason = f"工单 {f.ticket_no}({care.TICKET_TYPE_LABELS.get(f.type, f.type)}){f.resolved} 已解决"
        items.append(DueItem(f.merchant_no, names.get(f.merchant_no, ""), tags.get(f.merchant_no), f.staff_id,
                             f"{code} {name}".strip(), f.due, "service", reason))
    items.sort(key=lambda i: (i.due, i.kind != "service", i.merchant_no))
    return items


# ------------------------------------------------------------------ manual tags


def set_manual_tags(merchant_no: str, tags: list[str]) -> Changes:
    """Replace a merchant's manual tags (beside the computed one)."""
    auth.require("edit")
    clean = split_tags(join_tags(tags))
    for t in clean:
        if len(t) > 20 or any(ord(ch) < 32 for ch in t):
            raise UserError(f"标签“{t[:20]}”太长(最多20字)或含控制字符")
    before = [r[0] for r in database.execute_sql(
        "SELECT tag FROM merchant_manual_tag WHERE merchant_no = ? ORDER BY tag", (merchant_no,))]
    with database.atomic():
        database.execute_sql("DELETE FROM merchant_manual_tag WHERE merchant_no = ?", (merchant_no,))
        database.cursor().executemany(
            "INSERT INTO merchant_manual_tag (merchant_no, tag) VALUES (?, ?)",
            [(merchant_no, t) for t in clean])
        audit.record("商户.标签", f"商户 {merchant_no}", before, clean)
    return Changes({"merchants"}, message=f"已更新商户 {merchant_no} 的标签")


def staff_choices() -> list[tuple[int, str]]:
    """(id, "code name") of every staff member still employed, by code."""
    if not care.team_ready():
        return []
    today = dt.date.today().isoformat()
    return [(i, f"{c} {n}") for i, c, n in database.execute_sql(
        "SELECT id, code, name FROM staff_member WHERE left_on IS NULL OR left_on >= ? ORDER BY code",
        (today,))]


def merchant_months() -> list[str]:
    """Calendar months with merchant transactions, newest first (sums brought up to date)."""
    from app.core.merchant_tags import months_with_data, refresh_summaries

    refresh_summaries()
    return months_with_data()[::-1]
