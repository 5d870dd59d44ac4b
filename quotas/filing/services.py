"""A unit's yearly filing (预留份额填报): save a draft, submit it, start a change of an approved filing.

Every function takes the acting user, the unit, the year and Beijing's ``today`` explicitly, checks the
rules of DESIGN.md (rules 1–3), writes an audit entry, flushes and never commits. A refusal raises
``FilingError`` (its ``field`` names the form field at fault) and changes nothing.

Versions of one unit-year are numbered 1, 2, …; only the newest may be edited, and only while it is a draft.
A returned version is refiled as a new version; an approved one is locked, and ``start_change`` opens a new
draft version prefilled from it. Every write locks the unit's row first, so two tabs (or two managers) of one
unit cannot both create "version 3". Reading and checking the figures is ``quotas.filing.figures``'s.
"""

from datetime import date

from sqlalchemy import select

from accounts import audit
from accounts.models import BudgetUnit, User
from quotas import access
from quotas.filing.figures import ZERO, Figures, FilingError, FilingInput, check_policy, read_figures
from quotas.models import CanteenStatus, FilingStatus, QuotaFiling
from quotas.rules import effective_policy
from shop.common import N_, lock_row, utcnow
from shop.extensions import db

#: The first year of the policy (DESIGN.md: since 2019).
FIRST_YEAR = 2019


def filing_years(today: date) -> range:
    """The years a unit may file for: last year (a refiling after a late return), this year and next."""
    return range(max(FIRST_YEAR, today.year - 1), today.year + 2)


def newest_version(unit_id: int, year: int) -> QuotaFiling | None:
    return db.session.scalar(
        select(QuotaFiling)
        .where(QuotaFiling.unit_id == unit_id, QuotaFiling.year == year)
        .order_by(QuotaFiling.version.desc())
        .limit(1)
    )


# --- writing -----------------------------------------------------------------------------------------------


def save_draft(
    actor: User, unit: BudgetUnit, year: int, data: FilingInput, *, today: date, based_on: int | None = None
) -> QuotaFiling:
    """Keep the unit's figures as a draft: the newest version if it is a draft, else a new version (the
    first, or a refiling after a return). The policy's minimum is not enforced on a draft (it is shown).

    ``based_on`` is the newest version number the form was made from (0: none); when it is given and the
    filing has moved on since, the save is refused rather than overwrite what the form did not show.

    :raise FilingError: not the unit's manager; a year that cannot be filed; bad figures; a version under
        review or approved (use ``start_change``); a stale form.
    """
    _check_may_file(actor, unit, year, today)
    return _save_draft(actor, unit, year, data, based_on)


def _save_draft(
    actor: User, unit: BudgetUnit, year: int, data: FilingInput, based_on: int | None
) -> QuotaFiling:
    lock_row(unit)
    draft, next_version = _editable(unit, year, based_on)
    figures = read_figures(unit, year, data, final=False)
    filing = draft or _new_version(actor, unit, year, next_version)
    _fill(filing, figures)
    db.session.flush()
    audit.record(actor, "quota_filing.save", filing, **_details(filing))
    return filing


def submit(
    actor: User, unit: BudgetUnit, year: int, data: FilingInput, *, today: date, based_on: int | None = None
) -> QuotaFiling:
    """Save ``data`` into the unit's draft (as ``save_draft``) and submit it for review, after checking it
    against the effective policy. Submitted after the effective deadline, it is marked late. The minimum
    ratio in force is kept on the version (the policy may change later).

    :raise FilingError: as ``save_draft``; the reserved amount below the minimum or below last year's
        where the policy forbids it; a shared canteen without the unit named.
    """
    _check_may_file(actor, unit, year, today)
    return _submit(actor, unit, year, data, today, based_on)


def _submit(
    actor: User, unit: BudgetUnit, year: int, data: FilingInput, today: date, based_on: int | None
) -> QuotaFiling:
    lock_row(unit)
    draft, next_version = _editable(unit, year, based_on)
    figures = read_figures(unit, year, data, final=True)
    policy = effective_policy(unit.region, year)
    check_policy(unit, year, figures, policy)
    filing = draft or _new_version(actor, unit, year, next_version)
    _fill(filing, figures)
    filing.status = FilingStatus.submitted
    filing.submitted_at = utcnow()
    filing.min_ratio = policy.min_ratio
    filing.late = today > policy.filing_deadline
    db.session.flush()
    audit.record(
        actor,
        "quota_filing.submit",
        filing,
        **_details(filing),
        min_ratio=str(policy.min_ratio),
        deadline=policy.filing_deadline.isoformat(),
    )
    return filing


def start_change(actor: User, unit: BudgetUnit, year: int, *, today: date) -> QuotaFiling:
    """Open a new draft version prefilled from the newest one, which must be approved (a locked filing
    changes only through a new version that is reviewed again) or returned. If a draft is already open
    it is returned as it is (a second click changes nothing).

    :raise FilingError: not the unit's manager; nothing filed yet; the newest version is under review.
    """
    _check_may_file(actor, unit, year, today)
    lock_row(unit)
    newest = newest_version(unit.id, year)
    if newest is None:
        raise FilingError(N_("There is no filing for %(year)s to change yet."), year=year)
    if newest.status == FilingStatus.draft:
        return newest
    if newest.status not in (FilingStatus.approved, FilingStatus.returned):
        raise FilingError(
            N_("Version %(version)s is %(status)s and cannot be changed until it is reviewed."),
            version=newest.version,
            status=newest.status,
        )
    filing = _new_version(actor, unit, year, newest.version + 1)
    filing.canteen_status = newest.canteen_status
    filing.shared_with_id = newest.shared_with_id
    filing.planned_total = newest.planned_total
    filing.reserved_amount = newest.reserved_amount
    db.session.flush()
    audit.record(actor, "quota_filing.change", filing, **_details(filing), replaces=newest.version)
    return filing


def file_in_bulk(
    actor: User, unit: BudgetUnit, year: int, data: FilingInput, *, submit: bool, today: date
) -> QuotaFiling:
    """A finance bureau files ``unit``'s figures for ``year`` (the API's bulk upsert, issue 7): into the
    unit's draft, or a new version (the first; after a return; after an approved version, which stays as
    it was), and submits it when ``submit``. The same rules as the manager's ``save_draft`` / ``submit``
    (``access.can_file_in_bulk_for`` instead of ``can_file_for``); audited under the bureau's account.

    :raise FilingError: a unit outside the bureau's region; a year that cannot be filed; bad figures; a
        version under review; below the policy's minimum (when submitting).
    """
    if not access.can_file_in_bulk_for(actor, unit):
        raise FilingError(N_("%(name)s is not a unit of your region."), "unit_code", name=unit.name)
    _check_year(year, today)
    lock_row(unit)
    newest = newest_version(unit.id, year)
    if newest is not None and newest.status == FilingStatus.approved:
        filing = _new_version(actor, unit, year, newest.version + 1)
        db.session.flush()
        audit.record(actor, "quota_filing.change", filing, **_details(filing), replaces=newest.version)
    if submit:
        return _submit(actor, unit, year, data, today, None)
    return _save_draft(actor, unit, year, data, None)


def _check_may_file(actor: User, unit: BudgetUnit, year: int, today: date) -> None:
    if not access.can_file_for(actor, unit):
        raise FilingError(N_("Only the manager of %(name)s files its reserved share."), name=unit.name)
    _check_year(year, today)


def _check_year(year: int, today: date) -> None:
    years = filing_years(today)
    if year not in years:
        raise FilingError(
            N_("Filings are made for %(first)s to %(last)s; %(year)s cannot be filed."),
            "year",
            first=years[0],
            last=years[-1],
            year=year,
        )


def _editable(unit: BudgetUnit, year: int, based_on: int | None) -> tuple[QuotaFiling | None, int]:
    """Where a save goes: the newest version if it is a draft, else (None, the number of the new version
    to create: the first, or a refiling after a return).

    :raise FilingError: a stale form; the newest version is under review or approved.
    """
    newest = newest_version(unit.id, year)
    if based_on is not None and based_on != (newest.version if newest else 0):
        raise FilingError(
            N_("The filing changed since this page was opened: check the current version and try again.")
        )
    if newest is None:
        return None, 1
    if newest.status == FilingStatus.draft:
        return newest, newest.version
    if newest.status == FilingStatus.returned:
        return None, newest.version + 1
    if newest.status == FilingStatus.approved:
        raise FilingError(
            N_("Version %(version)s is approved and locked: choose “Change” to file a new version."),
            version=newest.version,
        )
    raise FilingError(
        N_("Version %(version)s is %(status)s and cannot be edited."),
        version=newest.version,
        status=newest.status,
    )


def _new_version(actor: User, unit: BudgetUnit, year: int, version: int) -> QuotaFiling:
    filing = QuotaFiling(
        unit=unit,
        year=year,
        version=version,
        status=FilingStatus.draft,
        canteen_status=CanteenStatus.own,
        planned_total=ZERO,
        reserved_amount=ZERO,
        created_by=actor,
    )
    db.session.add(filing)
    return filing


def _fill(filing: QuotaFiling, figures: Figures) -> None:
    filing.canteen_status = figures.canteen_status
    filing.shared_with = figures.shared_with
    filing.planned_total = figures.planned_total
    filing.reserved_amount = figures.reserved_amount


def _details(filing: QuotaFiling) -> dict:
    return {
        "unit": filing.unit.code,
        "year": filing.year,
        "version": filing.version,
        "canteen": filing.canteen_status.value,
        "shared_with": filing.shared_with.code if filing.shared_with is not None else None,
        "planned": str(filing.planned_total),
        "reserved": str(filing.reserved_amount),
    }
