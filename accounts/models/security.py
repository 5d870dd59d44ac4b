"""Security records shared by every app process: failed logins by client address (rate limiting), personal
API tokens, and the stored answers that make API retries with an ``Idempotency-Key`` safe."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.common import utcnow
from shop.extensions import db


class LoginAttempt(db.Model):
    """One failed login from a client address (``key`` is e.g. ``ip:203.0.113.7``). Counted over a sliding
    window by every process, so the limit holds however many workers serve; old rows are pruned."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is stored; the token itself is shown once, when created.
    ``prefix`` (its first characters) lets the owner tell tokens apart. A revoked token never works again."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user = relationship("User")


class IdempotencyRecord(db.Model):
    """The answer given to one API request carrying an ``Idempotency-Key``: a retry with the same key and
    the same body gets the same answer; the same key with another body is refused. Written in the same
    transaction as the request's effect, so the unique key also stops two concurrent retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_record_user_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(String(128))
    #: SHA-256 of method, path and body.
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
