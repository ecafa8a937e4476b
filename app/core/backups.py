"""Automatic backups and restore (备份与恢复, DOMAIN §11).

Backups live in a ``backups`` folder beside the database, one file each, named
``posdesk-YYYYMMDD-HHMMSS-<kind>.db``:

* ``daily`` — taken at the first start of the window each day (``daily_backup``); the 7
  newest are kept;
* ``monthly`` — the first daily backup of a calendar month is also kept as the month's; the
  12 newest are kept;
* ``lock`` — taken before every month lock (``before_lock``); the 12 newest are kept;
* ``restore`` — the database as it was just before a restore replaced it (all kept).

Each is written with SQLite's online backup API (``Connection.backup``: a consistent copy
while the program runs) into a temporary name, checked with ``PRAGMA integrity_check``, and
only then given its name: a file in the folder is a good backup.  ``restore`` checks the
file the same way, keeps the current database as a ``restore`` backup, and copies the
backup into the open database (the backup API again), then brings it to this version's
schema.  An in-memory database has no folder: nothing is taken.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import UserError
from app.models import database

KEEP = {"daily": 7, "monthly": 12, "lock": 12}
KINDS = {"daily": "每日", "monthly": "每月", "lock": "锁定前", "restore": "恢复前", "manual": "手动"}
NAME = re.compile(r"^posdesk-(\d{8})-(\d{6})-(\w+)\.db$")


def db_path() -> Path | None:
    """The open database's file, or None for an in-memory one."""
    name = database.obj.database
    if not name or name == ":memory:" or str(name).startswith("file::memory"):
        return None
    return Path(name)


def folder(path: Path | None = None) -> Path | None:
    path = path or db_path()
    return None if path is None else path.parent / "backups"


def integrity(con: sqlite3.Connection) -> str:
    """``PRAGMA integrity_check`` as one line ("ok" when whole)."""
    rows = con.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(r[0]) for r in rows[:5])


def copy_database(dest: Path) -> None:
    """Write the open database to ``dest`` with the online backup API and check the copy;
    the copy is made under a temporary name and renamed only when it is whole."""
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    target = sqlite3.connect(str(tmp))
    try:
        database.obj.connection().backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
        verdict = integrity(target)
    finally:
        target.close()
    if verdict != "ok":
        tmp.unlink(missing_ok=True)
        raise UserError(f"备份未通过完整性检查({verdict}),未保存")
    os.replace(tmp, dest)


def take(kind: str, now: dt.datetime | None = None) -> Path | None:
    """Take one automatic backup of ``kind`` and rotate; None for an in-memory database."""
    where = folder()
    if where is None:
        return None
    where.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now()
    stamp = now.strftime("%Y%m%d-%H%M%S")
    dest = where / f"posdesk-{stamp}-{kind}.db"
    n = 1
    while dest.exists():
        n += 1
        dest = where / f"posdesk-{stamp}-{kind}{n}.db"
    copy_database(dest)
    rotate(where)
    return dest


def _newest_first(files: list[Path]) -> list[Path]:
    """By the time in the name, then (two taken in one second) by when written."""
    return sorted(files, key=lambda p: (p.name[8:23], p.stat().st_mtime_ns), reverse=True)


def rotate(where: Path) -> list[Path]:
    """Delete the automatic backups beyond the newest ``KEEP[kind]`` of each kind."""
    by_kind: dict[str, list[Path]] = {}
    for p in where.glob("posdesk-*.db"):
        m = NAME.match(p.name)
        if m:
            by_kind.setdefault(re.sub(r"\d+$", "", m.group(3)), []).append(p)
    removed = []
    for kind, files in by_kind.items():
        if kind not in KEEP:
            continue
        for p in _newest_first(files)[KEEP[kind]:]:
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def daily_backup(now: dt.datetime | None = None) -> list[Path]:
    """The first start of a day takes the day's backup (and the month's, if it has none yet)."""
    where = folder()
    if where is None:
        return []
    now = now or dt.datetime.now()
    day, month = now.strftime("%Y%m%d"), now.strftime("%Y%m")
    taken = [b for b in list_backups() if b.kind in ("daily", "monthly")]
    made = []
    if not any(b.kind == "daily" and b.path.name[8:16] == day for b in taken):
        p = take("daily", now)
        if p is not None:
            made.append(p)
    if not any(b.kind == "monthly" and b.path.name[8:14] == month for b in taken):
        p = take("monthly", now)
        if p is not None:
            made.append(p)
    return made


def before_lock(month: str) -> Path | None:
    """The backup taken before a month is locked."""
    return take("lock")


# ------------------------------------------------------------------ what a backup holds


@dataclass
class BackupInfo:
    path: Path
    taken_at: str  # YYYY-MM-DDTHH:MM:SS
    kind: str
    months_locked: list[str] = field(default_factory=list)
    agents: int = 0
    last_import: str = ""  # "YYYY-MM-DD HH:MM:SS 文件名", or ""
    version: int = 0
    problem: str = ""  # not "" when the file cannot be read or fails its check

    def as_json(self) -> dict:
        return {"path": str(self.path), "taken_at": self.taken_at, "kind": self.kind,
                "months_locked": self.months_locked}

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


def inspect(path: Path, *, check: bool = False) -> BackupInfo:
    """What ``path`` holds (locked months, agents, last import); with ``check`` it is also
    run through ``integrity_check`` and ``problem`` says what is wrong."""
    path = Path(path)
    m = NAME.match(path.name)
    if m:
        d, t = m.group(1), m.group(2)
        taken = f"{d[:4]}-{d[4:6]}-{d[6:]}T{t[:2]}:{t[2:4]}:{t[4:]}"
        kind = re.sub(r"\d+$", "", m.group(3))
    else:
        taken = dt.datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")
        kind = "manual"
    info = BackupInfo(path, taken, kind)
    if not path.is_file():
        info.problem = "文件不存在"
        return info
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if check:
                verdict = integrity(con)
                if verdict != "ok":
                    info.problem = f"已损坏:{verdict}"
                    return info
            info.version = int(con.execute("PRAGMA user_version").fetchone()[0])
            info.months_locked = [r[0] for r in con.execute(
                "SELECT month FROM month_state WHERE state = 'locked' ORDER BY month")]
            info.agents = int(con.execute("SELECT COUNT(*) FROM agent").fetchone()[0])
            row = con.execute(
                "SELECT created, file_name FROM import_batch WHERE NOT undone "
                "ORDER BY id DESC LIMIT 1").fetchone()
            info.last_import = f"{row[0]} {Path(row[1]).name}" if row else ""
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        info.problem = f"不是分润台的数据库:{exc}"
    return info


def list_backups() -> list[BackupInfo]:
    """The backups in the folder beside the database, newest first."""
    where = folder()
    if where is None or not where.is_dir():
        return []
    files = _newest_first([p for p in where.glob("posdesk-*.db") if NAME.match(p.name)])
    return [inspect(p) for p in files]


def newest_good(path: Path) -> Path | None:
    """The newest backup beside the database at ``path`` that passes its check."""
    where = folder(Path(path))
    if where is None or not where.is_dir():
        return None
    for p in _newest_first([p for p in where.glob("posdesk-*.db") if NAME.match(p.name)]):
        if not inspect(p, check=True).problem:
            return p
    return None


def check_file(path: Path) -> BackupInfo:
    """Refuse (``UserError``) a file that is not a whole POSDesk database of this version
    or older; else what it holds."""
    from app.models.migrations import LATEST

    info = inspect(Path(path), check=True)
    if info.problem:
        raise UserError(f"备份文件 {path} {info.problem}")
    if info.version > LATEST:
        raise UserError(f"备份文件 {path} 由更新版本的分润台写成(版本 {info.version}),请先升级")
    return info


def restore(path: Path) -> Path | None:
    """Replace the open database by the backup at ``path`` (administrators only): the file
    is checked first, the current database is kept as a ``restore`` backup; returns it."""
    from app.core import audit, auth
    from app.models.migrations import apply_migrations

    auth.require("restore")
    path = Path(path)
    info = check_file(path)
    live = db_path()
    if live is not None and path.resolve() == live.resolve():
        raise UserError("不能用正在使用的数据库恢复自己")
    kept = take("restore")
    db = database.obj
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        source.backup(db.connection())
    finally:
        source.close()
    apply_migrations(db)
    with db.atomic():
        audit.record("数据库.恢复", str(path.name), None,
                     {"taken_at": info.taken_at, "months_locked": info.months_locked,
                      "kept": kept.name if kept else None})
    return kept


# ------------------------------------------------------------------ at start


def startup_check(path: Path) -> str:
    """``PRAGMA quick_check`` of the database file at ``path``, opened read-only, before
    anything writes to it: "ok", or what is wrong.  A file not there yet is "ok"."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return "ok"
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute("PRAGMA quick_check").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return "; ".join(str(r[0]) for r in rows[:5])


def recover(path: Path, backup: Path) -> Path:
    """Put the good ``backup`` in place of the damaged (closed) database at ``path``; the
    damaged file is kept beside it as ``…-damaged-YYYYMMDD-HHMMSS.db``.  Returns that."""
    import shutil

    path, backup = Path(path), Path(backup)
    check_file(backup)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    damaged = path.with_name(f"{path.stem}-damaged-{stamp}{path.suffix}")
    os.replace(path, damaged)
    for suffix in ("-wal", "-shm"):  # the damaged file's journal must not meet the backup
        side = Path(str(path) + suffix)
        if side.exists():
            os.replace(side, Path(str(damaged) + suffix))
    shutil.copyfile(backup, path)
    return damaged
