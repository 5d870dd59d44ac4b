"""A jurisdiction's yearly quota policy: the minimum reserve ratio, the filing deadline, and whether the
reserved amount may fall below last year's (DESIGN.md rule 2).

``set_policy`` creates or updates the policy of one region and year (a finance bureau for its own region,
the operator for any), audits the change, flushes, never commits. Units inherit the nearest policy up the
region tree (``quotas.rules.effective_policy``).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts import audit
from accounts.models import Region, User
from accounts.models.orgs import subtree_select
from quotas import access
from quotas.filing.amounts import AmountError, parse_percent, percent_text
from quotas.filing.errors import QuotaError
from quotas.filing.services import FIRST_YEAR
from quotas.models import QuotaPolicy
from shop.common import N_, lock_row
from shop.extensions import db

#: The label of the ratio field (an English msgid: the form translates it, and so do the messages).
MIN_RATIO_LABEL = N_("Minimum reserve ratio (percent)")


class PolicyError(QuotaError):
    """A policy change was refused; nothing changed. ``field`` names the form field at fault, if any."""


@dataclass
class PolicyInput:
    year: int | None
    #: As typed: a percentage, e.g. "30" for 30 %.
    min_ratio_percent: str | Decimal
    filing_deadline: date | None
    not_below_last_year: bool = False


def policy_years(today: date) -> range:
    """The years a policy may be set for: from the first year of the policy to next year."""
    return range(FIRST_YEAR, today.year + 2)


def set_policy(actor: User, region: Region, data: PolicyInput, *, today: date) -> QuotaPolicy:
    """Create or update ``region``'s policy for ``data.year``.

    The deadline falls in the year filed for or the one before (a jurisdiction may ask for next year's
    filing in December). Filings already submitted keep the minimum ratio they were checked against.

    :raise PolicyError: ``actor`` may not set this region's policy; a year out of range; a ratio not above
        0 or above 100 %, or with more than two decimals; a missing or implausible deadline.
    """
    if not access.can_set_policy(actor, region):
        raise PolicyError(N_("You may not set the quota policy of %(name)s."), name=region.name)
    years = policy_years(today)
    if data.year is None or data.year not in years:
        raise PolicyError(
            N_("Choose a year from %(first)s to %(last)s."), "year", first=years[0], last=years[-1]
        )
    try:
        min_ratio = parse_percent(data.min_ratio_percent, "min_ratio_percent", MIN_RATIO_LABEL)
    except AmountError as error:
        raise PolicyError(error.message, error.field, **error.params) from None
    deadline = data.filing_deadline
    if deadline is None:
        raise PolicyError(N_("Enter the filing deadline."), "filing_deadline")
    if deadline.year not in (data.year - 1, data.year):
        raise PolicyError(
            N_("The filing deadline for %(year)s falls in %(year)s or at the end of the year before."),
            "filing_deadline",
            year=data.year,
        )
    # One writer per region at a time: two bureaus saving at once update one row, not insert two.
    lock_row(region)
    policy = db.session.scalar(
        select(QuotaPolicy).where(QuotaPolicy.region_id == region.id, QuotaPolicy.year == data.year)
    )
    before = _state(policy) if policy is not None else None
    if policy is None:
        policy = QuotaPolicy(region=region, year=data.year)
        db.session.add(policy)
    policy.min_ratio = min_ratio
    policy.filing_deadline = deadline
    policy.not_below_last_year = bool(data.not_below_last_year)
    policy.updated_by = actor
    db.session.flush()
    audit.record(
        actor,
        "quota_policy.set",
        policy,
        region=region.code,
        year=data.year,
        before=before,
        after=_state(policy),
    )
    return policy


def _state(policy: QuotaPolicy) -> dict:
    return {
        "min_ratio": percent_text(policy.min_ratio),
        "deadline": policy.filing_deadline.isoformat(),
        "not_below_last_year": policy.not_below_last_year,
    }


# --- reading -----------------------------------------------------------------------------------------------


def _with_people(query):
    return query.options(joinedload(QuotaPolicy.region), joinedload(QuotaPolicy.updated_by))


def chain_policies(region: Region) -> list[QuotaPolicy]:
    """The policies of ``region`` and of every region above it, all years, newest year first and the
    nearest region first within a year (the order in which they apply)."""
    chain, current = [], region
    while current is not None:
        chain.append(current)
        current = current.parent
    depth = {item.id: index for index, item in enumerate(chain)}
    rows = db.session.scalars(
        _with_people(select(QuotaPolicy).where(QuotaPolicy.region_id.in_(list(depth))))
    ).all()
    return sorted(rows, key=lambda policy: (-policy.year, depth[policy.region_id]))


def policies_below(region: Region, limit: int = 200) -> tuple[list[QuotaPolicy], bool]:
    """The policies set by regions under ``region`` (they override it there), newest year first, at most
    ``limit`` (and whether there were more)."""
    below = subtree_select(Region, region.id, name="policy_regions")
    rows = db.session.scalars(
        _with_people(
            select(QuotaPolicy)
            .join(QuotaPolicy.region)
            .where(QuotaPolicy.region_id.in_(below), QuotaPolicy.region_id != region.id)
        )
        .order_by(QuotaPolicy.year.desc(), Region.code)
        .limit(limit + 1)
    ).all()
    return list(rows[:limit]), len(rows) > limit


def all_policies(
    year: int | None, after: str | None = None, size: int = 100
) -> tuple[list[QuotaPolicy], str | None]:
    """Every region's policies (the operator's list), optionally of one year, in region-code then year
    order from after the key ``after`` ("code:year"); and the key of the next page (None on the last)."""
    query = _with_people(select(QuotaPolicy).join(QuotaPolicy.region))
    if year:
        query = query.where(QuotaPolicy.year == year)
    if after and ":" in after:
        code, _sep, after_year = after.partition(":")
        if after_year.isdigit():
            query = query.where(
                (Region.code > code) | ((Region.code == code) & (QuotaPolicy.year < int(after_year)))
            )
    rows = db.session.scalars(query.order_by(Region.code, QuotaPolicy.year.desc()).limit(size + 1)).all()
    page = list(rows[:size])
    return page, f"{page[-1].region.code}:{page[-1].year}" if len(rows) > size else None
