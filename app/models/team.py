"""Tables of the office's own team (DOMAIN §8): staff, merchants and their owners,
service tickets, commission plans, staff adjustments, merchant contacts and the monthly
staff statements (员工提成单).  Fields and constraints only; the rules live in
``app.core.team`` and ``app.core.staff_pay``."""

from __future__ import annotations

from peewee import (
    AutoField,
    CharField,
    DateField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.models import BaseModel, ImportBatch

ROLES = ("lead", "sales", "service", "logistics")
TICKET_TYPES = ("inquiry", "fault", "complaint", "install", "swap", "visit", "other")


class StaffMember(BaseModel):
    """A member of the office's staff (员工); ``left_on`` NULL = still employed."""

    id = AutoField()
    code = CharField(unique=True)
    name = CharField()
    role = CharField()  # lead | sales | service | logistics
    phone = CharField(default="")
    joined = DateField(null=True)  # NULL: employed since before any data
    left_on = DateField(null=True)

    class Meta:
        table_name = "staff_member"


class Merchant(BaseModel):
    """A merchant (商户) by the payment company's merchant number."""

    id = AutoField()
    merchant_no = CharField(unique=True)
    name = CharField(default="")
    contact = CharField(default="")
    phone = CharField(default="")
    address = TextField(default="")
    industry = CharField(default="")


class MerchantOwner(BaseModel):
    """Who owns (业务员) a merchant from ``effective_from`` on; a 交接 adds a row, so the
    history stays.  ``staff`` NULL: nobody from that day."""

    id = AutoField()
    merchant = ForeignKeyField(Merchant, on_delete="CASCADE", index=False)
    merchant_id: int
    staff = ForeignKeyField(StaffMember, null=True, on_delete="RESTRICT")
    staff_id: int | None
    effective_from = DateField()

    class Meta:
        table_name = "merchant_owner"
        indexes = ((("merchant", "effective_from"), True),)


class Ticket(BaseModel):
    """A service ticket (工单).  Times are ``YYYY-MM-DD HH:MM:SS``; ``outcome`` is
    resolved | unresolved | '' (blank: resolved when it has a resolved time)."""

    id = AutoField()
    ticket_no = CharField(unique=True)
    opened = CharField(index=True)
    type = CharField()
    staff = ForeignKeyField(StaffMember, on_delete="RESTRICT")
    staff_id: int
    merchant = ForeignKeyField(Merchant, null=True, on_delete="SET NULL")
    merchant_id: int | None
    sn = CharField(default="")
    resolved = CharField(null=True, index=True)
    outcome = CharField(default="")
    rating = IntegerField(null=True)
    note = TextField(default="")


class CommissionPlan(BaseModel):
    """A commission plan (提成方案) for a role or for one member, from a month on.
    Tiers are kept as the canonical text ``90%:300;80%:150`` (threshold : bonus yuan)."""

    id = AutoField()
    role = CharField(default="")  # set for a role's plan
    staff = ForeignKeyField(StaffMember, null=True, on_delete="CASCADE")
    staff_id: int | None  # set for a member's own plan
    effective_month = CharField()
    base = IntegerField(default=0)  # fen per month
    per_activation = IntegerField(default=0)  # fen
    volume_rate = IntegerField(default=0)  # ppm
    scope = CharField(default="own")  # own | all
    per_ticket = IntegerField(default=0)  # fen
    sla_hours = IntegerField(null=True)
    resolution_tiers = TextField(default="")
    satisfaction_tiers = TextField(default="")
    min_ratings = IntegerField(default=1)

    class Meta:
        table_name = "commission_plan"


class StaffAdjustment(BaseModel):
    """A reward or deduction (奖惩) of a member, settled in ``month``."""

    id = AutoField()
    staff = ForeignKeyField(StaffMember, on_delete="CASCADE")
    staff_id: int
    month = CharField(index=True)
    original_month = CharField()
    amount = IntegerField()
    reason = TextField()
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL")
    batch_id: int | None

    class Meta:
        table_name = "staff_adjustment"


class Contact(BaseModel):
    """A contact with a merchant (回访记录): the same shape and rules as the agents'
    follow-up log (see docs/team.md); a new contact closes the merchant's open ones."""

    id = AutoField()
    merchant = ForeignKeyField(Merchant, on_delete="CASCADE")
    merchant_id: int
    date = DateField()
    staff = ForeignKeyField(StaffMember, null=True, on_delete="SET NULL")
    staff_id: int | None
    channel = CharField(default="")  # 电话 | 微信 | 上门 | 短信
    summary = TextField(default="")
    next_date = DateField(null=True, index=True)
    done = IntegerField(default=0)


class StaffStatement(BaseModel):
    """The staff statement (员工提成单) of a member for a month: every line in fen, the
    counts it was priced on, and the plan that applied (``plan`` as JSON, so a locked
    month's slip shows the terms of its day).  Shares and averages as exact fractions."""

    id = AutoField()
    month = CharField()
    staff = ForeignKeyField(StaffMember, on_delete="RESTRICT")
    staff_id: int
    role = CharField()
    employed_days = IntegerField()
    month_days = IntegerField()
    base = IntegerField(default=0)
    activations = IntegerField(default=0)
    activation = IntegerField(default=0)
    volume = IntegerField(default=0)
    volume_amount = IntegerField(default=0)
    tickets_resolved = IntegerField(default=0)
    ticket = IntegerField(default=0)
    opened = IntegerField(default=0)  # tickets opened in the month (line 5's denominator)
    within_sla = IntegerField(default=0)  # of them, resolved within the SLA
    resolution_bonus = IntegerField(default=0)
    ratings = IntegerField(default=0)
    rating_sum = IntegerField(default=0)
    satisfaction_bonus = IntegerField(default=0)
    adjustment = IntegerField(default=0)
    total = IntegerField(default=0)
    plan = TextField(default="")

    class Meta:
        table_name = "staff_statement"
        indexes = ((("month", "staff"), True),)


TEAM_MODELS = [
    StaffMember,
    Merchant,
    MerchantOwner,
    Ticket,
    CommissionPlan,
    StaffAdjustment,
    Contact,
    StaffStatement,
]
