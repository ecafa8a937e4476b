"""Benchmark of the 机具 page on the large demo (issue 5): 100,000 terminals.

    python -m bench.bench_terminals [--runs 5] [--db PATH]

Uses ``bench/out/large/base.db`` (made by ``python -m bench.run``; 5,000 agents,
100,000 terminals with their event history); without it, a database of 100,000
terminals is built directly in a temporary folder.  Times, each the median of ``--runs``:

* page shown — from constructing ``TerminalsPage`` to the page painted with its first
  rows (the first screenful is read at once, the rest by the background loader; target
  ≤ 1 s), and all rows loaded — until the loader has put all 100,000 rows in the table;
* SN-prefix filter — typing a prefix into the search box until the filtered table is
  painted (target ≤ 100 ms), for a narrow prefix (500 rows) and a wide one (60,000);
* sort by 持有人 of all 100,000 rows.
Runs offscreen; prints the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

LARGE = ROOT / "bench" / "out" / "large" / "base.db"


def build_synthetic(path: Path, n: int = 100_000) -> None:
    """100,000 terminals over 2 products and 500 agents, inserted directly."""
    import datetime as dt

    from app.models import Agent, Product, Terminal, TerminalEvent, database
    from app.models.db import open_database

    open_database(path)
    with database.atomic():
        p1 = Product.create(code="P01", name="拉卡拉电签")
        p2 = Product.create(code="P02", name="盛付通")
        Agent.insert_many([{"code": f"A{i:04d}", "name": f"代理{i}"} for i in range(500)]).execute()
        agents = [a.id for a in Agent.select(Agent.id)]
        day = dt.date(2026, 7, 1)
        rows = []
        for i in range(n):
            prefix, pid = ("LKL", p1.id) if i < n * 6 // 10 else ("SFT", p2.id)
            holder = agents[i % len(agents)] if i % 4 else None
            rows.append((f"{prefix}2026{i:06d}", pid, day, "allocated" if holder else "in_stock", holder, "", ""))
        for i in range(0, n, 5000):
            Terminal.insert_many(rows[i : i + 5000], fields=[
                Terminal.sn, Terminal.product, Terminal.stocked_on, Terminal.status, Terminal.holder,
                Terminal.merchant_no, Terminal.merchant_name]).execute()
        TerminalEvent.insert_from(
            Terminal.select(Terminal.id, Terminal.stocked_on), [TerminalEvent.terminal, TerminalEvent.date]
        ).execute()
    database.close()


def settle(app, seconds: float = 0.0) -> None:
    end = time.perf_counter() + seconds
    while True:
        app.processEvents()
        if time.perf_counter() >= end:
            break


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()

    from app.models.db import open_database
    from app.views.main_window import make_app
    from app.views.terminals import TerminalsPage

    tmp = tempfile.TemporaryDirectory()
    if args.db:
        source = Path(args.db)
    elif LARGE.exists():
        source = LARGE
    else:
        source = Path(tmp.name) / "synthetic.db"
        t = time.perf_counter()
        build_synthetic(source)
        print(f"built a synthetic database of 100,000 terminals in {time.perf_counter() - t:.1f} s")
    db_path = Path(tmp.name) / "bench.db"
    shutil.copy(source, db_path)  # the benchmark only reads, but never touch the source
    open_database(db_path)
    app = make_app()

    shown, loaded, narrow, wide, clear, sort = [], [], [], [], [], []
    n_rows = 0
    for _ in range(args.runs):
        t = time.perf_counter()
        page = TerminalsPage()
        page.resize(1300, 800)
        page.show()
        page.repaint()
        app.processEvents()
        assert page.model.rowCount() > 0
        shown.append(time.perf_counter() - t)
        while page.loader.loading:  # an idle event loop, as in the running app
            app.processEvents()
            time.sleep(0.005)
        page.table.viewport().repaint()
        app.processEvents()
        loaded.append(time.perf_counter() - t)
        n_rows = page.model.total_count()

        for prefix, bucket, expect_min in (("LKL2026000", narrow, 1), ("LKL", wide, 1), ("", clear, 0)):
            page.search.setText(prefix)
            t = time.perf_counter()
            page.apply_filter()  # what the search box's short pause then triggers
            page.table.viewport().repaint()
            app.processEvents()
            bucket.append(time.perf_counter() - t)
            assert page.model.rowCount() >= expect_min
        t = time.perf_counter()
        page.table.sortByColumn(3, page.table.horizontalHeader().sortIndicatorOrder())
        page.table.viewport().repaint()
        app.processEvents()
        sort.append(time.perf_counter() - t)
        page.close()
        page.deleteLater()
        settle(app, 0.05)

    def ms(xs: list[float]) -> str:
        return f"{statistics.median(xs) * 1000:7.1f} ms"

    page = TerminalsPage()
    page.search.setText("LKL2026000")
    while page.loader.loading:
        app.processEvents()
    page.apply_filter()
    narrow_rows = page.model.rowCount()
    page.search.setText("LKL")
    page.apply_filter()
    wide_rows = page.model.rowCount()
    print(f"机具 page on {n_rows:,} terminals ({source.name}), median of {args.runs}:")
    print(f"  page shown (construct → first rows painted)           {ms(shown)}   target ≤ 1000 ms")
    print(f"  all {n_rows:,} rows loaded in the background             {ms(loaded)}")
    print(f"  SN-prefix filter 'LKL2026000' ({narrow_rows:,} rows)         {ms(narrow)}   target ≤  100 ms")
    print(f"  SN-prefix filter 'LKL' ({wide_rows:,} rows)                {ms(wide)}   target ≤  100 ms")
    print(f"  clear the filter ({n_rows:,} rows)                       {ms(clear)}")
    print(f"  sort all rows by 持有人                                  {ms(sort)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
