"""product search: token columns, a full-text index on them (GIN on PostgreSQL, FTS5 on SQLite), and an
index for sorting the catalogue by price

The token columns are explained in shop/catalogue/search.py. On SQLite the FTS5 table reads its content from
``product`` and is kept in step by three triggers on ``product``; it keeps which column each token is in but
not its position (detail=column: every query term is a single token). CAUTION for later migrations: an Alembic
batch operation that rebuilds ``product`` on SQLite (move-and-copy) drops those triggers; re-create them
after it (tests/shop/test_search.py checks that they exist).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The same expressions as shop.catalogue.search.VECTOR_SQL and NAME_VECTOR_SQL (tests/shop/test_search.py
# proves that the catalogue's queries use these indexes).
PG_INDEXES = {
    "ix_product_search": "setweight(to_tsvector('simple', search_name), 'A')"
    " || setweight(to_tsvector('simple', search_text), 'B')",
    "ix_product_search_name": "to_tsvector('simple', search_name)",
}

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE product_search USING fts5("
    "search_name, search_text, content='product', content_rowid='id', tokenize='unicode61', detail='column')",
    "CREATE TRIGGER product_search_insert AFTER INSERT ON product BEGIN"
    " INSERT INTO product_search (rowid, search_name, search_text)"
    " VALUES (new.id, new.search_name, new.search_text);"
    " END",
    # An external-content FTS5 table forgets a row only when told the values it indexed.
    "CREATE TRIGGER product_search_delete AFTER DELETE ON product BEGIN"
    " INSERT INTO product_search (product_search, rowid, search_name, search_text)"
    " VALUES ('delete', old.id, old.search_name, old.search_text);"
    " END",
    "CREATE TRIGGER product_search_update AFTER UPDATE OF search_name, search_text ON product BEGIN"
    " INSERT INTO product_search (product_search, rowid, search_name, search_text)"
    " VALUES ('delete', old.id, old.search_name, old.search_text);"
    " INSERT INTO product_search (rowid, search_name, search_text)"
    " VALUES (new.id, new.search_name, new.search_text);"
    " END",
]

BATCH = 1000


def upgrade():
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_name", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        batch_op.create_index("ix_product_status_price", ["status", "price", "id"], unique=False)

    _fill_token_columns()

    if op.get_context().dialect.name == "postgresql":
        for name, expression in PG_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON product USING gin (({expression}))")
    elif op.get_context().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
        op.execute("INSERT INTO product_search (product_search) VALUES ('rebuild')")


def _fill_token_columns():
    """Tokens for the products that exist already (computed in Python, like every later write)."""
    if op.get_context().as_sql:
        return  # offline SQL script: no rows to read
    from shop.catalogue.search import search_columns

    bind = op.get_bind()
    product = sa.table(
        "product",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("spec", sa.String),
        sa.column("description", sa.Text),
        sa.column("search_name", sa.Text),
        sa.column("search_text", sa.Text),
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(product.c.id, product.c.name, product.c.spec, product.c.description)
            .where(product.c.id > last_id)
            .order_by(product.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            bind.execute(
                product.update()
                .where(product.c.id == row.id)
                .values(**search_columns(row.name, row.spec, row.description))
            )
        last_id = rows[-1].id


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        for name in PG_INDEXES:
            op.execute(f"DROP INDEX {name}")
    elif op.get_context().dialect.name == "sqlite":
        for trigger in ("product_search_insert", "product_search_delete", "product_search_update"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE product_search")

    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index("ix_product_status_price")
        batch_op.drop_column("search_text")
        batch_op.drop_column("search_name")
