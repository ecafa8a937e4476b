"""Imports of every canonical file kind (FORMATS.md), whole-file atomic.

Each importer reads every row, collects *every* bad row (file, row as the spreadsheet
shows it, column, reason in Chinese) and writes nothing if there is one; otherwise it
writes all rows in one transaction.  Re-importing the same rows changes nothing: rows
equal to what is stored are counted as skipped duplicates.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

from app.core import audit, auth, derived, integrity, values
from app.core.errors import RowError, UserError
from app.core.money import ParseError, format_month, month_of
from app.core.months import is_late, last_locked_day, late_notice, locked_months, settle_month
from app.core.ownership import ACTION_LABELS
from app.core.policies import PolicyRecord, add_policies
from app.core.terminals import MoveRequest, add_terminals, existing_sns, plan_moves, write_moves
from app.io import tx_conflicts
from app.io.reader import KIND_COLUMNS, KIND_LABELS, Table, open_table
from app.models import (
    Adjustment,
    ImportBatch,
    Price,
    Product,
    Terminal,
    database,
)

ProgressFn = Callable[[int, str], None]
CancelFn = Callable[[], bool]
ConfirmFn = Callable[[Any], bool]  # shown an AgentPlan (app.core.agent_batches): go ahead?


class ImportCancelled(UserError):
    def __init__(self) -> None:
        super().__init__("导入已取消,未写入任何数据。")


@dataclass
class ImportReport:
    kind: str
    file_name: str
    added: int = 0
    updated: int = 0
    skipped: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    batch_id: int | None = None
    confirm_text: str = ""  # an agents import that changes existing agents: what it changes

    def summary(self) -> str:
        text = (
            f"{self.file_name}:导入{KIND_LABELS.get(self.kind, self.kind)} "
            f"新增 {self.added} 行,更新 {self.updated} 行,重复跳过 {self.skipped} 行"
        )
        if self.unknown_columns:
            text += "\n未识别的列(已忽略):" + "、".join(self.unknown_columns)
        for note in self.notices:
            text += "\n" + note
        return text


class Rows:
    """Collects bad rows of one file; parses cells into values or records the error."""

    def __init__(self, table: Table):
        self.table = table
        self.errors: list[RowError] = []

    def header(self, key: str) -> str:
        return self.table.present.get(key) or _names(self.table.kind, key)

    def bad(self, row: int, key: str, reason: str) -> None:
        self.errors.append(RowError(self.table.file_name, row, self.header(key) if key else "", reason))

    def parse(self, row: int, key: str, text: str, fn, *, default=None, required=False):
        if not text:
            if required:
                self.bad(row, key, "不能为空")
            return default
        try:
            return fn(text)
        except ParseError as exc:
            self.bad(row, key, str(exc))
            return default

    def once(self, row: int, key: str, value: object, data: object, label: str,
             first: dict) -> bool:
        """Within one file, the same key again: with the same data it counts once, with
        other data it is an error.  True when the row is to be left out (either case)."""
        seen = first.get(value)
        if seen is None:
            first[value] = (row, data)
            return False
        if seen[1] != data:
            self.bad(row, key, f"{label} {value} 在文件第{seen[0]}行已出现,但两行数据不同")
        return True

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.table.problems)

    def all_errors(self) -> list[RowError]:
        """The importer's errors and the reader's (a summary row amid the data, a formula
        without a value), one per cell, in row order."""
        if not self.table.problems:
            return self.errors
        taken = {(e.row, e.column) for e in self.table.problems}
        merged = self.table.problems + [e for e in self.errors if (e.row, e.column) not in taken]
        return sorted(merged, key=lambda e: e.row)

    def raise_if_bad(self) -> None:
        errors = self.all_errors()
        if errors:
            raise UserError(
                f"文件 {self.table.file_name} 有 {len(errors)} 处错误,未导入任何数据:",
                errors,
            )


def _names(kind: str, key: str) -> str:
    for spec in KIND_COLUMNS[kind]:
        if spec.key == key:
            return spec.names[0]
    return key


def _int(text: str) -> int:
    return values.count(text, "天数")


def _positive_money(text: str) -> int:
    return values.money(text, sign="positive")


def _abs_money(text: str) -> int:
    return values.money(text, sign="size")


def _code(label: str) -> Callable[[str], str]:
    return lambda text: values.code(text, label)


def _note(label: str, limit: int = values.MAX_TEXT) -> Callable[[str], str]:
    return lambda text: values.note(text, label, limit)


def _choice(mapping: dict[str, str], label: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = mapping.get(text.lower())
        if value is None:
            raise ParseError(f"“{text}”不是有效的{label}")
        return value

    return parse


AGENCY_WORDS = {"本机构", "agency", "机构", "本公司"}
STATUS = {"正常": "active", "active": "active", "停发": "on_hold", "on_hold": "on_hold",
          "暂停": "on_hold", "hold": "on_hold", "注销": "closed", "closed": "closed"}
PAYOUT = {"直结": "direct", "direct": "direct", "直接": "direct", "上级代发": "via_parent",
          "via_parent": "via_parent", "代发": "via_parent"}
ACTIONS = {"下发": "allocate", "allocate": "allocate", "划拨": "allocate", "分配": "allocate",
           "调拨": "transfer", "transfer": "transfer", "回拨": "recall", "recall": "recall",
           "召回": "recall", "回收": "recall", "丢失": "lost", "lost": "lost", "遗失": "lost",
           "退货": "return", "return": "return", "退回": "return"}
DEPOSIT_METHOD = {"分润扣除": "deduct", "deduct": "deduct", "扣除": "deduct", "扣分润": "deduct",
                  "现金": "cash", "cash": "cash", "已付": "cash"}
CATEGORY = {"贷记卡": "credit", "信用卡": "credit", "credit": "credit", "贷记": "credit",
            "准贷记卡": "credit", "借记卡": "debit", "储蓄卡": "debit", "debit": "debit",
            "借记": "debit", "扫码": "scan", "微信": "scan", "支付宝": "scan", "云闪付": "scan",
            "二维码": "scan", "scan": "scan", "qr": "scan", "wechat": "scan", "alipay": "scan",
            "银联二维码": "scan"}
TX_STATUS = {"成功": "success", "success": "success", "交易成功": "success", "撤销": "void",
             "void": "void", "冲正": "reversal", "reversal": "reversal", "失败": "failed",
             "failed": "failed", "fail": "failed", "退货": "refund", "refund": "refund",
             "退款": "refund"}


def _batch(kind: str, table: Table) -> ImportBatch:
    return ImportBatch.create(kind=kind, file_name=table.file_name)


def _finish(batch: ImportBatch, report: ImportReport) -> ImportReport:
    batch.added, batch.updated, batch.skipped = report.added, report.updated, report.skipped
    batch.save()
    report.batch_id = batch.id
    return report


def _agent_codes() -> dict[str, int]:
    return dict(database.obj.execute_sql("SELECT code, id FROM agent").fetchall())


def _product_codes() -> dict[str, int]:
    return dict(database.obj.execute_sql("SELECT code, id FROM product").fetchall())


def _date_text(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# ------------------------------------------------------------------ products and prices

PRODUCT_KEYS = ["code", "name", "company", "activation_min", "qualify_days", "qualify_volume",
                "deposit_days", "company_cashback", "company_qualify_bonus",
                "company_unqualified_penalty"]


def import_products(table: Table, report: ImportReport) -> None:
    rows = Rows(table)
    parsed: dict[str, tuple[int, dict]] = {}
    first_row: dict = {}
    for row, v in table.rows(PRODUCT_KEYS):
        rec = dict(zip(PRODUCT_KEYS, v, strict=True))
        code = rows.parse(row, "code", rec["code"], _code("产品编号"), required=True)
        if code is None:
            continue
        data = {
            "name": rows.parse(row, "name", rec["name"], values.name_text, required=True, default=""),
            "company": rows.parse(row, "company", rec["company"], _note("支付公司"), default=""),
            "activation_min": rows.parse(row, "activation_min", rec["activation_min"], _positive_money, default=1),
            "qualify_days": rows.parse(row, "qualify_days", rec["qualify_days"], _int),
            "qualify_volume": rows.parse(row, "qualify_volume", rec["qualify_volume"], _positive_money),
            "deposit_days": rows.parse(row, "deposit_days", rec["deposit_days"], _int),
            "company_cashback": rows.parse(row, "company_cashback", rec["company_cashback"], _positive_money, default=0),
            "company_qualify_bonus": rows.parse(row, "company_qualify_bonus", rec["company_qualify_bonus"], _positive_money, default=0),
            "company_unqualified_penalty": rows.parse(row, "company_unqualified_penalty", rec["company_unqualified_penalty"], _abs_money, default=0),
        }
        if data["qualify_days"] == 0:
            data["qualify_days"] = None
        if rows.once(row, "code", code, data, "产品编号", first_row):
            continue
        parsed[code] = (row, data)
    rows.raise_if_bad()
    batch = _batch("products", table)
    existing = {p.code: p for p in Product.select()}
    for code, (_row, data) in parsed.items():
        old = existing.get(code)
        if old is None:
            Product.insert(code=code, **data).execute()
            report.added += 1
        elif all(getattr(old, k) == v for k, v in data.items()):
            report.skipped += 1
        else:
            Product.update(**data).where(Product.id == old.id).execute()
            report.updated += 1
            if old.activation_min != data["activation_min"]:
                # its terminals' first activating day may move (app.core.derived)
                derived.mark_all_transactions(database.obj.connection())
    _finish(batch, report)


PRICE_KEYS = ["product", "effective_from", "credit_rate", "debit_rate", "debit_cap", "scan_rate", "per_txn"]
POLICY_KEYS = ["agent", "product", "effective_from", "credit_rate", "debit_rate", "debit_cap",
               "scan_rate", "per_txn", "cashback", "qualify_bonus", "unqualified_penalty", "deposit"]


def _terms_from(rows: Rows, row: int, rec: dict[str, str]) -> dict:
    out = {
        "credit_rate": rows.parse(row, "credit_rate", rec["credit_rate"], values.rate, required=True, default=0),
        "debit_rate": rows.parse(row, "debit_rate", rec["debit_rate"], values.rate, required=True, default=0),
        "debit_cap": rows.parse(row, "debit_cap", rec["debit_cap"], _positive_money),
        "scan_rate": rows.parse(row, "scan_rate", rec["scan_rate"], values.rate, required=True, default=0),
        "per_txn": rows.parse(row, "per_txn", rec["per_txn"], _positive_money, default=0),
    }
    for key, fn in (("cashback", _positive_money), ("qualify_bonus", _positive_money),
                    ("unqualified_penalty", _abs_money), ("deposit", _positive_money)):
        if key in rec:
            out[key] = rows.parse(row, key, rec[key], fn, default=0)
    return out


def _check_unlocked(rows: Rows, row: int, key: str, day: dt.date | None, limit: dt.date | None) -> None:
    if day is not None and limit is not None and day <= limit:
        rows.bad(row, key, f"{format_month(month_of(limit))}及以前的月份已锁定,不能再改动生效于 {day} 的数据")


def import_prices(table: Table, report: ImportReport) -> None:
    rows = Rows(table)
    products = _product_codes()
    limit = last_locked_day(locked_months())
    existing = {(p.product_id, p.effective_from): p for p in Price.select()}
    parsed: dict[tuple, tuple[int, dict]] = {}
    for row, v in table.rows(PRICE_KEYS):
        rec = dict(zip(PRICE_KEYS, v, strict=True))
        pid = products.get(rec["product"])
        if pid is None:
            rows.bad(row, "product", f"产品编号 {rec['product'] or '(空)'} 不存在")
        day = rows.parse(row, "effective_from", rec["effective_from"], values.day, required=True)
        data = _terms_from(rows, row, rec)
        if pid is None or day is None:
            continue
        key = (pid, day)
        if key in parsed:
            if parsed[key][1] != data:
                rows.bad(row, "effective_from", f"同一产品同一生效日期在文件第{parsed[key][0]}行已出现,但两行数据不同")
            continue
        old = existing.get(key)
        if old is None or any(getattr(old, k) != val for k, val in data.items()):
            _check_unlocked(rows, row, "effective_from", day, limit)
        parsed[key] = (row, data)
    rows.raise_if_bad()
    batch = _batch("prices", table)
    for (pid, day), (_row, data) in parsed.items():
        old = existing.get((pid, day))
        if old is None:
            Price.insert(product=pid, effective_from=day, **data).execute()
            report.added += 1
        elif all(getattr(old, k) == val for k, val in data.items()):
            report.skipped += 1
        else:
            Price.update(**data).where(Price.id == old.id).execute()
            report.updated += 1
    _finish(batch, report)


# ------------------------------------------------------------------ policies and the 级差 guard


def import_policies(table: Table, report: ImportReport) -> None:
    """Parse the file into policy records; ``app.core.policies.add_policies`` checks the
    locked months and the 级差 guard and writes them, as for the window's policy form."""
    rows, records = read_policy_records(table)
    if not records:
        return
    counts = add_policies(records, file_name=table.file_name, column_name=rows.header)
    batch = _batch("policies", table)
    report.added, report.updated, report.skipped = counts.added, counts.updated, counts.skipped
    _finish(batch, report)


def read_policy_records(table: Table) -> tuple[Rows, list[PolicyRecord]]:
    """Every row of a policies file as a record (UserError naming each bad row); nothing
    is checked against the stored policies or written."""
    rows = Rows(table)
    agents = _agent_codes()
    products = _product_codes()
    records: list[PolicyRecord] = []
    for row, v in table.rows(POLICY_KEYS):
        rec = dict(zip(POLICY_KEYS, v, strict=True))
        code = rec["agent"]
        agent: int | None
        if code.lower() in AGENCY_WORDS or code.upper() == "AGENCY":
            agent = None
        elif code in agents:
            agent = agents[code]
        else:
            rows.bad(row, "agent", f"代理编号 {code or '(空)'} 不存在")
            agent = -1
        pid = products.get(rec["product"])
        if pid is None:
            rows.bad(row, "product", f"产品编号 {rec['product'] or '(空)'} 不存在")
        day = rows.parse(row, "effective_from", rec["effective_from"], values.day, required=True)
        data = _terms_from(rows, row, rec)
        if agent == -1 or pid is None or day is None:
            continue
        records.append(PolicyRecord(agent, pid, day, data, row))
    rows.raise_if_bad()
    if not records:
        if not table.has_data:
            raise UserError(f"文件 {table.file_name} 没有数据行")
    return rows, records


# ------------------------------------------------------------------ terminals and moves

TERMINAL_KEYS = ["sn", "product", "stocked"]


def import_terminals(table: Table, report: ImportReport) -> None:
    rows = Rows(table)
    products = _product_codes()
    existing = {
        sn: (tid, pid, stocked)
        for tid, sn, pid, stocked in database.obj.execute_sql(
            "SELECT id, sn, product_id, stocked_on FROM terminal"
        )
    }
    first_event = dict(
        database.obj.execute_sql(
            "SELECT terminal_id, MIN(date) FROM terminal_event WHERE action != 'stock' GROUP BY terminal_id"
        ).fetchall()
    )
    seen: dict = {}
    new_rows: list[tuple[str, int, dt.date]] = []
    updates = []
    for row, (sn_text, product, stocked) in table.rows(TERMINAL_KEYS):
        sn = rows.parse(row, "sn", sn_text, _code("终端SN"), required=True)
        pid = products.get(product)
        if pid is None:
            rows.bad(row, "product", f"产品编号 {values.shown(product) or '(空)'} 不存在")
        day = rows.parse(row, "stocked", stocked, values.day, required=True)
        if sn is None or pid is None or day is None:
            continue
        if rows.once(row, "sn", sn, (pid, day), "终端SN", seen):
            continue
        old = existing.get(sn)
        if old is None:
            new_rows.append((sn, pid, day))
            continue
        tid, old_pid, old_day = old
        if old_pid != pid:
            rows.bad(row, "product", f"终端 {sn} 已登记为另一产品,不能改为 {product}")
        elif old_day != day.isoformat():
            first = first_event.get(tid)
            if first is not None and first < day.isoformat():
                rows.bad(row, "stocked", f"入库日期不能晚于该机具已有的{first}的流转记录")
            else:
                updates.append((day.isoformat(), tid))
        else:
            report.skipped += 1
    rows.raise_if_bad()
    batch = _batch("terminals", table)
    add_terminals(new_rows, batch.id)
    cur = database.obj.cursor()
    cur.executemany("UPDATE terminal SET stocked_on = ? WHERE id = ?", updates)
    cur.executemany(
        "UPDATE terminal_event SET date = ? WHERE terminal_id = ? AND action = 'stock'", updates
    )
    report.added, report.updated = len(new_rows), len(updates)
    _finish(batch, report)


MOVE_KEYS = ["sn", "date", "action", "agent", "deposit_method"]


def import_moves(table: Table, report: ImportReport, operator: str = "") -> None:
    """Parse the file into move requests; ``app.core.terminals`` validates and writes them,
    the same code the window's 下发/调拨/回拨 use."""
    rows = Rows(table)
    agents = _agent_codes()
    requests: list[MoveRequest] = []
    unparsed_sns: dict[str, int] = {}
    for row, (sn, day_text, action_text, agent_code, method_text) in table.rows(MOVE_KEYS):
        before = len(rows.errors)
        rows.parse(row, "sn", sn, _code("终端SN"), required=True)
        day = rows.parse(row, "date", day_text, values.day, required=True)
        action = rows.parse(row, "action", action_text, _choice(ACTIONS, "动作"), required=True)
        method = rows.parse(row, "deposit_method", method_text, _choice(DEPOSIT_METHOD, "押金方式"), default="deduct")
        agent = None
        if action in ("allocate", "transfer"):
            if not agent_code:
                rows.bad(row, "agent", f"{ACTION_LABELS[action]}必须填写代理编号")
            elif agent_code not in agents:
                rows.bad(row, "agent", f"代理编号 {agent_code} 不存在")
            else:
                agent = agents[agent_code]
        if day is None or action is None or len(rows.errors) > before:
            unparsed_sns[sn] = row
            continue
        requests.append(MoveRequest(row, sn, day, action, agent, method))
    if unparsed_sns:  # still say which SNs are unknown, as for every other row
        known = existing_sns(list(unparsed_sns))
        for sn, row in unparsed_sns.items():
            if sn not in known:
                rows.bad(row, "sn", f"终端SN {sn or '(空)'} 不存在(请先入库)")
    plan = plan_moves(requests, checks_only=bool(rows.errors))
    for p in plan.problems:
        rows.bad(p.row, p.key, p.reason)
    rows.errors.sort(key=lambda e: e.row)
    rows.raise_if_bad()
    batch = _batch("moves", table)
    report.skipped = len(plan.skipped)
    report.added = write_moves(plan, operator, batch.id)
    _finish(batch, report)


# ------------------------------------------------------------------ activations

ACTIVATION_KEYS = ["sn", "activated", "merchant_no", "merchant_name"]


def import_activations(table: Table, report: ImportReport) -> None:
    rows = Rows(table)
    terminals = {t.sn: t for t in Terminal.select()}
    locked = locked_months()
    seen: dict = {}
    updates = []
    late = set()
    for row, (sn, activated, merchant_text, name_text) in table.rows(ACTIVATION_KEYS):
        t = terminals.get(sn)
        if t is None:
            rows.bad(row, "sn", f"终端SN {values.shown(sn) or '(空)'} 不存在")
        day = rows.parse(row, "activated", activated, values.day, required=True)
        merchant_no = rows.parse(row, "merchant_no", merchant_text, _code("商户编号"), default="")
        merchant_name = rows.parse(row, "merchant_name", name_text, _note("商户名称"), default="")
        if t is None or day is None:
            continue
        if rows.once(row, "sn", sn, (day, merchant_no, merchant_name), "终端SN", seen):
            continue
        if day < t.stocked_on:
            rows.bad(row, "activated", f"激活日期 {day} 早于入库日期 {t.stocked_on}")
            continue
        new = (day, merchant_no or t.merchant_no, merchant_name or t.merchant_name)
        if (t.activated_on, t.merchant_no, t.merchant_name) == new:
            report.skipped += 1
            continue
        if is_late(month_of(day), locked):
            late.add(month_of(day))
        if t.activated_on is None:
            report.added += 1
        else:
            report.updated += 1
        updates.append((new[0].isoformat(), new[1], new[2], t.id))
    rows.raise_if_bad()
    batch = _batch("activations", table)
    database.obj.cursor().executemany(
        "UPDATE terminal SET activated_on = ?, merchant_no = ?, merchant_name = ? WHERE id = ?", updates
    )
    for m in sorted(late):
        report.notices.append(late_notice(m, locked, "激活产生的返现与押金退还"))
    _finish(batch, report)


# ------------------------------------------------------------------ transactions

TX_KEYS = ["tx_id", "time", "sn", "merchant_no", "amount", "category", "status", "fee"]
BATCH_ROWS = 50_000


def _index_order(rows: list[tuple]) -> list[tuple]:
    """A batch in the order of the month compute's covering index (month, terminal, day):
    SQLite then adds its index entries page after page instead of all over the index, which
    on two million rows is the difference between a minute and two.  Rows of a file are
    distinct (a repeated 流水号 is refused), so the order changes nothing else."""
    rows.sort(key=_INDEX_KEY)
    return rows


_INDEX_KEY = operator.itemgetter(5, 1, 4)  # month, terminal, day


def _fast_time(text: str, valid_days: set[str]) -> tuple[str, str] | None:
    """``YYYY-MM-DD HH:MM:SS`` as exported by most back offices, checked without parsing;
    anything else (or an impossible day) goes the slow way."""
    if (
        len(text) != 19
        or not text.isascii()
        or text[4] != "-"
        or text[7] != "-"
        or text[10] != " "
        or text[13] != ":"
        or text[16] != ":"
    ):
        return None
    day = text[:10]
    if day not in valid_days:
        try:
            values.check_day(dt.date.fromisoformat(day))
        except ValueError:  # ParseError too: the slow way says what is wrong
            return None
        valid_days.add(day)
    hh, mm, ss = text[11:13], text[14:16], text[17:19]
    if hh.isdigit() and mm.isdigit() and ss.isdigit() and hh < "24" and mm < "60" and ss < "60":
        return text, day
    return None


def _fast_money(text: str) -> int:
    """values.money with a fast path for plain ``123.45``-style amounts."""
    head, dot, tail = text.partition(".")
    if head.isdigit() and len(head) <= 10 and head.isascii() and (not dot or (tail.isdigit() and len(tail) <= 2)):
        fen = int(head) * 100 + (int(tail.ljust(2, "0")) if tail else 0)
        if fen <= values.MAX_FEN:
            return fen
    return values.money(text)


class _TxParser:
    """Reads and checks transaction rows into insert-ready batches."""

    def __init__(self, table: Table, batch_id: int, locked: set[str]):
        db = database.obj
        self.rows = Rows(table)
        self.terminals = {
            sn: (tid, pid) for tid, sn, pid in db.execute_sql("SELECT id, sn, product_id FROM terminal")
        }
        self.locked = locked
        self.batch_id = batch_id
        self.late: set[str] = set()
        self.months: set[str] = set()  # settlement months of the rows
        self.sn_of: dict[int, str] | None = None  # terminal id → SN, for conflict messages
        self.total = 0

    def batches(self) -> Iterator[list[tuple]]:
        rows = self.rows
        terminals = self.terminals
        month_cache: dict[str, str] = {}
        valid_days: set[str] = set()
        categories, statuses = CATEGORY, TX_STATUS
        plain_code = values.PLAIN_CODE.fullmatch
        bid = self.batch_id
        pending: list[tuple] = []
        total = 0
        for row, (tx_id, time_text, sn, merchant_no, amount_text, cat_text, status_text, fee_text) in (
            rows.table.rows(TX_KEYS)
        ):
            total += 1
            bad = False
            if not plain_code(tx_id):
                try:
                    values.code(tx_id, "交易流水号")
                except ParseError as exc:
                    rows.bad(row, "tx_id", str(exc))
                    bad = True
            if merchant_no and not plain_code(merchant_no):
                try:
                    merchant_no = values.code(merchant_no, "商户编号")
                except ParseError as exc:
                    rows.bad(row, "merchant_no", str(exc))
                    bad = True
            t = terminals.get(sn)
            if t is None:
                rows.bad(row, "sn", f"终端SN {values.shown(sn) or '(空)'} 不存在")
                bad = True
            parsed_time = _fast_time(time_text, valid_days)
            if parsed_time is None:
                try:
                    when = values.moment(time_text)
                    parsed_time = (when.isoformat(" "), when.date().isoformat())
                except ParseError as exc:
                    rows.bad(row, "time", str(exc) if time_text else "交易时间不能为空")
                    bad = True
            amount: int | None
            try:
                amount = _fast_money(amount_text) if amount_text else None
                if amount is None:
                    rows.bad(row, "amount", "交易金额不能为空")
                    bad = True
            except ParseError as exc:
                rows.bad(row, "amount", str(exc))
                amount, bad = None, True
            category = categories.get(cat_text) or categories.get(cat_text.lower())
            if category is None:
                rows.bad(
                    row,
                    "category",
                    f"“{cat_text}”不是有效的卡类型(贷记卡/借记卡/扫码)" if cat_text else "卡类型不能为空",
                )
                bad = True
            status = statuses.get(status_text) if status_text else "success"
            if status is None:
                status = statuses.get(status_text.lower())
                if status is None:
                    rows.bad(row, "status", f"“{status_text}”不是有效的交易状态")
                    bad = True
            fee = None
            if fee_text:
                try:
                    fee = _fast_money(fee_text)
                except ParseError as exc:
                    rows.bad(row, "fee", str(exc))
                    bad = True
            if bad or rows.failed:
                if len(rows.errors) > 1000:
                    break
                continue
            assert t is not None and amount is not None and parsed_time is not None
            time_iso, day = parsed_time
            if status == "refund":
                amount = -abs(amount)
            elif amount < 0:
                rows.bad(row, "amount", "金额为负,但交易状态不是退货")
                continue
            calendar = day[:7]
            month = month_cache.get(calendar)
            if month is None:
                month = month_cache[calendar] = settle_month(calendar, self.locked)
                self.months.add(month)
                if month != calendar:
                    self.late.add(calendar)
            pending.append(
                (tx_id, t[0], t[1], time_iso, day, month, amount, category, status, merchant_no, fee, bid, row)
            )
            if len(pending) >= BATCH_ROWS:
                self.total = total
                yield _index_order(pending)
                pending = []
        self.total = total
        if pending:
            yield _index_order(pending)


def import_transactions(
    table: Table,
    report: ImportReport,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> None:
    """Reads, checks and inserts the file batch by batch, in the order of the covering
    index.  From the main thread (the command line, the benchmark) a second thread parses
    while this one stores; under the window's worker threads both happen in the one
    thread (see ``_store_beside``)."""
    db = database.obj
    locked = locked_months()
    batch = _batch("transactions", table)
    parser = _TxParser(table, batch.id, locked)
    before = derived.last_txn_id(db.connection())
    # the database's per-row lock guard replaced by one check of the whole file
    with integrity.bulk_transactions(db.connection()):
        if threading.current_thread() is threading.main_thread():
            inserted = _store_beside(parser, progress, cancel)
        else:
            inserted = _store_inline(parser, progress, cancel)
    parser.rows.raise_if_bad()
    # the first activating day and the volumes (app.core.derived) follow at the refresh
    # that ends every import; its months are known here, which spares it the look
    derived.mark_inserted(db.connection(), before, parser.months)
    report.added = inserted
    report.skipped = parser.total - inserted
    for m in sorted(parser.late):
        report.notices.append(late_notice(m, locked, "交易"))
    _finish(batch, report)


_TX_COLUMNS = (
    "tx_id, terminal_id, product_id, time, date, month, amount, category, status, "
    "merchant_no, fee, batch_id, src_row"
)


def _check_conflicts(parser: _TxParser, cur: Any, batch: str | list[tuple], sent: int, inserted: int) -> None:
    """Fewer rows went in than were sent: some tx_ids are stored already (or repeat in the
    file); the same data is skipped, other data is an error naming the earlier row."""
    if inserted == sent:
        return
    if parser.sn_of is None:
        parser.sn_of = {tid: sn for sn, (tid, _pid) in parser.terminals.items()}
    rows = parser.rows
    rows.errors.extend(tx_conflicts.conflicts(
        cur, batch, parser.batch_id, rows.table.file_name, rows.header("tx_id"), parser.sn_of))


def _store_inline(parser: _TxParser, progress: ProgressFn | None, cancel: CancelFn | None) -> int:
    """Parse a batch, insert it, and so on, in this thread; the rows inserted."""
    cur = database.obj.cursor()
    sql = (
        f"INSERT INTO txn ({_TX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (tx_id) DO NOTHING"
    )
    inserted = 0
    for rows in parser.batches():
        if not parser.rows.failed:  # else keep reading to name every bad row
            cur.executemany(sql, rows)
            inserted += cur.rowcount
            _check_conflicts(parser, cur, rows, len(rows), cur.rowcount)
        if cancel is not None and cancel():
            raise ImportCancelled()
        if progress is not None:
            progress(parser.total, f"已读取 {parser.total:,} 行")
    return inserted


def _store_beside(parser: _TxParser, progress: ProgressFn | None, cancel: CancelFn | None) -> int:
    """A thread reads and checks the file while this one stores it, a batch per statement:
    the batch goes to SQLite as one JSON array (``json_each``), so SQLite inserts 50,000
    rows without taking Python's lock back once and the two threads really run side by
    side.  (``executemany`` hands the lock back and forth at every row; with the parser
    busy that was slower than one thread.)  Only from the main thread: Python threads
    started under the window's Qt worker threads coincided with crashes of the GUI tests
    (PySide6 6.12 on CPython 3.11), so the window imports with ``_store_inline``."""
    cur = database.obj.cursor()
    values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(13))
    sql = (
        f"INSERT INTO txn ({_TX_COLUMNS}) SELECT {values} FROM json_each(?) WHERE true "
        "ON CONFLICT (tx_id) DO NOTHING"
    )
    queue: Queue = Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        try:
            for rows in parser.batches():
                if stop.is_set():
                    return
                queue.put(
                    (json.dumps(rows, ensure_ascii=False), len(rows)) if not parser.rows.failed else None
                )
            queue.put(StopIteration())
        except BaseException as exc:  # noqa: BLE001 - handed to the storing thread
            queue.put(exc)

    worker = threading.Thread(target=produce, name="tx-parser", daemon=True)
    worker.start()
    inserted = 0
    try:
        while True:
            item = queue.get()
            if isinstance(item, StopIteration):
                break
            if isinstance(item, BaseException):
                raise item
            if item is not None and not parser.rows.failed:
                cur.execute(sql, (item[0],))
                inserted += cur.rowcount
                _check_conflicts(parser, cur, item[0], item[1], cur.rowcount)
            if cancel is not None and cancel():
                raise ImportCancelled()
            if progress is not None:
                progress(parser.total, f"已读取 {parser.total:,} 行")
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                queue.get(timeout=0.05)
            except Empty:
                pass
        worker.join()
    return inserted


# ------------------------------------------------------------------ adjustments

ADJUSTMENT_KEYS = ["agent", "product", "month", "amount", "reason"]


def import_adjustments(table: Table, report: ImportReport) -> None:
    rows = Rows(table)
    agents = _agent_codes()
    products = _product_codes()
    locked = locked_months()
    existing = {
        (a.agent_id, a.product_id, a.original_month, a.amount, a.reason) for a in Adjustment.select()
    }
    parsed = []
    late = set()
    in_file: dict[tuple, int] = {}
    for row, (agent, product, month_text, amount_text, reason) in table.rows(ADJUSTMENT_KEYS):
        aid = agents.get(agent)
        if aid is None:
            rows.bad(row, "agent", f"代理编号 {agent or '(空)'} 不存在")
        pid = products.get(product)
        if pid is None:
            rows.bad(row, "product", f"产品编号 {product or '(空)'} 不存在")
        month = rows.parse(row, "month", month_text, values.month, required=True)
        amount = rows.parse(row, "amount", amount_text, values.money, required=True)
        if not reason:
            rows.bad(row, "reason", "调账必须写明原因")
        else:
            reason = rows.parse(row, "reason", reason, _note("原因"), default="")
        if aid is None or pid is None or month is None or amount is None or not reason:
            continue
        key = (aid, pid, month, amount, reason)
        if key in in_file:
            rows.bad(row, "amount", f"与文件第{in_file[key]}行完全相同;两笔相同的调账请合并为一行(或写明不同的原因)")
            continue
        in_file[key] = row
        if key in existing:
            report.skipped += 1
            continue
        target = settle_month(month, locked)
        if target != month:
            late.add((month, target))
        parsed.append((aid, pid, target, month, amount, reason))
    rows.raise_if_bad()
    batch = _batch("adjustments", table)
    now = dt.datetime.now().replace(microsecond=0).isoformat(" ")
    database.obj.cursor().executemany(
        "INSERT INTO adjustment (agent_id, product_id, month, original_month, amount, reason, batch_id, created) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*p, batch.id, now) for p in parsed],
    )
    report.added = len(parsed)
    for m, _target in sorted(late):
        report.notices.append(late_notice(m, locked, "调账"))
    _finish(batch, report)


def import_company_report(table: Table, report: ImportReport) -> None:
    """The payment company's settlement report (对账单): app.io.report_import."""
    from app.io.report_import import import_company_report as run

    run(table, report)


# ------------------------------------------------------------------ entry point

def import_agents(table: Table, report: ImportReport, confirm: ConfirmFn | None = None) -> None:
    from app.io.agent_import import import_agents as run

    run(table, report, confirm)


IMPORTERS = {
    "agents": import_agents,
    "products": import_products,
    "prices": import_prices,
    "policies": import_policies,
    "terminals": import_terminals,
    "moves": import_moves,
    "activations": import_activations,
    "transactions": import_transactions,
    "adjustments": import_adjustments,
    "company_report": import_company_report,
}


NO_DATA_ROWS = "文件只有表头,没有数据行:未导入任何数据。"


class _NothingToImport(Exception):
    """Rolls back the batch row of a file with no data rows (the report is still given)."""

    def __init__(self, report: ImportReport):
        super().__init__()
        self.report = report


def import_file(
    kind: str,
    path: str | Path,
    profile: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    confirm: ConfirmFn | None = None,
) -> ImportReport:
    """Import one file of ``kind``: all rows or, on any bad row, nothing (UserError).
    ``confirm`` is asked before an agents import changes existing agents (None: go ahead)."""
    if kind not in IMPORTERS and kind not in _team_importers():
        raise UserError(f"未知的导入类型“{kind}”,可用:{'、'.join([*IMPORTERS, *_team_importers()])}")
    auth.require("import")
    table = open_table(path, kind, profile)
    report = ImportReport(kind, table.file_name, unknown_columns=list(table.unknown_columns))
    if not table.has_data:  # FORMATS: a header alone imports nothing and says so (exit 0)
        report.notices.append(NO_DATA_ROWS)
        return report
    try:
        with database.obj.atomic():
            if kind == "transactions":
                import_transactions(table, report, progress, cancel)
            elif kind == "agents":
                import_agents(table, report, confirm)
            else:
                IMPORTERS.get(kind, _team_importers().get(kind))(table, report)  # type: ignore[misc]
            if table.data_rows == 0:
                # only summary rows under the header: nothing to import, and nothing written
                report.notices.append(NO_DATA_ROWS)
                report.notices.extend(table.notices)
                raise _NothingToImport(report)
            # the holding timelines and day sums the compute reads (app.core.derived), brought
            # up to date here, once, rather than at the next compute
            derived.refresh(database.obj.connection())
            audit.record(f"导入.{kind}", f"文件 {table.file_name}", None,
                         {"batch": report.batch_id, "added": report.added,
                          "updated": report.updated, "skipped": report.skipped})
    except _NothingToImport as nothing:
        return nothing.report
    report.notices.extend(table.notices)
    return report


def _team_importers() -> dict[str, Callable[[Table, ImportReport], None]]:
    """The team's importers (app.io.team_import), which build on the helpers above."""
    from app.io.team_import import TEAM_IMPORTERS

    return TEAM_IMPORTERS
