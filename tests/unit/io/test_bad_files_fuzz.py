"""Hundreds of generated bad files across every import kind: each is refused with a Chinese
message (naming the row and column where a row exists) and the database dump is unchanged.

Cell rules (every column a FORMATS "Values" rule covers, every bad value of tests.badfiles)
and file-level damage: empty, binary, truncated, other encodings, huge fields, duplicate
keys with other data, negative amounts, formula strings, summary rows, xlsx with several
sheets, merged cells and formulas without a value.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import openpyxl
import pytest

from app.core.errors import UserError
from app.io.importers import import_file
from app.models import database
from tests import badfiles
from tests.helpers import AGENTS, MOVES, POLICIES, PRICES, PRODUCTS, TERMINALS, write

CJK = re.compile(r"[\u4e00-\u9fff]")
# a key column's row again with this (valid) value elsewhere: other data, an error
VARY: dict[str, tuple[str, str] | None] = {
    "agents": ("name", "别名"), "products": ("name", "别名"), "prices": ("credit_rate", "0.61%"),
    "policies": ("cashback", "1.00"), "terminals": ("stocked", "2026-10-02"),
    "activations": ("merchant_name", "别店"), "transactions": ("amount", "99.00"), "adjustments": None,
}


@pytest.fixture
def office(db, tmp_path):
    for kind, text in (("products", PRODUCTS), ("prices", PRICES), ("agents", AGENTS),
                       ("policies", POLICIES), ("terminals", TERMINALS), ("moves", MOVES)):
        import_file(kind, write(tmp_path, f"{kind}.csv", text))
    return tmp_path


def _dump() -> list[str]:
    return list(database.obj.connection().iterdump())


def _xlsx(path: Path, sheets: list[tuple[str, list[list[object]]]], merge: str = "",
          formulas: tuple[tuple[str, str], ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    ws = wb.worksheets[-1]
    if merge:
        ws.merge_cells(merge)
    for ref, f in formulas:
        ws[ref] = f
    wb.save(path)
    return path


def _cases(folder: Path) -> list[tuple[str, str, Path, tuple[int, str] | None]]:
    """(label, kind, file, (row, column) the message must name, or None for a whole-file fault)."""
    cases = []
    n = 0

    def file(suffix: str) -> Path:
        nonlocal n
        n += 1
        return folder / f"bad{n}{suffix}"

    for kind, columns in badfiles.BAD.items():
        good = badfiles.valid_rows(kind, min(2, badfiles.MAX_ROWS.get(kind, 2)))
        header = badfiles.COLUMNS[kind]
        for column, bad_values in columns.items():
            for bad in bad_values:
                rows = [list(r) for r in good]
                rows[-1][header.index(column)] = bad
                path = file(".csv")
                path.write_text(badfiles.csv_text(kind, rows), encoding="utf-8")
                cases.append((f"{kind}.{column}={bad[:20]!r}", kind, path, (len(rows) + 1, column)))
        text = badfiles.csv_text(kind, good)
        key = header[0]
        # whole-file faults
        for label, data in (
            ("empty", b""),
            ("png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
            ("random bytes", bytes((i * 37 + 11) % 256 for i in range(4096))),
            ("utf-32", codecs.BOM_UTF32_LE + text.encode("utf-32-le")),
            ("utf-16 without BOM", text.replace(",", "\t").encode("utf-16-le")),
            ("latin-1 bytes", text.encode("utf-8") + "Café,Noël\n".encode("latin-1")),
            ("pdf", b"%PDF-1.7\n" + b"\x00\x01" * 100),
        ):
            path = file(".csv")
            path.write_bytes(data)
            cases.append((f"{kind} {label}", kind, path, None))
        xlsx = _xlsx(file(".xlsx"), [("数据", [header, *good])])
        cut = file(".xlsx")
        cut.write_bytes(xlsx.read_bytes()[: len(xlsx.read_bytes()) // 2])
        cases.append((f"{kind} truncated xlsx", kind, cut, None))
        # a huge field (beyond the CSV reader's limit) in the last row
        huge = file(".csv")
        huge.write_text(text + ",".join(["Z" * 200_000] * len(header)) + "\n", encoding="utf-8")
        cases.append((f"{kind} huge field", kind, huge, (len(good) + 2, "")))
        # the same key again with other data (adjustments: the identical row is the error)
        if kind in VARY:
            dup = list(good[0])
            if VARY[kind]:
                column, value = VARY[kind]
                dup[header.index(column)] = value
            path = file(".csv")
            path.write_text(badfiles.csv_text(kind, [*good, dup]), encoding="utf-8")
            cases.append((f"{kind} duplicate key", kind, path, (len(good) + 2, "")))
        # a summary row amid the data
        rows = [list(good[0]), ["合计"] + [""] * (len(header) - 1), *(list(r) for r in good[1:])]
        if kind != "agents" and len(good) > 1:
            path = file(".csv")
            path.write_text(badfiles.csv_text(kind, rows), encoding="utf-8")
            cases.append((f"{kind} summary amid data", kind, path, (3, key)))
        # several sheets: a notes sheet first, the data (with a bad cell) second
        col = next(iter(columns))
        bad_rows = [list(r) for r in good]
        bad_rows[-1][header.index(col)] = columns[col][0]
        path = _xlsx(file(".xlsx"), [("说明", [["本表由系统导出"], ["请勿修改"]]), ("明细", [header, *bad_rows])])
        cases.append((f"{kind} two sheets", kind, path, (len(bad_rows) + 1, col)))
        # a formula without a cached value in a checked column
        letter = chr(ord("A") + header.index(col))
        path = _xlsx(file(".xlsx"), [("明细", [header, *good])], formulas=((f"{letter}{len(good) + 1}", "=1+1"),))
        cases.append((f"{kind} formula", kind, path, (len(good) + 1, col)))
    # kind-specific: merged cells, negative amounts, wrong types
    tx = badfiles.valid_rows("transactions", 2)
    header = badfiles.COLUMNS["transactions"]
    amount = header.index("amount")
    path = _xlsx(file(".xlsx"), [("明细", [header, *tx])], merge=f"{chr(65 + amount)}2:{chr(65 + amount)}3")
    cases.append(("transactions merged amount cells", "transactions", path, (3, "amount")))
    for label, kind, column, value in (
        ("negative amount", "transactions", "amount", "-5.00"),
        ("negative fee-like money", "products", "activation_min", "-1"),
        ("negative cashback", "policies", "cashback", "-80"),
        ("text in a date column", "terminals", "stocked", "明天"),
        ("number in a choice column", "transactions", "category", "3"),
        ("formula string as a code", "terminals", "sn", "=A1&B1"),
        ("formula string as money", "adjustments", "amount", "=SUM(D2:D9)"),
        ("action unknown", "moves", "action", "卖掉"),
    ):
        rows = badfiles.valid_rows(kind, 1)
        rows[0][badfiles.COLUMNS[kind].index(column)] = value
        path = file(".csv")
        path.write_text(badfiles.csv_text(kind, rows), encoding="utf-8")
        cases.append((label, kind, path, (2, column)))
    return cases


def test_generated_bad_files_are_refused_whole(office, tmp_path, capsys):
    folder = tmp_path / "bad"
    folder.mkdir()
    cases = _cases(folder)
    assert len(cases) >= 200
    before = _dump()
    problems = []
    for label, kind, path, where in cases:
        try:
            report = import_file(kind, path)
        except UserError as exc:
            message = str(exc)
            if not CJK.search(message) or "Traceback" in message:
                problems.append(f"{label}: not a Chinese message: {message[:200]}")
            elif where is not None:
                row, column = where
                named = [e for e in exc.rows if e.row == row and (not column or e.column == column)]
                if not named and not (f"第{row}行" in message and (not column or column in message)):
                    problems.append(f"{label}: row {row} column {column!r} not named: {message[:300]}")
            elif path.name not in message:
                problems.append(f"{label}: the file is not named: {message[:200]}")
        except Exception as exc:  # noqa: BLE001 - the point of the test
            problems.append(f"{label}: {type(exc).__name__}: {exc}")
        else:
            problems.append(f"{label}: accepted ({report.summary()[:200]})")
        if _dump() != before:
            problems.append(f"{label}: the database changed")
            before = _dump()
    with capsys.disabled():
        print(f"\n{len(cases)} bad files refused, {len(problems)} problems")
    assert not problems, "\n".join(problems[:40])
