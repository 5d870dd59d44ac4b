"""The region tree: the operator adds regions (codes that fit the tree) and marks poverty counties."""

import pytest
from sqlalchemy import func, select

from accounts import units
from accounts.models import Region, Role
from accounts.units import UnitError
from shop.extensions import db
from tests.conftest import region
from tests.units.support import audit_actions


def test_operator_adds_regions_and_toggles_the_poverty_flag(client, login_as, users):
    login_as(users[Role.operator])
    response = client.post(
        "/units/regions",
        data={"code": "141125", "name": "柳林县", "level": "county", "parent_code": "141100"},
    )
    assert response.status_code == 302
    county = region("141125")
    assert county.parent.code == "141100" and not county.is_poverty_county
    assert client.post(f"/units/regions/{county.id}/poverty", data={"poverty": "1"}).status_code == 302
    db.session.expire_all()
    assert region("141125").is_poverty_county
    assert audit_actions()[-2:] == ["region.create", "region.poverty_flag"]
    # A county's parent must be a city; codes are unique; only counties carry the flag.
    before = db.session.scalar(select(func.count(Region.id)))
    for data in (
        {"code": "141126", "name": "X", "level": "county", "parent_code": "140000"},
        {"code": "141125", "name": "X", "level": "county", "parent_code": "141100"},
        {"code": "14112", "name": "X", "level": "county", "parent_code": "141100"},
    ):
        assert client.post("/units/regions", data=data).status_code == 400
    assert db.session.scalar(select(func.count(Region.id))) == before
    client.post(f"/units/regions/{region('141100').id}/poverty", data={"poverty": "1"})
    db.session.expire_all()
    assert not region("141100").is_poverty_county


def test_only_the_operator_changes_regions(client, login_as, users):
    login_as(users[Role.finance])
    assert client.get("/units/regions").status_code == 200
    assert (
        client.post("/units/regions", data={"code": "141199", "name": "X", "level": "county"}).status_code
        == 403
    )
    county = region("141102")
    assert client.post(f"/units/regions/{county.id}/poverty", data={"poverty": "1"}).status_code == 403
    with pytest.raises(UnitError):
        units.set_poverty_county(users[Role.finance], county, True)
    db.session.expire_all()
    assert not region("141102").is_poverty_county


def test_finance_sees_its_own_region_subtree(client, login_as, users, make_unit, other_city):
    make_unit(region_code="141123")
    login_as(users[Role.finance])
    page = client.get("/units/regions").get_data(as_text=True)
    assert 'data-code="141123"' in page and 'data-code="140105"' not in page
    assert 'data-code="140000"' not in page
    assert "units.create_region" not in page and "/poverty" not in page


# --- codes that fit the tree (GB/T 2260) -------------------------------------------------------------------


def add(operator, code, level, parent_code=""):
    return units.create_region(operator, code=code, name=f"区域{code}", level=level, parent_code=parent_code)


@pytest.mark.parametrize(
    ("code", "level", "parent_code"),
    [
        pytest.param("150000", "province", "", id="a province: XX0000"),
        pytest.param("140200", "city", "140000", id="a city: XXXX00 under its province's two digits"),
        pytest.param("141125", "county", "141100", id="a county under its city's four digits"),
        pytest.param(
            "149001", "county", "140000", id="a province-administered county: 90 under the province"
        ),
    ],
)
def test_a_region_whose_code_fits_the_tree_is_added(users, city, code, level, parent_code):
    added = add(users[Role.operator], code, level, parent_code)
    assert added.code == code and (added.parent.code if added.parent else "") == parent_code


@pytest.mark.parametrize(
    ("code", "level", "parent_code", "message"),
    [
        pytest.param("141000", "province", "", "A province's code ends in 0000", id="province not XX0000"),
        pytest.param("150000", "city", "140000", "A city's code ends in 00", id="city ending in 0000"),
        pytest.param("140201", "city", "140000", "A city's code ends in 00", id="city not ending in 00"),
        pytest.param("150200", "city", "140000", "must start with 14,", id="city outside its province"),
        pytest.param(
            "141200", "county", "141100", "A county's code does not end in 00", id="county ending 00"
        ),
        pytest.param("141225", "county", "141100", "must start with 1411,", id="county outside its city"),
        pytest.param("141126", "county", "140000", "must be a city", id="county under a province, not 90"),
        pytest.param("159001", "county", "140000", "must start with 14,", id="90 county of another province"),
    ],
)
def test_a_region_whose_code_does_not_fit_the_tree_is_refused_naming_the_code(
    users, city, code, level, parent_code, message
):
    before = db.session.scalar(select(func.count(Region.id)))
    with pytest.raises(UnitError) as refused:
        add(users[Role.operator], code, level, parent_code)
    assert refused.value.field in ("code", "parent_code")
    assert message in str(refused.value)  # the English message, filled in
    assert db.session.scalar(select(func.count(Region.id))) == before


def test_the_region_form_shows_a_code_that_does_not_fit_beside_the_code_field(client, login_as, users):
    login_as(users[Role.operator])
    client.post("/lang/en")
    response = client.post(
        "/units/regions", data={"code": "141225", "name": "错县", "level": "county", "parent_code": "141100"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The code 141225 must start with 1411, like its parent region 141100." in page
    assert 'class="field has-error"' in page
