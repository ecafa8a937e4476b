"""Import profiles the office makes itself (本机构的导入方案), beside the shipped ones.

A profile the office saves from the import window (mapping an unknown export's columns and
values, ``app.views.profile_mapper``) is a JSON file of the shipped format
(``resources/profiles/README.md``) in the folder ``导入方案`` beside the database — the
office's data folder, which its backups and a move to another PC take along.  The program's
own folder stays read-only.

``--profile`` and the window take a profile's name (the office's first, then the shipped
ones) or the path of a profile file.  A saved profile may not take a shipped profile's
name (the shipped one would hide it or be hidden by it).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.errors import UserError
from app.core.session import database_path
from app.core.values import ValueProblem, code

FOLDER_NAME = "导入方案"
SAMPLE_ROWS = 200  # rows read to show sample values and to find the values to map


def office_dir() -> Path | None:
    """``导入方案`` beside the open database (None without one)."""
    db = database_path()
    return None if db is None else db.parent / FOLDER_NAME


def looks_like_path(text: str) -> bool:
    return any(sep in text for sep in ("/", "\\")) or text.lower().endswith(".json")


def office_profile_paths() -> list[Path]:
    folder = office_dir()
    if folder is None or not folder.is_dir():
        return []
    return sorted(folder.glob("*.json"))


def find_path(name: str, shipped: Path) -> Path | None:
    """The file of profile ``name``: a path as given, else the office's, else the shipped one
    (file names compared without case); None when there is none."""
    text = name.strip()
    if looks_like_path(text):
        p = Path(text).expanduser()
        if not p.is_file():
            raise UserError(f"导入方案文件不存在:{text}")
        return p
    wanted = text.lower()
    for path in [*office_profile_paths(), *sorted(shipped.glob("*.json"))]:
        if path.stem.lower() == wanted:
            return path
    return None


@dataclass
class FileSample:
    """The first rows of an export as written: the header row and sample rows under it."""

    header_row: int  # 1-based row number of the header as the user sees it
    headers: list[str]
    rows: list[list[str]]

    def samples(self, column: int, n: int = 3) -> list[str]:
        return self.distinct(column, n)

    def distinct(self, column: int, limit: int = 30) -> list[str]:
        out: list[str] = []
        for r in self.rows:
            v = r[column] if column < len(r) else ""
            if v and v not in out:
                out.append(v)
                if len(out) >= limit:
                    break
        return out


def sample_file(path: str | Path) -> FileSample:
    """Read the header and up to ``SAMPLE_ROWS`` rows of any export the reader can open:
    the header is the first of the top rows with the most filled cells (title rows above it
    have fewer)."""
    from app.io.reader import _source_for  # the reader's own file formats and encodings

    p = Path(path)
    try:
        source = _source_for(p, p.name)
    except OSError as exc:
        raise UserError(f"{p.name}:无法打开文件({exc})") from None
    sheets = source.sheets()
    rows: list[tuple[int, list[str]]] = []
    with source.records(sheets[0] if sheets else None) as records:
        for n, rec in enumerate(records, start=1):
            cells = [str(c).strip() for c in rec]
            if any(cells):
                rows.append((n, cells))
            if len(rows) >= SAMPLE_ROWS + 20:
                break
    if not rows:
        raise UserError(f"{p.name}:文件没有数据行")
    top = rows[:20]
    widest = max(sum(1 for c in cells if c) for _n, cells in top)
    index = next(i for i, (_n, cells) in enumerate(top) if sum(1 for c in cells if c) == widest)
    header_row, headers = rows[index]
    body = [cells for _n, cells in rows[index + 1:index + 1 + SAMPLE_ROWS]]
    return FileSample(header_row, headers, body)


def profile_data(name: str, company: str, kind: str, columns: dict[str, str],
                 values: dict[str, dict[str, str]], amount_unit: str = "yuan",
                 description: str = "") -> dict[str, Any]:
    """A profile as JSON data (the shipped format) from the window's choices."""
    try:
        clean = code(name, "方案名称")
    except ValueProblem as exc:
        raise UserError(str(exc)) from None
    data: dict[str, Any] = {
        "name": clean,
        "company": company.strip() or clean,
        "kind": kind,
        "description": description.strip() or "本机构在导入窗口建立的方案",
        "columns": {k: [h] for k, h in columns.items() if h},
        "values": {k: {a: b for a, b in m.items() if a and b} for k, m in values.items() if m},
        "amount_unit": amount_unit,
    }
    return data


def check(data: dict[str, Any]):
    """The profile the reader would make of ``data`` (UserError naming what is wrong)."""
    from app.io.reader import _profile_from_json

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{data.get('name', 'profile')}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        return _profile_from_json(path)


def save(data: dict[str, Any], shipped: Path, overwrite: bool = False) -> Path:
    """Write ``data`` as ``导入方案/<name>.json`` beside the database; returns the path."""
    check(data)
    folder = office_dir()
    if folder is None:
        raise UserError("没有打开的数据库,无法保存导入方案")
    name = data["name"]
    if any(p.stem.lower() == name.lower() for p in shipped.glob("*.json")):
        raise UserError(f"“{name}”是程序自带的导入方案名称,请换一个名称")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.json"
    if target.exists() and not overwrite:
        raise UserError(f"已有名为“{name}”的导入方案,请换一个名称")
    part = target.with_name(target.name + ".part")
    part.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(part, target)
    return target


def preview_rows(path: str | Path, kind: str, data: dict[str, Any], n: int = 10
                 ) -> tuple[list[str], list[list[str]]]:
    """The first ``n`` rows of ``path`` as the importer will read them with profile ``data``:
    (canonical column labels, rows of texts)."""
    from app.io.reader import KIND_COLUMNS, open_table

    check(data)
    with tempfile.TemporaryDirectory() as tmp:
        prof = Path(tmp) / f"{data['name']}.json"
        prof.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        table = open_table(path, kind, str(prof))
        keys = [s.key for s in KIND_COLUMNS[kind]]
        labels = [s.names[0] for s in KIND_COLUMNS[kind]]
        rows = []
        for _row, cells in table.rows(keys):
            rows.append(list(cells))
            if len(rows) >= n:
                break
    return labels, rows
