"""The catalogue every signed-in user browses, the product page, and the buyers' favourites."""

import functools
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import BuildError

from accounts import policy
from accounts.models import Role, Supplier
from shop import policy as shop_policy
from shop.aftersales import ratings
from shop.catalogue import browse, product_page
from shop.catalogue import favourites as favourite_list
from shop.catalogue.browse import Certification, Sort
from shop.catalogue.choices import filter_choices
from shop.common import DomainError
from shop.extensions import db

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")

#: Who keeps favourites: the buyers.
BUYERS = (Role.purchaser, Role.unit_manager)

SORT_LABELS = {
    Sort.relevance: _l("Relevance"),
    Sort.newest: _l("Newest"),
    Sort.price_asc: _l("Price, low to high"),
    Sort.price_desc: _l("Price, high to low"),
    Sort.sales: _l("Best selling"),
}

CERTIFICATION_LABELS = {
    Certification.certified: _l("Certified poverty-relief product"),
    Certification.green: _l("Green food"),
    Certification.organic: _l("Organic"),
    Certification.geographic_indication: _l("Geographical indication"),
}


@bp.app_template_global("catalogue_image_url")
def image_url(image_id: int | None, thumbnail: bool = True) -> str | None:
    """The address of a product image (its thumbnail unless told otherwise), or None to show a placeholder.

    Images are served by the endpoint ``products.image(image_id, size='thumb'|None)`` of the products
    package; while it is absent, or the user may not open it, every product shows the placeholder.
    """
    if image_id is None or not policy.can_access("products.image"):
        return None
    try:
        return url_for("products.image", image_id=image_id, **({"size": "thumb"} if thumbnail else {}))
    except BuildError:
        return None


@functools.lru_cache(maxsize=8)
def _labels(locale: str) -> tuple[dict[Sort, str], dict[Certification, str]]:
    """The sort and certification labels translated into ``locale`` (the current one), once per language
    rather than once per badge and page."""
    return (
        {sort: str(text) for sort, text in SORT_LABELS.items()},
        {cert: str(text) for cert, text in CERTIFICATION_LABELS.items()},
    )


def _dialect() -> str:
    return db.session.get_bind().dialect.name


@bp.route("/")
@policy.signed_in
def index():
    """The catalogue: products on sale, searched, filtered, sorted and paged (no full count)."""
    query, errors = browse.CatalogueQuery.from_args(request.args)
    for error in errors:
        flash(_(error), "error")
    page = browse.catalogue_page(query, _dialect())
    categories, counties = filter_choices()
    sort_labels, certification_labels = _labels(str(get_locale()))
    return render_template(
        "shop/catalogue/index.html",
        query=query,
        page=page,
        categories=categories,
        counties=counties,
        supplier=_admitted_supplier(query.supplier_id),
        sorts=[sort for sort in Sort if sort != Sort.relevance or query.text],
        sort_labels=sort_labels,
        certification_labels=certification_labels,
        images_served=policy.can_access("products.image"),
        max_page=browse.MAX_PAGE,
    )


@bp.route("/<int:product_id>")
@policy.signed_in
def product(product_id: int):
    """A product's page: images, supplier, origin, stock, prices and the supplier's evaluations.

    :raise 404: no such product, or it is not on sale and the user is neither its supplier nor the operator.
    """
    item = product_page.product_with_details(product_id)
    if item is None or not shop_policy.can_view_product(current_user, item):
        abort(404)
    keeps_favourites = current_user.role in BUYERS
    return render_template(
        "shop/catalogue/product.html",
        product=item,
        rating=ratings.supplier_ratings({item.supplier_id}).get(item.supplier_id),
        evaluations=product_page.latest_evaluations(item.supplier_id),
        keeps_favourites=keeps_favourites,
        is_favourite=keeps_favourites and favourite_list.is_favourite(current_user, item),
        certification_labels=CERTIFICATION_LABELS,
    )


@bp.route("/favourites")
@policy.roles(*BUYERS)
def favourites():
    """The user's own favourites, newest first, a page at a time (``before``: the last id shown)."""
    rows, next_before = favourite_list.favourites_page(current_user, request.args.get("before", type=int))
    return render_template("shop/catalogue/favourites.html", favourites=rows, next_before=next_before)


@bp.route("/<int:product_id>/favourite", methods=["POST"])
@policy.roles(*BUYERS)
def favourite_add(product_id: int):
    """Keep a product on sale among the user's favourites.

    :raise 404: the user may not see the product.
    """
    item = product_page.product_with_details(product_id)
    if item is None or not shop_policy.can_view_product(current_user, item):
        abort(404)
    try:
        favourite_list.add_favourite(current_user, item)
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        flash(_("Added to your favourites."), "success")
    return redirect(_back(url_for("catalogue.product", product_id=product_id)))


@bp.route("/<int:product_id>/favourite/remove", methods=["POST"])
@policy.roles(*BUYERS)
def favourite_remove(product_id: int):
    """Drop a product from the user's favourites (whatever its status now)."""
    favourite_list.remove_favourite(current_user, product_id)
    db.session.commit()
    flash(_("Removed from your favourites."), "success")
    return redirect(_back(url_for("catalogue.favourites")))


def _admitted_supplier(supplier_id: int | None) -> Supplier | None:
    """The supplier the catalogue is filtered by, to name it (only one that sells: others list nothing)."""
    supplier = db.session.get(Supplier, supplier_id) if supplier_id else None
    return supplier if supplier is not None and supplier.can_list_products else None


def _back(default: str) -> str:
    """The form's ``next`` when it is a path on this site, else ``default``."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
