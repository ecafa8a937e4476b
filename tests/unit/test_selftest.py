"""``posdesk --self-test`` (app/selftest.py): every step runs and says so; a failure is named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app import selftest

ROOT = Path(__file__).resolve().parents[2]
STEPS = [
    "temp-folder",
    "migrate",
    "demo",
    "derived",
    "compute",
    "lock-month",
    "slip",
    "qt-offscreen",
    "single-instance",
    "main-window",
]


def check_output(stdout: str) -> None:
    """Every step printed ``OK <step> (<ms> ms)`` in order, then the closing line."""
    lines = [line for line in stdout.splitlines() if line.startswith(("OK ", "FAIL "))]
    assert [line.split(" ")[1] for line in lines] == [*STEPS, "self-test"], stdout
    for line in lines:
        assert line.startswith("OK ") and line.endswith(" ms)"), line


def test_self_test_command_passes(tmp_path):
    temp = str(tmp_path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": temp, "TEMP": temp, "TMP": temp}
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--self-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_output(proc.stdout)
    assert not any(tmp_path.iterdir()), "the self-test left its temp folder behind"


def test_a_failing_step_is_named_and_exits_1(monkeypatch, capsys):
    def broken(self):
        raise RuntimeError("demo data missing")

    monkeypatch.setattr(selftest._Run, "demo", broken)
    assert selftest.self_test() == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("OK temp-folder (")
    assert out[1].startswith("OK migrate (")
    assert out[2] == "FAIL demo: RuntimeError: demo data missing"
    assert len(out) == 3
