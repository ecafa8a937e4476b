"""Products and price lists set up by hand (app.core.products): the import files' value
rules and defaults, the locked-month guard, and the inverse operations."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core import products as svc
from app.core.errors import UserError
from app.models import Price, Product

P01 = {"code": "P01", "name": "拉卡拉电签", "company": "拉卡拉", "activation_min": "",
       "qualify_days": "90", "qualify_volume": "50,000.00", "deposit_days": "60",
       "company_cashback": "150", "company_qualify_bonus": "", "company_unqualified_penalty": "-50"}


def test_add_product_with_the_import_defaults(db):
    changes = svc.save_product(P01)
    assert "P01" in changes.message
    p = Product.get(Product.code == "P01")
    # blank 激活门槛 = 0.01 元 = 1 fen; 50,000.00 元 = 5,000,000 fen; a penalty given as −50 is 50 元
    assert (p.activation_min, p.qualify_days, p.qualify_volume, p.deposit_days) == (1, 90, 5_000_000, 60)
    assert (p.company_cashback, p.company_qualify_bonus, p.company_unqualified_penalty) == (15000, 0, 5000)
    [row] = svc.product_rows()
    assert (row.code, row.terminals, row.prices) == ("P01", 0, 0)


def test_every_problem_of_the_form_is_named(db):
    bad = dict(P01, code="P 01", name="", activation_min="abc", qualify_volume="", deposit_days="-3")
    with pytest.raises(UserError) as err:
        svc.save_product(bad)
    text = str(err.value)
    for label in ("产品编号", "产品名称", "激活门槛", "押金期限天数", "达标天数"):
        assert label in text, label
    assert Product.select().count() == 0


def test_edit_keeps_the_code_and_a_duplicate_code_is_refused(db):
    svc.save_product(P01)
    pid = Product.get(Product.code == "P01").id
    svc.save_product(dict(P01, code="X9", name="拉卡拉电签Pro", activation_min="1.00"), pid)
    p = Product.get_by_id(pid)
    assert (p.code, p.name, p.activation_min) == ("P01", "拉卡拉电签Pro", 100)
    with pytest.raises(UserError, match="已存在"):
        svc.save_product(P01)


PRICE = {"effective_from": "2026-10-01", "credit_rate": "0.60%", "debit_rate": "0.55%",
         "debit_cap": "25", "scan_rate": "0.38%", "per_txn": ""}


def test_price_rows_add_change_delete(db):
    svc.save_product(P01)
    pid = Product.get(Product.code == "P01").id
    svc.save_price(pid, PRICE)
    svc.save_price(pid, dict(PRICE, effective_from="2026-11-01", credit_rate="0.63%"))
    rows = svc.price_rows(pid)
    # 0.60% = 6,000 ppm; 25 元 cap = 2,500 fen; newest first
    assert [(r.effective_from, r.credit_rate) for r in rows] == [
        (dt.date(2026, 11, 1), 6300), (dt.date(2026, 10, 1), 6000)]
    assert (rows[1].debit_cap, rows[1].per_txn, rows[1].locked) == (2500, 0, False)
    svc.save_price(pid, dict(PRICE, credit_rate="0.61%"))  # same day: changed, not added
    assert Price.select().count() == 2
    assert svc.price_form(svc.price_rows(pid)[1])["credit_rate"] == "0.61%"
    svc.delete_price(pid, dt.date(2026, 11, 1))
    assert [r.effective_from for r in svc.price_rows(pid)] == [dt.date(2026, 10, 1)]
    with pytest.raises(UserError, match="贷记卡费率"):
        svc.save_price(pid, dict(PRICE, credit_rate="12%"))  # above 10 %: a typo


def test_locked_months_keep_their_prices(db, tmp_path):
    from app.core import settlement
    from tests.helpers import Office

    Office(tmp_path).base()
    settlement.lock_month("2026-10")
    pid = Product.get(Product.code == "P1").id
    assert svc.price_rows(pid)[0].locked
    with pytest.raises(UserError, match="已锁定"):
        svc.save_price(pid, dict(PRICE, effective_from="2026-10-15"))
    with pytest.raises(UserError, match="已锁定"):
        svc.delete_price(pid, dt.date(2026, 10, 1))
    svc.save_price(pid, dict(PRICE, effective_from="2026-11-01"))


def test_delete_product_only_while_unused(db):
    svc.save_product(P01)
    pid = Product.get(Product.code == "P01").id
    svc.save_price(pid, PRICE)
    with pytest.raises(UserError, match="不能删除"):
        svc.delete_product("P01")
    svc.delete_price(pid, dt.date(2026, 10, 1))
    svc.delete_product("P01")
    assert Product.select().count() == 0
