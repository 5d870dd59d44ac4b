"""invoice PDFs kept as made at issue

- ``invoice_pdf``: the PDF of each issued document (invoice or credit note), written in the same transaction
  as the ``invoice`` row; never changes (triggers refuse UPDATE and DELETE, as on ``invoice``). Documents
  issued before this revision have none and are made again from their snapshot on download.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invoice_pdf",
        sa.Column("invoice_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_pdf_invoice_id_invoice")
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_pdf")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Stored as it is: a PDF's streams are compressed already.
        op.execute("ALTER TABLE invoice_pdf ALTER COLUMN pdf SET STORAGE EXTERNAL")
        op.execute(
            "CREATE FUNCTION invoice_pdf_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'invoice_pdf is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER invoice_pdf_no_change BEFORE UPDATE OR DELETE ON invoice_pdf"
            " FOR EACH ROW EXECUTE FUNCTION invoice_pdf_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER invoice_pdf_no_{event.lower()} BEFORE {event} ON invoice_pdf"
                " BEGIN SELECT RAISE(ABORT, 'invoice_pdf is append-only'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS invoice_pdf_no_change ON invoice_pdf")
        op.execute("DROP FUNCTION IF EXISTS invoice_pdf_append_only()")
    op.drop_table("invoice_pdf")
