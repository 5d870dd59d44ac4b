"""Reading budget units: the scoped list, a unit's subordinates and accounts, the home-page counts.

Every function runs a fixed number of queries whatever the number of rows: related rows are joined or
loaded in one go, account counts come from one grouped query.
"""

from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from accounts import policy
from accounts.labels import AccountStatus
from accounts.models import BudgetUnit, Region, RegionLevel, Role, User
from accounts.models.orgs import subtree_select
from shop.extensions import db


@dataclass
class UnitFilters:
    #: Only units at this region or below it.
    region_id: int | None = None
    #: Part of the name, or the start of the code.
    text: str = ""
    #: Only units that supervise at least one other unit.
    supervising: bool = False
    #: Only units without an activated manager account.
    manager_inactive: bool = False


@dataclass
class AccountCounts:
    managers: int = 0
    managers_activated: int = 0
    purchasers: int = 0
    purchasers_activated: int = 0

    @property
    def manager_status(self) -> AccountStatus | None:
        """``active`` when a manager has chosen a password, ``not_activated`` when one is opened but none has
        yet, None when the unit has no manager account."""
        if self.managers_activated:
            return AccountStatus.active
        return AccountStatus.not_activated if self.managers else None


def _without_active_manager():
    return ~exists().where(
        User.unit_id == BudgetUnit.id, User.role == Role.unit_manager, User.activated_at.is_not(None)
    )


def _supervising():
    child = aliased(BudgetUnit)
    return exists().where(child.parent_id == BudgetUnit.id)


def _subtree(model, root_id: int):
    """``root_id`` and everything below it, named apart from the scopes' subtrees (``policy.unit_scope`` and
    ``region_scope``) so that both can sit in one statement."""
    return subtree_select(model, root_id, name=f"chosen_{model.__tablename__}")


def unit_page(
    user: User, filters: UnitFilters, after: str | None = None, limit: int = 50
) -> tuple[list[BudgetUnit], str | None]:
    """The units ``user`` may see that match ``filters``, in code order from after the code ``after``.

    Returns at most ``limit`` units and the code to continue after (None on the last page): one more row
    is read to know, never a count of the whole table.
    """
    query = select(BudgetUnit).options(joinedload(BudgetUnit.region), joinedload(BudgetUnit.parent))
    scope = policy.unit_scope(user)
    if scope is not None:
        query = query.where(scope)
    if filters.region_id:
        query = query.where(BudgetUnit.region_id.in_(_subtree(Region, filters.region_id)))
    if filters.text:
        query = query.where(
            or_(
                BudgetUnit.name.icontains(filters.text, autoescape=True),
                BudgetUnit.code.startswith(filters.text.upper(), autoescape=True),
            )
        )
    if filters.supervising:
        query = query.where(_supervising())
    if filters.manager_inactive:
        query = query.where(_without_active_manager())
    if after:
        query = query.where(BudgetUnit.code > after)
    rows = db.session.scalars(query.order_by(BudgetUnit.code).limit(limit + 1)).all()
    if len(rows) > limit:
        return list(rows[:limit]), rows[limit - 1].code
    return list(rows), None


def account_counts(unit_ids: list[int]) -> dict[int, AccountCounts]:
    """Manager and purchaser accounts opened and activated, per unit: one grouped query."""
    counts = {unit_id: AccountCounts() for unit_id in unit_ids}
    if not unit_ids:
        return counts
    query = (
        select(User.unit_id, User.role, func.count(User.id), func.count(User.activated_at))
        .where(User.unit_id.in_(unit_ids), User.role.in_((Role.unit_manager, Role.purchaser)))
        .group_by(User.unit_id, User.role)
    )
    for unit_id, role, opened, activated in db.session.execute(query):
        entry = counts[unit_id]
        if role == Role.unit_manager:
            entry.managers, entry.managers_activated = opened, activated
        else:
            entry.purchasers, entry.purchasers_activated = opened, activated
    return counts


@dataclass
class UnitNode:
    unit: BudgetUnit
    depth: int
    children: list["UnitNode"] = field(default_factory=list)


def subordinate_tree(user: User, unit: BudgetUnit) -> list[UnitNode]:
    """The units below ``unit`` at any depth that ``user`` may see, depth first in code order (one query)."""
    query = (
        select(BudgetUnit)
        .options(joinedload(BudgetUnit.region))
        .where(BudgetUnit.id.in_(_subtree(BudgetUnit, unit.id)), BudgetUnit.id != unit.id)
        .order_by(BudgetUnit.code)
    )
    scope = policy.unit_scope(user)
    if scope is not None:
        query = query.where(scope)
    units = db.session.scalars(query).all()
    nodes = {each.id: UnitNode(each, 0) for each in units}
    roots = []
    for each in units:
        parent = nodes.get(each.parent_id)
        (parent.children if parent is not None else roots).append(nodes[each.id])
    ordered: list[UnitNode] = []

    def visit(node: UnitNode, depth: int) -> None:
        node.depth = depth
        ordered.append(node)
        for child in node.children:
            visit(child, depth + 1)

    for root in roots:
        visit(root, 0)
    return ordered


def unit_accounts(unit: BudgetUnit) -> list[User]:
    """The unit's manager and purchaser accounts, managers first."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.unit_id == unit.id)
            .order_by(case((User.role == Role.unit_manager, 0), else_=1), User.username)
        ).all()
    )


def regions_for_filter(user: User) -> list[Region]:
    """The regions ``user`` may filter the unit list by (its subtree, or all), in code order."""
    query = select(Region).order_by(Region.code)
    scope = policy.region_scope(user)
    if scope is not None:
        query = query.where(scope)
    return list(db.session.scalars(query).all())


def regions_for_units(user: User) -> list[Region]:
    """The cities and counties ``user`` may register a unit at, named in full (one query)."""
    query = (
        select(Region)
        .options(joinedload(Region.parent).joinedload(Region.parent))
        .where(Region.level.in_((RegionLevel.city, RegionLevel.county)))
        .order_by(Region.code)
    )
    scope = policy.region_scope(user)
    if scope is not None:
        query = query.where(scope)
    return list(db.session.scalars(query).all())


def count_without_active_manager(user: User) -> int:
    """How many units in ``user``'s scope have no manager who has activated the account."""
    query = select(func.count(BudgetUnit.id)).where(_without_active_manager())
    scope = policy.unit_scope(user)
    if scope is not None:
        query = query.where(scope)
    return db.session.scalar(query) or 0


def count_subordinates(unit: BudgetUnit) -> int:
    """How many units ``unit`` supervises, directly or below."""
    return (
        db.session.scalar(
            select(func.count(BudgetUnit.id)).where(
                and_(BudgetUnit.id.in_(_subtree(BudgetUnit, unit.id)), BudgetUnit.id != unit.id)
            )
        )
        or 0
    )
