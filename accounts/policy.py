"""Who may do what: the one place access is decided.

Every view declares its audience with ``@public``, ``@signed_in`` or ``@roles(...)``; a ``before_request``
hook enforces it, so a view that forgets to declare one is refused rather than left open. Object-level rules
(which unit, supplier or region a user may see) are the functions below, called at the top of each view.
"""

import logging
import time
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import with_expression

from accounts import notices
from accounts.models import AuditEntry, BudgetUnit, Region, Role, Supplier, User
from accounts.models.orgs import subtree_select
from accounts.models.users import ORGANISATION_NAME
from shop.extensions import db, login_manager

log = logging.getLogger(__name__)

PUBLIC = "public"
ALL_ROLES = frozenset(Role)


def public(view):
    """Anyone, signed in or not."""
    view.allowed_roles = PUBLIC
    return view


#: The audience of a JSON API endpoint (api/): authenticated by its bearer token in the API layer
#: (``api.core.ApiBlueprint.auth``), never by the session cookie, so ``enforce_access`` leaves it alone.
API_TOKEN = "api-token"


def api_token(view):
    """A JSON API endpoint; the API layer checks its bearer token and roles (``api/core.py``)."""
    view.allowed_roles = API_TOKEN
    return view


def signed_in(view):
    """Any signed-in user, whatever the role."""
    view.allowed_roles = ALL_ROLES
    return view


def roles(*allowed: Role):
    """Signed-in users with one of these roles."""

    def decorate(view):
        view.allowed_roles = frozenset(allowed)
        return view

    return decorate


def before_activation(view):
    """Reachable by a user who has not yet set their own password (the activation page, logout)."""
    view.before_activation = True
    return view


def allowed_roles(endpoint: str):
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "allowed_roles", None)


def can_access(endpoint: str) -> bool:
    """For templates: may the current user open this endpoint at all?"""
    allowed = allowed_roles(endpoint)
    if allowed == PUBLIC:
        return True
    if allowed == API_TOKEN:
        return False  # not a page
    return allowed is not None and current_user.is_authenticated and current_user.role in allowed


def init_app(app) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    app.before_request(enforce_access)
    # The session cookie is re-sent when the session changes (``_idle_expired`` marks it seen once a minute),
    # not with every response: its expiry then follows the last "seen", as the idle timeout does.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    from accounts.menu import main_menu  # the menu asks this module who may open what

    app.jinja_env.globals["main_menu"] = main_menu


#: The account a session names, with what every signed-in page's header shows of it: its organisation's name
#: and its unread notice count, read in the same statement rather than by two more (built once: building it
#: anew cost about as much as running it).
_LOAD_USER = (
    select(User)
    .options(
        with_expression(User.loaded_organisation_name, ORGANISATION_NAME),
        with_expression(User.loaded_unread_notices, notices.UNREAD_COUNT),
    )
    .where(User.id == bindparam("user_id"))
)


def load_user(session_id: str) -> User | None:
    """Flask-Login's user loader: the enabled user the session names (with what the page header shows of
    them), or None."""
    user_id, _, fingerprint = session_id.partition(".")
    if not user_id.isdigit():
        return None
    user = db.session.execute(_LOAD_USER, {"user_id": int(user_id)}).scalar_one_or_none()
    if user is None or not user.enabled or user.get_id() != session_id:
        return None
    return user


def enforce_access():
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None
    view = current_app.view_functions[endpoint]
    allowed = getattr(view, "allowed_roles", None)
    if allowed is None:
        log.error("endpoint %s declares no audience; refused", endpoint)
        abort(403)
    if allowed == API_TOKEN:
        return None  # the API layer authenticates the bearer token; the session plays no part
    if current_user.is_authenticated and _idle_expired():
        logout_user()
        session.clear()
        flash(_l("Your session expired after a period of inactivity. Please log in again."), "info")
        if allowed != PUBLIC:
            return redirect(url_for("auth.login", next=_return_path()))
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and not getattr(view, "before_activation", False)
    ):
        return redirect(url_for("auth.activate"))
    if allowed == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if request.method not in ("GET", "HEAD"):
            flash(login_manager.login_message, login_manager.login_message_category)
            return redirect(url_for("auth.login", next=_return_path()))
        return login_manager.unauthorized()
    if current_user.role not in allowed:
        abort(403)
    return None


def _return_path() -> str | None:
    """Where to go back to after logging in: this page for a GET. A form's URL may answer only POST (going
    there after login would be a 405), so for a POST it is the same-site page the form was on, if known."""
    if request.method in ("GET", "HEAD"):
        return request.full_path
    return same_site_path(request.referrer)


def same_site_path(url: str | None) -> str | None:
    """The path and query of ``url`` if it points into this site, else None: the only kind of address the
    platform sends a browser back to (after a login, after a refused form), never another host."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != request.host):
        return None
    # "//host" and "/\host" are other hosts to a browser.
    if not parts.path.startswith("/") or parts.path.startswith("//") or "\\" in parts.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


#: How stale the session's "last seen" time may get, in seconds. Rewriting it on every request re-signed and
#: re-sent the session cookie with every response; rewritten at most once a minute, a session ends after
#: between IDLE_TIMEOUT minus a minute and IDLE_TIMEOUT of inactivity: never later than the timeout.
SEEN_RESOLUTION = 60


def _idle_expired() -> bool:
    """Has the signed-in session been idle for longer than ``IDLE_TIMEOUT``? Marks it seen now (at most once
    every ``SEEN_RESOLUTION`` seconds: the only write to the session on an ordinary request)."""
    now = int(time.time())
    last_seen = session.get("seen")
    if last_seen is None or not 0 <= now - last_seen < SEEN_RESOLUTION:
        if not session.permanent:  # assigning it, even the same value, marks the session modified
            session.permanent = True
        session["seen"] = now
    if last_seen is None:
        return False
    return now - last_seen > current_app.config["IDLE_TIMEOUT"].total_seconds()


# --- object-level rules ------------------------------------------------------------------------------------


def region_subtree(region_id: int):
    """A select of the ids of a region and every region below it."""
    return subtree_select(Region, region_id)


def unit_scope(user: User):
    """A where-clause restricting ``BudgetUnit`` to the units the user may see, or None for all."""
    if user.role == Role.operator:
        return None
    if user.role == Role.finance:
        return BudgetUnit.region_id.in_(region_subtree(user.region_id))
    if user.role == Role.unit_manager:
        return BudgetUnit.id.in_(subtree_select(BudgetUnit, user.unit_id))
    if user.role == Role.purchaser:
        return BudgetUnit.id == user.unit_id
    return BudgetUnit.id.is_(None)  # suppliers see no unit


def can_view_unit(user: User, unit: BudgetUnit) -> bool:
    scope = unit_scope(user)
    if scope is None:
        return True
    return db.session.scalar(select(BudgetUnit.id).where(BudgetUnit.id == unit.id, scope)) is not None


def can_manage_accounts_of(user: User, unit: BudgetUnit) -> bool:
    """Only a unit's own manager creates, deactivates and resets its purchaser accounts."""
    return user.role == Role.unit_manager and user.unit_id == unit.id


def supplier_scope(user: User):
    """A where-clause restricting ``Supplier`` to those the user may see, or None for all."""
    if user.role == Role.operator:
        return None
    if user.role == Role.finance:
        return Supplier.region_id.in_(region_subtree(user.region_id))
    if user.role == Role.supplier:
        return Supplier.id == user.supplier_id
    return Supplier.id.is_(None)


def can_view_supplier(user: User, supplier: Supplier) -> bool:
    scope = supplier_scope(user)
    if scope is None:
        return True
    return db.session.scalar(select(Supplier.id).where(Supplier.id == supplier.id, scope)) is not None


def region_scope(user: User):
    """A where-clause restricting ``Region`` to the user's subtree (finance), or None for all."""
    if user.role == Role.finance:
        return Region.id.in_(region_subtree(user.region_id))
    return None


def get_visible_or_404(model, object_id: int, can_view) -> object:
    """Load an object the user may see, or answer 404 (never reveal that someone else's exists)."""
    obj = db.session.get(model, object_id)
    if obj is None or not can_view(current_user, obj):
        abort(404)
    return obj


# --- suppliers (accounts/suppliers.py holds the admission-step table) ---------------------------------------


def sees_full_bank_account(user: User, supplier: Supplier) -> bool:
    """The operator (who checks it against the licence) and the supplier itself; others see it masked."""
    return user.role == Role.operator or (user.role == Role.supplier and user.supplier_id == supplier.id)


def sees_reviewer_names(user: User) -> bool:
    """In a supplier's admission history, reviewers (finance, operator) read who took each step; the
    supplier reads only the role that acted, never the names of the officials who decided."""
    return user.role != Role.supplier


# --- purchaser accounts (accounts/people.py) ----------------------------------------------------------------


def can_manage_purchaser(user: User, account: User) -> bool:
    """A unit manager manages its own unit's purchaser accounts: not other managers, not subunits'."""
    return (
        account.role == Role.purchaser
        and account.unit is not None
        and can_manage_accounts_of(user, account.unit)
    )


# --- the audit log (accounts/views/audit.py) ----------------------------------------------------------------


def audit_scope(user: User):
    """A where-clause restricting ``AuditEntry`` to what the user may read, or None for all (operator).

    Finance reads the entries of its region's subtree: those whose actor belongs there (through the
    actor's unit, supplier or finance region) and those about a budget unit, supplier or account there.
    Subqueries only, so the database filters, whatever the size of the log. Other roles read nothing.
    """
    if user.role == Role.operator:
        return None
    if user.role != Role.finance:
        return AuditEntry.id.is_(None)
    regions = region_subtree(user.region_id)  # one CTE, reused below (a second one would clash by name)
    units, suppliers, in_regions = _organisations_in(regions)
    accounts = select(User.id).where(in_regions)
    return or_(
        AuditEntry.actor_id.in_(accounts),
        and_(AuditEntry.object_type == BudgetUnit.__tablename__, AuditEntry.object_id.in_(units)),
        and_(AuditEntry.object_type == Supplier.__tablename__, AuditEntry.object_id.in_(suppliers)),
        and_(AuditEntry.object_type == User.__tablename__, AuditEntry.object_id.in_(accounts)),
    )


def account_scope(user: User):
    """A where-clause restricting ``User`` to the accounts the audit log may name to ``user``, or None for
    all (operator): finance, the accounts of its region's subtree; other roles, none."""
    if user.role == Role.operator:
        return None
    if user.role != Role.finance:
        return User.id.is_(None)
    return _organisations_in(region_subtree(user.region_id))[2]


def _organisations_in(regions):
    """Selects of the budget units and suppliers at ``regions`` (a select of region ids), and a condition on
    ``User``: an account of one of them or of a finance bureau there."""
    units = select(BudgetUnit.id).where(BudgetUnit.region_id.in_(regions))
    suppliers = select(Supplier.id).where(Supplier.region_id.in_(regions))
    accounts = or_(User.unit_id.in_(units), User.supplier_id.in_(suppliers), User.region_id.in_(regions))
    return units, suppliers, accounts


# --- regions and budget units (accounts/units/) -------------------------------------------------------------


def can_manage_regions(user: User) -> bool:
    """Only the platform operator adds regions and marks poverty counties."""
    return user.role == Role.operator


def can_register_units(user: User) -> bool:
    """The operator anywhere, a finance bureau within its region's subtree (``region_scope``)."""
    return user.role in (Role.operator, Role.finance)


# --- account administration (accounts/views/admin.py) -------------------------------------------------------

#: The accounts a finance bureau administers, when their unit or supplier is in its region's subtree.
FINANCE_ADMINISTERS = (Role.unit_manager, Role.purchaser, Role.supplier)


def administered_account_scope(user: User):
    """A where-clause restricting ``User`` to the accounts the administration page lists to ``user``, or
    None for all (operator). Finance: the unit managers and purchasers of the budget units in its region's
    subtree and the supplier accounts of the suppliers there (not other finance bureaus). Others: none."""
    if user.role == Role.operator:
        return None
    if user.role != Role.finance:
        return User.id.is_(None)
    units, suppliers, _accounts = _organisations_in(region_subtree(user.region_id))
    return or_(
        and_(User.role.in_((Role.unit_manager, Role.purchaser)), User.unit_id.in_(units)),
        and_(User.role == Role.supplier, User.supplier_id.in_(suppliers)),
    )


def can_view_administered_account(user: User, account: User) -> bool:
    """``account`` is on ``user``'s administration page (else it answers 404)."""
    scope = administered_account_scope(user)
    if scope is None:
        return True
    return db.session.scalar(select(User.id).where(User.id == account.id, scope)) is not None


def can_administer_listed(user: User, account: User) -> bool:
    """``can_administer_account`` for an account already selected through ``administered_account_scope``
    (no query: the list asks it for each row). Never an operator account, never one's own."""
    if account.role == Role.operator or account.id == user.id:
        return False
    if user.role == Role.operator:
        return True
    return user.role == Role.finance and account.role in FINANCE_ADMINISTERS


def can_administer_account(user: User, account: User) -> bool:
    """May ``user`` reset the password of, deactivate or re-enable ``account``? The operator: any account
    but its own and other operators'; finance: unit managers, purchasers and suppliers in its subtree."""
    return can_administer_listed(user, account) and can_view_administered_account(user, account)


def can_create_finance_accounts(user: User) -> bool:
    """Only the platform operator opens finance bureau accounts."""
    return user.role == Role.operator
