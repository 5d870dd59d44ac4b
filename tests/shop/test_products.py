"""The supplier console: product rules, the status table, ownership, pictures and the list's cost."""

from decimal import Decimal
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from accounts.models import AuditEntry, Role, SupplierStatus
from shop.catalogue import images, products
from shop.catalogue.models import Product, ProductImage, ProductStatus
from shop.catalogue.products import ProductData, ProductError
from shop.extensions import db
from tests.conftest import region


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    """Pictures go to a temporary folder, never into instance/."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


@pytest.fixture
def seller(users):
    return users[Role.supplier]


@pytest.fixture
def category(make_category):
    return make_category("杂粮")


def data(category, **changes) -> ProductData:
    values = {
        "category_id": category.id,
        "name": "兴县小米",
        "spec": "5kg/袋",
        "unit": "袋",
        "price": "45.00",
        "market_price": "50.00",
        "stock": "100",
        "min_order_quantity": "2",
        "origin_region_id": region("141123").id,
        "description": "当年新米",
    }
    return ProductData(**{**values, **changes})


def form(category, **changes) -> dict:
    """The product form as a browser posts it."""
    values = vars(data(category))
    values = {key: "" if value is None else value for key, value in values.items()}
    for flag in ("is_green", "is_organic", "is_geographic_indication"):
        values.pop(flag)
    return {**values, "action": "save", **changes}


def picture(format="PNG", size=(1600, 900), **save) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format, **save)
    return out.getvalue()


def refused_field(call) -> str:
    with pytest.raises(ProductError) as caught:
        call()
    return caught.value.field


# --- the rules on the facts --------------------------------------------------------------------------------


@pytest.mark.parametrize("price", ["12.345", "0.001"])
def test_price_with_three_decimals_is_refused(seller, category, price):
    assert refused_field(lambda: products.create_product(seller, data(category, price=price))) == "price"


@pytest.mark.parametrize("price", ["0", "0.00", "-1", "-12.50"])
def test_price_of_zero_or_less_is_refused(seller, category, price):
    assert refused_field(lambda: products.create_product(seller, data(category, price=price))) == "price"


@pytest.mark.parametrize("price", ["", "abc", "1e3", "12,5.0.0", "NaN", "Infinity"])
def test_price_that_is_not_a_number_is_refused(seller, category, price):
    assert refused_field(lambda: products.create_product(seller, data(category, price=price))) == "price"


@pytest.mark.parametrize("price", ["12", "12.3", "12.30", "¥1,234.50", Decimal("7.5")])
def test_price_with_at_most_two_decimals_is_accepted(seller, category, price):
    product = products.create_product(seller, data(category, price=price))
    assert product.price == products.parse_amount(price)


@pytest.mark.parametrize("market_price", ["12.345", "0", "x"])
def test_market_price_follows_the_same_rules(seller, category, market_price):
    call = lambda: products.create_product(seller, data(category, market_price=market_price))  # noqa: E731
    assert refused_field(call) == "market_price"


def test_market_price_may_be_left_empty(seller, category):
    assert products.create_product(seller, data(category, market_price="")).market_price is None


@pytest.mark.parametrize("stock", ["1.5", "-1", "x", "", "10000000000"])
def test_stock_fractional_or_negative_is_refused(seller, category, stock):
    assert refused_field(lambda: products.create_product(seller, data(category, stock=stock))) == "stock"


@pytest.mark.parametrize("quantity", ["0", "1.5", "-2"])
def test_minimum_order_quantity_must_be_a_whole_number_from_one(seller, category, quantity):
    call = lambda: products.create_product(seller, data(category, min_order_quantity=quantity))  # noqa: E731
    assert refused_field(call) == "min_order_quantity"


@pytest.mark.parametrize("code", ["141102", "141100"])
def test_origin_that_is_not_a_poverty_county_is_refused(seller, category, code):
    call = lambda: products.create_product(seller, data(category, origin_region_id=region(code).id))  # noqa: E731
    assert refused_field(call) == "origin_region_id"


def test_the_form_names_the_refused_price_and_keeps_nothing(client, seller, category, login_as):
    login_as(seller)
    client.post("/lang/en")
    response = client.post("/supplier/products/new", data=form(category, price="12.345"))
    assert response.status_code == 200
    assert "Price: enter an amount in yuan greater than 0 with at most two decimals" in response.text
    assert db.session.scalar(select(Product.id)) is None


# --- creating, submitting and the status table -------------------------------------------------------------


def test_a_new_product_is_a_draft_and_submitting_sends_it_to_review(seller, category):
    product = products.create_product(seller, data(category))
    assert product.status == ProductStatus.draft
    products.apply_transition(seller, product, "submit")
    assert product.status == ProductStatus.pending
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == product.id)).all()
    assert actions == ["product.create", "product.submit"]


def test_the_form_saves_and_submits(client, seller, category, login_as):
    login_as(seller)
    response = client.post("/supplier/products/new", data=form(category, action="submit", is_green="y"))
    assert response.status_code == 302
    product = db.session.scalars(select(Product)).one()
    assert (product.status, product.price, product.stock, product.is_green) == (
        ProductStatus.pending,
        Decimal("45.00"),
        100,
        True,
    )
    assert product.supplier_id == seller.supplier_id


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (ProductStatus.draft, "delist"),
        (ProductStatus.pending, "submit"),
        (ProductStatus.listed, "submit"),
        (ProductStatus.delisted, "delist"),
        (ProductStatus.rejected, "relist"),
    ],
)
def test_steps_the_status_table_does_not_allow_are_refused(seller, make_product, status, action):
    product = make_product(supplier=seller.supplier, status=status)
    with pytest.raises(ProductError):
        products.apply_transition(seller, product, action)
    assert product.status == status


def test_a_supplier_cannot_approve_its_own_product(seller, make_product):
    product = make_product(supplier=seller.supplier, status=ProductStatus.pending)
    with pytest.raises(ProductError):
        products.apply_transition(seller, product, "approve")


def test_delist_then_relist_goes_through_review(client, seller, make_product, login_as):
    product = make_product(supplier=seller.supplier)
    login_as(seller)
    assert client.post(f"/supplier/products/{product.id}/delist").status_code == 302
    assert db.session.get(Product, product.id).status == ProductStatus.delisted
    assert client.post(f"/supplier/products/{product.id}/relist").status_code == 302
    assert db.session.get(Product, product.id).status == ProductStatus.pending
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == product.id)).all()
    assert actions == ["product.delist", "product.relist"]


def test_an_unknown_step_answers_404(client, seller, make_product, login_as):
    product = make_product(supplier=seller.supplier)
    login_as(seller)
    assert client.post(f"/supplier/products/{product.id}/approve").status_code == 404


# --- editing a listed product -------------------------------------------------------------------------------


def _listed(seller, category):
    product = products.create_product(seller, data(category))
    product.status, product.listed_at = ProductStatus.listed, product.created_at
    db.session.commit()
    return product


@pytest.mark.parametrize(
    "change", [{"price": "46.00"}, {"description": "新描述"}, {"name": "兴县黄小米"}, {"spec": "10kg/袋"}]
)
def test_editing_a_listed_products_price_or_text_sends_it_back_to_review(seller, category, change):
    product = _listed(seller, category)
    changed = products.update_product(seller, product, data(category, **change))
    assert changed == list(change)
    db.session.expire_all()  # what was written, not what the session holds
    expected = products.checked(data(category, **change))
    assert {key: getattr(product, key) for key in change} == {key: expected[key] for key in change}
    assert product.status == ProductStatus.pending
    assert not product.is_buyable
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == product.id)).all()
    assert actions[-2:] == ["product.update", "product.revise"]


def test_changing_only_stock_or_minimum_order_keeps_a_listed_product_listed(seller, category):
    product = _listed(seller, category)
    changed = products.update_product(seller, product, data(category, stock="7", min_order_quantity="3"))
    assert sorted(changed) == ["min_order_quantity", "stock"]
    assert (product.status, product.stock, product.min_order_quantity) == (ProductStatus.listed, 7, 3)


def test_editing_through_the_form_sends_a_listed_product_back_to_review(client, seller, category, login_as):
    product = _listed(seller, category)
    login_as(seller)
    response = client.post(f"/supplier/products/{product.id}", data=form(category, price="40.00"))
    assert response.status_code == 302
    product = db.session.get(Product, product.id)
    assert (product.status, product.price) == (ProductStatus.pending, Decimal("40.00"))


def test_saving_an_unchanged_product_writes_nothing(seller, category):
    product = products.create_product(seller, data(category))
    assert products.update_product(seller, product, data(category, price="45")) == []
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "product.update")) is None


# --- whose product -----------------------------------------------------------------------------------------


def test_another_suppliers_product_answers_404(client, seller, category, make_product, login_as):
    other = make_product(status=ProductStatus.draft)
    login_as(seller)
    assert client.get(f"/supplier/products/{other.id}").status_code == 404
    assert client.post(f"/supplier/products/{other.id}", data=form(category, price="1.00")).status_code == 404
    assert client.post(f"/supplier/products/{other.id}/submit").status_code == 404
    assert db.session.get(Product, other.id).status == ProductStatus.draft


def test_the_service_refuses_another_suppliers_product(seller, category, make_product):
    other = make_product()
    for call in (
        lambda: products.update_product(seller, other, data(category)),
        lambda: products.apply_transition(seller, other, "delist"),
        lambda: images.add_images(seller, other, [("a.png", BytesIO(picture()))]),
    ):
        with pytest.raises(ProductError):
            call()
    assert other.status == ProductStatus.listed


def test_the_list_shows_only_the_suppliers_own_products(client, seller, make_product, login_as):
    mine = make_product(supplier=seller.supplier, name="我的小米")
    make_product(name="别家的红枣")
    rejected = make_product(supplier=seller.supplier, name="被退回的核桃", status=ProductStatus.rejected)
    rejected.status_reason = "图片不清晰"
    db.session.commit()
    login_as(seller)
    page = client.get("/supplier/products/").text
    assert mine.name in page and "别家的红枣" not in page
    assert "图片不清晰" in page
    filtered = client.get("/supplier/products/?status=rejected").text
    assert "被退回的核桃" in filtered and mine.name not in filtered


@pytest.mark.parametrize("status", [SupplierStatus.applied, SupplierStatus.suspended])
def test_a_supplier_not_admitted_cannot_create_or_submit(
    client, make_supplier, make_user, make_product, category, login_as, status
):
    supplier = make_supplier(status=status)
    account = make_user(Role.supplier, supplier=supplier)
    draft = make_product(supplier=supplier, status=ProductStatus.draft)
    with pytest.raises(ProductError):
        products.create_product(account, data(category))
    with pytest.raises(ProductError):
        products.apply_transition(account, draft, "submit")
    login_as(account)
    client.post("/lang/en")
    assert client.get("/supplier/products/new").status_code == 302
    assert client.post("/supplier/products/new", data=form(category)).status_code == 302
    page = client.get(f"/supplier/products/{draft.id}").text
    assert "products are read-only" in page
    assert 'name="price"' not in page
    client.post(f"/supplier/products/{draft.id}/submit")
    assert db.session.get(Product, draft.id).status == ProductStatus.draft
    assert db.session.scalars(select(Product.id)).all() == [draft.id]


@pytest.mark.parametrize("role", [Role.purchaser, Role.unit_manager, Role.finance, Role.operator])
def test_other_roles_are_refused_the_console(client, users, login_as, role):
    login_as(users[role])
    assert client.get("/supplier/products/").status_code == 403
    assert client.get("/supplier/products/new").status_code == 403


def test_the_list_costs_the_same_queries_for_2_or_15_products(
    client, seller, make_product, make_category, login_as, count_queries
):
    def grow(count):
        for _ in range(count):
            product = make_product(supplier=seller.supplier, category=make_category())
            db.session.add(
                ProductImage(product=product, filename="a.png", thumbnail="t.png", content_type="x")
            )
        db.session.commit()

    login_as(seller)
    grow(2)
    client.get("/supplier/products/")
    with count_queries() as few:
        assert client.get("/supplier/products/").status_code == 200
    grow(13)
    with count_queries() as many:
        assert client.get("/supplier/products/").status_code == 200
    assert len(many) == len(few)


def test_the_suppliers_home_shows_rejected_and_waiting_products(client, seller, make_product, login_as):
    make_product(supplier=seller.supplier, name="被退回的核桃", status=ProductStatus.rejected)
    make_product(supplier=seller.supplier, name="审核中的红枣", status=ProductStatus.pending)
    login_as(seller)
    client.post("/lang/en")
    page = client.get("/").text
    assert "Products rejected" in page and "被退回的核桃" in page
    assert "Products awaiting review" in page and "审核中的红枣" in page
