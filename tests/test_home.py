"""Each role's home page: what awaits the user, at a cost that does not grow with the data."""

import pytest

from accounts.models import Role, SupplierStatus
from accounts.notices import notify
from shop.extensions import db


def _grow(users, make_user, make_unit, make_supplier, times: int) -> None:
    """Add waiting things of every kind: inactive purchasers and managers, applied and recommended
    suppliers, notices."""
    unit = users[Role.unit_manager].unit
    for _ in range(times):
        make_user(Role.purchaser, unit=unit, activated=False)
        make_user(Role.unit_manager, unit=make_unit(parent=unit), activated=False)
        make_supplier(status=SupplierStatus.applied)
        make_supplier(status=SupplierStatus.recommended)
    notify(list(users.values()) * times, "Welcome, %(name)s", name="x")
    db.session.commit()


@pytest.mark.parametrize("role", list(Role))
def test_home_page_query_count_does_not_grow_with_the_data(
    role, client, users, login_as, make_user, make_unit, make_supplier, count_queries
):
    login_as(users[role])
    _grow(users, make_user, make_unit, make_supplier, 1)
    client.get("/")
    with count_queries() as few:
        assert client.get("/").status_code == 200
    _grow(users, make_user, make_unit, make_supplier, 12)
    with count_queries() as many:
        assert client.get("/").status_code == 200
    assert len(many) == len(few)


def test_home_page_shows_what_waits(client, users, login_as, make_supplier):
    make_supplier(name="等待推荐的合作社", status=SupplierStatus.applied)
    make_supplier(name="等待准入的合作社", status=SupplierStatus.recommended)
    finance_home = login_as(users[Role.finance]).get("/").get_data(as_text=True)
    assert "等待推荐的合作社" in finance_home
    client.post("/logout")
    operator_home = login_as(users[Role.operator]).get("/").get_data(as_text=True)
    assert "等待准入的合作社" in operator_home


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
