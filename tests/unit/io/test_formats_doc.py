"""docs/formats.md names every column the importers accept, as `中文名/key`, in its kind's
row (so the page the README points to stays true to app/io/reader.py)."""

from __future__ import annotations

from pathlib import Path

from app.io.reader import KIND_COLUMNS

DOC = Path(__file__).resolve().parents[3] / "docs" / "formats.md"


def test_every_kind_and_column_is_documented():
    rows = {line.split("|")[1].strip(): line for line in DOC.read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and line.count("|") >= 3}
    missing = []
    for kind, specs in KIND_COLUMNS.items():
        row = rows.get(kind, "")
        for spec in specs:
            name = f"{spec.names[0]}/{spec.key}{'*' if spec.required else ''}"
            if name not in row:
                missing.append(f"{kind}: {name}")
    assert not missing, "add to the kind's row of docs/formats.md: " + ", ".join(missing)
