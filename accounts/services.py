"""Account operations. Each takes explicit arguments, flushes, raises ``AccountError``; never commits."""

import secrets
import string
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from accounts import audit
from accounts.models import BudgetUnit, Region, Role, Supplier, User
from accounts.validators import is_valid_phone, is_valid_username, password_problems
from shop.common import N_, DomainError, utcnow
from shop.extensions import db


class AccountError(DomainError):
    pass


class LoginRefused(AccountError):
    pass


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
    return db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None


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
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, audit_action, user, username=username, role=str(role))
    return user, initial


def authenticate(username: str, password: str, now: datetime | None = None) -> User:
    """The user these credentials belong to, or ``LoginRefused``.

    Failed attempts are counted on the account; after ``LOGIN_MAX_FAILURES`` in a row it is locked for
    ``LOGIN_LOCK_DURATION``. The caller commits even when this raises, so the count is kept.
    """
    now = now or utcnow()
    config = current_app.config
    user = db.session.scalar(
        select(User).where(func.lower(User.username) == (username or "").strip().lower())
    )
    if user is None:
        # Same message as a wrong password: do not reveal which usernames exist.
        raise LoginRefused(N_("Wrong username or password."))
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginRefused(
            N_("Too many failed attempts: the account is locked for %(minutes)d more minutes."),
            minutes=minutes,
        )
    if not check_password_hash(user.password_hash, password or ""):
        user.failed_logins += 1
        if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + config["LOGIN_LOCK_DURATION"]
            user.failed_logins = 0
            audit.record(None, "account.lock", user, username=user.username)
            db.session.flush()
            raise LoginRefused(
                N_("Too many failed attempts: the account is locked for %(minutes)d more minutes."),
                minutes=int(config["LOGIN_LOCK_DURATION"].total_seconds() // 60),
            )
        db.session.flush()
        raise LoginRefused(N_("Wrong username or password."))
    if not user.enabled:
        raise LoginRefused(N_("This account has been deactivated. Ask your unit manager."))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(user, "account.login", user)
    db.session.flush()
    return user


def set_own_password(user: User, new_password: str, current_password: str | None = None) -> None:
    """The owner chooses a password: at activation (first login, after a reset) or as a change.

    A change (``current_password`` given) must prove the old one; the new one must differ from it.
    """
    if current_password is not None and not check_password_hash(user.password_hash, current_password):
        raise AccountError(N_("The current password is wrong."))
    if check_password_hash(user.password_hash, new_password):
        raise AccountError(N_("The new password must differ from the old one."))
    check_password_policy(new_password, user.username)
    first_activation = user.activated_at is None
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    if first_activation:
        user.activated_at = utcnow()
    audit.record(user, "account.activate" if first_activation else "account.password_change", user)
    db.session.flush()


def reset_password(actor: User, user: User) -> str:
    """Give the account a new initial password (returned, shown once); the owner must change it."""
    initial = generate_initial_password()
    user.password_hash = hash_initial_password(initial)
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
