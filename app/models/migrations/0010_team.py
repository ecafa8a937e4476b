from typing import Any

"""Version 10: the office's own team (DOMAIN §8).

* ``staff_member``: the office's staff (员工), ``left_on`` blank while employed;
* ``merchant`` and ``merchant_owner``: merchants (商户) and who owns them from which day
  (a 交接 adds an owner row; the history stays);
* ``ticket``: service tickets (工单), imported again = updated;
* ``commission_plan``: commission plans (提成方案) of a role or of one member, from a month
  on (one per target and month);
* ``staff_adjustment``: rewards and deductions (奖惩) of a member in a month;
* ``contact``: contacts with merchants (回访记录), shaped like the agents' follow-ups;
* ``staff_statement``: the monthly staff statements (员工提成单), rebuilt by each compute of
  an open month and kept as they are once the month is locked.
"""

STATEMENTS = [
    'CREATE TABLE "staff_member" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "role" VARCHAR(255) NOT NULL, "phone" VARCHAR(255) NOT NULL, "joined" DATE, "left_on" DATE)',
    'CREATE UNIQUE INDEX "staff_member_code" ON "staff_member" ("code")',
    'CREATE TABLE "merchant" ("id" INTEGER NOT NULL PRIMARY KEY, "merchant_no" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "contact" VARCHAR(255) NOT NULL, "phone" VARCHAR(255) NOT NULL, "address" TEXT NOT NULL, "industry" VARCHAR(255) NOT NULL)',
    'CREATE UNIQUE INDEX "merchant_merchant_no" ON "merchant" ("merchant_no")',
    'CREATE TABLE "merchant_owner" ("id" INTEGER NOT NULL PRIMARY KEY, "merchant_id" INTEGER NOT NULL, "staff_id" INTEGER, "effective_from" DATE NOT NULL, FOREIGN KEY ("merchant_id") REFERENCES "merchant" ("id") ON DELETE CASCADE, FOREIGN KEY ("staff_id") REFERENCES "staff_member" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "merchant_owner_staff_id" ON "merchant_owner" ("staff_id")',
    'CREATE UNIQUE INDEX "merchant_owner_merchant_id_effective_from" ON "merchant_owner" ("merchant_id", "effective_from")',
    'CREATE TABLE "ticket" ("id" INTEGER NOT NULL PRIMARY KEY, "ticket_no" VARCHAR(255) NOT NULL, "opened" VARCHAR(255) NOT NULL, "type" VARCHAR(255) NOT NULL, "staff_id" INTEGER NOT NULL, "merchant_id" INTEGER, "sn" VARCHAR(255) NOT NULL, "resolved" VARCHAR(255), "outcome" VARCHAR(255) NOT NULL, "rating" INTEGER, "note" TEXT NOT NULL, FOREIGN KEY ("staff_id") REFERENCES "staff_member" ("id") ON DELETE RESTRICT, FOREIGN KEY ("merchant_id") REFERENCES "merchant" ("id") ON DELETE SET NULL)',
    'CREATE UNIQUE INDEX "ticket_ticket_no" ON "ticket" ("ticket_no")',
    'CREATE INDEX "ticket_opened" ON "ticket" ("opened")',
    'CREATE INDEX "ticket_staff_id" ON "ticket" ("staff_id")',
    'CREATE INDEX "ticket_merchant_id" ON "ticket" ("merchant_id")',
    'CREATE INDEX "ticket_resolved" ON "ticket" ("resolved")',
    'CREATE TABLE "commission_plan" ("id" INTEGER NOT NULL PRIMARY KEY, "role" VARCHAR(255) NOT NULL, "staff_id" INTEGER, "effective_month" VARCHAR(255) NOT NULL, "base" INTEGER NOT NULL, "per_activation" INTEGER NOT NULL, "volume_rate" INTEGER NOT NULL, "scope" VARCHAR(255) NOT NULL, "per_ticket" INTEGER NOT NULL, "sla_hours" INTEGER, "resolution_tiers" TEXT NOT NULL, "satisfaction_tiers" TEXT NOT NULL, "min_ratings" INTEGER NOT NULL, FOREIGN KEY ("staff_id") REFERENCES "staff_member" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "commission_plan_staff_id" ON "commission_plan" ("staff_id")',
    'CREATE TABLE "staff_adjustment" ("id" INTEGER NOT NULL PRIMARY KEY, "staff_id" INTEGER NOT NULL, "month" VARCHAR(255) NOT NULL, "original_month" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, "reason" TEXT NOT NULL, "batch_id" INTEGER, FOREIGN KEY ("staff_id") REFERENCES "staff_member" ("id") ON DELETE CASCADE, FOREIGN KEY ("batch_id") REFERENCES "import_batch" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "staff_adjustment_staff_id" ON "staff_adjustment" ("staff_id")',
    'CREATE INDEX "staff_adjustment_month" ON "staff_adjustment" ("month")',
    'CREATE INDEX "staff_adjustment_batch_id" ON "staff_adjustment" ("batch_id")',
    'CREATE TABLE "contact" ("id" INTEGER NOT NULL PRIMARY KEY, "merchant_id" INTEGER NOT NULL, "date" DATE NOT NULL, "staff_id" INTEGER, "channel" VARCHAR(255) NOT NULL, "summary" TEXT NOT NULL, "next_date" DATE, "done" INTEGER NOT NULL, FOREIGN KEY ("merchant_id") REFERENCES "merchant" ("id") ON DELETE CASCADE, FOREIGN KEY ("staff_id") REFERENCES "staff_member" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "contact_merchant_id" ON "contact" ("merchant_id")',
    'CREATE INDEX "contact_staff_id" ON "contact" ("staff_id")',
    'CREATE INDEX "contact_next_date" ON "contact" ("next_date")',
    'CREATE TABLE "staff_statement" ("id" INTEGER NOT NULL PRIMARY KEY, "month" VARCHAR(255) NOT NULL, "staff_id" INTEGER NOT NULL, "role" VARCHAR(255) NOT NULL, "employed_days" INTEGER NOT NULL, "month_days" INTEGER NOT NULL, "base" INTEGER NOT NULL, "activations" INTEGER NOT NULL, "activation" INTEGER NOT NULL, "volume" INTEGER NOT NULL, "volume_amount" INTEGER NOT NULL, "tickets_resolved" INTEGER NOT NULL, "ticket" INTEGER NOT NULL, "opened" INTEGER NOT NULL, "within_sla" INTEGER NOT NULL, "resolution_bonus" INTEGER NOT NULL, "ratings" INTEGER NOT NULL, "rating_sum" INTEGER NOT NULL, "satisfaction_bonus" INTEGER NOT NULL, "adjustment" INTEGER NOT NULL, "total" INTEGER NOT NULL, "plan" TEXT NOT NULL, FOREIGN KEY ("staff_id") REFERENCES "staff_member" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "staff_statement_staff_id" ON "staff_statement" ("staff_id")',
    'CREATE UNIQUE INDEX "staff_statement_month_staff_id" ON "staff_statement" ("month", "staff_id")',
    # one plan per target (a role, or a member) and month
    'CREATE UNIQUE INDEX "commission_plan_target_month" ON "commission_plan" '
    '("role", COALESCE("staff_id", 0), "effective_month")',
    'CREATE INDEX "ticket_opened_staff" ON "ticket" ("staff_id", "opened")',
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
