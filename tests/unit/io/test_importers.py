"""Bad input: each case exits 2 through the command line, names file/row/column in
Chinese, and writes nothing.  Good input: re-import changes nothing."""

from __future__ import annotations

import sqlite3

import pytest

from app.cli import main
from tests.helpers import AGENTS, MOVES, POLICIES, PRICES, PRODUCTS, TERMINALS, write


@pytest.fixture
def dbfile(tmp_path):
    path = tmp_path / "office.db"
    assert main(["--db", str(path), "init", "--agency", "测试机构", "--min-payout", "0"]) == 0
    for kind, text in (("products", PRODUCTS), ("prices", PRICES), ("agents", AGENTS),
                       ("policies", POLICIES), ("terminals", TERMINALS), ("moves", MOVES)):
        assert main(["--db", str(path), "import", kind, str(write(tmp_path, f"{kind}.csv", text))]) == 0
    return path


def counts(path) -> dict[str, int]:
    con = sqlite3.connect(path)
    tables = ["agent", "product", "price", "policy", "terminal", "terminal_event", "txn",
              "adjustment", "import_batch", "txn_volume"]
    out = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    con.close()
    return out


def refused(dbfile, tmp_path, capsys, kind, text, *expect, name="bad.csv", raw: bytes | None = None):
    before = counts(dbfile)
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
    else:
        write(tmp_path, name, text)
    code = main(["--db", str(dbfile), "import", kind, str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert counts(dbfile) == before, "a refused file must write nothing"
    for piece in expect:
        assert piece in err, err
    return err


def test_unknown_agent_product_and_sn(dbfile, tmp_path, capsys):
    refused(dbfile, tmp_path, capsys, "policies",
            "agent,product,effective_from,credit_rate,debit_rate,scan_rate\n"
            "A9,P1,2026-10-01,0.6%,0.5%,0.4%\nA1,P9,2026-10-01,0.6%,0.5%,0.4%\n",
            "bad.csv 第2行", "代理编号 A9 不存在", "第3行", "产品编号 P9 不存在")
    refused(dbfile, tmp_path, capsys, "transactions",
            "tx_id,time,sn,amount,category\nX1,2026-10-05,NOPE,10.00,贷记卡\n",
            "第2行", "终端SN NOPE 不存在")


def test_parent_cycle(dbfile, tmp_path, capsys):
    refused(dbfile, tmp_path, capsys, "agents", "code,name,parent\nA1,张建国,A3\n",
            "上级关系形成循环", "A1 → A3 → A2 → A1")
    refused(dbfile, tmp_path, capsys, "agents", "code,name,parent\nA5,赵六,A5\n", "上级不能是自己")


def test_duplicate_sn_within_file(dbfile, tmp_path, capsys):
    # FORMATS: the same key with other data is an error; identical rows count once
    refused(dbfile, tmp_path, capsys, "terminals", "sn,product,stocked\nN1,P1,2026-10-01\nN1,P1,2026-10-02\n",
            "第3行", "终端SN N1 在文件第2行已出现,但两行数据不同")
    write(tmp_path, "same.csv", "sn,product,stocked\nN1,P1,2026-10-01\nN1,P1,2026-10-01\n")
    assert main(["--db", str(dbfile), "import", "terminals", str(tmp_path / "same.csv")]) == 0
    assert "新增 1 行" in capsys.readouterr().out


def test_move_of_terminal_not_in_stock_or_not_held(dbfile, tmp_path, capsys):
    refused(dbfile, tmp_path, capsys, "moves", "sn,date,action,agent\nT1,2026-10-05,下发,A2\n",
            "不在库存", "第2行")
    refused(dbfile, tmp_path, capsys, "moves", "sn,date,action,agent\nT3,2026-10-05,调拨,A2\n", "不能调拨")
    refused(dbfile, tmp_path, capsys, "moves", "sn,date,action,agent\nT3,2026-10-05,回拨,\n", "不能回拨")


def test_move_before_stock_in(dbfile, tmp_path, capsys):
    refused(dbfile, tmp_path, capsys, "moves", "sn,date,action,agent\nT3,2026-09-01,下发,A1\n",
            "早于该机具的入库日期 2026-09-20")


def test_negative_spread_names_both_agents(dbfile, tmp_path, capsys):
    err = refused(dbfile, tmp_path, capsys, "policies",
                  "agent,product,effective_from,credit_rate,debit_rate,debit_cap,scan_rate\n"
                  "A3,P1,2026-10-10,0.54%,0.52%,23,0.35%\n",
                  "A3(王伟)", "A2(李秀英)", "贷记卡结算价", "0.54%", "0.55%")
    assert "第2行" in err


def test_allocation_without_policy_in_force(dbfile, tmp_path, capsys):
    refused(dbfile, tmp_path, capsys, "agents", "code,name,parent\nA1,张建国,A1\n", "上级不能是自己")
    main(["--db", str(dbfile), "import", "agents", str(write(tmp_path, "a.csv", "code,name,parent\nA4,赵敏,A1\n"))])
    capsys.readouterr()
    refused(dbfile, tmp_path, capsys, "moves", "sn,date,action,agent\nT3,2026-10-05,下发,A4\n",
            "没有该产品的生效政策")


@pytest.mark.parametrize(
    "kind,text,expect",
    [
        ("terminals", "sn,product,stocked\nN1,P1,2026-13-45\n", "不是有效日期"),
        ("terminals", "sn,product,stocked\nN1,P1,昨天\n", "不是日期"),
        ("adjustments", "agent,product,month,amount,reason\nA1,P1,2026-10,1.234,补贴\n", "超过两位小数"),
        ("prices", "product,effective_from,credit_rate,debit_rate,scan_rate\nP1,2026-11-01,60%,0.5%,0.3%\n", "超出范围"),
        ("transactions", "tx_id,time,sn,amount,category\nX1,2026-10-05,T1,abc,贷记卡\n", "不是金额"),
        ("transactions", "tx_id,time,sn,amount,category\nX1,2026-02-30 10:00:00,T1,1.00,贷记卡\n", "不是有效日期"),
        ("transactions", "tx_id,time,sn,amount,category\nX1,2026-10-05 25:00:00,T1,1.00,贷记卡\n", "不是有效日期"),
    ],
)
def test_unparsable_values(dbfile, tmp_path, capsys, kind, text, expect):
    refused(dbfile, tmp_path, capsys, kind, text, expect, "第2行")


def test_empty_wrong_kind_binary_encrypted_missing_column(dbfile, tmp_path, capsys):
    refused(dbfile, tmp_path, capsys, "agents", "", "bad.csv", raw=b"")
    refused(dbfile, tmp_path, capsys, "agents", "sn,product,stocked\nN1,P1,2026-10-01\n", "代理编号")
    refused(dbfile, tmp_path, capsys, "agents", "", "bad.csv", raw=b"\x00\x01\x02binary\x00" * 50)
    refused(dbfile, tmp_path, capsys, "agents", "", "密码", name="locked.xlsx",
            raw=bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 2000)
    refused(dbfile, tmp_path, capsys, "terminals", "sn,stocked\nN1,2026-10-01\n", "产品编号")


def test_every_bad_row_is_named(dbfile, tmp_path, capsys):
    err = refused(dbfile, tmp_path, capsys, "transactions",
                  "tx_id,time,sn,amount,category\nX1,2026-10-05,T1,1.001,贷记卡\n"
                  "X2,2026-10-05,T1,10.00,贷记卡\nX3,2026-10-05,T1,10.00,金卡\n",
                  "第2行", "第4行", "卡类型")
    assert "第3行" not in err


def test_reimport_changes_nothing(dbfile, tmp_path, capsys):
    tx = write(tmp_path, "tx.csv", "tx_id,time,sn,amount,category\nX1,2026-10-05,T1,10.00,贷记卡\n")
    assert main(["--db", str(dbfile), "import", "transactions", str(tx)]) == 0
    before = counts(dbfile)
    for kind, text in (("products", PRODUCTS), ("prices", PRICES), ("agents", AGENTS),
                       ("policies", POLICIES), ("terminals", TERMINALS), ("moves", MOVES)):
        assert main(["--db", str(dbfile), "import", kind, str(write(tmp_path, f"{kind}.csv", text))]) == 0
    assert main(["--db", str(dbfile), "import", "transactions", str(tx)]) == 0
    out = capsys.readouterr().out
    assert "新增 0 行" in out and "重复跳过 1 行" in out
    after = counts(dbfile)
    before.pop("import_batch"), after.pop("import_batch")
    assert after == before


def test_statement_json_through_cli(dbfile, tmp_path, capsys):
    import json

    tx = write(tmp_path, "tx.csv", "交易流水号,交易时间,终端SN,交易金额(元),卡类型\nX1,2026-10-05 10:00:00,T1,\"10,000.00\",信用卡\n")
    assert main(["--db", str(dbfile), "import", "transactions", str(tx)]) == 0
    assert main(["--db", str(dbfile), "statement", "compute", "2026-10"]) == 0
    capsys.readouterr()
    assert main(["--db", str(dbfile), "statement", "show", "2026-10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["month"] == "2026-10"
    a3 = next(s for s in data["statements"] if s["agent"] == "A3")
    assert set(a3) == {"agent", "name", "products", "gross_fen", "tax_fen", "payable_fen", "on_hold"}
    assert set(a3["products"][0]) == {
        "product", "credit", "debit", "scan", "cashback_fen", "qualify_bonus_fen",
        "unqualified_penalty_fen", "deposit_refund_fen", "deposit_deduction_fen", "adjustment_fen",
        "carried_in_fen", "subtotal_fen", "carried_out_fen"}
    assert a3["products"][0]["credit"] == {"count": 1, "volume_fen": 1_000_000, "amount_fen": 300}
    assert data["agency"] == {"products": [{"product": "P1", "margin_fen": 300}]}
    assert main(["--db", str(dbfile), "statement", "show", "2026-13", "--json"]) == 2


def test_import_from_main_thread_and_from_a_worker_store_the_same_rows(tmp_path):
    """The main thread stores JSON batches beside a parser thread; a worker thread (the
    window's) parses and stores inline.  Both must store exactly the same rows."""
    import threading

    from app.io.importers import import_file
    from app.models.db import open_database
    tx = write(tmp_path, "tx.csv",
               "tx_id,time,sn,amount,category,status,merchant_no\n"
               "X1,2026-10-05 10:00:00,T1,10.00,贷记卡,成功,M1\n"
               "X2,2026-10-06 11:00:00,T1,\"1,234.56\",借记卡,退货,\n"
               "X3,2026-10-06 09:00:00,T1,0.01,扫码,撤销,M2\n"
               "X4,2026-09-30 23:59:59,T1,99.99,信用卡,,M3\n")
    rows = {}
    for how in ("main", "worker"):
        path = tmp_path / f"{how}.db"
        assert main(["--db", str(path), "init", "--agency", "测试机构", "--min-payout", "0"]) == 0
        for kind, text in (("products", PRODUCTS), ("prices", PRICES), ("agents", AGENTS),
                           ("policies", POLICIES), ("terminals", TERMINALS), ("moves", MOVES)):
            file = write(tmp_path, f"{kind}.csv", text)
            assert main(["--db", str(path), "import", kind, str(file)]) == 0
        db = open_database(path)
        seen = []
        if how == "main":
            assert threading.current_thread() is threading.main_thread()
            seen.append(import_file("transactions", tx).added)
        else:
            t = threading.Thread(target=lambda out=seen: out.append(import_file("transactions", tx).added))
            t.start()
            t.join()
        assert seen == [4]
        rows[how] = db.execute_sql(
            "SELECT tx_id, terminal_id, product_id, time, date, month, amount, category, status, "
            "merchant_no, fee FROM txn ORDER BY tx_id"
        ).fetchall()
        db.close()
    assert rows["main"] == rows["worker"]
    assert rows["main"][1][6] == -123456 and rows["main"][1][8] == "refund"  # 退货 is negative
    assert [type(v) for v in rows["main"][0]] == [type(v) for v in rows["worker"][0]]


def _volume(path) -> tuple[list, list]:
    """(txn_volume, the same sums straight from the transactions), by terminal and month."""
    con = sqlite3.connect(path)
    kept = con.execute("SELECT terminal_id, month, positive FROM txn_volume ORDER BY 1, 2").fetchall()
    truth = con.execute(
        "SELECT terminal_id, substr(date, 1, 7), SUM(amount) FROM txn "
        "WHERE status IN ('success', 'refund') AND amount >= 0 GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    con.close()
    return kept, truth


def test_import_keeps_each_terminals_positive_volume_by_calendar_month(dbfile, tmp_path):
    # T1: 100.00 + 250.50 in October (the refund and the failed one do not count), 40.00 in
    # November; T2: 10.00 in November
    first = write(tmp_path, "tx1.csv", "tx_id,time,sn,amount,category,status\n"
                  "X1,2026-10-05 10:00:00,T1,100.00,贷记卡,成功\n"
                  "X2,2026-10-06 10:00:00,T1,250.50,扫码,成功\n"
                  "X3,2026-10-07 10:00:00,T1,80.00,贷记卡,退货\n")
    second = write(tmp_path, "tx2.csv", "tx_id,time,sn,amount,category,status\n"
                   "X4,2026-10-08 10:00:00,T1,999.00,贷记卡,失败\n"
                   "X5,2026-11-02 10:00:00,T1,40.00,借记卡,成功\n"
                   "X6,2026-11-03 10:00:00,T2,10.00,贷记卡,成功\n")
    for path in (first, second):
        assert main(["--db", str(dbfile), "import", "transactions", str(path)]) == 0
    kept, truth = _volume(dbfile)
    assert [(m, v) for _t, m, v in kept] == [("2026-10", 35050), ("2026-11", 4000), ("2026-11", 1000)]
    assert kept == truth
    # the same file again stores no transaction, and the sums stay those of the stored
    # transactions (derived from them by app.core.derived, not added up from the file)
    assert main(["--db", str(dbfile), "import", "transactions", str(second)]) == 0
    kept, truth = _volume(dbfile)
    assert [v for _t, _m, v in kept] == [35050, 4000, 1000]
    assert kept == truth


def test_undoing_a_transaction_import_takes_its_volume_back(dbfile, tmp_path):
    from app.core.imports import undo_batch
    from app.models.db import opened

    keep = write(tmp_path, "keep.csv", "tx_id,time,sn,amount,category\n"
                 "X1,2026-10-05 10:00:00,T1,100.00,贷记卡\n")
    wrong = write(tmp_path, "wrong.csv", "tx_id,time,sn,amount,category\n"
                  "Y1,2026-10-06 10:00:00,T1,9000.00,贷记卡\nY2,2026-11-01 10:00:00,T2,50.00,扫码\n")
    for path in (keep, wrong):
        assert main(["--db", str(dbfile), "import", "transactions", str(path)]) == 0
    with opened(dbfile) as db:
        batch = db.execute_sql("SELECT MAX(id) FROM import_batch").fetchone()[0]
        undo_batch(batch)
    kept, _truth = _volume(dbfile)
    # T1 keeps its 100.00 of October; T2's November row goes with its only transaction
    assert [(m, v) for _t, m, v in kept] == [("2026-10", 10000)]

