"""Tags (标签): the one tagging service of agents (DOMAIN §7) and merchants (§9).

Both sides tag by volume trend, comparing the month's volume with "before", the mean of
the months before it, and both keep free manual tags beside the computed one.  The
comparisons are done here, once, in integers (exact, whatever the volumes):

* ``falls_below(now, total, months, pct)``: now < pct % of total / months;
* ``rises_to(now, total, months, pct)``: now ≥ pct % of total / months (``strict``: >).

Agents (``agent_trend_tag``, the rule of the 代理商 page since it was written):
流失风险 below 70 % of the mean of the two months before, 潜力 above 130 %, 忠诚 with
volume in each of the last six months; the months before count even when empty.

Merchants (``MerchantTagger``, DOMAIN §9), the first that applies: 沉睡 dormant (no counted
transaction in the last 30 days of m) · 流失风险 churn risk (V(m) < 50 % of before, or none
in the last 15 days) · 新商户 new (first counted transaction in m) · 潜力增长 growing
(V(m) ≥ 130 % of before) · 忠诚 loyal (counted transactions in each of the last 3 months) ·
一般 regular.  "Before" is the mean of V(m−1), V(m−2) over those of the two months on or
after the merchant's first counted transaction; with no such month, or before ≤ 0, the
comparisons with before do not apply.  The numbers are settings (``MerchantThresholds``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields

# ------------------------------------------------------------------ manual tags


def split_tags(text: str) -> list[str]:
    """Free tags typed with commas, semicolons or spaces (full-width too)."""
    return [t for t in (x.strip() for x in re.split(r"[,,;;\s]+", text or "")) if t]


def join_tags(tags: list[str]) -> str:
    """Tags as stored: comma separated, each once, in the order given."""
    seen: list[str] = []
    for t in tags:
        t = t.strip()
        if t and t not in seen:
            seen.append(t)
    return ",".join(seen)


# ------------------------------------------------------------------ comparisons


def falls_below(now: int, total: int, months: int, pct: int) -> bool:
    """now < pct % of the mean ``total / months``; False when there is no positive mean."""
    if months <= 0 or total <= 0:
        return False
    return 100 * months * now < pct * total


def rises_to(now: int, total: int, months: int, pct: int, strict: bool = False) -> bool:
    """now ≥ pct % of the mean ``total / months`` (> when ``strict``); False when there is
    no positive mean."""
    if months <= 0 or total <= 0:
        return False
    left, right = 100 * months * now, pct * total
    return left > right if strict else left >= right


# ------------------------------------------------------------------ agents (§7)

AGENT_TAGS = ("忠诚", "潜力", "流失风险")
AGENT_CHURN_PCT = 70
AGENT_GROWING_PCT = 130
AGENT_LOYAL_MONTHS = 6


def agent_trend_tag(volumes: list[int]) -> str | None:
    """The trend tag of an agent from its team volumes, this month first and then the five
    before (missing months as 0): 流失风险, 潜力, 忠诚 or None."""
    now, before = volumes[0], volumes[1] + volumes[2]
    if falls_below(now, before, 2, AGENT_CHURN_PCT):
        return "流失风险"
    if rises_to(now, before, 2, AGENT_GROWING_PCT, strict=True):
        return "潜力"
    if all(v > 0 for v in volumes[:AGENT_LOYAL_MONTHS]):
        return "忠诚"
    return None


# ------------------------------------------------------------------ merchants (§9)

MERCHANT_TAGS = ("dormant", "churn_risk", "new", "growing", "loyal", "regular")
MERCHANT_TAG_LABELS = {
    "dormant": "沉睡",
    "churn_risk": "流失风险",
    "new": "新商户",
    "growing": "潜力增长",
    "loyal": "忠诚",
    "regular": "一般",
}


@dataclass(frozen=True)
class MerchantThresholds:
    """The numbers of DOMAIN §9, settings ``merchant_tag_<field>`` (defaults as written)."""

    dormant_days: int = 30
    churn_days: int = 15
    churn_pct: int = 50
    growing_pct: int = 130
    loyal_months: int = 3

    @staticmethod
    def setting_key(name: str) -> str:
        return f"merchant_tag_{name}"

    @classmethod
    def load(cls) -> MerchantThresholds:
        """The thresholds as the office set them; a blank or broken setting is its default."""
        from app.core.months import get_setting

        values: dict[str, int] = {}
        for f in fields(cls):
            text = get_setting(cls.setting_key(f.name), "").strip()
            if text.isdigit() and int(text) > 0:
                values[f.name] = int(text)
        return cls(**values)


class MerchantTagger:
    """The tag of a merchant at the end of the month ``month_first``..``month_last``.

    Days are ISO texts (``YYYY-MM-DD``: they sort as the days do), so that tagging 80,000
    merchants parses no date; the cut-off days are worked out once."""

    def __init__(self, month_first: dt.date, month_last: dt.date, t: MerchantThresholds):
        self.t = t
        self.first = month_first.isoformat()
        # the last N days of m are the N calendar days ending on its last day: a merchant
        # whose last counted transaction is on or before the day before them has none
        self.dormant_upto = (month_last - dt.timedelta(days=t.dormant_days)).isoformat()
        self.quiet_upto = (month_last - dt.timedelta(days=t.churn_days)).isoformat()

    def tag(self, volume: int, before_total: int, before_months: int, first_day: str,
            last_day: str, loyal: bool) -> str:
        """``volume`` V(m); ``before_total`` the sum of the months that count as before and
        ``before_months`` how many they are (0–2); ``first_day`` its first counted
        transaction ever, ``last_day`` its last up to m's end; ``loyal`` counted
        transactions in each of the last ``loyal_months`` months."""
        t = self.t
        if last_day <= self.dormant_upto:
            return "dormant"
        if last_day <= self.quiet_upto or falls_below(volume, before_total, before_months, t.churn_pct):
            return "churn_risk"
        if first_day >= self.first:
            return "new"
        if rises_to(volume, before_total, before_months, t.growing_pct):
            return "growing"
        if loyal:
            return "loyal"
        return "regular"
