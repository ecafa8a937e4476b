"""What the import wizard needs before anything is written: which kind of file this is
(and which payment-company profile reads it), its encoding, the column mapping, the first
rows, and every bad row from a dry run.

``detect_file`` opens the file as every kind (and every profile of that kind) and keeps
the reading that matches the most columns; a profile wins a tie, since a payment
company's export read without its profile loses its value maps.  ``dry_run`` runs the
real importer inside a transaction that is always rolled back, so the wizard shows
exactly the errors (or counts) the import will give.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import RowError, UserError
from app.io.importers import CancelFn, ImportReport, ProgressFn, import_file
from app.io.reader import (
    KIND_COLUMNS,
    KIND_LABELS,
    KINDS,
    Table,
    header_key,
    list_profiles,
    open_table,
)
from app.models import database

PREVIEW_ROWS = 20
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "gb18030": "GBK/GB18030", "gbk": "GBK",
                  "utf-16": "UTF-16"}


@dataclass
class MappedColumn:
    key: str
    label: str  # the canonical Chinese name
    header: str  # the file's header for it ('' when absent)
    required: bool


@dataclass
class FileGuess:
    """How a file will be read."""

    path: Path
    kind: str
    profile: str | None
    encoding: str  # shown to the user ('' for Excel files)
    sheet: str | None
    header_row: int
    columns: list[MappedColumn]
    unknown_columns: list[str]
    preview: list[tuple[int, list[str]]] = field(default_factory=list)  # row, values by columns

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def preview_keys(self) -> list[str]:
        return [c.key for c in self.columns if c.header]


def _standard(kind: str, key: str, shown: str) -> bool:
    """Whether ``shown`` is one of the standard header names of ``key``."""
    for spec in KIND_COLUMNS[kind]:
        if spec.key == key:
            return header_key(shown) in {header_key(n) for n in spec.names}
    return False


def _profiles_for(kind: str) -> list[str]:
    out = []
    for p in list_profiles():
        kinds = p["kind"] if isinstance(p["kind"], list) else [p["kind"]]
        if kind in kinds:
            out.append(p["name"])
    return out


def _guess(table: Table, profile: str | None) -> FileGuess:
    cols = [
        MappedColumn(s.key, s.names[0], table.present.get(s.key, ""), s.required)
        for s in KIND_COLUMNS[table.kind]
    ]
    enc = table.encoding or ""
    return FileGuess(
        table.path, table.kind, profile, ENCODING_NAMES.get(enc.lower(), enc), table.sheet,
        table.header_row, cols, list(table.unknown_columns),
    )


def open_as(path: str | Path, kind: str, profile: str | None = None, preview: int = PREVIEW_ROWS) -> FileGuess:
    """Read ``path`` as ``kind`` (with ``profile``) and take its first rows."""
    table = open_table(path, kind, profile)
    guess = _guess(table, profile)
    keys = guess.preview_keys
    if keys:
        for row, values in table.rows(keys):
            guess.preview.append((row, values))
            if len(guess.preview) >= preview:
                break
    return guess


def detect_file(path: str | Path, kind: str | None = None) -> FileGuess:
    """The best reading of the file (of ``kind`` when given); UserError when none fits."""
    best: tuple[tuple[int, int, int], str, str | None] | None = None
    first_error: UserError | None = None
    for k in [kind] if kind else list(KINDS):
        for profile in [None, *_profiles_for(k)]:
            try:
                table = open_table(path, k, profile)
            except UserError as exc:
                if first_error is None or (kind and profile is None):
                    first_error = exc
                continue
            # a profile only wins a tie when it recognised headers the standard names do not know
            own = sum(1 for key, shown in table.present.items() if not _standard(k, key, shown))
            score = (len(table.present), 1 if profile and own else 0, -len(table.unknown_columns))
            if best is None or score > best[0]:
                best = (score, k, profile)
    if best is None:
        if kind and first_error is not None:
            raise first_error
        raise UserError(f"{Path(path).name}:无法识别文件类型(表头与任何导入格式都不匹配)。"
                        + (f"\n{first_error}" if first_error and kind else ""))
    return open_as(path, best[1], best[2])


@dataclass
class DryRun:
    """The result of a rolled-back import: the report it would give, or every bad row."""

    report: ImportReport | None
    errors: list[RowError]
    message: str

    @property
    def ok(self) -> bool:
        return self.report is not None


class _Rollback(Exception):
    pass


def dry_run(kind: str, path: str | Path, profile: str | None = None,
            progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> DryRun:
    """Import inside a transaction that is always rolled back: nothing is written."""
    return check_files([FileJob(Path(path), kind, profile)], progress, cancel)[0]


@dataclass
class FileJob:
    """One file the wizard will import, as detected or chosen by the user."""

    path: Path
    kind: str
    profile: str | None = None


def _ordered(files: list[FileJob]) -> list[FileJob]:
    """Import in dependency order: agents and products before policies, terminals before moves…"""
    rank = {k: i for i, k in enumerate(KINDS)}
    return sorted(files, key=lambda f: rank.get(f.kind, len(rank)))


def check_files(files: list[FileJob], progress: ProgressFn | None = None,
                cancel: CancelFn | None = None) -> list[DryRun]:
    """Dry-run every file in dependency order inside one transaction that is rolled back,
    so a moves file may refer to the terminals of a terminals file beside it."""
    results: dict[Path, DryRun] = {}
    ordered = _ordered(files)
    with contextlib.suppress(_Rollback):
        with database.obj.atomic():
            for i, f in enumerate(ordered):
                if cancel is not None and cancel():
                    break
                if progress is not None:
                    progress(int(100 * i / len(ordered)), f"正在检查 {f.path.name}……")
                try:
                    report = import_file(f.kind, f.path, f.profile, _scaled(progress, i, len(ordered)), cancel)
                except UserError as exc:
                    rows = list(exc.rows) or [RowError(f.path.name, 0, "", exc.message)]
                    results[f.path] = DryRun(None, rows, exc.message)
                else:
                    results[f.path] = DryRun(report, [], report.summary())
            raise _Rollback()
    return [results[f.path] for f in files if f.path in results]


def _scaled(progress: ProgressFn | None, i: int, n: int) -> ProgressFn | None:
    if progress is None:
        return None

    def report(_rows: int, text: str) -> None:
        progress(int(100 * i / n), text)

    return report


def import_files(files: list[FileJob], progress: ProgressFn | None = None,
                 cancel: CancelFn | None = None) -> list[ImportReport]:
    """Import the files in dependency order, all or nothing, in one transaction."""
    from app.io.importers import ImportCancelled

    reports: list[ImportReport] = []
    ordered = _ordered(files)
    with database.obj.atomic():
        for i, f in enumerate(ordered):
            if cancel is not None and cancel():
                raise ImportCancelled()
            if progress is not None:
                progress(int(100 * i / len(ordered)), f"正在导入 {f.path.name}……")
            reports.append(import_file(f.kind, f.path, f.profile, _scaled(progress, i, len(ordered)), cancel))
    if progress is not None:
        progress(100, "导入完成")
    return reports
