"""The audit log (审计日志): who changed what, when, from what to what (DOMAIN §11).

One function writes it::

    from app.core import audit
    with database.obj.atomic():
        ...the change...
        audit.record("代理商.修改", "代理商 A01", before={"name": "张三"}, after={"name": "张四"})

``record(action, obj, before=None, after=None)`` must be called INSIDE the transaction of
the change it describes, so that the two are committed or rolled back together.  ``action``
is a short Chinese "区域.动作" label (导入.交易, 月结.锁定, 设置.修改 …), ``obj`` names the
thing changed, ``before``/``after`` are anything ``json.dumps`` takes (stored as JSON text,
keys sorted).  The user is ``auth.current().name``.

The table is append-only in the database itself (triggers of migration 9 refuse UPDATE
and DELETE) and each entry carries the SHA-256 of the entry before it: ``hash =
sha256(prev_hash + "\\n" + json([time, user, action, object, before, after]))``, the first
entry's ``prev_hash`` being 64 zeros.  ``check_chain()`` recomputes it and names the first
entry that no longer matches (also one deleted: the ids are AUTOINCREMENT and never reused).

``entries(since=, until=, user=, action=)`` reads it back for the 审计日志 page and
``posdesk audit``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from app.models import database

GENESIS = "0" * 64


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))


def entry_hash(prev: str, time: str, user: str, action: str, obj: str,
               before: str | None, after: str | None) -> str:
    body = json.dumps([time, user, action, obj, before, after], ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(f"{prev}\n{body}".encode()).hexdigest()


def record(action: str, obj: str, before: Any = None, after: Any = None) -> None:
    """Append one entry (call it inside the change's own ``db.atomic()``)."""
    from app.core.auth import current

    db = database.obj
    row = db.execute_sql("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    time = dt.datetime.now().isoformat(timespec="seconds")
    user = current().name
    b, a = _json(before), _json(after)
    digest = entry_hash(prev, time, user, action, obj, b, a)
    db.execute_sql(
        'INSERT INTO audit_log (time, "user", action, object, before, after, prev_hash, hash) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (time, user, action, obj, b, a, prev, digest),
    )


@dataclass(frozen=True)
class Entry:
    id: int
    time: str
    user: str
    action: str
    object: str
    before: Any
    after: Any

    def as_json(self) -> dict:
        return {"time": self.time, "user": self.user, "action": self.action,
                "object": self.object, "before": self.before, "after": self.after}


def entries(since: dt.date | None = None, until: dt.date | None = None,
            user: str | None = None, action: str | None = None,
            limit: int | None = None) -> list[Entry]:
    """The entries, oldest first; ``action`` matches a prefix ("导入" finds 导入.交易 …)."""
    where, params = ["1"], []
    if since is not None:
        where.append("time >= ?")
        params.append(since.isoformat())
    if until is not None:
        where.append("time < ?")
        params.append((until + dt.timedelta(days=1)).isoformat())
    if user:
        where.append('"user" = ?')
        params.append(user)
    if action:
        where.append("action LIKE ?")
        params.append(action.replace("%", "") + "%")
    sql = (
        'SELECT id, time, "user", action, object, before, after FROM audit_log '
        f"WHERE {' AND '.join(where)} ORDER BY id"
    )
    if limit is not None:
        sql = f"SELECT * FROM ({sql} DESC LIMIT {int(limit)}) ORDER BY id"
    rows = database.obj.execute_sql(sql, params).fetchall()
    return [
        Entry(r[0], r[1], r[2], r[3], r[4],
              json.loads(r[5]) if r[5] is not None else None,
              json.loads(r[6]) if r[6] is not None else None)
        for r in rows
    ]


def users_and_actions() -> tuple[list[str], list[str]]:
    """The distinct users and action areas (the part before the dot), for filters."""
    db = database.obj
    users = [r[0] for r in db.execute_sql('SELECT DISTINCT "user" FROM audit_log ORDER BY 1')]
    actions = sorted({
        r[0].split(".")[0] for r in db.execute_sql("SELECT DISTINCT action FROM audit_log")
    })
    return users, actions


def check_chain() -> str | None:
    """None when the chain is whole; else a Chinese sentence naming the first entry that
    was changed or deleted."""
    db = database.obj
    prev, expected_id = GENESIS, None
    first = True
    for id_, time, user, action, obj, before, after, prev_hash, digest in db.execute_sql(
        'SELECT id, time, "user", action, object, before, after, prev_hash, hash '
        "FROM audit_log ORDER BY id"
    ):
        if expected_id is not None and id_ != expected_id:
            return f"审计日志第 {expected_id} 条已被删除"
        if first and id_ != 1:
            return "审计日志第 1 条已被删除"
        first = False
        if prev_hash != prev:
            return f"审计日志第 {id_} 条的前一条已被删除或修改"
        if entry_hash(prev, time, user, action, obj, before, after) != digest:
            return f"审计日志第 {id_} 条已被修改({time} {action} {obj})"
        prev, expected_id = digest, id_ + 1
    row = db.execute_sql("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    last = (expected_id or 1) - 1
    if row is not None and int(row[0]) > last:
        return f"审计日志第 {last + 1} 条已被删除"
    return None
