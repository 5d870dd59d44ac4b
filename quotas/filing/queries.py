"""Reading filings for pages: a unit-year's history, the review queues with last year's figures, and the
units that have not filed yet. Each function runs a fixed number of queries whatever the number of rows,
and pages with limit + 1 (never a count of the whole table).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from accounts import policy
from accounts.models import BudgetUnit, Region, User
from quotas import access
from quotas.models import FilingStatus, QuotaFiling
from quotas.rules import COUNTING, EffectivePolicy, policy_resolver
from shop.extensions import db

#: How many days before the deadline a unit that has not filed is reminded.
REMINDER_DAYS = 30


def _people_and_units(query):
    return query.options(
        joinedload(QuotaFiling.created_by),
        joinedload(QuotaFiling.endorsed_by),
        joinedload(QuotaFiling.approved_by),
        joinedload(QuotaFiling.returned_by),
        joinedload(QuotaFiling.shared_with),
    )


def history(unit_id: int, year: int) -> list[QuotaFiling]:
    """Every version of a unit-year, newest first, with the people who acted on each (one query)."""
    return list(
        db.session.scalars(
            _people_and_units(
                select(QuotaFiling).where(QuotaFiling.unit_id == unit_id, QuotaFiling.year == year)
            ).order_by(QuotaFiling.version.desc())
        )
    )


def counting_for(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], QuotaFiling]:
    """The counting filing (``quotas.rules``) of each ``(unit_id, year)`` pair, in one query."""
    if not pairs:
        return {}
    unit_ids = {unit_id for unit_id, _year in pairs}
    years = {year for _unit_id, year in pairs}
    ranked = (
        select(
            QuotaFiling.id.label("filing_id"),
            func.row_number()
            .over(
                partition_by=(QuotaFiling.unit_id, QuotaFiling.year),
                order_by=(
                    case((QuotaFiling.status == FilingStatus.approved, 0), else_=1),
                    QuotaFiling.version.desc(),
                ),
            )
            .label("rank"),
        )
        .where(
            QuotaFiling.unit_id.in_(unit_ids), QuotaFiling.year.in_(years), QuotaFiling.status.in_(COUNTING)
        )
        .subquery()
    )
    rows = db.session.scalars(
        select(QuotaFiling).join(ranked, ranked.c.filing_id == QuotaFiling.id).where(ranked.c.rank == 1)
    )
    found = {(filing.unit_id, filing.year): filing for filing in rows}
    return {pair: found[pair] for pair in pairs if pair in found}


# --- review queues -----------------------------------------------------------------------------------------


@dataclass
class QueueRow:
    filing: QuotaFiling
    #: The unit's counting filing of the year before, if any.
    last_year: QuotaFiling | None


def review_queue(user: User, after: int | None = None, size: int = 50) -> tuple[list[QueueRow], int | None]:
    """The versions waiting for ``user``'s decision, in the order they were filed (keyset on the id, from
    after ``after``), each beside the unit's counting filing of the year before; and the ``after`` of the
    next page (None on the last). Three queries whatever the page holds."""
    scope = access.review_queue_scope(user)
    if scope is None:
        return [], None
    query = _people_and_units(select(QuotaFiling).where(scope)).options(
        joinedload(QuotaFiling.unit).joinedload(BudgetUnit.region),
        joinedload(QuotaFiling.unit).joinedload(BudgetUnit.parent),
    )
    if after:
        query = query.where(QuotaFiling.id > after)
    filings = list(db.session.scalars(query.order_by(QuotaFiling.id).limit(size + 1)).unique())
    page = filings[:size]
    last = counting_for({(filing.unit_id, filing.year - 1) for filing in page})
    rows = [QueueRow(filing, last.get((filing.unit_id, filing.year - 1))) for filing in page]
    return rows, page[-1].id if len(filings) > size else None


def count_waiting(user: User, cap: int = 1000) -> int:
    """How many versions wait for ``user`` (at most ``cap``: a home panel needs no exact large count)."""
    scope = access.review_queue_scope(user)
    if scope is None:
        return 0
    return db.session.scalar(
        select(func.count()).select_from(select(QuotaFiling.id).where(scope).limit(cap).subquery())
    )


# --- units that have not filed -----------------------------------------------------------------------------


@dataclass
class UnfiledRow:
    unit: BudgetUnit
    policy: EffectivePolicy
    #: Days to the effective deadline (negative once it has passed).
    days_left: int
    #: The status of the unit's newest version (a draft, or one returned), or None if nothing is started.
    newest: FilingStatus | None


def _not_filed(year: int):
    counted = (
        select(QuotaFiling.id)
        .where(
            QuotaFiling.unit_id == BudgetUnit.id, QuotaFiling.year == year, QuotaFiling.status.in_(COUNTING)
        )
        .exists()
    )
    return ~counted


def _scoped_units(user: User, year: int):
    query = select(BudgetUnit).where(_not_filed(year))
    scope = policy.unit_scope(user)
    return query if scope is None else query.where(scope)


def _due_regions(user: User, resolve, today: date) -> list[int]:
    """The ids of the regions (in ``user``'s scope) whose units' effective deadline is at most
    ``REMINDER_DAYS`` away or past: policies differ from county to county, so this is read per region."""
    query = select(Region.id)
    scope = policy.region_scope(user)
    if scope is not None:
        query = query.where(scope)
    return [
        region_id
        for region_id in db.session.scalars(query)
        if (resolve(region_id).filing_deadline - today).days <= REMINDER_DAYS
    ]


def unfiled_page(
    user: User, year: int, *, today: date, due_only: bool = False, after: str | None = None, size: int = 50
) -> tuple[list[UnfiledRow], str | None]:
    """The units in ``user``'s scope without a submitted (counting) filing for ``year``, in code order after
    the code ``after``, each with its effective deadline and the days left; with ``due_only``, only those
    whose deadline is at most ``REMINDER_DAYS`` away or past. Returns the page and the code to continue
    after (None on the last page). A fixed number of queries; no count."""
    resolve = policy_resolver(year)
    query = _scoped_units(user, year).options(joinedload(BudgetUnit.region))
    if due_only:
        query = query.where(BudgetUnit.region_id.in_(_due_regions(user, resolve, today)))
    if after:
        query = query.where(BudgetUnit.code > after)
    units = list(db.session.scalars(query.order_by(BudgetUnit.code).limit(size + 1)))
    page = units[:size]
    newest = _newest_statuses([unit.id for unit in page], year)
    rows = []
    for unit in page:
        effective = resolve(unit.region_id)
        rows.append(
            UnfiledRow(unit, effective, (effective.filing_deadline - today).days, newest.get(unit.id))
        )
    return rows, page[-1].code if len(units) > size else None


def count_unfiled(user: User, year: int, cap: int = 1000) -> int:
    """How many units in ``user``'s scope have no submitted filing for ``year`` (at most ``cap``)."""
    inner = _scoped_units(user, year).with_only_columns(BudgetUnit.id).limit(cap)
    return db.session.scalar(select(func.count()).select_from(inner.subquery()))


def _newest_statuses(unit_ids: list[int], year: int) -> dict[int, FilingStatus]:
    if not unit_ids:
        return {}
    newest = (
        select(QuotaFiling.unit_id, func.max(QuotaFiling.version).label("version"))
        .where(QuotaFiling.unit_id.in_(unit_ids), QuotaFiling.year == year)
        .group_by(QuotaFiling.unit_id)
        .subquery()
    )
    rows = db.session.execute(
        select(QuotaFiling.unit_id, QuotaFiling.status).join(
            newest,
            (newest.c.unit_id == QuotaFiling.unit_id)
            & (newest.c.version == QuotaFiling.version)
            & (QuotaFiling.year == year),
        )
    )
    return dict(rows.all())
