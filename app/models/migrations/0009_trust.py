"""Version 9 (trust): users, the audit log, the lock seals, and the lock kept by the database.

* ``app_user``: who may sign in, with which role, and a salted scrypt hash of the password.
* ``audit_log``: one row per change (time, user, action, object, before → after as JSON
  text), each carrying the SHA-256 of the entry before it (``prev_hash``) and its own
  (``hash``).  Triggers refuse UPDATE and DELETE: the log only grows.
* ``lock_seal``: one row per locked month, the SHA-256 of its canonical statement JSON
  chained to the previous seal.  Append-only like the log.
* lock triggers: once ``month_state`` says a month is locked, any INSERT, UPDATE or DELETE
  that would change its statements, statement lines, agency margins, transactions,
  adjustments, per-terminal ledger rows (``terminal_item``) or deposits is refused, whichever
  program writes.  Statement columns added later (payout marks) are not guarded: the
  triggers name the columns they protect.  The transactions' insert trigger costs one
  primary-key probe of ``month_state`` per row (measured in docs/trust.md).

Every trigger message starts with ``数据保护:`` so that the program recognises it and shows
it as a user message (``app.core.errors.from_db_error``).
"""

from typing import Any

VERSION = 9

LOCKED = "EXISTS (SELECT 1 FROM month_state WHERE month = {m} AND state = 'locked')"


def _locked(expr: str) -> str:
    return LOCKED.format(m=expr)


def _guard(name: str, table: str, event: str, when: str, what: str) -> str:
    return (
        f'CREATE TRIGGER IF NOT EXISTS "{name}" BEFORE {event} ON "{table}" WHEN {when} '
        f"BEGIN SELECT RAISE(ABORT, '数据保护:{what}'); END"
    )


def _changed(columns: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in columns) + ")"


LOCKED_MONTH = "月份已锁定,数据库拒绝修改其"

STATEMENT_COLUMNS = ("month", "agent_id", "gross", "tax", "payable", "on_hold", "paid", "paid_by_id")
LINE_COLUMNS = (
    "statement_id", "product_id", "credit_count", "credit_volume", "credit_amount",
    "debit_count", "debit_volume", "debit_amount", "scan_count", "scan_volume", "scan_amount",
    "cashback", "qualify_bonus", "unqualified_penalty", "deposit_refund", "deposit_deduction",
    "adjustment", "carried_in", "subtotal", "carried_out",
)
LINE_MONTH = "(SELECT month FROM statement WHERE id = {}.statement_id)"


def _month_table_guards(table: str, label: str) -> list[str]:
    """INSERT/UPDATE/DELETE guards of a table with its own ``month`` column."""
    return [
        _guard(f"{table}_lock_ins", table, "INSERT", _locked("NEW.month"), LOCKED_MONTH + label),
        _guard(f"{table}_lock_upd", table, "UPDATE",
               f"{_locked('OLD.month')} OR {_locked('NEW.month')}", LOCKED_MONTH + label),
        _guard(f"{table}_lock_del", table, "DELETE", _locked("OLD.month"), LOCKED_MONTH + label),
    ]


def _append_only(table: str, label: str) -> list[str]:
    return [
        _guard(f"{table}_no_upd", table, "UPDATE", "1", f"{label}只能追加,不能修改"),
        _guard(f"{table}_no_del", table, "DELETE", "1", f"{label}只能追加,不能删除"),
    ]


DEPOSIT_FACTS = ("terminal_id", "agent_id", "product_id", "amount", "method", "allocated_on")
DEPOSIT_OUTCOME = ("state", "settled_on")

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "app_user" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, '
    '"name" TEXT NOT NULL UNIQUE, "role" TEXT NOT NULL '
    "CHECK (\"role\" IN ('admin', 'finance', 'clerk', 'viewer')), "
    '"salt" TEXT NOT NULL, "password_hash" TEXT NOT NULL, "active" INTEGER NOT NULL DEFAULT 1, '
    '"created" TEXT NOT NULL)',
    'CREATE TABLE IF NOT EXISTS "audit_log" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, '
    '"time" TEXT NOT NULL, "user" TEXT NOT NULL, "action" TEXT NOT NULL, '
    '"object" TEXT NOT NULL, "before" TEXT, "after" TEXT, '
    '"prev_hash" TEXT NOT NULL, "hash" TEXT NOT NULL)',
    'CREATE INDEX IF NOT EXISTS "audit_log_time" ON "audit_log" ("time")',
    'CREATE TABLE IF NOT EXISTS "lock_seal" ("month" TEXT PRIMARY KEY, "sealed_at" TEXT NOT NULL, '
    '"user" TEXT NOT NULL, "statement_hash" TEXT NOT NULL, "prev_hash" TEXT NOT NULL, '
    '"hash" TEXT NOT NULL)',
    *_append_only("audit_log", "审计日志"),
    *_append_only("lock_seal", "锁定封存记录"),
    # a locked month stays locked
    _guard("month_state_lock_upd", "month_state", "UPDATE", "OLD.state = 'locked'",
           "月份已锁定,不能解锁或修改"),
    _guard("month_state_lock_del", "month_state", "DELETE", "OLD.state = 'locked'",
           "月份已锁定,不能删除"),
    _guard("statement_lock_ins", "statement", "INSERT", _locked("NEW.month"), LOCKED_MONTH + "分润单"),
    _guard("statement_lock_upd", "statement", "UPDATE",
           f"({_locked('OLD.month')} OR {_locked('NEW.month')}) AND {_changed(STATEMENT_COLUMNS)}",
           LOCKED_MONTH + "分润单"),
    _guard("statement_lock_del", "statement", "DELETE", _locked("OLD.month"), LOCKED_MONTH + "分润单"),
    _guard("statement_line_lock_ins", "statement_line", "INSERT",
           _locked(LINE_MONTH.format("NEW")), LOCKED_MONTH + "分润明细"),
    _guard("statement_line_lock_upd", "statement_line", "UPDATE",
           f"({_locked(LINE_MONTH.format('OLD'))} OR {_locked(LINE_MONTH.format('NEW'))}) "
           f"AND {_changed(LINE_COLUMNS)}",
           LOCKED_MONTH + "分润明细"),
    _guard("statement_line_lock_del", "statement_line", "DELETE",
           _locked(LINE_MONTH.format("OLD")), LOCKED_MONTH + "分润明细"),
    *_month_table_guards("agency_margin", "机构留存"),
    *_month_table_guards("txn", "交易"),
    *_month_table_guards("adjustment", "调账"),
    *_month_table_guards("terminal_item", "机具分润记录"),
    # deposits: what was agreed at allocation is frozen once the allocation month is locked,
    # a settled outcome once the month of its day is; a held deposit may still settle (a
    # late activation's day may lie in a locked month: its amount posts to an open month).
    (
        'CREATE TRIGGER IF NOT EXISTS "deposit_lock_ins" AFTER INSERT ON "deposit" WHEN '
        f"{_locked('substr(NEW.allocated_on, 1, 7)')} "
        f"BEGIN SELECT RAISE(ABORT, '数据保护:{LOCKED_MONTH}押金'); END"
    ),
    _guard("deposit_lock_upd", "deposit", "UPDATE",
           f"({_locked('substr(OLD.allocated_on, 1, 7)')} AND {_changed(DEPOSIT_FACTS)}) OR "
           f"({_locked('substr(OLD.settled_on, 1, 7)')} AND {_changed(DEPOSIT_OUTCOME)})",
           LOCKED_MONTH + "押金"),
    _guard("deposit_lock_del", "deposit", "DELETE",
           _locked("substr(OLD.allocated_on, 1, 7)"),
           LOCKED_MONTH + "押金"),
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
