"""Account operations. Each takes explicit arguments, flushes, raises ``AccountError``; never commits.

Passwords (initial, reset, chosen or tried) never reach the audit log, a notice, a log line or an error
message; initial passwords are returned to the caller to be shown once.
"""

import secrets
import string
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from accounts import audit, login_limit, policy
from accounts.account_rules import account_problems, normalise_account
from accounts.models import BudgetUnit, Region, RegionLevel, Role, Supplier, User
from accounts.models.users import casefolded
from accounts.validators import is_valid_phone, is_valid_username, password_problems
from shop.common import N_, DomainError, lock_row, utcnow
from shop.extensions import db


class AccountError(DomainError):
    pass


class LoginRefused(AccountError):
    """A login (or a password change's current password) was refused.

    Unlike other refusals the caller COMMITS when it catches this: the failure count, any lock and the
    audit entry of the attempt must outlive the request. ``locked`` is true when the account is locked.
    """

    def __init__(self, message: str, *, locked: bool = False, **params):
        super().__init__(message, **params)
        self.locked = locked


LOCKED = N_("Too many failed attempts: the account is locked for %(minutes)d more minutes.")
WRONG_CREDENTIALS = N_("Wrong username or password.")

#: Per hash method, the hash of a random password nobody knows: an unknown username is checked against it,
#: so that it costs the same time as a known one (no account enumeration by timing). Each process makes its
#: own; they need not agree.
_DUMMY_HASHES: dict[str, str] = {}


def hash_password(password: str) -> str:
    """Hash a password the owner chose (slow on purpose: people choose guessable ones)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def hash_initial_password(password: str) -> str:
    """Hash a generated initial password: ~65 random bits need no slow hash, so bulk imports stay quick."""
    return generate_password_hash(password, method=current_app.config["INITIAL_PASSWORD_HASH_METHOD"])


def check_password_policy(password: str, username: str = "") -> None:
    problems = password_problems(password, username)
    if problems:
        raise AccountError(N_("The password needs %(rules)s."), rules="; ".join(problems))


def generate_initial_password() -> str:
    """A random password that passes the policy, for an account a manager opens or resets."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(10)) + secrets.choice("#@%+=")
        if not password_problems(candidate):
            return candidate


def username_taken(username: str) -> bool:
    """Whether an account has this username, in any case (through the case-insensitive unique index)."""
    return db.session.scalar(select(User.id).where(_username_is(username))) is not None


def _username_is(username: str):
    return casefolded(User.username) == username.lower()


def create_user(
    actor: User | None,
    *,
    username: str,
    name: str,
    role: Role,
    unit: BudgetUnit | None = None,
    supplier: Supplier | None = None,
    region: Region | None = None,
    phone: str | None = None,
    email: str | None = None,
    password: str | None = None,
    audit_action: str = "account.create",
) -> tuple[User, str | None]:
    """Open an account. Without ``password`` an initial one is generated and returned (shown once).

    With ``password`` (self-registration) the owner chose it, so the account is activated at once.
    The account is inserted in a savepoint: when a concurrent request took the username between the check
    and the insert, the database's unique index refuses it and this raises ``AccountError`` (the caller's
    transaction stays usable) instead of failing the request.
    """
    username = (username or "").strip()
    if not is_valid_username(username):
        raise AccountError(
            N_("The username %(username)s must be 3 to 64 letters, digits, dots, dashes or underscores."),
            username=username,
        )
    if username_taken(username):
        raise AccountError(N_("The username %(username)s is already taken."), username=username)
    if phone and not is_valid_phone(phone):
        raise AccountError(N_("The phone number %(phone)s is not valid."), phone=phone)
    initial = None
    if password is None:
        initial = generate_initial_password()
    else:
        check_password_policy(password, username)
    now = utcnow()
    user = User(
        username=username,
        name=(name or "").strip() or username,
        role=role,
        unit=unit,
        supplier=supplier,
        region=region,
        phone=phone or None,
        email=email or None,
        password_hash=hash_initial_password(initial) if password is None else hash_password(password),
        must_change_password=password is None,
        activated_at=None if password is None else now,
        password_set_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        # The race for the username was lost (asked again, after the other insert); any other constraint
        # failing is a bug, not a refusal.
        if db.session.scalar(select(User.id).where(_username_is(username))) is not None:
            raise AccountError(N_("The username %(username)s is already taken."), username=username) from None
        raise
    details = {"username": username, "role": str(role)}
    if region is not None:
        details["region"] = region.code
    audit.record(actor, audit_action, user, **details)
    return user, initial


def authenticate(
    username: str, password: str, now: datetime | None = None, *, address: str | None = None
) -> User:
    """The user these credentials belong to, or ``LoginRefused`` (the caller commits either way).

    With the client's ``address`` (the login form passes it), the per-address limit applies first
    (``accounts.login_limit``): an address over it is refused with ``AddressThrottled`` before the username
    or password is looked at, and every ``LoginRefused`` adds a failure to the address's count.

    Failed attempts are counted on the account; after ``LOGIN_MAX_FAILURES`` in a row it is locked for
    ``LOGIN_LOCK_DURATION``. The account row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already runs one writer at a time) from the read to the commit, so simultaneous
    wrong passwords are all counted. An initial password (``must_change_password``) set more than
    ``INITIAL_PASSWORD_DAYS`` ago no longer opens the account. Every refusal is audited as
    ``account.login_failed`` with the username tried and a reason, never the password.
    """
    now = now or utcnow()
    if address is None:
        return _authenticate(username, password, now)
    login_limit.check(address, now)
    try:
        return _authenticate(username, password, now)
    except LoginRefused:
        login_limit.record_failure(address, now)
        raise


def _authenticate(username: str, password: str, now: datetime) -> User:
    """``authenticate`` without the address limit: the account's own checks, lockout and audit."""
    tried = (username or "").strip()[:64]
    user = db.session.scalar(
        select(User)
        .where(_username_is(tried))
        .with_for_update()
        .execution_options(populate_existing=True)  # the values under the lock, not those loaded before
    )
    if user is None:
        # The same work and the same message as a wrong password: do not reveal which usernames exist.
        check_password_hash(_dummy_hash(), password or "")
        # A text that cannot be a username may be a password typed into the wrong field: not recorded.
        shown = {"username": tried} if is_valid_username(tried) else {"username_invalid": True}
        audit.record(None, "account.login_failed", None, reason="unknown_username", **shown)
        db.session.flush()
        raise LoginRefused(WRONG_CREDENTIALS)
    if user.locked_until is not None and user.locked_until > now:
        _login_failed(user, tried, "locked")
        raise LoginRefused(LOCKED, locked=True, minutes=_minutes_left(user, now))
    if not check_password_hash(user.password_hash, password or ""):
        _login_failed(user, tried, "wrong_password")
        _count_failure(user, now)
        raise LoginRefused(WRONG_CREDENTIALS)
    if not user.enabled:
        _login_failed(user, tried, "deactivated")
        raise LoginRefused(N_("This account has been deactivated. Ask your unit manager."))
    if initial_password_expired(user, now):
        _login_failed(user, tried, "initial_password_expired")
        raise LoginRefused(N_("The initial password has expired; ask your manager for a new one."))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(user, "account.login", user)
    db.session.flush()
    return user


def initial_password_expired(user: User, now: datetime | None = None) -> bool:
    """An initial (opened or reset) password not replaced within ``INITIAL_PASSWORD_DAYS`` (GB/T 22239)."""
    if not user.must_change_password:
        return False
    limit = timedelta(days=current_app.config["INITIAL_PASSWORD_DAYS"])
    return user.password_set_at < (now or utcnow()) - limit


def record_logout(user: User) -> None:
    """Audit that ``user`` logged out."""
    audit.record(user, "account.logout", user)
    db.session.flush()


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _DUMMY_HASHES[method]


def _login_failed(user: User, tried: str, reason: str) -> None:
    audit.record(None, "account.login_failed", user, username=tried, reason=reason)


def _minutes_left(user: User, now: datetime) -> int:
    return max(1, int((user.locked_until - now).total_seconds() // 60) + 1)


def _count_failure(user: User, now: datetime) -> None:
    """One more wrong password (at login or as the current password of a change); the row must be locked.

    :raise LoginRefused: (locked) this failure reached ``LOGIN_MAX_FAILURES`` and locked the account.
    """
    config = current_app.config
    user.failed_logins += 1
    if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + config["LOGIN_LOCK_DURATION"]
        user.failed_logins = 0
        audit.record(None, "account.lock", user, username=user.username)
        db.session.flush()
        raise LoginRefused(
            LOCKED, locked=True, minutes=int(config["LOGIN_LOCK_DURATION"].total_seconds() // 60)
        )
    db.session.flush()


def set_own_password(user: User, new_password: str, current_password: str | None = None) -> None:
    """The owner chooses a password: at activation (first login, after a reset) or as a change.

    A change (``current_password`` given) must prove the old one, and a wrong one counts toward the lockout
    like a wrong password at login: the account row is locked, the failure audited
    (``account.password_change_failed``) and ``LoginRefused`` raised, which the caller commits (``locked``:
    the account is now locked, so the caller ends the session). A locked account changes nothing.

    :raise AccountError: the new password breaks the policy or equals the old one (roll back).
    """
    now = utcnow()
    if current_password is not None:
        lock_row(user)
        if user.locked_until is not None and user.locked_until > now:
            raise LoginRefused(LOCKED, locked=True, minutes=_minutes_left(user, now))
        if not check_password_hash(user.password_hash, current_password):
            audit.record(user, "account.password_change_failed", user)
            _count_failure(user, now)
            raise LoginRefused(N_("The current password is wrong."))
    if check_password_hash(user.password_hash, new_password):
        raise AccountError(N_("The new password must differ from the old one."))
    check_password_policy(new_password, user.username)
    first_activation = user.activated_at is None
    user.password_hash = hash_password(new_password)
    user.password_set_at = now
    user.must_change_password = False
    user.failed_logins = 0
    if first_activation:
        user.activated_at = now
    audit.record(user, "account.activate" if first_activation else "account.password_change", user)
    db.session.flush()


def reset_password(actor: User, user: User) -> str:
    """Give the account a new initial password (returned, shown once); the owner must change it."""
    initial = generate_initial_password()
    user.password_hash = hash_initial_password(initial)
    user.password_set_at = utcnow()
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    audit.record(actor, "account.reset_password", user, username=user.username)
    db.session.flush()
    return initial


def set_enabled(actor: User, user: User, enabled: bool) -> None:
    """Deactivate (or re-enable) an account; a deactivated account cannot log in."""
    if actor.id == user.id and not enabled:
        raise AccountError(N_("You cannot deactivate your own account."))
    if user.enabled == enabled:
        return
    user.enabled = enabled
    audit.record(actor, "account.enable" if enabled else "account.deactivate", user, username=user.username)
    db.session.flush()


# --- account administration (operator, finance: accounts/views/admin.py) -----------------------------------


class AccountFieldError(AccountError):
    """A refusal about one form field (``field``), shown beside it."""

    def __init__(self, field: str, message: str, **params):
        super().__init__(message, **params)
        self.field = field


def _require_administrator_of(actor: User, account: User) -> None:
    if not policy.can_administer_account(actor, account):
        raise AccountError(N_("You may not administer the account %(username)s."), username=account.username)


def administer_reset_password(actor: User, account: User) -> str:
    """An operator or finance bureau gives ``account`` a new initial password (returned, shown once), e.g.
    for a unit manager who lost the first one. Audited as ``account.reset_password``.

    :raise AccountError: ``policy.can_administer_account`` refuses.
    """
    _require_administrator_of(actor, account)
    return reset_password(actor, account)


def administer_set_enabled(actor: User, account: User, enabled: bool) -> None:
    """An operator or finance bureau deactivates or re-enables ``account`` (audited).

    :raise AccountError: ``policy.can_administer_account`` refuses.
    """
    _require_administrator_of(actor, account)
    set_enabled(actor, account, enabled)


def create_finance_account(
    actor: User, *, username: str, name: str, phone: str, region_code: str
) -> tuple[User, str]:
    """The operator opens a finance bureau's account at a city or county; returns it and its initial
    password (shown once). Audited as ``account.create`` with the region.

    :raise AccountFieldError: a value is missing or wrong (``field`` names it), or the username is taken.
    :raise AccountError: the actor is not the platform operator.
    """
    if not policy.can_create_finance_accounts(actor):
        raise AccountError(N_("Only the platform operator opens finance bureau accounts."))
    name, username, phone = normalise_account(name, username, phone)
    for problem in account_problems(name, username, phone):
        raise AccountFieldError(problem.field, problem.message, **problem.params)
    region_code = (region_code or "").strip()
    region = db.session.scalar(select(Region).where(Region.code == region_code)) if region_code else None
    if region is None or region.level not in (RegionLevel.city, RegionLevel.county):
        raise AccountFieldError(
            "region_code",
            N_("The region %(code)s is not a city or county of the platform."),
            code=region_code,
        )
    if username_taken(username):
        raise AccountFieldError(
            "username", N_("The username %(username)s is already taken."), username=username
        )
    try:
        user, initial = create_user(
            actor, username=username, name=name, role=Role.finance, region=region, phone=phone
        )
    except AccountError as error:  # lost a race for the username
        raise AccountFieldError("username", error.message, **error.params) from None
    return user, initial
