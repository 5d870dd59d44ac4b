"""unread notices: a partial index on notice (user_id) WHERE read_at IS NULL

Every page's header counts the signed-in user's unread notices; the index on ``user_id`` alone made that
count walk all of a user's notices, read ones included.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UNREAD = "read_at IS NULL"


def upgrade():
    op.create_index(
        "ix_notice_unread",
        "notice",
        ["user_id"],
        sqlite_where=sa.text(UNREAD),
        postgresql_where=sa.text(UNREAD),
    )


def downgrade():
    op.drop_index("ix_notice_unread", table_name="notice")
