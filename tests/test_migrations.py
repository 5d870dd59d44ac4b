"""The migrations create exactly the schema the models describe (what `flask db check` proves)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shop.catalogue.search import compared_by_alembic
from shop.extensions import db


def test_migrations_match_the_models(app):
    context = MigrationContext.configure(
        db.session.connection(), opts={"compare_type": True, "include_name": compared_by_alembic}
    )
    differences = compare_metadata(context, db.metadata)
    assert differences == []
