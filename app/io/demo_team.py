"""The demo office's team (DOMAIN §8): staff, owned merchants (with a few 交接), plans,
tickets, contacts and adjustments, written as the canonical team files and imported like
any office's, after the demo's terminals and transactions (whose merchant numbers they use)."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from app.core.money import month_first_day, month_last_day
from app.io.importers import import_file
from app.models import database

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞"]
INDUSTRIES = ["餐饮", "便利店", "服装", "美容美发", "五金建材", "药店", "水果生鲜", "汽修", "酒店", "教育培训"]
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平街", "新华路", "文化路", "胜利街"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _time(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, rng.randint(8, 19), rng.randint(0, 59), rng.randint(0, 59))


def load_team(folder: Path, months: list[str], scale: str, seed: int = 8) -> list[str]:
    """Write and import the team files; returns the imports' summaries."""
    rng = random.Random(seed)
    first, last = month_first_day(months[0]), month_last_day(months[-1])
    final = month_first_day(months[-1])
    db = database.obj
    merchants = dict(db.execute_sql(
        "SELECT merchant_no, MAX(merchant_name) FROM terminal WHERE merchant_no != '' GROUP BY merchant_no"
    ).fetchall())
    for (mno,) in db.execute_sql("SELECT DISTINCT merchant_no FROM txn WHERE merchant_no != ''"):
        merchants.setdefault(mno, "")
    sns = [r[0] for r in db.execute_sql("SELECT sn FROM terminal WHERE merchant_no != '' ORDER BY sn")]
    large = scale == "large"
    n_sales, n_service, n_logistics = (14, 6, 3) if large else (3, 2, 1)
    staff: list[list[object]] = [["L01", "周建华", "负责人", "13900000001", "2020-03-01", ""]]
    sales = [f"S{i:02d}" for i in range(1, n_sales + 1)]
    service = [f"C{i:02d}" for i in range(1, n_service + 1)]
    logistics = [f"H{i:02d}" for i in range(1, n_logistics + 1)]
    joined_late = sales[-1]  # joins in the middle of the last month
    leaves = sales[0]  # leaves in the middle of the last month
    for code in sales + service + logistics:
        joined = (final + dt.timedelta(days=14)) if code == joined_late else first - dt.timedelta(days=rng.randint(30, 900))
        left = (final + dt.timedelta(days=9)) if code == leaves else ""
        role = "销售" if code in sales else "客服" if code in service else "后勤"
        staff.append([code, _name(rng), role, f"13{rng.randint(100000000, 999999999)}", joined, left])
    files = [("staff", _write(folder / "staff.csv", ["员工编号", "姓名", "岗位", "手机", "入职日期", "离职日期"], staff))]
    keepers = [c for c in sales if c != joined_late]
    rows: list[list[object]] = []
    for i, (mno, name) in enumerate(sorted(merchants.items())):
        owner = keepers[i % len(keepers)]
        rows.append([mno, name or f"演示商户{i + 1}", owner, "", _name(rng), f"13{rng.randint(100000000, 999999999)}",
                     f"{rng.choice(STREETS)}{rng.randint(1, 300)}号", rng.choice(INDUSTRIES)])
        if owner == leaves or rng.random() < 0.03:  # 交接: the leaver's merchants, and a few more
            rows.append([mno, "", joined_late if owner == leaves else rng.choice([k for k in keepers if k != leaves]),
                         final + dt.timedelta(days=9 if owner == leaves else rng.randint(1, 20)),
                         "", "", "", ""])
    files.append(("merchants", _write(folder / "merchants.csv", ["商户编号", "商户名称", "业务员", "生效日期", "联系人",
                                                                  "电话", "地址", "行业"], rows)))
    plans = [
        ["负责人", months[0], 8000, 5, "万1", "全部", "", "", "", "", ""],
        ["销售", months[0], 3000, 30, "万3", "本人", "", "", "", "", ""],
        ["客服", months[0], 3500, 0, "", "本人", 5, 24, "95%:500;90%:300;80%:100", "4.8:500;4.5:200", 5],
        ["后勤", months[0], 3800, 10, "", "本人", 8, 48, "90%:300", "4.5:200", 3],
        [sales[1], months[0], 4000, 40, "万4", "本人", "", "", "", "", ""],
    ]
    if len(months) > 1:  # a plan change from the last month
        plans.append(["销售", months[-1], 3200, 35, "万3", "本人", "", "", "", "", ""])
    files.append(("staff_plans", _write(folder / "staff_plans.csv", [
        "适用对象", "生效月份", "底薪", "激活提成", "交易提成", "范围", "解决工单提成", "处理时限小时", "解决率奖励",
        "满意度奖励", "最少评价数"], plans)))
    mnos = sorted(merchants)
    handlers = service + logistics
    types = ["咨询", "故障", "投诉", "安装", "换机", "回访", "其他"]
    tickets: list[list[object]] = []
    count = 20_000 if large else 160
    span = (last - first).days
    for i in range(count):
        opened = _time(first + dt.timedelta(days=rng.randint(0, span)), rng)
        kind = rng.choice(types)
        handler = rng.choice(logistics if kind in ("安装", "换机") else handlers)
        resolved: object = ""
        outcome = ""
        rating: object = ""
        if opened.date() < last - dt.timedelta(days=2) or rng.random() < 0.5:
            hours = rng.choice([1, 2, 4, 8, 20, 30, 60]) if rng.random() < 0.9 else rng.randint(60, 200)
            resolved = opened + dt.timedelta(hours=hours, minutes=rng.randint(0, 50))
            if resolved > dt.datetime(last.year, last.month, last.day, 23, 59):  # type: ignore[operator]
                resolved = ""
            else:
                outcome = "未解决" if rng.random() < 0.05 else "已解决"
                rating = rng.choice([5, 5, 5, 4, 4, 3, 2, ""]) if outcome == "已解决" else ""
        mno = rng.choice(mnos) if mnos else ""
        sn = rng.choice(sns) if sns and kind in ("故障", "换机") else ""
        tickets.append([f"GD{i + 1:06d}", opened, kind, handler, mno, sn, resolved, outcome, rating, ""])
    files.append(("tickets", _write(folder / "tickets.csv", ["工单号", "创建时间", "类型", "处理人", "商户编号", "终端SN",
                                                              "解决时间", "结果", "满意度", "备注"], tickets)))
    contacts = []
    seen: set[tuple] = set()
    summaries = ["询问费率", "回访使用情况", "推荐新产品", "提醒更新收款码", "了解经营情况", "处理到账疑问"]
    for _ in range(min(len(mnos), 30_000 if large else 200)):
        day = first + dt.timedelta(days=rng.randint(0, span))
        nxt = day + dt.timedelta(days=rng.choice([7, 14, 30])) if rng.random() < 0.6 else ""
        row = [rng.choice(mnos), day, rng.choice(keepers + service), rng.choice(["电话", "微信", "上门", "短信"]),
               rng.choice(summaries)]
        if tuple(row) not in seen:  # one contact per merchant, day, member, channel and summary
            seen.add(tuple(row))
            contacts.append([*row, nxt])
    files.append(("contacts", _write(folder / "contacts.csv", ["商户编号", "日期", "员工编号", "方式", "内容", "下次日期"],
                                     contacts)))
    files.append(("staff_adjustments", _write(folder / "staff_adjustments.csv", ["员工编号", "月份", "金额", "原因"], [
        [service[0], months[-1], 200, "客户来电表扬"], [sales[1], months[-1], -100, "资料未按时交回"]])))
    return [import_file(kind, path).summary() for kind, path in files]
