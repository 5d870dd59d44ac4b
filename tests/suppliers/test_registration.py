"""A supplier from a poverty county registers (applies); what is refused creates nothing."""

import pytest
from sqlalchemy import select

from accounts import suppliers as supplier_services
from accounts.models import (
    Notice,
    Role,
    Supplier,
    SupplierKind,
    SupplierStatus,
    User,
)
from accounts.suppliers import SupplierError
from shop.extensions import db
from tests.conftest import PASSWORD, region
from tests.suppliers.support import actions_on, counts, county_id, facts, notices_of, registration


def test_registration_creates_an_applied_supplier_logs_it_in_and_tells_the_county_finance(
    client, users, make_user
):
    county_finance = make_user(Role.finance, "xingxian", region=region("141123"))
    other_county_finance = make_user(Role.finance, "linxian", region=region("141124"))
    response = client.post("/suppliers/register", data=registration())
    assert response.status_code == 302
    assert response.headers["Location"] == "/suppliers/mine"
    supplier = db.session.scalar(select(Supplier).where(Supplier.name == "兴县红枣专业合作社"))
    assert supplier.status == SupplierStatus.applied
    assert supplier.kind == SupplierKind.coop
    assert supplier.bank_account == "6217000012345678"
    assert supplier.households == 35
    user = db.session.scalar(select(User).where(User.username == "hongzao"))
    assert user.role == Role.supplier and user.supplier_id == supplier.id
    assert user.is_activated and not user.must_change_password
    assert actions_on(supplier) == ["supplier.apply"]
    # The city's and the county's finance bureaus are told; another county's is not.
    assert len(notices_of(users[Role.finance])) == 1
    assert notices_of(county_finance)[0].link == f"/suppliers/{supplier.id}"
    assert notices_of(other_county_finance) == []
    assert client.get("/suppliers/mine").status_code == 200


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"region_id": "141102"}, id="non-poverty county"),
        pytest.param({"region_id": "999999"}, id="unknown county"),
        pytest.param({"region_id": "141100"}, id="a city, not a county"),
        pytest.param({"credit_code": "93141123000000001X"}, id="bad credit code"),
        pytest.param({"contact_phone": "12345"}, id="bad phone"),
        pytest.param({"bank_account": "12ab5678"}, id="bank account not digits"),
        pytest.param({"bank_account": "1234567"}, id="bank account too short"),
        pytest.param({"households": "-1"}, id="negative households"),
        pytest.param({"kind": "trader"}, id="unknown kind"),
        pytest.param({"password": "short", "confirm": "short"}, id="weak password"),
        pytest.param({"confirm": "Other-pass-456"}, id="passwords differ"),
    ],
)
def test_refused_registration_creates_nothing(client, users, changes):
    if changes.get("region_id") in ("141102", "141100"):
        changes = {"region_id": str(county_id(changes["region_id"]))}
    db.session.commit()
    before = counts()
    response = client.post("/suppliers/register", data=registration(**changes))
    assert response.status_code == 200
    assert counts() == before
    assert db.session.scalar(select(Notice.id)) is None


def test_registration_in_a_non_poverty_county_is_refused(app, city):
    with app.test_request_context(), pytest.raises(SupplierError) as refused:
        supplier_services.register_supplier(
            facts(region_id=str(county_id("141102"))), username="hongzao", password=PASSWORD
        )
    assert refused.value.field == "region_id"


def test_bad_credit_code_is_refused_with_a_message_naming_the_field(client, city):
    db.session.commit()
    client.post("/lang/en")
    response = client.post("/suppliers/register", data=registration(credit_code="93141123000000001X"))
    assert "unified social credit code 93141123000000001X is not valid" in response.get_data(as_text=True)
    assert db.session.scalar(select(Supplier.id)) is None


def test_duplicate_credit_code_is_refused(client, make_supplier):
    taken = make_supplier().credit_code
    db.session.commit()
    before = counts()
    response = client.post("/suppliers/register", data=registration(credit_code=taken.lower()))
    assert response.status_code == 200
    assert counts() == before


def test_duplicate_username_is_refused(client, users):
    db.session.commit()
    before = counts()
    response = client.post("/suppliers/register", data=registration(username="FINANCE"))
    assert response.status_code == 200
    assert counts() == before


def test_county_choices_list_only_poverty_counties(client, city):
    page = client.get("/suppliers/register").get_data(as_text=True)
    assert f'value="{county_id("141123")}"' in page
    assert f'value="{county_id("141124")}"' in page
    assert f'value="{county_id("141102")}"' not in page
