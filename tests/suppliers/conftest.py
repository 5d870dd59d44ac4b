"""Fixtures of the supplier tests."""

import pytest

from accounts import suppliers as supplier_services
from shop.extensions import db
from tests.conftest import PASSWORD
from tests.suppliers.support import facts


@pytest.fixture
def applicant(app, city):
    """A freshly registered supplier (status applied) in 兴县 and its account."""
    with app.test_request_context():
        supplier, user = supplier_services.register_supplier(facts(), username="hongzao", password=PASSWORD)
    db.session.commit()  # a view's rollback must not take the fixture's rows with it
    return supplier, user
