"""试算 and 补差 from a policies file (FORMATS ``policies``): the file is read exactly as
an import reads it (same columns, values and row errors), then handed to the core."""

from __future__ import annotations

from pathlib import Path

from app.core.resettle import ResettlePlan, apply_resettle, plan_resettle
from app.core.settlement import Progress
from app.core.whatif import WhatIfResult, whatif
from app.io.importers import import_file, read_policy_records
from app.io.reader import open_table


def whatif_file(month: str, path: Path, progress: Progress | None = None) -> WhatIfResult:
    """Price ``month`` under the rows of the policies file ``path``; nothing is written."""
    open_table(path, "policies")  # an unreadable file is refused before any compute
    return whatif(month, lambda: import_file("policies", path), progress)


def read_corrections(path: Path | None) -> list:
    """The corrected policy rows of ``path`` (none when no file)."""
    if path is None:
        return []
    _rows, records = read_policy_records(open_table(path, "policies"))
    return records


def resettle_file(month: str, path: Path | None, confirm: bool) -> ResettlePlan:
    """The 补差 of the locked ``month`` under the corrections in ``path``; written when
    ``confirm``."""
    records = read_corrections(path)
    if confirm:
        plan, _changes = apply_resettle(month, records)
        return plan
    return plan_resettle(month, records)
