"""The frozen build: ``build/posdesk.spec`` makes a one-folder bundle that passes its own
``--self-test`` without Python or the source tree (issue 7).

Slow (a PyInstaller build takes a minute or two); .ci/run runs it with every other test.
It prints the bundle size, the build time and the cold self-test time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.unit.test_selftest import check_output

ROOT = Path(__file__).resolve().parents[2]
MAX_BUNDLE_MB = 200

pytestmark = pytest.mark.slow


def _size_mb(folder: Path) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 1024 / 1024


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("frozen")
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            str(ROOT / "build" / "posdesk.spec"),
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "work"),
            "--noconfirm",
            "--log-level",
            "WARN",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    build_s = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-5000:]
    return out / "dist" / "posdesk", build_s


def test_bundle_runs_its_self_test(bundle, tmp_path, capsys):
    folder, build_s = bundle
    exe = folder / ("posdesk-cli.exe" if sys.platform == "win32" else "posdesk")
    assert exe.is_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        QT_QPA_PLATFORM="offscreen", TMPDIR=str(tmp_path), TEMP=str(tmp_path), TMP=str(tmp_path)
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [str(exe), "--self-test"],
        cwd=tmp_path,  # not the checkout: the bundle must not need the source tree
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    run_s = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_output(proc.stdout)
    size = _size_mb(folder)
    with capsys.disabled():
        print(
            f"\nfrozen bundle: {size:.0f} MB, build {build_s:.0f} s, cold --self-test {run_s:.1f} s"
        )
    assert size <= MAX_BUNDLE_MB


def test_bundle_holds_resources_and_both_programs(bundle):
    folder, _ = bundle
    suffix = ".exe" if sys.platform == "win32" else ""
    assert (folder / f"posdesk{suffix}").is_file()
    assert (folder / f"posdesk-cli{suffix}").is_file()
    internal = folder / "_internal"
    res = internal / "resources"
    assert (res / "fonts" / "wqy-microhei.ttc").is_file()
    assert list((res / "profiles").glob("*.json"))
    assert (res / "VERSION").read_text(encoding="utf-8").strip()
    names = {p.name.lower() for p in internal.rglob("*")}
    assert not any("webengine" in n or "virtualkeyboard" in n for n in names)


def test_frozen_cli_reports_bad_input_in_chinese(bundle, tmp_path):
    folder, _ = bundle
    exe = folder / ("posdesk-cli.exe" if sys.platform == "win32" else "posdesk-cli")
    proc = subprocess.run(
        [str(exe), "--db", str(tmp_path / "x.db"), "statement", "compute", "2026-13"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "月份" in proc.stderr
