"""The operator's product review: the queue of pending products beside their suppliers' admission data, a
product's review page with approve / reject, and the list of all products with the price flag. The
category pages share this blueprint (``category_views``)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from accounts import policy
from accounts.home import Panel, home_panel
from accounts.models import Region, Role, Supplier, User
from shop.catalogue import prices, products
from shop.catalogue.models import Product, ProductStatus
from shop.common import DomainError, newest_first_page
from shop.extensions import db

bp = Blueprint("review", __name__, url_prefix="/review")

PAGE_SIZE = 50


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])


def _with_supplier(query):
    """Everything a review row shows, loaded with the rows (a constant number of queries)."""
    return query.options(
        joinedload(Product.supplier).joinedload(Supplier.region),
        joinedload(Product.category),
        joinedload(Product.origin_region).joinedload(Region.parent),
        selectinload(Product.images),
    )


@bp.route("/")
@policy.roles(Role.operator)
def queue():
    """Pending products, the longest waiting first, with their suppliers' admission data and the price flag,
    a page at a time (``page``; no count)."""
    page = max(request.args.get("page", 1, type=int), 1)
    query = _with_supplier(select(Product).where(Product.status == ProductStatus.pending))
    # ``updated_at`` is when the product was last submitted or changed while waiting.
    rows = db.session.scalars(
        query.order_by(Product.updated_at, Product.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    margin = prices.price_flag_margin()
    return render_template(
        "shop/review/queue.html",
        products=rows[:PAGE_SIZE],
        flagged={product.id for product in rows if _flagged(product, margin)},
        margin_percent=_percent(margin),
        page=page,
        has_next=len(rows) > PAGE_SIZE,
    )


@bp.route("/products")
@policy.roles(Role.operator)
def products_list():
    """All products, newest first, filtered by status, supplier, a text and the price flag (``before``)."""
    status = request.args.get("status", "")
    supplier_id = request.args.get("supplier", type=int)
    text = request.args.get("q", "").strip()[:64]
    flagged_only = request.args.get("flagged") == "1"
    before = request.args.get("before", type=int)
    margin = prices.price_flag_margin()

    query = _with_supplier(select(Product).join(Product.supplier))
    if status in ProductStatus.__members__:
        query = query.where(Product.status == ProductStatus(status))
    if supplier_id:
        query = query.where(Product.supplier_id == supplier_id)
    if text:
        query = query.where(
            or_(Product.name.icontains(text, autoescape=True), Supplier.name.icontains(text, autoescape=True))
        )
    if flagged_only:
        query = query.where(prices.price_flag_condition(margin))
    rows, next_before = newest_first_page(query, Product, before, PAGE_SIZE)
    filters = {
        "status": status,
        "supplier": supplier_id or "",
        "q": text,
        "flagged": "1" if flagged_only else "",
    }
    return render_template(
        "shop/review/products.html",
        products=rows,
        next_before=next_before,
        flagged={product.id for product in rows if _flagged(product, margin)},
        margin_percent=_percent(margin),
        statuses=list(ProductStatus),
        filters=filters,
        supplier=db.session.get(Supplier, supplier_id) if supplier_id else None,
        page_args={key: value for key, value in filters.items() if value},
    )


@bp.route("/products/<int:product_id>")
@policy.roles(Role.operator)
def product(product_id: int):
    """A product as the reviewer sees it: every fact, pictures, the supplier, the price flag, the decision.

    :raise 404: no such product.
    """
    item = db.session.scalars(_with_supplier(select(Product).where(Product.id == product_id))).first()
    if item is None:
        abort(404)
    margin = prices.price_flag_margin()
    return render_template(
        "shop/review/product.html",
        product=item,
        flagged=_flagged(item, margin),
        margin_percent=_percent(margin),
        may_decide=products.may_transition(current_user, item, "approve"),
        form=ReasonForm(),
    )


@bp.route("/products/<int:product_id>/approve", methods=["POST"])
@policy.roles(Role.operator)
def approve(product_id: int):
    """Pending → listed; the supplier's accounts are told. :raise 404: no such product."""
    return _decide(product_id, "approve")


@bp.route("/products/<int:product_id>/reject", methods=["POST"])
@policy.roles(Role.operator)
def reject(product_id: int):
    """Pending → rejected with a required reason, which the supplier reads. :raise 404: no such product."""
    return _decide(product_id, "reject")


def _decide(product_id: int, action: str):
    item = db.session.get(Product, product_id)
    if item is None:
        abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        for message in form.reason.errors:
            flash(message, "error")
        return redirect(url_for("review.product", product_id=product_id))
    try:
        products.apply_transition(current_user, item, action, form.reason.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
        return redirect(url_for("review.product", product_id=product_id))
    db.session.commit()
    flash(
        _("%(name)s is now “%(status)s”.", name=item.name, status=products.status_label(item.status)),
        "success",
    )
    return redirect(url_for("review.queue"))


def _percent(margin) -> str:
    return f"{(margin * 100).normalize():f}"


def _flagged(product: Product, margin) -> bool:
    return prices.is_price_flagged(product.price, product.market_price, margin)


# --- home panel --------------------------------------------------------------------------------------------


@home_panel(Role.operator, order=31)
def products_to_review(user: User) -> Panel:
    """How many products wait for review and how many of them carry the price flag (one query)."""
    flag = prices.price_flag_condition(prices.price_flag_margin())
    count, flagged = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((flag, 1), else_=0)), 0)).where(
            Product.status == ProductStatus.pending
        )
    ).one()
    items = []
    if flagged:
        items.append(
            (
                _("%(count)d priced above the market reference", count=flagged),
                url_for("review.products_list", status="pending", flagged="1"),
            )
        )
    return Panel(
        title=_("Products to review"),
        count=count,
        link=url_for("review.queue"),
        link_text=_("Product review"),
        items=items,
    )


# The category pages are routes of this blueprint.
from shop.catalogue import category_views  # noqa: E402, F401
