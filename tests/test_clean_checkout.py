"""A test run writes nothing into the checkout: no .hypothesis, no .pytest_cache, no file
of its own (tests write into tmp_path; hypothesis' examples live in the temp folder)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _left_behind() -> set[str]:
    """Every untracked path, ignored ones included, except Python's own bytecode caches."""
    run = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "."],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    paths = {line[3:] for line in run.stdout.splitlines() if line[:2] in ("??", "!!")}
    return {p for p in paths if "__pycache__/" not in p and not p.endswith(".pyc")}


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="not a git checkout")
def test_a_test_run_leaves_nothing_in_the_checkout():
    before = _left_behind()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # a hypothesis test (it would write .hypothesis/) run the way the README runs the suite
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/unit/core/test_money.py"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert _left_behind() - before == set()
