"""Personal API tokens: creating and revoking them (the account page ``accounts.views.tokens``); the API
authenticates requests with them (``api.auth``).

A token is ``cg_`` + 32 random bytes (URL-safe base64); only its SHA-256 is stored (``ApiToken``), with its
first 8 characters (``prefix``) so that its owner can tell tokens apart. It is shown once, when created.
"""

import hashlib
import secrets

from sqlalchemy import func, select

from accounts.audit import record
from accounts.models import User
from accounts.models.security import ApiToken
from shop.common import N_, DomainError, utcnow
from shop.extensions import db

TOKEN_PREFIX = "cg_"
#: How many leading characters of a token are kept to tell tokens apart (``cg_`` and 5 random ones).
SHOWN_PREFIX = 8
#: Live (unrevoked) tokens one account may hold.
MAX_LIVE_TOKENS = 20


class TokenError(DomainError):
    """A token could not be created or revoked; ``field`` names the form field at fault, if one is."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user`` named ``name``: (the stored row, the token itself, to show once). Audited;
    flushes, never commits.

    :raise TokenError: the name is empty or longer than 64 characters, or the account already holds
        ``MAX_LIVE_TOKENS`` live tokens.
    """
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise TokenError(N_("Enter a name for the token (at most 64 characters)."), "name")
    live = db.session.scalar(
        select(func.count(ApiToken.id)).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if live >= MAX_LIVE_TOKENS:
        raise TokenError(
            N_("You already have %(count)d active tokens; revoke one first."), count=MAX_LIVE_TOKENS
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, prefix=token[:SHOWN_PREFIX], token_hash=hash_token(token))
    db.session.add(row)
    db.session.flush()
    record(user, "api_token.create", row, name=name, prefix=row.prefix)
    db.session.flush()
    return row, token


def revoke_token(user: User, token: ApiToken) -> None:
    """Revoke one of ``user``'s own tokens (it never works again). Audited; flushes, never commits.

    :raise TokenError: the token is someone else's, or already revoked.
    """
    if token.user_id != user.id:
        raise TokenError(N_("This token does not exist."))
    if token.revoked_at is not None:
        raise TokenError(N_("This token has already been revoked."))
    token.revoked_at = utcnow()
    record(user, "api_token.revoke", token, name=token.name, prefix=token.prefix)
    db.session.flush()


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (one query; an account holds a handful)."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()).limit(200)
        )
    )
