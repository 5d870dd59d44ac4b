"""The operator's product review, price monitoring, categories and the review pages' cost."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from accounts.models import AuditEntry, Notice, Role
from shop.catalogue import prices, products
from shop.catalogue.models import Category, Product, ProductStatus
from shop.catalogue.products import ProductError
from shop.extensions import db


@pytest.fixture
def operator(users):
    return users[Role.operator]


@pytest.fixture
def seller(users):
    return users[Role.supplier]


@pytest.fixture
def pending(seller, make_product):
    return make_product(supplier=seller.supplier, name="兴县小米", status=ProductStatus.pending)


def audited(product) -> list[str]:
    return db.session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_type == "product", AuditEntry.object_id == product.id
        )
    ).all()


# --- approve and reject ------------------------------------------------------------------------------------


def test_approving_lists_the_product_tells_the_supplier_and_audits(
    client, operator, seller, pending, login_as
):
    login_as(operator)
    response = client.post(f"/review/products/{pending.id}/approve")
    assert response.status_code == 302
    product = db.session.get(Product, pending.id)
    assert product.status == ProductStatus.listed
    assert product.listed_at is not None
    assert product.is_buyable
    notice = db.session.scalars(select(Notice).where(Notice.user_id == seller.id)).one()
    assert notice.params["name"] == "兴县小米"
    assert audited(product) == ["product.approve"]


def test_rejecting_needs_a_reason(client, operator, pending, login_as):
    login_as(operator)
    client.post("/lang/en")
    response = client.post(
        f"/review/products/{pending.id}/reject", data={"reason": "  "}, follow_redirects=True
    )
    assert "Give the reason" in response.text
    assert db.session.get(Product, pending.id).status == ProductStatus.pending
    assert audited(pending) == []
    with pytest.raises(ProductError) as refused:
        products.apply_transition(operator, pending, "reject", "")
    assert refused.value.field == "reason"


def test_rejecting_with_a_reason_tells_the_supplier_who_may_correct_and_resubmit(
    client, operator, seller, pending, login_as
):
    login_as(operator)
    client.post(f"/review/products/{pending.id}/reject", data={"reason": "图片不清晰"})
    product = db.session.get(Product, pending.id)
    assert (product.status, product.status_reason) == (ProductStatus.rejected, "图片不清晰")
    notice = db.session.scalars(select(Notice).where(Notice.user_id == seller.id)).one()
    assert notice.params == {"name": "兴县小米", "reason": "图片不清晰"}
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "product.reject")).one()
    assert entry.details["reason"] == "图片不清晰"
    # The supplier resubmits; the reason is cleared.
    products.apply_transition(seller, product, "submit")
    assert (product.status, product.status_reason) == (ProductStatus.pending, None)


@pytest.mark.parametrize("status", [ProductStatus.draft, ProductStatus.listed, ProductStatus.rejected])
def test_only_a_pending_product_can_be_approved(client, operator, seller, make_product, login_as, status):
    product = make_product(supplier=seller.supplier, status=status)
    login_as(operator)
    client.post(f"/review/products/{product.id}/approve")
    assert db.session.get(Product, product.id).status == status
    assert audited(product) == []


def test_approving_an_unknown_product_answers_404(client, operator, login_as):
    login_as(operator)
    assert client.post("/review/products/999999/approve").status_code == 404
    assert client.get("/review/products/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.purchaser, Role.unit_manager, Role.supplier, Role.finance])
def test_other_roles_are_refused_the_review(client, users, pending, login_as, role):
    login_as(users[role])
    for url in ("/review/", "/review/products", f"/review/products/{pending.id}", "/review/categories"):
        assert client.get(url).status_code == 403
    assert client.post(f"/review/products/{pending.id}/approve").status_code == 403
    assert db.session.get(Product, pending.id).status == ProductStatus.pending


# --- the queue and the price flag ---------------------------------------------------------------------------


def test_price_is_flagged_above_the_market_price_plus_the_margin():
    margin = Decimal("0.2")
    assert prices.is_price_flagged(Decimal("12.01"), Decimal("10.00"), margin)
    assert not prices.is_price_flagged(Decimal("12.00"), Decimal("10.00"), margin)
    assert not prices.is_price_flagged(Decimal("99.00"), None, margin)


def test_the_database_flag_agrees_with_the_decimal_rule(seller, make_product):
    cases = [("12.01", "10.00"), ("12.00", "10.00"), ("12.06", "10.05"), ("12.07", "10.05"), ("5.00", None)]
    made = [
        make_product(supplier=seller.supplier, price=price, market_price=market and Decimal(market))
        for price, market in cases
    ]
    margin = Decimal("0.2")
    in_db = set(db.session.scalars(select(Product.id).where(prices.price_flag_condition(margin))))
    expected = {p.id for p in made if prices.is_price_flagged(p.price, p.market_price, margin)}
    assert in_db == expected
    assert len(expected) == 2


def test_the_queue_shows_the_price_flag_and_the_suppliers_admission_data(
    app, client, operator, seller, make_product, login_as, monkeypatch
):
    supplier = seller.supplier
    make_product(
        supplier=supplier,
        name="高价小米",
        price="13.00",
        market_price=Decimal("10.00"),
        status=ProductStatus.pending,
    )
    make_product(
        supplier=supplier,
        name="平价小米",
        price="11.00",
        market_price=Decimal("10.00"),
        status=ProductStatus.pending,
    )
    login_as(operator)
    client.post("/lang/en")
    page = client.get("/review/").text
    assert page.count("Price flag") == 1
    assert page.index("Price flag") > page.index("高价小米")
    assert page.index("Price flag") < page.index("平价小米")
    assert supplier.credit_code in page and supplier.name in page
    monkeypatch.setitem(app.config, "PRICE_FLAG_MARGIN", Decimal("0.5"))
    assert "Price flag" not in client.get("/review/").text


def test_the_queue_lists_pending_products_only_oldest_first(client, operator, make_product, login_as):
    first = make_product(name="先提交的", status=ProductStatus.pending)
    second = make_product(name="后提交的", status=ProductStatus.pending)
    make_product(name="已上架的")
    second.updated_at = first.updated_at.replace(year=first.updated_at.year + 1)
    db.session.commit()
    login_as(operator)
    page = client.get("/review/").text
    assert page.index("先提交的") < page.index("后提交的")
    assert "已上架的" not in page


def test_the_product_list_filters_by_status_supplier_and_flag(client, operator, make_product, login_as):
    flagged = make_product(name="高价红枣", price="20.00", market_price=Decimal("10.00"))
    plain = make_product(name="平价红枣", supplier=flagged.supplier, status=ProductStatus.draft)
    other = make_product(name="别家核桃")
    login_as(operator)
    assert {"高价红枣", "平价红枣", "别家核桃"} <= set(
        _names(client.get("/review/products").text, [flagged, plain, other])
    )
    assert _names(client.get("/review/products?flagged=1").text, [flagged, plain, other]) == ["高价红枣"]
    by_supplier = client.get(f"/review/products?supplier={flagged.supplier_id}").text
    assert _names(by_supplier, [flagged, plain, other]) == ["高价红枣", "平价红枣"]
    assert _names(client.get("/review/products?status=draft").text, [flagged, plain, other]) == ["平价红枣"]


def _names(page: str, made: list[Product]) -> list[str]:
    return [product.name for product in made if product.name in page]


@pytest.mark.parametrize("url", ["/review/", "/review/products"])
def test_the_review_lists_cost_the_same_queries_for_2_or_15_products(
    client, operator, make_product, login_as, count_queries, url
):
    def grow(count):
        for _ in range(count):
            make_product(status=ProductStatus.pending, market_price=Decimal("5.00"))  # each its own supplier

    login_as(operator)
    grow(2)
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    grow(13)
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_operators_home_counts_products_to_review_and_flagged_ones(
    client, operator, make_product, login_as
):
    make_product(status=ProductStatus.pending, price="20.00", market_price=Decimal("10.00"))
    make_product(status=ProductStatus.pending)
    login_as(operator)
    client.post("/lang/en")
    page = client.get("/").text
    assert "Products to review" in page
    assert "1 priced above the market reference" in page


# --- categories --------------------------------------------------------------------------------------------


def test_categories_are_added_renamed_and_reordered_with_audit(client, operator, login_as):
    login_as(operator)
    assert client.post("/review/categories", data={"name": "杂粮", "position": "2"}).status_code == 302
    category = db.session.scalars(select(Category).where(Category.name == "杂粮")).one()
    client.post(f"/review/categories/{category.id}", data={"name": "五谷杂粮", "position": "1"})
    db.session.refresh(category)
    assert (category.name, category.position) == ("五谷杂粮", 1)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "category")).all()
    assert actions == ["category.create", "category.update"]


def test_category_names_are_unique(client, operator, make_category, login_as):
    make_category("杂粮")
    other = make_category("干果")
    login_as(operator)
    client.post("/review/categories", data={"name": " 杂粮 ", "position": "0"})
    client.post(f"/review/categories/{other.id}", data={"name": "杂粮", "position": "0"})
    names = db.session.scalars(select(Category.name).order_by(Category.name)).all()
    assert names == ["干果", "杂粮"]


def test_a_category_in_use_cannot_be_deleted_an_unused_one_can(
    client, operator, make_category, make_product, login_as
):
    used = make_category("杂粮")
    make_product(category=used)
    unused = make_category("干果")
    login_as(operator)
    client.post("/lang/en")
    response = client.post(f"/review/categories/{used.id}/delete", follow_redirects=True)
    assert "cannot be deleted" in response.text
    client.post(f"/review/categories/{unused.id}/delete")
    assert db.session.scalars(select(Category.name)).all() == ["杂粮"]
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "category.delete"))
