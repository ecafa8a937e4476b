"""Deterministic demo data (演示数据), written as the canonical import files of FORMATS.md.

``posdesk demo`` calls :func:`write_demo_files` into a temporary folder and imports the
files in the order of ``DemoFiles.files``.  The same seed always gives byte-identical files:
everything random comes from one ``random.Random(seed)``, no clock is read, and nothing
depends on set or hash order.

Two scales:

* ``small`` — about 30 agents on three levels, 600 terminals of three products and some
  25,000 transactions over 2026-08 … 2026-10.  Besides ordinary business it scripts one or
  more terminals or agents for every rule of DOMAIN.md (deposit boundaries, lost and
  recalled terminals, mid-month transfers and price changes, 伪激活, agency-only stock
  terminals …); the terminals named in ``SMALL_SCENARIOS`` are the ones to look at.
* ``large`` — 5,000 agents up to four levels deep, 100,000 terminals of two products and
  2,000,000 transactions in 2026-10, for benchmarks.  Transactions are streamed day by day.

Money in the files is yuan with two decimals, rates are written like ``0.60%``; all the
arithmetic here is integer fen and ppm.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.core.money import apply_rate, format_rate

Day = dt.date

KINDS = (
    "products",
    "prices",
    "agents",
    "policies",
    "terminals",
    "moves",
    "activations",
    "transactions",
    "adjustments",
)

HEADERS: dict[str, list[str]] = {
    "products": [
        "code",
        "name",
        "company",
        "activation_min",
        "qualify_days",
        "qualify_volume",
        "deposit_days",
        "company_cashback",
        "company_qualify_bonus",
        "company_unqualified_penalty",
    ],
    "prices": [
        "product",
        "effective_from",
        "credit_rate",
        "debit_rate",
        "debit_cap",
        "scan_rate",
        "per_txn",
    ],
    "agents": [
        "code",
        "name",
        "parent",
        "status",
        "phone",
        "id_no",
        "payout",
        "tax_rate",
        "bank",
        "bank_account",
        "joined",
        "note",
    ],
    "policies": [
        "agent",
        "product",
        "effective_from",
        "credit_rate",
        "debit_rate",
        "debit_cap",
        "scan_rate",
        "per_txn",
        "cashback",
        "qualify_bonus",
        "unqualified_penalty",
        "deposit",
    ],
    "terminals": ["sn", "product", "stocked"],
    "moves": ["sn", "date", "action", "agent", "deposit_method"],
    "activations": ["sn", "activated", "merchant_no", "merchant_name"],
    "transactions": ["tx_id", "time", "sn", "merchant_no", "amount", "category", "status", "fee"],
    "adjustments": ["agent", "product", "month", "amount", "reason"],
}

AGENCY = "AGENCY"
AGENCY_NAME = "鑫汇通支付服务部"
MIN_PAYOUT_FEN = 5000

# The terminals and agents the small demo scripts for a rule (the rest is ordinary business).
SMALL_SCENARIOS: dict[str, str] = {
    "LKL2026000001-005": "A01 下发(现金押金)后大额交易,30天内达标 → 激活返现 + 达标奖励;A01 税点6%",
    "LKL2026000010": "A0102 当天下发当天激活 → 押金8月扣除并8月退还",
    "LKL2026000011": "8-06 成功10元(低于50元激活门槛)、8-07 失败2000元,8-08 88元才激活",
    "LKL2026000020": "A01 8-01下发,10-05激活(65天>60天押金期) → 押金没收",
    "LKL2026000021": "A01 8-03下发,10-02激活(正好60天) → 押金退还(边界)",
    "LKL2026000022": "A01 8-03下发,10-03激活(61天) → 押金没收(边界)",
    "LKL2026000030": "A0201 8-15 丢失(未激活),9-03 起仍有交易并激活 → 押金没收,交易仍归A0201",
    "LKL2026000031": "A0201 8-06 激活,9-12 丢失后继续交易 → 交易仍归A0201",
    "LKL2026000032": "A0201 激活当天(8-20)报丢失 → 押金没收(丢失在激活日当天或之前)",
    "LKL2026000040": "A0302(停发)8-02 下发扣押金,8-28 回拨,9-02 再下发给 A0401(不再收押金),9-10 激活 → 押金退给 A0302",
    "LKL2026000041": "A0302 8-05 激活,9-15 回拨(此后交易归本机构),9-25 再下发给 A030201",
    "LKL2026000042-049": "停发代理 A0302 的正常机具 → 分润照算不发放,结转",
    "LKL2026000050": "A05 8-06 下发,8-10 回拨,8-12 退货",
    "LKL2026000060-069": "A01 下发,8-15 调拨给 A0101;060-064 于 9-18(月中)再调拨给 A010101(上级代发)",
    "LKL2026000070-074": "A06 下发并在交易,9-18(月中)调拨给 9-05 新加入的 A060101",
    "LKL2026000075": "9-18 同一天 A06→A0601→A060101 两次调拨(按文件顺序)",
    "LKL2026000080-089": "A0501 8月激活后几乎不交易(伪激活) → 9月 未达标扣款",
    "LKL2026000090": "A0502 导入激活日期 8-20(商户名称来自激活文件)",
    "LKL2026000100-129": "A0402 10-08 一次下发30台扣押金99元,多数未激活 → 10月小计为负,结转",
    "LKL2026000280": "库存中导入激活(8-18),8-25 才下发给 A0101 → 不收押金;8-18~8-24 交易归本机构",
    "LKL2026000291-295": "一直在库存中的机具有交易 → 分润全部归本机构",
    "LKL2026000299": "库存机具 8-20 退货",
    "SFT2026000020": "A02 8-01 下发,10-20 激活(80天;盛付通押金期限为空=不限) → 押金退还",
    "SFT2026000021-028": "A02 8月伪激活(60天窗口) → 10月 未达标扣款",
    "SFT2026000033": "A0202 导入激活 8-05,从无交易 → 10-03 未达标扣款",
    "SFT2026000040-049": "A02 的盛付通政策 9-20 月中涨价,下级同日跟涨",
    "SFT2026000140": "库存中 8-12 激活,9-01 才下发给 A02 → 不收押金",
    "SFT2026000146-148": "库存机具有交易 → 归本机构",
    "LSS2026000030": "A0301 下发后 9-08 丢失,从未激活 → 押金没收",
    "LSS2026000040-049": "A04 9-05 下发,押金29元",
    "LSS2026000050-059": "A04 9-12 下发,A04 乐刷政策 9-10 起免押(押金0)",
    "LSS2026000150": "库存机具 8-25 退货",
}


@dataclass
class DemoFiles:
    """Where the demo files are and what they contain."""

    folder: Path
    files: list[tuple[str, Path]]  # (kind, path) in import order
    months: list[str]  # 'YYYY-MM' months that have transactions
    agency_name: str
    min_payout_fen: int


def write_demo_files(folder: Path, scale: str = "small", seed: int = 20261001) -> DemoFiles:
    """Write the demo data set as canonical CSV files into ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    if scale == "small":
        months = _Small(rng).write(folder)
    elif scale == "large":
        months = _Large(rng).write(folder)
    else:
        raise ValueError(f"unknown demo scale {scale!r} (small or large)")
    return DemoFiles(
        folder=folder,
        files=[(kind, folder / f"{kind}.csv") for kind in KINDS],
        months=months,
        agency_name=AGENCY_NAME,
        min_payout_fen=MIN_PAYOUT_FEN,
    )


# ---------------------------------------------------------------------------- formatting


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    y, f = divmod(abs(fen), 100)
    return f"{sign}{y}.{f:02d}"


def _opt_yuan(fen: int | None) -> str:
    return "" if fen is None else _yuan(fen)


def _writer(path: Path, kind: str):
    handle = path.open("w", encoding="utf-8", newline="")
    w = csv.writer(handle, lineterminator="\n")
    w.writerow(HEADERS[kind])
    return handle, w


def _write(folder: Path, kind: str, rows: Iterable[Sequence[object]]) -> None:
    handle, w = _writer(folder / f"{kind}.csv", kind)
    with handle:
        w.writerows(rows)


def _days(first: Day, last: Day) -> list[Day]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _rand_day(rng: random.Random, first: Day, last: Day) -> Day:
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


# ---------------------------------------------------------------------------- people


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
GIVEN = (
    "建国 秀英 志强 桂兰 伟 丽娟 磊 海燕 明 静 勇 丽 超 晓梅 军 芳 平 敏 强 红梅 斌 涛 霞 飞 冬 燕 刚 洋 娜 鹏 "
    "建华 玉兰 国强 淑珍 文 婷 杰 秀兰 俊 丹 波 玲 辉 艳 浩 萍 亮 红 鑫 慧 宇 琳 健 倩 峰 颖 帅 雪 凯 莉 "
    "建平 春梅 志刚 凤英 海涛 秀云 金龙 美玲 永强 桂芳 德明 晓红 振华 丽华 文斌 雅琴 宏伟 欣怡 子豪 梓涵"
).split()
REGIONS = (
    "110101",
    "310104",
    "440305",
    "330106",
    "510107",
    "420106",
    "320102",
    "370102",
    "410105",
    "430104",
    "350203",
    "610113",
    "500103",
    "120101",
    "210102",
    "130102",
)
PHONE_PREFIX = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
)
BANKS = (  # name, card BIN
    ("中国工商银行", "621226"),
    ("中国建设银行", "621700"),
    ("中国农业银行", "622848"),
    ("中国银行", "621661"),
    ("招商银行", "621483"),
    ("交通银行", "622262"),
    ("中国邮政储蓄银行", "621799"),
    ("兴业银行", "622909"),
    ("平安银行", "622155"),
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SHOP_WORDS = (
    "鑫源",
    "福满",
    "金鼎",
    "佳佳",
    "好运来",
    "华联",
    "永辉",
    "百姓",
    "兴隆",
    "顺发",
    "红星",
    "阳光",
    "如意",
    "万家",
    "同福",
    "老街",
    "一品",
    "聚宝",
    "盛世",
    "和顺",
    "小时光",
    "宏达",
)
SHOP_KINDS = (
    "便利店",
    "超市",
    "五金店",
    "烟酒店",
    "美发店",
    "服装店",
    "餐馆",
    "水果店",
    "手机店",
    "茶叶店",
    "药房",
    "汽修店",
    "建材店",
    "母婴店",
    "面馆",
    "烧烤",
    "花店",
    "家电城",
    "眼镜店",
    "洗车行",
)
CITIES = (
    "朝阳区",
    "浦东",
    "南山",
    "西湖区",
    "武侯区",
    "江汉区",
    "鼓楼区",
    "历下区",
    "金水区",
    "雨花区",
)


def _id_number(rng: random.Random) -> str:
    birth = _rand_day(rng, dt.date(1962, 1, 1), dt.date(1999, 12, 31))
    body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randint(1, 999):03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    return body + check


def _luhn(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def _person(rng: random.Random) -> tuple[str, str, str, str]:
    """(phone, id_no, bank, bank_account) of a made-up but well-formed person."""
    phone = rng.choice(PHONE_PREFIX) + f"{rng.randint(0, 99_999_999):08d}"
    bank, bin_ = rng.choice(BANKS)
    account = _luhn(bin_ + f"{rng.randint(0, 10**12 - 1):012d}")
    return phone, _id_number(rng), bank, account


def _shop(rng: random.Random) -> str:
    return rng.choice(CITIES) + rng.choice(SHOP_WORDS) + rng.choice(SHOP_KINDS)


def _merchant_no(product_index: int, i: int) -> str:
    # 822 + product digit + 11 digits that look random but never collide
    return f"822{product_index}{(i * 7_919_333 + 40_111 * product_index) % 10**11:011d}"


# ---------------------------------------------------------------------------- products


@dataclass
class _Product:
    code: str
    name: str
    company: str
    activation_min: int  # fen
    qualify_days: int | None
    qualify_volume: int | None  # fen
    deposit_days: int | None
    cashback: int
    bonus: int
    penalty: int
    sn_prefix: str
    prices: list[tuple[Day, dict[str, int | None]]]
    cost: dict[str, int]  # the agency's own cost policy
    deposits: tuple[int, ...]  # deposits an agent's policy picks from
    categories: tuple[str, ...]  # 20 entries: the mix of card types

    def price_at(self, day: Day) -> dict[str, int | None]:
        i = bisect.bisect_right([d for d, _ in self.prices], day) - 1
        return self.prices[i][1]

    def row(self) -> list[str]:
        return [
            self.code,
            self.name,
            self.company,
            _yuan(self.activation_min),
            "" if self.qualify_days is None else str(self.qualify_days),
            _opt_yuan(self.qualify_volume),
            "" if self.deposit_days is None else str(self.deposit_days),
            _yuan(self.cashback),
            _yuan(self.bonus),
            _yuan(self.penalty),
        ]


JUL1 = dt.date(2026, 7, 1)


def _price(
    credit: int, debit: int, cap: int | None, scan: int, per_txn: int
) -> dict[str, int | None]:
    return {"credit": credit, "debit": debit, "cap": cap, "scan": scan, "per_txn": per_txn}


def _cost(credit, debit, cap, scan, per_txn, cashback, bonus, penalty) -> dict[str, int]:
    return {
        "credit": credit,
        "debit": debit,
        "cap": cap,
        "scan": scan,
        "per_txn": per_txn,
        "cashback": cashback,
        "bonus": bonus,
        "penalty": penalty,
        "deposit": 0,
    }


def _products() -> list[_Product]:
    return [
        _Product(
            "P01",
            "拉卡拉电签",
            "拉卡拉",
            5000,
            30,
            5_000_000,
            60,
            10000,
            6000,
            5000,
            "LKL2026",
            prices=[
                (JUL1, _price(6000, 5500, 2500, 3800, 300)),
                (dt.date(2026, 9, 16), _price(6300, 5500, 2500, 3800, 300)),
            ],
            cost=_cost(5000, 4800, 1800, 2800, 50, 10000, 6000, 5000),
            deposits=(9900, 9900, 3900, 2900, 0),
            categories=("credit",) * 12 + ("debit",) * 6 + ("scan",) * 2,
        ),
        _Product(
            "P02",
            "盛付通大POS",
            "盛付通",
            100,
            60,
            10_000_000,
            None,
            12000,
            8000,
            4000,
            "SFT2026",
            prices=[(JUL1, _price(6000, 5000, 2000, 3800, 0))],
            cost=_cost(5000, 4500, 1500, 2800, 0, 12000, 8000, 4000),
            deposits=(9900, 2900, 0),
            categories=("credit",) * 11 + ("debit",) * 8 + ("scan",),
        ),
        _Product(
            "P03",
            "乐刷扫码王",
            "乐刷",
            100,
            30,
            2_000_000,
            90,
            5000,
            3000,
            2000,
            "LSS2026",
            prices=[(JUL1, _price(6000, 5500, 2500, 3800, 0))],
            cost=_cost(5100, 4900, 2000, 2600, 0, 5000, 3000, 2000),
            deposits=(1900, 2900, 0),
            categories=("credit",) * 5 + ("debit",) * 2 + ("scan",) * 13,
        ),
    ]


def _price_rows(products: list[_Product]) -> list[list[str]]:
    return [
        [
            p.code,
            day.isoformat(),
            format_rate(v["credit"] or 0),
            format_rate(v["debit"] or 0),
            _opt_yuan(v["cap"]),
            format_rate(v["scan"] or 0),
            _yuan(v["per_txn"] or 0),
        ]
        for p in products
        for day, v in p.prices
    ]


# ---------------------------------------------------------------------------- policies

NOT_BELOW = ("credit", "debit", "cap", "scan", "per_txn")  # a child's may not be below its parent's
NOT_ABOVE = ("cashback", "bonus")  # a child's may not be above its parent's
_STEP = {  # what one level of the tree adds (rates) or keeps back (amounts)
    "credit": (0, 100, 100, 200),
    "debit": (0, 50, 100, 100),
    "cap": (0, 0, 100),
    "scan": (0, 100, 200),
    "cashback": (0, 500, 1000, 2000),
    "bonus": (0, 500, 1000),
}


class _Book:
    """Effective-dated policies per (agent, product) that never give a negative 级差."""

    def __init__(self, parent: dict[str, str], depth: dict[str, int]):
        self.parent = parent  # agent -> parent code, AGENCY for first-level agents
        self.depth = depth
        self.children: dict[str, list[str]] = {AGENCY: []}
        for code in parent:
            self.children.setdefault(code, [])
        for code, up in parent.items():
            self.children[up].append(code)
        self.rows: dict[tuple[str, str], list[tuple[Day, dict[str, int]]]] = {}
        self.kind: dict[tuple[str, str, Day], int] = {}  # 0 = first policy, 1 = change

    def start(self, agent: str, product: str) -> Day | None:
        rows = self.rows.get((agent, product))
        return rows[0][0] if rows else None

    def at(self, agent: str, product: str, day: Day) -> dict[str, int] | None:
        rows = self.rows.get((agent, product))
        if not rows:
            return None
        i = bisect.bisect_right([d for d, _ in rows], day) - 1
        return rows[i][1] if i >= 0 else None

    def put(self, agent: str, product: str, day: Day, terms: dict[str, int]) -> None:
        rows = self.rows.setdefault((agent, product), [])
        dates = [d for d, _ in rows]
        i = bisect.bisect_left(dates, day)
        if i < len(rows) and rows[i][0] == day:
            rows[i] = (day, dict(terms))
        else:
            rows.insert(i, (day, dict(terms)))
            self.kind[(agent, product, day)] = 0 if len(rows) == 1 else 1

    def derive(self, rng: random.Random, agent: str, product: _Product, day: Day) -> dict[str, int]:
        """A child's first terms: its parent's plus a random margin."""
        up = self.at(self.parent[agent], product.code, day)
        assert up is not None, (agent, product.code, day)
        t = dict(up)
        for name in ("credit", "debit", "cap", "scan"):
            t[name] += rng.choice(_STEP[name])
        if product.cost["per_txn"]:
            t["per_txn"] += rng.choice((0, 0, 50))
        for name in NOT_ABOVE:
            t[name] = max(0, t[name] - rng.choice(_STEP[name]))
        t["deposit"] = rng.choice(product.deposits)
        return t

    def change(
        self,
        agent: str,
        product: str,
        day: Day,
        *,
        cascade: bool = False,
        add: dict[str, int] | None = None,
        set_: dict[str, int] | None = None,
    ) -> None:
        """A dated change (涨价, 返现下调, 免押 …); with ``cascade`` every descendant gets it too."""
        targets = [agent]
        if cascade:
            queue = [agent]
            while queue:
                for child in self.children[queue.pop(0)]:
                    if self.start(child, product) is not None:
                        targets.append(child)
                        queue.append(child)
        for code in targets:
            old = self.at(code, product, day)
            if old is None:
                continue
            t = dict(old)
            for name, delta in (add or {}).items():
                t[name] += delta
            t.update(set_ or {})
            self.put(code, product, day, t)

    def repair(self, order: list[str], products: Iterable[str]) -> None:
        """Raise or lower children (top-down) so that no date gives a negative 级差."""
        for product in products:
            for code in order:
                rows = self.rows.get((code, product))
                if not rows:
                    continue
                up_rows = self.rows[(self.parent[code], product)]
                first = rows[0][0]
                days = sorted({d for d, _ in rows} | {d for d, _ in up_rows if d > first})
                for day in days:
                    mine, up = self.at(code, product, day), self.at(self.parent[code], product, day)
                    assert mine is not None and up is not None, (code, product, day)
                    fixed = dict(mine)
                    for name in NOT_BELOW:
                        fixed[name] = max(fixed[name], up[name])
                    for name in NOT_ABOVE:
                        fixed[name] = min(fixed[name], up[name])
                    fixed["penalty"] = up["penalty"]
                    if fixed != mine:
                        self.put(code, product, day, fixed)

    def csv_rows(self) -> list[list[str]]:
        """All rows: by date; first policies top-down, changes bottom-up (each row valid in turn)."""
        keyed = []
        for (agent, product), rows in self.rows.items():
            for day, t in rows:
                kind = self.kind[(agent, product, day)]
                depth = self.depth.get(agent, 0)
                keyed.append(((day, kind, depth if kind == 0 else -depth, agent, product), t))
        keyed.sort(key=lambda kt: kt[0])
        return [
            [
                k[3],
                k[4],
                k[0].isoformat(),
                format_rate(t["credit"]),
                format_rate(t["debit"]),
                _yuan(t["cap"]),
                format_rate(t["scan"]),
                _yuan(t["per_txn"]),
                _yuan(t["cashback"]),
                _yuan(t["bonus"]),
                _yuan(t["penalty"]),
                _yuan(t["deposit"]),
            ]
            for k, t in keyed
        ]


# ---------------------------------------------------------------------------- terminals


@dataclass
class _Term:
    sn: str
    product: _Product
    pindex: int  # 1-based product index, for merchant numbers
    n: int  # number within the product
    stocked: Day
    moves: list[tuple[Day, str, str, str]] = field(
        default_factory=list
    )  # date, action, agent, method
    act: Day | None = None  # the intended activation day
    imported: bool = False
    profile: str = "idle"  # qualify / moderate / fake / idle
    noise: bool = False  # small or failed swipes before activation
    scripted: bool = False

    @property
    def merchant_no(self) -> str:
        return _merchant_no(self.pindex, self.n)

    def state(self) -> tuple[str, str | None, Day | None]:
        """(status, holder, date of last move) after all moves so far."""
        status, holder, last = "in_stock", None, None
        for day, action, agent, _m in self.moves:
            last = day
            if action in ("allocate", "transfer"):
                status, holder = "allocated", agent
            elif action == "recall":
                status, holder = "in_stock", None
            elif action == "lost":
                status = "lost"
            elif action == "return":
                status = "returned"
        return status, holder, last


def _check_moves(terms: Iterable[_Term], book: _Book) -> None:
    """Replay every terminal's moves; a bug in the generator fails loudly here."""
    for t in terms:
        status, holder, last = "in_stock", None, t.stocked
        for day, action, agent, _m in t.moves:
            assert day >= last, (t.sn, day, "out of order")
            last = day
            assert status not in ("lost", "returned"), (t.sn, day, action)
            if action in ("allocate", "transfer"):
                start = book.start(agent, t.product.code)
                assert start is not None and start <= day, (t.sn, day, agent, "no policy")
                assert status == ("in_stock" if action == "allocate" else "allocated"), (t.sn, day)
                assert agent != holder, (t.sn, day)
                status, holder = "allocated", agent
            elif action == "recall":
                assert status == "allocated", (t.sn, day)
                status, holder = "in_stock", None
            elif action == "lost":
                assert status == "allocated", (t.sn, day)
                status = "lost"
            elif action == "return":
                assert status == "in_stock", (t.sn, day)
                status = "returned"


def _move_rows(terms: Iterable[_Term]) -> list[list[str]]:
    keyed = []
    for t in terms:
        for i, (day, action, agent, method) in enumerate(t.moves):
            keyed.append(
                ((day, t.product.code, t.n, i), [t.sn, day.isoformat(), action, agent, method])
            )
    keyed.sort(key=lambda kr: kr[0])
    return [r for _, r in keyed]


# ---------------------------------------------------------------------------- amounts

# (low fen, high fen, weight) buckets; integer only, so no binary fractions near money
_AMOUNTS = {
    "credit": (
        (1000, 20000, 15),
        (20000, 100000, 35),
        (100000, 300000, 30),
        (300000, 1000000, 18),
        (1000000, 3000000, 2),
    ),
    "debit": (
        (500, 10000, 20),
        (10000, 50000, 40),
        (50000, 200000, 30),
        (200000, 500000, 7),
        (500001, 3000000, 3),
    ),  # the last bucket is above a 25元 cap at 0.5%
    "scan": ((100, 2000, 30), (2000, 10000, 40), (10000, 50000, 25), (50000, 300000, 5)),
}


def _amount(rng: random.Random, category: str) -> int:
    buckets = _AMOUNTS[category]
    lo, hi, _w = rng.choices(buckets, weights=[b[2] for b in buckets])[0]
    return rng.randint(lo, hi)


def _status(permille: int) -> str:
    """Mostly 成功; now and then 失败, 撤销 or 冲正 (ignored by the settlement)."""
    if permille < 955:
        return "success"
    return "failed" if permille < 980 else "void" if permille < 993 else "reversal"


def _fee(product: _Product, day: Day, amount: int, category: str) -> int:
    """What the merchant paid by the price list in force (for the optional fee column)."""
    p = product.price_at(day)
    part = apply_rate(amount, p[category] or 0)
    if category == "debit" and p["cap"] is not None:
        part = min(part, p["cap"])
    return part + (p["per_txn"] or 0)


# ---------------------------------------------------------------------------- small


D = dt.date
AUG1, OCT31 = D(2026, 8, 1), D(2026, 10, 31)

# code, name, parent, status, payout, tax, joined, note, products
_SMALL_AGENTS = [
    (
        "A01",
        "张建国",
        "",
        "active",
        "direct",
        "6%",
        "2024-03-12",
        "老客户,带三级团队",
        "P01 P02 P03",
    ),
    ("A02", "李秀英", "", "active", "direct", "3%", "2024-05-20", "", "P01 P02 P03"),
    ("A03", "王志强", "", "active", "direct", "0", "2024-08-02", "", "P01 P02 P03"),
    ("A04", "刘桂兰", "", "active", "direct", "6%", "2025-01-15", "", "P01 P02 P03"),
    ("A05", "陈伟", "", "active", "direct", "0", "2025-04-08", "", "P01 P02 P03"),
    ("A06", "杨丽娟", "", "active", "direct", "0", "2025-06-30", "只做拉卡拉、盛付通", "P01 P02"),
    ("A0101", "赵磊", "A01", "active", "direct", "0", "2024-06-01", "", "P01 P02 P03"),
    ("A0102", "黄海燕", "A01", "active", "direct", "6%", "2024-09-10", "", "P01 P02 P03"),
    ("A0201", "周明", "A02", "active", "direct", "0", "2024-11-03", "", "P01 P02 P03"),
    ("A0202", "吴静", "A02", "active", "direct", "3%", "2025-02-18", "", "P01 P02 P03"),
    ("A0301", "徐勇", "A03", "active", "direct", "0", "2025-03-01", "", "P01 P02 P03"),
    (
        "A0302",
        "孙丽",
        "A03",
        "on_hold",
        "direct",
        "0",
        "2025-03-22",
        "9月起停发:违规跨区展业,待核查",
        "P01 P02 P03",
    ),
    ("A0401", "马超", "A04", "active", "direct", "0", "2025-05-06", "", "P01 P02 P03"),
    ("A0402", "朱晓梅", "A04", "active", "direct", "0", "2025-07-19", "", "P01 P02 P03"),
    ("A0501", "胡军", "A05", "active", "direct", "0", "2025-08-30", "", "P01 P02 P03"),
    ("A0502", "郭芳", "A05", "active", "direct", "0", "2026-08-15", "8月新加入", "P01 P02 P03"),
    ("A0601", "何平", "A06", "active", "direct", "0", "2025-09-12", "", "P01 P02"),
    ("A0602", "高敏", "A06", "active", "direct", "0", "2025-10-27", "", "P01 P02"),
    (
        "A010101",
        "林强",
        "A0101",
        "active",
        "via_parent",
        "0",
        "2024-12-05",
        "由赵磊代发",
        "P01 P02 P03",
    ),
    (
        "A010102",
        "罗红梅",
        "A0101",
        "active",
        "via_parent",
        "0",
        "2025-01-20",
        "由赵磊代发",
        "P01 P02 P03",
    ),
    ("A010201", "梁斌", "A0102", "active", "direct", "0", "2025-03-15", "", "P01 P02 P03"),
    ("A020101", "宋涛", "A0201", "active", "direct", "0", "2025-04-28", "", "P01 P02 P03"),
    (
        "A020102",
        "郑霞",
        "A0201",
        "active",
        "via_parent",
        "0",
        "2025-06-09",
        "由周明代发",
        "P01 P02 P03",
    ),
    ("A030101", "谢飞", "A0301", "active", "direct", "0", "2025-07-07", "", "P01 P02 P03"),
    (
        "A030201",
        "韩冬",
        "A0302",
        "active",
        "direct",
        "0",
        "2025-08-16",
        "上级停发,改为直结",
        "P01 P02 P03",
    ),
    (
        "A030202",
        "唐燕",
        "A0302",
        "active",
        "direct",
        "0",
        "2025-09-25",
        "上级停发,改为直结",
        "P01 P02 P03",
    ),
    ("A040101", "冯刚", "A0401", "active", "direct", "0", "2025-11-11", "", "P01 P02 P03"),
    ("A050101", "于洋", "A0501", "active", "direct", "0", "2026-01-06", "", "P01 P02 P03"),
    ("A050201", "董娜", "A0502", "active", "direct", "0", "2026-08-20", "8月新加入", "P01 P02 P03"),
    ("A060101", "萧鹏", "A0601", "active", "direct", "0", "2026-09-05", "9月新加入", "P01 P02"),
]

_SMALL_DEPOSITS = {  # (agent, product) deposits the scripted scenarios rely on
    ("A01", "P01"): 9900,
    ("A0102", "P01"): 3900,
    ("A0201", "P01"): 9900,
    ("A0302", "P01"): 3900,
    ("A05", "P01"): 2900,
    ("A0402", "P01"): 9900,
    ("A0501", "P01"): 1900,
    ("A02", "P02"): 9900,
    ("A0202", "P02"): 0,
    ("A04", "P03"): 2900,
    ("A0301", "P03"): 1900,
    ("A0401", "P01"): 0,
}

_SMALL_ADJUSTMENTS = [
    ("A01", "P01", "2026-08", 20000, "补贴:8月推广补贴"),
    ("A0201", "P01", "2026-09", -9900, "机具款扣回:LKL2026000030 丢失"),
    ("A0302", "P01", "2026-09", 5000, "补贴:旧机换新"),
    ("A02", "P02", "2026-10", -12000, "返现差额扣回"),
    ("A0402", "P01", "2026-10", 30000, "补贴:新装机补贴"),
    ("A010101", "P01", "2026-10", -1550, "流量卡费扣回"),
    ("A0501", "P01", "2026-10", 2000, "补贴:达标冲刺奖"),
]


class _Small:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.products = _products()
        self.pmap = {p.code: p for p in self.products}
        self.agents = _SMALL_AGENTS
        parent = {a[0]: (a[2] or AGENCY) for a in self.agents}
        depth = {a[0]: {3: 1, 5: 2, 7: 3}[len(a[0])] for a in self.agents}
        self.book = _Book(parent, depth)
        self.terms: dict[str, _Term] = {}
        self.order = [a[0] for a in sorted(self.agents, key=lambda a: (depth[a[0]], a[0]))]

    # --- the parties

    def _policies(self) -> None:
        rng, book = self.rng, self.book
        for p in self.products:
            book.put(AGENCY, p.code, JUL1, p.cost)
        for code in self.order:
            spec = next(a for a in self.agents if a[0] == code)
            joined = D.fromisoformat(spec[6])
            start = max(JUL1, joined)
            for pcode in spec[8].split():
                t = book.derive(rng, code, self.pmap[pcode], start)
                t["deposit"] = _SMALL_DEPOSITS.get((code, pcode), t["deposit"])
                book.put(code, pcode, start, t)
        # the company raises the agency's cost of 拉卡拉 credit by 0.03 % on 9-16, and the
        # whole tree follows (the merchant price rises the same day)
        book.change(AGENCY, "P01", D(2026, 9, 16), cascade=True, add={"credit": 300})
        # A04 waives the 乐刷 deposit from 9-10 and takes 0.01 % more on scan
        book.change("A04", "P03", D(2026, 9, 10), add={"scan": 100}, set_={"deposit": 0})
        # A02's 盛付通 price rises mid-month; its children are raised where they would fall below
        book.change("A02", "P02", D(2026, 9, 20), add={"credit": 200, "debit": 100})
        # A03's 拉卡拉 cashback and bonus go down on 10-10; children follow where above
        book.change("A03", "P01", D(2026, 10, 10), add={"cashback": -2000, "bonus": -1000})
        book.repair(self.order, [p.code for p in self.products])

    def _agent_rows(self) -> list[list[str]]:
        out = []
        for code, name, parent, status, payout, tax, joined, note, _p in self.agents:
            phone, id_no, bank, account = _person(self.rng)
            out.append(
                [code, name, parent, status, phone, id_no, payout, tax, bank, account, joined, note]
            )
        return out

    # --- terminals

    def _stock(self) -> None:
        batches = {
            "P01": [(1, 200, D(2026, 7, 6)), (201, 300, D(2026, 8, 3))],
            "P02": [(1, 150, D(2026, 7, 13))],
            "P03": [(1, 100, D(2026, 7, 20)), (101, 150, D(2026, 8, 10))],
        }
        for pindex, p in enumerate(self.products, start=1):
            for lo, hi, day in batches[p.code]:
                for n in range(lo, hi + 1):
                    sn = f"{p.sn_prefix}{n:06d}"
                    self.terms[sn] = _Term(sn, p, pindex, n, day)

    def _t(self, prefix: str, lo: int, hi: int | None = None) -> list[_Term]:
        out = [self.terms[f"{prefix}{n:06d}"] for n in range(lo, (hi or lo) + 1)]
        for t in out:
            t.scripted = True
        return out

    @staticmethod
    def _plan(
        ts: list[_Term],
        act: Day | None,
        profile: str = "qualify",
        imported: bool = False,
        spread: int = 0,
        rng: random.Random | None = None,
    ) -> None:
        for t in ts:
            t.profile = profile
            t.imported = imported
            t.act = (
                act
                if act is None or not spread or rng is None
                else act + dt.timedelta(days=rng.randint(0, spread))
            )

    def _script(self) -> None:
        rng, t, plan = self.rng, self._t, self._plan

        def move(ts: list[_Term], day: Day, action: str, agent: str = "", method: str = "") -> None:
            for x in ts:
                x.moves.append((day, action, agent, method))

        # P01 拉卡拉电签
        ts = t("LKL2026", 1, 5)
        move(ts, D(2026, 8, 1), "allocate", "A01", "cash")
        plan(ts, D(2026, 8, 2), spread=2, rng=rng)
        ts = t("LKL2026", 10)
        move(ts, D(2026, 8, 5), "allocate", "A0102", "deduct")
        plan(ts, D(2026, 8, 5), "moderate")
        ts = t("LKL2026", 11)
        move(ts, D(2026, 8, 5), "allocate", "A0102", "deduct")
        plan(
            ts, D(2026, 8, 8), "moderate"
        )  # its pre-activation swipes are written in _transactions
        for n, alloc, act in (
            (20, D(2026, 8, 1), D(2026, 10, 5)),
            (21, D(2026, 8, 3), D(2026, 10, 2)),
            (22, D(2026, 8, 3), D(2026, 10, 3)),
        ):
            ts = t("LKL2026", n)
            move(ts, alloc, "allocate", "A01", "cash")
            plan(ts, act, "qualify")
        ts = t("LKL2026", 30)
        move(ts, D(2026, 8, 4), "allocate", "A0201", "deduct")
        move(ts, D(2026, 8, 15), "lost")
        plan(ts, D(2026, 9, 3), "moderate")
        ts = t("LKL2026", 31)
        move(ts, D(2026, 8, 4), "allocate", "A0201", "deduct")
        move(ts, D(2026, 9, 12), "lost")
        plan(ts, D(2026, 8, 6), "qualify")
        ts = t("LKL2026", 32)
        move(ts, D(2026, 8, 4), "allocate", "A0201", "deduct")
        move(ts, D(2026, 8, 20), "lost")
        plan(ts, D(2026, 8, 20), "moderate")
        ts = t("LKL2026", 40)
        move(ts, D(2026, 8, 2), "allocate", "A0302", "deduct")
        move(ts, D(2026, 8, 28), "recall")
        move(ts, D(2026, 9, 2), "allocate", "A0401")
        plan(ts, D(2026, 9, 10), "qualify")
        ts = t("LKL2026", 41)
        move(ts, D(2026, 8, 2), "allocate", "A0302", "deduct")
        move(ts, D(2026, 9, 15), "recall")
        move(ts, D(2026, 9, 25), "allocate", "A030201")
        plan(ts, D(2026, 8, 5), "qualify")
        ts = t("LKL2026", 42, 49)
        move(ts, D(2026, 8, 2), "allocate", "A0302", "deduct")
        plan(ts, D(2026, 8, 4), "qualify", spread=6, rng=rng)
        ts = t("LKL2026", 50)
        move(ts, D(2026, 8, 6), "allocate", "A05", "deduct")
        move(ts, D(2026, 8, 10), "recall")
        move(ts, D(2026, 8, 12), "return")
        plan(ts, None, "idle")
        ts = t("LKL2026", 60, 69)
        move(ts, D(2026, 8, 1), "allocate", "A01", "deduct")
        move(ts, D(2026, 8, 15), "transfer", "A0101")
        move(ts[:5], D(2026, 9, 18), "transfer", "A010101")
        plan(ts, D(2026, 8, 3), "qualify", spread=10, rng=rng)
        ts = t("LKL2026", 70, 75)
        move(ts, D(2026, 8, 2), "allocate", "A06", "cash")
        move(ts[:5], D(2026, 9, 18), "transfer", "A060101")
        move(ts[5:], D(2026, 9, 18), "transfer", "A0601")
        move(ts[5:], D(2026, 9, 18), "transfer", "A060101")
        plan(ts, D(2026, 8, 4), "qualify", spread=5, rng=rng)
        ts = t("LKL2026", 80, 89)
        move(ts, D(2026, 8, 3), "allocate", "A0501", "deduct")
        plan(ts, D(2026, 8, 4), "fake", spread=6, rng=rng)
        ts = t("LKL2026", 90)
        move(ts, D(2026, 8, 16), "allocate", "A0502", "cash")
        plan(ts, D(2026, 8, 20), "qualify", imported=True)
        ts = t("LKL2026", 100, 129)
        move(ts, D(2026, 10, 8), "allocate", "A0402", "deduct")
        plan(ts[:4], D(2026, 10, 15), "moderate", spread=10, rng=rng)
        plan(ts[4:], None, "idle")
        ts = t("LKL2026", 280)
        move(ts, D(2026, 8, 25), "allocate", "A0101", "deduct")
        plan(ts, D(2026, 8, 18), "qualify", imported=True)
        plan(t("LKL2026", 281, 290), None, "idle")
        plan(t("LKL2026", 291, 295), D(2026, 8, 10), "qualify", spread=20, rng=rng)
        plan(t("LKL2026", 296, 298), None, "idle")
        ts = t("LKL2026", 299)
        move(ts, D(2026, 8, 20), "return")
        plan(t("LKL2026", 300), None, "idle")

        # P02 盛付通大POS
        ts = t("SFT2026", 20)
        move(ts, D(2026, 8, 1), "allocate", "A02", "cash")
        plan(ts, D(2026, 10, 20), "qualify")
        ts = t("SFT2026", 21, 28)
        move(ts, D(2026, 8, 3), "allocate", "A02", "deduct")
        plan(ts, D(2026, 8, 5), "fake", spread=15, rng=rng)
        ts = t("SFT2026", 33)
        move(ts, D(2026, 8, 1), "allocate", "A0202", "deduct")
        plan(ts, D(2026, 8, 5), "fake", imported=True)
        ts = t("SFT2026", 40, 49)
        move(ts, D(2026, 8, 5), "allocate", "A02", "deduct")
        plan(ts, D(2026, 8, 6), "qualify", spread=8, rng=rng)
        ts = t("SFT2026", 140)
        move(ts, D(2026, 9, 1), "allocate", "A02", "deduct")
        plan(ts, D(2026, 8, 12), "qualify")
        plan(t("SFT2026", 141, 145), None, "idle")
        plan(t("SFT2026", 146, 148), D(2026, 8, 20), "moderate", spread=10, rng=rng)
        plan(t("SFT2026", 149, 150), None, "idle")

        # P03 乐刷扫码王
        ts = t("LSS2026", 30)
        move(ts, D(2026, 8, 10), "allocate", "A0301", "deduct")
        move(ts, D(2026, 9, 8), "lost")
        plan(ts, None, "idle")
        ts = t("LSS2026", 40, 49)
        move(ts, D(2026, 9, 5), "allocate", "A04", "deduct")
        plan(ts, D(2026, 9, 6), "qualify", spread=12, rng=rng)
        ts = t("LSS2026", 50, 59)
        move(ts, D(2026, 9, 12), "allocate", "A04", "cash")
        plan(ts, D(2026, 9, 13), "moderate", spread=12, rng=rng)
        plan(t("LSS2026", 141, 149), None, "idle")
        ts = t("LSS2026", 150)
        move(ts, D(2026, 8, 25), "return")

    def _fill(self) -> None:
        """Ordinary business for every terminal not scripted: batches to random agents."""
        rng = self.rng
        weight = {1: 4, 2: 3, 3: 2}
        for p in self.products:
            free = [t for t in self.terms.values() if t.product is p and not t.scripted]
            agents = [a[0] for a in self.agents if p.code in a[8].split() and a[0] != "A0302"]
            i = 0
            while i < len(free):
                agent = rng.choices(agents, weights=[weight[self.book.depth[a]] for a in agents])[0]
                batch = free[i : i + rng.randint(4, 14)]
                i += len(batch)
                start = self.book.start(agent, p.code)
                assert start is not None
                lo = max(AUG1, start, max(t.stocked for t in batch))
                day = _rand_day(rng, lo, D(2026, 10, 20))
                method = "cash" if rng.randrange(10) < 3 else "deduct"
                for t in batch:
                    t.moves.append((day, "allocate", agent, method))
                    self._ordinary(t, day, agent)

    def _ordinary(self, t: _Term, day: Day, agent: str) -> None:
        rng, book = self.rng, self.book
        profile = rng.choices(("qualify", "moderate", "fake", "idle"), weights=(44, 22, 12, 22))[0]
        lag = rng.choice((0, 1, 1, 2, 2, 3, 4, 5, 7, 10, 14, 21, 30))
        act = day + dt.timedelta(days=lag)
        if profile == "idle" or act > OCT31:
            t.profile, t.act = "idle", None
            t.noise = t.product.code == "P01" and rng.randrange(10) < 2
        else:
            t.profile, t.act = profile, act
            t.imported = rng.randrange(100) < 6
            t.noise = not t.imported and t.product.code == "P01" and rng.randrange(10) < 1
        r = rng.randrange(100)
        later = day + dt.timedelta(days=rng.randint(1, 40))
        if later > D(2026, 10, 28):
            return
        if r < 12:  # 调拨 to a child (or, failing that, a sibling) holding a policy by then
            kids = [
                c
                for c in book.children[agent]
                if c != "A0302" and (s := book.start(c, t.product.code)) and s <= later
            ]
            if not kids:
                up = book.parent[agent]
                kids = [
                    c
                    for c in book.children[up]
                    if c != agent
                    and c != "A0302"
                    and (s := book.start(c, t.product.code))
                    and s <= later
                ]
            if kids:
                t.moves.append((later, "transfer", rng.choice(kids), ""))
        elif r < 14:  # 回拨, half of them handed out again to another agent
            t.moves.append((later, "recall", "", ""))
            again = later + dt.timedelta(days=rng.randint(1, 20))
            if rng.randrange(2) and again <= D(2026, 10, 28):
                others = [
                    a[0]
                    for a in self.agents
                    if a[0] not in (agent, "A0302")
                    and (s := book.start(a[0], t.product.code))
                    and s <= again
                ]
                t.moves.append((again, "allocate", rng.choice(others), ""))
        elif r < 16:
            t.moves.append((later, "lost", "", ""))

    # --- transactions

    def _transactions(self) -> list[tuple[str, str, str, int, str, str]]:
        """(time, sn, merchant_no, amount fen, category, status) for every terminal."""
        rng = self.rng
        out: list[tuple[str, str, str, int, str, str]] = []

        def at(day: Day) -> str:
            s = rng.randint(8 * 3600, 22 * 3600 - 1)
            return f"{day.isoformat()} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"

        for t in self.terms.values():
            p, mno = t.product, t.merchant_no
            first = max(AUG1, t.stocked)
            thr = p.activation_min
            if t.sn == "LKL2026000011":
                out += [
                    ("2026-08-06 10:12:45", t.sn, mno, 1000, "credit", "success"),
                    ("2026-08-07 15:40:02", t.sn, mno, 200000, "credit", "failed"),
                    ("2026-08-08 09:05:31", t.sn, mno, 8800, "credit", "success"),
                ]
            elif t.noise:
                before = _days(first, (t.act or OCT31) - dt.timedelta(days=1))
                for day in sorted(rng.sample(before, min(len(before), rng.randint(1, 2)))):
                    if rng.randrange(3):
                        out.append(
                            (at(day), t.sn, mno, rng.randint(100, thr - 1), "credit", "success")
                        )
                    else:
                        out.append(
                            (at(day), t.sn, mno, _amount(rng, "credit") + thr, "credit", "failed")
                        )
            if t.act is None:
                continue
            window_end = t.act + dt.timedelta(days=(p.qualify_days or 30) - 1)
            if t.profile == "fake":
                if not t.imported:
                    out.append(
                        (at(t.act), t.sn, mno, rng.randint(thr, thr + 15000), "credit", "success")
                    )
                    for _ in range(rng.randint(0, 2)):
                        day = _rand_day(rng, t.act, min(window_end, OCT31))
                        out.append((at(day), t.sn, mno, rng.randint(100, 3000), "scan", "success"))
                continue
            pct, most = (85, 4) if t.profile == "qualify" else (40, 2)
            # a "qualify" merchant makes sure of 达标: a big day halfway through the window
            push = t.act + dt.timedelta(days=(p.qualify_days or 30) // 2)
            volume = 0
            for day in _days(t.act, OCT31):
                forced = day == t.act and not t.imported and t.sn != "LKL2026000011"
                if not forced and rng.randrange(100) >= pct:
                    continue
                # the activating swipe, when forced, is the day's first
                for k, time in enumerate(sorted(at(day) for _ in range(rng.randint(1, most)))):
                    cat = rng.choice(p.categories)
                    amount = _amount(rng, cat)
                    status = _status(rng.randrange(1000))
                    if forced and k == 0:
                        status, amount = "success", max(amount, thr + rng.randint(0, 20000))
                    out.append((time, t.sn, mno, amount, cat, status))
                    volume += amount if status == "success" else 0
                if t.profile == "qualify" and day >= push and p.qualify_volume:
                    while volume < p.qualify_volume:
                        amount = rng.randint(500000, 2000000)
                        out.append((at(day), t.sn, mno, amount, "credit", "success"))
                        volume += amount
                    push = OCT31 + dt.timedelta(days=1)
        # a few refunds (退货) of earlier successful card payments, days later
        paid = [
            x
            for x in out
            if x[5] == "success"
            and x[4] != "scan"
            and x[0] < "2026-10-25"
            and not self.terms[x[1]].scripted  # keep the scripted stories exact
        ]
        for x in rng.sample(paid, 30):
            day = D.fromisoformat(x[0][:10]) + dt.timedelta(days=rng.randint(0, 5))
            amount = x[3] if rng.randrange(2) else rng.randint(100, x[3])
            out.append((at(day), x[1], x[2], amount, x[4], "refund"))
        out.sort()
        return out

    # --- the files

    def write(self, folder: Path) -> list[str]:
        rng = self.rng
        self._policies()
        agent_rows = self._agent_rows()
        self._stock()
        self._script()
        self._fill()
        _check_moves(self.terms.values(), self.book)
        txs = self._transactions()

        _write(folder, "products", [p.row() for p in self.products])
        _write(folder, "prices", _price_rows(self.products))
        _write(folder, "agents", agent_rows)
        _write(folder, "policies", self.book.csv_rows())
        _write(
            folder,
            "terminals",
            [[t.sn, t.product.code, t.stocked.isoformat()] for t in self.terms.values()],
        )
        _write(folder, "moves", _move_rows(self.terms.values()))
        _write(
            folder,
            "activations",
            [
                [t.sn, t.act.isoformat(), t.merchant_no, _shop(rng)]
                for t in self.terms.values()
                if t.imported and t.act is not None
            ],
        )
        seq = itertools.count(1)
        tx_rows = []
        for time, sn, mno, amount, cat, status in txs:
            day = D.fromisoformat(time[:10])
            fee = (
                _yuan(_fee(self.terms[sn].product, day, amount, cat)) if status == "success" else ""
            )
            tx_rows.append(
                [f"T{day:%Y%m%d}{next(seq):07d}", time, sn, mno, _yuan(amount), cat, status, fee]
            )
        _write(folder, "transactions", tx_rows)
        _write(
            folder, "adjustments", [[a, p, m, _yuan(v), r] for a, p, m, v, r in _SMALL_ADJUSTMENTS]
        )
        return sorted({time[:7] for time, *_ in txs})


# ---------------------------------------------------------------------------- large


class _Large:
    """5,000 agents, 100,000 terminals, 2,000,000 transactions in 2026-10."""

    LEVELS = (40, 460, 1500, 3000)
    TERMINALS = (("P01", 60_000), ("P02", 40_000))
    TRANSACTIONS = 2_000_000
    MONTH_FIRST, MONTH_LAST = D(2026, 10, 1), D(2026, 10, 31)

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.products = _products()[:2]

    def write(self, folder: Path) -> list[str]:
        rng = self.rng
        # agents: a tree of four levels, parents listed before their children
        codes: list[str] = []
        parent: dict[str, str] = {}
        depth: dict[str, int] = {}
        joined: dict[str, Day] = {}
        prev: list[str] = [AGENCY]
        for level, count in enumerate(self.LEVELS, start=1):
            mine = []
            for _ in range(count):
                code = f"A{len(codes) + 1:05d}"
                codes.append(code)
                mine.append(code)
                up = rng.choice(prev)
                parent[code], depth[code] = up, level
                lo = D(2023, 1, 1) if up == AGENCY else joined[up]
                late = level == 4 and rng.randrange(100) < 5
                joined[code] = (
                    _rand_day(rng, D(2026, 9, 1), D(2026, 10, 20))
                    if late
                    else _rand_day(rng, lo, max(lo, D(2026, 6, 30)))
                )
            prev = mine
        agent_rows = []
        for code in codes:
            phone, id_no, bank, account = _person(rng)
            status = "on_hold" if rng.randrange(1000) < 4 else "active"
            payout = "via_parent" if depth[code] > 1 and rng.randrange(5) == 0 else "direct"
            tax = rng.choice(("0", "0", "0", "6%", "3%"))
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            up = "" if parent[code] == AGENCY else parent[code]
            agent_rows.append(
                [
                    code,
                    name,
                    up,
                    status,
                    phone,
                    id_no,
                    payout,
                    tax,
                    bank,
                    account,
                    joined[code].isoformat(),
                    "",
                ]
            )

        book = _Book(parent, depth)
        for p in self.products:
            book.put(AGENCY, p.code, JUL1, p.cost)
            for code in codes:
                book.put(
                    code,
                    p.code,
                    max(JUL1, joined[code]),
                    book.derive(rng, code, p, max(JUL1, joined[code])),
                )
        book.change(AGENCY, "P01", D(2026, 10, 16), cascade=True, add={"credit": 300})
        for code in rng.sample(codes[:500], 30):
            book.change(
                code,
                rng.choice(("P01", "P02")),
                _rand_day(rng, D(2026, 10, 2), D(2026, 10, 28)),
                add={"credit": 100, "scan": 100},
            )
        book.repair(codes, [p.code for p in self.products])

        # terminals, stocked in batches of 5,000 in August and September
        terms: list[_Term] = []
        for pindex, (_pcode, count) in enumerate(self.TERMINALS, start=1):
            prod = self.products[pindex - 1]
            for n in range(1, count + 1):
                stocked = D(2026, 8, 3) + dt.timedelta(days=((len(terms) // 5000) * 3))
                terms.append(_Term(f"{prod.sn_prefix}{n:06d}", prod, pindex, n, stocked))
        trade_from: list[Day | None] = [None] * len(terms)
        i = 0
        while i < len(terms):
            size = rng.randint(5, 60)
            batch = [t for t in terms[i : i + size] if t.product is terms[i].product]
            i += len(batch)
            if (
                rng.randrange(100) < 3
            ):  # stays in stock; a few are returned, a few trade for the agency
                for t in batch:
                    r = rng.randrange(10)
                    if r == 0:
                        t.moves.append(
                            (t.stocked + dt.timedelta(days=rng.randint(1, 30)), "return", "", "")
                        )
                    elif r < 3:
                        trade_from[i - len(batch) + batch.index(t)] = t.stocked
                continue
            pcode = batch[0].product.code
            agent = rng.choice(codes)
            start = book.start(agent, pcode)
            assert start is not None
            lo = max(start, batch[-1].stocked + dt.timedelta(days=1), D(2026, 9, 1))
            if lo > D(2026, 10, 25):
                agent, lo = codes[0], max(batch[-1].stocked + dt.timedelta(days=1), D(2026, 9, 1))
            day = _rand_day(rng, lo, D(2026, 10, 25))
            method = "cash" if rng.randrange(10) < 3 else "deduct"
            for k, t in enumerate(batch):
                idx = i - len(batch) + k
                t.moves.append((day, "allocate", agent, method))
                if rng.randrange(100) < 80:
                    trade_from[idx] = day + dt.timedelta(days=rng.choice((0, 1, 2, 3, 5, 8, 13)))
                r = rng.randrange(1000)
                later = day + dt.timedelta(days=rng.randint(1, 30))
                if later > D(2026, 10, 30):
                    continue
                if r < 30:
                    kids = [
                        c
                        for c in book.children[agent]
                        if (s := book.start(c, pcode)) and s <= later
                    ]
                    if kids:
                        t.moves.append((later, "transfer", rng.choice(kids), ""))
                elif r < 35:
                    t.moves.append((later, "recall", "", ""))
                elif r < 38:
                    t.moves.append((later, "lost", "", ""))
        _check_moves(terms, book)

        imported = []
        for idx in rng.sample(range(len(terms)), 3000):
            t = terms[idx]
            frm = trade_from[idx]
            if frm is not None and frm <= self.MONTH_LAST:
                act = max(frm, self.MONTH_FIRST)
                imported.append(
                    (t.product.code, t.n, [t.sn, act.isoformat(), t.merchant_no, _shop(rng)])
                )
        imported.sort(key=lambda x: (x[0], x[1]))

        _write(folder, "products", [p.row() for p in self.products])
        _write(folder, "prices", _price_rows(self.products))
        _write(folder, "agents", agent_rows)
        _write(folder, "policies", book.csv_rows())
        _write(folder, "terminals", [[t.sn, t.product.code, t.stocked.isoformat()] for t in terms])
        _write(folder, "moves", _move_rows(terms))
        _write(folder, "activations", [r for _, _, r in imported])
        self._transactions(folder, terms, trade_from)
        _write(
            folder,
            "adjustments",
            [
                [codes[k], "P01", "2026-10", _yuan(v), reason]
                for k, v, reason in (
                    (0, 50000, "补贴:10月冲量奖励"),
                    (3, -9900, "机具款扣回"),
                    (41, 12000, "补贴"),
                    (600, -3000, "流量卡费扣回"),
                )
            ],
        )
        return ["2026-10"]

    def _transactions(self, folder: Path, terms: list[_Term], trade_from: list[Day | None]) -> None:
        """Stream 2,000,000 rows, day by day in time order, without holding them all."""
        rng = self.rng
        rb = rng.getrandbits
        days = _days(self.MONTH_FIRST, self.MONTH_LAST)
        # a terminal holds "tickets" in proportion to how busy its merchant is, from the day it
        # starts trading; a day's rows draw tickets uniformly
        starting: dict[Day, list[int]] = {day: [] for day in days}
        for i, first in enumerate(trade_from):
            if first is not None and first <= self.MONTH_LAST:
                starting[max(first, self.MONTH_FIRST)].append(i)
        activity = [rng.choice((1, 1, 2, 2, 3, 5, 8)) for _ in range(len(terms))]
        sizes = list(itertools.accumulate(sum(activity[i] for i in starting[d]) for d in days))
        counts = [self.TRANSACTIONS * z // sum(sizes) for z in sizes]
        for k in range(self.TRANSACTIONS - sum(counts)):
            counts[-1 - k % len(counts)] += 1
        # lookup tables turn the per-row work into a few table reads
        size = 1 << 16
        amounts = {c: [_yuan(_amount(rng, c)) for _ in range(1 << 13)] for c in _AMOUNTS}
        amount_cat = [
            [f"{amounts[c][rb(13)]},{c}" for c in (p.categories[k % 20] for k in range(size))]
            for p in self.products
        ]
        for table in amount_cat:
            rng.shuffle(table)
        statuses = (
            ["success"] * 957
            + ["failed"] * 25
            + ["void"] * 10
            + ["reversal"] * 4
            + ["refund"] * 4
            + ["success"] * 24
        )
        hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        middle = [f",{t.sn},{t.merchant_no}," for t in terms]
        by_product = [amount_cat[t.pindex - 1] for t in terms]
        tickets: list[int] = []
        seq = 0
        path = folder / "transactions.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            f.write(",".join(h for h in HEADERS["transactions"] if h != "fee") + "\n")
            for day, count in zip(days, counts, strict=True):
                for i in starting[day]:
                    tickets.extend([i] * activity[i])
                n = len(tickets)
                # one sortable int per row: second of the day (07:00 … 23:00), then the terminal
                keys = sorted(
                    (25200 + rb(16) % 57600) << 20 | tickets[rb(32) % n] for _ in range(count)
                )
                ds = day.isoformat()
                dc = f"T{day:%Y%m%d}"
                lines = []
                for key in keys:
                    seq += 1
                    t = key & 0xFFFFF
                    lines.append(
                        f"{dc}{seq:07d},{ds} {hms[key >> 20]}{middle[t]}"
                        f"{by_product[t][rb(16)]},{statuses[rb(10)]}\n"
                    )
                f.write("".join(lines))
