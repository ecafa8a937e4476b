"""Benchmark of the slip batch (分润单打印, issue 4): all cores against one.

    python -m bench.bench_slips [--agents 5000] [--runs 3] [--processes N]

Builds a temporary database with ``--agents`` synthetic statements (two products each,
a tree of agents, some paid through their parent, a few adjustments, terminals and
transactions for the team figures) by inserting rows directly, then times
``render_batch`` (per-agent files + the combined file + the summary) with
``processes = cores`` and with ``processes = 1``; prints the medians of ``--runs`` runs
and their ratio.  A full run at 5,000 agents writes 10,000 slips per mode (each slip is laid
out once, for its own file, and its pages are copied into the combined file) and takes a few
minutes on a small machine; use a smaller ``--agents`` for the median of three.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MONTH = "2026-10"


def build(path: Path, agents: int, seed: int = 7) -> None:
    """A locked month with one statement per agent, inserted row by row in bulk."""
    from app.models.db import open_database

    rnd = random.Random(seed)
    db = open_database(path)
    cur = db.cursor()
    with db.atomic():
        cur.execute("INSERT INTO setting (key, value) VALUES ('agency_name', '鑫联支付服务中心')")
        cur.execute("INSERT INTO setting (key, value) VALUES ('min_payout', '10000')")
        cur.execute(
            "INSERT INTO product (id, code, name, company, activation_min, qualify_days, "
            "qualify_volume, deposit_days, company_cashback, company_qualify_bonus, "
            "company_unqualified_penalty) VALUES "
            "(1, 'P1', '拉卡拉电签 X1', '拉卡拉', 1, 30, 1000000, NULL, 0, 0, 0),"
            "(2, 'P2', '盛付通 S2', '盛付通', 1, NULL, NULL, NULL, 0, 0, 0)"
        )
        surnames = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗"
        rows = []
        for i in range(1, agents + 1):
            parent = None if i <= max(1, agents // 50) else rnd.randint(1, i - 1)
            via = parent is not None and rnd.random() < 0.2
            rows.append(
                (i, f"A{i:05d}", rnd.choice(surnames) + f"代理{i}", parent,
                 "on_hold" if rnd.random() < 0.02 else "active", f"138{i:08d}",
                 f"1101011990{i:08d}", "via_parent" if via else "direct", 60_000,
                 "招商银行", f"62258801{i:08d}", "", "")
            )  # fmt: skip
        cur.executemany(
            "INSERT INTO agent (id, code, name, parent_id, status, phone, id_no, payout, "
            "tax_rate, bank, bank_account, note, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        statements, lines, adjustments = [], [], []
        for i, row in enumerate(rows, start=1):
            parent, status, payout = row[3], row[4], row[7]
            subtotals = []
            for product in (1, 2):
                cc, dc, sc = rnd.randint(0, 300), rnd.randint(0, 100), rnd.randint(0, 200)
                cv, dv, sv = cc * 300_000, dc * 200_000, sc * 50_000
                ca, da, sa = cv * 6 // 10_000, dv * 5 // 10_000, sv * 3 // 10_000
                cashback = rnd.choice((0, 0, 5_000, 10_000))
                adj = rnd.choice((0,) * 9 + (-1_234,))
                sub = ca + da + sa + cashback + adj
                subtotals.append(sub)
                lines.append(
                    (i, product, cc, cv, ca, dc, dv, da, sc, sv, sa, cashback, 0, 0, 0, 0,
                     adj, 0, sub, 0 if sub > 0 else sub)
                )  # fmt: skip
                if adj:
                    adjustments.append((i, product, MONTH, MONTH, adj, "手续费差额补扣", ""))
            gross = sum(s for s in subtotals if s > 0)
            tax = gross * 6 // 100
            paid = status == "active" and gross - tax >= 10_000
            statements.append(
                (i, MONTH, i, gross, tax if paid else 0, gross - tax if paid else 0,
                 status == "on_hold", paid, parent if payout == "via_parent" else None)
            )  # fmt: skip
        cur.executemany(
            "INSERT INTO statement (id, month, agent_id, gross, tax, payable, on_hold, paid, "
            "paid_by_id) VALUES (?,?,?,?,?,?,?,?,?)",
            statements,
        )
        cur.executemany(
            "INSERT INTO statement_line (statement_id, product_id, credit_count, credit_volume, "
            "credit_amount, debit_count, debit_volume, debit_amount, scan_count, scan_volume, "
            "scan_amount, cashback, qualify_bonus, unqualified_penalty, deposit_refund, "
            "deposit_deduction, adjustment, carried_in, subtotal, carried_out) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            lines,
        )
        cur.executemany(
            "INSERT INTO adjustment (agent_id, product_id, month, original_month, amount, "
            "reason, created) VALUES (?,?,?,?,?,?,?)",
            [a[:6] + ("2026-11-01 09:00:00",) for a in adjustments],
        )
        terminals, events, txns = [], [], []
        for t in range(1, agents * 4 + 1):
            holder = rnd.randint(1, agents)
            act = f"2026-{rnd.randint(8, 10):02d}-{rnd.randint(1, 28):02d}"
            terminals.append((t, f"SN{t:09d}", 1 + t % 2, "2026-08-01", "allocated", holder,
                              act if rnd.random() < 0.7 else None, "", ""))  # fmt: skip
            events.append((t, "2026-08-02", "allocate", holder, "deduct", "", "2026-08-02"))
            for k in range(5):
                day = f"{MONTH}-{rnd.randint(1, 28):02d}"
                txns.append((f"T{t}-{k}", t, 1 + t % 2, day + " 10:00:00", day, MONTH,
                             rnd.randint(1_000, 500_000), "credit", "success", ""))  # fmt: skip
        cur.executemany(
            "INSERT INTO terminal (id, sn, product_id, stocked_on, status, holder_id, "
            "activated_on, merchant_no, merchant_name) VALUES (?,?,?,?,?,?,?,?,?)",
            terminals,
        )
        cur.executemany(
            "INSERT INTO terminal_event (terminal_id, date, action, to_agent_id, "
            "deposit_method, operator, created) VALUES (?,?,?,?,?,?,?)",
            events,
        )
        cur.executemany(
            "INSERT INTO txn (tx_id, terminal_id, product_id, time, date, month, amount, "
            "category, status, merchant_no) VALUES (?,?,?,?,?,?,?,?,?,?)",
            txns,
        )
        cur.execute(
            "INSERT INTO agency_margin (month, product_id, pool, margin) VALUES "
            "(?, 1, 12345678, 234567), (?, 2, 2345678, 34567)",
            (MONTH, MONTH),
        )
        cur.execute(
            "INSERT INTO month_state (month, state, computed_at, locked_at, fingerprint) "
            "VALUES (?, 'locked', '2026-11-02 18:00:00', '2026-11-03 10:00:00', '')",
            (MONTH,),
        )
    db.close()


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the pool's workers)."""
    try:
        import resource
    except ImportError:  # Windows: this process only
        return time.process_time()
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?"


def time_batch(db_path: Path, out: Path, processes: int) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one ``render_batch``."""
    from app.io.slips import render_batch
    from app.models.db import open_database

    db = open_database(db_path)
    shutil.rmtree(out, ignore_errors=True)
    cpu = _cpu()
    start = time.perf_counter()
    result = render_batch(MONTH, out, processes=processes)
    elapsed = time.perf_counter() - start
    cpu = _cpu() - cpu
    assert not result.cancelled and result.combined is not None
    db.close()
    return elapsed, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="posdesk-bench-slips-") as tmp:
        folder = Path(tmp)
        db_path = folder / "bench.db"
        start = time.perf_counter()
        build(db_path, args.agents)
        print(f"{args.agents} statements built in {time.perf_counter() - start:.1f} s")
        # a machine shared with other work lends this run only part of its cores: the CPU
        # seconds and the load average say how much
        print(f"load average before: {_load()} on {os.cpu_count()} cores")
        walls: dict[int, list[float]] = {args.processes: [], 1: []}
        cpus: dict[int, list[float]] = {args.processes: [], 1: []}
        for run in range(args.runs):
            for procs in walls:
                wall, cpu = time_batch(db_path, folder / "out", procs)
                walls[procs].append(wall)
                cpus[procs].append(cpu)
                print(f"  run {run + 1}: processes={procs:<2} {wall:7.1f} s wall {cpu:7.1f} s CPU")
        slips = args.agents * 2  # a file per agent plus the same slip in the combined file
        print(
            f"render_batch, {args.agents} agents ({slips} slips + summary), median of {args.runs}:"
        )
        for procs, times in walls.items():
            wall, cpu = statistics.median(times), statistics.median(cpus[procs])
            print(
                f"  processes={procs}: {wall:7.1f} s wall ({wall / slips * 1000:.0f} ms/slip), "
                f"{cpu:.1f} s CPU ({cpu / wall:.2f} cores busy)"
            )
        ratio = statistics.median(walls[1]) / statistics.median(walls[args.processes])
        print(f"  speed-up: {ratio:.2f}x with {args.processes} processes")
        print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
