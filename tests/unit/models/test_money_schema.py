"""Migration 7: the database itself refuses a money value that is not whole fen in range
(FORMATS "Values"), whichever program writes it."""

from __future__ import annotations

import importlib
import sqlite3

import pytest

from app.models.db import open_database

M7 = importlib.import_module("app.models.migrations.0007_values")


@pytest.fixture
def con(tmp_path):
    path = tmp_path / "m.db"
    open_database(path).close()
    c = sqlite3.connect(path)
    c.execute("PRAGMA foreign_keys = ON")
    c.execute("INSERT INTO import_batch (id, kind, file_name, created, added, updated, skipped, undone) "
              "VALUES (1, 'transactions', 'a.csv', '2026-10-01', 0, 0, 0, 0)")
    c.execute("INSERT INTO product (id, code, name, company, activation_min, company_cashback, "
              "company_qualify_bonus, company_unqualified_penalty) VALUES (1, 'P1', 'p', '', 1, 0, 0, 0)")
    c.execute("INSERT INTO terminal (id, sn, product_id, stocked_on, status, merchant_no, merchant_name) "
              "VALUES (1, 'SN1', 1, '2026-01-01', 'in_stock', '', '')")
    c.execute("INSERT INTO agent (id, code, name, status, phone, id_no, payout, tax_rate, bank, bank_account, "
              "note, tags) VALUES (1, 'A1', 'a', 'active', '', '', 'direct', 0, '', '', '', '')")
    c.commit()
    yield c
    c.close()


def _txn(con, amount, fee=None, tx="T1"):
    con.execute(
        "INSERT INTO txn (tx_id, terminal_id, product_id, time, date, month, amount, category, status, "
        "merchant_no, fee, batch_id, src_row) VALUES (?, 1, 1, '2026-10-05 10:00:00', '2026-10-05', "
        "'2026-10', ?, 'credit', 'success', '', ?, 1, 2)", (tx, amount, fee))


@pytest.mark.parametrize("amount", [12.5, 1e20, 100_000_000_001, -100_000_000_001, "12.30", float("inf")])
def test_txn_amount_must_be_whole_fen_in_range(con, amount):
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        _txn(con, amount)


def test_txn_fee_checked_and_good_rows_pass(con):
    with pytest.raises(sqlite3.IntegrityError):
        _txn(con, 100, fee=0.5)
    _txn(con, 100_000_000_000, fee=60)
    _txn(con, -100_000_000_000, tx="T2")
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("UPDATE txn SET amount = 1.5 WHERE tx_id = 'T1'")
    assert con.execute("SELECT COUNT(*) FROM txn").fetchone()[0] == 2


@pytest.mark.parametrize("sql", [
    "INSERT INTO adjustment (agent_id, product_id, month, original_month, amount, reason, created) "
    "VALUES (1, 1, '2026-10', '2026-10', 1e20, 'x', '2026-10-01')",
    "INSERT INTO adjustment (agent_id, product_id, month, original_month, amount, reason, created) "
    "VALUES (1, 1, '2026-10', '2026-10', 12.5, 'x', '2026-10-01')",
    "UPDATE product SET company_cashback = 100000000001",
    "UPDATE product SET activation_min = 0.5",
    "INSERT INTO price (product_id, effective_from, credit_rate, debit_rate, debit_cap, scan_rate, per_txn) "
    "VALUES (1, '2026-10-01', 6000, 5000, 2000.5, 3800, 0)",
    "INSERT INTO statement (month, agent_id, gross, tax, payable, on_hold, paid) "
    "VALUES ('2026-10', 1, 10.5, 0, 0, 0, 0)",
])
def test_other_money_columns_refuse_real_and_oversized(con, sql):
    with pytest.raises(sqlite3.IntegrityError, match="金额必须是整数分"):
        con.execute(sql)


def test_triggers_cover_every_listed_column():
    names = {s.split('"')[1] for s in M7.trigger_statements()}
    for table in {**M7.INPUT_MONEY, **M7.COMPUTED_MONEY}:
        assert {f"money_{table}_ins", f"money_{table}_upd"} <= names
