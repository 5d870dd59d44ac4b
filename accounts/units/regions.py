"""The region tree (GB/T 2260): reading it with unit counts, adding regions, marking poverty counties.

Only the platform operator changes regions; a finance bureau reads its own subtree.
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from accounts import audit, policy
from accounts.models import BudgetUnit, Region, RegionLevel, User
from accounts.units.rules import UnitError
from accounts.validators import is_valid_region_code
from shop.common import N_
from shop.extensions import db

#: The level a region's parent must have.
PARENT_LEVEL = {RegionLevel.city: RegionLevel.province, RegionLevel.county: RegionLevel.city}


@dataclass
class RegionNode:
    region: Region
    depth: int
    #: Budget units registered at this region itself.
    units: int = 0
    #: Budget units at this region and every region below it.
    units_below: int = 0
    children: list["RegionNode"] = field(default_factory=list)


def region_tree(user: User) -> list[RegionNode]:
    """The regions ``user`` may see, depth first in code order, each with its unit counts.

    Two queries whatever the size of the tree: the regions, and the unit counts grouped by region.
    """
    scope = policy.region_scope(user)
    query = select(Region).order_by(Region.code)
    counts_query = select(BudgetUnit.region_id, func.count(BudgetUnit.id)).group_by(BudgetUnit.region_id)
    if scope is not None:
        query = query.where(scope)
        counts_query = counts_query.where(BudgetUnit.region_id.in_(policy.region_subtree(user.region_id)))
    regions = db.session.scalars(query).all()
    counts = dict(db.session.execute(counts_query).all())
    nodes = {region.id: RegionNode(region, 0, units=counts.get(region.id, 0)) for region in regions}
    roots = []
    for region in regions:
        parent = nodes.get(region.parent_id)
        (parent.children if parent is not None else roots).append(nodes[region.id])
    ordered: list[RegionNode] = []

    def visit(node: RegionNode, depth: int) -> int:
        node.depth = depth
        ordered.append(node)
        node.units_below = node.units + sum(visit(child, depth + 1) for child in node.children)
        return node.units_below

    for root in roots:
        visit(root, 0)
    return ordered


def _refuse_unless_operator(actor: User) -> None:
    if not policy.can_manage_regions(actor):
        raise UnitError(N_("Only the platform operator changes regions."))


def create_region(
    actor: User, *, code: str, name: str, level: str, parent_code: str = "", poverty: bool = False
) -> Region:
    """Add a region. Its parent must sit one level up (none for a province); only a county may be marked
    as a poverty county. Audits ``region.create``.

    :raise UnitError: the actor is not the operator, or a fact is wrong (``field`` names it).
    """
    _refuse_unless_operator(actor)
    code, name, parent_code = (code or "").strip(), (name or "").strip(), (parent_code or "").strip()
    if not is_valid_region_code(code):
        raise UnitError(N_("The region code %(code)s must be six digits."), field="code", code=code)
    if db.session.scalar(select(Region.id).where(Region.code == code)) is not None:
        raise UnitError(N_("A region with the code %(code)s already exists."), field="code", code=code)
    if not name or len(name) > 64:
        raise UnitError(N_("Enter the region's name (at most 64 characters)."), field="name")
    try:
        level = RegionLevel(level)
    except ValueError:
        raise UnitError(N_("Choose the level of the region."), field="level") from None
    parent = None
    if level == RegionLevel.province:
        if parent_code:
            raise UnitError(N_("A province has no parent region."), field="parent_code")
    else:
        parent = db.session.scalar(select(Region).where(Region.code == parent_code)) if parent_code else None
        if parent is None or parent.level != PARENT_LEVEL[level]:
            raise UnitError(
                N_("The parent region of a %(level)s must be a %(parent_level)s; %(code)s is not one."),
                field="parent_code",
                level=level,
                parent_level=PARENT_LEVEL[level],
                code=parent_code,
            )
    if poverty and level != RegionLevel.county:
        raise UnitError(N_("Only a county can be a poverty county."), field="poverty")
    region = Region(
        code=code,
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        is_poverty_county=bool(poverty),
    )
    try:
        # The unique constraint decides between two operators adding one code at once.
        with db.session.begin_nested():
            db.session.add(region)
    except IntegrityError:
        raise UnitError(
            N_("A region with the code %(code)s already exists."), field="code", code=code
        ) from None
    audit.record(
        actor,
        "region.create",
        region,
        code=code,
        name=name,
        level=level,
        parent=parent.code if parent else None,
        poverty=bool(poverty),
    )
    db.session.flush()
    return region


def set_poverty_county(actor: User, region: Region, poverty: bool) -> None:
    """Mark a county as a poverty county or not. Audits ``region.poverty_flag`` when the flag changes.

    :raise UnitError: the actor is not the operator, or the region is not a county.
    """
    _refuse_unless_operator(actor)
    if region.level != RegionLevel.county:
        raise UnitError(N_("Only a county can be a poverty county."))
    if region.is_poverty_county == poverty:
        return
    region.is_poverty_county = poverty
    audit.record(actor, "region.poverty_flag", region, code=region.code, poverty=poverty)
    db.session.flush()
