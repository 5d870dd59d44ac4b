"""The region tree (GB/T 2260): reading it with unit counts, adding regions, marking poverty counties.

Only the platform operator changes regions; a finance bureau reads its own subtree.

A code says where a region sits (GB/T 2260): two digits of province, two of city, two of county. A province
is XX0000, a city XXXX00 under its province's two digits, a county under its city's four digits. A county
the province administers itself (省直辖县级行政区, e.g. 429004 仙桃市) has 90 as its city digits and sits
directly under the province.
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
#: The city digits of a county the province administers itself (省直辖县级行政区).
PROVINCE_ADMINISTERED = "90"


def parent_levels(level: RegionLevel, code: str) -> tuple[RegionLevel, ...]:
    """The levels the parent of a new region may have (none for a province)."""
    if level == RegionLevel.province:
        return ()
    if level == RegionLevel.county and code[2:4] == PROVINCE_ADMINISTERED:
        return (RegionLevel.city, RegionLevel.province)
    return (PARENT_LEVEL[level],)


def code_problem(code: str, level: RegionLevel, parent: Region | None = None) -> tuple[str, dict] | None:
    """Why a six-digit ``code`` cannot be a region of ``level`` under ``parent`` (a msgid and its params),
    or None when it fits: the code's own shape for its level, then its prefix for its parent."""
    if level == RegionLevel.province and code[2:] != "0000":
        return N_("A province's code ends in 0000; %(code)s does not."), {"code": code}
    if level == RegionLevel.city and (code[4:] != "00" or code[2:4] == "00"):
        return N_("A city's code ends in 00 but not in 0000; %(code)s does not."), {"code": code}
    if level == RegionLevel.county and code[4:] == "00":
        return N_("A county's code does not end in 00; %(code)s does."), {"code": code}
    if parent is None:
        return None
    # A region carries its parent's digits: a province's two, a city's four.
    shared = 2 if parent.level == RegionLevel.province else 4
    if code[:shared] != parent.code[:shared]:
        return (
            N_("The code %(code)s must start with %(prefix)s, like its parent region %(parent)s."),
            {"code": code, "prefix": parent.code[:shared], "parent": parent.code},
        )
    return None


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
    """Add a region. Its parent must sit one level up (none for a province; a province-administered
    county may sit under its province) and its code must fit the tree (``code_problem``); only a county
    may be marked as a poverty county. Audits ``region.create``.

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
        if parent is None or parent.level not in parent_levels(level, code):
            raise UnitError(
                N_("The parent region of a %(level)s must be a %(parent_level)s; %(code)s is not one."),
                field="parent_code",
                level=level,
                parent_level=PARENT_LEVEL[level],
                code=parent_code,
            )
    problem = code_problem(code, level, parent)
    if problem is not None:
        message, params = problem
        raise UnitError(message, field="code", **params)
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
