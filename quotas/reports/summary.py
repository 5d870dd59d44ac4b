"""The finance report of a year at one level: the platform, a region, or a supervising unit's subtree, with
one row per child (drill-down: city → county → supervising unit → unit → orders).

``summarise(year, region, today=…)`` is the contract the demo and the benchmark rely on: its query count
does not depend on the number of units or orders (``quotas.reports.loading``).

Rows of a region: one per child region (its whole subtree), then one per unit registered at the region
itself that is not under another such unit (with the units it supervises in the same region). Rows of a
unit: the unit on its own ("self"), then one per subordinate unit with everything below it.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from accounts.models import BudgetUnit, Region, RegionLevel
from accounts.models.orgs import subtree_select
from quotas.reports.figures import Figures, UnitLine, elapsed_fraction
from quotas.reports.loading import load_lines, monthly_totals
from shop.extensions import db

DEFAULT_ARREARS_DAYS = 30


@dataclass
class Row(Figures):
    """One child of the level shown: a region (its subtree) or a unit (itself, or with its subordinates)."""

    #: "region", "unit" (a unit and the units below it) or "self" (a unit on its own).
    kind: str = "region"
    id: int = 0
    code: str = ""
    name: str = ""
    level: RegionLevel | None = None
    is_poverty_county: bool = False
    #: The unit's own figures, when the row is exactly one unit (its canteen, filing, minimum ratio).
    line: UnitLine | None = None

    @property
    def canteen(self):
        return self.line.canteen if self.line else None

    @property
    def filing_status(self):
        return self.line.filing_status if self.line else None

    @property
    def min_ratio(self) -> Decimal | None:
        return self.line.min_ratio if self.line else None


@dataclass
class Summary(Figures):
    """The figures of the whole level, its rows, its units and its monthly purchases."""

    year: int = 0
    today: date | None = None
    #: Elapsed fraction of the year on ``today`` (1 for a past year).
    fraction: Decimal = Decimal(1)
    region: Region | None = None
    unit: BudgetUnit | None = None
    arrears_days: int = DEFAULT_ARREARS_DAYS
    rows: list[Row] = field(default_factory=list)
    #: Every unit of the level, in code order.
    lines: list[UnitLine] = field(default_factory=list)
    #: Counted purchases per month, January first (all units of the level).
    monthly: list[Decimal] = field(default_factory=list)

    @property
    def is_current_year(self) -> bool:
        return self.today is not None and self.year == self.today.year


def level_filter(region: Region | None = None, unit: BudgetUnit | None = None, within=None):
    """The where-clause on ``BudgetUnit`` choosing a level's units: ``unit`` and the units below it (and
    matching ``within``), or the units of ``region``'s subtree, or None for all units."""
    if unit is not None:
        condition = BudgetUnit.id.in_(subtree_select(BudgetUnit, unit.id, name="report_units"))
        return condition if within is None else condition & within
    if region is not None:
        return BudgetUnit.region_id.in_(subtree_select(Region, region.id, name="report_regions"))
    return None


def _arrears_days(arrears_days: int | None) -> int:
    if arrears_days is not None:
        return arrears_days
    return int(current_app.config.get("ARREARS_DAYS", DEFAULT_ARREARS_DAYS))


def summarise(
    year: int, region: Region | None = None, *, today: date, arrears_days: int | None = None
) -> Summary:
    """The report of ``year`` for ``region``'s subtree (units whose region is in it), or for the whole
    platform when ``region`` is None. ``today`` is the Beijing date (schedule, projection, arrears' age);
    ``arrears_days`` defaults to the ``ARREARS_DAYS`` setting. A constant number of queries."""
    days = _arrears_days(arrears_days)
    unit_filter = level_filter(region=region)
    region_filter = None if region is None else Region.id.in_(subtree_select(Region, region.id))
    fraction = elapsed_fraction(year, today)
    lines = load_lines(unit_filter, year, today, days)
    summary = Summary(year=year, today=today, fraction=fraction, region=region, arrears_days=days)
    summary.add_up(lines.values(), fraction)
    summary.lines = list(lines.values())
    summary.monthly = monthly_totals(unit_filter, year)
    summary.rows = _region_rows(region, region_filter, lines, fraction)
    return summary


def summarise_unit(
    year: int, unit: BudgetUnit, *, today: date, within=None, arrears_days: int | None = None
) -> Summary:
    """The report of ``year`` for ``unit`` and every unit it supervises at any depth, limited to the units
    matching ``within`` (the viewer's reach, a where-clause on ``BudgetUnit``) if given. Rows: the unit on
    its own, then one per subordinate unit with its own subtree. A constant number of queries."""
    days = _arrears_days(arrears_days)
    unit_filter = level_filter(unit=unit, within=within)
    fraction = elapsed_fraction(year, today)
    lines = load_lines(unit_filter, year, today, days)
    summary = Summary(year=year, today=today, fraction=fraction, unit=unit, arrears_days=days)
    summary.add_up(lines.values(), fraction)
    summary.lines = list(lines.values())
    summary.monthly = monthly_totals(unit_filter, year)
    rows = []
    if unit.id in lines:
        own = lines[unit.id]
        rows.append(_unit_row("self", own, [own], fraction))
    groups = _group_under(lines, lambda line: line.parent_id == unit.id, exclude=unit.id)
    for top, members in groups:
        rows.append(_unit_row("unit", top, members, fraction))
    summary.rows = rows
    return summary


def _unit_row(kind: str, top: UnitLine, members: list[UnitLine], fraction: Decimal) -> Row:
    row = Row(kind=kind, id=top.id, code=top.code, name=top.name, line=top if len(members) == 1 else None)
    return row.add_up(members, fraction)


def _group_under(lines: dict[int, UnitLine], is_top, exclude: int | None = None, same_region: bool = False):
    """Units grouped under their top unit: a unit for which ``is_top(line)`` holds, or whose parent is not
    among ``lines`` (or, with ``same_region``, in another region). Returns (top line, members) pairs in
    the order of the top units' codes."""
    top_of: dict[int, int] = {}

    def find(line: UnitLine) -> int:
        path: list[int] = []
        current = line
        while current.id not in top_of:
            parent = lines.get(current.parent_id) if current.parent_id is not None else None
            if (
                current.id in path  # a loop in the data: stop rather than spin
                or is_top(current)
                or parent is None
                or parent.id == exclude
                or (same_region and parent.region_id != current.region_id)
            ):
                top_of[current.id] = current.id
                break
            path.append(current.id)
            current = parent
        for unit_id in path:
            top_of[unit_id] = top_of[current.id]
        return top_of[line.id]

    groups: dict[int, list[UnitLine]] = {}
    for line in lines.values():
        if line.id == exclude:
            continue
        groups.setdefault(find(line), []).append(line)
    return [(lines[top], members) for top, members in sorted(groups.items(), key=lambda g: lines[g[0]].code)]


def _region_rows(region: Region | None, region_filter, lines: dict[int, UnitLine], fraction) -> list[Row]:
    """The rows of ``region`` (None: the platform, whose rows are the top regions). ``region_filter``
    selects the regions of its subtree (None: all)."""
    query = select(
        Region.id, Region.parent_id, Region.code, Region.name, Region.level, Region.is_poverty_county
    ).order_by(Region.code)
    regions = db.session.execute(query if region_filter is None else query.where(region_filter)).all()
    parents = {row.id: row.parent_id for row in regions}
    root = region.id if region is not None else None
    children = [row for row in regions if row.parent_id == root]
    child_ids = {row.id for row in children}
    top_cache: dict[int, int | None] = {}

    def child_of_root(region_id: int) -> int | None:
        if region_id not in top_cache:
            current, seen = region_id, 0
            while current is not None and current not in child_ids and seen < 32:
                current, seen = parents.get(current), seen + 1
            top_cache[region_id] = current if current in child_ids else None
        return top_cache[region_id]

    members: dict[int, list[UnitLine]] = {row.id: [] for row in children}
    here: dict[int, UnitLine] = {}
    for line in lines.values():
        child = child_of_root(line.region_id)
        if child is not None:
            members[child].append(line)
        elif root is not None and line.region_id == root:
            here[line.id] = line
    rows = []
    for child in children:
        row = Row(
            kind="region",
            id=child.id,
            code=child.code,
            name=child.name,
            level=child.level,
            is_poverty_county=child.is_poverty_county,
        )
        rows.append(row.add_up(members[child.id], fraction))
    for top, group in _group_under(here, lambda line: False, same_region=True):
        rows.append(_unit_row("unit", top, group, fraction))
    return rows
