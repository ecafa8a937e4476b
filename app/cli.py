"""The ``posdesk`` command line (FORMATS.md): thin — parses, calls services, prints.

Exit codes: 0 success, 2 bad input (a Chinese message on stderr saying what was wrong),
1 a defect (logged with its traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from app.cli_trust import TRUST_COMMANDS, add_trust_commands
from app.core.errors import UserError, busy_error, from_db_error

EXIT_OK, EXIT_BUG, EXIT_USER = 0, 1, 2


def default_db_path() -> Path:
    """The database in the per-user data directory (platformdirs)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("POSDesk", appauthor=False)) / "posdesk.db"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 on bad usage, as we want
        self.print_usage(sys.stderr)
        self.exit(EXIT_USER, f"参数错误:{message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="posdesk", description="分润台 POSDesk:POS机代理商分润管理")
    p.add_argument("--db", help="数据库文件路径(默认在用户数据目录)")
    p.add_argument("--user", default=None,
                   help="以此用户身份操作(启用登录后;密码取自环境变量 POSDESK_PASSWORD)")
    p.add_argument("--self-test", action="store_true", help="自检:迁移、演示数据、月结、出单、窗口")
    sub = p.add_subparsers(dest="command")

    init = sub.add_parser("init", help="创建本机构")
    init.add_argument("--agency", required=True, help="机构名称")
    init.add_argument("--min-payout", default=None, help="起付金额(元)")

    imp = sub.add_parser("import", help="导入文件")
    imp.add_argument("kind", help="agents/products/prices/policies/terminals/moves/activations/transactions/adjustments/"
                     "staff/merchants/tickets/staff_plans/staff_adjustments/contacts")
    imp.add_argument("file")
    imp.add_argument("--profile", default=None, help="支付公司导出格式配置名")
    imp.add_argument("--yes", action="store_true", help="确认代理导入对已有代理的修改(上级、税点、结算方式、银行卡等)")

    st = sub.add_parser("statement", help="月结与分润单")
    st_sub = st.add_subparsers(dest="action", required=True)
    for name, text in (("compute", "计算月结"), ("show", "显示月结"), ("lock", "锁定月份")):
        s = st_sub.add_parser(name, help=text)
        s.add_argument("month")
        if name == "show":
            s.add_argument("--json", action="store_true", help="输出JSON")
    pdf = st_sub.add_parser("pdf", help="生成分润单PDF")
    pdf.add_argument("month")
    pdf.add_argument("--out", required=True)
    pdf.add_argument("--agent", default=None)
    pay = st_sub.add_parser("payout", help="导出打款清单")
    pay.add_argument("month")
    pay.add_argument("--out", required=True)

    staff = sub.add_parser("staff", help="员工提成单")
    staff_sub = staff.add_subparsers(dest="action", required=True)
    show = staff_sub.add_parser("show", help="显示员工提成")
    show.add_argument("month")
    show.add_argument("--json", action="store_true", help="输出JSON")
    spdf = staff_sub.add_parser("pdf", help="生成员工提成单PDF")
    spdf.add_argument("month")
    spdf.add_argument("--out", required=True)

    demo = sub.add_parser("demo", help="载入演示数据")
    demo.add_argument("--scale", choices=["small", "large"], default="small")
    demo.add_argument("--if-empty", action="store_true", help="数据库已有数据时跳过(不报错)")

    mer = sub.add_parser("merchants", help="商户:标签、回访与月度指标")
    mer_sub = mer.add_subparsers(dest="action", required=True)
    mshow = mer_sub.add_parser("show", help="显示某月商户标签与指标")
    mshow.add_argument("month")
    mshow.add_argument("--json", action="store_true", help="输出JSON")

    backup = sub.add_parser("backup", help="备份数据库")
    backup.add_argument("dest")
    _add_check_commands(sub)
    add_trust_commands(sub)
    return p


def _add_check_commands(sub) -> None:
    """对账, 试算 and 补差 (app.core.reconcile, whatif, resettle)."""
    rec = sub.add_parser("reconcile", help="与支付公司对账单核对")
    rec.add_argument("month")
    rec.add_argument("--json", action="store_true", help="输出JSON")
    rec.add_argument("--out", default=None, help="导出差异明细xlsx")
    wi = sub.add_parser("whatif", help="政策试算(不写入任何数据)")
    wi.add_argument("month")
    wi.add_argument("--policies", required=True, help="拟调整的政策文件")
    wi.add_argument("--json", action="store_true", help="输出JSON")
    rs = sub.add_parser("resettle", help="已锁定月份补差")
    rs.add_argument("month")
    rs.add_argument("--policies", default=None, help="更正后的政策文件")
    rs.add_argument("--confirm", action="store_true", help="写入补差调账(否则只显示)")
    rs.add_argument("--json", action="store_true", help="输出JSON")


def _open(args: argparse.Namespace):
    from app.core.auth import sign_in_cli
    from app.core.session import open_database
    from app.io.slip_temp import sweep_leftovers

    path = args.db or default_db_path()
    db = open_database(path)
    sweep_leftovers(path)  # slip folders of a batch that was killed
    sign_in_cli(getattr(args, "user", None))
    return db


def cmd_init(args: argparse.Namespace) -> int:
    from app.core import values
    from app.core.money import ParseError, format_money
    from app.core.months import set_setting

    _open(args)
    name = args.agency.strip()
    if not name:
        raise UserError("机构名称不能为空")
    set_setting("agency_name", name)
    if args.min_payout is not None:
        try:
            fen = values.money(args.min_payout)
        except ParseError as exc:
            raise UserError(f"起付金额:{exc}") from None
        if fen < 0:
            raise UserError("起付金额不能为负")
        set_setting("min_payout", str(fen))
    from app.core.months import min_payout

    print(f"已创建本机构“{name}”,起付金额 {format_money(min_payout())}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from app.io.importers import import_file

    _open(args)
    # an agents import that changes existing agents prints the changes and needs --yes
    report = import_file(args.kind, args.file, args.profile, confirm=lambda _plan: bool(args.yes))
    print(report.summary())
    return EXIT_OK


def cmd_statement(args: argparse.Namespace) -> int:
    from app.core import settlement
    from app.core.money import ParseError, format_money, format_month, parse_month

    _open(args)
    try:
        month = parse_month(args.month)
    except ParseError as exc:
        raise UserError(f"月份:{exc}") from None
    if args.action == "compute":
        r = settlement.compute_month(month)
        done = "、".join(format_month(m) for m in r.months)
        print(f"已计算 {done};{format_month(month)} 共 {r.statements} 张分润单,应付合计 {format_money(r.payable)}")
    elif args.action == "lock":
        from app.core.closing import lock

        r = lock(month)
        print(f"{format_month(month)}已锁定:{r.statements} 张分润单,应付合计 {format_money(r.payable)}")
    elif args.action == "show":
        from app.core.months import is_late, locked_months

        locked = locked_months()
        if not settlement.is_computed(month) and not is_late(month, locked):
            settlement.compute_month(month)
        data = settlement.statement_json(month)
        if args.json:
            print(json.dumps(data, ensure_ascii=False, indent=1))
        else:
            print(_statement_text(data))
    elif args.action == "pdf":
        from app.io.slips import render_batch

        result = render_batch(month, Path(args.out), agent_code=args.agent)
        print(f"已生成 {result.count} 张分润单到 {args.out}")
        for extra in (result.combined, result.summary):
            if extra is not None:
                print(f"  {extra.name}")
    elif args.action == "payout":
        from app.io.slips import write_payout_list

        write_payout_list(month, Path(args.out))
        print(f"已导出打款清单 {args.out}")
    return EXIT_OK


def _statement_text(data: dict) -> str:
    from app.core.money import format_money, format_month

    lines = [f"{format_month(data['month'])} 分润汇总"]
    for s in data["statements"]:
        hold = "(停发)" if s["on_hold"] else ""
        lines.append(
            f"{s['agent']:<10}{s['name']:<8}{hold} 合计 {format_money(s['gross_fen']):>14} "
            f"税 {format_money(s['tax_fen']):>12} 实发 {format_money(s['payable_fen']):>14}"
        )
    for m in data["agency"]["products"]:
        lines.append(f"本机构 {m['product']} 留存 {format_money(m['margin_fen'])}")
    return "\n".join(lines)


def cmd_staff(args: argparse.Namespace) -> int:
    from app.core import settlement, staff_pay
    from app.core.money import ParseError, format_money, format_month, parse_month
    from app.core.months import locked_months

    _open(args)
    try:
        month = parse_month(args.month)
    except ParseError as exc:
        raise UserError(f"月份:{exc}") from None
    if not settlement.is_computed(month) and month not in locked_months():
        settlement.compute_month(month)  # the staff statements are computed with the month
    if args.action == "show":
        data = staff_pay.staff_json(month)
        if args.json:
            print(json.dumps(data, ensure_ascii=False, indent=1))
        else:
            print(f"{format_month(month)} 员工提成")
            for s in data["staff"]:
                print(f"{s['code']:<10}{s['name']:<8} 应发提成 {format_money(s['total_fen']):>14}")
    else:
        from app.io.staff_slips import render_staff_batch

        result = render_staff_batch(month, Path(args.out))
        print(f"已生成 {result.count} 张员工提成单到 {args.out}")
        if result.combined is not None:
            print(f"  {result.combined.name}")
    return EXIT_OK


def cmd_merchants(args: argparse.Namespace) -> int:
    from app.core.merchants import merchants_json
    from app.core.money import format_money, format_month
    from app.core.tagging import MERCHANT_TAG_LABELS

    _open(args)
    month = _month_arg(args.month)
    data = merchants_json(month)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return EXIT_OK
    fig = data["figures"]
    print(f"{format_month(month)} 商户 活跃 {fig['active']} 新增 {fig['new']} 流失 {fig['lost']} "
          f"留存率 {fig['retention'] or '-'}")
    for m in data["merchants"]:
        tag = MERCHANT_TAG_LABELS.get(m["tag"] or "", "-")
        print(f"{m['merchant_no']:<16}{m['name'][:12]:<14}{tag:<6}{format_money(m['volume_fen']):>16} "
              f"最近交易 {m['last_txn'] or '-'} 下次回访 {m['due'] or '-'}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from app.core.agents import has_agents
    from app.io.demo_load import load_demo

    _open(args)
    if args.if_empty and has_agents():
        print("数据库已有数据,跳过演示数据")
        return EXIT_OK
    print(load_demo(args.scale))
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from app.io.backup import backup_to

    _open(args)
    dest = backup_to(Path(args.dest))
    print(f"已备份到 {dest}")
    return EXIT_OK


def _month_arg(text: str) -> str:
    from app.core.money import ParseError, parse_month

    try:
        return parse_month(text)
    except ParseError as exc:
        raise UserError(f"月份:{exc}") from None


def cmd_reconcile(args: argparse.Namespace) -> int:
    from app.core.money import format_money, format_month
    from app.core.reconcile import STATUS_LABELS, reconcile

    _open(args)
    result = reconcile(_month_arg(args.month))
    if args.out:
        from app.io.reconcile_export import write_dispute_sheet

        write_dispute_sheet(result, Path(args.out))
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=1))
        return EXIT_OK
    t = result.totals()
    print(f"{format_month(result.month)} 对账:共 {t['lines']} 行,"
          + "、".join(f"{STATUS_LABELS[s]} {t[s]}" for s in STATUS_LABELS))
    print(f"应收 {format_money(t['expected_fen'])},对账单 {format_money(t['reported_fen'])},"
          f"差额 {format_money(t['diff_fen'])}")
    if args.out:
        print(f"已导出差异明细 {args.out}")
    return EXIT_OK


def cmd_whatif(args: argparse.Namespace) -> int:
    from app.core.money import format_money, format_month
    from app.io.whatif_file import whatif_file

    _open(args)
    result = whatif_file(_month_arg(args.month), Path(args.policies))
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"{format_month(result.month)} 政策试算(未写入任何数据)")
    for a in result.agents:
        print(f"{a.code:<10}{a.name:<8} 现行 {format_money(a.current):>14} "
              f"试算 {format_money(a.proposed):>14} 差额 {format_money(a.diff):>12}")
    print(f"本机构留存 现行 {format_money(result.current_margin)} 试算 "
          f"{format_money(result.proposed_margin)} 差额 {format_money(result.margin_diff)}")
    return EXIT_OK


def cmd_resettle(args: argparse.Namespace) -> int:
    from app.core.money import format_money, format_month
    from app.io.whatif_file import resettle_file

    _open(args)
    month = _month_arg(args.month)
    plan = resettle_file(month, Path(args.policies) if args.policies else None, args.confirm)
    if args.json:
        print(json.dumps(plan.as_json(), ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"{format_month(month)} 补差,计入 {format_month(plan.target)}:")
    for d in plan.lines:
        print(f"{d.agent:<10}{d.product:<8} 差额 {format_money(d.diff):>12} "
              f"已补 {format_money(d.written):>12} 本次 {format_money(d.pending):>12}")
    done = "已写入" if args.confirm else "未写入(加 --confirm 写入)"
    print(f"合计本次补差 {format_money(plan.pending_total)},{done}")
    return EXIT_OK


def run_gui(args: argparse.Namespace) -> int:
    try:
        from app.views.main_window import run
    except ImportError as exc:  # pragma: no cover - the window ships with the app
        raise UserError(f"无法启动桌面窗口:{exc}") from None
    return run(args.db or str(default_db_path()))


COMMANDS = {"init": cmd_init, "import": cmd_import, "statement": cmd_statement, "demo": cmd_demo,
            "backup": cmd_backup, "reconcile": cmd_reconcile, "whatif": cmd_whatif,
            "resettle": cmd_resettle, "staff": cmd_staff, "merchants": cmd_merchants, **TRUST_COMMANDS}


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    args = build_parser().parse_args(argv)
    try:
        if args.self_test:
            from app.selftest import self_test

            return self_test()
        if args.command is None:
            return run_gui(args)
        return COMMANDS[args.command](args)
    except UserError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return EXIT_USER
    except Exception as exc:  # another writer held the database too long, or a lock trigger
        known = busy_error(exc) or from_db_error(exc)  # refused a write: say so, no traceback
        if known is None:
            raise
        print(str(known), file=sys.stderr)
        return EXIT_USER
