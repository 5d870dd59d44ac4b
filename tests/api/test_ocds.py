"""``GET /api/v1/ocds/releases``: public open data, valid OCDS 1.1 packages page by page, bad input as JSON
errors."""

import json
from decimal import Decimal

from accounts.models import Role
from api.pagination import encode_cursor
from tests.opendata.conftest import errors_of, world  # noqa: F401  (the fixture)

URL = "/api/v1/ocds/releases"


def test_anyone_reads_the_release_package_without_a_token(client, world):  # noqa: F811
    response = client.get(f"{URL}?year=2026")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    package = json.loads(response.get_data(as_text=True), parse_float=Decimal)
    assert errors_of(package) == []
    numbers = {release["ocid"].rsplit("-", 1)[1] for release in package["releases"]}
    assert numbers == {order.number for order in (world.paid, world.unpaid, world.cancelled, world.elsewhere)}
    assert "links" not in package
    assert '"amount":667.24' in response.get_data(as_text=True)


def test_a_token_is_not_needed_but_does_no_harm(api_client, users, world):  # noqa: F811
    assert api_client(users[Role.purchaser]).get(f"{URL}?year=2026").status_code == 200


def test_pages_follow_links_next_through_every_order_once(client, world, app):  # noqa: F811
    seen, url, pages = [], f"{URL}?year=2026&limit=1", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        package = json.loads(response.get_data(as_text=True), parse_float=Decimal)
        assert errors_of(package) == []
        assert len(package["releases"]) == 1
        seen += [release["ocid"] for release in package["releases"]]
        following = package.get("links", {}).get("next")
        url = following.removeprefix(app.config["PUBLIC_URL"]) if following else None
        pages += 1
    assert pages == 4 and len(set(seen)) == 4


def test_a_region_limits_the_orders_to_its_units(client, world):  # noqa: F811
    package = client.get(f"{URL}?year=2026&region=141100").get_json()
    numbers = {release["ocid"].rsplit("-", 1)[1] for release in package["releases"]}
    assert numbers == {world.paid.number, world.unpaid.number, world.cancelled.number}


def test_bad_input_answers_json_errors(client, world):  # noqa: F811
    cases = {
        URL: 422,  # no year
        f"{URL}?year=abc": 422,
        f"{URL}?year=2026&region=14": 422,
        f"{URL}?year=2026&region=999999": 422,  # unknown region
        f"{URL}?year=2026&limit=0": 422,
        f"{URL}?year=2026&limit=101": 422,
        f"{URL}?year=2026&colour=red": 422,  # unknown field
        f"{URL}?year=2026&cursor=bm90LWEtY3Vyc29y": 400,
        f"{URL}?year=2026&cursor={encode_cursor('ocds-order-id', [True])}": 400,
        f"{URL}?year=2019": 404,  # nothing placed then
    }
    for url, status in cases.items():
        response = client.get(url)
        assert response.status_code == status, (url, response.get_data(as_text=True))
        assert set(response.get_json()) == {"code", "message", "details"}, url
