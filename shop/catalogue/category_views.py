"""The operator's categories: list, add, rename and reorder (``position``); a category no product uses may
be deleted, one in use may not. Routes of the review blueprint (``review.categories`` …).

The few category services live here too, above the views: they take explicit arguments, audit
(``category.create`` / ``update`` / ``delete``), flush and raise ``ProductError``; the views commit.
"""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange

from accounts import audit, policy
from accounts.models import Role, User
from shop.catalogue.models import Category, Product
from shop.catalogue.products import ProductError
from shop.catalogue.review_views import bp
from shop.common import N_, DomainError
from shop.extensions import db

# --- services --------------------------------------------------------------------------------------------


def _category_values(name: str | None, position: int | None, category: Category | None = None) -> tuple:
    name = " ".join((name or "").split())
    if not name or len(name) > 64:
        raise ProductError(N_("Enter the category name (at most 64 characters)."), field="name")
    taken = select(Category.id).where(Category.name == name)
    if category is not None:
        taken = taken.where(Category.id != category.id)
    if db.session.scalar(taken) is not None:
        raise ProductError(N_("There is already a category named %(name)s."), field="name", name=name)
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 9999:
        raise ProductError(N_("The position must be a whole number from 0 to 9999."), field="position")
    return name, position


def add_category(actor: User, name: str | None, position: int | None = 0) -> Category:
    """Operator adds a category. :raise ProductError: empty, too long or taken name; bad position."""
    name, position = _category_values(name, position)
    category = Category(name=name, position=position)
    db.session.add(category)
    db.session.flush()
    audit.record(actor, "category.create", category, name=name, position=position)
    return category


def change_category(actor: User, category: Category, name: str | None, position: int | None) -> None:
    """Operator renames or moves a category. :raise ProductError: as ``add_category``."""
    name, position = _category_values(name, position, category)
    before = {"name": category.name, "position": category.position}
    if before == {"name": name, "position": position}:
        return
    category.name, category.position = name, position
    audit.record(
        actor, "category.update", category, before=before, after={"name": name, "position": position}
    )
    db.session.flush()


def delete_category(actor: User, category: Category) -> None:
    """Operator deletes a category no product uses. :raise ProductError: the category is in use."""
    if db.session.scalar(select(Product.id).where(Product.category_id == category.id).limit(1)) is not None:
        raise ProductError(
            N_("The category %(name)s has products: it cannot be deleted (rename it instead)."),
            name=category.name,
        )
    audit.record(actor, "category.delete", category, name=category.name)
    db.session.delete(category)
    db.session.flush()


# --- views -------------------------------------------------------------------------------------------------


class CategoryForm(FlaskForm):
    name = StringField(_l("Category name"))
    position = IntegerField(
        _l("Position"), default=0, validators=[InputRequired(), NumberRange(min=0, max=9999)]
    )


def _render(form: CategoryForm):
    counts = dict(
        db.session.execute(select(Product.category_id, func.count()).group_by(Product.category_id)).all()
    )
    return render_template(
        "shop/review/categories.html",
        categories=db.session.scalars(select(Category).order_by(Category.position, Category.name)).all(),
        counts=counts,
        form=form,
    )


@bp.route("/categories", methods=["GET", "POST"])
@policy.roles(Role.operator)
def categories():
    """Every category (in menu order) with its number of products, and the form to add one."""
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = add_category(current_user, form.name.data, form.position.data)
        except DomainError as error:
            db.session.rollback()
            _flash_error(form, error)
        else:
            db.session.commit()
            flash(_("Category %(name)s added.", name=category.name), "success")
            return redirect(url_for("review.categories"))
    else:
        _flash_form_errors(form)
    return _render(form)


@bp.route("/categories/<int:category_id>", methods=["POST"])
@policy.roles(Role.operator)
def category_update(category_id: int):
    """Rename a category or change its position. :raise 404: no such category."""
    category = db.get_or_404(Category, category_id)
    form = CategoryForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(url_for("review.categories"))
    try:
        change_category(current_user, category, form.name.data, form.position.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        flash(_("Category %(name)s saved.", name=category.name), "success")
    return redirect(url_for("review.categories"))


@bp.route("/categories/<int:category_id>/delete", methods=["POST"])
@policy.roles(Role.operator)
def category_delete(category_id: int):
    """Delete a category no product uses (one in use is refused with a message). :raise 404: none such."""
    category = db.get_or_404(Category, category_id)
    name = category.name
    try:
        delete_category(current_user, category)
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        flash(_("Category %(name)s deleted.", name=name), "success")
    return redirect(url_for("review.categories"))


def _flash_error(form: CategoryForm, error: DomainError) -> None:
    message = error.translated()
    flash(message, "error")
    field = getattr(error, "field", None)
    if field and field in form:
        form[field].errors = [*form[field].errors, message]


def _flash_form_errors(form: CategoryForm) -> None:
    for field in (form.name, form.position):
        for message in field.errors:
            flash(f"{field.label.text}: {message}", "error")
