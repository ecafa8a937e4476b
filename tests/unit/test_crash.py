"""kill -9 in the middle of an import, a compute, a lock and a PDF batch (issue 22).

A child process (tests/crash_child.py) runs the operation on a copy of a test office and
kills itself with SIGKILL at its Nth progress report.  Afterwards ``PRAGMA
integrity_check`` is ok, the interrupted work left nothing or everything, and running it
again gives exactly the figures (and, for a locked month, the PDF bytes) of a run that was
never interrupted."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

ROOT = Path(__file__).resolve().parents[2]
ROWS = 25_000  # three insert batches of 10,000 in the child: three progress reports


def _child(db: Path, op: str, kill_at: int, arg: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "tests.crash_child", str(db), op, str(kill_at), arg],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def _integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def _scalar(db: Path, sql: str) -> object:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def _statements(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT s.month, s.agent_id, s.gross, s.tax, s.payable, l.product_id, l.subtotal, "
            "l.credit_count, l.credit_volume, l.credit_amount, l.debit_amount FROM statement s "
            "JOIN statement_line l ON l.statement_id = s.id ORDER BY 1, 2, 6").fetchall()
        return repr(rows)
    finally:
        con.close()


def _checkpoint(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def _copy(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The test office without transactions, and a transactions file of ROWS rows."""
    from app.core.session import open_database
    from app.models.db import close_database
    from tests.helpers import Office

    folder = tmp_path_factory.mktemp("crash")
    db = folder / "base.db"
    open_database(db)
    Office(folder).base()
    close_database()
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode = DELETE")
    con.close()
    csv = folder / "tx.csv"
    with csv.open("w", encoding="utf-8") as f:
        f.write("tx_id,time,sn,merchant_no,amount,category,status\n")
        for i in range(ROWS):
            kind = ("贷记卡", "借记卡", "扫码")[i % 3]
            f.write(f"K{i},2026-10-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00,T{1 + i % 3},"
                    f"M{i % 7},{1 + i % 5000}.{i % 100:02d},{kind},成功\n")
    return folder, db, csv


@pytest.fixture(scope="module")
def reference(office):
    """An uninterrupted run: import, compute, lock, PDFs."""
    folder, base, csv = office
    db = _copy(base, folder / "ref" / "posdesk.db")
    for op, arg in (("import", str(csv)), ("compute", ""), ("lock", ""),
                    ("pdf", str(folder / "ref" / "pdf"))):
        r = _child(db, op, 0, arg)
        assert r.returncode == 0 and "DONE" in r.stdout, r.stderr
        if op in ("import", "compute"):  # the state each later test starts from
            _checkpoint(db)
            _copy(db, folder / f"after_{op}.db")
        if op == "compute":
            computed = _statements(db)
    pdfs = {p.name: p.read_bytes() for p in (folder / "ref" / "pdf").glob("*.pdf")}
    return computed, _statements(db), pdfs


def _killed(r: subprocess.CompletedProcess) -> bool:
    return r.returncode == -signal.SIGKILL and "DONE" not in r.stdout


@pytest.mark.parametrize("kill_at", [1, 3])
def test_import_killed_leaves_nothing_and_a_rerun_matches(office, reference, tmp_path, kill_at):
    _folder, base, csv = office
    db = _copy(base, tmp_path / "posdesk.db")
    assert _killed(_child(db, "import", kill_at, str(csv)))
    assert _integrity(db) == "ok"
    assert _scalar(db, "SELECT COUNT(*) FROM txn") == 0  # all or nothing: nothing
    assert _scalar(db, "SELECT COUNT(*) FROM import_batch WHERE kind = 'transactions'") == 0
    for op, arg in (("import", str(csv)), ("compute", "")):
        assert _child(db, op, 0, arg).returncode == 0
    assert _scalar(db, "SELECT COUNT(*) FROM txn") == ROWS
    assert _statements(db) == reference[0]


@pytest.mark.parametrize("kill_at", [2, 5])
def test_compute_killed_leaves_the_month_as_it_was_and_a_rerun_matches(
        office, reference, tmp_path, kill_at):
    folder, _base, _csv = office
    db = _copy(folder / "after_import.db", tmp_path / "posdesk.db")
    assert _killed(_child(db, "compute", kill_at))
    assert _integrity(db) == "ok"
    assert _scalar(db, "SELECT COUNT(*) FROM statement") == 0
    assert _child(db, "compute", 0).returncode == 0
    assert _statements(db) == reference[0]


@pytest.mark.parametrize("kill_at", [1, 5])
def test_lock_killed_leaves_the_month_open_and_a_rerun_matches(office, reference, tmp_path, kill_at):
    folder, _base, _csv = office
    db = _copy(folder / "after_compute.db", tmp_path / "posdesk.db")
    assert _killed(_child(db, "lock", kill_at))
    assert _integrity(db) == "ok"
    assert _scalar(db, "SELECT COUNT(*) FROM month_state WHERE state = 'locked'") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM lock_seal") == 0
    assert _statements(db) == reference[0]
    assert _child(db, "lock", 0).returncode == 0
    assert _statements(db) == reference[1]
    assert _scalar(db, "SELECT COUNT(*) FROM lock_seal") == 1


@pytest.mark.parametrize("kill_at", [1, 3])
def test_pdf_batch_killed_leaves_no_half_file_and_a_rerun_is_identical(
        office, reference, tmp_path, kill_at):
    folder, _base, _csv = office
    db = _copy(folder / "ref" / "posdesk.db", tmp_path / "posdesk.db")
    out = tmp_path / "pdf"
    assert _killed(_child(db, "pdf", kill_at, str(out)))
    assert _integrity(db) == "ok"
    assert not list(out.glob("*.pdf"))  # written in a hidden folder, moved when whole
    assert _child(db, "pdf", 0, str(out)).returncode == 0
    assert {p.name: p.read_bytes() for p in out.glob("*.pdf")} == reference[2]
