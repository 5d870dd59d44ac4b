"""The names of the objects the audit log refers to, for one page of the log.

One query per object type on the page, whatever the number of entries; each limited to what the viewer
may see (an object outside the viewer's scope keeps its bare type and id, so no name leaks).
"""

from flask import url_for
from sqlalchemy import select

from accounts import policy
from accounts.models import AuditEntry, BudgetUnit, Region, Supplier, User
from shop.extensions import db

#: (object type, object id) -> (the object's name, a link to its page or None)
Names = dict[tuple[str, int], tuple[str, str | None]]


def object_names(viewer: User, entries: list[AuditEntry]) -> Names:
    """Name (and where there is a page the viewer may open, link) the objects of ``entries``."""
    ids: dict[str, set[int]] = {}
    for entry in entries:
        if entry.object_type and entry.object_id:
            ids.setdefault(entry.object_type, set()).add(entry.object_id)
    names: Names = {}
    for object_type, object_ids in ids.items():
        reader = _READERS.get(object_type)
        if reader is not None:
            for object_id, name, link in reader(viewer, sorted(object_ids)):
                names[(object_type, object_id)] = (name, link)
    return names


def _scoped(query, scope):
    return query if scope is None else query.where(scope)


def _units(viewer: User, ids: list[int]):
    query = select(BudgetUnit.id, BudgetUnit.name).where(BudgetUnit.id.in_(ids))
    linked = policy.can_access("units.detail")
    for unit_id, name in db.session.execute(_scoped(query, policy.unit_scope(viewer))):
        yield unit_id, name, url_for("units.detail", unit_id=unit_id) if linked else None


def _suppliers(viewer: User, ids: list[int]):
    query = select(Supplier.id, Supplier.name).where(Supplier.id.in_(ids))
    linked = policy.can_access("suppliers.detail")
    for supplier_id, name in db.session.execute(_scoped(query, policy.supplier_scope(viewer))):
        yield supplier_id, name, url_for("suppliers.detail", supplier_id=supplier_id) if linked else None


def _accounts(viewer: User, ids: list[int]):
    query = select(User.id, User.username, User.name).where(User.id.in_(ids))
    for user_id, username, name in db.session.execute(_scoped(query, policy.account_scope(viewer))):
        yield user_id, f"{name} ({username})", None


def _regions(viewer: User, ids: list[int]):
    query = select(Region.id, Region.code, Region.name).where(Region.id.in_(ids))
    for region_id, code, name in db.session.execute(_scoped(query, policy.region_scope(viewer))):
        yield region_id, f"{code} {name}", None


_READERS = {
    BudgetUnit.__tablename__: _units,
    Supplier.__tablename__: _suppliers,
    User.__tablename__: _accounts,
    Region.__tablename__: _regions,
}
