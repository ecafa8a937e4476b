"""Two writers at the same moment (FORMATS "two writers", app.models.db): real processes of
``posdesk`` race, many times.  No traceback ever; each file lands whole or not at all (a
refused one says 数据库正忙…请稍后重试); a lock and an import are ordered — the import is in
the locked figures or lands in the next month — and the figures equal a one-at-a-time run
in the order that happened."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core import closing, settlement
from app.models import Txn
from app.models.db import open_database
from tests.helpers import Office, write
from tests.unit.core.test_month_lock import MOVES, POLICIES, PRICES, TERMINALS

ROWS = 1500  # per file: enough for the import to hold the write lock a while
ROUNDS = 5  # of each race; the whole file stays well under a minute
HEADER = "tx_id,time,sn,merchant_no,amount,category,status\n"


def _tx_file(folder: Path, name: str, prefix: str, sn: str, month: str) -> Path:
    rows = [
        f"{prefix}{i},{month}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00,{sn},M1,"
        f"{100 + i % 900}.{i % 100:02d},{'贷记卡' if i % 3 else '借记卡'},成功"
        for i in range(ROWS)
    ]
    return write(folder, name, HEADER + "\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """An office with June locked and September traded; the race files beside it."""
    folder = tmp_path_factory.mktemp("writers")
    db = open_database(folder / "base.db")
    office = Office(folder).base(
        prices=PRICES, policies=POLICIES, terminals=TERMINALS, moves=MOVES, min_payout=0
    )
    office.tx("J1,2026-06-10 10:00:00,T1,M1,100.00,贷记卡,成功")
    closing.lock("2026-06")
    office.tx("S1,2026-09-10 10:00:00,T1,M1,5000.00,贷记卡,成功")
    db.close()
    files = {
        "a": _tx_file(folder, "a.csv", "A", "T1", "2026-10"),
        "b": _tx_file(folder, "b.csv", "B", "T2", "2026-10"),
        "c": _tx_file(folder, "c.csv", "C", "T2", "2026-09"),
    }
    return folder, files


def _copy(base_folder: Path, target: Path) -> Path:
    shutil.copy(base_folder / "base.db", target)
    return target


def _figures(db_path: Path) -> dict:
    """Every month's statements (September computed or locked, then October)."""
    db = open_database(db_path)
    try:
        out = {}
        for month in ("2026-09", "2026-10"):
            if not settlement.statement_json(month)["locked"]:
                settlement.compute_month(month)
            out[month] = settlement.statement_json(month)
        out["txn_months"] = sorted(
            {(t.tx_id[0], t.month) for t in Txn.select(Txn.tx_id, Txn.month)}
        )
        return out
    finally:
        db.close()


def _sequential(base_folder: Path, target: Path, steps: list[tuple[str, Path | str]]) -> dict:
    """The same commands one after the other, in this process."""
    from app.io.importers import import_file

    path = _copy(base_folder, target)
    db = open_database(path)
    for kind, arg in steps:
        if kind == "import":
            import_file("transactions", arg)
        else:
            closing.lock(str(arg))
    db.close()
    return _figures(path)


def _race(db_path: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess]:
    # a generous wait on a loaded test machine: a DEFERRED begin is refused at once anyway
    env = {**os.environ, "POSDESK_BUSY_TIMEOUT_S": "30"}
    procs = []
    for cmd in commands:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "app", "--db", str(db_path), *cmd],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env,
        ))
        time.sleep(random.uniform(0, 0.3))  # a different overlap each round
    out = []
    for p, cmd in zip(procs, commands, strict=True):
        stdout, stderr = p.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(cmd, p.returncode, stdout, stderr))
    for r in out:
        assert "Traceback" not in r.stderr, r.stderr
        assert r.returncode in (0, 2), (r.returncode, r.stderr)
        if r.returncode == 2:
            assert "数据库正忙" in r.stderr and "请稍后重试" in r.stderr, r.stderr
            REFUSED.append(r.stderr)
    return out


# The commands here take a second or two, the wait is 30 s: a second writer waits
# for the first at its BEGIN IMMEDIATE and then succeeds.  A transaction begun DEFERRED
# would be refused at once ("database is locked" when its read snapshot went stale).
REFUSED: list[str] = []


@pytest.fixture(autouse=True)
def _nobody_refused():
    REFUSED.clear()
    yield
    assert REFUSED == [], "a writer gave up although the other finished well within the wait"


def _count(db_path: Path, prefix: str) -> int:
    db = open_database(db_path)
    try:
        return Txn.select().where(Txn.tx_id.startswith(prefix)).count()
    finally:
        db.close()


def test_two_imports_at_once(base, tmp_path):
    folder, files = base
    expected = {
        (True, True): _sequential(folder, tmp_path / "ab.db", [("import", files["a"]), ("import", files["b"])]),
    }
    for n in range(ROUNDS):
        path = _copy(folder, tmp_path / f"race{n}.db")
        order = random.sample(["a", "b"], 2)
        results = _race(path, [["import", "transactions", str(files[k])] for k in order])
        landed = {k: r.returncode == 0 for k, r in zip(order, results, strict=True)}
        for k in order:  # whole or nothing
            assert _count(path, k.upper()) == (ROWS if landed[k] else 0)
        key = (landed["a"], landed["b"])
        if key not in expected:
            steps = [("import", files[k]) for k in ("a", "b") if landed[k]]
            expected[key] = _sequential(folder, tmp_path / f"seq{n}.db", steps)
        assert _figures(path) == expected[key]


def test_an_import_against_a_lock(base, tmp_path):
    folder, files = base
    before = _sequential(folder, tmp_path / "before.db", [("import", files["c"]), ("lock", "2026-09")])
    after = _sequential(folder, tmp_path / "after.db", [("lock", "2026-09"), ("import", files["c"])])
    assert before != after  # the two orders are told apart
    assert ("C", "2026-09") in before["txn_months"] and ("C", "2026-10") in after["txn_months"]
    seen = set()
    for n in range(ROUNDS):
        path = _copy(folder, tmp_path / f"race{n}.db")
        commands = [["import", "transactions", str(files["c"])], ["statement", "lock", "2026-09"]]
        random.shuffle(commands)
        results = {r.args[0]: r for r in _race(path, commands)}
        imported = results["import"].returncode == 0
        locked = results["statement"].returncode == 0
        assert _count(path, "C") == (ROWS if imported else 0)
        figures = _figures(path)
        if imported and locked:  # both landed: in one order or the other, never in between
            assert figures in (before, after)
            seen.add("before" if figures == before else "after")
        else:  # one was refused (busy): the other alone
            steps = [("import", files["c"])] if imported else []
            steps += [("lock", "2026-09")] if locked else []
            assert figures == _sequential(folder, tmp_path / f"seq{n}.db", steps)


def test_a_writer_that_waited_too_long_is_told_in_chinese(base, tmp_path):
    """Another program holds the write lock (a raw BEGIN IMMEDIATE): every writing command
    waits its busy timeout, then exits 2 with the message, writing nothing."""
    import sqlite3

    folder, files = base
    path = _copy(folder, tmp_path / "held.db")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    env = {**os.environ, "POSDESK_BUSY_TIMEOUT_S": "1"}
    try:
        for cmd in (["import", "transactions", str(files["a"])], ["statement", "lock", "2026-09"],
                    ["statement", "compute", "2026-10"]):
            r = subprocess.run([sys.executable, "-m", "app", "--db", str(path), *cmd],
                               capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)
            assert r.returncode == 2, (cmd, r.stderr)
            assert "数据库正忙…请稍后重试" in r.stderr and "Traceback" not in r.stderr, r.stderr
            assert "已等待 1 秒" in r.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _count(path, "A") == 0
    r = subprocess.run([sys.executable, "-m", "app", "--db", str(path), "import", "transactions",
                        str(files["a"])], capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert r.returncode == 0, r.stderr
    assert _count(path, "A") == ROWS
