"""Users, roles and the one permission check (用户与权限, DOMAIN §11).

Sign-in is off while the database has no user: a one-person office works as before and
every change is recorded under the computer's user name with every right.  Creating the
first user (it must be an administrator) turns sign-in on; from then on nothing is allowed
until someone signs in.

The API, small on purpose (the other services call it):

* ``require(permission)`` — raises ``UserError`` ("当前用户…无权…") unless the current
  user's role has ``permission``; call it first thing in a service that writes.
* ``can(permission)`` — the same question as a bool (views hide buttons with it, but the
  service still calls ``require``).
* ``current()`` — the ``User`` acting now (name and role); ``audit.record`` uses its name.
* ``sign_in(name, password)``, ``sign_out()``; ``acting_as(name, role)`` for tests/tools.
* ``mask_id(text)``, ``mask_bank(text)`` — ID and bank numbers as the current user may
  see them (full for roles with ``see_numbers``, else first and last four characters).
* users: ``create_user``, ``set_password``, ``set_role``, ``set_active``, ``list_users``.

Permissions per role (docs/trust.md has the table)::

    admin   everything
    finance compute, lock, payout, edit, import, see_numbers, audit, backup
    clerk   edit, import
    viewer  (reading only)

Passwords are stored as salted scrypt hashes (``hashlib.scrypt``, n=2**14, r=8, p=1).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from app.core.errors import UserError
from app.models import AppUser

ROLES = {"admin": "管理员", "finance": "财务", "clerk": "录入", "viewer": "只读"}

PERMISSIONS: dict[str, str] = {
    "compute": "计算月结",
    "lock": "锁定月份",
    "payout": "标记打款或导出打款清单",
    "edit": "修改资料",
    "import": "导入与撤销导入",
    "settings": "修改设置",
    "users": "管理用户",
    "restore": "从备份恢复",
    "backup": "备份数据库",
    "audit": "查看审计日志",
    "see_numbers": "查看完整的身份证号和银行账号",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "finance": frozenset(
        {"compute", "lock", "payout", "edit", "import", "see_numbers", "audit", "backup"}
    ),
    "clerk": frozenset({"edit", "import"}),
    "viewer": frozenset(),
}

# scrypt cost: about 50 ms on an office PC, 16 MB of memory
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
PASSWORD_ENV = "POSDESK_PASSWORD"
MIN_PASSWORD = 6


@dataclass(frozen=True)
class User:
    name: str
    role: str | None  # None: sign-in is on and nobody has signed in
    signed_in: bool = False

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role or "", "未登录")


_current: User | None = None


def os_user() -> str:
    try:
        return getpass.getuser() or "本机用户"
    except (OSError, KeyError, ImportError):
        return "本机用户"


def sign_in_enabled() -> bool:
    """Whether the database has an active user (then sign-in is required)."""
    return AppUser.select().where(AppUser.active == True).exists()  # noqa: E712


def current() -> User:
    """Who is acting now.  Sign-in off: the computer's user, with every right."""
    if not sign_in_enabled():
        return User(os_user(), "admin")
    if _current is not None and _current.signed_in:
        return _current
    return User(os_user(), None)


def can(permission: str) -> bool:
    role = current().role
    return role is not None and permission in ROLE_PERMISSIONS[role]


def require(permission: str) -> None:
    """Refuse (``UserError``) unless the current user may do ``permission``."""
    if can(permission):
        return
    user = current()
    what = PERMISSIONS.get(permission, permission)
    if user.role is None:
        raise UserError(f"已启用登录,请先登录后再{what}")
    raise UserError(f"当前用户“{user.name}”({user.role_label})无权{what}")


# ------------------------------------------------------------------ passwords


def hash_password(password: str, salt: str | None = None) -> tuple[str, str]:
    """(salt, hash) as hex; a new random salt unless one is given."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=32, **SCRYPT)
    return salt, digest.hex()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"密码至少 {MIN_PASSWORD} 位")


def sign_in(name: str, password: str) -> User:
    """Check ``name`` and ``password`` and make that user the current one."""
    global _current
    row = AppUser.get_or_none((AppUser.name == name.strip()) & (AppUser.active == True))  # noqa: E712
    if row is not None:
        _salt, digest = hash_password(password, row.salt)
        if hmac.compare_digest(digest, row.password_hash):
            _current = User(row.name, row.role, signed_in=True)
            return _current
    raise UserError("用户名或密码不正确")


def sign_out() -> None:
    global _current
    _current = None


@contextlib.contextmanager
def acting_as(name: str, role: str) -> Iterator[User]:
    """Act as ``name`` with ``role`` for the block (tests, tools); restores the previous."""
    global _current
    if role not in ROLES:
        raise UserError(f"未知角色:{role}")
    before = _current
    _current = User(name, role, signed_in=True)
    try:
        yield _current
    finally:
        _current = before


def sign_in_cli(name: str | None, password: str | None = None) -> User:
    """The command line's sign-in: nothing to do while sign-in is off; else the user given
    by ``--user`` (default: the computer's user name) with the password from the
    environment variable POSDESK_PASSWORD, or asked for when a terminal is attached."""
    if not sign_in_enabled():
        return current()
    name = name or os_user()
    if password is None:
        password = os.environ.get(PASSWORD_ENV)
    if password is None:
        import sys

        if not sys.stdin or not sys.stdin.isatty():
            raise UserError(
                f"已启用登录:请用 --user 指定用户,并在环境变量 {PASSWORD_ENV} 中给出密码"
            )
        password = getpass.getpass(f"用户“{name}”的密码:")
    return sign_in(name, password)


# ------------------------------------------------------------------ users


@dataclass(frozen=True)
class UserRow:
    name: str
    role: str
    active: bool
    created: str

    @property
    def role_label(self) -> str:
        return ROLES[self.role]


def list_users() -> list[UserRow]:
    return [
        UserRow(u.name, u.role, bool(u.active), u.created)
        for u in AppUser.select().order_by(AppUser.id)
    ]


def _role(role: str) -> str:
    role = role.strip()
    for key, label in ROLES.items():
        if role in (key, label):
            return key
    raise UserError(f"角色“{role}”不存在,可选:管理员、财务、录入、只读")


def create_user(name: str, role: str, password: str) -> UserRow:
    """Add a user.  The first one must be an administrator and turns sign-in on."""
    from app.core import audit
    from app.models import database

    name, role = name.strip(), _role(role)
    if not name:
        raise UserError("用户名不能为空")
    _check_password(password)
    first = not sign_in_enabled()
    if first and role != "admin":
        raise UserError("第一个用户必须是管理员(创建后即启用登录)")
    if not first:
        require("users")
    if AppUser.select().where(AppUser.name == name).exists():
        raise UserError(f"用户“{name}”已存在")
    salt, digest = hash_password(password)
    created = dt.datetime.now().isoformat(timespec="seconds")
    with database.obj.atomic():
        AppUser.create(name=name, role=role, salt=salt, password_hash=digest, created=created)
        audit.record("用户.新建", f"用户 {name}", None, {"role": role})
    return UserRow(name, role, True, created)


def _user(name: str) -> AppUser:
    row = AppUser.get_or_none(AppUser.name == name)
    if row is None:
        raise UserError(f"用户“{name}”不存在")
    return row


def _admins_left(without: str) -> int:
    return AppUser.select().where(
        (AppUser.role == "admin") & (AppUser.active == True) & (AppUser.name != without)  # noqa: E712
    ).count()


def set_role(name: str, role: str) -> None:
    from app.core import audit
    from app.models import database

    require("users")
    row, role = _user(name), _role(role)
    if row.role == "admin" and role != "admin" and row.active and not _admins_left(name):
        raise UserError("至少要保留一个启用的管理员")
    with database.obj.atomic():
        AppUser.update(role=role).where(AppUser.id == row.id).execute()
        audit.record("用户.角色", f"用户 {name}", {"role": row.role}, {"role": role})


def set_active(name: str, active: bool) -> None:
    from app.core import audit
    from app.models import database

    require("users")
    row = _user(name)
    if not active and row.role == "admin" and not _admins_left(name):
        raise UserError("至少要保留一个启用的管理员")
    with database.obj.atomic():
        AppUser.update(active=active).where(AppUser.id == row.id).execute()
        audit.record("用户.启用" if active else "用户.停用", f"用户 {name}",
                     {"active": bool(row.active)}, {"active": active})


def set_password(name: str, password: str) -> None:
    """An administrator sets anyone's password; a signed-in user their own."""
    from app.core import audit
    from app.models import database

    if current().name != name or not current().signed_in:
        require("users")
    row = _user(name)
    _check_password(password)
    salt, digest = hash_password(password)
    with database.obj.atomic():
        AppUser.update(salt=salt, password_hash=digest).where(AppUser.id == row.id).execute()
        audit.record("用户.改密码", f"用户 {name}")


# ------------------------------------------------------------------ masking


def _mask(text: str, keep: int) -> str:
    text = text or ""
    if len(text) <= 2 * keep:
        return "*" * len(text)
    return text[:keep] + "*" * (len(text) - 2 * keep) + text[-keep:]


def mask_id(text: str) -> str:
    """An ID number (身份证号) as the current user may see it: 1101**********1234."""
    return text if can("see_numbers") else _mask(text, 4)


def mask_bank(text: str) -> str:
    """A bank account number as the current user may see it: 6222***********0123."""
    return text if can("see_numbers") else _mask(text, 4)
