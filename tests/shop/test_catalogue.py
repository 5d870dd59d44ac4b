"""The catalogue: who sees what, filters, sorts, pages, the product page and favourites."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from accounts.models import Role, SupplierStatus
from shop.aftersales.models import Evaluation
from shop.catalogue.browse import MAX_PAGE, PAGE_SIZE
from shop.catalogue.models import Favourite, ProductImage, ProductStatus
from shop.common import utcnow
from shop.extensions import db
from shop.orders.models import OrderStatus
from tests.conftest import region


def shown(response) -> list[int]:
    """The product ids a catalogue or favourites page lists, in order."""
    assert response.status_code == 200, response.status_code
    return [int(match) for match in re.findall(r'data-product="(\d+)"', response.get_data(as_text=True))]


@pytest.fixture
def buyer(users, login_as):
    return login_as(users[Role.purchaser])


# --- who sees what -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_role_browses_the_catalogue(app, users, role, make_product):
    product = make_product()
    client = app.test_client()
    from tests.conftest import login

    assert login(client, users[role]).status_code == 302
    assert shown(client.get("/catalogue/")) == [product.id]
    assert client.get(f"/catalogue/{product.id}").status_code == 200


def test_only_listed_products_of_admitted_suppliers_are_shown(buyer, make_product, make_supplier):
    listed = make_product(name="红枣")
    for status in (
        ProductStatus.draft,
        ProductStatus.pending,
        ProductStatus.rejected,
        ProductStatus.delisted,
    ):
        make_product(name="红枣", status=status)
    suspended = make_product(name="红枣", supplier=make_supplier(status=SupplierStatus.suspended))
    assert shown(buyer.get("/catalogue/")) == [listed.id]
    assert shown(buyer.get("/catalogue/?q=红枣")) == [listed.id]
    assert shown(buyer.get(f"/catalogue/?supplier={suspended.supplier_id}")) == []


def test_a_product_not_on_sale_answers_404_to_buyers(users, login_as, make_product, make_supplier):
    seller = users[Role.supplier]
    pending = make_product(supplier=seller.supplier, status=ProductStatus.pending)
    suspended = make_product(supplier=make_supplier(status=SupplierStatus.suspended))
    client = login_as(users[Role.purchaser])
    assert client.get(f"/catalogue/{pending.id}").status_code == 404
    assert client.get(f"/catalogue/{suspended.id}").status_code == 404
    assert client.get("/catalogue/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.supplier, Role.operator])
def test_its_own_supplier_and_the_operator_still_see_a_product_not_on_sale(
    users, login_as, make_product, role
):
    pending = make_product(supplier=users[Role.supplier].supplier, status=ProductStatus.pending)
    assert login_as(users[role]).get(f"/catalogue/{pending.id}").status_code == 200


def test_another_supplier_does_not_see_a_product_not_on_sale(
    make_user, login_as, make_product, make_supplier
):
    pending = make_product(status=ProductStatus.pending)
    other = make_user(Role.supplier, supplier=make_supplier())
    assert login_as(other).get(f"/catalogue/{pending.id}").status_code == 404


# --- filters -----------------------------------------------------------------------------------------------


def test_filters_by_category_county_and_supplier(buyer, make_product, make_category, make_supplier):
    grain = make_category("粮油")
    lin_county = region("141124")
    supplier = make_supplier()
    in_grain = make_product(category=grain)
    from_lin = make_product(origin_region=lin_county)
    of_supplier = make_product(supplier=supplier)
    assert shown(buyer.get(f"/catalogue/?category={grain.id}")) == [in_grain.id]
    assert shown(buyer.get(f"/catalogue/?county={lin_county.id}")) == [from_lin.id]
    assert shown(buyer.get(f"/catalogue/?supplier={supplier.id}")) == [of_supplier.id]


def test_filters_by_price_range(buyer, make_product):
    cheap = make_product(price="5.00")
    middle = make_product(price="12.50")
    dear = make_product(price="99.00")
    assert shown(buyer.get("/catalogue/?min_price=10&max_price=12.50&sort=price_asc")) == [middle.id]
    assert shown(buyer.get("/catalogue/?min_price=12.5&sort=price_asc")) == [middle.id, dear.id]
    assert shown(buyer.get("/catalogue/?max_price=¥12.49&sort=price_asc")) == [cheap.id]


@pytest.mark.parametrize("bad", ["abc", "-1", "NaN", "Infinity", "1e30", "12..5"])
def test_a_bad_price_is_named_and_ignored(buyer, make_product, bad):
    product = make_product()
    buyer.post("/lang/en")
    response = buyer.get(f"/catalogue/?min_price={bad}")
    assert shown(response) == [product.id]
    assert "Lowest price: enter an amount in yuan" in response.get_data(as_text=True)


def test_a_lowest_price_above_the_highest_is_refused(buyer, make_product):
    product = make_product(price="20.00")
    buyer.post("/lang/en")
    response = buyer.get("/catalogue/?min_price=30&max_price=10")
    assert shown(response) == [product.id]
    assert "The lowest price is above the highest price." in response.get_data(as_text=True)


def test_filters_by_certifications(buyer, make_product):
    plain = make_product()
    certified = make_product(certification_number="FP-2024-001")
    green = make_product(is_green=True)
    organic_gi = make_product(is_organic=True, is_geographic_indication=True)
    assert shown(buyer.get("/catalogue/?cert=certified")) == [certified.id]
    assert shown(buyer.get("/catalogue/?cert=green")) == [green.id]
    assert shown(buyer.get("/catalogue/?cert=organic&cert=geographic_indication")) == [organic_gi.id]
    assert shown(buyer.get("/catalogue/?cert=organic&cert=green")) == []
    assert set(shown(buyer.get("/catalogue/?cert=unknown"))) == {
        plain.id,
        certified.id,
        green.id,
        organic_gi.id,
    }


# --- sorts and pages ---------------------------------------------------------------------------------------


@pytest.fixture
def three(make_product):
    """Three products whose price, sales and listing time each sort differently."""
    now = utcnow()
    a = make_product(price="30.00", sales_count=5)
    b = make_product(price="10.00", sales_count=50)
    c = make_product(price="20.00", sales_count=0)
    for product, days_ago in ((a, 2), (b, 1), (c, 3)):
        product.listed_at = now - timedelta(days=days_ago)
    db.session.commit()
    return a, b, c


@pytest.mark.parametrize(
    ("sort", "order"),
    [("newest", "bac"), ("price_asc", "bca"), ("price_desc", "acb"), ("sales", "bac"), ("", "bac")],
)
def test_every_sort_order(buyer, three, sort, order):
    ids = {name: product.id for name, product in zip("abc", three, strict=True)}
    assert shown(buyer.get(f"/catalogue/?sort={sort}")) == [ids[name] for name in order]


def test_relevance_without_a_query_sorts_by_newest(buyer, three):
    a, b, c = three
    assert shown(buyer.get("/catalogue/?sort=relevance")) == [b.id, a.id, c.id]


def test_a_search_sorts_by_relevance_unless_told_otherwise(buyer, make_product):
    in_description = make_product(name="杂粮礼盒", description="含红枣", price="50.00")
    in_name = make_product(name="临县红枣", price="60.00")
    for other in ("苹果", "核桃", "小米", "土豆"):
        make_product(name=other)
    assert shown(buyer.get("/catalogue/?q=红枣")) == [in_name.id, in_description.id]
    assert shown(buyer.get("/catalogue/?q=红枣&sort=price_asc")) == [in_description.id, in_name.id]


def test_pages_of_24_with_a_next_link_and_no_count(buyer, make_product, make_supplier, count_queries):
    supplier = make_supplier()
    products = [make_product(supplier=supplier, price=f"{10 + n}.00") for n in range(PAGE_SIZE + 1)]
    first = buyer.get("/catalogue/?sort=price_asc")
    assert shown(first) == [product.id for product in products[:PAGE_SIZE]]
    assert 'rel="next"' in first.get_data(as_text=True)
    with count_queries() as queries:
        second = buyer.get("/catalogue/?sort=price_asc&page=2")
    assert shown(second) == [products[-1].id]
    assert 'rel="next"' not in second.get_data(as_text=True)
    assert 'rel="prev"' in second.get_data(as_text=True)
    # Counting is only for suppliers' evaluations (a few rows each), never over the products.
    counts = [re.findall(r"count\([^)]*\)(?: as \w+)?\s+from (\w+)", query.lower()) for query in queries]
    assert set().union(*counts) <= {"evaluation", "notice"}


@pytest.mark.parametrize("page", ["0", "-3", "x", str(MAX_PAGE + 1000)])
def test_odd_page_numbers_are_brought_into_range(buyer, make_product, page):
    make_product()
    assert buyer.get(f"/catalogue/?page={page}").status_code == 200


def test_next_link_keeps_the_filters(buyer, make_product, make_category):
    grain = make_category()
    for _ in range(PAGE_SIZE + 1):
        make_product(category=grain, is_green=True)
    html = buyer.get(f"/catalogue/?category={grain.id}&cert=green&q=商品&sort=newest").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" rel="next"', html).group(1)
    assert (
        f"category={grain.id}" in link and "cert=green" in link and "page=2" in link and "sort=newest" in link
    )


# --- query counts ------------------------------------------------------------------------------------------


def evaluate(order, quality=5, delivery=4, service=3):
    evaluation = Evaluation(
        order=order,
        supplier_id=order.supplier_id,
        author_id=order.purchaser_id,
        quality=quality,
        delivery=delivery,
        service=service,
        comment="很好",
    )
    db.session.add(evaluation)
    db.session.commit()
    return evaluation


def add_products(make_product, make_supplier, make_order, count):
    for n in range(count):
        product = make_product(supplier=make_supplier(), name=f"红枣{n}", description="小米")
        db.session.add(
            ProductImage(
                product=product, filename=f"{n}.jpg", thumbnail=f"{n}-t.jpg", content_type="image/jpeg"
            )
        )
        evaluate(make_order({product: 1}, status=OrderStatus.received))
    db.session.commit()


@pytest.mark.parametrize(
    "url", ["/catalogue/", "/catalogue/?q=红枣", "/catalogue/?q=小&sort=sales&cert=green"]
)
def test_list_and_search_run_a_constant_number_of_queries(
    buyer, make_product, make_supplier, make_order, count_queries, url
):
    add_products(make_product, make_supplier, make_order, 2)
    with count_queries() as few:
        buyer.get(url)
    add_products(make_product, make_supplier, make_order, 13)
    with count_queries() as many:
        response = buyer.get(url)
    assert response.status_code == 200
    assert len(many) == len(few)


def test_product_page_runs_a_constant_number_of_queries(buyer, make_product, make_order, count_queries):
    product = make_product(description="山西特产")

    def add(count):
        for n in range(count):
            db.session.add(
                ProductImage(
                    product=product, filename=f"{n}.jpg", thumbnail=f"{n}t.jpg", content_type="image/jpeg"
                )
            )
            evaluate(make_order({product: 1}, status=OrderStatus.received))
        db.session.commit()

    add(2)
    with count_queries() as few:
        buyer.get(f"/catalogue/{product.id}")
    add(13)
    with count_queries() as many:
        response = buyer.get(f"/catalogue/{product.id}")
    assert response.status_code == 200
    assert len(many) == len(few)


# --- the product page --------------------------------------------------------------------------------------


def test_product_page_shows_supplier_county_stock_and_evaluations(buyer, make_product, make_order):
    product = make_product(
        name="临县红枣", stock=37, min_order_quantity=2, market_price=Decimal("15.00"), price="12.00"
    )
    evaluate(make_order({product: 1}, status=OrderStatus.received), quality=5, delivery=3, service=4)
    buyer.post("/lang/en")
    html = buyer.get(f"/catalogue/{product.id}").get_data(as_text=True)
    assert "临县红枣" in html and product.supplier.name in html and "兴县" in html
    assert "37" in html and "¥12.00" in html and "¥15.00" in html
    assert "1 evaluations; average: quality 5.0, delivery 3.0, service 4.0" in html


def test_add_to_cart_form_only_when_the_cart_exists(app, buyer, make_product):
    product = make_product()
    html = buyer.get(f"/catalogue/{product.id}").get_data(as_text=True)
    assert ('id="add-to-cart"' in html) == ("cart.add" in app.view_functions)
    assert 'name="quantity"' in html or "cart.add" not in app.view_functions


# --- favourites --------------------------------------------------------------------------------------------


def favourites_of(user) -> list[int]:
    return list(db.session.scalars(select(Favourite.product_id).where(Favourite.user_id == user.id)))


def test_a_buyer_adds_lists_and_removes_favourites(users, buyer, make_product):
    purchaser = users[Role.purchaser]
    product = make_product()
    assert buyer.post(f"/catalogue/{product.id}/favourite").status_code == 302
    assert buyer.post(f"/catalogue/{product.id}/favourite").status_code == 302  # twice: still one
    assert favourites_of(purchaser) == [product.id]
    assert shown(buyer.get("/catalogue/favourites")) == [product.id]
    assert "favourite/remove" in buyer.get(f"/catalogue/{product.id}").get_data(as_text=True)

    assert buyer.post(f"/catalogue/{product.id}/favourite/remove").status_code == 302
    assert favourites_of(purchaser) == []
    assert shown(buyer.get("/catalogue/favourites")) == []


def test_a_favourite_no_longer_on_sale_stays_listed_until_removed(users, buyer, make_product):
    product = make_product()
    buyer.post(f"/catalogue/{product.id}/favourite")
    product.status = ProductStatus.delisted
    db.session.commit()
    assert shown(buyer.get("/catalogue/favourites")) == [product.id]
    buyer.post(f"/catalogue/{product.id}/favourite/remove")
    assert favourites_of(users[Role.purchaser]) == []


def test_favourites_are_private(users, app, login_as, make_product):
    from tests.conftest import login

    product = make_product()
    login_as(users[Role.purchaser]).post(f"/catalogue/{product.id}/favourite")
    manager = app.test_client()
    login(manager, users[Role.unit_manager])
    assert shown(manager.get("/catalogue/favourites")) == []
    manager.post(f"/catalogue/{product.id}/favourite/remove")  # removes only the manager's own
    assert favourites_of(users[Role.purchaser]) == [product.id]


def test_a_product_not_on_sale_cannot_become_a_favourite(users, buyer, make_product):
    pending = make_product(status=ProductStatus.pending)
    assert buyer.post(f"/catalogue/{pending.id}/favourite").status_code == 404
    assert favourites_of(users[Role.purchaser]) == []


@pytest.mark.parametrize("role", [Role.supplier, Role.finance, Role.operator])
def test_only_buyers_keep_favourites(users, login_as, make_product, role):
    product = make_product()
    client = login_as(users[role])
    assert client.get("/catalogue/favourites").status_code == 403
    assert client.post(f"/catalogue/{product.id}/favourite").status_code == 403


def test_favourite_forms_need_the_csrf_token(users, buyer, make_product, csrf_enabled):
    product = make_product()
    assert buyer.post(f"/catalogue/{product.id}/favourite").status_code == 400
    assert favourites_of(users[Role.purchaser]) == []


def test_favourites_list_runs_a_constant_number_of_queries(buyer, make_product, make_supplier, count_queries):
    def add(count):
        for _ in range(count):
            buyer.post(f"/catalogue/{make_product(supplier=make_supplier()).id}/favourite")

    add(2)
    with count_queries() as few:
        buyer.get("/catalogue/favourites")
    add(13)
    with count_queries() as many:
        assert len(shown(buyer.get("/catalogue/favourites"))) == 15
    assert len(many) == len(few)


def test_removing_returns_to_a_local_page_only(buyer, make_product):
    product = make_product()
    response = buyer.post(f"/catalogue/{product.id}/favourite/remove", data={"next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/catalogue/favourites")
    response = buyer.post(
        f"/catalogue/{product.id}/favourite/remove", data={"next": f"/catalogue/{product.id}"}
    )
    assert response.headers["Location"].endswith(f"/catalogue/{product.id}")


@pytest.mark.parametrize(
    "url",
    [
        "/catalogue/?category=99999999999999999999999",
        "/catalogue/?county=-99999999999999999999999&supplier=99999999999999999999999",
        "/catalogue/99999999999999999999999",
    ],
)
def test_out_of_range_ids_are_not_found_rather_than_errors(buyer, url):
    assert buyer.get(url).status_code in (200, 404)


def test_removing_an_out_of_range_favourite_changes_nothing(buyer):
    assert buyer.post("/catalogue/99999999999999999999999/favourite/remove").status_code == 302
    assert buyer.post("/catalogue/99999999999999999999999/favourite").status_code == 404
