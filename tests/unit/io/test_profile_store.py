"""Import profiles saved by the office (app.io.profile_store): kept in 导入方案 beside the
database, listed beside the shipped ones, taken by --profile as a name or a path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.core.errors import UserError
from app.io import profile_store
from app.io.importers import import_file
from app.io.reader import list_profiles, load_profile, profiles_dir
from app.models import Txn

EXPORT = (
    "海科融通交易明细\n"
    "流水,时间,机身号,商编,金额(分),卡种,结果\n"
    "H1,2026-10-05 10:00:00,T1,M1,100000,信用卡,交易成功\n"
    "H2,2026-10-06 11:00:00,T2,M2,2550,储蓄卡,交易成功\n"
    "H3,2026-10-07 12:00:00,T1,M1,990,微信,撤销成功\n"
)


@pytest.fixture
def office_db(db, tmp_path):
    from tests.helpers import Office

    return Office(tmp_path).base()


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "hk.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


def data():
    return profile_store.profile_data(
        "hkrt", "海科融通", "transactions",
        {"tx_id": "流水", "time": "时间", "sn": "机身号", "merchant_no": "商编",
         "amount": "金额(分)", "category": "卡种", "status": "结果"},
        {"category": {"信用卡": "credit", "储蓄卡": "debit", "微信": "scan"},
         "status": {"交易成功": "success", "撤销成功": "void"}},
        "fen")


def test_sample_finds_the_header_under_a_title(export):
    s = profile_store.sample_file(export)
    assert s.header_row == 2 and s.headers[2] == "机身号"
    assert s.samples(4) == ["100000", "2550", "990"]
    assert s.distinct(6) == ["交易成功", "撤销成功"]


def test_preview_reads_rows_as_the_importer_will(db, export):
    labels, rows = profile_store.preview_rows(export, "transactions", data())
    assert labels[:3] == ["交易流水号", "交易时间", "终端SN"]
    amount = labels.index("交易金额")
    category = labels.index("卡类型")
    # 100000 fen = 1000.00 yuan; 信用卡 → credit; 撤销成功 → void
    assert [r[amount] for r in rows] == ["1000.00", "25.50", "9.90"]
    assert [r[category] for r in rows] == ["credit", "debit", "scan"]
    assert rows[2][labels.index("交易状态")] == "void"


def test_saved_profile_is_listed_and_used_by_name_and_by_path(office_db, export, tmp_path):
    path = profile_store.save(data(), profiles_dir())
    assert path.parent.name == "导入方案" and path.parent.parent == tmp_path
    listed = {p["name"]: p["origin"] for p in list_profiles()}
    assert listed["hkrt"] == "office" and listed["lakala"] == "shipped"
    assert load_profile("HKRT").company == "海科融通"
    assert load_profile(str(path)).name == "hkrt"
    report = import_file("transactions", export, "hkrt")
    assert "新增 3 行" in report.summary()
    assert sorted(t.amount for t in Txn.select()) == [990, 2550, 100000]


def test_names_are_checked(office_db):
    with pytest.raises(UserError, match="自带"):
        profile_store.save(dict(data(), name="lakala"), profiles_dir())
    profile_store.save(data(), profiles_dir())
    with pytest.raises(UserError, match="已有名为"):
        profile_store.save(data(), profiles_dir())
    with pytest.raises(UserError, match="方案名称"):
        profile_store.profile_data("有 空格", "x", "transactions", {}, {})
    with pytest.raises(UserError, match="不存在"):
        load_profile("/nowhere/none.json")


def test_cli_takes_a_profile_path(tmp_path, export):
    prof = tmp_path / "mine.json"
    prof.write_text(json.dumps(data(), ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "cli.db"
    base = [sys.executable, "-m", "app", "--db", str(db)]
    from tests.helpers import AGENTS, MOVES, POLICIES, PRICES, PRODUCTS, TERMINALS, write

    for kind, text in (("products", PRODUCTS), ("prices", PRICES), ("agents", AGENTS),
                       ("policies", POLICIES), ("terminals", TERMINALS), ("moves", MOVES)):
        f = write(tmp_path, f"{kind}.csv", text)
        subprocess.run([*base, "import", kind, str(f)], check=True, capture_output=True)
    out = subprocess.run([*base, "import", "transactions", str(export), "--profile", str(prof)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "新增 3 行" in out.stdout
