"""Writing to the audit log. Every package calls ``record``; it only adds to the session.

The entry is sealed into the tamper-evident chain when the session commits (``accounts.audit_chain``, whose
session listeners this import installs).
"""

from flask import has_request_context, request

from accounts import audit_chain  # noqa: F401  (installs the sealing listeners)
from accounts.models import AuditEntry
from shop.extensions import db


def record(actor, action: str, obj=None, **details) -> AuditEntry:
    """Append an entry for ``action`` done by ``actor`` (a User, or None for the system) on ``obj``.

    The client's address is taken from the request when there is one: it is context, not an input of
    the business rule that is being audited.
    """
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=obj.__tablename__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        details={key: _plain(value) for key, value in details.items()},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def _plain(value):
    if isinstance(value, str | int | bool | float) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return str(value)
