"""payments, the purchase ledger and its maintained totals, quota policies and filings; refund settlement

- ``payment``: one per order, its bank reference used once on the platform.
- ``purchase_ledger``: append-only like ``audit_entry`` (triggers refuse UPDATE and DELETE), one entry per
  payment (positive) and per settled refund (negative), for the unit and the payment's fiscal year.
- ``unit_year_purchase`` / ``unit_month_purchase``: the ledger summed per unit and year / month, maintained
  by ``shop.payments.ledger`` in the same transaction; ``flask quotas verify`` recomputes them.
- ``quota_policy`` (per region and year) and ``quota_filing`` (versions per unit and year).
- ``refund``: when, by whom and under which reference the supplier paid the money back.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # refund first: on SQLite adding a foreign key rebuilds the table, which must happen before
    # purchase_ledger refers to it.
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reference", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("settled_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_refund_settled_by_id_user_account"), "user_account", ["settled_by_id"], ["id"]
        )

    op.create_table(
        "unit_month_purchase",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_unit_month_purchase_month_range")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["budget_unit.id"], name=op.f("fk_unit_month_purchase_unit_id_budget_unit")
        ),
        sa.PrimaryKeyConstraint("unit_id", "year", "month", name=op.f("pk_unit_month_purchase")),
    )
    op.create_table(
        "unit_year_purchase",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["budget_unit.id"], name=op.f("fk_unit_year_purchase_unit_id_budget_unit")
        ),
        sa.PrimaryKeyConstraint("unit_id", "year", name=op.f("pk_unit_year_purchase")),
    )
    op.create_table(
        "quota_filing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "canteen_status",
            sa.Enum(
                "own", "outsourced", "shared", "none", name="canteenstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("shared_with_id", sa.Integer(), nullable=True),
        sa.Column("planned_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("reserved_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "endorsed",
                "approved",
                "returned",
                name="filingstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("min_ratio", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("endorsed_by_id", sa.Integer(), nullable=True),
        sa.Column("endorsed_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("returned_by_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", sa.DateTime(), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("planned_total >= 0", name=op.f("ck_quota_filing_planned_not_negative")),
        sa.CheckConstraint(
            "reserved_amount <= planned_total", name=op.f("ck_quota_filing_reserved_within_planned")
        ),
        sa.CheckConstraint("reserved_amount >= 0", name=op.f("ck_quota_filing_reserved_not_negative")),
        sa.CheckConstraint(
            "shared_with_id IS NULL OR shared_with_id <> unit_id",
            name=op.f("ck_quota_filing_not_shared_with_itself"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["user_account.id"], name=op.f("fk_quota_filing_approved_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_quota_filing_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["endorsed_by_id"], ["user_account.id"], name=op.f("fk_quota_filing_endorsed_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["returned_by_id"], ["user_account.id"], name=op.f("fk_quota_filing_returned_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["shared_with_id"], ["budget_unit.id"], name=op.f("fk_quota_filing_shared_with_id_budget_unit")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["budget_unit.id"], name=op.f("fk_quota_filing_unit_id_budget_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_filing")),
        sa.UniqueConstraint("unit_id", "year", "version", name="uq_quota_filing_unit_year_version"),
    )
    with op.batch_alter_table("quota_filing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quota_filing_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index("ix_quota_filing_year_status", ["year", "status"], unique=False)

    op.create_table(
        "quota_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("min_ratio", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("filing_deadline", sa.Date(), nullable=False),
        sa.Column("not_below_last_year", sa.Boolean(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("min_ratio > 0 AND min_ratio <= 1", name=op.f("ck_quota_policy_min_ratio_range")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_quota_policy_region_id_region")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user_account.id"], name=op.f("fk_quota_policy_updated_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_policy")),
        sa.UniqueConstraint("region_id", "year", name="uq_quota_policy_region_year"),
    )
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "method",
            sa.Enum("official_card", "bank_transfer", name="paymentmethod", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("payer_account", sa.String(length=34), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("disputed_at", sa.DateTime(), nullable=True),
        sa.Column("dispute_note", sa.Text(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_order.id"], name=op.f("fk_payment_order_id_purchase_order")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user_account.id"], name=op.f("fk_payment_recorded_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("order_id", name=op.f("uq_payment_order_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_payment_reference")),
    )
    op.create_table(
        "purchase_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("payment", "refund", name="ledgerkind", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'payment' AND amount > 0) OR (kind = 'refund' AND amount < 0)",
            name=op.f("ck_purchase_ledger_sign_matches_kind"),
        ),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_purchase_ledger_month_range")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_order.id"], name=op.f("fk_purchase_ledger_order_id_purchase_order")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_purchase_ledger_payment_id_payment")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refund.id"], name=op.f("fk_purchase_ledger_refund_id_refund")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["budget_unit.id"], name=op.f("fk_purchase_ledger_unit_id_budget_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_ledger")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_purchase_ledger_payment_id")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_purchase_ledger_refund_id")),
    )
    with op.batch_alter_table("purchase_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_ledger_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_purchase_ledger_unit_year", ["unit_id", "year"], unique=False)

    _make_ledger_append_only()


def downgrade():
    _drop_ledger_guards()
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_refund_settled_by_id_user_account"), type_="foreignkey")
        batch_op.drop_column("settled_by_id")
        batch_op.drop_column("reference")
        batch_op.drop_column("settled_on")

    with op.batch_alter_table("purchase_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_ledger_unit_year")
        batch_op.drop_index(batch_op.f("ix_purchase_ledger_order_id"))

    op.drop_table("purchase_ledger")
    op.drop_table("payment")
    op.drop_table("quota_policy")
    with op.batch_alter_table("quota_filing", schema=None) as batch_op:
        batch_op.drop_index("ix_quota_filing_year_status")
        batch_op.drop_index(batch_op.f("ix_quota_filing_unit_id"))

    op.drop_table("quota_filing")
    op.drop_table("unit_year_purchase")
    op.drop_table("unit_month_purchase")


def _make_ledger_append_only():
    """The database itself refuses to change or delete ledger entries, whatever code runs."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION purchase_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'purchase_ledger is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER purchase_ledger_no_change BEFORE UPDATE OR DELETE ON purchase_ledger"
            " FOR EACH ROW EXECUTE FUNCTION purchase_ledger_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER purchase_ledger_no_{event.lower()} BEFORE {event} ON purchase_ledger"
                " BEGIN SELECT RAISE(ABORT, 'purchase_ledger is append-only'); END"
            )


def _drop_ledger_guards():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS purchase_ledger_no_change ON purchase_ledger")
        op.execute("DROP FUNCTION IF EXISTS purchase_ledger_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS purchase_ledger_no_update")
        op.execute("DROP TRIGGER IF EXISTS purchase_ledger_no_delete")
