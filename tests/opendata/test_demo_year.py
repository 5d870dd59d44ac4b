"""The demo city's complete year as open data: every order of the year once, each release valid against
the OCDS 1.1.5 schema, and the queries counted per batch of orders, never per order."""

import json
import math
from decimal import Decimal

from sqlalchemy import func, select

from accounts.demo.load import load_demo
from accounts.models import BudgetUnit, Region
from opendata import encoding
from opendata.loading import BATCH_SIZE, year_bounds
from opendata.package import iter_releases, package_metadata
from opendata.schema import validator
from quotas.demo_year import STRICT_COUNTY
from shop.common import beijing_today, utcnow
from shop.extensions import db
from shop.orders.models import Order


def placed_in(year: int, region: Region | None = None) -> int:
    start, end = year_bounds(year)
    query = select(func.count(Order.id)).where(Order.placed_at >= start, Order.placed_at < end)
    if region is not None:
        units = select(BudgetUnit.id).where(BudgetUnit.region_id.in_(region.subtree_ids()))
        query = query.where(Order.unit_id.in_(units))
    return db.session.scalar(query)


def test_the_demo_year_is_published_whole_valid_and_in_batches(count_queries):
    load_demo()
    db.session.commit()
    year = beijing_today().year - 1
    orders = placed_in(year)
    assert orders > 20_000

    with count_queries() as queries:
        ocids = [release["ocid"] for release in iter_releases(year)]
    assert len(ocids) == len(set(ocids)) == orders
    batches = math.ceil(orders / BATCH_SIZE) + (orders % BATCH_SIZE == 0)
    assert len(queries) == 1 + 6 * batches, len(queries)

    # One county's releases in full, through the package schema (the whole city is ~80 MB of JSON).
    county = db.session.scalar(select(Region).where(Region.code == STRICT_COUNTY))
    package = package_metadata(year, county, published=utcnow(), uri_base="https://cg.example.org")
    package["releases"] = list(iter_releases(year, county))
    assert len(package["releases"]) == placed_in(year, county) > 100
    data = json.loads(encoding.dumps(package), parse_float=Decimal)
    errors = [f"{list(error.absolute_path)[:3]}: {error.message}" for error in validator().iter_errors(data)]
    assert errors == []
    refunds = [
        transaction
        for release in data["releases"]
        for transaction in release["contracts"][0].get("implementation", {}).get("transactions", [])
        if "-refund-" in transaction["id"]
    ]
    budgets = [release["planning"]["budget"] for release in data["releases"]]
    assert all("amount" in budget for budget in budgets if "projectID" in budget)
    assert sum("amount" in budget for budget in budgets) > len(budgets) // 2
    assert refunds == [] or all(transaction["value"]["amount"] > 0 for transaction in refunds)
