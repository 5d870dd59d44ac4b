"""Object-level rules for marketplace objects, one small section per topic.

Builds on ``accounts.policy``; views still declare their audience there (``public``, ``signed_in``,
``roles``) and call these rules at their top.
"""

from sqlalchemy import select

from accounts.models import BudgetUnit, Role, User
from accounts.models.orgs import subtree_select
from accounts.policy import region_subtree
from shop.catalogue.models import Product
from shop.extensions import db
from shop.orders.models import Order

# --- the catalogue (shop/catalogue/) ---------------------------------------------------------------------


def can_view_product(user: User, product: Product) -> bool:
    """A listed product of an admitted supplier, to anyone signed in; any other product only to its own
    supplier and to the operator (who reviews it). Buyers never learn that an unlisted product exists."""
    if product.is_buyable:
        return True
    if user.role == Role.operator:
        return True
    return user.role == Role.supplier and user.supplier_id == product.supplier_id


# --- the supplier's products and their review (shop/catalogue/product_views.py, review_views.py) ---------


def owns_product(user: User, product: Product) -> bool:
    """A supplier's console shows and changes its own products only; another's answers 404."""
    return user.role == Role.supplier and user.supplier_id == product.supplier_id


def can_view_product_image(user: User, image) -> bool:
    """A picture is seen by whoever sees its product (``can_view_product``)."""
    return can_view_product(user, image.product)


# --- the cart (shop/cart/) ---------------------------------------------------------------------------------


def owns_cart_item(user: User, item) -> bool:
    """A cart line is its purchaser's alone: anyone else gets 404, not a hint that it exists."""
    return item.user_id == user.id


# --- orders, returns and evaluations (shop/orders/, shop/aftersales/) ------------------------------

#: Who buys for a budget unit: its purchasers and its manager.
ORDER_BUYERS = (Role.purchaser, Role.unit_manager)


def order_scope(user: User):
    """A where-clause restricting ``Order`` to the orders the user may see, or None for all (operator).

    A purchaser sees its own unit's orders; a unit manager its unit's and, when it supervises others,
    theirs too (DESIGN.md: a supervising unit's manager sees its subordinate units); a supplier its own
    orders; a finance bureau the orders of the units in its region's subtree.
    """
    if user.role == Role.unit_manager:
        return Order.unit_id.in_(subtree_select(BudgetUnit, user.unit_id, name="managed_units"))
    if user.role in ORDER_BUYERS:
        return Order.unit_id == user.unit_id
    if user.role == Role.supplier:
        return Order.supplier_id == user.supplier_id
    if user.role == Role.finance:
        return Order.unit_id.in_(
            select(BudgetUnit.id).where(BudgetUnit.region_id.in_(region_subtree(user.region_id)))
        )
    if user.role == Role.operator:
        return None
    return Order.id.is_(None)


def order_party(user: User | None, order) -> str | None:
    """Which side of ``order`` the user acts for: ``"buyer"`` (a purchaser or the manager of the buying
    unit), ``"supplier"`` (an account of the selling supplier), or None (no side: may act on nothing)."""
    if user is None:
        return None
    if user.role in ORDER_BUYERS and user.unit_id == order.unit_id:
        return "buyer"
    if user.role == Role.supplier and user.supplier_id == order.supplier_id:
        return "supplier"
    return None


def can_view_order(user: User, order) -> bool:
    """The order's two sides, the operator, and (``order_scope``) a finance bureau over the buying unit or
    the manager of a unit supervising it. Only the two sides act on an order (``order_party``)."""
    if order_party(user, order) is not None or user.role == Role.operator:
        return True
    if user.role not in (Role.finance, Role.unit_manager):
        return False
    return db.session.scalar(select(Order.id).where(Order.id == order.id, order_scope(user))) is not None


def can_view_return(user: User, request) -> bool:
    """A return request is seen by whoever sees its order."""
    return can_view_order(user, request.order)


# --- invoices and credit notes (shop/invoices/) ------------------------------------------------------------


def invoice_scope(user: User):
    """A where-clause restricting ``Invoice`` to the documents the user may download, or None for all
    (operator): whoever sees the order (``order_scope``), read from the invoice's own buyer and seller
    columns so a finance bureau's month of documents needs no join through the orders."""
    from shop.invoices.models import Invoice

    if user.role == Role.unit_manager:
        return Invoice.unit_id.in_(subtree_select(BudgetUnit, user.unit_id, name="managed_units"))
    if user.role in ORDER_BUYERS:
        return Invoice.unit_id == user.unit_id
    if user.role == Role.supplier:
        return Invoice.supplier_id == user.supplier_id
    if user.role == Role.finance:
        return Invoice.unit_id.in_(
            select(BudgetUnit.id).where(BudgetUnit.region_id.in_(region_subtree(user.region_id)))
        )
    if user.role == Role.operator:
        return None
    return Invoice.id.is_(None)


def can_view_invoice(user: User, invoice) -> bool:
    """The buying unit (and a unit supervising it), the supplier, the finance bureau over the buying unit,
    the operator (``invoice_scope``)."""
    from shop.invoices.models import Invoice

    scope = invoice_scope(user)
    if scope is None:
        return True
    return db.session.scalar(select(Invoice.id).where(Invoice.id == invoice.id, scope)) is not None
