"""The holding timelines and day sums kept for the compute (app.core.derived) stay equal
to what the moves and transactions give when worked out from scratch, whatever wrote
them: imports, undo, or plain SQL."""

from __future__ import annotations

from app.core import derived, settlement
from app.core.imports import undo_batch
from app.io.demo_load import load_demo
from app.io.importers import import_file


def _kept(db) -> tuple[list, list]:
    return (
        db.execute_sql("SELECT * FROM terminal_holding ORDER BY 1, 2").fetchall(),
        db.execute_sql("SELECT * FROM txn_day ORDER BY 1, 2").fetchall(),
    )


def _from_scratch(db) -> tuple[list, list]:
    """Both tables rebuilt from nothing, in a transaction rolled back."""
    with db.atomic() as txn:
        db.execute_sql("DELETE FROM terminal_holding")
        db.execute_sql("DELETE FROM txn_day")
        db.execute_sql("INSERT OR IGNORE INTO holding_dirty SELECT id FROM terminal")
        db.execute_sql("UPDATE derived_mark SET txn_seen = 0")
        derived.refresh(db.connection())
        out = _kept(db)
        txn.rollback()
    return out


def _hand_txn(con, tx_id: str, tid: int, pid: int, at: str, amount: int, category: str) -> None:
    """A successful transaction written by plain SQL, as a repair by hand would."""
    con.execute(
        "INSERT INTO txn (tx_id, terminal_id, product_id, time, date, month, amount, "
        "category, status, merchant_no) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'success', '')",
        (tx_id, tid, pid, at, at[:10], at[:7], amount, category),
    )


def _nothing_pending(db) -> bool:
    seen = db.execute_sql("SELECT txn_seen FROM derived_mark").fetchone()[0]
    return (
        db.execute_sql("SELECT COUNT(*) FROM holding_dirty").fetchone()[0] == 0
        and db.execute_sql("SELECT COUNT(*) FROM txn_day_dirty").fetchone()[0] == 0
        and seen == db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM txn").fetchone()[0]
    )


def test_imports_and_undo_leave_the_tables_as_worked_out_from_scratch(db, tmp_path):
    load_demo("small", settle=False)
    assert _nothing_pending(db)  # each import brought them up to date as it finished
    kept = _kept(db)
    assert kept == _from_scratch(db)
    assert kept[0] and kept[1]
    # one terminal's October, by hand: its counted transactions summed by day
    tid = kept[1][-1][1]
    rows = db.execute_sql(
        "SELECT date, SUM(amount) FROM txn WHERE terminal_id = ? AND month = '2026-10' "
        "AND status IN ('success', 'refund') GROUP BY date ORDER BY date",
        (tid,),
    ).fetchall()
    days = dict(db.execute_sql("SELECT terminal_id, days FROM txn_day WHERE month = '2026-10'"))
    assert sorted(days[tid].split(",")) == [f"{d} {a}" for d, a in rows]

    # a late file for October: three sales of one terminal, one of them on a new day
    sn = db.execute_sql("SELECT sn FROM terminal WHERE id = ?", (tid,)).fetchone()[0]
    path = tmp_path / "late.csv"
    path.write_text(
        "交易流水号,交易时间,终端SN,交易金额,卡类型,交易状态\n"
        f"LATE1,2026-10-30 10:00:00,{sn},100.00,贷记卡,成功\n"
        f"LATE2,2026-10-30 11:00:00,{sn},50.00,扫码,成功\n"
        f"LATE3,2026-10-31 09:00:00,{sn},25.00,借记卡,退货\n",
        encoding="utf-8",
    )
    report = import_file("transactions", path)
    assert _nothing_pending(db) and _kept(db) == _from_scratch(db)
    after = dict(db.execute_sql("SELECT terminal_id, days FROM txn_day WHERE month = '2026-10'"))
    entries = dict(e.split(" ") for e in after[tid].split(","))
    before = dict(e.split(" ") for e in days[tid].split(","))
    # 10-30: +100.00 + 50.00 more than before; 10-31: −25.00 (a refund) more
    assert int(entries["2026-10-30"]) == int(before.get("2026-10-30", 0)) + 15_000
    assert int(entries["2026-10-31"]) == int(before.get("2026-10-31", 0)) - 2_500
    import_file("transactions", path)  # again: nothing added, nothing changes
    assert (
        dict(db.execute_sql("SELECT terminal_id, days FROM txn_day WHERE month = '2026-10'"))
        == after
    )

    undo_batch(report.batch_id)
    assert _nothing_pending(db) and _kept(db) == kept

    moves = db.execute_sql(
        "SELECT id FROM import_batch WHERE kind = 'moves' AND undone = 0 ORDER BY id DESC LIMIT 1"
    ).fetchone()[0]
    undo_batch(moves)
    assert _nothing_pending(db) and _kept(db) == _from_scratch(db)
    assert _kept(db)[0] != kept[0]  # the undone moves' holders are gone


def test_plain_sql_writes_are_found_by_the_compute(db):
    """Rows written without an import (a repair by hand, a test) are found by the next
    compute: new transactions by their ids, deleted and changed ones and moves by the
    triggers."""
    load_demo("small", settle=False)
    con = db.connection()
    tid, pid, day = db.execute_sql(
        "SELECT terminal_id, product_id, MIN(date) FROM txn WHERE month = '2026-10'"
    ).fetchone()
    a, b = (r[0] for r in db.execute_sql("SELECT id FROM txn WHERE month = '2026-09' LIMIT 2"))
    with db.atomic():
        assert day.startswith("2026-10")
        _hand_txn(con, "HAND1", tid, pid, day + " 08:00:00", 12345, "credit")
        con.execute("DELETE FROM txn WHERE id = ?", (a,))
        con.execute("UPDATE txn SET amount = amount + 1 WHERE id = ?", (b,))
        other = db.execute_sql("SELECT id FROM agent ORDER BY id DESC LIMIT 1").fetchone()[0]
        con.execute(
            "INSERT INTO terminal_event (terminal_id, date, action, to_agent_id, deposit_method, "
            "operator, created) VALUES (?, '2026-10-20', 'transfer', ?, 'deduct', '', "
            "'2026-10-31 00:00:00')",
            (tid, other),
        )
    assert not _nothing_pending(db)
    settlement.compute_month("2026-10")
    assert _nothing_pending(db) and _kept(db) == _from_scratch(db)
    spans = db.execute_sql(
        "SELECT start, holder FROM terminal_holding WHERE terminal_id = ? ORDER BY start", (tid,)
    ).fetchall()
    assert spans[-1] == ("2026-10-20", other)


def test_an_id_used_again_after_a_delete_is_still_found(db):
    """SQLite gives the next insert the highest id + 1: after the last transaction is
    deleted, a new one gets its id again.  The delete puts the mark back below it, so the
    new row (of another month than the deleted one) is summed all the same."""
    load_demo("small", settle=False)
    con = db.connection()
    last, tid, pid = db.execute_sql(
        "SELECT id, terminal_id, product_id FROM txn ORDER BY id DESC LIMIT 1"
    ).fetchone()
    with db.atomic():
        con.execute("DELETE FROM txn WHERE id = ?", (last,))
        _hand_txn(con, "AGAIN", tid, pid, "2026-11-03 09:00:00", 777, "scan")
        assert con.execute("SELECT id FROM txn WHERE tx_id = 'AGAIN'").fetchone()[0] == last
        derived.refresh(con)
    assert _nothing_pending(db) and _kept(db) == _from_scratch(db)
    assert db.execute_sql(
        "SELECT days FROM txn_day WHERE month = '2026-11' AND terminal_id = ?", (tid,)
    ).fetchone() == ("2026-11-03 777",)


def test_an_import_after_unseen_rows_sums_their_months_too(db, tmp_path):
    """A transaction written by hand (not yet summed) before an import: the import's own
    months are not all there is to sum, and the refresh at its end finds the other one."""
    load_demo("small", settle=False)
    con = db.connection()
    tid, pid, sn = db.execute_sql(
        "SELECT t.id, t.product_id, t.sn FROM terminal t JOIN txn x ON x.terminal_id = t.id "
        "LIMIT 1"
    ).fetchone()
    with db.atomic():
        _hand_txn(con, "BYHAND", tid, pid, "2026-11-04 09:00:00", 4321, "credit")
    path = tmp_path / "oct.csv"
    path.write_text(
        "交易流水号,交易时间,终端SN,交易金额,卡类型,交易状态\n"
        f"OCT1,2026-10-30 10:00:00,{sn},100.00,贷记卡,成功\n",
        encoding="utf-8",
    )
    import_file("transactions", path)
    assert _nothing_pending(db) and _kept(db) == _from_scratch(db)
    assert db.execute_sql(
        "SELECT days FROM txn_day WHERE month = '2026-11' AND terminal_id = ?", (tid,)
    ).fetchone() == ("2026-11-04 4321",)
