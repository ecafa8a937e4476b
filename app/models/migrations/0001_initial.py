"""Version 1: the settlement core's tables, frozen as they were first released.

Later versions never edit this file; they add a module of their own."""

from typing import Any

VERSION = 1

STATEMENTS = [
    'CREATE TABLE "setting" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL)',
    'CREATE TABLE "import_batch" ("id" INTEGER NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, "file_name" TEXT NOT NULL, "created" DATETIME NOT NULL, "added" INTEGER NOT NULL, "updated" INTEGER NOT NULL, "skipped" INTEGER NOT NULL, "undone" INTEGER NOT NULL)',
    'CREATE TABLE "product" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "company" VARCHAR(255) NOT NULL, "activation_min" INTEGER NOT NULL, "qualify_days" INTEGER, "qualify_volume" INTEGER, "deposit_days" INTEGER, "company_cashback" INTEGER NOT NULL, "company_qualify_bonus" INTEGER NOT NULL, "company_unqualified_penalty" INTEGER NOT NULL)',
    'CREATE UNIQUE INDEX "product_code" ON "product" ("code")',
    'CREATE TABLE "price" ("id" INTEGER NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, "effective_from" DATE NOT NULL, "credit_rate" INTEGER NOT NULL, "debit_rate" INTEGER NOT NULL, "debit_cap" INTEGER, "scan_rate" INTEGER NOT NULL, "per_txn" INTEGER NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "price_product_id" ON "price" ("product_id")',
    'CREATE UNIQUE INDEX "price_product_id_effective_from" ON "price" ("product_id", "effective_from")',
    'CREATE TABLE "agent" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "parent_id" INTEGER, "status" VARCHAR(255) NOT NULL, "phone" VARCHAR(255) NOT NULL, "id_no" VARCHAR(255) NOT NULL, "payout" VARCHAR(255) NOT NULL, "tax_rate" INTEGER NOT NULL, "bank" VARCHAR(255) NOT NULL, "bank_account" VARCHAR(255) NOT NULL, "joined" DATE, "note" TEXT NOT NULL, "tags" TEXT NOT NULL, FOREIGN KEY ("parent_id") REFERENCES "agent" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "agent_code" ON "agent" ("code")',
    'CREATE INDEX "agent_parent_id" ON "agent" ("parent_id")',
    'CREATE TABLE "policy" ("id" INTEGER NOT NULL PRIMARY KEY, "agent_id" INTEGER, "product_id" INTEGER NOT NULL, "effective_from" DATE NOT NULL, "credit_rate" INTEGER NOT NULL, "debit_rate" INTEGER NOT NULL, "debit_cap" INTEGER, "scan_rate" INTEGER NOT NULL, "per_txn" INTEGER NOT NULL, "cashback" INTEGER NOT NULL, "qualify_bonus" INTEGER NOT NULL, "unqualified_penalty" INTEGER NOT NULL, "deposit" INTEGER NOT NULL, FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "policy_agent_id" ON "policy" ("agent_id")',
    'CREATE INDEX "policy_product_id" ON "policy" ("product_id")',
    'CREATE UNIQUE INDEX "policy_agent_id_product_id_effective_from" ON "policy" ("agent_id", "product_id", "effective_from")',
    'CREATE TABLE "terminal" ("id" INTEGER NOT NULL PRIMARY KEY, "sn" VARCHAR(255) NOT NULL, "product_id" INTEGER NOT NULL, "stocked_on" DATE NOT NULL, "status" VARCHAR(255) NOT NULL, "holder_id" INTEGER, "activated_on" DATE, "first_tx_on" DATE, "merchant_no" VARCHAR(255) NOT NULL, "merchant_name" VARCHAR(255) NOT NULL, "batch_id" INTEGER, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("holder_id") REFERENCES "agent" ("id") ON DELETE RESTRICT, FOREIGN KEY ("batch_id") REFERENCES "import_batch" ("id") ON DELETE SET NULL)',
    'CREATE UNIQUE INDEX "terminal_sn" ON "terminal" ("sn")',
    'CREATE INDEX "terminal_product_id" ON "terminal" ("product_id")',
    'CREATE INDEX "terminal_holder_id" ON "terminal" ("holder_id")',
    'CREATE INDEX "terminal_batch_id" ON "terminal" ("batch_id")',
    'CREATE TABLE "terminal_event" ("id" INTEGER NOT NULL PRIMARY KEY, "terminal_id" INTEGER NOT NULL, "date" DATE NOT NULL, "action" VARCHAR(255) NOT NULL, "from_agent_id" INTEGER, "to_agent_id" INTEGER, "deposit_method" VARCHAR(255) NOT NULL, "operator" VARCHAR(255) NOT NULL, "batch_id" INTEGER, "created" DATETIME NOT NULL, FOREIGN KEY ("terminal_id") REFERENCES "terminal" ("id") ON DELETE CASCADE, FOREIGN KEY ("from_agent_id") REFERENCES "agent" ("id") ON DELETE RESTRICT, FOREIGN KEY ("to_agent_id") REFERENCES "agent" ("id") ON DELETE RESTRICT, FOREIGN KEY ("batch_id") REFERENCES "import_batch" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "terminal_event_from_agent_id" ON "terminal_event" ("from_agent_id")',
    'CREATE INDEX "terminal_event_to_agent_id" ON "terminal_event" ("to_agent_id")',
    'CREATE INDEX "terminal_event_batch_id" ON "terminal_event" ("batch_id")',
    'CREATE INDEX "terminal_event_terminal_id_date" ON "terminal_event" ("terminal_id", "date")',
    'CREATE TABLE "txn" ("id" INTEGER NOT NULL PRIMARY KEY, "tx_id" VARCHAR(255) NOT NULL, "terminal_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "time" VARCHAR(255) NOT NULL, "date" DATE NOT NULL, "month" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, "category" VARCHAR(255) NOT NULL, "status" VARCHAR(255) NOT NULL, "merchant_no" VARCHAR(255) NOT NULL, "fee" INTEGER, "batch_id" INTEGER, FOREIGN KEY ("terminal_id") REFERENCES "terminal" ("id") ON DELETE RESTRICT, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("batch_id") REFERENCES "import_batch" ("id") ON DELETE SET NULL)',
    'CREATE UNIQUE INDEX "txn_tx_id" ON "txn" ("tx_id")',
    'CREATE INDEX "txn_month_date" ON "txn" ("month", "date")',
    'CREATE INDEX "txn_terminal_id_date" ON "txn" ("terminal_id", "date")',
    'CREATE TABLE "adjustment" ("id" INTEGER NOT NULL PRIMARY KEY, "agent_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "month" VARCHAR(255) NOT NULL, "original_month" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, "reason" TEXT NOT NULL, "batch_id" INTEGER, "created" DATETIME NOT NULL, FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE, FOREIGN KEY ("batch_id") REFERENCES "import_batch" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "adjustment_agent_id" ON "adjustment" ("agent_id")',
    'CREATE INDEX "adjustment_product_id" ON "adjustment" ("product_id")',
    'CREATE INDEX "adjustment_month" ON "adjustment" ("month")',
    'CREATE INDEX "adjustment_batch_id" ON "adjustment" ("batch_id")',
    'CREATE TABLE "terminal_item" ("id" INTEGER NOT NULL PRIMARY KEY, "terminal_id" INTEGER NOT NULL, "kind" VARCHAR(255) NOT NULL, "agent_id" INTEGER, "product_id" INTEGER NOT NULL, "natural_date" DATE NOT NULL, "month" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, FOREIGN KEY ("terminal_id") REFERENCES "terminal" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "terminal_item_terminal_id" ON "terminal_item" ("terminal_id")',
    'CREATE INDEX "terminal_item_month" ON "terminal_item" ("month")',
    'CREATE TABLE "deposit" ("id" INTEGER NOT NULL PRIMARY KEY, "terminal_id" INTEGER NOT NULL, "agent_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "amount" INTEGER NOT NULL, "method" VARCHAR(255) NOT NULL, "allocated_on" DATE NOT NULL, "state" VARCHAR(255) NOT NULL, "settled_on" DATE, FOREIGN KEY ("terminal_id") REFERENCES "terminal" ("id") ON DELETE CASCADE, FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "deposit_terminal_id" ON "deposit" ("terminal_id")',
    'CREATE INDEX "deposit_agent_id" ON "deposit" ("agent_id")',
    'CREATE INDEX "deposit_product_id" ON "deposit" ("product_id")',
    'CREATE TABLE "month_state" ("month" VARCHAR(255) NOT NULL PRIMARY KEY, "state" VARCHAR(255) NOT NULL, "computed_at" DATETIME, "locked_at" DATETIME, "fingerprint" VARCHAR(255) NOT NULL)',
    'CREATE TABLE "statement" ("id" INTEGER NOT NULL PRIMARY KEY, "month" VARCHAR(255) NOT NULL, "agent_id" INTEGER NOT NULL, "gross" INTEGER NOT NULL, "tax" INTEGER NOT NULL, "payable" INTEGER NOT NULL, "on_hold" INTEGER NOT NULL, "paid" INTEGER NOT NULL, "paid_by_id" INTEGER, FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE CASCADE, FOREIGN KEY ("paid_by_id") REFERENCES "agent" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "statement_agent_id" ON "statement" ("agent_id")',
    'CREATE INDEX "statement_paid_by_id" ON "statement" ("paid_by_id")',
    'CREATE UNIQUE INDEX "statement_month_agent_id" ON "statement" ("month", "agent_id")',
    'CREATE TABLE "statement_line" ("id" INTEGER NOT NULL PRIMARY KEY, "statement_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "credit_count" INTEGER NOT NULL, "credit_volume" INTEGER NOT NULL, "credit_amount" INTEGER NOT NULL, "debit_count" INTEGER NOT NULL, "debit_volume" INTEGER NOT NULL, "debit_amount" INTEGER NOT NULL, "scan_count" INTEGER NOT NULL, "scan_volume" INTEGER NOT NULL, "scan_amount" INTEGER NOT NULL, "cashback" INTEGER NOT NULL, "qualify_bonus" INTEGER NOT NULL, "unqualified_penalty" INTEGER NOT NULL, "deposit_refund" INTEGER NOT NULL, "deposit_deduction" INTEGER NOT NULL, "adjustment" INTEGER NOT NULL, "carried_in" INTEGER NOT NULL, "subtotal" INTEGER NOT NULL, "carried_out" INTEGER NOT NULL, FOREIGN KEY ("statement_id") REFERENCES "statement" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "statement_line_statement_id" ON "statement_line" ("statement_id")',
    'CREATE INDEX "statement_line_product_id" ON "statement_line" ("product_id")',
    'CREATE TABLE "agency_margin" ("id" INTEGER NOT NULL PRIMARY KEY, "month" VARCHAR(255) NOT NULL, "product_id" INTEGER NOT NULL, "pool" INTEGER NOT NULL, "margin" INTEGER NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "agency_margin_product_id" ON "agency_margin" ("product_id")',
    'CREATE UNIQUE INDEX "agency_margin_month_product_id" ON "agency_margin" ("month", "product_id")',
]


def migrate(db: Any) -> None:
    for sql in STATEMENTS:
        db.execute_sql(sql)
