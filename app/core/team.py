"""The office's own team (员工, DOMAIN §8): vocabulary, commission tiers, and which
merchant a transaction or a terminal belongs to.

A transaction's merchant is its own merchant number; when blank, the merchant bound to its
terminal: the activation record's merchant number, else that of the terminal's earliest
transaction (by time, then id, any status) that has one.  The owner (业务员) of a merchant
on day D is its owner row with the latest effective date ≤ D (a 交接 dated D already
applies to D).  Both are worked out set-based, into two temporary tables the staff
statement's queries join (``load_bound_merchants``, ``load_owner_spans``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction

from app.core.money import ParseError, normalize_text, parse_money
from app.models import database

ROLE_LABELS = {"lead": "负责人", "sales": "销售", "service": "客服", "logistics": "后勤"}
ROLE_WORDS = {
    **{v: k for k, v in ROLE_LABELS.items()},
    **{k: k for k in ROLE_LABELS},
    "主管": "lead",
    "业务员": "sales",
    "售后": "service",
}
TYPE_LABELS = {
    "inquiry": "咨询",
    "fault": "故障",
    "complaint": "投诉",
    "install": "安装",
    "swap": "换机",
    "visit": "回访",
    "other": "其他",
}
TYPE_WORDS = {**{v: k for k, v in TYPE_LABELS.items()}, **{k: k for k in TYPE_LABELS}}
OUTCOME_LABELS = {"resolved": "已解决", "unresolved": "未解决", "": ""}
OUTCOME_WORDS = {"已解决": "resolved", "resolved": "resolved", "解决": "resolved",
                 "未解决": "unresolved", "unresolved": "unresolved"}
SCOPE_LABELS = {"own": "本人", "all": "全部"}
SCOPE_WORDS = {"本人": "own", "own": "own", "个人": "own", "全部": "all", "all": "all"}
CHANNELS = ("电话", "微信", "上门", "短信")
EARLIEST_DAY = "2000-01-01"  # an owner row without a date owns from the earliest day


# ------------------------------------------------------------------ tiers

Tier = tuple[Fraction, int]  # (threshold: a share 0..1 or an average rating, bonus in fen)


def _threshold(text: str, kind: str) -> Fraction:
    percent = text.endswith("%")
    number = text[:-1] if percent else text
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ParseError(f"门槛“{text}”不是数字") from None
    if not value.is_finite() or value < 0:
        raise ParseError(f"门槛“{text}”不是有效数字")
    frac = Fraction(value)
    if kind == "resolution":
        if percent:
            frac /= 100
        if frac > 1:
            raise ParseError(f"解决率门槛“{text}”超过100%(小数写成0.9或90%)")
        return frac
    if percent:
        raise ParseError(f"满意度门槛“{text}”应是平均分(如4.8),不能写百分数")
    if frac > 5:
        raise ParseError(f"满意度门槛“{text}”超过5分")
    return frac


def parse_tiers(value: object, kind: str) -> list[Tier]:
    """Read ``90%:300;80%:150`` (resolution) or ``4.8:500;4.5:200`` (satisfaction):
    threshold : bonus in yuan, ``;``/``；`` between tiers, ``:``/``：`` inside one.
    Returns the tiers highest threshold first."""
    text = normalize_text(value)
    if not text:
        return []
    tiers: dict[Fraction, int] = {}
    for number, part in enumerate(text.replace("；", ";").split(";"), start=1):
        part = part.strip()
        if not part:
            continue
        bits = part.replace("：", ":").split(":")
        if len(bits) != 2 or not bits[0].strip() or not bits[1].strip():
            raise ParseError(f"第{number}档“{part}”应写成 门槛:奖励元,如 90%:300")
        threshold = _threshold(bits[0].strip(), kind)
        try:
            bonus = parse_money(bits[1].strip())
        except ParseError as exc:
            raise ParseError(f"第{number}档“{part}”的奖励:{exc}") from None
        if bonus < 0:
            raise ParseError(f"第{number}档“{part}”的奖励不能为负")
        if threshold in tiers:
            raise ParseError(f"门槛“{bits[0].strip()}”出现了两次")
        tiers[threshold] = bonus
    return sorted(tiers.items(), reverse=True)


def _plain(d: Decimal) -> str:
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _yuan(fen: int) -> str:
    return _plain(Decimal(fen) / 100)


def format_tiers(tiers: list[Tier], kind: str) -> str:
    """The canonical text of ``tiers`` (what is stored and shown): ``90%:300;80%:150``."""
    parts = []
    for threshold, bonus in tiers:
        if kind == "resolution":
            t = _plain(Decimal(threshold.numerator) * 100 / Decimal(threshold.denominator)) + "%"
        else:
            t = _plain(Decimal(threshold.numerator) / Decimal(threshold.denominator))
        parts.append(f"{t}:{_yuan(bonus)}")
    return ";".join(parts)


def tier_bonus(tiers: list[Tier], value: Fraction | None) -> int:
    """The bonus of the highest tier whose threshold ≤ ``value`` (reached exactly
    qualifies); 0 when no tier is reached or there is no value."""
    if value is None:
        return 0
    for threshold, bonus in tiers:  # highest first
        if threshold <= value:
            return bonus
    return 0


def decimal_text(value: Fraction | None, places: int = 4) -> str | None:
    """An exact share or average as a decimal string, rounded half-up to ``places``:
    ``"0.75"``, ``"0.6667"``, ``"1"``; None stays None."""
    if value is None:
        return None
    scale = 10**places
    q, r = divmod(value.numerator * scale, value.denominator)
    if 2 * r >= value.denominator:
        q += 1
    return _plain(Decimal(q) / scale)


# ------------------------------------------------------------------ merchants, set-based

BOUND_TABLE = "tmp_terminal_merchant"
SPAN_TABLE = "tmp_owner_span"


def load_bound_merchants(only: str = "", params: tuple = ()) -> None:
    """Fill the temporary table ``tmp_terminal_merchant(terminal_id, merchant_no)`` with
    every terminal's bound merchant: the activation record's merchant number, else that of
    its earliest transaction (time, then id, any status) that has one.  ``only``: a SQL
    query of terminal ids (with ``params``) whose earliest transaction is looked for;
    the others are bound by their activation record alone."""
    db = database.obj
    db.execute_sql(
        f'CREATE TEMP TABLE IF NOT EXISTS "{BOUND_TABLE}" '
        '("terminal_id" INTEGER PRIMARY KEY, "merchant_no" TEXT NOT NULL)'
    )
    db.execute_sql(f'DELETE FROM "{BOUND_TABLE}"')
    db.execute_sql(
        f'INSERT INTO "{BOUND_TABLE}" SELECT id, merchant_no FROM terminal WHERE merchant_no != \'\''
    )
    db.execute_sql(
        f'INSERT INTO "{BOUND_TABLE}" SELECT b.id, b.m FROM ('
        "SELECT t.id AS id, (SELECT x.merchant_no FROM txn x WHERE x.terminal_id = t.id "
        "AND x.merchant_no != '' ORDER BY x.time, x.id LIMIT 1) AS m "
        "FROM terminal t WHERE t.merchant_no = ''"
        + (f" AND t.id IN ({only})" if only else "")
        + ") b WHERE b.m IS NOT NULL",
        params,
    )


def load_owner_spans() -> None:
    """Fill ``tmp_owner_span(merchant_no, start, finish, staff_id)``: merchant M is owned
    by ``staff_id`` (NULL: nobody) from ``start`` to the day before ``finish``."""
    db = database.obj
    db.execute_sql(
        f'CREATE TEMP TABLE IF NOT EXISTS "{SPAN_TABLE}" ("merchant_no" TEXT NOT NULL, '
        '"start" TEXT NOT NULL, "finish" TEXT NOT NULL, "staff_id" INTEGER, '
        'PRIMARY KEY ("merchant_no", "start"))'
    )
    db.execute_sql(f'DELETE FROM "{SPAN_TABLE}"')
    db.execute_sql(
        f'INSERT INTO "{SPAN_TABLE}" SELECT m.merchant_no, o.effective_from, '
        "COALESCE(LEAD(o.effective_from) OVER (PARTITION BY o.merchant_id "
        "ORDER BY o.effective_from), '9999-12-31'), o.staff_id "
        "FROM merchant_owner o JOIN merchant m ON m.id = o.merchant_id"
    )


def txn_merchant_sql(alias: str = "x") -> tuple[str, str]:
    """The join and the expression giving a transaction's merchant number (§8), for a
    query over ``txn {alias}`` once ``load_bound_merchants`` has run."""
    join = (
        f'LEFT JOIN "{BOUND_TABLE}" bm ON {alias}.merchant_no = \'\' '
        f"AND bm.terminal_id = {alias}.terminal_id"
    )
    return join, f"COALESCE(NULLIF({alias}.merchant_no, ''), bm.merchant_no)"


def transaction_merchants(txn_ids: list[int]) -> dict[int, str | None]:
    """The merchant number of each given transaction (§8); None when it has none."""
    load_bound_merchants()
    join, expr = txn_merchant_sql()
    out: dict[int, str | None] = {}
    for i in range(0, len(txn_ids), 500):
        chunk = txn_ids[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        for tid, mno in database.obj.execute_sql(
            f"SELECT x.id, {expr} FROM txn x {join} WHERE x.id IN ({marks})", chunk
        ):
            out[tid] = mno
    return out


def owner_on(merchant_no: str, day: str) -> int | None:
    """The staff id owning ``merchant_no`` on ``day`` (YYYY-MM-DD); None: nobody."""
    row = database.obj.execute_sql(
        "SELECT o.staff_id FROM merchant_owner o JOIN merchant m ON m.id = o.merchant_id "
        "WHERE m.merchant_no = ? AND o.effective_from <= ? "
        "ORDER BY o.effective_from DESC LIMIT 1",
        (merchant_no, day),
    ).fetchone()
    return row[0] if row else None
