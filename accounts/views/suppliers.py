"""Supplier registration, the supplier's own application page, the review list and the admission steps."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms import IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from accounts import policy
from accounts import suppliers as supplier_services
from accounts.home import Panel, home_panel
from accounts.labels import label
from accounts.models import Region, RegionLevel, Role, Supplier, SupplierKind, SupplierStatus, User
from accounts.views import common
from shop.common import N_, DomainError, newest_first_page
from shop.extensions import db

bp = Blueprint("suppliers", __name__, url_prefix="/suppliers")

PAGE_SIZE = 50

ACTION_LABELS = {
    "recommend": _l("Recommend"),
    "admit": _l("Admit"),
    "reject": _l("Reject"),
    "suspend": _l("Suspend"),
    "reinstate": _l("Reinstate"),
}

#: The steps that take a supplier off its way ask before they are taken (params: name).
CONFIRM_QUESTIONS = {
    "reject": N_("Reject the application of %(name)s? Give the reason: the supplier will read it."),
    "suspend": N_(
        "Suspend %(name)s? It cannot sell until reinstated. Give the reason: the supplier reads it."
    ),
}

HISTORY_LABELS = {
    "supplier.apply": _l("Applied"),
    "supplier.resubmit": _l("Resubmitted"),
    "supplier.recommend": _l("Recommended"),
    "supplier.admit": _l("Admitted"),
    "supplier.reject": _l("Rejected"),
    "supplier.suspend": _l("Suspended"),
    "supplier.reinstate": _l("Reinstated"),
}


# --- forms -------------------------------------------------------------------------------------------------


def _optional_int(value) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def poverty_county_choices() -> list[tuple[str, str]]:
    """Every poverty county, named with its province and city (one query)."""
    counties = db.session.scalars(
        select(Region)
        .options(joinedload(Region.parent).joinedload(Region.parent))
        .where(Region.level == RegionLevel.county, Region.is_poverty_county.is_(True))
        .order_by(Region.code)
    ).all()
    return [("", _("Choose…"))] + [(str(county.id), county.full_name) for county in counties]


class SupplierForm(FlaskForm):
    """The facts a supplier states; the service checks the rules (credit code, poverty county …)."""

    name = StringField(_l("Supplier name"), validators=[DataRequired(), Length(max=128)])
    # The choices are not checked here: the service refuses an unknown kind or county with a clear message.
    kind = SelectField(_l("Kind"), validate_choice=False)
    credit_code = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(max=32)])
    region_id = SelectField(_l("County"), coerce=_optional_int, validate_choice=False)
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=64)])
    contact_phone = StringField(_l("Contact phone"), validators=[DataRequired(), Length(max=20)])
    bank_name = StringField(_l("Bank"), validators=[DataRequired(), Length(max=128)])
    bank_account = StringField(_l("Bank account"), validators=[DataRequired(), Length(max=48)])
    households = IntegerField(
        _l("Linked poverty households"), validators=[InputRequired(), NumberRange(min=0, max=10_000_000)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(kind.value, label(kind)) for kind in SupplierKind]
        self.region_id.choices = poverty_county_choices()

    def facts(self) -> supplier_services.SupplierFacts:
        return supplier_services.SupplierFacts(
            name=self.name.data,
            kind=self.kind.data,
            credit_code=self.credit_code.data,
            region_id=self.region_id.data,
            contact_name=self.contact_name.data,
            contact_phone=self.contact_phone.data,
            bank_name=self.bank_name.data,
            bank_account=self.bank_account.data,
            households=self.households.data,
        )


class RegistrationForm(SupplierForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])


def _supplier_page(supplier: Supplier) -> dict:
    """What every page showing a supplier's facts and history needs (``_facts.html``, ``_history.html``)."""
    return {
        "supplier": supplier,
        "history": supplier_services.status_history(supplier),
        "history_labels": HISTORY_LABELS,
        "reason": supplier_services.shown_reason(supplier),
        "full_bank_account": policy.sees_full_bank_account(current_user, supplier),
        "reviewer_names": policy.sees_reviewer_names(current_user),
    }


# --- registration and the supplier's own page --------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@policy.public
def register():
    """A supplier from a poverty county applies; it is logged in and lands on its application page."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            _supplier, user = supplier_services.register_supplier(
                form.facts(), username=form.username.data, password=form.password.data
            )
        except DomainError as error:
            db.session.rollback()
            common.show_error(form, error)
        else:
            db.session.commit()
            # A fresh session, as at login: nothing from before the account existed carries over.
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user)
            flash(
                _("Your application is registered. The finance bureau of your county will review it."),
                "success",
            )
            return redirect(url_for("suppliers.mine"))
    return render_template("accounts/suppliers/register.html", form=form)


def _render_mine(form: SupplierForm | None):
    return render_template("accounts/suppliers/mine.html", form=form, **_supplier_page(current_user.supplier))


@bp.route("/mine")
@policy.roles(Role.supplier)
def mine():
    """The supplier's own application: facts, status and history; a rejected one may correct and resubmit."""
    supplier = current_user.supplier
    form = SupplierForm(obj=supplier) if supplier.status == SupplierStatus.rejected else None
    return _render_mine(form)


@bp.route("/mine/resubmit", methods=["POST"])
@policy.roles(Role.supplier)
def resubmit():
    form = SupplierForm()
    if form.validate_on_submit():
        try:
            supplier_services.resubmit_supplier(current_user, current_user.supplier, form.facts())
        except DomainError as error:
            db.session.rollback()
            common.show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your application is submitted again."), "success")
            return redirect(url_for("suppliers.mine"))
    return _render_mine(form)


# --- review ------------------------------------------------------------------------------------------------


@bp.route("/")
@policy.roles(Role.finance, Role.operator)
def index():
    """Suppliers in the viewer's scope, newest first, filtered by status, county and a search text."""
    status = request.args.get("status", "")
    county_id = request.args.get("county", type=int)
    text = request.args.get("q", "").strip()[:64]
    before = request.args.get("before", type=int)

    query = select(Supplier).options(joinedload(Supplier.region))
    scope = policy.supplier_scope(current_user)
    if scope is not None:
        query = query.where(scope)
    if status in SupplierStatus.__members__:
        query = query.where(Supplier.status == SupplierStatus(status))
    if county_id:
        query = query.where(Supplier.region_id == county_id)
    if text:
        query = query.where(
            or_(
                Supplier.name.icontains(text, autoescape=True),
                Supplier.credit_code.startswith(text.upper(), autoescape=True),
            )
        )
    rows, next_before = newest_first_page(query, Supplier, before, PAGE_SIZE)

    counties = select(Region).where(Region.level == RegionLevel.county, Region.is_poverty_county.is_(True))
    region_scope = policy.region_scope(current_user)
    if region_scope is not None:
        counties = counties.where(region_scope)
    filters = {"status": status, "county": county_id or "", "q": text}
    return render_template(
        "accounts/suppliers/index.html",
        suppliers=rows,
        next_before=next_before,
        counties=[(county.id, county.name) for county in db.session.scalars(counties.order_by(Region.code))],
        statuses=[(status.value, label(status)) for status in SupplierStatus],
        filters=filters,
        # The next-page link keeps the filters in use, and only those.
        page_args={key: value for key, value in filters.items() if value},
    )


@bp.route("/<int:supplier_id>")
@policy.roles(Role.finance, Role.operator, Role.supplier)
def detail(supplier_id: int):
    """All of a supplier's data, its history and the steps the viewer may take.

    :raise 404: the supplier does not exist or is outside the viewer's scope.
    """
    supplier = policy.get_visible_or_404(Supplier, supplier_id, policy.can_view_supplier)
    actions = supplier_services.available_transitions(current_user, supplier)
    return render_template(
        "accounts/suppliers/detail.html",
        actions=[
            (
                name,
                ACTION_LABELS[name],
                supplier_services.TRANSITIONS[name],
                _confirm_question(name, supplier),
            )
            for name in actions
        ],
        **_supplier_page(supplier),
    )


def _confirm_question(action: str, supplier: Supplier) -> str | None:
    question = CONFIRM_QUESTIONS.get(action)
    return _(question, name=supplier.name) if question else None


@bp.route("/<int:supplier_id>/<action>", methods=["POST"])
@policy.roles(Role.finance, Role.operator)
def transition(supplier_id: int, action: str):
    """Take one admission step (recommend, admit, reject, suspend, reinstate).

    :raise 404: unknown step, or the supplier is outside the viewer's scope.
    """
    if action not in supplier_services.TRANSITIONS:
        abort(404)
    supplier = policy.get_visible_or_404(Supplier, supplier_id, policy.can_view_supplier)
    form = ReasonForm()
    if not form.validate_on_submit():
        for message in form.reason.errors:
            flash(message, "error")
        return redirect(url_for("suppliers.detail", supplier_id=supplier_id))
    try:
        supplier_services.apply_transition(current_user, supplier, action, form.reason.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        flash(
            _("%(name)s is now “%(status)s”.", name=supplier.name, status=label(supplier.status)),
            "success",
        )
    return redirect(url_for("suppliers.detail", supplier_id=supplier_id))


# --- home panels -------------------------------------------------------------------------------------------


def _queue_panel(user: User, status: SupplierStatus, title: str) -> Panel:
    count, first = supplier_services.waiting(user, status)
    return Panel(
        title=title,
        count=count,
        link=url_for("suppliers.index", status=status.value),
        link_text=_("All suppliers"),
        items=[(supplier.name, url_for("suppliers.detail", supplier_id=supplier.id)) for supplier in first],
    )


@home_panel(Role.finance, order=30)
def suppliers_to_recommend(user: User) -> Panel:
    return _queue_panel(user, SupplierStatus.applied, _("Suppliers to recommend"))


@home_panel(Role.operator, order=30)
def suppliers_to_admit(user: User) -> Panel:
    return _queue_panel(user, SupplierStatus.recommended, _("Suppliers to admit"))


@home_panel(Role.supplier, order=10)
def your_application(user: User) -> Panel:
    supplier = user.supplier
    text = label(supplier.status)
    reason = supplier_services.shown_reason(supplier)
    if reason:
        text = f"{text}: {reason}"
    return Panel(
        title=_("Your application"),
        # Nothing waits once admitted; until then the application is the supplier's open matter.
        count=0 if supplier.status == SupplierStatus.admitted else 1,
        link=url_for("suppliers.mine"),
        link_text=_("My supplier"),
        items=[(text, None)],
    )
