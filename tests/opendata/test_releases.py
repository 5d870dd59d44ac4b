"""OCDS releases of the orders: valid against the 1.1.5 schema, the parties, budget, items, transactions
(a refund included) and documents of an order, only the year's and region's orders, and a number of
queries that does not grow with the orders."""

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from accounts.models import Region, Role
from opendata import encoding
from opendata.loading import year_bounds
from opendata.package import iter_releases, release_package
from shop.extensions import db
from tests.opendata.conftest import YEAR, errors_of

PUBLISHED = datetime(2026, 11, 29, 4, 0)


def city() -> Region:
    return db.session.scalar(select(Region).where(Region.code == "141100"))


def package(region=None, year=YEAR) -> dict:
    return release_package(year, region, published=PUBLISHED, uri_base="https://cg.example.org")


def by_ocid(releases: list[dict]) -> dict[str, dict]:
    return {release["ocid"]: release for release in releases}


def test_the_package_of_a_year_is_valid_ocds_1_1(world):
    data = package()
    assert errors_of(data) == []
    assert data["version"] == "1.1"
    assert data["publishedDate"] == "2026-11-29T04:00:00Z"
    assert data["uri"] == "https://cg.example.org/api/v1/ocds/releases?year=2026"
    assert data["publisher"]["name"]


def test_one_release_per_order_of_the_year_with_an_ocid_from_the_prefix(world, app):
    releases = package()["releases"]
    prefix = app.config["OCDS_OCID_PREFIX"]
    expected = [world.last_year, world.elsewhere, world.paid, world.unpaid, world.cancelled]
    # ordered by order id; the order placed at 23:00 on 31 December 2025 Beijing time is not of 2026
    assert [release["ocid"] for release in releases] == [
        f"{prefix}-{order.number}" for order in sorted(expected[1:], key=lambda order: order.id)
    ]
    assert year_bounds(2026) == (datetime(2025, 12, 31, 16, 0), datetime(2026, 12, 31, 16, 0))
    assert f"{prefix}-{world.last_year.number}" in by_ocid(package(year=2025)["releases"])


def test_a_region_publishes_only_the_orders_of_its_units(world, app):
    ocids = set(by_ocid(package(city())["releases"]))
    prefix = app.config["OCDS_OCID_PREFIX"]
    assert f"{prefix}-{world.elsewhere.number}" not in ocids
    assert {f"{prefix}-{o.number}" for o in (world.paid, world.unpaid, world.cancelled)} == ocids
    assert package(city())["uri"].endswith("?year=2026&region=141100")


def test_the_budget_unit_is_buyer_and_payer_the_supplier_supplier_and_payee(world, app):
    release = by_ocid(package()["releases"])[f"{app.config['OCDS_OCID_PREFIX']}-{world.paid.number}"]
    unit_id, supplier_id = f"CN-USCC-{world.unit.credit_code}", f"CN-USCC-{world.supplier.credit_code}"
    parties = {party["id"]: party for party in release["parties"]}
    assert set(parties[unit_id]["roles"]) == {"buyer", "procuringEntity", "payer"}
    assert parties[unit_id]["identifier"] == {
        "scheme": "CN-USCC",
        "id": world.unit.credit_code,
        "legalName": world.unit.name,
    }
    assert parties[unit_id]["address"]["region"] == "山西省吕梁市"
    assert set(parties[supplier_id]["roles"]) == {"supplier", "payee"}
    assert parties[supplier_id]["details"] == {"scale": "micro"}  # a family farm
    assert release["buyer"] == {"id": unit_id, "name": world.unit.name}
    assert release["awards"][0]["suppliers"] == [{"id": supplier_id, "name": world.supplier.name}]
    assert release["initiationType"] == "tender"
    assert release["tag"] == ["tender", "award", "contract", "implementation"]
    # nothing personal: no delivery phone, address or contact, no bank details
    text = encoding.dumps(release)
    for secret in ("13800138000", "滨河北路", "王师傅", "6222", "6228", "REF", "RF000001"):
        assert secret not in text, secret


def test_the_budget_is_the_units_reserved_share_of_the_year(world, app):
    releases = by_ocid(package()["releases"])
    prefix = app.config["OCDS_OCID_PREFIX"]
    budget = releases[f"{prefix}-{world.paid.number}"]["planning"]["budget"]
    assert budget["amount"] == {"amount": Decimal("30000.00"), "currency": "CNY"}
    assert budget["projectID"] == f"{world.unit.credit_code}-2026-v1"
    # the unit outside the city filed nothing: the budget says so, without an amount
    elsewhere = releases[f"{prefix}-{world.elsewhere.number}"]["planning"]["budget"]
    assert "amount" not in elsewhere and "projectID" not in elsewhere


def test_a_direct_purchase_with_items_in_their_units_and_a_contract_signed_when_placed(world, app):
    release = by_ocid(package()["releases"])[f"{app.config['OCDS_OCID_PREFIX']}-{world.paid.number}"]
    tender = release["tender"]
    assert tender["procurementMethod"] == "direct"
    assert app.config["OCDS_PLATFORM_NAME"] in tender["procurementMethodDetails"]
    items = [(item["description"], item["quantity"], item["unit"]) for item in tender["items"]]
    assert items == [
        ("岢岚小米 5kg/袋", 4, {"name": "袋", "value": {"amount": Decimal("12.50"), "currency": "CNY"}}),
        ("临县红枣 10kg/箱", 2, {"name": "箱", "value": {"amount": Decimal("308.62"), "currency": "CNY"}}),
    ]
    contract = release["contracts"][0]
    assert contract["items"] == tender["items"] == release["awards"][0]["items"]
    assert contract["value"] == {"amount": Decimal("667.24"), "currency": "CNY"}
    assert contract["dateSigned"] == "2026-11-01T02:00:00Z"
    assert contract["status"] == "active"


def test_the_payment_and_the_refund_are_transactions_in_opposite_directions(world, app):
    release = by_ocid(package()["releases"])[f"{app.config['OCDS_OCID_PREFIX']}-{world.paid.number}"]
    unit = {"id": f"CN-USCC-{world.unit.credit_code}", "name": world.unit.name}
    supplier = {"id": f"CN-USCC-{world.supplier.credit_code}", "name": world.supplier.name}
    payment, refund = release["contracts"][0]["implementation"]["transactions"]
    assert (payment["value"]["amount"], payment["payer"], payment["payee"]) == (
        Decimal("667.24"),
        unit,
        supplier,
    )
    assert payment["date"] == "2026-11-02T00:00:00+08:00"
    assert (refund["value"]["amount"], refund["payer"], refund["payee"]) == (Decimal("12.50"), supplier, unit)
    assert refund["id"] == f"{world.paid.number}-refund-{world.refund.id}"


def test_the_invoice_and_credit_note_link_to_their_public_verification_page(world, app):
    release = by_ocid(package()["releases"])[f"{app.config['OCDS_OCID_PREFIX']}-{world.paid.number}"]
    invoice, credit = release["contracts"][0]["implementation"]["documents"]
    public = app.config["PUBLIC_URL"]
    assert invoice["id"].startswith("FP2026-") and credit["id"].startswith("HC2026-")
    assert invoice["url"].startswith(f"{public}/verify/") and credit["url"].startswith(f"{public}/verify/")
    assert not any(".pdf" in document["url"] for document in (invoice, credit))
    assert {invoice["documentType"], credit["documentType"]} == {"financialProgressReport"}
    # the release changed last when the credit note was issued
    assert release["date"] == credit["datePublished"]


def test_orders_not_yet_paid_or_cancelled_say_so(world, app):
    releases = by_ocid(package()["releases"])
    prefix = app.config["OCDS_OCID_PREFIX"]
    unpaid = releases[f"{prefix}-{world.unpaid.number}"]
    assert unpaid["tag"] == ["tender", "award", "contract"]
    assert "implementation" not in unpaid["contracts"][0]
    cancelled = releases[f"{prefix}-{world.cancelled.number}"]
    assert cancelled["contracts"][0]["status"] == "terminated"
    assert cancelled["awards"][0]["status"] == "cancelled"
    assert "contractTermination" in cancelled["tag"]
    assert cancelled["contracts"][0]["period"]["endDate"] == "2026-11-06T05:00:00Z"


def test_amounts_are_written_as_exact_json_numbers(world):
    text = encoding.dumps(package())
    assert '"amount":667.24,' in text and '"amount":12.50,' in text
    assert json.loads(text, parse_float=Decimal)["releases"][0]["contracts"][0]["value"]["amount"] == Decimal(
        "667.24"
    )


def test_batches_walk_every_order_once(world):
    every = [release["ocid"] for release in iter_releases(YEAR)]
    assert [release["ocid"] for release in iter_releases(YEAR, batch_size=1)] == every
    assert [release["ocid"] for release in iter_releases(YEAR, batch_size=2)] == every


def test_the_number_of_queries_does_not_grow_with_the_orders(
    users, make_product, make_order, pay, count_queries
):
    from datetime import date

    product = make_product(users[Role.supplier].supplier, price="10.00")

    def orders(count: int) -> int:
        for _ in range(count):
            order = make_order({product: 2}, placed_at=datetime(2024, 5, 1, 2, 0))
            pay(order, paid_on=date(2024, 5, 2))
        with count_queries() as queries:
            releases = list(iter_releases(2024))
        return len(queries), len(releases)

    few, many = orders(2), orders(13)
    assert (few[1], many[1]) == (2, 15)
    assert few[0] == many[0], (few, many)
