"""invoices and credit notes

- ``invoice``: one row per issued document (invoice or credit note), numbered per supplier and year from the
  counter row ``invoice:<supplier id>:<year>``; a snapshot of what it prints and the SHA-256 of its PDF.
  ``total`` is positive for an invoice and negative for a credit note (the check constraint ties the sign,
  the refund and the corrected invoice to the kind).
- One invoice per order: a partial unique index (``WHERE kind = 'invoice'``, on SQLite and PostgreSQL alike);
  one credit note per refund: ``refund_id`` is unique.
- Issued documents never change: triggers refuse UPDATE and DELETE, as on ``purchase_ledger``.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ONLY_INVOICES = "kind = 'invoice'"


def upgrade():
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("invoice", "credit_note", name="invoicekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("verify_code", sa.String(length=16), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'invoice' AND total > 0 AND refund_id IS NULL AND invoice_id IS NULL)"
            " OR (kind = 'credit_note' AND total < 0 AND refund_id IS NOT NULL AND invoice_id IS NOT NULL)",
            name=op.f("ck_invoice_kind_fields"),
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_invoice_id_invoice")),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["user_account.id"], name=op.f("fk_invoice_issued_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_order.id"], name=op.f("fk_invoice_order_id_purchase_order")
        ),
        sa.ForeignKeyConstraint(["refund_id"], ["refund.id"], name=op.f("fk_invoice_refund_id_refund")),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_invoice_supplier_id_supplier")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["budget_unit.id"], name=op.f("fk_invoice_unit_id_budget_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_invoice_refund_id")),
        sa.UniqueConstraint("supplier_id", "year", "serial", name="uq_invoice_supplier_year_serial"),
        sa.UniqueConstraint("verify_code", name=op.f("uq_invoice_verify_code")),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_invoice_supplier_issued_on", ["supplier_id", "issued_on"], unique=False)
        batch_op.create_index("ix_invoice_unit_issued_on", ["unit_id", "issued_on"], unique=False)
        batch_op.create_index(
            "uq_invoice_one_per_order",
            ["order_id"],
            unique=True,
            sqlite_where=sa.text(ONLY_INVOICES),
            postgresql_where=sa.text(ONLY_INVOICES),
        )
    _create_invoice_guards()


def downgrade():
    _drop_invoice_guards()
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_invoice_one_per_order",
            sqlite_where=sa.text(ONLY_INVOICES),
            postgresql_where=sa.text(ONLY_INVOICES),
        )
        batch_op.drop_index("ix_invoice_unit_issued_on")
        batch_op.drop_index("ix_invoice_supplier_issued_on")
        batch_op.drop_index(batch_op.f("ix_invoice_order_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_invoice_id"))
    op.drop_table("invoice")


def _create_invoice_guards():
    """An issued document never changes: the database refuses UPDATE and DELETE of its row."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION invoice_never_changes() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'an issued invoice never changes'; END $$"
        )
        op.execute(
            "CREATE TRIGGER invoice_no_change BEFORE UPDATE OR DELETE ON invoice"
            " FOR EACH ROW EXECUTE FUNCTION invoice_never_changes()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER invoice_no_{event.lower()} BEFORE {event} ON invoice"
                " BEGIN SELECT RAISE(ABORT, 'an issued invoice never changes'); END"
            )


def _drop_invoice_guards():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS invoice_no_change ON invoice")
        op.execute("DROP FUNCTION IF EXISTS invoice_never_changes()")
    else:
        op.execute("DROP TRIGGER IF EXISTS invoice_no_update")
        op.execute("DROP TRIGGER IF EXISTS invoice_no_delete")
