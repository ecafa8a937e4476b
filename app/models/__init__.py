"""Tables of POSDesk (peewee).  Fields, indexes, constraints; no business rules.

Money columns are integer fen, rate columns integer ppm, dates ``YYYY-MM-DD`` and months
``YYYY-MM``.  A NULL agent means the agency itself (本机构) wherever an agent is expected:
a NULL parent is a first-level agent, a NULL policy agent is the agency's own cost, a NULL
holder is the agency's stock.
"""

from __future__ import annotations

import datetime as dt

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    CompositeKey,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Setting(BaseModel):
    """Key/value settings of the office (agency name, minimum payout, slip header …)."""

    key = CharField(primary_key=True)
    value = TextField()


class ImportBatch(BaseModel):
    """One import of one file: what it added, so that it can be reported and undone."""

    id = AutoField()
    kind = CharField()
    file_name = TextField()
    created = DateTimeField(default=_now)
    added = IntegerField(default=0)
    updated = IntegerField(default=0)
    skipped = IntegerField(default=0)
    undone = BooleanField(default=False)


class Product(BaseModel):
    """A payment company's terminal product (产品) and the company's per-terminal amounts."""

    id = AutoField()
    code = CharField(unique=True)
    name = CharField()
    company = CharField(default="")
    activation_min = IntegerField(default=1)  # fen; first tx ≥ this activates
    qualify_days = IntegerField(null=True)  # N of the 达标 window; NULL = no rule
    qualify_volume = IntegerField(null=True)  # fen; NULL = no rule
    deposit_days = IntegerField(null=True)  # NULL = refund without a time limit
    company_cashback = IntegerField(default=0)
    company_qualify_bonus = IntegerField(default=0)
    company_unqualified_penalty = IntegerField(default=0)


class Price(BaseModel):
    """The merchant price list (商户费率) of a product, effective from a date."""

    id = AutoField()
    product = ForeignKeyField(Product, on_delete="CASCADE")
    product_id: int
    effective_from = DateField()
    credit_rate = IntegerField()
    debit_rate = IntegerField()
    debit_cap = IntegerField(null=True)
    scan_rate = IntegerField()
    per_txn = IntegerField(default=0)

    class Meta:
        indexes = ((("product", "effective_from"), True),)


class Agent(BaseModel):
    """A downline agent (代理商); ``parent`` NULL means directly under the agency."""

    id = AutoField()
    code = CharField(unique=True)
    name = CharField()
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    parent_id: int | None
    status = CharField(default="active")  # active | on_hold | closed
    phone = CharField(default="")
    id_no = CharField(default="")
    payout = CharField(default="direct")  # direct | via_parent
    tax_rate = IntegerField(default=0)  # ppm
    bank = CharField(default="")
    bank_account = CharField(default="")
    joined = DateField(null=True)
    note = TextField(default="")
    tags = TextField(default="")  # comma separated manual tags


class Policy(BaseModel):
    """An agent's settlement policy (政策) for a product from a date; agent NULL = agency cost."""

    id = AutoField()
    agent = ForeignKeyField(Agent, null=True, on_delete="CASCADE")
    agent_id: int | None
    product = ForeignKeyField(Product, on_delete="CASCADE")
    product_id: int
    effective_from = DateField()
    credit_rate = IntegerField()
    debit_rate = IntegerField()
    debit_cap = IntegerField(null=True)
    scan_rate = IntegerField()
    per_txn = IntegerField(default=0)
    cashback = IntegerField(default=0)
    qualify_bonus = IntegerField(default=0)
    unqualified_penalty = IntegerField(default=0)
    deposit = IntegerField(default=0)

    class Meta:
        indexes = ((("agent", "product", "effective_from"), True),)


class Terminal(BaseModel):
    """A terminal (机具) by serial number; holder/status mirror its latest event."""

    id = AutoField()
    sn = CharField(unique=True)
    product = ForeignKeyField(Product, on_delete="RESTRICT")
    product_id: int
    stocked_on = DateField()
    status = CharField(default="in_stock")  # in_stock | allocated | lost | returned
    holder = ForeignKeyField(Agent, null=True, on_delete="RESTRICT")
    holder_id: int | None
    activated_on = DateField(null=True)  # imported activation date
    first_tx_on = DateField(null=True)  # first successful tx ≥ the activation threshold
    merchant_no = CharField(default="")
    merchant_name = CharField(default="")
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL")
    batch_id: int | None


class TerminalEvent(BaseModel):
    """One dated event in a terminal's life; ``id`` orders the events of one day."""

    id = AutoField()
    terminal = ForeignKeyField(Terminal, backref="events", on_delete="CASCADE", index=False)
    terminal_id: int
    date = DateField()
    action = CharField()  # stock | allocate | transfer | recall | lost | return
    from_agent = ForeignKeyField(Agent, null=True, on_delete="RESTRICT", column_name="from_agent_id")
    from_agent_id: int | None
    to_agent = ForeignKeyField(Agent, null=True, on_delete="RESTRICT", column_name="to_agent_id")
    to_agent_id: int | None
    deposit_method = CharField(default="deduct")  # deduct | cash (allocate only)
    operator = CharField(default="")
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL")
    batch_id: int | None
    created = DateTimeField(default=_now)

    class Meta:
        indexes = ((("terminal", "date"), False),)


class Txn(BaseModel):
    """An imported transaction (交易).  ``amount`` is signed (refunds negative);
    ``month`` is the month it is settled in (its own, or the next open one if that was
    locked when it arrived)."""

    id = AutoField()
    tx_id = CharField(unique=True)
    terminal = ForeignKeyField(Terminal, on_delete="RESTRICT", index=False)
    terminal_id: int
    product = ForeignKeyField(Product, on_delete="RESTRICT", index=False)
    product_id: int
    time = CharField()
    date = DateField()
    month = CharField()
    amount = IntegerField()
    category = CharField()  # credit | debit | scan
    status = CharField()  # success | refund | void | reversal | failed
    merchant_no = CharField(default="")
    fee = IntegerField(null=True)
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", index=False)
    batch_id: int | None
    src_row = IntegerField(null=True)  # the file's row (with batch: where a tx_id came from)

    class Meta:
        # the schema itself is made by app/models/migrations; these mirror it
        indexes = (
            (("terminal", "date"), False),
            (("month", "date"), False),
            (("month", "terminal", "date", "category", "status", "amount"), False),  # v3
        )


class Adjustment(BaseModel):
    """A manual adjustment (调账) with its reason, settled in ``month``."""

    id = AutoField()
    agent = ForeignKeyField(Agent, on_delete="CASCADE")
    agent_id: int
    product = ForeignKeyField(Product, on_delete="CASCADE")
    product_id: int
    month = CharField(index=True)
    original_month = CharField()
    amount = IntegerField()
    reason = TextField()
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL")
    batch_id: int | None
    created = DateTimeField(default=_now)
    corrects = CharField(null=True)  # 补差: the locked month it corrects (migration 0012)


class TerminalItem(BaseModel):
    """A per-terminal amount posted to a locked month: cashback, bonus, penalty, deposit
    lines.

    ``agent`` NULL is the agency's own share.  The ledger holds locked months only
    (written by ``lock_month``, never touched again): late changes post their difference
    to the next open month.  An open month's amounts are derived when asked for
    (``settlement.posted_items``).  Hundreds of thousands of rows are written per month
    close, so the table carries only the constraint and the indexes it needs (terminal,
    month); agent and product are not enforced by SQLite."""

    id = AutoField()
    terminal = ForeignKeyField(Terminal, on_delete="CASCADE")
    terminal_id: int
    kind = CharField()  # cashback | qualify_bonus | unqualified_penalty | deposit_refund | deposit_deduction
    agent = ForeignKeyField(Agent, null=True, on_delete="CASCADE")
    agent_id: int | None
    product = ForeignKeyField(Product, on_delete="CASCADE")
    product_id: int
    natural_date = DateField()
    month = CharField(index=True)
    amount = IntegerField()


class Deposit(BaseModel):
    """The deposit (押金) taken on a terminal's first allocation; rebuilt by each compute."""

    id = AutoField()
    terminal = ForeignKeyField(Terminal, unique=True, on_delete="CASCADE")
    terminal_id: int
    agent = ForeignKeyField(Agent, on_delete="CASCADE")
    agent_id: int
    product = ForeignKeyField(Product, on_delete="CASCADE")
    product_id: int
    amount = IntegerField()
    method = CharField()  # deduct | cash
    allocated_on = DateField()
    state = CharField()  # held | refunded | forfeited
    settled_on = DateField(null=True)


class MonthState(BaseModel):
    """Whether a month is open or locked (锁定), and when it was last computed."""

    month = CharField(primary_key=True)
    state = CharField(default="open")  # open | locked
    computed_at = DateTimeField(null=True)
    locked_at = DateTimeField(null=True)
    fingerprint = CharField(default="")  # no longer filled (nothing read it): ""


class Statement(BaseModel):
    """An agent's statement (分润单) for a month."""

    id = AutoField()
    month = CharField()
    agent = ForeignKeyField(Agent, on_delete="CASCADE")
    agent_id: int
    gross = IntegerField(default=0)
    tax = IntegerField(default=0)
    payable = IntegerField(default=0)
    on_hold = BooleanField(default=False)
    paid = BooleanField(default=False)  # payable > 0 and actually paid out this month
    paid_by = ForeignKeyField(
        Agent, null=True, on_delete="SET NULL", column_name="paid_by_id", backref="passes"
    )  # NULL = the agency pays directly (直结); else the parent passes it on (上级代发)
    paid_by_id: int | None

    class Meta:
        indexes = ((("month", "agent"), True),)


class StatementLine(BaseModel):
    """One product section of a statement: every line item in fen."""

    id = AutoField()
    statement = ForeignKeyField(Statement, backref="lines", on_delete="CASCADE")
    statement_id: int
    product = ForeignKeyField(Product, on_delete="CASCADE")
    product_id: int
    credit_count = IntegerField(default=0)
    credit_volume = IntegerField(default=0)
    credit_amount = IntegerField(default=0)
    debit_count = IntegerField(default=0)
    debit_volume = IntegerField(default=0)
    debit_amount = IntegerField(default=0)
    scan_count = IntegerField(default=0)
    scan_volume = IntegerField(default=0)
    scan_amount = IntegerField(default=0)
    cashback = IntegerField(default=0)
    qualify_bonus = IntegerField(default=0)
    unqualified_penalty = IntegerField(default=0)
    deposit_refund = IntegerField(default=0)
    deposit_deduction = IntegerField(default=0)
    adjustment = IntegerField(default=0)
    carried_in = IntegerField(default=0)
    subtotal = IntegerField(default=0)
    carried_out = IntegerField(default=0)


class AgencyMargin(BaseModel):
    """The agency's own share of a product in a month, and the pool it came from."""

    id = AutoField()
    month = CharField()
    product = ForeignKeyField(Product, on_delete="CASCADE")
    product_id: int
    pool = IntegerField(default=0)
    margin = IntegerField(default=0)

    class Meta:
        indexes = ((("month", "product"), True),)


ALL_MODELS = [
    Setting,
    ImportBatch,
    Product,
    Price,
    Agent,
    Policy,
    Terminal,
    TerminalEvent,
    Txn,
    Adjustment,
    TerminalItem,
    Deposit,
    MonthState,
    Statement,
    StatementLine,
    AgencyMargin,
]


class FollowUp(BaseModel):
    """A contact with an agent (联系记录) and, optionally, when to visit next."""

    id = AutoField()
    agent = ForeignKeyField(Agent, backref="follow_ups", on_delete="CASCADE")
    agent_id: int
    date = DateField()
    note = TextField()
    next_visit = DateField(null=True, index=True)
    done = BooleanField(default=False)


ALL_MODELS.append(FollowUp)


class QualifyOutcome(BaseModel):
    """The 达标 outcome of an activated terminal whose product has a rule, as of the last
    compute: its window's last day, and the day its window volume reached the target
    (NULL: not reached).  Replaced by every compute (migration 4)."""

    terminal = ForeignKeyField(Terminal, primary_key=True, on_delete="CASCADE")
    terminal_id: int
    window_end = DateField()
    reached_on = DateField(null=True)

    class Meta:
        table_name = "qualify_outcome"


ALL_MODELS.append(QualifyOutcome)


class TxnVolume(BaseModel):
    """A terminal's counted transactions of amount ≥ 0 of a calendar month settled in
    ``settle``: their sum (fen, an upper bound of any 达标 window's volume inside those
    months) and the first day of an activating one.  Derived from the transactions and
    kept up to date by ``app.core.derived`` (migrations 5 and 13)."""

    terminal_id = IntegerField()
    month = CharField()  # YYYY-MM of the transactions' day
    settle = CharField()  # YYYY-MM of the month they are settled in
    positive = IntegerField()
    first_on = CharField(null=True)  # YYYY-MM-DD

    class Meta:
        table_name = "txn_volume"
        primary_key = CompositeKey("terminal_id", "month", "settle")
        without_rowid = True


ALL_MODELS.append(TxnVolume)


class TerminalHolding(BaseModel):
    """A stretch of a terminal's holding timeline: from ``start`` to the day before
    ``finish`` it is held by ``holder`` (0: the agency's stock).  Derived from the moves
    and kept up to date by ``app.core.derived`` (migration 6); the shares pass reads it."""

    terminal = ForeignKeyField(Terminal, on_delete="CASCADE")
    start = CharField()
    finish = CharField()
    holder = IntegerField()

    class Meta:
        table_name = "terminal_holding"
        primary_key = CompositeKey("terminal", "start")
        without_rowid = True


ALL_MODELS.append(TerminalHolding)


class TxnDay(BaseModel):
    """A terminal's counted transactions settled in ``month``, summed by day:
    "YYYY-MM-DD amount,…".  Derived from the transactions and kept up to date by
    ``app.core.derived`` (migration 6); the 达标 pass reads it."""

    month = CharField()
    terminal_id = IntegerField()
    days = TextField()

    class Meta:
        table_name = "txn_day"
        primary_key = CompositeKey("month", "terminal_id")
        without_rowid = True


ALL_MODELS.append(TxnDay)

# the office's own team (DOMAIN §8), migration 10
from app.models.team import (  # noqa: E402, F401
    TEAM_MODELS,
    CommissionPlan,
    Contact,
    Merchant,
    MerchantOwner,
    StaffAdjustment,
    StaffMember,
    StaffStatement,
    Ticket,
)

ALL_MODELS.extend(TEAM_MODELS)


class MerchantMonth(BaseModel):
    """A merchant's counted transactions in a calendar month, summed (migration 11); kept
    by ``app.core.merchant_tags.refresh_summaries``."""

    month = CharField()
    merchant_no = CharField()
    volume = IntegerField()
    txns = IntegerField()
    first_day = CharField()
    last_day = CharField()

    class Meta:
        table_name = "merchant_month"
        primary_key = CompositeKey("month", "merchant_no")
        without_rowid = True


ALL_MODELS.append(MerchantMonth)


class MerchantTag(BaseModel):
    """A merchant's tag at the end of a month (DOMAIN §9) and the figures behind it: the
    tag history (migration 11).  ``before`` is NULL when no month counts as before."""

    month = CharField()
    merchant_no = CharField()
    tag = CharField()  # dormant | churn_risk | new | growing | loyal | regular
    volume = IntegerField()
    before = IntegerField(null=True)
    first_day = CharField()
    last_day = CharField()

    class Meta:
        table_name = "merchant_tag"
        primary_key = CompositeKey("month", "merchant_no")
        without_rowid = True


ALL_MODELS.append(MerchantTag)


class MerchantManualTag(BaseModel):
    """A tag set by hand on a merchant, beside the computed one (migration 11)."""

    merchant_no = CharField()
    tag = CharField()

    class Meta:
        table_name = "merchant_manual_tag"
        primary_key = CompositeKey("merchant_no", "tag")
        without_rowid = True


ALL_MODELS.append(MerchantManualTag)


class CompanyReport(BaseModel):
    """One line of the payment company's settlement report (对账): what it says it paid the
    agency for a terminal (``sn``) or a merchant in a month (migration 0012)."""

    id = AutoField()
    month = CharField(index=True)
    sn = CharField(default="")
    merchant_no = CharField(default="")
    product = ForeignKeyField(Product, null=True, on_delete="SET NULL")
    product_id: int | None
    amount = IntegerField()
    row = IntegerField(default=0)  # the file row it came from
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL")
    batch_id: int | None

    class Meta:
        table_name = "company_report"


ALL_MODELS.append(CompanyReport)


class DepositEntry(BaseModel):
    """A deposit handled at the desk (押金收付): ``kind`` receive | refund | forfeit, an
    amount in fen (> 0), how it was paid, its day and month, and the receipt number
    printed on its 收据 (migration 0014).  Not touched by the month compute."""

    id = AutoField()
    receipt_no = CharField(unique=True)
    kind = CharField()
    agent = ForeignKeyField(Agent, on_delete="RESTRICT")
    agent_id: int
    product = ForeignKeyField(Product, null=True, on_delete="RESTRICT")
    product_id: int | None
    terminal = ForeignKeyField(Terminal, null=True, on_delete="RESTRICT")
    terminal_id: int | None
    amount = IntegerField()
    method = CharField()
    day = DateField()
    month = CharField(index=True)
    note = TextField(default="")
    created_at = DateTimeField(default=_now)


ALL_MODELS.append(DepositEntry)


class AppUser(BaseModel):
    """Someone who may sign in (用户) and their role; the password as a salted scrypt hash
    (migration 9).  No row: sign-in is off."""

    id = AutoField()
    name = CharField(unique=True)
    role = CharField()  # admin | finance | clerk | viewer
    salt = CharField()
    password_hash = CharField()
    active = BooleanField(default=True)
    created = CharField()

    class Meta:
        table_name = "app_user"


class AuditEntry(BaseModel):
    """One entry of the append-only audit log (审计日志), chained by SHA-256 (migration 9)."""

    id = AutoField()
    time = CharField()
    user = CharField()
    action = CharField()
    object = CharField()
    before = TextField(null=True)
    after = TextField(null=True)
    prev_hash = CharField()
    hash = CharField()

    class Meta:
        table_name = "audit_log"


class LockSeal(BaseModel):
    """The seal of a locked month: SHA-256 of its statement JSON, chained (migration 9)."""

    month = CharField(primary_key=True)
    sealed_at = CharField()
    user = CharField()
    statement_hash = CharField()
    prev_hash = CharField()
    hash = CharField()

    class Meta:
        table_name = "lock_seal"


ALL_MODELS += [AppUser, AuditEntry, LockSeal]


class AgentImportChange(BaseModel):
    """An agent an agents import wrote: its fields before (NULL = new) and after (JSON)."""

    batch = ForeignKeyField(ImportBatch, on_delete="CASCADE")
    batch_id: int
    agent_id = IntegerField()
    before = TextField(null=True)
    after = TextField()

    class Meta:
        primary_key = CompositeKey("batch", "agent_id")


ALL_MODELS.append(AgentImportChange)
