"""The trust commands of ``posdesk`` (DOMAIN §11): audit, backups, restore, verify, user.

Thin like ``app.cli``: parse, call a service, print.  Kept apart so that ``cli.py`` stays
short; ``app.cli`` adds these subcommands and their functions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path

from app.core.errors import UserError

EXIT_OK, EXIT_USER = 0, 2
NEW_PASSWORD_ENV = "POSDESK_NEW_PASSWORD"


def add_trust_commands(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="审计日志")
    audit.add_argument("--since", default=None, help="起始日期 YYYY-MM-DD")
    audit.add_argument("--json", action="store_true", help="输出JSON")
    backups = sub.add_parser("backups", help="列出自动与手动备份")
    backups.add_argument("--json", action="store_true", help="输出JSON")
    restore = sub.add_parser("restore", help="从备份恢复(仅管理员)")
    restore.add_argument("backup")
    verify = sub.add_parser("verify", help="数据校验:完整性、锁定封存链、审计链、派生数据")
    verify.add_argument("--json", action="store_true", help="输出JSON")
    user = sub.add_parser("user", help="用户与角色")
    user_sub = user.add_subparsers(dest="action", required=True)
    add = user_sub.add_parser("add", help="新增用户(第一个须为管理员,创建后启用登录)")
    add.add_argument("name")
    add.add_argument("--role", required=True, help="admin/finance/clerk/viewer 或 管理员/财务/录入/只读")
    user_sub.add_parser("list", help="列出用户")
    pw = user_sub.add_parser("passwd", help="设置密码")
    pw.add_argument("name")


def _open(args: argparse.Namespace) -> None:
    from app.cli import _open as open_and_sign_in

    open_and_sign_in(args)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"日期“{text}”格式不对,应为 YYYY-MM-DD") from None


def cmd_audit(args: argparse.Namespace) -> int:
    from app.core import audit, auth

    _open(args)
    auth.require("audit")
    rows = audit.entries(since=_date(args.since) if args.since else None)
    if args.json:
        print(json.dumps([e.as_json() for e in rows], ensure_ascii=False, indent=1))
        return EXIT_OK
    for e in rows:
        change = ""
        if e.before is not None or e.after is not None:
            change = f"  {json.dumps(e.before, ensure_ascii=False)} → {json.dumps(e.after, ensure_ascii=False)}"
        print(f"{e.time}  {e.user}  {e.action}  {e.object}{change}")
    if not rows:
        print("审计日志中没有记录")
    return EXIT_OK


def cmd_backups(args: argparse.Namespace) -> int:
    from app.core import backups

    _open(args)
    rows = backups.list_backups()
    if args.json:
        print(json.dumps([b.as_json() for b in rows], ensure_ascii=False, indent=1))
        return EXIT_OK
    for b in rows:
        months = "、".join(b.months_locked) or "无"
        print(f"{b.taken_at}  {b.kind_label:<4} {b.path}  已锁定月份:{months}  代理 {b.agents}"
              f"  最后导入:{b.last_import or '无'}")
    if not rows:
        print("还没有备份")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from app.core import backups

    _open(args)
    info = backups.check_file(Path(args.backup))
    kept = backups.restore(Path(args.backup))
    months = "、".join(info.months_locked) or "无"
    print(f"已从 {args.backup} 恢复(备份时间 {info.taken_at},已锁定月份:{months})")
    if kept is not None:
        print(f"恢复前的数据库已另存为 {kept}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from app.core import integrity

    _open(args)
    verdict = integrity.verify()
    if args.json:
        print(json.dumps(verdict.as_json(), ensure_ascii=False, indent=1))
    elif verdict.ok:
        print("数据校验通过:数据库完整,锁定封存链、审计链和派生数据一致")
    if not verdict.ok:
        import sys

        if not args.json:
            print("数据校验未通过:", file=sys.stderr)
        for p in verdict.problems:
            print(p, file=sys.stderr)
        return EXIT_USER
    return EXIT_OK


def _new_password(name: str) -> str:
    password = os.environ.get(NEW_PASSWORD_ENV)
    if password is not None:
        return password
    import getpass
    import sys

    if not sys.stdin or not sys.stdin.isatty():
        raise UserError(f"请在环境变量 {NEW_PASSWORD_ENV} 中给出用户“{name}”的新密码")
    first = getpass.getpass(f"用户“{name}”的新密码:")
    if getpass.getpass("再输入一次:") != first:
        raise UserError("两次输入的密码不一致")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    from app.core import auth

    _open(args)
    if args.action == "list":
        for u in auth.list_users():
            print(f"{u.name}\t{u.role_label}\t{'启用' if u.active else '停用'}\t{u.created}")
        if not auth.list_users():
            print("没有用户(未启用登录)")
    elif args.action == "add":
        row = auth.create_user(args.name, args.role, _new_password(args.name))
        print(f"已新增用户“{row.name}”({row.role_label}),登录已启用")
    elif args.action == "passwd":
        auth.set_password(args.name, _new_password(args.name))
        print(f"已设置用户“{args.name}”的密码")
    return EXIT_OK


TRUST_COMMANDS = {"audit": cmd_audit, "backups": cmd_backups, "restore": cmd_restore,
                  "verify": cmd_verify, "user": cmd_user}
