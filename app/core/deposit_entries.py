"""Deposits handled at the desk (押金收付): 收押金, 退押金, 没收 — cash that changes hands
at the office, each with a receipt (收据) number.

The month compute keeps the deposit ledger of DOMAIN §5 (``app.core.deposits``): who owes
which terminal's deposit, deducted from a statement or paid in cash, refunded on the
statement of the activation month or forfeited.  These entries never change a statement;
they are the desk's own book beside it (docs/rules.md, "Deposits at the desk"):

* 收押金 (receive): cash taken from an agent, usually the deposits the ledger lists as
  现金 (paid in cash at allocation);
* 退押金 (refund): cash paid back at the desk;
* 没收 (forfeit): cash kept by the office.

An agent's cash at the desk (柜台在押) = received − refunded − forfeited, never below 0:
a refund or forfeit larger than what the desk holds for the agent is refused.  An entry is
dated; its month is that day's month, and a locked month takes no entry (nor loses one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.core import audit, auth
from app.core.errors import Changes, UserError
from app.core.money import Fen, format_money, month_of
from app.core.months import get_setting, is_locked
from app.models import Agent, DepositEntry, Product, Setting, Terminal, database

KINDS = {"receive": "收押金", "refund": "退押金", "forfeit": "没收"}
# who may: taking cash in is desk work (录入 and up); paying it back, keeping it, or taking
# an entry back moves money out, as a payout does (财务 and up) — docs/trust.md
PERMISSION = {"receive": "edit", "refund": "payout", "forfeit": "payout"}
METHODS = {"cash": "现金", "transfer": "银行转账", "wechat": "微信", "alipay": "支付宝"}
MAX_ENTRY: Fen = 10_000_000  # 100,000.00 元: far above any desk's deposit in one go
_SEQ_KEY = "deposit_receipt_seq"


@dataclass(frozen=True)
class Entry:
    """One desk entry as the window and the receipt show it."""

    id: int
    receipt_no: str
    kind: str
    kind_label: str
    agent_id: int
    agent_code: str
    agent_name: str
    product: str  # "P01 拉卡拉电签" or ""
    sn: str
    amount: Fen
    method: str
    method_label: str
    day: dt.date
    month: str
    note: str


@dataclass
class DeskRow:
    """An agent's cash at the desk."""

    agent_id: int
    code: str
    name: str
    received: Fen = 0
    refunded: Fen = 0
    forfeited: Fen = 0

    @property
    def in_hand(self) -> Fen:
        return self.received - self.refunded - self.forfeited


@dataclass(frozen=True)
class MonthFigures:
    """The desk's deposits of a month, and the cash it holds at the month's end."""

    month: str
    received: Fen
    refunded: Fen
    forfeited: Fen
    entries: int
    in_hand_at_end: Fen


def in_hand(agent_id: int, exclude: int | None = None) -> Fen:
    """The agent's cash at the desk (received − refunded − forfeited)."""
    sql = ("SELECT COALESCE(SUM(CASE WHEN kind = 'receive' THEN amount ELSE -amount END), 0) "
           "FROM deposit_entry WHERE agent_id = ? AND id <> ?")
    return int(database.execute_sql(sql, (agent_id, exclude or 0)).fetchone()[0])


def _check_amount(amount: object) -> Fen:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise UserError("金额必须是整数分")
    if amount <= 0:
        raise UserError("金额必须大于 0")
    if amount > MAX_ENTRY:
        raise UserError(f"金额 {format_money(amount)} 超过单笔上限 {format_money(MAX_ENTRY)}")
    return amount


def record(
    kind: str,
    agent_code: str,
    amount: Fen,
    method: str,
    day: dt.date,
    *,
    product_code: str = "",
    sn: str = "",
    note: str = "",
) -> Entry:
    """Record one desk entry (收押金/退押金/没收) and give it the next receipt number."""
    if kind not in KINDS:
        raise UserError(f"未知的押金操作:{kind}")
    auth.require(PERMISSION[kind])
    if method not in METHODS:
        raise UserError(f"未知的收付方式:{method}(可选:{'、'.join(METHODS.values())})")
    amount = _check_amount(amount)
    if not isinstance(day, dt.date):
        raise UserError("请填写日期")
    month = month_of(day)
    if is_locked(month):
        raise UserError(f"{month} 已锁定,不能再记入押金收付;请用之后月份的日期")
    agent = Agent.get_or_none(Agent.code == agent_code.strip())
    if agent is None:
        raise UserError(f"没有编号为 {agent_code} 的代理")
    product = None
    if product_code.strip():
        product = Product.get_or_none(Product.code == product_code.strip())
        if product is None:
            raise UserError(f"没有编号为 {product_code} 的产品")
    terminal = None
    if sn.strip():
        terminal = Terminal.get_or_none(Terminal.sn == sn.strip())
        if terminal is None:
            raise UserError(f"没有 SN 为 {sn} 的机具")
        if product is not None and terminal.product_id != product.id:
            raise UserError(f"机具 {sn} 不属于产品 {product_code}")
        product = product or Product.get_by_id(terminal.product_id)
    with database.atomic():
        if kind != "receive":
            held = in_hand(agent.id)
            if amount > held:
                raise UserError(
                    f"代理 {agent.code} {agent.name} 在柜台的押金只有 {format_money(held)},"
                    f"不能{KINDS[kind]} {format_money(amount)}"
                )
        seq = int(get_setting(_SEQ_KEY, "0") or 0) + 1
        # the receipt counter is the desk's own: no setting change of its own in the log
        Setting.insert(key=_SEQ_KEY, value=str(seq)).on_conflict_replace().execute()
        row = DepositEntry.create(
            receipt_no=f"YJ{day:%Y%m}-{seq:05d}",
            kind=kind,
            agent=agent.id,
            product=product.id if product else None,
            terminal=terminal.id if terminal else None,
            amount=amount,
            method=method,
            day=day,
            month=month,
            note=note.strip(),
        )
        audit.record(f"押金.{KINDS[kind]}", f"收据 {row.receipt_no}", None,
                     {"agent": agent.code, "amount_fen": amount, "method": method,
                      "day": day.isoformat(), "product": product.code if product else "",
                      "sn": sn.strip(), "note": note.strip()})
    return entry(row.id)


def cancel(entry_id: int) -> Changes:
    """Take an entry back (撤销), the inverse of ``record``: only while its month is open,
    and a 收押金 only when the desk would not be left holding less than 0 for the agent."""
    row = DepositEntry.get_or_none(DepositEntry.id == entry_id)
    if row is None:
        raise UserError("这笔押金收付已不存在")
    auth.require("payout")
    if is_locked(row.month):
        raise UserError(f"{row.month} 已锁定,这笔押金收付({row.receipt_no})不能撤销")
    with database.atomic():
        if row.kind == "receive" and in_hand(row.agent_id, exclude=row.id) < 0:
            raise UserError(
                f"收据 {row.receipt_no} 收的押金已部分退还或没收,请先撤销那些记录"
            )
        row.delete_instance()
        audit.record("押金.撤销", f"收据 {row.receipt_no}",
                     {"kind": row.kind, "agent_id": row.agent_id, "amount_fen": row.amount,
                      "day": str(row.day)}, None)
    return Changes({"deposits"}, {row.month}, f"已撤销收据 {row.receipt_no}")


_SELECT = (
    "SELECT e.id, e.receipt_no, e.kind, e.agent_id, a.code, a.name, p.code, p.name, t.sn, "
    "e.amount, e.method, e.day, e.month, e.note FROM deposit_entry e "
    "JOIN agent a ON a.id = e.agent_id "
    "LEFT JOIN product p ON p.id = e.product_id "
    "LEFT JOIN terminal t ON t.id = e.terminal_id "
)


def _entries(where: str, params: tuple) -> list[Entry]:
    rows = database.execute_sql(f"{_SELECT} WHERE {where} ORDER BY e.day, e.id", params)
    out = []
    for (eid, no, kind, agent_id, code, name, pcode, pname, sn, amount, method, day, month,
         note) in rows:
        out.append(Entry(
            id=eid, receipt_no=no, kind=kind, kind_label=KINDS.get(kind, kind),
            agent_id=agent_id, agent_code=code, agent_name=name,
            product=f"{pcode} {pname}" if pcode else "", sn=sn or "", amount=amount,
            method=method, method_label=METHODS.get(method, method),
            day=day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10]),
            month=month, note=note,
        ))
    return out


def entry(entry_id: int) -> Entry:
    """One entry, for its receipt."""
    found = _entries("e.id = ?", (entry_id,))
    if not found:
        raise UserError("这笔押金收付已不存在")
    return found[0]


def entries(agent_id: int | None = None, month: str | None = None) -> list[Entry]:
    """The desk entries, by day (of an agent, of a month, or all)."""
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if agent_id is not None:
        where.append("e.agent_id = ?")
        params.append(agent_id)
    if month is not None:
        where.append("e.month = ?")
        params.append(month)
    return _entries(" AND ".join(where), tuple(params))


def desk_ledger() -> list[DeskRow]:
    """Per agent with any desk entry: received, refunded, forfeited (in hand = the rest)."""
    rows: dict[int, DeskRow] = {}
    for agent_id, code, name, kind, total in database.execute_sql(
        "SELECT e.agent_id, a.code, a.name, e.kind, SUM(e.amount) FROM deposit_entry e "
        "JOIN agent a ON a.id = e.agent_id GROUP BY e.agent_id, a.code, a.name, e.kind"
    ):
        row = rows.setdefault(agent_id, DeskRow(agent_id, code, name))
        setattr(row, {"receive": "received", "refund": "refunded", "forfeit": "forfeited"}[kind],
                int(total))
    return sorted(rows.values(), key=lambda r: r.code)


def month_figures(month: str) -> MonthFigures:
    """The desk's deposits dated in ``month``, and the cash it holds at the month's end."""
    sums = dict.fromkeys(KINDS, 0)
    count = 0
    for kind, total, n in database.execute_sql(
        "SELECT kind, SUM(amount), COUNT(*) FROM deposit_entry WHERE month = ? GROUP BY kind",
        (month,),
    ):
        sums[kind] = int(total)
        count += n
    end = database.execute_sql(
        "SELECT COALESCE(SUM(CASE WHEN kind = 'receive' THEN amount ELSE -amount END), 0) "
        "FROM deposit_entry WHERE month <= ?",
        (month,),
    ).fetchone()[0]
    return MonthFigures(month, sums["receive"], sums["refund"], sums["forfeit"], count, int(end))
