"""What a locked month's slips show, frozen with it (锁定时冻结), migration 8.

A slip shows more than the statement's numbers: the agent's name, phone, ID number, bank and
account, its tax rate and payout rule (直结 / 上级代发 and through whom), the agency's name
and minimum payout, the products' names and the team figures.  Those live in tables the
office keeps editing.  At the lock, inside its transaction, ``freeze_month`` stores them as
they are, one JSON document per month; ``frozen(month)`` gives them back, and the slips of a
locked month are drawn from it (``app.io.slips.MonthSnapshot``).  A reprint is therefore
byte-identical for ever, also after an agent is renamed, moved or its bank edited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass

from app.core.analytics import TeamFigures, team_figures
from app.models import database

# the agent columns a slip reads, in this order (app.io.slips._AgentRow)
AGENT_COLUMNS = (
    "id", "code", "name", "parent_id", "status", "phone", "id_no", "payout", "tax_rate",
    "bank", "bank_account",
)  # fmt: skip
# the settings a slip prints
SETTING_KEYS = ("agency_name", "agency_logo", "agency_address", "agency_phone", "min_payout")
_FIGURES = [f.name for f in dataclasses.fields(TeamFigures) if f.name not in ("agent_id", "downlines")]


@dataclass
class Frozen:
    """A locked month's slip data as it was at the lock."""

    agents: list[tuple]  # AGENT_COLUMNS
    products: list[tuple[int, str, str]]  # id, code, name
    settings: dict[str, str]
    team: dict[int, TeamFigures] | None  # None: frozen by migration 8, without figures
    frozen_at: str


def freeze_month(month: str) -> None:
    """Store what ``month``'s slips show (call inside the lock's transaction)."""
    db = database.obj
    agents = [list(r) for r in db.execute_sql(f"SELECT {', '.join(AGENT_COLUMNS)} FROM agent ORDER BY id")]
    products = [list(r) for r in db.execute_sql("SELECT id, code, name FROM product ORDER BY id")]
    marks = ", ".join("?" * len(SETTING_KEYS))
    settings = dict(
        db.execute_sql(f"SELECT key, value FROM setting WHERE key IN ({marks})", SETTING_KEYS)
    )
    figures = team_figures(month)
    team = {
        str(a): {
            **{name: getattr(fig, name) for name in _FIGURES},
            "downlines": [d.agent_id for d in fig.downlines],
        }
        for a, fig in figures.items()
    }
    data = json.dumps(
        {"agents": agents, "products": products, "settings": settings, "team": team},
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    now = dt.datetime.now().replace(microsecond=0).isoformat(" ")
    db.execute_sql(
        "INSERT OR REPLACE INTO lock_freeze (month, frozen_at, data) VALUES (?, ?, ?)",
        (month, now, data),
    )


def frozen(month: str) -> Frozen | None:
    """What ``month``'s slips show as frozen at its lock, or ``None`` (an open month)."""
    row = database.obj.execute_sql(
        "SELECT f.data, f.frozen_at FROM lock_freeze f JOIN month_state s ON s.month = f.month "
        "WHERE f.month = ? AND s.state = 'locked'",
        (month,),
    ).fetchone()
    if row is None:
        return None
    data = json.loads(row[0])
    team: dict[int, TeamFigures] | None = None
    if data.get("team") is not None:
        team = {
            int(a): TeamFigures(agent_id=int(a), **{k: v for k, v in f.items() if k != "downlines"})
            for a, f in data["team"].items()
        }
        for a, f in data["team"].items():
            team[int(a)].downlines = [team[d] for d in f["downlines"] if d in team]
    return Frozen(
        [tuple(r) for r in data["agents"]],
        [(int(r[0]), str(r[1]), str(r[2])) for r in data["products"]],
        {str(k): str(v) for k, v in data["settings"].items()},
        team,
        str(row[1]),
    )
