"""``derived.verify`` finds a stored derived table that differs from the raw rows, each
of them; ``rebuild`` (the readiness check's one-click repair) puts it right."""

from __future__ import annotations

import pytest

from app.core import closing, derived
from app.io.demo_load import load_demo

SPOIL = {
    # WITHOUT ROWID tables have no rowid: spoiled through their key
    "terminal_holding": "UPDATE terminal_holding SET holder = holder + 1 WHERE (terminal_id, start) = "
                        "(SELECT terminal_id, start FROM terminal_holding WHERE holder > 0 LIMIT 1)",
    "txn_day": "DELETE FROM txn_day WHERE terminal_id = (SELECT MIN(terminal_id) FROM txn_day)",
    "txn_volume": "UPDATE txn_volume SET positive = positive + 100 "
                  "WHERE terminal_id = (SELECT MIN(terminal_id) FROM txn_volume)",
    "terminal.first_tx_on": "UPDATE terminal SET first_tx_on = NULL "
                            "WHERE id = (SELECT MIN(id) FROM terminal WHERE first_tx_on IS NOT NULL)",
}


@pytest.fixture
def demo(db):
    load_demo("small", settle=False)
    return db


def test_the_demo_as_imported_agrees(demo):
    with demo.atomic():
        assert derived.verify(demo.connection()) == []
    check = closing.check_derived()
    assert check.ok and check.count == 0 and check.blocking and check.repair


@pytest.mark.parametrize("table", list(SPOIL))
def test_a_spoiled_table_is_found_and_the_repair_rebuilds_it(demo, table):
    with demo.atomic():
        demo.execute_sql(SPOIL[table])
    with demo.atomic():
        found = derived.verify(demo.connection())
    assert [d.table for d in found] == [table]
    assert found[0].missing + found[0].extra >= 1 and found[0].sample
    check = closing.check_derived()
    assert not check.ok and check.count >= 1 and check.rows[0][1] == table
    closing.repair_derived()
    assert closing.check_derived().ok


def test_verify_leaves_the_tables_as_they_were(demo):
    demo.execute_sql(SPOIL["txn_volume"])
    before = demo.execute_sql("SELECT * FROM txn_volume ORDER BY 1, 2, 3").fetchall()
    with demo.atomic():
        assert derived.verify(demo.connection())
    assert demo.execute_sql("SELECT * FROM txn_volume ORDER BY 1, 2, 3").fetchall() == before


def test_first_activating_day_follows_the_threshold(db, tmp_path):
    """first_tx_on: the first day with a successful transaction of at least the product's
    激活 threshold.  T1 sells 30.00 on 10-02 and 80.00 on 10-05: with the default
    threshold (0.01) it is activated on 10-02; with 50.00, on 10-05; undoing the file
    leaves it without one."""
    from app.core.imports import undo_batch
    from app.io.importers import import_file

    def w(name, text):
        (tmp_path / name).write_text(text, encoding="utf-8")
        return tmp_path / name

    import_file("products", w("p.csv", "code,name\nP1,产品\n"))
    import_file("terminals", w("t.csv", "sn,product,stocked\nT1,P1,2026-09-01\n"))
    report = import_file("transactions", w("x.csv", "tx_id,time,sn,amount,category,status\n"
                                           "X1,2026-10-02 10:00:00,T1,30.00,贷记卡,成功\n"
                                           "X2,2026-10-05 10:00:00,T1,80.00,贷记卡,成功\n"))
    first = "SELECT first_tx_on FROM terminal WHERE sn = 'T1'"
    assert str(db.execute_sql(first).fetchone()[0]) == "2026-10-02"
    import_file("products", w("p2.csv", "code,name,activation_min\nP1,产品,50.00\n"))
    assert str(db.execute_sql(first).fetchone()[0]) == "2026-10-05"
    undo_batch(report.batch_id)
    assert db.execute_sql(first).fetchone()[0] is None
    with db.atomic():
        assert derived.verify(db.connection()) == []
