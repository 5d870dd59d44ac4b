"""``Idempotency-Key``: a retried write (after a timeout, a dropped connection) has its effect once.

The first request with a key runs and its answer (status and JSON body) is stored with the key, in the same
transaction as the effect (``IdempotencyRecord``, unique per user and key). A later request with the same
key and the same method, path and body gets that stored answer again (header ``Idempotent-Replayed: true``)
and nothing new happens; with a different method, path or body it is refused: 409
``idempotency_key_reused``. The record is inserted *before* the effect runs, so of two concurrent requests
with one key the second waits on the unique index (PostgreSQL) or on the write lock (SQLite), then finds the
first's record and replays its answer; its own work, if any, is rolled back. An error answer is not
stored: the key stays free and the client may retry it.
"""

import hashlib
import json
import re

from flask import Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from accounts.models.security import IdempotencyRecord
from api.errors import ApiError
from shop.extensions import db

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, no spaces, at most the column's 128


def request_key() -> str | None:
    """The request's idempotency key, or None when it sent none.

    :raise ApiError: 400 ``invalid_idempotency_key``.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.match(key):
        raise ApiError(
            400,
            "invalid_idempotency_key",
            "The Idempotency-Key header must be 1 to 128 printable ASCII characters without spaces.",
            {"header": HEADER},
        )
    return key


def request_hash() -> str:
    """SHA-256 of the method, path and body (a JSON body canonically: key order and spacing ignored)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, UnicodeDecodeError):
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def find(user: User, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.user_id == user.id, IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    )


def replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    """The stored answer, if ``fingerprint`` is the request it answered.

    :raise ApiError: 409 ``idempotency_key_reused``.
    """
    if record.request_hash != fingerprint:
        raise ApiError(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request; use a new key.",
            {"header": HEADER},
        )
    if not record.status_code:  # reserved by a transaction that is still running (cannot commit like this)
        raise ApiError(409, "idempotency_key_in_use", "A request with this Idempotency-Key is in progress.")
    response = jsonify(record.response)
    response.status_code = record.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def reserve(user: User, key: str, fingerprint: str) -> IdempotencyRecord | Response:
    """Insert the key's record (its answer still empty) before the effect runs; when another request
    holds the key already (committed, or committing while this one waited), its answer instead.

    The insert runs in a savepoint, so losing the race undoes nothing but the insert itself; the caller's
    transaction then holds nothing else yet (call this before the effect).
    """
    record = IdempotencyRecord(user_id=user.id, key=key, request_hash=fingerprint, status_code=0, response={})
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        existing = find(user, key)
        if existing is None:  # pragma: no cover - the unique key refused, so the row exists
            raise
        return replay(existing, fingerprint)
    return record


def complete(record: IdempotencyRecord, response: Response) -> None:
    """Store the answer in the reserved record (the caller commits it with the effect)."""
    record.status_code = response.status_code
    record.response = response.get_json()
    db.session.flush()
