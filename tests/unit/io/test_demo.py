"""The demo data files: deterministic, well-formed, and every rule of DOMAIN.md exercised.

The checks re-read the CSV files with ``csv`` and re-derive everything independently of the
generator (its own policy book and move replay are not used here)."""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import filecmp
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from app.core.money import parse_money, parse_rate, parse_tax_rate
from app.io.demo import SMALL_SCENARIOS, write_demo_files

D = dt.date.fromisoformat

# the english column names of FORMATS.md's "Canonical files" table
FORMAT_COLUMNS = {
    "products": "code name company activation_min qualify_days qualify_volume deposit_days "
    "company_cashback company_qualify_bonus company_unqualified_penalty",
    "prices": "product effective_from credit_rate debit_rate debit_cap scan_rate per_txn",
    "agents": "code name parent status phone id_no payout tax_rate bank bank_account joined note",
    "policies": "agent product effective_from credit_rate debit_rate debit_cap scan_rate per_txn "
    "cashback qualify_bonus unqualified_penalty deposit",
    "terminals": "sn product stocked",
    "moves": "sn date action agent deposit_method",
    "activations": "sn activated merchant_no merchant_name",
    "transactions": "tx_id time sn merchant_no amount category status fee",
    "adjustments": "agent product month amount reason",
}
IMPORT_ORDER = [
    "products", "prices", "agents", "policies", "terminals", "moves", "activations",
    "transactions", "adjustments",
]  # fmt: skip


def read(folder: Path, kind: str) -> list[dict[str, str]]:
    with (folder / f"{kind}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo_small")
    demo = write_demo_files(folder)
    return demo, {kind: read(folder, kind) for kind in IMPORT_ORDER}


# ---------------------------------------------------------------------------- checkers

RATE_NOT_BELOW = ("credit_rate", "debit_rate", "scan_rate")
MONEY_NOT_BELOW = ("debit_cap", "per_txn")
NOT_ABOVE = ("cashback", "qualify_bonus")


def parse_terms(row: dict[str, str]) -> dict[str, int | None]:
    t: dict[str, int | None] = {k: parse_rate(row[k]) for k in RATE_NOT_BELOW}
    t["debit_cap"] = parse_money(row["debit_cap"]) if row["debit_cap"].strip() else None
    for k in ("per_txn", "cashback", "qualify_bonus", "unqualified_penalty", "deposit"):
        t[k] = parse_money(row[k]) if row[k].strip() else 0
    return t


def policy_history(data) -> dict[tuple[str, str], list[tuple[dt.date, dict]]]:
    hist: dict[tuple[str, str], list[tuple[dt.date, dict]]] = defaultdict(list)
    for r in data["policies"]:
        agent = "AGENCY" if r["agent"] in ("AGENCY", "本机构") else r["agent"]
        hist[(agent, r["product"])].append((D(r["effective_from"]), parse_terms(r)))
    for rows in hist.values():
        rows.sort(key=lambda x: x[0])
        assert len({d for d, _ in rows}) == len(rows), "two policies on one date"
    return hist


def in_force(rows: list[tuple[dt.date, dict]], day: dt.date) -> dict | None:
    i = bisect.bisect_right([d for d, _ in rows], day) - 1
    return rows[i][1] if i >= 0 else None


def spread_violations(data) -> list[str]:
    """Every (child, product, date) where the child's terms give its parent a negative 级差."""
    hist = policy_history(data)
    parent = {a["code"]: (a["parent"] or "AGENCY") for a in data["agents"]}
    company = {p["code"]: p for p in data["products"]}
    out = []
    for (agent, product), rows in hist.items():
        if agent == "AGENCY":
            continue
        up_rows = hist.get((parent[agent], product))
        if not up_rows or up_rows[0][0] > rows[0][0]:
            out.append(f"{agent} {product}: parent {parent[agent]} has no policy from {rows[0][0]}")
            continue
        days = sorted({d for d, _ in rows} | {d for d, _ in up_rows if d >= rows[0][0]})
        for day in days:
            c, p = in_force(rows, day), in_force(up_rows, day)
            assert c is not None and p is not None
            for k in RATE_NOT_BELOW + MONEY_NOT_BELOW:
                cv = c[k] if c[k] is not None else 10**12
                pv = p[k] if p[k] is not None else 10**12
                if cv < pv:
                    out.append(f"{agent} {product} {day} {k} {cv} < {parent[agent]}'s {pv}")
            for k in NOT_ABOVE:
                if c[k] > p[k]:
                    out.append(f"{agent} {product} {day} {k} {c[k]} > {parent[agent]}'s {p[k]}")
            if parent[agent] == "AGENCY":
                co = company[product]
                if c["cashback"] > parse_money(co["company_cashback"]):
                    out.append(f"{agent} {product} {day} cashback above the company's")
                if c["qualify_bonus"] > parse_money(co["company_qualify_bonus"]):
                    out.append(f"{agent} {product} {day} bonus above the company's")
    return out


def replay_problems(data) -> list[str]:
    """Replay the moves file in order; every move must be possible when it happens."""
    hist = policy_history(data)
    product = {t["sn"]: t["product"] for t in data["terminals"]}
    stocked = {t["sn"]: D(t["stocked"]) for t in data["terminals"]}
    agents = {a["code"] for a in data["agents"]}
    state = {sn: ("in_stock", None) for sn in product}
    last = dict(stocked)
    out = []
    for i, m in enumerate(data["moves"], start=2):
        sn, day, action, agent = m["sn"], D(m["date"]), m["action"], m["agent"]
        status, holder = state[sn]
        bad = None
        if day < last[sn]:
            bad = f"dated {day}, before {last[sn]} (stock-in or earlier move)"
        elif status in ("lost", "returned"):
            bad = f"{action} after {status}"
        elif action in ("allocate", "transfer"):
            rows = hist.get((agent, product[sn]))
            if agent not in agents:
                bad = f"unknown agent {agent}"
            elif not rows or rows[0][0] > day:
                bad = f"{agent} has no {product[sn]} policy on {day}"
            elif action == "allocate" and status != "in_stock":
                bad = "allocate of a terminal not in stock"
            elif action == "transfer" and (status != "allocated" or holder == agent):
                bad = f"transfer from {status}/{holder} to {agent}"
            else:
                status, holder = "allocated", agent
        elif action == "recall":
            if status != "allocated":
                bad = "recall of a terminal not held"
            status, holder = "in_stock", None
        elif action == "lost":
            if status != "allocated":
                bad = "lost while not held"
            status = "lost"
        elif action == "return":
            if status != "in_stock":
                bad = "return of a terminal not in stock"
            status = "returned"
        else:
            bad = f"unknown action {action}"
        if bad:
            out.append(f"moves row {i} {sn}: {bad}")
        state[sn] = (status, holder)
        last[sn] = day
    return out


class World:
    """Holders, activation days and volumes re-derived from the files."""

    def __init__(self, data):
        self.products = {p["code"]: p for p in data["products"]}
        self.product = {t["sn"]: t["product"] for t in data["terminals"]}
        self.stocked = {t["sn"]: D(t["stocked"]) for t in data["terminals"]}
        self.moves: dict[str, list[dict]] = defaultdict(list)
        for m in data["moves"]:
            self.moves[m["sn"]].append(m)
        self.imported = {a["sn"]: D(a["activated"]) for a in data["activations"]}
        self.txs: dict[str, list[dict]] = defaultdict(list)
        for t in data["transactions"]:
            self.txs[t["sn"]].append(t)

    def state_on(self, sn: str, day: dt.date) -> tuple[str, str | None]:
        status, holder = "in_stock", None
        for m in self.moves[sn]:
            if D(m["date"]) > day:
                break
            if m["action"] in ("allocate", "transfer"):
                status, holder = "allocated", m["agent"]
            elif m["action"] == "recall":
                status, holder = "in_stock", None
            else:
                status = {"lost": "lost", "return": "returned"}[m["action"]]
        return status, holder

    def holder_on(self, sn: str, day: dt.date) -> str | None:
        return self.state_on(sn, day)[1]

    def move_day(self, sn: str, action: str) -> dt.date | None:
        days = [D(m["date"]) for m in self.moves[sn] if m["action"] == action]
        return days[0] if days else None

    def activation(self, sn: str) -> dt.date | None:
        if sn in self.imported:
            return self.imported[sn]
        threshold = parse_money(self.products[self.product[sn]]["activation_min"])
        for t in self.txs[sn]:
            if t["status"] == "success" and parse_money(t["amount"]) >= threshold:
                return D(t["time"][:10])
        return None

    def window(self, sn: str) -> tuple[dt.date, dt.date, int, int]:
        """(activation, window end, counted volume in the window, threshold)."""
        p = self.products[self.product[sn]]
        act = self.activation(sn)
        assert act is not None, sn
        end = act + dt.timedelta(days=int(p["qualify_days"]) - 1)
        volume = 0
        for t in self.txs[sn]:
            if act <= D(t["time"][:10]) <= end:
                if t["status"] == "success":
                    volume += parse_money(t["amount"])
                elif t["status"] == "refund":
                    volume -= parse_money(t["amount"])
        return act, end, volume, parse_money(p["qualify_volume"])


def sns(spec: str) -> list[str]:
    """'LKL2026000060-069' → the ten SNs."""
    if "-" not in spec:
        return [spec]
    first, last = spec.split("-")
    prefix, lo = first[:-6], int(first[-6:])
    return [f"{prefix}{n:06d}" for n in range(lo, int(last) + 1)]


# ---------------------------------------------------------------------------- small


def test_files_in_import_order_with_canonical_headers(small):
    demo, _data = small
    assert [k for k, _ in demo.files] == IMPORT_ORDER
    assert demo.months == ["2026-08", "2026-09", "2026-10"]
    assert demo.agency_name and demo.min_payout_fen == 5000
    for kind, path in demo.files:
        assert path.parent == demo.folder
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        header = raw.decode("utf-8").splitlines()[0].split(",")
        assert header == FORMAT_COLUMNS[kind].split(), kind


def test_same_seed_gives_identical_bytes(tmp_path):
    a = write_demo_files(tmp_path / "a")
    b = write_demo_files(tmp_path / "b")
    for (_k, pa), (_k2, pb) in zip(a.files, b.files, strict=True):
        assert filecmp.cmp(pa, pb, shallow=False), pa.name
    c = write_demo_files(tmp_path / "c", seed=7)
    assert not filecmp.cmp(
        a.folder / "transactions.csv", c.folder / "transactions.csv", shallow=False
    )


def test_unknown_scale_is_refused(tmp_path):
    with pytest.raises(ValueError):
        write_demo_files(tmp_path, scale="huge")


def test_no_negative_spread_on_any_date(small):
    _demo, data = small
    assert spread_violations(data) == []


def test_policy_rates_never_above_the_merchant_price(small):
    _demo, data = small
    prices: dict[str, list[tuple[dt.date, dict]]] = defaultdict(list)
    for r in data["prices"]:
        prices[r["product"]].append((D(r["effective_from"]), r))
    for (agent, product), rows in policy_history(data).items():
        days = sorted({d for d, _ in rows} | {d for d, _ in prices[product] if d > rows[0][0]})
        for day in days:
            terms, price = (
                in_force(rows, day),
                in_force(sorted(prices[product], key=lambda x: x[0]), day),
            )
            assert terms is not None and price is not None
            for k in RATE_NOT_BELOW:
                assert terms[k] <= parse_rate(price[k]), (agent, product, day, k)
            assert terms["debit_cap"] <= parse_money(price["debit_cap"]), (agent, product, day)
            assert terms["per_txn"] <= parse_money(price["per_txn"]), (agent, product, day)


def test_every_move_is_valid(small):
    _demo, data = small
    assert replay_problems(data) == []


def test_dates_never_before_stock_in(small):
    _demo, data = small
    stocked = {t["sn"]: D(t["stocked"]) for t in data["terminals"]}
    for t in data["transactions"]:
        assert D(t["time"][:10]) >= stocked[t["sn"]], t
    for a in data["activations"]:
        assert D(a["activated"]) >= stocked[a["sn"]], a
        assert a["merchant_no"] and a["merchant_name"]


def test_rows_are_well_formed(small):
    _demo, data = small
    txs = data["transactions"]
    assert len({t["tx_id"] for t in txs}) == len(txs)
    assert [t["time"] for t in txs] == sorted(t["time"] for t in txs)
    for t in txs:
        dt.datetime.strptime(t["time"], "%Y-%m-%d %H:%M:%S")
        whole, _, cents = t["amount"].partition(".")
        assert whole.isdigit() and len(cents) == 2 and parse_money(t["amount"]) > 0
        assert t["category"] in ("credit", "debit", "scan")
        assert t["status"] in ("success", "void", "reversal", "failed", "refund")
        assert (t["fee"] != "") == (t["status"] == "success")
    for a in data["agents"]:
        assert len(a["phone"]) == 11 and a["phone"][0] == "1" and a["phone"].isdigit()
        body = a["id_no"][:17]
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
        assert len(a["id_no"]) == 18 and a["id_no"][17] == check
        assert len(a["bank_account"]) == 19 and a["bank_account"].isdigit() and a["bank"]
        parse_tax_rate(a["tax_rate"])
    for m in data["moves"]:
        assert m["deposit_method"] in ("", "deduct", "cash")


def test_counts_are_as_stated(small):
    _demo, data = small
    assert 25 <= len(data["agents"]) <= 35
    levels = Counter(
        1
        if not a["parent"]
        else 2
        if not next(x for x in data["agents"] if x["code"] == a["parent"])["parent"]
        else 3
        for a in data["agents"]
    )
    assert set(levels) == {1, 2, 3} and levels[1] >= 5
    assert len(data["terminals"]) == 600
    assert 20_000 <= len(data["transactions"]) <= 40_000
    assert len(data["products"]) == 3
    assert len({p["company"] for p in data["products"]}) == 3


def test_every_rule_is_exercised_somewhere(small):
    _demo, data = small
    w = World(data)
    products = {p["code"]: p for p in data["products"]}
    # products: a blank deposit period, different thresholds and windows
    assert any(not p["deposit_days"] for p in products.values())
    assert len({p["activation_min"] for p in products.values()}) >= 2
    assert len({p["qualify_days"] for p in products.values()}) >= 2
    # merchant price: a change inside 2026-09, per_txn 0 on one product and not on another
    assert any(
        D(p["effective_from"]).month == 9 and D(p["effective_from"]).day > 1 for p in data["prices"]
    )
    assert {parse_money(p["per_txn"]) == 0 for p in data["prices"]} == {True, False}
    # policies: mid-month changes, deposits 0/19/29/39/99
    hist = policy_history(data)
    changes = [d for rows in hist.values() for d, _ in rows[1:]]
    assert any(d.month == 9 and 1 < d.day for d in changes)
    deposits = {t["deposit"] for rows in hist.values() for _, t in rows}
    assert {0, 1900, 2900, 3900, 9900} <= deposits
    # agents: on hold, paid through the parent, tax rates
    assert any(a["status"] == "on_hold" for a in data["agents"])
    assert any(a["payout"] == "via_parent" for a in data["agents"])
    assert {parse_tax_rate(a["tax_rate"]) for a in data["agents"]} >= {0, 30000, 60000}
    # moves: every action, both deposit methods
    assert {m["action"] for m in data["moves"]} == {
        "allocate",
        "transfer",
        "recall",
        "lost",
        "return",
    }
    assert {m["deposit_method"] for m in data["moves"] if m["action"] == "allocate"} >= {
        "cash",
        "deduct",
    }
    # transactions: every status, big debit above the cap, stock and lost terminals trading
    txs = data["transactions"]
    assert {t["status"] for t in txs} == {"success", "void", "reversal", "failed", "refund"}
    assert 10 <= sum(t["status"] == "refund" for t in txs) <= 100
    assert sum(t["category"] == "debit" and parse_money(t["amount"]) > 500000 for t in txs) >= 10
    in_stock = lost = 0
    for t in txs:
        status, _holder = w.state_on(t["sn"], D(t["time"][:10]))
        in_stock += status == "in_stock"
        lost += status == "lost"
    assert in_stock >= 50 and lost >= 20
    # adjustments of both signs with reasons
    amounts = [parse_money(a["amount"]) for a in data["adjustments"]]
    assert min(amounts) < 0 < max(amounts) and all(a["reason"] for a in data["adjustments"])


def test_scripted_scenarios_hold(small):
    _demo, data = small
    w = World(data)
    for spec in SMALL_SCENARIOS:
        for sn in sns(spec):
            assert sn in w.product, sn

    def alloc(sn):
        return w.move_day(sn, "allocate")

    def gap(sn):
        return (w.activation(sn) - alloc(sn)).days

    # deposit period boundaries on P01 (60 days); P02 has none
    assert gap("LKL2026000021") == 60 and gap("LKL2026000022") == 61 and gap("LKL2026000020") > 60
    assert gap("SFT2026000020") > 60 and not w.products["P02"]["deposit_days"]
    assert gap("LKL2026000010") == 0
    # below-threshold and failed swipes do not activate
    assert w.activation("LKL2026000011") == dt.date(2026, 8, 8)
    assert w.txs["LKL2026000011"][0]["time"].startswith("2026-08-06")
    # lost before / on / after the activation day, with transactions after the loss
    assert w.move_day("LKL2026000030", "lost") < w.activation("LKL2026000030")
    assert w.move_day("LKL2026000032", "lost") == w.activation("LKL2026000032")
    lost31 = w.move_day("LKL2026000031", "lost")
    assert w.activation("LKL2026000031") < lost31
    assert any(D(t["time"][:10]) > lost31 for t in w.txs["LKL2026000031"])
    assert w.activation("LSS2026000030") is None and w.move_day("LSS2026000030", "lost")
    # recall and re-allocation: the deposit's payer keeps it, refunded within 60 days
    assert [m["action"] for m in w.moves["LKL2026000040"]] == ["allocate", "recall", "allocate"]
    assert w.moves["LKL2026000040"][0]["agent"] == "A0302" and gap("LKL2026000040") <= 60
    assert w.holder_on("LKL2026000040", w.activation("LKL2026000040")) == "A0401"
    recall41 = w.move_day("LKL2026000041", "recall")
    assert any(
        w.holder_on("LKL2026000041", D(t["time"][:10])) is None and D(t["time"][:10]) >= recall41
        for t in w.txs["LKL2026000041"]
    )
    assert [m["action"] for m in w.moves["LKL2026000050"]] == ["allocate", "recall", "return"]
    # activated in stock before the first allocation (no deposit owed)
    for sn in ("SFT2026000140", "LKL2026000280"):
        assert w.activation(sn) < alloc(sn)
    assert "LKL2026000280" in w.imported
    # mid-month transfers, with trading on both sides of the day
    for sn in sns("LKL2026000070-075") + sns("LKL2026000060-064"):
        assert (
            w.holder_on(sn, dt.date(2026, 9, 17))
            != w.holder_on(sn, dt.date(2026, 9, 18))
            == ("A060101" if sn.startswith("LKL202600007") else "A010101")
        )
    days = {D(t["time"][:10]) for sn in sns("LKL2026000070-075") for t in w.txs[sn]}
    assert any(d.month == 9 and d.day < 18 for d in days) and any(
        d.month == 9 and d.day >= 18 for d in days
    )
    assert [m["agent"] for m in w.moves["LKL2026000075"]] == ["A06", "A0601", "A060101"]
    # 伪激活: windows that end inside the three months without reaching the threshold
    for sn in sns("LKL2026000080-089") + sns("SFT2026000021-028") + ["SFT2026000033"]:
        _act, end, volume, threshold = w.window(sn)
        assert end <= dt.date(2026, 10, 31) and volume < threshold, sn
    assert w.txs["SFT2026000033"] == [] and "SFT2026000033" in w.imported
    # 达标 within the window
    for sn in sns("LKL2026000001-005"):
        _act, _end, volume, threshold = w.window(sn)
        assert volume >= threshold, sn
    # stock terminals trading for the agency alone; returns from stock
    for sn in sns("LKL2026000291-295") + sns("SFT2026000146-148"):
        assert not w.moves[sn] and w.txs[sn]
    for sn in ("LKL2026000299", "LSS2026000150"):
        assert [m["action"] for m in w.moves[sn]] == ["return"] and not w.txs[sn]
    # the 免押 change of A04 on P03 between two allocations
    hist = policy_history(data)
    assert in_force(hist[("A04", "P03")], dt.date(2026, 9, 5))["deposit"] == 2900
    assert in_force(hist[("A04", "P03")], dt.date(2026, 9, 12))["deposit"] == 0
    assert alloc("LSS2026000040") == dt.date(2026, 9, 5) and alloc("LSS2026000050") == dt.date(
        2026, 9, 12
    )
    # an agent without a P03 policy never gets a P03 terminal
    assert ("A06", "P03") not in hist
    assert not any(
        w.product[m["sn"]] == "P03" and m["agent"].startswith("A06") for m in data["moves"]
    )


# ---------------------------------------------------------------------------- large


@pytest.mark.slow
def test_large_scale_row_counts_and_validity(tmp_path):
    demo = write_demo_files(tmp_path, scale="large")
    assert demo.months == ["2026-10"]

    def count(kind):
        with (tmp_path / f"{kind}.csv").open(encoding="utf-8") as f:
            return sum(1 for _ in f) - 1

    assert count("agents") == 5000
    assert count("terminals") == 100_000
    assert count("transactions") == 2_000_000
    data = {k: read(tmp_path, k) for k in IMPORT_ORDER if k != "transactions"}
    assert spread_violations(data) == []
    assert replay_problems(data) == []
    depth = {}
    parents = {a["code"]: a["parent"] for a in data["agents"]}
    for code, up in parents.items():
        depth[code] = 1 if not up else depth[up] + 1
    assert max(depth.values()) == 4
    stocked = {t["sn"]: t["stocked"] for t in data["terminals"]}
    with (tmp_path / "transactions.csv").open(encoding="utf-8") as f:
        next(f)
        for line in f:
            _tx, time, sn, *_ = line.split(",", 3)
            assert time[:7] == "2026-10" and time[:10] >= stocked[sn]
