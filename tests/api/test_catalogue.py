"""GET /api/v1/products and /products/<id>: filters, sorts, cursor pages, visibility, constant queries."""

from decimal import Decimal

from accounts.models import Role
from shop.catalogue.models import ProductStatus


def _walk(api, url):
    """Every item of every page (following next_cursor)."""
    items, cursor = [], None
    while True:
        response = api.get(url + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.json
        items += response.json["items"]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return items


def test_list_filters_and_money_as_strings(api_client, users, make_product, make_supplier):
    supplier = make_supplier()
    cheap = make_product(supplier=supplier, name="兴县小米", price="8.50", is_organic=True)
    make_product(supplier=supplier, name="临县红枣", price="30.00")
    make_product(supplier=supplier, name="下架小米", status=ProductStatus.delisted)
    api = api_client(users[Role.purchaser])

    response = api.get(f"/api/v1/products?supplier={supplier.id}&sort=price_asc")
    assert response.status_code == 200
    items = response.json["items"]
    assert [item["name"] for item in items] == ["兴县小米", "临县红枣"]
    assert items[0]["price"] == "8.50"
    assert items[0]["supplier"] == {"id": supplier.id, "name": supplier.name}

    organic = api.get(f"/api/v1/products?supplier={supplier.id}&cert=organic").json["items"]
    assert [item["id"] for item in organic] == [cheap.id]
    priced = api.get(f"/api/v1/products?supplier={supplier.id}&price_min=10&price_max=40").json["items"]
    assert [item["name"] for item in priced] == ["临县红枣"]
    searched = api.get(f"/api/v1/products?supplier={supplier.id}&q=小米").json["items"]
    assert [item["name"] for item in searched] == ["兴县小米"]


def test_price_range_reversed(api_client, users):
    response = api_client(users[Role.purchaser]).get("/api/v1/products?price_min=10&price_max=5")
    assert response.status_code == 422
    assert "price_min" in response.json["details"]["query"]


def test_cursor_walks_every_product_once_in_each_sort(api_client, users, make_product, make_supplier):
    supplier = make_supplier()
    made = [
        make_product(supplier=supplier, price=f"{10 + index % 3}.00", sales_count=index % 2)
        for index in range(7)
    ]
    api = api_client(users[Role.purchaser])
    for sort in ("newest", "price_asc", "price_desc", "sales"):
        items = _walk(api, f"/api/v1/products?supplier={supplier.id}&limit=2&sort={sort}")
        assert sorted(item["id"] for item in items) == sorted(product.id for product in made), sort
        prices = [Decimal(item["price"]) for item in items]
        if sort == "price_asc":
            assert prices == sorted(prices)
        if sort == "price_desc":
            assert prices == sorted(prices, reverse=True)


def test_cursor_of_another_sort_or_garbage(api_client, users, make_product, make_supplier):
    supplier = make_supplier()
    for _ in range(3):
        make_product(supplier=supplier)
    api = api_client(users[Role.purchaser])
    cursor = api.get(f"/api/v1/products?supplier={supplier.id}&limit=1").json["next_cursor"]
    assert cursor
    response = api.get(f"/api/v1/products?supplier={supplier.id}&limit=1&sort=sales&cursor={cursor}")
    assert response.status_code == 400
    assert response.json["code"] == "invalid_cursor"
    for garbage in ("x", "eyJzIjoibmV3ZXN0IiwidiI6W3siZCI6Ik5hTiJ9LDFdfQ", "%%%"):
        response = api.get(f"/api/v1/products?limit=1&sort=price_asc&cursor={garbage}")
        assert response.status_code == 400, garbage


def test_list_runs_constant_queries(api_client, users, make_product, make_supplier, count_queries):
    api = api_client(users[Role.purchaser])
    api.get("/api/v1/me")  # the token's first use is noted once
    counts = []
    for rows in (2, 15):
        supplier = make_supplier()
        for _ in range(rows):
            make_product(supplier=supplier)
        with count_queries() as queries:
            response = api.get(f"/api/v1/products?supplier={supplier.id}&limit=50")
        assert len(response.json["items"]) == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_product_detail_and_visibility(api_client, users, make_product):
    listed = make_product(name="兴县小米", price="12.00", min_order_quantity=2)
    draft = make_product(supplier=users[Role.supplier].supplier, status=ProductStatus.draft)
    buyer = api_client(users[Role.purchaser])

    response = buyer.get(f"/api/v1/products/{listed.id}")
    assert response.status_code == 200
    assert response.json["price"] == "12.00"
    assert response.json["min_order_quantity"] == 2
    assert response.json["on_sale"] is True

    assert buyer.get(f"/api/v1/products/{draft.id}").status_code == 404
    assert buyer.get("/api/v1/products/999999999").status_code == 404
    own = api_client(users[Role.supplier]).get(f"/api/v1/products/{draft.id}")
    assert own.status_code == 200
    assert own.json["on_sale"] is False
