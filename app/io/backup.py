"""Manual backups (``posdesk backup DEST``): a consistent copy of the live database, made
and checked by ``app.core.backups`` (the automatic ones live there too)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from app.core import auth
from app.core.backups import copy_database
from app.core.errors import UserError


def backup_to(dest: Path) -> Path:
    """Copy the open database to ``dest`` (a file, or a folder for a dated file name)."""
    dest = Path(dest)
    if dest.is_dir() or str(dest).endswith(("/", "\\")):
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        dest = dest / f"posdesk-backup-{stamp}.db"
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        raise UserError(f"备份文件 {dest} 已存在,请换一个文件名")
    auth.require("backup")
    copy_database(dest)  # the online backup API, checked by integrity_check
    return dest


def check_backup(path: Path) -> int:
    """Open a backup read-only and check it; returns its schema version."""
    if not Path(path).is_file():
        raise UserError(f"备份文件 {path} 不存在")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        version = con.execute("PRAGMA user_version").fetchone()[0]
        con.execute("SELECT COUNT(*) FROM agent").fetchone()
        con.close()
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{path} 不是分润台的数据库:{exc}") from None
    if ok != "ok":
        raise UserError(f"备份文件 {path} 已损坏:{ok}")
    return int(version)
