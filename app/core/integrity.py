"""Tamper evidence (数据校验): the lock seals, and ``verify`` (DOMAIN §11).

The database's triggers refuse changes to a locked month and to the audit log, but anyone
who opens the file can drop a trigger.  So, as a floor under the floor:

* each lock stores a seal (``lock_seal``): ``statement_hash`` = SHA-256 of the month's
  canonical statement JSON (``settlement.statement_json``, keys sorted, no spaces) and
  ``hash`` = SHA-256 of ``prev_hash + "\\n" + month + "\\n" + statement_hash``, chained to
  the seal of the month locked before (64 zeros for the first);
* each audit entry carries the hash of the one before it (``app.core.audit``).

``verify()`` runs ``PRAGMA integrity_check``, recomputes both chains and compares the kept
derived tables with a rebuild, and returns a ``Verdict`` whose ``problems`` name the first
month or entry that no longer matches (``posdesk verify`` exits 2 when there is one).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.models import database

GENESIS = "0" * 64


def statement_hash(month: str) -> str:
    from app.core.settlement import statement_json

    text = json.dumps(statement_json(month), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def seal_hash(prev: str, month: str, statement: str) -> str:
    return hashlib.sha256(f"{prev}\n{month}\n{statement}".encode()).hexdigest()


def seal(month: str) -> str:
    """Write the seal of ``month`` (inside the lock's transaction); returns its hash."""
    from app.core.auth import current

    db = database.obj
    row = db.execute_sql("SELECT hash FROM lock_seal ORDER BY sealed_at DESC, rowid DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    st = statement_hash(month)
    digest = seal_hash(prev, month, st)
    db.execute_sql(
        'INSERT INTO lock_seal (month, sealed_at, "user", statement_hash, prev_hash, hash) '
        "VALUES (?, ?, ?, ?, ?, ?)",
        (month, dt.datetime.now().isoformat(timespec="seconds"), current().name, st, prev, digest),
    )
    return digest


@contextlib.contextmanager
def bulk_transactions(con: sqlite3.Connection) -> Iterator[None]:
    """Inside one transaction, insert many transactions without the per-row lock guard.

    The guard of migration 9 (``txn_lock_ins``) costs one trigger call per row, about a
    third of a bare insert (docs/trust.md).  A transactions import runs it once, as a set:
    the trigger is dropped, the rows inserted, then one query looks for a new row in a
    locked month (refused: ``UserError``) and the trigger is created again, all in the
    caller's transaction — other connections never see the table without it (SQLite's
    schema changes are transactional), and a rollback restores it."""
    row = con.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'txn_lock_ins'"
    ).fetchone()
    if row is None or not con.in_transaction:  # outside a transaction the guard stays
        yield
        return
    top = con.execute("SELECT COALESCE(MAX(id), 0) FROM txn").fetchone()[0]
    con.execute('DROP TRIGGER "txn_lock_ins"')
    try:
        yield
        late = con.execute(
            "SELECT month FROM txn WHERE id > ? AND month IN "
            "(SELECT month FROM month_state WHERE state = 'locked') LIMIT 1",
            (top,),
        ).fetchone()
        if late is not None:
            from app.core.errors import UserError
            from app.core.money import format_month

            raise UserError(f"数据保护:{format_month(late[0])}已锁定,不能再写入该月的交易")
    finally:
        con.execute(row[0])


def check_seals() -> str | None:
    """None when every locked month still matches its seal; else the first that does not."""
    from app.core.money import format_month

    db = database.obj
    seals = db.execute_sql(
        "SELECT month, statement_hash, prev_hash, hash FROM lock_seal ORDER BY rowid"
    ).fetchall()
    prev = GENESIS
    for month, st, prev_hash, digest in seals:
        label = format_month(month)
        if prev_hash != prev or seal_hash(prev, month, st) != digest:
            return f"{label}的锁定封存记录已被修改或删除"
        if statement_hash(month) != st:
            return f"{label}的分润单与锁定时不一致(已被修改)"
        prev = digest
    sealed = {s[0] for s in seals}
    locked = [r[0] for r in db.execute_sql(
        "SELECT month FROM month_state WHERE state = 'locked' ORDER BY month")]
    for month in locked:
        if month not in sealed and _locked_after_seals_began(month, seals):
            return f"{format_month(month)}已锁定但没有封存记录"
    return None


def _locked_after_seals_began(month: str, seals: list) -> bool:
    """Months locked before this version kept no seal; a month after the first seal must."""
    return bool(seals) and month > min(s[0] for s in seals)


@dataclass
class Verdict:
    integrity: str = "ok"
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        return {"ok": self.ok, "integrity": self.integrity, "problems": self.problems,
                "checked": self.checked}


def check_derived() -> str | None:
    """The kept derived tables against a rebuild from the raw rows (``derived.verify``,
    inside a transaction so that its refresh and savepoint leave nothing behind)."""
    from app.core import derived

    db = database.obj
    with db.atomic():
        differences = derived.verify(db.connection())
    if not differences:
        return None
    return "派生数据与原始数据不一致:" + ";".join(str(d) for d in differences)


def verify() -> Verdict:
    """Integrity check, lock seals, audit chain and derived state, in that order."""
    from app.core import audit

    db = database.obj
    v = Verdict()
    rows = db.execute_sql("PRAGMA integrity_check").fetchall()
    v.integrity = "; ".join(str(r[0]) for r in rows[:5])
    v.checked.append("integrity_check")
    if v.integrity != "ok":
        v.problems.append(f"数据库文件损坏:{v.integrity}")
        return v
    for name, check in (("lock_seals", check_seals), ("audit_chain", audit.check_chain),
                        ("derived", check_derived)):
        problem = check()
        v.checked.append(name)
        if problem:
            v.problems.append(problem)
    return v


def require_verified() -> Verdict:
    """``verify()``, raising ``UserError`` naming what does not match (the window runs it
    before every lock: a tampered database is not locked on top of)."""
    from app.core.errors import UserError

    verdict = verify()
    if not verdict.ok:
        raise UserError("数据校验未通过,未锁定:\n" + "\n".join(verdict.problems)
                        + "\n请在 设置 → 数据校验 查看,必要时从备份恢复。")
    return verdict
