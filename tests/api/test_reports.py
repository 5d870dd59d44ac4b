"""Completion and report figures through the API: the same numbers as the pages' functions, each scope
checked (another unit, region or subtree: 404), bad input as JSON errors."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from accounts.models import RegionLevel, Role
from quotas.reports import summarise
from shop.common import beijing_today
from tests.conftest import region

YEAR = beijing_today().year


@pytest.fixture
def bought(users, make_filing, make_product, make_order, pay):
    """The demo unit reserved ¥30,000 and bought (and paid) ¥1,250 this year."""
    unit = users[Role.purchaser].unit
    make_filing(unit, YEAR)
    product = make_product(users[Role.supplier].supplier, price="12.50")
    order = make_order({product: 100}, placed_at=datetime(YEAR, 1, 5, 2, 0))
    pay(order, paid_on=date(YEAR, 1, 6))
    return unit


def test_a_purchaser_reads_its_units_completion(api_client, users, bought):
    response = api_client(users[Role.purchaser]).get(f"/api/v1/units/{bought.id}/completion?year={YEAR}")
    assert response.status_code == 200, response.json
    figures = response.json
    assert (figures["reserved"], figures["purchased"], figures["remaining"]) == (
        "30000.00",
        "1250.00",
        "28750.00",
    )
    assert figures["completion"] == "0.0417"
    assert figures["canteen_status"] == "own" and figures["filing"]["status"] == "approved"
    assert [month["purchased"] for month in figures["months"]][:2] == ["1250.00", "0.00"]
    assert figures["unit"] == {"id": bought.id, "code": bought.code, "name": bought.name}
    # the year defaults to this one
    assert api_client(users[Role.unit_manager]).get(f"/api/v1/units/{bought.id}/completion").json[
        "purchased"
    ] == ("1250.00")


def test_another_units_completion_is_not_found(api_client, users, bought, make_unit, make_user):
    other = make_user(Role.purchaser, unit=make_unit("临县教育局", region_code="141124"))
    assert api_client(other).get(f"/api/v1/units/{bought.id}/completion").status_code == 404
    assert api_client(users[Role.purchaser]).get("/api/v1/units/999999/completion").status_code == 404
    assert api_client(users[Role.supplier]).get(f"/api/v1/units/{bought.id}/completion").status_code == 403
    assert (
        api_client(users[Role.purchaser]).get(f"/api/v1/units/{bought.id}/completion?year=x").status_code
        == 422
    )


def test_finance_reads_its_regions_report_with_both_ratios(api_client, users, bought):
    api = api_client(users[Role.finance])
    response = api.get(f"/api/v1/reports?year={YEAR}")
    assert response.status_code == 200, response.json
    report = response.json
    expected = summarise(YEAR, region("141100"), today=beijing_today())
    assert report["region"]["code"] == "141100" and report["unit"] is None
    assert Decimal(report["summary"]["reserved"]) == expected.reserved == Decimal("30000.00")
    assert Decimal(report["summary"]["purchased"]) == Decimal("1250.00")
    assert {"completion_aggregate", "completion_mean", "ratio_aggregate", "ratio_mean"} <= set(
        report["summary"]
    )
    county = api.get(f"/api/v1/reports?year={YEAR}&region=141123")
    assert county.status_code == 200 and county.json["region"]["code"] == "141123"
    assert api.get(f"/api/v1/reports?year={YEAR}&unit={bought.id}").status_code == 200


def test_reports_outside_the_callers_reach_are_not_found(api_client, users, bought, make_region, make_user):
    other = make_region("150000", "内蒙古自治区", RegionLevel.province)
    finance = api_client(users[Role.finance])
    assert finance.get(f"/api/v1/reports?year={YEAR}&region=150000").status_code == 404
    assert finance.get(f"/api/v1/reports?year={YEAR}&region=140000").status_code == 404  # above its own
    county = api_client(make_user(Role.finance, region=region("141124")))
    assert county.get(f"/api/v1/reports?year={YEAR}&unit={bought.id}").status_code == 404
    stranger = api_client(make_user(Role.finance, region=other))
    assert stranger.get(f"/api/v1/reports?year={YEAR}&unit={bought.id}").status_code == 404
    assert api_client(users[Role.purchaser]).get(f"/api/v1/reports?year={YEAR}").status_code == 403


def test_the_operator_reads_the_whole_platform(api_client, users, bought):
    response = api_client(users[Role.operator]).get(f"/api/v1/reports?year={YEAR}")
    assert response.status_code == 200
    assert response.json["region"] is None and Decimal(response.json["summary"]["purchased"]) == Decimal(
        "1250.00"
    )


def test_a_supervising_units_manager_reads_its_subtree_only(api_client, users, bought, make_unit, make_user):
    manager = users[Role.unit_manager]
    # not supervising anything yet: no unit report of its own
    assert api_client(manager).get(f"/api/v1/reports?year={YEAR}").status_code == 403
    child = make_unit("吕梁市第一中学", parent=bought)
    response = api_client(manager).get(f"/api/v1/reports?year={YEAR}")
    assert response.status_code == 200
    assert response.json["unit"]["id"] == bought.id
    assert {row["code"] for row in response.json["rows"]} == {bought.code, child.code}
    sibling = make_unit("吕梁市卫健委")
    assert api_client(manager).get(f"/api/v1/reports?year={YEAR}&unit={sibling.id}").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "",
        "year=abc",
        f"year={YEAR}&region=14",
        f"year={YEAR}&region=141100&unit=1",
        f"year={YEAR}&colour=red",
    ],
)
def test_bad_report_queries(api_client, users, query):
    response = api_client(users[Role.finance]).get(f"/api/v1/reports?{query}")
    assert response.status_code == 422, response.json
    assert set(response.json) == {"code", "message", "details"}
