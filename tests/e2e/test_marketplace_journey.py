"""Issue 3's journey in a real browser: a purchaser finds products by a Chinese word, fills a cart from
three suppliers and checks out into three orders; each supplier ships; the purchaser accepts, evaluates
and returns a line, and the supplier accepts the return."""

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from accounts.models import Role, User
from shop.catalogue.models import Product, ProductStatus
from shop.extensions import db
from shop.orders.models import Order
from tests.e2e.test_foundation_journeys import log_in, log_out


def _three_products_of_three_suppliers(app, word: str) -> list[Product]:
    with app.app_context():
        products = db.session.scalars(
            select(Product)
            .where(
                Product.status == ProductStatus.listed,
                Product.name.contains(word),
                Product.stock >= 10,
            )
            .order_by(Product.id)
        ).all()
        chosen, suppliers = [], set()
        for product in products:
            if product.supplier_id not in suppliers:
                chosen.append(product)
                suppliers.add(product.supplier_id)
        assert len(chosen) >= 3, f"the demo needs three suppliers selling {word}"
        return chosen[:3]


def _supplier_username(app, supplier_id: int) -> str:
    with app.app_context():
        return db.session.scalar(
            select(User.username)
            .where(User.role == Role.supplier, User.supplier_id == supplier_id)
            .order_by(User.id)
            .limit(1)
        )


def test_search_cart_checkout_ship_accept_evaluate_return(page: Page, live_server, e2e_app):
    products = _three_products_of_three_suppliers(e2e_app, "小米")
    log_in(page, live_server, "demo_purchaser")
    page.goto(f"{live_server}/catalogue/?q=小米")
    expect(page.locator("main")).to_contain_text("小米")
    for product in products:
        page.goto(f"{live_server}/catalogue/{product.id}")
        page.fill("#add-to-cart input[name=quantity]", str(max(product.min_order_quantity, 2)))
        page.click("#add-to-cart button[type=submit]")
    page.goto(f"{live_server}/cart/")
    page.goto(f"{live_server}/cart/checkout")
    page.fill("input[name=address]", "吕梁市离石区滨河北中路 88 号 市教育局食堂")
    page.fill("input[name=contact]", "王师傅")
    page.fill("input[name=phone]", "13800138000")
    page.click("#checkout-form button[type=submit]")
    expect(page.locator(".flash-error")).to_have_count(0)

    with e2e_app.app_context():
        orders = db.session.scalars(
            select(Order).where(Order.delivery_contact == "王师傅").order_by(Order.id.desc()).limit(3)
        ).all()
        assert {order.supplier_id for order in orders} == {product.supplier_id for product in products}
        assert (
            db.session.scalar(
                select(func.count()).select_from(Order).where(Order.delivery_contact == "王师傅")
            )
            == 3
        )
    log_out(page)

    for order in orders:
        log_in(page, live_server, _supplier_username(e2e_app, order.supplier_id))
        page.goto(f"{live_server}/orders/{order.id}")
        page.fill("input[name=carrier]", "顺丰速运")
        page.fill("input[name=tracking_number]", f"SF{order.id:010d}")
        page.click(f"form[action='/orders/{order.id}/ship'] button")
        expect(page.locator(".flash-error")).to_have_count(0)
        log_out(page)

    log_in(page, live_server, "demo_purchaser")
    first = orders[0]
    page.goto(f"{live_server}/orders/{first.id}")
    page.fill("textarea[name=acceptance_note]", "数量、质量验收合格")
    page.click(f"form[action='/orders/{first.id}/receive'] button")
    expect(page.locator(".flash-error")).to_have_count(0)

    page.click(f"a[href='/aftersales/orders/{first.id}/evaluate']")
    for score in ("quality", "delivery", "service"):
        page.check(f"input[name={score}][value='5']")
    page.fill("textarea[name=comment]", "小米品质好，送货及时。")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash-error")).to_have_count(0)

    page.goto(f"{live_server}/orders/{first.id}")
    page.click(f"a[href='/aftersales/orders/{first.id}/return']")
    page.locator("input[type=number]:not([disabled])").first.fill("1")
    page.fill("textarea[name=reason]", "一袋包装破损")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash-error")).to_have_count(0)
    log_out(page)

    with e2e_app.app_context():
        from shop.aftersales.models import ReturnRequest

        request_id = db.session.scalar(
            select(ReturnRequest.id)
            .where(ReturnRequest.order_id == first.id)
            .order_by(ReturnRequest.id.desc())
        )
    log_in(page, live_server, _supplier_username(e2e_app, first.supplier_id))
    page.goto(f"{live_server}/aftersales/returns/{request_id}")
    page.click("form[action$='/accept'] button")
    expect(page.locator(".flash-error")).to_have_count(0)
    with e2e_app.app_context():
        from shop.aftersales.models import Refund

        assert (
            db.session.scalar(select(func.count()).select_from(Refund).where(Refund.order_id == first.id))
            == 1
        )
