"""A unit manager's purchaser accounts: the list, opening one, importing a sheet, deactivating, resetting.

Initial passwords are shown once, on the page that answers the POST that made them (``common.shown_once``).
"""

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from accounts import people, policy
from accounts.home import Panel, home_panel
from accounts.labels import AccountStatus, label
from accounts.models import Role, User
from accounts.views import common
from shop.common import DomainError, newest_first_page
from shop.extensions import db

bp = Blueprint("people", __name__, url_prefix="/people")

PAGE_SIZE = 50


class PurchaserForm(FlaskForm):
    """One account's data; the service checks the rules (username and phone format, uniqueness)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    phone = StringField(_l("Mobile phone"), validators=[DataRequired(), Length(max=20)])


def _own_purchaser_or_404(account_id: int) -> User:
    """:raise 404: not a purchaser account of the manager's own unit."""
    return policy.get_visible_or_404(User, account_id, policy.can_manage_purchaser)


# --- the list ----------------------------------------------------------------------------------------------


@bp.route("/")
@policy.roles(Role.unit_manager)
def index():
    """The unit's purchaser accounts, newest first, filtered by status and a text in name or username."""
    status = request.args.get("status", "")
    status = AccountStatus(status) if status in AccountStatus.__members__ else None
    text = request.args.get("q", "").strip()[:64]
    before = request.args.get("before", type=int)

    query = people.purchasers_of(current_user.unit_id)
    if status:
        query = query.where(people.status_condition(status))
    if text:
        query = query.where(
            or_(User.name.icontains(text, autoescape=True), User.username.icontains(text, autoescape=True))
        )
    rows, next_before = newest_first_page(query, User, before, PAGE_SIZE)

    filters = {"status": status.value if status else "", "q": text}
    return render_template(
        "accounts/people/index.html",
        accounts=rows,
        next_before=next_before,
        counts=people.account_counts(current_user.unit_id),
        statuses=[(status.value, label(status)) for status in AccountStatus],
        is_locked=people.is_locked,
        filters=filters,
        page_args={key: value for key, value in filters.items() if value},
    )


# --- one account -------------------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@policy.roles(Role.unit_manager)
def create():
    """Open one purchaser account; the answer shows its initial password once."""
    form = PurchaserForm()
    if form.validate_on_submit():
        try:
            user, initial = people.create_purchaser(
                current_user, form.name.data, form.username.data, form.phone.data
            )
        except DomainError as error:
            db.session.rollback()
            common.show_error(form, error)
        else:
            opened = people.Opened(user.username, user.name, initial)
            db.session.commit()
            return common.shown_once(
                render_template(
                    "accounts/people/initial_password.html", opened=opened, heading=_("Account opened")
                )
            )
    return render_template("accounts/people/new.html", form=form)


@bp.route("/<int:account_id>/reset-password", methods=["POST"])
@policy.roles(Role.unit_manager)
def reset_password(account_id: int):
    """A new initial password for one of the unit's purchaser accounts, shown once.

    :raise 404: not a purchaser account of the manager's own unit.
    """
    account = _own_purchaser_or_404(account_id)
    return common.reset_and_show(
        account,
        lambda: people.reset_purchaser_password(current_user, account),
        "accounts/people/initial_password.html",
        "people.index",
    )


def _set_enabled(account_id: int, enabled: bool):
    account = _own_purchaser_or_404(account_id)
    return common.enable_and_return(
        account, lambda: people.set_purchaser_enabled(current_user, account, enabled), enabled, "people.index"
    )


@bp.route("/<int:account_id>/deactivate", methods=["POST"])
@policy.roles(Role.unit_manager)
def deactivate(account_id: int):
    """:raise 404: not a purchaser account of the manager's own unit."""
    return _set_enabled(account_id, False)


@bp.route("/<int:account_id>/enable", methods=["POST"])
@policy.roles(Role.unit_manager)
def enable(account_id: int):
    """:raise 404: not a purchaser account of the manager's own unit."""
    return _set_enabled(account_id, True)


# --- import ------------------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@policy.roles(Role.unit_manager)
def import_sheet():
    """Open the accounts listed in an uploaded CSV or XLSX sheet, all or none.

    Any invalid row: the page lists every row error and nothing is created. All valid: one transaction
    creates them and the page shows each initial password once.
    """
    return common.import_sheet(
        people.PURCHASER_COLUMNS,
        lambda sheet, _filename: people.import_purchasers(current_user, sheet),
        "accounts/people/import.html",
        "accounts/people/imported.html",
    )


@bp.route("/import/template.xlsx")
@policy.roles(Role.unit_manager)
def import_template():
    """An empty workbook with the columns an import expects."""
    return common.send_workbook(people.import_template(), "采购人账号导入模板.xlsx")


# --- home panel --------------------------------------------------------------------------------------------


@home_panel(Role.unit_manager, order=20)
def purchasers_not_activated(user: User) -> Panel:
    count, first = people.not_yet_activated(user.unit_id, limit=5)
    return Panel(
        title=_("Purchaser accounts not yet activated"),
        count=count,
        link=url_for("people.index", status=AccountStatus.not_activated.value),
        link_text=_("Purchaser accounts"),
        items=[(f"{account.name} ({account.username})", None) for account in first],
    )
