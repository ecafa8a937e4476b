"""Invariants of the month, for any tree, policies and transactions (hypothesis).

The engine prices grouped transactions in SQL; here a naive reference prices every
transaction one by one along its chain, so the two are independent.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import settlement
from app.core.money import MICRO, round_micro
from app.core.months import set_setting
from app.io.importers import import_file
from app.models.db import open_database

CATS = {"credit": "贷记卡", "debit": "借记卡", "scan": "扫码"}


@dataclass
class P:
    credit: int
    debit: int
    cap: int | None
    scan: int
    per: int

    def fee(self, cat: str, amount: int, refund: bool) -> int:
        rate = {"credit": self.credit, "debit": self.debit, "scan": self.scan}[cat]
        part = abs(amount) * rate
        if cat == "debit" and self.cap is not None:
            part = min(part, self.cap * MICRO)
        return -part if refund else part + self.per * MICRO

    def csv(self) -> str:
        cap = "" if self.cap is None else f"{self.cap / 100:.2f}"
        return f"{self.credit / 10000}%,{self.debit / 10000}%,{cap},{self.scan / 10000}%,{self.per / 100:.2f}"


def _child(rng: random.Random, parent: P) -> P:
    cap = None if parent.cap is None or rng.random() < 0.2 else parent.cap + rng.randint(0, 300)
    return P(parent.credit + rng.randint(0, 400), parent.debit + rng.randint(0, 400), cap,
             parent.scan + rng.randint(0, 400), parent.per + rng.randint(0, 30))


@dataclass
class Scenario:
    parents: list[int | None]
    policies: dict[int | None, P]
    price: P
    holders: dict[str, list[tuple[int, int | None]]]  # sn → [(day, holder)]
    txs: list[tuple[str, int, str, int, str, str]]  # id, day, sn, amount fen, cat, status
    # later versions from an October day: of leaf agents' policies (raising a leaf never
    # makes a negative 级差) and of the merchant price
    changes: dict[int, list[tuple[int, P]]] = field(default_factory=dict)
    price_changes: list[tuple[int, P]] = field(default_factory=list)

    def policy_on(self, agent: int | None, day: int) -> P:
        out = self.policies[agent]
        for start, version in self.changes.get(agent, []) if agent is not None else []:
            if start <= day:
                out = version
        return out

    def price_on(self, day: int) -> P:
        out = self.price
        for start, version in self.price_changes:
            if start <= day:
                out = version
        return out


def scenario(seed: int) -> Scenario:
    rng = random.Random(seed)
    n = rng.randint(1, 6)
    parents: list[int | None] = [None if i == 0 else rng.choice([None, *range(i)]) for i in range(n)]
    base = P(rng.randint(2000, 5000), rng.randint(2000, 5000),
             rng.choice([None, rng.randint(1000, 2500)]), rng.randint(2000, 4000), rng.randint(0, 40))
    policies: dict[int | None, P] = {None: base}
    for i in range(n):
        policies[i] = _child(rng, policies[parents[i]])
    price = P(rng.randint(5000, 8000), rng.randint(4000, 7000), rng.choice([None, rng.randint(2000, 4000)]),
              rng.randint(3000, 6000), rng.randint(0, 100))
    holders: dict[str, list[tuple[int, int | None]]] = {}
    for k in range(4):
        sn = f"S{k}"
        first = rng.choice([None, *range(n)])
        timeline = [(1, first)]
        if first is not None and rng.random() < 0.5:
            other = rng.choice([x for x in range(n)] + [None])
            if other != first:
                timeline.append((rng.randint(2, 20), other))
                third = rng.choice([x for x in range(n)])
                if other is not None and third != other and rng.random() < 0.4:
                    timeline.append((rng.randint(21, 28), third))  # a second change
        holders[sn] = timeline
    txs = []
    for j in range(rng.randint(1, 30)):
        status = rng.choice(["成功"] * 6 + ["退货", "撤销"])
        amount = rng.choice([rng.randint(1, 5000), rng.randint(1, 200_000), rng.randint(100_000, 3_000_000)])
        txs.append((f"X{j}", rng.randint(1, 31), rng.choice(list(holders)), amount,
                    rng.choice(list(CATS)), status))
    leaves = [i for i in range(n) if i not in parents]
    changes: dict[int, list[tuple[int, P]]] = {}
    for leaf in leaves:
        if rng.random() < 0.5:
            days = sorted(rng.sample(range(2, 29), rng.randint(1, 5)))  # 4+ take the day path
            version = policies[leaf]
            changes[leaf] = []
            for day in days:
                version = _child(rng, version)
                changes[leaf].append((day, version))
    price_changes = []
    if rng.random() < 0.3:
        price_changes.append((rng.randint(2, 28), P(price.credit + 300, price.debit + 300,
                              price.cap, price.scan + 300, price.per)))  # fmt: skip
    return Scenario(parents, policies, price, holders, txs, changes, price_changes)


def holder_on(timeline: list[tuple[int, int | None]], day: int) -> int | None:
    out = None
    for start, h in timeline:
        if start <= day:
            out = h
    return out


def reference(sc: Scenario) -> tuple[dict[tuple[str, str], int], int]:
    """(agent code, category) → amount in fen, and the pool, priced one by one."""
    micro: dict[tuple[str, str], int] = {}
    pool = 0
    for _id, day, sn, amount, cat, status in sc.txs:
        if status == "撤销":
            continue
        refund = status == "退货"
        h = holder_on(sc.holders[sn], day)
        chain: list[int | None] = []
        node = h
        while node is not None:
            chain.append(node)
            node = sc.parents[node]
        chain.append(None)
        chain.reverse()
        merchant = sc.price_on(day).fee(cat, amount, refund)
        fees = [sc.policy_on(a, day).fee(cat, amount, refund) for a in chain]
        pool += merchant - fees[0]
        for i in range(1, len(chain)):
            upper = merchant if i == len(chain) - 1 else fees[i + 1]
            key = (f"A{chain[i]}", cat)
            micro[key] = micro.get(key, 0) + upper - fees[i]
    return {k: round_micro(v) for k, v in micro.items()}, round_micro(pool)


def files(sc: Scenario, folder: Path) -> dict[str, Path]:
    def w(name: str, text: str) -> Path:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    out = {
        "products": w("products.csv", "code,name\nP1,产品\n"),
        "prices": w("prices.csv", "product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn\n"
                    f"P1,2026-09-01,{sc.price.csv()}\n"
                    + "".join(f"P1,2026-10-{d:02d},{p.csv()}\n" for d, p in sc.price_changes)),
        "agents": w("agents.csv", "code,name,parent\n" + "".join(
            f"A{i},代理{i},{'' if p is None else f'A{p}'}\n" for i, p in enumerate(sc.parents))),
        "policies": w("policies.csv", "agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate,per_txn\n"
                      + "".join(f"{'AGENCY' if a is None else f'A{a}'},P1,2026-09-01,{p.csv()}\n"
                                for a, p in sc.policies.items())
                      + "".join(f"A{a},P1,2026-10-{d:02d},{p.csv()}\n"
                                for a, versions in sc.changes.items() for d, p in versions)),
        "terminals": w("terminals.csv", "sn,product,stocked\n" + "".join(f"{sn},P1,2026-09-01\n" for sn in sc.holders)),
    }
    moves = ["sn,date,action,agent"]
    for sn, timeline in sc.holders.items():
        prev = None
        for day, h in timeline:
            if h is None and prev is not None:
                moves.append(f"{sn},2026-10-{day:02d},回拨,")
            elif h is not None:
                action = "下发" if prev is None else "调拨"
                moves.append(f"{sn},2026-10-{day:02d},{action},A{h}")
            prev = h
    if len(moves) > 1:
        out["moves"] = w("moves.csv", "\n".join(moves) + "\n")
    return out


def tx_csv(rows, path: Path) -> Path:
    lines = ["tx_id,time,sn,amount,category,status"]
    for tx_id, day, sn, amount, cat, status in rows:
        lines.append(f"{tx_id},2026-10-{day:02d} 12:00:00,{sn},{amount / 100:.2f},{CATS[cat]},{status}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load(sc: Scenario, folder: Path, tx_files: list[Path]):
    db = open_database(folder / "p.db")
    set_setting("min_payout", "0")
    for kind, path in files(sc, folder).items():
        import_file(kind, path)
    for path in tx_files:
        import_file("transactions", path)
    return db


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.integers(0, 10**9))
def test_engine_matches_reference_and_shares_add_up_to_pool(seed):
    sc = scenario(seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = load(sc, folder, [tx_csv(sc.txs, folder / "tx.csv")])
        settlement.compute_month("2026-10")
        data = settlement.statement_json("2026-10")
        pool = db.execute_sql("SELECT COALESCE(SUM(pool), 0) FROM agency_margin WHERE month = '2026-10'").fetchone()[0]
        db.close()
    expected, expected_pool = reference(sc)
    got = {}
    total = 0
    for s in data["statements"]:
        for p in s["products"]:
            for cat in CATS:
                if p[cat]["count"]:
                    got[(s["agent"], cat)] = p[cat]["amount_fen"]
                total += p[cat]["amount_fen"]
    assert got == {k: v for k, v in expected.items() if k in got} and set(expected) == set(got)
    margin = sum(m["margin_fen"] for m in data["agency"]["products"])
    assert pool == expected_pool
    assert total + margin == expected_pool


@FAST
@given(st.integers(0, 10**9), st.randoms(use_true_random=False))
def test_import_twice_any_order_or_split_gives_same_statements(seed, rnd):
    sc = scenario(seed)
    results = []
    for variant in ("once", "shuffled_split_twice"):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            rows = list(sc.txs)
            if variant == "once":
                paths = [tx_csv(rows, folder / "tx.csv")]
            else:
                rnd.shuffle(rows)
                cut = rnd.randint(0, len(rows))
                a, b = tx_csv(rows[:cut], folder / "a.csv"), tx_csv(rows[cut:], folder / "b.csv")
                paths = [b, a, a, b] if rows[:cut] and rows[cut:] else [tx_csv(rows, folder / "t.csv")] * 2
            db = load(sc, folder, paths)
            settlement.compute_month("2026-10")
            first = settlement.statement_json("2026-10")
            settlement.compute_month("2026-10")
            assert settlement.statement_json("2026-10") == first  # computing twice: identical
            results.append(first)
            db.close()
    assert results[0] == results[1]


@FAST
@given(st.integers(0, 10**9))
def test_locked_month_never_changes(seed):
    sc = scenario(seed)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        half = max(1, len(sc.txs) // 2)
        db = load(sc, folder, [tx_csv(sc.txs[:half], folder / "a.csv")])
        settlement.lock_month("2026-10")
        frozen = settlement.statement_json("2026-10")
        if sc.txs[half:]:
            import_file("transactions", tx_csv(sc.txs[half:], folder / "b.csv"))
        import_file("adjustments", _adj(folder, rng))
        settlement.compute_month("2026-11")
        assert settlement.statement_json("2026-10") == frozen
        db.close()


def _adj(folder: Path, rng: random.Random) -> Path:
    path = folder / "adj.csv"
    path.write_text(f"agent,product,month,amount,reason\nA0,P1,2026-10,{rng.randint(-500, 500)}.00,调账\n",
                    encoding="utf-8")
    return path
