"""Import templates (app.io.templates): Chinese headers, one example row, a 说明 sheet; every
template, as written, imports in a new office's order and the month computes."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from app.core import settlement
from app.io.importers import import_file
from app.io.reader import KINDS
from app.io.templates import COLUMNS, template_file_name, template_order, write_template


def test_every_import_kind_has_a_template():
    assert set(template_order()) == set(KINDS)


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_template_sheets(kind, tmp_path):
    path = write_template(kind, tmp_path / template_file_name(kind))
    book = load_workbook(path)
    data, notes = book.worksheets
    headers = [c.value for c in data[1]]
    assert headers == [c.header for c in COLUMNS[kind]]
    assert all(h and not h.isascii() for h in headers)  # Chinese headers
    assert data.max_row == 2 or all(c.value in (None, "") for c in data[3])
    assert notes.title == "说明"
    rules = {row[0].value: row[2].value for row in notes.iter_rows(min_row=4) if row[0].value}
    for col in COLUMNS[kind]:
        assert rules[col.header], col.header


def test_team_kinds_take_their_columns_from_the_reader(tmp_path):
    from app.io.reader import KIND_COLUMNS
    from app.io.templates import columns_of

    for kind in template_order()[len(COLUMNS):]:
        path = write_template(kind, tmp_path / template_file_name(kind))
        headers = [c.value for c in load_workbook(path).worksheets[0][1]]
        assert headers == [s.names[0] for s in KIND_COLUMNS[kind]]
        assert [c.required for c in columns_of(kind)] == [s.required for s in KIND_COLUMNS[kind]]


def test_templates_as_written_import_in_order_and_compute(db, tmp_path):
    from app.models import Statement

    for kind in COLUMNS:  # the ones with an example row
        path = write_template(kind, tmp_path / template_file_name(kind))
        report = import_file(kind, path)
        assert "新增 1 行" in report.summary(), (kind, report.summary())
    settlement.compute_month("2026-10")
    assert Statement.select().where(Statement.month == "2026-10").count() == 1
