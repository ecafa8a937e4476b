"""What the staff statements (DOMAIN §8) add to the month compute.

    python -m bench.bench_staff [--txns 200000] [--rounds 3]

Builds the large demo office (its terminals, merchants, the team) with the first N of its
transactions, computes the last month once, then per round times the whole month compute
(which includes the staff part) and the staff part alone, in the same process on the same
data; prints the medians and the ratio staff ÷ (compute − staff).  Target ≤ 20 %.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--txns", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from app.core import settlement, staff_pay
    from app.core.months import set_setting
    from app.io.demo import write_demo_files
    from app.io.demo_team import load_team
    from app.io.importers import import_file
    from app.models import database
    from app.models.db import open_database

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo = write_demo_files(folder / "files", scale="large")
        open_database(folder / "b.db")
        set_setting("agency_name", demo.agency_name)
        for kind, path in demo.files:
            if kind == "transactions":
                cut = folder / "transactions.csv"
                with path.open(encoding="utf-8-sig") as src, cut.open("w", encoding="utf-8") as dst:
                    dst.writelines(itertools.islice(src, args.txns + 1))
                path = cut
            import_file(kind, path)
        load_team(folder, demo.months, "large")
        db = database.obj
        month = db.execute_sql("SELECT MAX(month) FROM txn").fetchone()[0]
        counts = db.execute_sql(
            "SELECT (SELECT COUNT(*) FROM txn), (SELECT COUNT(*) FROM merchant), "
            "(SELECT COUNT(*) FROM ticket), (SELECT COUNT(*) FROM staff_member)").fetchone()
        settlement.compute_month(month)
        whole, staff = [], []
        for _ in range(args.rounds):
            t = time.perf_counter()
            settlement.compute_month(month)
            whole.append(time.perf_counter() - t)
            t = time.perf_counter()
            with db.atomic():
                staff_pay.compute_months([month])
            staff.append(time.perf_counter() - t)
        w, s = statistics.median(whole), statistics.median(staff)
        print(f"transactions {counts[0]:,}, merchants {counts[1]:,}, tickets {counts[2]:,}, "
              f"staff {counts[3]}; month {month}")
        print(f"month compute (with staff) median {w:.2f} s; staff part median {s:.2f} s; "
              f"staff adds {100 * s / (w - s):.1f} % to the compute without it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
