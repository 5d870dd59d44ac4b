"""Object-level rules for reserved shares: who sets a region's policy, who files for a unit, who reviews it.

Also who reads the reserved-share reports and a unit's completion page. Kept beside the quotas package rather
than in ``accounts.policy`` because the rules read quotas' models and
``accounts`` never imports ``quotas`` (``accounts ← shop ← quotas``). Views still declare their audience with
``accounts.policy.roles`` and call these rules at their top; a unit or filing the viewer may not see answers
404 (``accounts.policy.get_visible_or_404``), never a hint that it exists.
"""

import enum

from sqlalchemy import select

from accounts import policy
from accounts.models import BudgetUnit, Region, Role, User
from accounts.models.orgs import subtree_select
from quotas.models import FilingStatus, QuotaFiling
from shop.extensions import db

# --- policies (quotas/policies.py) -------------------------------------------------------------------------


def can_set_policy(user: User, region: Region) -> bool:
    """The operator for any region; a finance bureau for its own region only (a county bureau sets its
    county's policy, the city bureau the city's: each jurisdiction decides for itself)."""
    if user.role == Role.operator:
        return True
    return user.role == Role.finance and user.region_id == region.id


# --- filing (quotas/filing/) -------------------------------------------------------------------------------


def can_file_for(user: User, unit: BudgetUnit) -> bool:
    """Only a unit's own manager files its quota (not a supervising unit's manager, not finance)."""
    return user.role == Role.unit_manager and user.unit_id == unit.id


def can_file_in_bulk_for(user: User, unit: BudgetUnit) -> bool:
    """A finance bureau files for the units of its region's subtree, in bulk through the API only (issue 7:
    bureaus load the figures their budget systems hold). The web pages keep filing to the unit's manager
    and ``quotas.filing.services.save_draft`` / ``submit`` (``can_file_for``); ``file_in_bulk`` checks this.
    Every version filed so is audited under the bureau's account."""
    if user.role != Role.finance:
        return False
    inside = select(BudgetUnit.id).where(
        BudgetUnit.id == unit.id, BudgetUnit.region_id.in_(policy.region_subtree(user.region_id))
    )
    return db.session.scalar(inside) is not None


def can_view_filings_of(user: User, unit: BudgetUnit) -> bool:
    """Whoever may see the unit sees its filings: its manager and its supervising units' managers, the
    finance bureaus above its region, the operator. Purchasers and suppliers do not."""
    if user.role not in (Role.unit_manager, Role.finance, Role.operator):
        return False
    return policy.can_view_unit(user, unit)


def can_view_filing(user: User, filing: QuotaFiling) -> bool:
    return can_view_filings_of(user, filing.unit)


# --- review (quotas/filing/review.py) ----------------------------------------------------------------------


class Reviewer(enum.StrEnum):
    """The two review stages (DESIGN.md rule 3)."""

    #: The supervising unit's manager: submitted → endorsed (or returned).
    supervisor = "supervisor"
    #: The finance bureau of the unit's region (or above): endorsed, or submitted without a supervising
    #: unit → approved (or returned).
    finance = "finance"


def reviewer_of(user: User, unit: BudgetUnit) -> Reviewer | None:
    """In which stage, if any, ``user`` reviews ``unit``'s filings: the manager of the unit's direct parent,
    or a finance bureau whose region's subtree holds the unit's region."""
    if user.role == Role.unit_manager:
        return Reviewer.supervisor if unit.parent_id is not None and unit.parent_id == user.unit_id else None
    if user.role == Role.finance:
        inside = db.session.scalar(
            select(Region.id).where(
                Region.id == unit.region_id, Region.id.in_(policy.region_subtree(user.region_id))
            )
        )
        return Reviewer.finance if inside is not None else None
    return None


def stage_status(stage: Reviewer, unit: BudgetUnit) -> FilingStatus:
    """The status a version of ``unit``'s filing has while it waits for ``stage``."""
    if stage == Reviewer.supervisor or unit.parent_id is None:
        return FilingStatus.submitted
    return FilingStatus.endorsed


def waits_for(user: User, filing: QuotaFiling) -> bool:
    """Is this version waiting for ``user``'s decision now?"""
    stage = reviewer_of(user, filing.unit)
    return stage is not None and filing.status == stage_status(stage, filing.unit)


def review_queue_scope(user: User):
    """A where-clause restricting ``QuotaFiling`` to the versions waiting for ``user``'s review (subqueries
    only), or None when the user reviews nothing."""
    if user.role == Role.unit_manager:
        children = select(BudgetUnit.id).where(BudgetUnit.parent_id == user.unit_id)
        return (QuotaFiling.status == FilingStatus.submitted) & QuotaFiling.unit_id.in_(children)
    if user.role == Role.finance:
        # One CTE, reused: a statement cannot hold two CTEs of one name.
        inside = BudgetUnit.region_id.in_(policy.region_subtree(user.region_id))
        ready = select(BudgetUnit.id).where(inside)
        unsupervised = select(BudgetUnit.id).where(inside, BudgetUnit.parent_id.is_(None))
        return ((QuotaFiling.status == FilingStatus.endorsed) & QuotaFiling.unit_id.in_(ready)) | (
            (QuotaFiling.status == FilingStatus.submitted) & QuotaFiling.unit_id.in_(unsupervised)
        )
    return None


# --- reserved-share reports (quotas/reports/, quotas/views/report_views.py) --------------------------------


def supervises_units(user: User) -> bool:
    """A unit manager whose unit supervises at least one other unit (a 主管预算单位's manager)."""
    if user.role != Role.unit_manager:
        return False
    child = select(BudgetUnit.id).where(BudgetUnit.parent_id == user.unit_id).limit(1)
    return db.session.scalar(child) is not None


def can_view_platform_report(user: User) -> bool:
    """The whole platform's report: the operator only."""
    return user.role == Role.operator


def can_view_region_report(user: User, region: Region) -> bool:
    """A region's report: the operator; a finance bureau for a region in its own region's subtree."""
    if user.role == Role.operator:
        return True
    if user.role != Role.finance:
        return False
    within = Region.id.in_(policy.region_subtree(user.region_id))
    inside = select(Region.id).where(Region.id == region.id, within)
    return db.session.scalar(inside) is not None


def can_view_unit_report(user: User, unit: BudgetUnit) -> bool:
    """A unit's report (it and the units it supervises): the operator; a finance bureau when the unit is in
    its region's subtree; a supervising unit's manager for its own unit and those below it."""
    if user.role == Role.operator:
        return True
    if user.role == Role.finance:
        inside = BudgetUnit.region_id.in_(policy.region_subtree(user.region_id))
    elif user.role == Role.unit_manager and supervises_units(user):
        inside = BudgetUnit.id.in_(subtree_select(BudgetUnit, user.unit_id))
    else:
        return False
    return db.session.scalar(select(BudgetUnit.id).where(BudgetUnit.id == unit.id, inside)) is not None


def report_unit_reach(user: User):
    """A where-clause on ``BudgetUnit``: the units whose figures ``user`` reads in a unit's report (a
    supervised subtree may reach into other regions), or None for all (operator). Its CTEs have names of
    their own, so it combines with the report's own subtree."""
    if user.role == Role.operator:
        return None
    if user.role == Role.finance:
        return BudgetUnit.region_id.in_(subtree_select(Region, user.region_id, name="reach_regions"))
    if user.role == Role.unit_manager:
        return BudgetUnit.id.in_(subtree_select(BudgetUnit, user.unit_id, name="reach_units"))
    return BudgetUnit.id.is_(None)


def can_view_completion_of(user: User, unit: BudgetUnit) -> bool:
    """A unit's own completion page: its manager and its purchasers."""
    return user.role in (Role.unit_manager, Role.purchaser) and user.unit_id == unit.id
