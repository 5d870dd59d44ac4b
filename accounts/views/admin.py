"""Account administration for the platform operator and the finance bureaus: the accounts they oversee,
resetting a password (e.g. a unit manager who lost the initial one), deactivating, re-enabling, and (the
operator) opening finance bureau accounts.

Who sees which account is ``policy.administered_account_scope``; who may act on it,
``policy.can_administer_account`` (checked again by the services). Initial passwords are shown once, on the
page answering the POST that made them (``common.shown_once``).
"""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from accounts import people, policy, services
from accounts.labels import AccountStatus, label
from accounts.models import BudgetUnit, Region, Role, Supplier, User
from accounts.models.orgs import subtree_select
from accounts.views import common
from shop.common import DomainError, newest_first_page
from shop.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50


class FinanceAccountForm(FlaskForm):
    """A finance bureau's account; the service checks the rules (formats, uniqueness, region level)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    phone = StringField(_l("Mobile phone"), validators=[DataRequired(), Length(max=20)])
    region_code = StringField(_l("Region code"), validators=[DataRequired(), Length(max=6)])


def _roles_listed(user: User) -> list[Role]:
    return list(Role) if user.role == Role.operator else list(policy.FINANCE_ADMINISTERS)


def _administered_or_404(account_id: int) -> User:
    """:raise 404: not an account on the current user's administration page."""
    return policy.get_visible_or_404(User, account_id, policy.can_view_administered_account)


def _in_region(region: Region):
    """Accounts whose unit, supplier or finance bureau is in ``region``'s subtree."""
    # Its own CTE name: the finance scope has a region subtree of its own in the same statement.
    regions = subtree_select(Region, region.id, name="filter_region_tree")
    return or_(
        User.unit_id.in_(select(BudgetUnit.id).where(BudgetUnit.region_id.in_(regions))),
        User.supplier_id.in_(select(Supplier.id).where(Supplier.region_id.in_(regions))),
        User.region_id.in_(regions),
    )


# --- the list ----------------------------------------------------------------------------------------------


@bp.route("/accounts")
@policy.roles(Role.operator, Role.finance)
def accounts():
    """The accounts the user oversees, newest first: by role, status, name or username, region (code, with
    its subtree) and unit (code). Three queries whatever the number of rows."""
    roles = _roles_listed(current_user)
    role = request.args.get("role", "")
    role = Role(role) if role in {r.value for r in roles} else None
    status = request.args.get("status", "")
    status = AccountStatus(status) if status in AccountStatus.__members__ else None
    text = request.args.get("q", "").strip()[:64]
    region_code = request.args.get("region", "").strip()[:6]
    unit_code = request.args.get("unit", "").strip()[:32]
    before = request.args.get("before", type=int)

    query = select(User).options(
        joinedload(User.unit).joinedload(BudgetUnit.region),
        joinedload(User.supplier).joinedload(Supplier.region),
        joinedload(User.region),
    )
    scope = policy.administered_account_scope(current_user)
    if scope is not None:
        query = query.where(scope)
    if role:
        query = query.where(User.role == role)
    if status:
        query = query.where(people.status_condition(status))
    if text:
        query = query.where(
            or_(User.name.icontains(text, autoescape=True), User.username.icontains(text, autoescape=True))
        )
    unknown = []
    if region_code:
        region = db.session.scalar(select(Region).where(Region.code == region_code))
        if region is None:
            unknown.append(_("No region has the code %(code)s.", code=region_code))
        else:
            query = query.where(_in_region(region))
    if unit_code:
        unit_id = db.session.scalar(select(BudgetUnit.id).where(BudgetUnit.code == unit_code))
        if unit_id is None:
            unknown.append(_("No budget unit has the code %(code)s.", code=unit_code))
        else:
            query = query.where(User.unit_id == unit_id)
    rows, next_before = ([], None) if unknown else newest_first_page(query, User, before, PAGE_SIZE)

    filters = {
        "role": role.value if role else "",
        "status": status.value if status else "",
        "q": text,
        "region": region_code,
        "unit": unit_code,
    }
    return render_template(
        "accounts/admin/accounts.html",
        accounts=rows,
        next_before=next_before,
        role_options=[(r.value, label(r)) for r in roles],
        status_options=[(s.value, label(s)) for s in AccountStatus],
        filters=filters,
        page_args={key: value for key, value in filters.items() if value},
        unknown=unknown,
        may_act=lambda account: policy.can_administer_listed(current_user, account),
        is_locked=people.is_locked,
        may_create_finance=policy.can_create_finance_accounts(current_user),
        organisation_region=organisation_region,
    )


def organisation_region(account: User) -> Region | None:
    """The region of the account's unit, supplier or finance bureau (loaded with the list)."""
    if account.unit is not None:
        return account.unit.region
    if account.supplier is not None:
        return account.supplier.region
    return account.region


# --- acting on one account ---------------------------------------------------------------------------------


@bp.route("/accounts/<int:account_id>/reset-password", methods=["POST"])
@policy.roles(Role.operator, Role.finance)
def reset_password(account_id: int):
    """A new initial password for the account, shown once; the old one stops working at once.

    :raise 404: not an account on the user's administration page.
    """
    account = _administered_or_404(account_id)
    return common.reset_and_show(
        account,
        lambda: services.administer_reset_password(current_user, account),
        "accounts/admin/initial_password.html",
        "admin.accounts",
    )


def _set_enabled(account_id: int, enabled: bool):
    account = _administered_or_404(account_id)
    return common.enable_and_return(
        account,
        lambda: services.administer_set_enabled(current_user, account, enabled),
        enabled,
        "admin.accounts",
    )


@bp.route("/accounts/<int:account_id>/deactivate", methods=["POST"])
@policy.roles(Role.operator, Role.finance)
def deactivate(account_id: int):
    """:raise 404: not an account on the user's administration page."""
    return _set_enabled(account_id, False)


@bp.route("/accounts/<int:account_id>/enable", methods=["POST"])
@policy.roles(Role.operator, Role.finance)
def enable(account_id: int):
    """:raise 404: not an account on the user's administration page."""
    return _set_enabled(account_id, True)


# --- finance bureau accounts -------------------------------------------------------------------------------


@bp.route("/accounts/finance/new", methods=["GET", "POST"])
@policy.roles(Role.operator)
def create_finance():
    """The operator opens a finance bureau's account at a city or county; the answer shows its initial
    password once."""
    form = FinanceAccountForm()
    if form.validate_on_submit():
        try:
            user, initial = services.create_finance_account(
                current_user,
                username=form.username.data,
                name=form.name.data,
                phone=form.phone.data,
                region_code=form.region_code.data,
            )
        except DomainError as error:
            db.session.rollback()
            common.show_error(form, error)
        else:
            opened = people.Opened(user.username, user.name, initial)
            db.session.commit()
            return common.shown_once(
                render_template(
                    "accounts/admin/initial_password.html", opened=opened, heading=_("Account opened")
                )
            )
    return render_template("accounts/admin/new_finance.html", form=form)
