"""Merchant tags at each month end (DOMAIN §9), stored month by month (the tag history).

A transaction's merchant is its own merchant number; when blank, the merchant bound to
its terminal: the activation record's (``terminal.merchant_no``), else that of the
terminal's earliest transaction (by time, then id) that has one (DOMAIN §8).  A
transaction with neither belongs to no merchant.  Months are calendar months of the
transaction's day (not the month a late transaction is settled in).

How it stays fast (80,000 merchants, 2,000,000 transactions a month): every calendar
month's counted transactions are summed per merchant once, into ``merchant_month``
(volume, count, first and last day), and summed again only when that month's
transactions change (triggers and an id mark, migration 11; ``refresh_summaries``).  The
tags of month m then read those sums (one ``GROUP BY`` over merchants × months), never
the raw transactions of earlier months.  The tag rule itself is ``app.core.tagging``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.core.analytics import divide_half_up
from app.core.money import month_first_day, month_last_day, prev_month
from app.core.scans import COUNTED
from app.core.tagging import MerchantTagger, MerchantThresholds
from app.models import database

_IN_CHUNK = 500

Progress = Callable[[int, str], None]


def _shift(month: str, back: int) -> str:
    for _ in range(back):
        month = prev_month(month)
    return month


# ------------------------------------------------------------------ monthly sums


def dirty_months() -> list[str]:
    """Calendar months whose merchant sums are to be made again."""
    seen = database.execute_sql("SELECT txn_seen FROM merchant_mark").fetchone()[0]
    months = {m for (m,) in database.execute_sql("SELECT month FROM merchant_month_dirty")}
    months.update(
        m for (m,) in database.execute_sql(
            "SELECT DISTINCT substr(date, 1, 7) FROM txn WHERE id > ?", (seen,))
    )
    return sorted(months)


def refresh_summaries(progress: Progress | None = None) -> list[str]:
    """Sum again, per merchant, every calendar month whose transactions changed since the
    last time; returns those months.  One transaction (the caller's or its own)."""
    with database.atomic():
        top = database.execute_sql("SELECT COALESCE(MAX(id), 0) FROM txn").fetchone()[0]
        months = dirty_months()
        for i, month in enumerate(months):
            if progress is not None:
                progress(int(80 * i / max(len(months), 1)), f"汇总 {month} 商户交易")
            _summarise(month)
        database.execute_sql("DELETE FROM merchant_month_dirty")
        database.execute_sql("UPDATE merchant_mark SET txn_seen = ?", (top,))
    return months


def _summarise(month: str) -> None:
    first, last = month_first_day(month).isoformat(), month_last_day(month).isoformat()
    db = database
    db.execute_sql("DELETE FROM merchant_month WHERE month = ?", (month,))
    db.execute_sql("DROP TABLE IF EXISTS temp.mm_sum")
    # a late transaction is settled in a later month, never an earlier one: month >= m
    # lets the (month, date) index skip the months before
    db.execute_sql(
        "CREATE TEMP TABLE mm_sum AS SELECT CASE WHEN merchant_no = '' THEN '#' || terminal_id "
        "ELSE merchant_no END AS k, SUM(amount) AS volume, COUNT(*) AS txns, "
        "MIN(date) AS first_day, MAX(date) AS last_day FROM txn "
        f"WHERE month >= ? AND date >= ? AND date <= ? AND status IN {COUNTED} GROUP BY k",
        (month, first, last),
    )
    try:
        db.execute_sql(
            "INSERT INTO merchant_month (month, merchant_no, volume, txns, first_day, last_day) "
            "SELECT ?, k, volume, txns, first_day, last_day FROM mm_sum WHERE k NOT LIKE '#%'",
            (month,),
        )
        blank = db.execute_sql(
            "SELECT CAST(substr(k, 2) AS INTEGER), volume, txns, first_day, last_day "
            "FROM mm_sum WHERE k LIKE '#%'"
        ).fetchall()
    finally:
        db.execute_sql("DROP TABLE temp.mm_sum")
    if not blank:
        return
    bound = bound_merchants([r[0] for r in blank])
    merged: dict[str, list] = {}
    for tid, volume, txns, lo, hi in blank:
        merchant = bound.get(tid)
        if not merchant:
            continue
        row = merged.get(merchant)
        if row is None:
            existing = db.execute_sql(
                "SELECT volume, txns, first_day, last_day FROM merchant_month "
                "WHERE month = ? AND merchant_no = ?", (month, merchant)).fetchone()
            row = merged[merchant] = list(existing) if existing else [0, 0, lo, hi]
        row[0] += volume
        row[1] += txns
        row[2] = min(row[2], lo)
        row[3] = max(row[3], hi)
    if not merged:
        return
    # a merged row holds what was already stored for the merchant: it replaces it
    db.cursor().executemany(
        "INSERT OR REPLACE INTO merchant_month (month, merchant_no, volume, txns, first_day, last_day) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(month, m, *row) for m, row in merged.items()],
    )


def bound_merchants(terminal_ids: list[int]) -> dict[int, str]:
    """terminal id → its bound merchant (DOMAIN §8): the activation record's merchant
    number, else that of its earliest transaction (time, then id) that has one."""
    out: dict[int, str] = {}
    for i in range(0, len(terminal_ids), _IN_CHUNK):
        chunk = terminal_ids[i:i + _IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        for tid, merchant in database.execute_sql(
            f"SELECT id, merchant_no FROM terminal WHERE id IN ({marks}) AND merchant_no != ''",
            chunk,
        ):
            out[tid] = merchant
        rest = [t for t in chunk if t not in out]
        if rest:
            marks = ",".join("?" * len(rest))
            for tid, merchant in database.execute_sql(
                f"SELECT terminal_id, merchant_no FROM txn WHERE terminal_id IN ({marks}) "
                "AND merchant_no != '' ORDER BY terminal_id, time DESC, id DESC", rest,
            ):
                out[tid] = merchant  # the last one written is the earliest
    return out


def rebuild_summaries() -> None:
    """Sum every month again from scratch (after a repair, or to compare)."""
    with database.atomic():
        database.execute_sql("DELETE FROM merchant_month")
        database.execute_sql("UPDATE merchant_mark SET txn_seen = 0")
    refresh_summaries()


# ------------------------------------------------------------------ tags


@dataclass(frozen=True)
class TagRun:
    month: str
    merchants: int
    counts: dict[str, int]  # tag → merchants
    summed: list[str]  # months whose sums were made again first


def compute_tags(month: str, progress: Progress | None = None) -> TagRun:
    """Tag every merchant with a counted transaction up to the end of ``month`` and store
    the tags as that month's row of the tag history (replacing an earlier run)."""
    summed = refresh_summaries(progress)
    if progress is not None:
        progress(85, "计算标签")
    thresholds = MerchantThresholds.load()
    first, last = month_first_day(month), month_last_day(month)
    m1, m2 = _shift(month, 1), _shift(month, 2)
    loyal_from = _shift(month, max(thresholds.loyal_months, 1) - 1)
    rows = database.execute_sql(
        "SELECT merchant_no, "
        "SUM(CASE WHEN month = ? THEN volume ELSE 0 END), "
        "SUM(CASE WHEN month = ? THEN volume ELSE 0 END), "
        "SUM(CASE WHEN month = ? THEN volume ELSE 0 END), "
        "MIN(first_day), MAX(last_day), "
        "SUM(CASE WHEN month >= ? AND txns > 0 THEN 1 ELSE 0 END) "
        "FROM merchant_month WHERE month <= ? GROUP BY merchant_no",
        (month, m1, m2, loyal_from, month),
    ).fetchall()
    tagger = MerchantTagger(first, last, thresholds)
    out: list[tuple] = []
    counts = dict.fromkeys(("dormant", "churn_risk", "new", "growing", "loyal", "regular"), 0)
    for merchant, v0, v1, v2, first_day, last_day, active_months in rows:
        first_day, last_day = str(first_day)[:10], str(last_day)[:10]
        first_month = first_day[:7]
        total, n = 0, 0
        # "before" counts only the months on or after the first counted transaction
        if first_month <= m1:
            total, n = total + v1, n + 1
        if first_month <= m2:
            total, n = total + v2, n + 1
        tag = tagger.tag(v0, total, n, first_day, last_day, active_months >= thresholds.loyal_months)
        counts[tag] += 1
        before = divide_half_up(total, n) if n else None  # shown; the tag compares exactly
        out.append((month, merchant, tag, v0, before, first_day, last_day))
    with database.atomic():
        database.execute_sql("DELETE FROM merchant_tag WHERE month = ?", (month,))
        database.cursor().executemany(
            "INSERT INTO merchant_tag (month, merchant_no, tag, volume, before, first_day, last_day) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", out)
    if progress is not None:
        progress(100, "完成")
    return TagRun(month, len(out), counts, summed)


def tags_of(month: str) -> dict[str, str]:
    """merchant no → its stored tag at the end of ``month`` (empty when not computed)."""
    return dict(database.execute_sql(
        "SELECT merchant_no, tag FROM merchant_tag WHERE month = ?", (month,)).fetchall())


def tags_computed(month: str) -> bool:
    return database.execute_sql(
        "SELECT 1 FROM merchant_tag WHERE month = ? LIMIT 1", (month,)).fetchone() is not None


def tag_history(merchant_no: str) -> list[tuple[str, str, int, int | None]]:
    """(month, tag, volume, before) of a merchant, month by month, as computed."""
    return [tuple(r) for r in database.execute_sql(  # type: ignore[misc]
        "SELECT month, tag, volume, before FROM merchant_tag WHERE merchant_no = ? ORDER BY month",
        (merchant_no,)).fetchall()]


def months_with_data() -> list[str]:
    """Calendar months with any merchant transaction summed (after a refresh)."""
    return [m for (m,) in database.execute_sql(
        "SELECT DISTINCT month FROM merchant_month ORDER BY month")]
