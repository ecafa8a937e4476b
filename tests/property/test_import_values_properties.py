"""A random valid file of any kind with one cell made bad (any checked column, any rule) is
refused whole, naming that row and column, and the database dump is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import UserError
from app.io.importers import import_file
from app.models import database
from app.models.db import open_database
from tests import badfiles
from tests.helpers import AGENTS, MOVES, POLICIES, PRICES, PRODUCTS, TERMINALS, write


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    folder = tmp_path_factory.mktemp("office")
    db = open_database(folder / "posdesk.db")
    for kind, text in (("products", PRODUCTS), ("prices", PRICES), ("agents", AGENTS),
                       ("policies", POLICIES), ("terminals", TERMINALS), ("moves", MOVES)):
        import_file(kind, write(folder, f"{kind}.csv", text))
    yield folder
    db.close()


@st.composite
def bad_files(draw):
    kind = draw(st.sampled_from(sorted(badfiles.BAD)))
    n = draw(st.integers(1, badfiles.MAX_ROWS.get(kind, 6)))
    rows = badfiles.valid_rows(kind, n)
    column = draw(st.sampled_from(sorted(badfiles.BAD[kind])))
    value = draw(st.sampled_from(badfiles.BAD[kind][column]))
    at = draw(st.integers(0, n - 1))
    rows[at][badfiles.COLUMNS[kind].index(column)] = value
    return kind, rows, at + 2, column


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=bad_files())
def test_one_bad_cell_refuses_the_whole_file(office: Path, case):
    kind, rows, row, column = case
    path = office / f"random_{kind}.csv"
    path.write_text(badfiles.csv_text(kind, rows), encoding="utf-8")
    before = list(database.obj.connection().iterdump())
    with pytest.raises(UserError) as refused:
        import_file(kind, path)
    assert any(e.row == row and e.column == column for e in refused.value.rows), str(refused.value)
    assert list(database.obj.connection().iterdump()) == before


@pytest.mark.parametrize("kind", sorted(badfiles.BAD))
def test_the_valid_rows_themselves_import(tmp_path, kind):
    """The generator's rows are valid: without the bad cell the file is accepted."""
    db = open_database(tmp_path / "posdesk.db")
    try:
        for k, text in (("products", PRODUCTS), ("prices", PRICES), ("agents", AGENTS),
                        ("policies", POLICIES), ("terminals", TERMINALS), ("moves", MOVES)):
            import_file(k, write(tmp_path, f"{k}.csv", text))
        path = tmp_path / "good.csv"
        n = badfiles.MAX_ROWS.get(kind, 6)
        path.write_text(badfiles.csv_text(kind, badfiles.valid_rows(kind, n)), encoding="utf-8")
        report = import_file(kind, path)
        assert report.added + report.updated == n
    finally:
        db.close()
