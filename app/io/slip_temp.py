"""The temporary folders of slip batches (``.posdesk-slips-<pid>-…``).

A batch writes into a hidden folder inside its output folder, so that the finished files
are moved into place by renames and a cancel or a failure leaves nothing half-written; the
batch removes the folder however it ends.  A batch that is killed (task manager, power
cut) cannot: its folder, up to hundreds of MB, would stay for ever.  So every batch folder
is listed, while it exists, in ``<database>.slips`` beside the database, and the next start
(the window, any command) removes the listed folders whose process is gone; a batch also
sweeps such folders from its own output folder before it starts.  Nothing here imports
ReportLab: the command line calls it on every start.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from app.models import database

PREFIX = ".posdesk-slips-"
_STALE_S = 3600  # a folder without a process id in its name (an older version's): an hour


def _registry(db_path: str | Path | None = None) -> Path | None:
    path = str(db_path if db_path is not None else getattr(database.obj, "database", "") or "")
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path + ".slips")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned(folder: Path) -> bool:
    """Is ``folder`` a batch folder whose batch is over (its process gone)?"""
    pid_text = folder.name[len(PREFIX):].split("-", 1)[0]
    if pid_text.isdigit():
        return not _pid_alive(int(pid_text))
    try:
        return time.time() - folder.stat().st_mtime > _STALE_S
    except OSError:
        return False


def sweep_folder(folder: Path) -> int:
    """Remove the abandoned batch folders inside ``folder``; returns how many."""
    removed = 0
    try:
        children = [c for c in folder.iterdir() if c.name.startswith(PREFIX) and c.is_dir()]
    except OSError:
        return 0
    for child in children:
        if _abandoned(child):
            shutil.rmtree(child, ignore_errors=True)
            removed += not child.exists()
    return removed


def _read(registry: Path) -> list[str]:
    try:
        return [ln for ln in registry.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except OSError:
        return []


def _write(registry: Path, lines: list[str]) -> None:
    try:
        if lines:
            registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            registry.unlink(missing_ok=True)
    except OSError:
        pass


def sweep_leftovers(db_path: str | Path | None = None) -> int:
    """At start: remove the batch folders listed beside the database whose batch was
    killed; returns how many were removed."""
    registry = _registry(db_path)
    if registry is None or not registry.exists():
        return 0
    keep, removed = [], 0
    for line in _read(registry):
        folder = Path(line)
        if not folder.exists():
            continue
        if _abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        else:
            keep.append(line)
    _write(registry, keep)
    return removed


def make_batch_dir(out: Path) -> Path:
    """A new batch folder inside ``out`` (after sweeping abandoned ones), listed."""
    sweep_folder(out)
    tmp = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=out))
    registry = _registry()
    if registry is not None:
        _write(registry, _read(registry) + [str(tmp.resolve())])
    return tmp


def remove_batch_dir(tmp: Path) -> None:
    """Remove a batch folder and its listing (the batch is over, however it ended)."""
    shutil.rmtree(tmp, ignore_errors=True)
    registry = _registry()
    if registry is not None:
        name = str(tmp.resolve())
        _write(registry, [ln for ln in _read(registry) if ln != name])
