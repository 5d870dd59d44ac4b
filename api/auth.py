"""Authenticating an API request by its bearer token (tokens are made and revoked by ``accounts.tokens``).

API calls are authenticated by ``Authorization: Bearer <token>`` alone, never by the web session cookie (a
cookie would make every API write a cross-site request forgery target); the API blueprints are CSRF-exempt
for that reason. The account behind a token is refused as the web login refuses it: deactivated, or still
on an initial password (which must first be replaced on the web, and which expires).
"""

from datetime import timedelta

from flask import g
from sqlalchemy import or_, select, update

from accounts.models import User
from accounts.models.security import ApiToken
from accounts.tokens import hash_token
from api.errors import ApiError
from shop.common import utcnow
from shop.extensions import db

#: ``last_used_at`` is written at most this often per token (a write per call would serialise the API).
LAST_USED_RESOLUTION = timedelta(minutes=1)

_BEARER = {"WWW-Authenticate": 'Bearer realm="api"'}


def authenticate_request(authorization: str | None) -> User:
    """The user an ``Authorization`` header's bearer token names; notes the token's use (committed on its
    own, at most once a minute, before the endpoint's work begins).

    :raise ApiError: 401 ``token_missing`` / ``token_invalid`` / ``token_revoked`` / ``account_disabled``
        / ``password_change_required``.
    """
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401, "token_missing", "Send an API token: Authorization: Bearer <token>.", headers=_BEARER
        )
    row = db.session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise ApiError(401, "token_invalid", "This API token is not valid.", headers=_BEARER)
    api_token, user = row
    if api_token.revoked_at is not None:
        raise ApiError(401, "token_revoked", "This API token has been revoked.", headers=_BEARER)
    if not user.enabled:
        raise ApiError(401, "account_disabled", "This account has been deactivated.", headers=_BEARER)
    if user.must_change_password:
        # Also covers an expired initial password: either way the owner must first set one on the web.
        raise ApiError(
            401,
            "password_change_required",
            "Log in on the web and set your own password before using the API.",
            headers=_BEARER,
        )
    _note_use(api_token)
    g.api_user = user
    g.api_token = api_token
    return user


def _note_use(api_token: ApiToken) -> None:
    now = utcnow()
    if api_token.last_used_at is not None and api_token.last_used_at > now - LAST_USED_RESOLUTION:
        return
    db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == api_token.id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def current_api_user() -> User:
    """The user the current API request authenticated as (inside an ``@blp.auth`` endpoint)."""
    return g.api_user
