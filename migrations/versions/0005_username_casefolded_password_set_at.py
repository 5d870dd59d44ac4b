"""accounts: usernames unique whatever their case (an index the login uses), and when each password was set

- ``uq_user_account_username_casefolded``: a unique index on the username compared case-insensitively,
  the expression ``accounts.models.users.casefolded`` compiles to: ``lower(username)`` on PostgreSQL,
  ``username COLLATE NOCASE`` on SQLite (SQLAlchemy cannot reflect an expression index on SQLite, so
  ``flask db check`` could not compare one; usernames are ASCII, where both agree). The migration refuses,
  naming them, if accounts already differ only by case: someone must rename one of them first.
- ``user_account.password_set_at`` (not null), backfilled from ``created_at``: initial passwords expire.
  SQLite adds a NOT NULL column only with a constant default and cannot drop a default without rebuilding
  the table, which foreign keys from a dozen tables forbid on a database with data; so on SQLite the column
  keeps the default '1970-01-01 00:00:00' (never used by the application, whose inserts all set the column;
  a row written without it would count as an old password: an initial one has expired, which is the safe
  side). PostgreSQL drops the default.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "uq_user_account_username_casefolded"
EPOCH = "1970-01-01 00:00:00"


def upgrade():
    dialect = op.get_context().dialect.name
    if not op.get_context().as_sql:
        _refuse_case_duplicates()
    if dialect == "sqlite":
        op.execute(f"CREATE UNIQUE INDEX {INDEX} ON user_account (username COLLATE NOCASE)")
    else:
        op.execute(f"CREATE UNIQUE INDEX {INDEX} ON user_account (lower(username))")

    op.add_column(
        "user_account",
        sa.Column("password_set_at", sa.DateTime(), nullable=False, server_default=EPOCH),
    )
    op.execute("UPDATE user_account SET password_set_at = created_at")
    if dialect != "sqlite":
        op.alter_column("user_account", "password_set_at", server_default=None)


def _refuse_case_duplicates():
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT lower(username) FROM user_account GROUP BY lower(username) HAVING count(*) > 1"
                " ORDER BY 1 LIMIT 20"
            )
        )
        .scalars()
        .all()
    )
    if duplicates:
        raise RuntimeError(
            "These usernames are used by several accounts that differ only in upper and lower case; rename"
            f" all but one of each before upgrading: {', '.join(duplicates)}"
        )


def downgrade():
    op.drop_column("user_account", "password_set_at")
    op.drop_index(INDEX, table_name="user_account")
