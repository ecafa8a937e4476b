"""Temporary folders of slip batches (app.io.slip_temp): a killed batch's folder is removed
at the next start, and a batch removes its own however it ends."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from app.io import slip_temp
from app.io.slips import render_batch


def _killed_batch(db_path, out):
    """A process that opens a batch folder in ``out`` and dies without cleaning up."""
    code = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from app.models.db import open_database
        from app.io.slip_temp import make_batch_dir
        open_database({str(db_path)!r})
        tmp = make_batch_dir(Path({str(out)!r}))
        (tmp / "half.pdf").write_bytes(b"x" * 1000)
        os._exit(9)
    """)
    subprocess.run([sys.executable, "-c", code], check=False, timeout=60)
    return [p for p in out.iterdir() if p.name.startswith(slip_temp.PREFIX)]


def test_a_killed_batch_folder_is_removed_at_the_next_start(db, tmp_path):
    out = tmp_path / "pdf"
    out.mkdir()
    left = _killed_batch(db.database, out)
    assert len(left) == 1 and (left[0] / "half.pdf").exists()
    db.close()
    result = subprocess.run(
        [sys.executable, "-m", "app", "--db", str(tmp_path / "posdesk.db"), "statement", "show",
         "2026-10", "--json"], capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert not left[0].exists()
    assert not (tmp_path / "posdesk.db.slips").exists()


def test_a_batch_sweeps_its_output_folder_and_leaves_nothing(db, tmp_path):
    out = tmp_path / "pdf"
    out.mkdir()
    left = _killed_batch(db.database, out)
    (tmp_path / "posdesk.db.slips").unlink()  # not listed: the batch's own sweep finds it
    mine = out / f"{slip_temp.PREFIX}{os.getpid()}-busy"
    mine.mkdir()  # a live process's folder is left alone
    assert render_batch("2026-10", out, cancel=lambda: True).cancelled
    assert not left[0].exists() and mine.exists()
    mine.rmdir()
    tmp = slip_temp.make_batch_dir(out)
    assert (tmp_path / "posdesk.db.slips").read_text(encoding="utf-8").strip() == str(tmp)
    slip_temp.remove_batch_dir(tmp)
    assert [p.name for p in out.iterdir()] == []
    assert not (tmp_path / "posdesk.db.slips").exists()
