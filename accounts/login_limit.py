"""Failed logins counted per client address, in the database, so the limit holds across every app process.

The account lockout (``services.authenticate``) stops guessing one account's password; this stops one
address from guessing across many accounts. Each refused login from an address adds a ``LoginAttempt``; an
address with ``LOGIN_IP_MAX_FAILURES`` failures within the last ``LOGIN_IP_WINDOW`` is refused before any
password is checked, until enough of them age out of the window. A refusal for the limit adds no row, so an
address keeps at most about the limit's number of rows however hard it tries.

The count is not taken under a lock: requests arriving at the same instant may pass a few failures over the
limit, which does not matter for a limit of this kind. Pruning is bounded and never waits on another process.
"""

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, select

from accounts import audit
from accounts.models.security import LoginAttempt
from shop.common import N_, DomainError, utcnow
from shop.extensions import db

#: Expired rows deleted per recorded failure (bounded work; a burst of failures clears a backlog quickly).
PRUNE_BATCH = 200

THROTTLED = N_(
    "Too many failed logins from your network address: logins from it are refused for %(minutes)d more "
    "minutes."
)


def address_key(address: str | None) -> str:
    """The key an address is counted under (``ip:203.0.113.7``; ``ip:unknown`` when none is known)."""
    return f"ip:{(address or 'unknown')[:150]}"


def check(address: str | None, now: datetime | None = None) -> None:
    """Refuse a login from ``address`` while it is over the limit.

    :raise AddressThrottled: ``LOGIN_IP_MAX_FAILURES`` failures within ``LOGIN_IP_WINDOW``; ``minutes`` is
        how long until the oldest of them leaves the window.
    """
    config = current_app.config
    now = now or utcnow()
    window = config["LOGIN_IP_WINDOW"]
    failures, oldest = db.session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            LoginAttempt.key == address_key(address), LoginAttempt.at > now - window
        )
    ).one()
    if failures >= config["LOGIN_IP_MAX_FAILURES"]:
        seconds = max(0.0, (oldest + window - now).total_seconds())
        raise AddressThrottled(THROTTLED, minutes=int(seconds // 60) + 1)


def record_failure(address: str | None, now: datetime | None = None) -> None:
    """Count one refused login from ``address``; audit the failure that reaches the limit
    (``account.login_address_blocked``); delete a bounded batch of rows older than the window."""
    config = current_app.config
    now = now or utcnow()
    key = address_key(address)
    db.session.add(LoginAttempt(key=key, at=now))
    db.session.flush()
    window_start = now - config["LOGIN_IP_WINDOW"]
    failures = db.session.scalar(
        select(func.count()).where(LoginAttempt.key == key, LoginAttempt.at > window_start)
    )
    if failures == config["LOGIN_IP_MAX_FAILURES"]:
        # The entry's own ``ip`` is the request's; the detail names the address counted (the same, from
        # the login form, but also when called outside a request).
        audit.record(None, "account.login_address_blocked", None, address=address or "unknown")
    _prune(window_start)
    db.session.flush()


def _prune(before: datetime) -> None:
    """Delete up to ``PRUNE_BATCH`` rows older than ``before``. On PostgreSQL rows another process is
    deleting are skipped (``SKIP LOCKED``), so concurrent prunes neither wait nor deadlock; SQLite has one
    writer at a time anyway."""
    expired = (
        select(LoginAttempt.id)
        .where(LoginAttempt.at < before)
        .order_by(LoginAttempt.at)
        .limit(PRUNE_BATCH)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.id.in_(expired)).execution_options(synchronize_session=False)
    )


class AddressThrottled(DomainError):
    """Logins from this client address are refused for now (HTTP 429); nothing was checked or recorded."""
