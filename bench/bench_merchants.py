"""Merchant tags and the 商户维护 page at the large office's scale (issue item 6).

Builds, with raw SQLite inserts, 100,000 terminals and ≈80,000 merchants trading
2,000,000 transactions a month for three months (m−2, m−1, m), tags m−2 and m−1 as an
office does month by month, then adds month m's transactions (as its import would) and
times:

* ``tags m``: the tags of month m (summing m's transactions per merchant, then tagging
  every merchant from the kept sums) — target ≤ 3 s;
* ``tags m again``: the same month once more with nothing changed;
* ``tags cold``: every month summed from scratch, then tagged (a database that never had
  tags, e.g. the first start after an upgrade);
* ``page``: the 商户维护 page's rows for month m and the page opening on them, then a text
  filter and a tag filter — target ≤ 1 s each;

beside a raw ``GROUP BY merchant_no`` of month m's counted transactions, timed in the same
run.  ``python -m bench.bench_merchants [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

MONTHS = ("2026-08", "2026-09", "2026-10")
DAYS = {"2026-08": 31, "2026-09": 30, "2026-10": 31}
TERMINALS = 100_000
MERCHANTS = 80_000
PER_MONTH = 2_000_000


def _timed(fn, runs: int = 1):
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def build(path: Path) -> None:
    from app.models.db import open_database

    db = open_database(path)
    db.execute_sql("INSERT INTO product (code, name, company, activation_min, company_cashback, "
                   "company_qualify_bonus, company_unqualified_penalty) VALUES "
                   "('P1', '电签', '', 1, 0, 0, 0)")
    with db.atomic():
        db.execute_sql(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) "
            "INSERT INTO terminal (sn, product_id, stocked_on, status, merchant_no, merchant_name) "
            "SELECT printf('SN%07d', x), 1, '2026-01-01', 'in_stock', "
            "printf('M%06d', x % ?), printf('商户%d', x % ?) FROM n",
            (TERMINALS, MERCHANTS, MERCHANTS),
        )
    for month in MONTHS[:2]:
        insert_month(db, month)
    db.close()


def insert_month(db, month: str) -> None:
    """2,000,000 transactions of ``month``: terminal t trades for merchant t mod 80,000;
    in m, one terminal in ten stops (its merchant dormant or slipping) and one merchant in
    seven trades only in the first ten days."""
    last = MONTHS.index(month) == 2
    days = DAYS[month]
    base = MONTHS.index(month) * PER_MONTH
    with db.atomic():
        db.execute_sql(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?), "
            "r0 AS (SELECT x, (x * 7919) % ? + 1 AS t FROM n), "
            # in m the terminals t ≡ 0 (mod 10) stop: their share goes to the next terminal
            "r AS (SELECT x, CASE WHEN ? AND t % 10 = 0 THEN t % ? + 1 ELSE t END AS t FROM r0) "
            "INSERT INTO txn (tx_id, terminal_id, product_id, time, date, month, amount, category, "
            "status, merchant_no, fee) SELECT printf('TX%09d', x + ?), t, 1, "
            "printf('%s-%02d 10:00:00', ?, d), printf('%s-%02d', ?, d), ?, "
            "CASE WHEN x % 50 = 0 THEN -(x % 5000) ELSE 1000 + (x * 31) % 100000 END, 'credit', "
            "CASE WHEN x % 50 = 0 THEN 'refund' WHEN x % 97 = 0 THEN 'failed' ELSE 'success' END, "
            "printf('M%06d', t % ?), NULL FROM (SELECT x, t, "
            "CASE WHEN ? AND (t % ?) % 7 = 0 THEN 1 + x % 10 ELSE 1 + x % ? END AS d FROM r)",
            (PER_MONTH, TERMINALS, int(last), TERMINALS, base, month, month, month,
             MERCHANTS, int(last), MERCHANTS, days),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="folder for the database (kept afterwards)")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_merchants_"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "merchants.db"
    if path.exists():
        os.remove(path)
    t0 = time.perf_counter()
    build(path)
    print(f"built {TERMINALS:,} terminals, {MERCHANTS:,} merchants, 2 months × {PER_MONTH:,} "
          f"transactions in {time.perf_counter() - t0:.1f} s")

    from app.core import merchant_tags as mt
    from app.models.db import open_database

    db = open_database(path)
    for month in MONTHS[:2]:
        secs, run = _timed(lambda m=month: mt.compute_tags(m))
        print(f"tags {month} (earlier month, first time): {secs:.2f} s, {run.merchants:,} merchants")
    t0 = time.perf_counter()
    insert_month(db, MONTHS[2])
    print(f"month {MONTHS[2]}: {PER_MONTH:,} transactions inserted in {time.perf_counter() - t0:.1f} s")

    m = MONTHS[2]
    group_by = (
        "SELECT merchant_no, SUM(amount), COUNT(*), MAX(date) FROM txn "
        "WHERE month = ? AND status IN ('success', 'refund') GROUP BY merchant_no"
    )
    base_secs, rows = _timed(lambda: db.execute_sql(group_by, (m,)).fetchall(), runs=3)
    secs, run = _timed(lambda: mt.compute_tags(m))
    again, _ = _timed(lambda: mt.compute_tags(m), runs=3)
    print(f"raw GROUP BY merchant of {m}: {base_secs:.2f} s ({len(rows):,} merchants)")
    print(f"tags {m} after its import:   {secs:.2f} s  ({secs / base_secs:.2f}× the GROUP BY) "
          f"{run.counts}")
    print(f"tags {m} again:              {again:.2f} s")

    def cold():
        mt.rebuild_summaries()
        return mt.compute_tags(m)

    cold_secs, _ = _timed(cold)
    print(f"tags cold (3 months summed): {cold_secs:.2f} s")
    for label, value in page_times(m):
        print(f"{label}: {value:.2f} s")
    db.close()
    if not args.keep:
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()


def page_times(month: str) -> list[tuple[str, float]]:
    """The 商户维护 page on ``month``: its rows from the service, the page shown with them,
    then a text filter and a tag filter (the month's tags already computed)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.core.merchants import merchant_rows

    app = QApplication.instance() or QApplication([])
    out = []
    secs, rows = _timed(lambda: merchant_rows(month), runs=3)
    out.append((f"商户维护 rows of {month} ({len(rows):,} merchants)", secs))
    from app.views.merchant_care import MerchantCarePage

    def open_page():
        page = MerchantCarePage()
        page.resize(1300, 800)
        page.show()
        while page.loader.loading:
            app.processEvents()
            time.sleep(0.005)
        app.processEvents()
        return page

    secs, page = _timed(open_page)
    out.append(("商户维护 page opened and filled", secs))

    def text_filter():
        page.search.setText("M0012")
        page.apply_filter()
        return page.model.rowCount()

    def tag_filter():
        page.search.setText("")
        page.tag_filter.setCurrentIndex(page.tag_filter.findData("churn_risk"))
        return page.model.rowCount()

    secs, n = _timed(text_filter, runs=3)
    out.append((f"text filter ({n:,} shown)", secs))
    secs, n = _timed(tag_filter)
    out.append((f"tag filter ({n:,} shown)", secs))
    page.close()
    return out


if __name__ == "__main__":
    main()
