"""Benchmarks of the settlement core on the large demo (issue 3).

    python -m bench.run [--runs 3] [--compute-runs 9] [--write]

Measures, each against a baseline timed in the same run on the same machine:
* transaction import (read CSV, validate, insert) vs a raw ``sqlite3.executemany`` of the
  same, already parsed rows into the same table (target ≤ 2×);
* month compute vs a raw SQL ``GROUP BY`` pass over the same transactions (target ≤ 3×,
  and ≤ 10 s): the *first* compute of the freshly imported month (each run on its own
  copy of the database), and a recompute of the computed month (nothing changed);
* peak memory (max RSS) of a process that imports the month and computes it (≤ 400 MB).
Prints medians and ratios; ``--write`` also records them in bench/RESULTS.md.  The
compute rounds (a ``GROUP BY``, a first compute, a recompute, each in a fresh process on
one fresh copy) are cheap, so there are more of them than imports: on a shared virtual
machine the speed of either side drifts from minute to minute, and the per-round ratios
are printed too, with their median, next to the ratio of the medians.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def _machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def prepare(folder: Path) -> tuple[Path, Path]:
    """The large demo's files, and a database holding everything but the transactions."""
    from app.io.demo import write_demo_files
    from app.io.importers import import_file
    from app.models.db import open_database

    files = folder / "files"
    base = folder / "base.db"
    if base.exists() and (files / "transactions.csv").exists():
        _current(base)
        return base, files / "transactions.csv"
    files.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    demo = write_demo_files(files, scale="large")
    print(f"large demo files written in {time.perf_counter() - t:.1f} s")
    db = open_database(base)
    tx_path = None
    for kind, path in demo.files:
        if kind == "transactions":
            tx_path = path
            continue
        if kind == "adjustments":
            continue
        t = time.perf_counter()
        import_file(kind, path)
        print(f"  import {kind:<12} {time.perf_counter() - t:6.1f} s")
    db.close()
    assert tx_path is not None
    return base, tx_path


def _current(base: Path) -> None:
    """A base kept from an earlier run brought to this schema, its holding timelines
    refreshed (app.core.derived), as the moves import of this version leaves them."""
    from app.core import derived
    from app.models.db import open_database

    db = open_database(base)
    with db.atomic():
        derived.refresh(db.connection())
    db.close()


def _copy(src: Path, dst: Path) -> None:
    """Copy a database and flush it to disk before anything is timed: otherwise the
    kernel writes the 500 MB copy back during the measurement that follows."""
    shutil.copy(src, dst)
    if hasattr(os, "sync"):
        os.sync()


def _child(code: str) -> float:
    """Run ``code`` in a fresh interpreter; it prints its elapsed seconds last."""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


IMPORT_CODE = """
import time
from app.models.db import open_database
from app.io.importers import import_file
db = open_database({db!r})
t = time.perf_counter()
r = import_file("transactions", {csv!r})
print(r.added); print(time.perf_counter() - t)
"""

RAW_CODE = """
import csv, sqlite3, time
from app.core.money import parse_money
con = sqlite3.connect({db!r}, isolation_level=None)
for pragma in ("journal_mode = wal", "foreign_keys = 1", "synchronous = normal", "cache_size = -64000"):
    con.execute("PRAGMA " + pragma)  # the very settings the app's connection uses
con.isolation_level = ""
sn = dict(con.execute("SELECT sn, id FROM terminal"))
pid = dict(con.execute("SELECT id, product_id FROM terminal"))
cat = {{"贷记卡": "credit", "借记卡": "debit", "扫码": "scan", "credit": "credit", "debit": "debit", "scan": "scan"}}
rows = []
with open({csv!r}, encoding="utf-8-sig", newline="") as f:
    r = csv.reader(f); head = next(r); ix = {{h: i for i, h in enumerate(head)}}
    for v in r:
        t = sn[v[ix["sn"]]]; when = v[ix["time"]]
        st = v[ix["status"]] or "success"
        st = {{"成功": "success", "撤销": "void", "冲正": "reversal", "失败": "failed", "退货": "refund"}}.get(st, st)
        amount = parse_money(v[ix["amount"]])
        rows.append((v[ix["tx_id"]], t, pid[t], when, when[:10], when[:7], -amount if st == "refund" else amount,
                     cat.get(v[ix["category"]], v[ix["category"]]), st, v[ix.get("merchant_no", 0)], None, None))
t0 = time.perf_counter()
with con:
    con.executemany("INSERT INTO txn (tx_id, terminal_id, product_id, time, date, month, amount, category, status, merchant_no, fee, batch_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
print(len(rows)); print(time.perf_counter() - t0)
"""

COMPUTE_CODE = """
import time
from app.models.db import open_database
from app.core.settlement import compute_month
db = open_database({db!r})
t = time.perf_counter()
compute_month("2026-10")
print(time.perf_counter() - t)
"""

GROUPBY_CODE = """
import sqlite3, time
con = sqlite3.connect({db!r})
con.execute("PRAGMA cache_size = -64000")
t = time.perf_counter()
rows = con.execute("SELECT terminal_id, category, COUNT(*), SUM(amount) FROM txn WHERE month = '2026-10' "
                   "AND status IN ('success', 'refund') GROUP BY terminal_id, category").fetchall()
print(len(rows)); print(time.perf_counter() - t)
"""

PEAK_CODE = """
import resource, time
from app.models.db import open_database
from app.io.importers import import_file
from app.core.settlement import compute_month
db = open_database({db!r})
import_file("transactions", {csv!r})
compute_month("2026-10")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3, help="rounds of import")
    ap.add_argument("--compute-runs", type=int, default=9, help="rounds of compute")
    ap.add_argument("--write", action="store_true", help="record the results in bench/RESULTS.md")
    args = ap.parse_args()
    base, tx_csv = prepare(OUT / "large")
    with open(tx_csv, encoding="utf-8") as f:
        n_rows = sum(1 for _ in csv.reader(f)) - 1
    print(f"{n_rows:,} transactions in {tx_csv.name} ({tx_csv.stat().st_size / 1e6:.0f} MB)")
    imp, raw, comp, recomp, grp = [], [], [], [], []
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        for i in range(args.runs):
            a, b = Path(tmp) / f"imp{i}.db", Path(tmp) / f"raw{i}.db"
            _copy(base, a)
            _copy(base, b)
            imp.append(_child(IMPORT_CODE.format(db=str(a), csv=str(tx_csv))))
            raw.append(_child(RAW_CODE.format(db=str(b), csv=str(tx_csv))))
            print(f"  run {i + 1}: import {imp[-1]:.2f} s, raw executemany {raw[-1]:.2f} s")
            b.unlink()
        full = Path(tmp) / "imp0.db"
        for i in range(1, args.runs):
            (Path(tmp) / f"imp{i}.db").unlink()
        for i in range(args.compute_runs):
            fresh = Path(tmp) / f"comp{i}.db"
            _copy(full, fresh)  # the imported month, never computed
            grp.append(_child(GROUPBY_CODE.format(db=str(fresh))))
            comp.append(_child(COMPUTE_CODE.format(db=str(fresh))))
            recomp.append(_child(COMPUTE_CODE.format(db=str(fresh))))
            print(f"  run {i + 1}: raw GROUP BY {grp[-1]:.2f} s, first month compute {comp[-1]:.2f} s, "
                  f"recompute {recomp[-1]:.2f} s")
            fresh.unlink()
        peak_db = Path(tmp) / "peak.db"
        _copy(base, peak_db)
        peak = _child(PEAK_CODE.format(db=str(peak_db), csv=str(tx_csv)))
    m = {k: statistics.median(v) for k, v in
         (("imp", imp), ("raw", raw), ("comp", comp), ("recomp", recomp), ("grp", grp))}  # fmt: skip
    first = [c / g for c, g in zip(comp, grp, strict=True)]
    again = [c / g for c, g in zip(recomp, grp, strict=True)]
    lines = [
        f"Machine: {_machine()}",
        f"Data: large demo, {n_rows:,} transactions in one month; medians of {args.runs} "
        f"import runs and {args.compute_runs} compute rounds",
        "",
        "| measure | median | baseline (same run) | ratio | target |",
        "|---|---|---|---|---|",
        f"| transaction import | {m['imp']:.2f} s | raw executemany {m['raw']:.2f} s | {m['imp'] / m['raw']:.2f}× | ≤ 2× |",
        f"| month compute, first | {m['comp']:.2f} s | raw GROUP BY {m['grp']:.2f} s | {m['comp'] / m['grp']:.2f}× | ≤ 3×, ≤ 10 s |",
        f"| month compute, again | {m['recomp']:.2f} s | raw GROUP BY {m['grp']:.2f} s | {m['recomp'] / m['grp']:.2f}× | ≤ 3×, ≤ 10 s |",
        f"| peak memory (import + compute) | {peak:.0f} MB | | | ≤ 400 MB |",
        "",
        "Compute vs GROUP BY, round by round (each round: GROUP BY, first compute, recompute):",
        "",
        "| round | " + " | ".join(str(i + 1) for i in range(len(grp))) + " | median |",
        "|---|" + "---|" * (len(grp) + 1),
        "| GROUP BY | " + " | ".join(f"{g:.2f} s" for g in grp) + f" | {m['grp']:.2f} s |",
        "| first compute | " + " | ".join(f"{r:.2f}×" for r in first)
        + f" | {statistics.median(first):.2f}× |",
        "| recompute | " + " | ".join(f"{r:.2f}×" for r in again)
        + f" | {statistics.median(again):.2f}× |",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        results = ROOT / "bench" / "RESULTS.md"
        stamp = time.strftime("%Y-%m-%d %H:%M")
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip()  # fmt: skip
        stamp += f", commit {commit}" if commit else ""
        head = "# Benchmark results\n\nRun `python -m bench.run --write` to add a run (newest first).\n\n"
        earlier = results.read_text(encoding="utf-8") if results.exists() else ""
        cut = earlier.find("\n## ")
        earlier = earlier[cut + 1:] if cut >= 0 else ""  # the earlier runs, kept
        results.write_text(f"{head}## {stamp}\n\n{text}\n\n{earlier}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
