"""Products (产品) and their merchant price lists (商户费率), set up by hand in the window.

The same value rules as the import files (``app.core.values``: FORMATS "Values"), the same
defaults (激活门槛 0.01 元 when blank; no 达标 rule, no deposit limit when blank) and the
same guard on locked months: a price row effective on or before the last locked day is
refused, as the import refuses it.  Every save returns a ``Changes`` for the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.core import values
from app.core.errors import Changes, UserError
from app.core.money import format_month, month_of
from app.core.months import last_locked_day, locked_months
from app.models import Price, Product, database

# form key → label, in the order of the 产品 form
PRODUCT_FIELDS: dict[str, str] = {
    "code": "产品编号",
    "name": "产品名称",
    "company": "支付公司",
    "activation_min": "激活门槛",
    "qualify_days": "达标天数",
    "qualify_volume": "达标交易额",
    "deposit_days": "押金期限天数",
    "company_cashback": "公司激活返现",
    "company_qualify_bonus": "公司达标奖励",
    "company_unqualified_penalty": "公司未达标扣款",
}
PRICE_FIELDS: dict[str, str] = {
    "effective_from": "生效日期",
    "credit_rate": "贷记卡费率",
    "debit_rate": "借记卡费率",
    "debit_cap": "借记卡封顶",
    "scan_rate": "扫码费率",
    "per_txn": "单笔手续费",
}


@dataclass(frozen=True)
class ProductRow:
    id: int
    code: str
    name: str
    company: str
    activation_min: int
    qualify_days: int | None
    qualify_volume: int | None
    deposit_days: int | None
    company_cashback: int
    company_qualify_bonus: int
    company_unqualified_penalty: int
    terminals: int
    prices: int


@dataclass(frozen=True)
class PriceRow:
    product_id: int
    effective_from: dt.date
    credit_rate: int
    debit_rate: int
    debit_cap: int | None
    scan_rate: int
    per_txn: int
    locked: bool  # effective on or before the last locked day: read only


def product_rows() -> list[ProductRow]:
    """Every product with its terminal and price-row counts, by code."""
    counts = dict(database.execute_sql(
        "SELECT product_id, COUNT(*) FROM terminal GROUP BY product_id").fetchall())
    prices = dict(database.execute_sql(
        "SELECT product_id, COUNT(*) FROM price GROUP BY product_id").fetchall())
    return [
        ProductRow(p.id, p.code, p.name, p.company, p.activation_min, p.qualify_days,
                   p.qualify_volume, p.deposit_days, p.company_cashback,
                   p.company_qualify_bonus, p.company_unqualified_penalty,
                   counts.get(p.id, 0), prices.get(p.id, 0))
        for p in Product.select().order_by(Product.code)
    ]


class _Form:
    """Parses the fields of a form, collecting every problem before raising one UserError."""

    def __init__(self, form: Mapping[str, object], labels: Mapping[str, str]):
        self.form = form
        self.labels = labels
        self.problems: list[str] = []

    def text(self, key: str) -> str:
        value = self.form.get(key)
        return "" if value is None else str(value).strip()

    def get(self, key: str, parse: Callable[[str], Any], default: Any = None,
            required: bool = False) -> Any:
        text = self.text(key)
        if not text:
            if required:
                self.problems.append(f"「{self.labels[key]}」不能为空")
            return default
        try:
            return parse(text)
        except ValueError as exc:  # values.ValueProblem is a ValueError
            self.problems.append(f"「{self.labels[key]}」:{exc}")
            return default

    def raise_if_bad(self) -> None:
        if self.problems:
            raise UserError("\n".join(self.problems))


def _money(sign: str) -> Callable[[str], int]:
    return lambda text: values.money(text, sign=sign)


def _days(text: str) -> int:
    return values.count(text, "天数", maximum=3650)


def save_product(form: Mapping[str, object], product_id: int | None = None) -> Changes:
    """Add a product (``product_id`` None) or change one; its code never changes."""
    f = _Form(form, PRODUCT_FIELDS)
    data: dict[str, Any] = {
        "name": f.get("name", lambda t: values.name_text(t, "产品名称"), required=True),
        "company": f.get("company", lambda t: values.note(t, "支付公司"), default=""),
        "activation_min": f.get("activation_min", _money("positive"), default=1),
        "qualify_days": f.get("qualify_days", _days) or None,
        "qualify_volume": f.get("qualify_volume", _money("positive")),
        "deposit_days": f.get("deposit_days", _days),
        "company_cashback": f.get("company_cashback", _money("positive"), default=0),
        "company_qualify_bonus": f.get("company_qualify_bonus", _money("positive"), default=0),
        "company_unqualified_penalty": f.get("company_unqualified_penalty", _money("size"),
                                             default=0),
    }
    if data["activation_min"] == 0:
        f.problems.append("「激活门槛」至少 0.01 元")
    if (data["qualify_days"] is None) != (data["qualify_volume"] is None):
        f.problems.append("「达标天数」和「达标交易额」要么都填,要么都不填")
    if product_id is None:
        code = f.get("code", lambda t: values.code(t, "产品编号"), required=True)
        if code and Product.select().where(Product.code == code).exists():
            f.problems.append(f"「产品编号」{code} 已存在")
    f.raise_if_bad()
    with database.atomic():
        if product_id is None:
            Product.insert(code=code, **data).execute()
            return Changes({"products"}, set(), f"已新增产品 {code} {data['name']}")
        old = Product.get_or_none(Product.id == product_id)
        if old is None:
            raise UserError("这个产品已不存在")
        Product.update(**data).where(Product.id == product_id).execute()
        if old.activation_min != data["activation_min"]:
            refresh_first_tx([product_id])
    return Changes({"products", "terminals"}, set(), f"已保存产品 {old.code} {data['name']}")


def refresh_first_tx(product_ids: list[int]) -> None:
    """Each terminal's first activating transaction day, worked out again (the 激活门槛
    of its product changed)."""
    for pid in product_ids:
        database.execute_sql(
            "UPDATE terminal SET first_tx_on = (SELECT MIN(t.date) FROM txn t "
            "WHERE t.terminal_id = terminal.id AND t.status = 'success' AND t.amount >= "
            "(SELECT activation_min FROM product WHERE id = ?)) WHERE product_id = ?",
            (pid, pid),
        )


def price_rows(product_id: int) -> list[PriceRow]:
    """The product's price list, newest first."""
    limit = last_locked_day(locked_months())
    return [
        PriceRow(p.product_id, p.effective_from, p.credit_rate, p.debit_rate, p.debit_cap,
                 p.scan_rate, p.per_txn, limit is not None and p.effective_from <= limit)
        for p in Price.select().where(Price.product == product_id)
        .order_by(Price.effective_from.desc())
    ]


def _check_open(day: dt.date) -> None:
    limit = last_locked_day(locked_months())
    if limit is not None and day <= limit:
        raise UserError(f"{format_month(month_of(limit))}及以前的月份已锁定,"
                        f"不能再改动生效于 {day} 的商户费率")


def save_price(product_id: int, form: Mapping[str, object]) -> Changes:
    """Add the price row effective from the form's day, or change the one of that day."""
    f = _Form(form, PRICE_FIELDS)
    day = f.get("effective_from", values.day, required=True)
    data = {
        "credit_rate": f.get("credit_rate", values.rate, required=True),
        "debit_rate": f.get("debit_rate", values.rate, required=True),
        "debit_cap": f.get("debit_cap", _money("positive")),
        "scan_rate": f.get("scan_rate", values.rate, required=True),
        "per_txn": f.get("per_txn", _money("positive"), default=0),
    }
    f.raise_if_bad()
    if Product.get_or_none(Product.id == product_id) is None:
        raise UserError("这个产品已不存在")
    _check_open(day)
    with database.atomic():
        old = Price.get_or_none((Price.product == product_id) & (Price.effective_from == day))
        if old is None:
            Price.insert(product=product_id, effective_from=day, **data).execute()
        else:
            Price.update(**data).where(Price.id == old.id).execute()
    return Changes({"prices"}, {month_of(day)}, f"已保存 {day} 起的商户费率")


def delete_price(product_id: int, day: dt.date) -> Changes:
    """Remove the price row effective from ``day`` (not one a locked month was priced by)."""
    _check_open(day)
    n = Price.delete().where((Price.product == product_id) & (Price.effective_from == day)).execute()
    if not n:
        raise UserError(f"没有 {day} 起的商户费率")
    return Changes({"prices"}, {month_of(day)}, f"已删除 {day} 起的商户费率")


def price_form(row: PriceRow) -> dict[str, str]:
    """A price row as the form's texts (for editing it, or putting it back on undo)."""
    from app.core.money import format_money, format_rate

    return {
        "effective_from": row.effective_from.isoformat(),
        "credit_rate": format_rate(row.credit_rate),
        "debit_rate": format_rate(row.debit_rate),
        "debit_cap": "" if row.debit_cap is None else format_money(row.debit_cap, symbol=False),
        "scan_rate": format_rate(row.scan_rate),
        "per_txn": format_money(row.per_txn, symbol=False),
    }


def delete_product(code: str) -> Changes:
    """Remove a product that nothing uses yet (the inverse of adding it): a product with
    terminals, price rows or policies stays."""
    p = Product.get_or_none(Product.code == code)
    if p is None:
        raise UserError(f"没有编号为 {code} 的产品")
    used = database.execute_sql(
        "SELECT (SELECT COUNT(*) FROM terminal WHERE product_id = ?) + "
        "(SELECT COUNT(*) FROM price WHERE product_id = ?) + "
        "(SELECT COUNT(*) FROM policy WHERE product_id = ?)", (p.id, p.id, p.id)).fetchone()[0]
    if used:
        raise UserError(f"产品 {code} 已有机具、商户费率或政策,不能删除")
    p.delete_instance()
    return Changes({"products"}, set(), f"已删除产品 {code}")
