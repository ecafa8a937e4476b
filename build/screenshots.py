"""Screenshots of every page with the small demo, for docs/screenshots/.

Run under Xvfb: ``xvfb-run -a -s "-screen 0 1440x900x24" python -m build.screenshots [--db DB]``.
Without ``--db`` a fresh database with the small demo is made in a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"

# 工作台, 月结 and 设置 are shot by docs/screenshots/shoot_month_close.py
SHOTS = [
    ("代理商", "agents"),
    ("政策", "policies"),
    ("机具", "terminals"),
    ("押金", "deposits"),
    ("交易导入", "import"),
]


def wait(app, page=None, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        loader = getattr(page, "loader", None)
        if loader is None or not loader.loading:
            break
        time.sleep(0.02)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None)
    parser.add_argument("--only", default=None, help="comma separated file stems")
    args = parser.parse_args(argv)
    from PySide6.QtCore import QSettings

    from app.models.db import open_database
    from app.views.main_window import MainWindow, make_app

    tmp = None
    db_path = args.db
    app = make_app()
    QSettings().remove("main/geometry")
    if db_path is None:
        tmp = tempfile.TemporaryDirectory()
        db_path = str(Path(tmp.name) / "demo.db")
        open_database(db_path)
        from app.io.demo_load import load_demo

        load_demo("small")
    else:
        open_database(db_path)
    window = MainWindow(db_path)
    window.resize(1360, 820)
    window.show()
    OUT.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    for title, stem in SHOTS:
        if only and stem not in only:
            continue
        page = window.go_to(title)
        wait(app, page)
        prepare = getattr(page, "prepare_screenshot", None)
        if prepare is not None:
            prepare()
            wait(app, page)
        window.grab().save(str(OUT / f"{stem}.png"))
        print("saved", OUT / f"{stem}.png")
    extras(app, window, only)
    window.close()
    return 0


def shoot(app, widget, stem: str) -> None:
    wait(app)
    widget.grab().save(str(OUT / f"{stem}.png"))
    print("saved", OUT / f"{stem}.png")


def extras(app, window, only) -> None:
    """Dialogs and wizard steps worth a picture."""
    import datetime as dt

    from app.core.terminals import terminal_rows
    from app.views import agents, terminals

    def want(stem: str) -> bool:
        return not only or stem in only

    if want("agent_dialog"):
        page = window.go_to("代理商")
        wait(app, page)
        row = page.model.row_at(3)
        dialog = agents.AgentDialog(window, agent_id=row.id)
        dialog.show()
        shoot(app, dialog, "agent_dialog")
        dialog.close()
    if want("allocate_preview"):
        page = window.go_to("机具")
        wait(app, page)
        rows = terminal_rows()
        # the longest run of consecutive SNs in stock, as an office would allocate them
        best: list[str] = []
        run: list[str] = []
        for r in rows:
            run = run + [r.sn] if r.status == "in_stock" else []
            if len(run) > len(best):
                best = list(run)
        dialog = terminals.MoveDialog("allocate", [], window)
        dialog.source.setCurrentIndex(1)
        dialog.source.first.setText(best[0])
        dialog.source.last.setText(best[-1])
        dialog.day.set_date(dt.date(2026, 10, 28))
        dialog.agent.setCurrentIndex(3)
        dialog.preview()
        dialog.show()
        shoot(app, dialog, "allocate_preview")
        dialog.close()
    if want("import_preview") or want("import_errors"):
        import tempfile
        from pathlib import Path

        page = window.go_to("交易导入")
        folder = Path(tempfile.mkdtemp())
        sns = [r.sn for r in terminal_rows() if r.status == "allocated"][:6]
        lines = ["交易流水号,交易时间,终端SN,商户编号,交易金额,卡类型,交易状态"]
        for i, sn in enumerate(sns):
            lines.append(f"SHOT{i:04d},2026-10-{10 + i} 1{i}:20:00,{sn},M{i:03d},{(i + 1) * 1234}.50,"
                         f"{['贷记卡', '借记卡', '微信'][i % 3]},成功")
        good = folder / "拉卡拉交易明细_10月.csv"
        good.write_text("\n".join(lines) + "\n", encoding="gbk")
        bad = folder / "补录交易_有错.csv"
        bad.write_text("\n".join(lines[:3] + ["SHOTX1,2026-10-12 10:00:00,NOPE01,M9,100.00,贷记卡,成功",
                                                "SHOTX2,2026-13-01 10:00:00," + sns[0] + ",M9,100.00,信用卡,成功",
                                                "SHOTX3,2026-10-12 10:00:00," + sns[1] + ",M9,12.345,花呗,成功"]) + "\n",
                       encoding="utf-8")
        wizard = page.wizard
        wizard.add_files([good])
        wait(app, wizard)
        wizard.go(1)
        if want("import_preview"):
            shoot(app, window, "import_preview")
        wizard.restart()
        wizard.add_files([bad])
        wait(app, wizard)
        wizard.go(1)
        wizard.next_step()
        for _ in range(200):
            if wizard.stack.currentIndex() == 2:
                break
            wait(app)
        if want("import_errors"):
            shoot(app, window, "import_errors")
        wizard.restart()
    if want("import_history"):
        page = window.go_to("交易导入")
        page.tabs.setCurrentIndex(1)
        shoot(app, window, "import_history")


if __name__ == "__main__":
    sys.exit(main())
