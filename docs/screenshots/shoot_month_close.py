"""Screenshots of the month close, the dashboard and the slip print preview.

Run under Xvfb from the repository root:
    xvfb-run -a -s "-screen 0 1440x900x24" python docs/screenshots/shoot_month_close.py

Loads the small demo into a temporary database, adds two follow-ups due on the warning
date, walks the 月结 wizard of 2026-10 and grabs each step.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    from PySide6.QtCore import QSettings

    from app.views.main_window import MainWindow, make_app

    tmp = Path(tempfile.mkdtemp(prefix="posdesk-shots-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "qs"))
    app = make_app(["shots"])
    from app.core.agents import add_follow_up
    from app.io.demo_load import load_demo
    from app.models import Agent
    from app.models.db import open_database

    db_path = tmp / "posdesk.db"
    open_database(db_path)
    load_demo("small")
    today = dt.date(2026, 10, 25)
    for code, note, nxt in (("A05", "机具 LKL2026000266 明天到期未达标,已电话提醒", today),
                            ("A0402", "30台新机激活慢,约上门培训", today - dt.timedelta(days=2))):
        agent = Agent.get(Agent.code == code)
        add_follow_up(agent.id, nxt - dt.timedelta(days=3), note, nxt)

    def pump(seconds: float = 0.3) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents()
            time.sleep(0.02)

    def idle(page) -> None:
        end = time.time() + 120
        while getattr(page, "busy", False) and time.time() < end:
            pump(0.05)
        pump(0.4)

    window = MainWindow(db_path)
    window.resize(1440, 900)
    window.show()
    pump(1)

    # the dashboard, with the warning date inside the demo's data
    dash = window.go_to("工作台")
    dash.today.set_date(today)
    dash.refresh()
    idle(dash)
    window.grab().save(str(OUT / "dashboard.png"))

    page = window.go_to("月结")
    from app.views import month_close

    month_close.show_info = lambda *a, **k: None  # no modal boxes while shooting
    page.refresh()
    pump(0.5)
    window.grab().save(str(OUT / "close_1_month.png"))
    page.go(1)
    idle(page)
    window.grab().save(str(OUT / "close_2_checks.png"))
    page.go(2)
    page.compute_step.run()
    idle(page)
    window.grab().save(str(OUT / "close_3_compute.png"))
    page.go(3)
    review = page.review_step
    review.select_code("A01")
    lines = review.lines
    for r in range(review.lines_model.rowCount()):
        if review.lines_model.row_at(r).kind == "credit":
            lines.selectRow(r)
            lines.setCurrentIndex(review.lines_model.index(r, 0))
            break
    pump(0.5)
    window.grab().save(str(OUT / "close_4_review.png"))
    dialog = review.drill()
    pump(0.5)
    dialog.grab().save(str(OUT / "close_4_drill.png"))
    dialog.close()
    adj = review.adjust()
    adj.amount.setText("-99.00")
    adj.reason.setText("机具款扣回 LKL2026000030(丢失)")
    pump(0.3)
    adj.grab().save(str(OUT / "close_4_adjust.png"))
    adj.reject()
    page.go(4)
    pump(0.5)
    window.grab().save(str(OUT / "close_5_lock.png"))
    page.ask_confirm = lambda text, title: True
    page.lock_step.lock()
    idle(page)
    page.go(5)
    idle(page)
    pump(1.5)
    window.grab().save(str(OUT / "close_6_print.png"))

    printing = page.print_step
    printing.preview_agents([printing.model.row_at(0).id])
    idle(page)
    pump(2)
    preview = page.last_preview
    preview.resize(1100, 860)
    pump(1.5)
    preview.grab().save(str(OUT / "print_preview.png"))
    preview.close()

    window.go_to("设置")
    pump(0.5)
    window.grab().save(str(OUT / "settings.png"))
    window.close()
    print("screenshots written to", OUT)


if __name__ == "__main__":
    main()
