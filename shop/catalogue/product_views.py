"""The supplier console: a supplier's own products, their form and pictures, submitting for review, delisting
and relisting; and the picture view every product page uses."""

from flask import Blueprint, abort, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import BooleanField, MultipleFileField, SelectField, StringField, TextAreaField

from accounts import policy
from accounts.home import Panel, home_panel
from accounts.models import Role, User
from accounts.views.common import show_error
from accounts.views.suppliers import poverty_county_choices
from shop import policy as shop_policy
from shop.catalogue import images, products
from shop.catalogue.models import Category, Product, ProductImage, ProductStatus
from shop.common import DomainError, newest_first_page
from shop.extensions import db

bp = Blueprint("products", __name__, url_prefix="/supplier/products")

PAGE_SIZE = 50

ACTION_LABELS = {
    "submit": _l("Submit for review"),
    "delist": _l("Delist"),
    "relist": _l("Relist (review again)"),
}


@bp.app_template_global("product_status_label")
def product_status_label(status: ProductStatus) -> str:
    return products.status_label(status)


# --- the form ----------------------------------------------------------------------------------------------


def _optional_int(value) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def category_choices() -> list[tuple[str, str]]:
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.name)).all()
    return [("", _("Choose…"))] + [(str(category.id), category.name) for category in categories]


class ProductForm(FlaskForm):
    """What a supplier enters; the service checks every rule (amounts, whole numbers, poverty county …), so
    the fields take text and the messages name the field."""

    category_id = SelectField(_l("Category"), coerce=_optional_int, validate_choice=False)
    name = StringField(_l("Product name"))
    spec = StringField(_l("Specification"))
    unit = StringField(_l("Sales unit"))
    price = StringField(_l("Price (yuan)"))
    market_price = StringField(_l("Market reference price (yuan)"))
    stock = StringField(_l("Stock"), default="0")
    min_order_quantity = StringField(_l("Minimum order quantity"), default="1")
    origin_region_id = SelectField(_l("Origin (poverty county)"), coerce=_optional_int, validate_choice=False)
    certification_number = StringField(_l("Poverty-relief product certificate No."))
    is_green = BooleanField(_l("Green food"))
    is_organic = BooleanField(_l("Organic"))
    is_geographic_indication = BooleanField(_l("Geographical indication"))
    description = TextAreaField(_l("Description"))
    images = MultipleFileField(_l("Add pictures"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = category_choices()
        self.origin_region_id.choices = poverty_county_choices()

    def product_data(self) -> products.ProductData:
        return products.ProductData(
            category_id=self.category_id.data,
            name=self.name.data,
            spec=self.spec.data,
            unit=self.unit.data,
            price=self.price.data,
            market_price=self.market_price.data,
            stock=self.stock.data,
            min_order_quantity=self.min_order_quantity.data,
            origin_region_id=self.origin_region_id.data,
            certification_number=self.certification_number.data,
            is_green=self.is_green.data,
            is_organic=self.is_organic.data,
            is_geographic_indication=self.is_geographic_indication.data,
            description=self.description.data,
        )


def _uploads() -> list[tuple[str, object]]:
    # An empty file input still sends a part with no file name: that is "no picture chosen". The name is
    # only quoted in messages; the content decides what the file is.
    return [
        (file.filename, file.stream) for file in request.files.getlist("images") if file and file.filename
    ]


def _own_product_or_404(product_id: int) -> Product:
    """:raise 404: no such product, or another supplier's."""
    product = db.session.get(Product, product_id, options=[selectinload(Product.images)])
    if product is None or not shop_policy.owns_product(current_user, product):
        abort(404)
    return product


def _render_form(form: ProductForm, product: Product | None):
    supplier = current_user.supplier
    return render_template(
        "shop/products/form.html",
        form=form,
        product=product,
        may_sell=supplier.can_list_products,
        supplier=supplier,
        actions=[(name, ACTION_LABELS[name]) for name in products.available_actions(current_user, product)]
        if product is not None
        else [],
        max_images=images.MAX_IMAGES,
        max_megabytes=f"{images.max_bytes() / 1024 / 1024:g}",
    )


# --- the console -------------------------------------------------------------------------------------------


@bp.route("/")
@policy.roles(Role.supplier)
def index():
    """The supplier's own products, newest first, filtered by status, a page at a time (``before``)."""
    status = request.args.get("status", "")
    before = request.args.get("before", type=int)
    query = (
        select(Product)
        .options(joinedload(Product.category), selectinload(Product.images))
        .where(Product.supplier_id == current_user.supplier_id)
    )
    if status in ProductStatus.__members__:
        query = query.where(Product.status == ProductStatus(status))
    rows, next_before = newest_first_page(query, Product, before, PAGE_SIZE)
    return render_template(
        "shop/products/index.html",
        products=rows,
        next_before=next_before,
        statuses=list(ProductStatus),
        status=status,
        supplier=current_user.supplier,
    )


@bp.route("/new", methods=["GET", "POST"])
@policy.roles(Role.supplier)
def new():
    """Add a product: saved as a draft, or submitted for review at once (``action=submit``)."""
    if not current_user.supplier.can_list_products:
        flash(_("Your supplier is not admitted to the platform now: its products are read-only."), "error")
        return redirect(url_for("products.index"))
    form = ProductForm()
    if form.validate_on_submit():
        try:
            product = products.create_product(current_user, form.product_data())
            images.add_images(current_user, product, _uploads())
            if request.form.get("action") == "submit":
                products.apply_transition(current_user, product, "submit")
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_saved_message(product), "success")
            return redirect(url_for("products.edit", product_id=product.id))
    return _render_form(form, None)


@bp.route("/<int:product_id>", methods=["GET", "POST"])
@policy.roles(Role.supplier)
def edit(product_id: int):
    """A product's form (read-only facts while the supplier is not admitted).

    Changing a listed product's reviewed facts (price, name, spec, description …) or adding a picture sends
    it back to review; stock and minimum order quantity do not.

    :raise 404: no such product, or another supplier's.
    """
    product = _own_product_or_404(product_id)
    form = ProductForm(obj=product)
    if form.validate_on_submit():
        was_listed = product.status == ProductStatus.listed
        try:
            changed = products.update_product(current_user, product, form.product_data())
            removed = images.remove_images(
                current_user, product, request.form.getlist("remove_image", type=int)
            )
            added = images.add_images(current_user, product, _uploads())
            submit = request.form.get("action") == "submit"
            if submit and product.status in (ProductStatus.draft, ProductStatus.rejected):
                products.apply_transition(current_user, product, "submit")
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            if not (changed or removed or added or submit):
                flash(_("Nothing changed."), "info")
            elif was_listed and product.status == ProductStatus.pending:
                flash(
                    _("Saved. The product is back in review: buyers see it again once approved."), "warning"
                )
            else:
                flash(_saved_message(product), "success")
            return redirect(url_for("products.edit", product_id=product.id))
    return _render_form(form, product)


def _saved_message(product: Product) -> str:
    if product.status == ProductStatus.pending:
        return _("Saved and submitted for review.")
    return _("Saved.")


@bp.route("/<int:product_id>/<action>", methods=["POST"])
@policy.roles(Role.supplier)
def transition(product_id: int, action: str):
    """Submit for review, delist or relist one of the supplier's products.

    :raise 404: unknown step, no such product, or another supplier's.
    """
    if action not in products.SUPPLIER_ACTIONS:
        abort(404)
    product = _own_product_or_404(product_id)
    try:
        products.apply_transition(current_user, product, action)
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        flash(
            _(
                "%(name)s is now “%(status)s”.",
                name=product.name,
                status=products.status_label(product.status),
            ),
            "success",
        )
    return redirect(url_for("products.edit", product_id=product_id))


@bp.route("/images/<int:image_id>")
@policy.signed_in
def image(image_id: int):
    """A product picture (``size=thumb`` for the thumbnail), to whoever may see its product.

    The file is looked up by the picture's id and sent with the content type found when it was checked;
    ``nosniff`` keeps browsers from guessing another.

    :raise 404: no such picture, its file is gone, or the user may not see its product.
    """
    picture = db.session.get(
        ProductImage, image_id, options=[joinedload(ProductImage.product).joinedload(Product.supplier)]
    )
    if picture is None or not shop_policy.can_view_product_image(current_user, picture):
        abort(404)
    folder, name = images.stored_path(picture, thumbnail=request.args.get("size") == "thumb")
    response = send_from_directory(folder, name, mimetype=picture.content_type, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Only signed-in users may see it: no shared cache keeps a copy.
    response.cache_control.public = False
    response.cache_control.private = True
    return response


# --- home panels -------------------------------------------------------------------------------------------


def _status_panel(user: User, status: ProductStatus, title: str) -> Panel:
    own = select(Product).where(Product.supplier_id == user.supplier_id, Product.status == status)
    count = db.session.scalar(select(func.count()).select_from(own.subquery()))
    first = db.session.scalars(own.order_by(Product.updated_at.desc()).limit(5)).all() if count else []
    return Panel(
        title=title,
        count=count,
        link=url_for("products.index", status=status.value),
        link_text=_("My products"),
        items=[
            (
                f"{product.name}: {product.status_reason}" if product.status_reason else product.name,
                url_for("products.edit", product_id=product.id),
            )
            for product in first
        ],
    )


@home_panel(Role.supplier, order=20)
def products_rejected(user: User) -> Panel:
    return _status_panel(user, ProductStatus.rejected, _("Products rejected"))


@home_panel(Role.supplier, order=21)
def products_awaiting_review(user: User) -> Panel:
    return _status_panel(user, ProductStatus.pending, _("Products awaiting review"))
