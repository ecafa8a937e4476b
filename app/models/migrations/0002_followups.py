"""Version 2: the follow-up log (联系记录) of each agent, with the next visit date."""

from typing import Any

VERSION = 2

STATEMENTS = [
    'CREATE TABLE "follow_up" ("id" INTEGER NOT NULL PRIMARY KEY, "agent_id" INTEGER NOT NULL, '
    '"date" DATE NOT NULL, "note" TEXT NOT NULL, "next_visit" DATE, "done" INTEGER NOT NULL, '
    'FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "follow_up_agent_id" ON "follow_up" ("agent_id")',
    'CREATE INDEX "follow_up_next_visit" ON "follow_up" ("next_visit")',
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
