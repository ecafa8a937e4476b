"""The month compute's passes: debit cap bands, and parallel readers vs the main connection."""

from __future__ import annotations

from app.core import derived, scans, settlement
from app.core.money import MICRO
from app.core.policy import Terms
from app.io.demo_load import load_demo


def test_debit_band_is_the_count_of_thresholds_reached():
    edges = [100, 250, 400, 1_000, 5_000]
    amounts = [99, 100, 101, 249, 250, 399, 400, 999, 1_000, 4_999, 5_000, 9_999_999, -99, -250, -5_000]
    got = {a: scans.debit_band(edges, a) for a in amounts}
    # band 0 below every threshold; band i holds |amount| from edges[i-1] up to (not
    # including) edges[i]; a refund is banded by its absolute amount
    assert got == {
        99: 0, 100: 1, 101: 1, 249: 1, 250: 2, 399: 2, 400: 3, 999: 3, 1_000: 4, 4_999: 4,
        5_000: 5, 9_999_999: 5, -99: 0, -250: 2, -5_000: 5,
    }  # fmt: skip
    assert scans.debit_band([], 10**9) == 0  # a product without caps


def test_band_fee_is_the_sum_of_per_transaction_fees():
    # A: debit 0.55 %, cap 20.00 → its cap bites from 2000 × 10⁶ / 5500 = 363,636.4 fen,
    #    i.e. from 363,637 fen (3,636.37 元).
    # B: debit 0.50 %, cap 25.00 → from 2500 × 10⁶ / 5000 = 500,000 fen (5,000.00 元).
    a = Terms(debit_rate=5500, debit_cap=2000, per_txn=5)
    b = Terms(debit_rate=5000, debit_cap=2500, per_txn=3)
    assert (a.cap_threshold(), b.cap_threshold()) == (363_637, 500_000)
    edges = [363_637, 500_000]
    # band 1: 4,000.00 and 4,500.00 元.  A is capped on both: 2 × 20.00 + 2 × 0.05 = 40.10;
    # B is not: (400,000 + 450,000) × 0.5 % = 4,250 fen, + 2 × 0.03 = 42.56 元.
    assert a.bucket_fee_micro("debit", 850_000, 2, False, edges[0]) == 4_010 * MICRO
    assert b.bucket_fee_micro("debit", 850_000, 2, False, edges[0]) == 4_256 * MICRO
    # band 2: 6,000.00 元, both capped; a refund of it reverses the capped part only
    assert b.bucket_fee_micro("debit", 600_000, 1, False, edges[1]) == 2_503 * MICRO
    assert b.bucket_fee_micro("debit", -600_000, 1, True, edges[1]) == -2_500 * MICRO
    # and always the same as pricing one by one
    for terms in (a, b):
        for low, group in ((edges[0], [400_000, 450_000, 499_999]), (edges[1], [500_000, 10**7])):
            for refund in (False, True):
                signed = [-x if refund else x for x in group]
                one_by_one = sum(terms.fee_micro("debit", x, refund) for x in signed)
                banded = terms.bucket_fee_micro("debit", sum(signed), len(signed), refund, low)
                assert banded == one_by_one


def test_parallel_readers_and_main_connection_give_the_same_month(db, monkeypatch):
    load_demo("small", settle=False)
    monkeypatch.setattr(scans.os, "cpu_count", lambda: 2)
    with scans.Readers() as readers:
        assert readers.parallel  # a file database outside a transaction: threads
    settlement.compute_month("2026-10")
    parallel = settlement.statement_json("2026-10")
    outcomes = db.execute_sql("SELECT * FROM qualify_outcome ORDER BY 1").fetchall()
    with db.atomic():  # inside a caller's transaction the passes run on its connection
        with scans.Readers() as readers:
            assert not readers.parallel
        settlement.compute_month("2026-10")
    assert settlement.statement_json("2026-10") == parallel
    assert parallel["statements"]
    assert db.execute_sql("SELECT * FROM qualify_outcome ORDER BY 1").fetchall() == outcomes
    assert any(reached for _t, _end, reached in outcomes)  # the 达标 pass found some


def test_readers_open_a_database_whose_path_has_spaces_hash_and_chinese(tmp_path):
    from app.models.db import open_database

    db = open_database(tmp_path / "代理 #1" / "posdesk.db")
    try:
        db.execute_sql("INSERT INTO setting (key, value) VALUES ('agency_name', '鑫联')")
        with scans.Readers(workers=2) as readers:
            assert readers.parallel
            row = readers.submit(
                lambda con: con.execute("SELECT value FROM setting").fetchone()
            ).result()
        assert row == ("鑫联",)
    finally:
        db.close()


def test_holding_in_sql_agrees_with_the_python_replay(db):
    """The shares pass cuts each terminal's month by its holders in SQL (derived.refresh);
    the per-terminal amounts take them from ownership.build_replays.  Same rule: on every
    day, every terminal, the same holder."""
    import datetime as dt

    load_demo("small", settle=False)
    # one stock terminal with a busy life: three moves on one day (the last counts), a
    # recall, and a loss (keeps its holder)
    tid = db.execute_sql(
        "SELECT id FROM terminal t WHERE NOT EXISTS (SELECT 1 FROM terminal_event e "
        "WHERE e.terminal_id = t.id AND e.action != 'stock') LIMIT 1"
    ).fetchone()[0]
    a, b, c = (r[0] for r in db.execute_sql("SELECT id FROM agent ORDER BY id LIMIT 3"))
    moves = [
        ("2026-09-03", "allocate", a), ("2026-09-10", "transfer", b), ("2026-09-10", "recall", None),
        ("2026-09-10", "allocate", c), ("2026-09-20", "recall", None), ("2026-10-02", "allocate", b),
        ("2026-10-15", "lost", None),
    ]  # fmt: skip
    for day, action, agent in moves:
        db.execute_sql(
            "INSERT INTO terminal_event (terminal_id, date, action, to_agent_id, deposit_method, "
            "operator, created) VALUES (?, ?, ?, ?, 'deduct', '', '2026-10-31 00:00:00')",
            (tid, day, action, agent),
        )
    ctx = settlement.load_context()
    con = db.connection()
    derived.refresh(con)  # the moves inserted above marked the terminal (a trigger)
    rows = con.execute("SELECT terminal_id, start, finish, holder FROM terminal_holding").fetchall()
    assert {r[0] for r in rows} == set(ctx.terminals)
    first, last = dt.date(2026, 7, 1), dt.date(2026, 12, 31)
    days = [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    checked = 0
    for terminal, start, finish, holder in rows:
        rp = ctx.replays.get(terminal)
        for day in days:
            if start <= day < finish:
                expected = rp.holder_on(day) if rp else None
                assert (holder or None) == expected, (terminal, day)
                checked += 1
    assert checked == len(ctx.terminals) * len(days)  # the stretches cover every day once
    mine = [(s, f, h) for t, s, f, h in rows if t == tid]
    assert mine == [
        ("0000-00-00", "2026-09-03", 0), ("2026-09-03", "2026-09-10", a),
        ("2026-09-10", "2026-09-20", c), ("2026-09-20", "2026-10-02", 0),
        ("2026-10-02", "9999-12-31", b),
    ]  # fmt: skip


def test_first_day_reached_sums_the_days_in_order_whatever_order_they_come_in():
    # target 1,000.00: 10-03 +600.00 → 600; 10-05 −200.00 (a refund day) → 400;
    # 10-07 +700.00 → 1,100 ≥ 1,000: reached on 10-07 (the refund on 10-09 undoes nothing)
    days = "2026-10-09 -90000,2026-10-05 -20000,2026-10-07 70000,2026-10-03 60000"
    assert scans.first_day_reached(100_000, days) == "2026-10-07"
    # 600.00 on 10-03 + 500.00 on 10-04 = 1,100.00 ≥ 1,000.00: reached on 10-04
    assert scans.first_day_reached(100_000, "2026-10-03 60000,2026-10-04 50000") == "2026-10-04"
    # exactly the target counts; one fen short never does
    assert scans.first_day_reached(60_000, "2026-10-03 60000") == "2026-10-03"
    assert scans.first_day_reached(60_001, "2026-10-03 60000,2026-10-05 -1") is None


def test_first_day_reached_counts_a_day_with_all_its_transactions():
    # a day may come more than once (its sums of two settlement months, or single
    # transactions): it counts as a whole.
    # target 1,000.00: 10-03 +800.00 and a −100.00 refund the same day → 700.00;
    # 10-04 +200.00 + 150.00 → 1,050.00 ≥ 1,000.00: reached on 10-04
    days = "2026-10-04 20000,2026-10-03 80000,2026-10-04 15000,2026-10-03 -10000"
    assert scans.first_day_reached(100_000, days) == "2026-10-04"
    # +1,000.00 reaches the target during 10-03, but a −300.00 refund that same day
    # leaves the day at 700.00: not reached that day, nor ever
    assert scans.first_day_reached(100_000, "2026-10-03 100000,2026-10-03 -30000") is None
    # a refund entered before the sale of the same day changes nothing: 10-03 nets 1,000.00
    assert scans.first_day_reached(100_000, "2026-10-03 -5000,2026-10-03 105000") == "2026-10-03"


def test_first_day_reached_counts_only_the_days_of_the_window():
    # window 10-05 … 10-20, target 1,000.00.  10-04 +900.00 is before it and 10-21
    # +900.00 after it: neither counts.  10-05 +400.00 → 400; 10-20 +500.00 → 900 < 1,000
    days = "2026-10-04 90000,2026-10-05 40000,2026-10-20 50000,2026-10-21 90000"
    assert scans.first_day_reached(100_000, days, "2026-10-05", "2026-10-20") is None
    # with +100.00 more on its last day (10-20 sums 600.00): 1,000.00, reached on 10-20
    days += ",2026-10-20 10000"
    assert scans.first_day_reached(100_000, days, "2026-10-05", "2026-10-20") == "2026-10-20"
    # the same days without a window: 900.00 on 10-04, then 1,300.00 on 10-05
    assert scans.first_day_reached(100_000, days) == "2026-10-05"
