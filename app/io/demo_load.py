"""``posdesk demo``: write the demo files, import them like a user would, compute."""

from __future__ import annotations

import tempfile
from pathlib import Path

from app.core import closing, settlement
from app.core.errors import UserError
from app.core.money import format_month
from app.core.months import get_setting, set_setting
from app.io.demo import write_demo_files
from app.io.demo_team import load_team
from app.io.importers import import_file
from app.models import Agent


def load_demo(scale: str = "small", progress=None, settle: bool = True) -> str:
    """Load the demo data set into an empty database; returns a summary in Chinese.

    With ``settle`` the months are computed too (the small demo's earlier months locked),
    as an office would find them; the self-test settles them itself."""
    if Agent.select().exists():
        raise UserError("数据库中已有代理数据,演示数据只能载入空数据库(请用 --db 指定新文件)")
    report = progress or (lambda _p, _m: None)
    with tempfile.TemporaryDirectory() as tmp:
        demo = write_demo_files(Path(tmp), scale=scale)
        if not get_setting("agency_name"):
            set_setting("agency_name", demo.agency_name)
        set_setting("min_payout", str(demo.min_payout_fen))
        lines = []
        for i, (kind, path) in enumerate(demo.files):
            report(5 + 60 * i // len(demo.files), f"导入{path.name}")
            lines.append(import_file(kind, path).summary())
        report(66, "导入员工、商户与工单")
        lines += load_team(Path(tmp), demo.months, scale)  # the office's team (app.io.demo_team)
    if not settle:
        return "\n".join(lines)
    for i, month in enumerate(demo.months):
        report(70 + 30 * i // len(demo.months), f"计算{format_month(month)}")
        if i < len(demo.months) - 1 and scale == "small":
            closing.lock(month, backup=False)  # a fresh database: nothing to keep
        else:
            settlement.compute_month(month)
    lines.append("已计算:" + "、".join(format_month(m) for m in demo.months))
    return "\n".join(lines)
