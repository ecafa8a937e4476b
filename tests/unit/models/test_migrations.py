"""A database made by an older version opens in the newer one."""

from __future__ import annotations

import importlib
import sqlite3

from app.models.db import open_database
from app.models.migrations import LATEST, MIGRATIONS, schema_version


def test_v1_database_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    for sql in importlib.import_module("app.models.migrations.0001_initial").STATEMENTS:
        con.execute(sql)
    con.execute("PRAGMA user_version = 1")
    con.execute(
        "INSERT INTO agent (code, name, status, phone, id_no, payout, tax_rate, bank, bank_account, note, tags) "
        "VALUES ('A1', '张建国', 'active', '', '', 'direct', 0, '', '', '', '')"
    )
    # transactions of one terminal: 10.00 + 5.00 in October (a refund and a failed one
    # do not count), 2.00 in November
    con.execute(
        "INSERT INTO txn (tx_id, terminal_id, product_id, time, date, month, amount, category, "
        "status, merchant_no) VALUES "
        "('X1', 1, 1, '', '2026-10-01', '2026-10', 1000, 'credit', 'success', ''), "
        "('X2', 1, 1, '', '2026-10-09', '2026-10', 500, 'scan', 'success', ''), "
        "('X3', 1, 1, '', '2026-10-09', '2026-10', -300, 'credit', 'refund', ''), "
        "('X4', 1, 1, '', '2026-10-10', '2026-10', 9900, 'credit', 'failed', ''), "
        "('X5', 1, 1, '', '2026-11-02', '2026-11', 200, 'debit', 'success', '')"
    )
    con.commit()
    con.close()

    db = open_database(path)
    assert schema_version(db) == LATEST == len(MIGRATIONS)
    assert "follow_up" in db.get_tables()
    indexes = {i.name for i in db.get_indexes("txn")}
    assert "txn_settle" in indexes  # v3: the month compute's covering index
    assert db.execute_sql("SELECT name FROM agent WHERE code = 'A1'").fetchone()[0] == "张建国"
    # v6: the day sums the 达标 pass reads, made at the first refresh (import or compute):
    # 10-01 +10.00; 10-09 +5.00 − 3.00 = 2.00 (a refund counts, negative); 11-02 +2.00
    from app.core import derived

    with db.atomic():
        derived.refresh(db.connection())
    assert db.execute_sql("SELECT * FROM txn_day ORDER BY month").fetchall() == [
        ("2026-10", 1, "2026-10-01 1000,2026-10-09 200"), ("2026-11", 1, "2026-11-02 200")
    ]
    # v5/v13: the 达标 pass's positive volume by terminal, calendar and settlement month
    # (10.00 + 5.00; the refund and the failed one do not count); no first activating
    # day: these raw rows name no stored terminal, so there is no threshold to reach
    assert db.execute_sql(
        "SELECT terminal_id, month, settle, positive, first_on FROM txn_volume ORDER BY month"
    ).fetchall() == [(1, "2026-10", "2026-10", 1500, None), (1, "2026-11", "2026-11", 200, None)]
    db.close()
    # opening again applies nothing more
    db = open_database(path)
    assert schema_version(db) == LATEST
    db.close()


def test_every_model_matches_its_table_column_for_column(db):
    """The models and the migrations describe the same tables: a model without its table,
    a field with no column (or a column the model does not know) fails here, not in a
    query at run time."""
    from app.models import ALL_MODELS

    tables = set(db.get_tables())
    assert {m._meta.table_name for m in ALL_MODELS} <= tables
    for model in ALL_MODELS:
        table = model._meta.table_name
        columns = {c.name for c in db.get_columns(table)}
        fields = {f.column_name for f in model._meta.sorted_fields}
        assert fields == columns, table
