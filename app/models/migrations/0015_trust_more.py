"""Version 15 (trust, continued): the lock in the database over the tables that came after
version 9.

Once ``month_state`` says a month is locked, triggers refuse any INSERT, UPDATE or DELETE of
its rows in

* ``staff_statement`` (the staff statements of the month, 员工提成单, version 10);
* ``deposit_entry`` (the desk's 收押金/退押金/没收 dated in the month, version 14; an entry's
  ``month`` is the month of its day);
* ``lock_freeze`` (what the month's slips show, version 8): written by the lock just before
  the month turns locked, it then never changes and is never deleted.  An INSERT of a
  locked month's document is refused too (``INSERT OR REPLACE`` would otherwise swap it).

Same style and ``数据保护:`` message prefix as version 9 (``app.core.errors.from_db_error``).
"""

from typing import Any

VERSION = 15

LOCKED = "EXISTS (SELECT 1 FROM month_state WHERE month = {m} AND state = 'locked')"
LOCKED_MONTH = "月份已锁定,数据库拒绝修改其"


def _locked(expr: str) -> str:
    return LOCKED.format(m=expr)


def _guard(name: str, table: str, event: str, when: str, what: str) -> str:
    return (
        f'CREATE TRIGGER IF NOT EXISTS "{name}" BEFORE {event} ON "{table}" WHEN {when} '
        f"BEGIN SELECT RAISE(ABORT, '数据保护:{what}'); END"
    )


def _month_table_guards(table: str, label: str) -> list[str]:
    """INSERT/UPDATE/DELETE guards of a table with its own ``month`` column (as version 9)."""
    return [
        _guard(f"{table}_lock_ins", table, "INSERT", _locked("NEW.month"), LOCKED_MONTH + label),
        _guard(f"{table}_lock_upd", table, "UPDATE",
               f"{_locked('OLD.month')} OR {_locked('NEW.month')}", LOCKED_MONTH + label),
        _guard(f"{table}_lock_del", table, "DELETE", _locked("OLD.month"), LOCKED_MONTH + label),
    ]


STATEMENTS = [
    *_month_table_guards("staff_statement", "员工提成单"),
    *_month_table_guards("deposit_entry", "押金收付"),
    *_month_table_guards("lock_freeze", "锁定时的单据快照"),
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
