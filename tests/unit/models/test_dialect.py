"""The SQLite spellings of app.models.dialect run on SQLite and do what their names say."""

from __future__ import annotations

import sqlite3

from app.models import dialect


def _con() -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.execute(dialect.key_table("t", "k INTEGER, v TEXT", ("k",)))
    return con


def test_insert_ignore_keeps_the_first_and_replace_the_last():
    con = _con()
    con.execute(dialect.insert_ignore("t", "VALUES (1, 'a')"))
    con.execute(dialect.insert_ignore("t", "VALUES (1, 'b')"))
    assert con.execute("SELECT v FROM t").fetchall() == [("a",)]
    con.execute(dialect.insert_replace("t", "VALUES (1, 'c')", key=("k",)))
    assert con.execute("SELECT v FROM t").fetchall() == [("c",)]


def test_string_agg_least_and_a_temp_table_by_key():
    con = _con()
    con.execute(dialect.temp_table("x", "k INTEGER, v TEXT", ("k",)))
    con.executemany("INSERT INTO temp.x VALUES (?, ?)", [(2, "b"), (1, "a")])
    assert con.execute(f"SELECT {dialect.string_agg('v')} FROM temp.x").fetchone() == ("a,b",)
    assert con.execute(f"SELECT {dialect.string_agg('v', ';')} FROM temp.x").fetchone() == ("a;b",)
    assert con.execute(f"SELECT {dialect.least('3', '1', '2')}").fetchone() == (1,)


def test_schema_version_round_trip(db):
    before = dialect.schema_version(db)
    assert before >= 1
    dialect.set_schema_version(db, before + 5)
    assert dialect.schema_version(db) == before + 5
    dialect.set_schema_version(db, before)
