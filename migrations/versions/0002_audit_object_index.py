"""audit log: index entries by object

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_entry_object", "audit_entry", ["object_type", "object_id"])


def downgrade():
    op.drop_index("ix_audit_entry_object", table_name="audit_entry")
