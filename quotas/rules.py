"""The two readings every part of quotas shares: a unit's effective policy, and which filing version counts.

- A unit's effective policy for a year is its region's, or the nearest ancestor's, or the national default
  (``NATIONAL_MIN_RATIO``, deadline 31 March, no "not below last year" rule) — with where it came from.
- Per unit and year, the filing that counts (for reports, the unit's page and "last year's figures") is the
  newest approved version, or failing that the newest version under review (submitted or endorsed). Drafts
  and returned versions never count.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select, true
from sqlalchemy.orm import joinedload

from accounts.models import Region
from quotas.models import NATIONAL_MIN_RATIO, FilingStatus, QuotaFiling, QuotaPolicy
from shop.extensions import db

COUNTING = (FilingStatus.submitted, FilingStatus.endorsed, FilingStatus.approved)


@dataclass(frozen=True)
class EffectivePolicy:
    year: int
    min_ratio: Decimal
    filing_deadline: date
    not_below_last_year: bool
    #: The region whose policy this is; None for the national default.
    source: Region | None


def national_default(year: int) -> EffectivePolicy:
    return EffectivePolicy(year, NATIONAL_MIN_RATIO, date(year, 3, 31), False, None)


def policy_resolver(year: int):
    """A function ``region_id -> EffectivePolicy`` for ``year``, after two queries (all regions' parents and
    the year's policies), for reports over many units."""
    parents = dict(db.session.execute(select(Region.id, Region.parent_id)).all())
    policies = {
        policy.region_id: policy
        for policy in db.session.scalars(
            select(QuotaPolicy).where(QuotaPolicy.year == year).options(joinedload(QuotaPolicy.region))
        )
    }
    default = national_default(year)
    cache: dict[int | None, EffectivePolicy] = {}

    def resolve(region_id: int | None) -> EffectivePolicy:
        if region_id in cache:
            return cache[region_id]
        walked, current, found = [], region_id, default
        while current is not None:
            if current in cache:
                found = cache[current]
                break
            walked.append(current)
            policy = policies.get(current)
            if policy is not None:
                found = EffectivePolicy(
                    year, policy.min_ratio, policy.filing_deadline, policy.not_below_last_year, policy.region
                )
                break
            current = parents.get(current)
        for region in walked:
            cache[region] = found
        return found

    return resolve


def effective_policy(region: Region, year: int) -> EffectivePolicy:
    """The policy that applies to units of ``region`` in ``year`` (one query per ancestor, at most)."""
    current: Region | None = region
    while current is not None:
        policy = db.session.scalar(
            select(QuotaPolicy).where(QuotaPolicy.region_id == current.id, QuotaPolicy.year == year)
        )
        if policy is not None:
            return EffectivePolicy(
                year, policy.min_ratio, policy.filing_deadline, policy.not_below_last_year, current
            )
        current = current.parent
    return national_default(year)


def counting_filings(year: int, among=None):
    """A subquery of the filings that count in ``year``, one per unit (columns of ``QuotaFiling``); join it
    with ``aliased(QuotaFiling, counting_filings(year))`` or select from it directly.

    ``among``: a condition on ``QuotaFiling`` (e.g. ``QuotaFiling.unit_id.in_(…)``) applied before the
    ranking, so a report of one city does not rank the filings of the whole province first.
    """
    ranked = (
        select(
            QuotaFiling.id.label("filing_id"),
            func.row_number()
            .over(
                partition_by=QuotaFiling.unit_id,
                order_by=(
                    case((QuotaFiling.status == FilingStatus.approved, 0), else_=1),
                    QuotaFiling.version.desc(),
                ),
            )
            .label("rank"),
        )
        .where(QuotaFiling.year == year, QuotaFiling.status.in_(COUNTING), true() if among is None else among)
        .subquery()
    )
    return (
        select(QuotaFiling)
        .join(ranked, ranked.c.filing_id == QuotaFiling.id)
        .where(ranked.c.rank == 1)
        .subquery("counting_filing")
    )


def counting_filing(unit_id: int, year: int) -> QuotaFiling | None:
    """The filing of one unit that counts in ``year`` (see the module docstring), or None."""
    return db.session.scalar(
        select(QuotaFiling)
        .where(QuotaFiling.unit_id == unit_id, QuotaFiling.year == year, QuotaFiling.status.in_(COUNTING))
        .order_by(case((QuotaFiling.status == FilingStatus.approved, 0), else_=1), QuotaFiling.version.desc())
        .limit(1)
    )
