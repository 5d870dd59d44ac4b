"""A unit's yearly filing (预留份额填报): save a draft, submit it, start a change of an approved filing.

Every function takes the acting user, the unit, the year and Beijing's ``today`` explicitly, checks the
rules of DESIGN.md (rules 1–3), writes an audit entry, flushes and never commits. A refusal raises
``FilingError`` (its ``field`` names the form field at fault) and changes nothing.

Versions of one unit-year are numbered 1, 2, …; only the newest may be edited, and only while it is a draft.
A returned version is refiled as a new version; an approved one is locked, and ``start_change`` opens a new
draft version prefilled from it. Every write locks the unit's row first, so two tabs (or two managers) of one
unit cannot both create "version 3".
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from accounts import audit
from accounts.models import BudgetUnit, Region, RegionLevel, User
from accounts.models.orgs import subtree_select
from quotas import access
from quotas.filing.amounts import AmountError, minimum_reserved, parse_yuan, percent_text
from quotas.filing.errors import QuotaError
from quotas.models import CanteenStatus, FilingStatus, QuotaFiling
from quotas.rules import EffectivePolicy, counting_filing, effective_policy
from shop.common import N_, lock_row, utcnow
from shop.extensions import db
from shop.formatting import yuan

#: The first year of the policy (DESIGN.md: since 2019).
FIRST_YEAR = 2019
#: Canteen statuses that must reserve (rule 1); the others file no amount.
RESERVING = (CanteenStatus.own, CanteenStatus.outsourced)
ZERO = Decimal("0.00")

#: The labels of the amount fields (English msgids: the form translates them, and so do the messages).
PLANNED_LABEL = N_("Planned farm-product purchasing")
RESERVED_LABEL = N_("Reserved amount")


class FilingError(QuotaError):
    """A filing was refused; nothing changed. ``field`` names the form field at fault, if one is."""


@dataclass
class FilingInput:
    """What the unit manager typed: amounts as text (read here, so a refusal names its field)."""

    canteen_status: str
    shared_with_code: str = ""
    planned_total: str | Decimal = ""
    reserved_amount: str | Decimal = ""


@dataclass
class Figures:
    """A filing's input, read and checked against the unit's shape rules (not yet against its policy)."""

    canteen_status: CanteenStatus
    shared_with: BudgetUnit | None
    planned_total: Decimal
    reserved_amount: Decimal

    @property
    def reserving(self) -> bool:
        return self.canteen_status in RESERVING


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


# --- reading and checking the input ------------------------------------------------------------------------


def read_figures(unit: BudgetUnit, year: int, data: FilingInput, *, final: bool) -> Figures:
    """Read ``data`` and check what holds for a draft as well: amounts (zero or more, whole fen, reserved
    within planned) and the unit named for a shared canteen. With ``final`` (a submission), also what a
    complete filing needs: a planned amount above zero to reserve from, the unit of a shared canteen.

    For a shared canteen or none the amounts are ignored and stored as 0 (that unit files no amount).

    :raise FilingError: the first problem found, naming its field.
    """
    try:
        canteen = CanteenStatus(data.canteen_status)
    except ValueError:
        raise FilingError(N_("Choose the unit's canteen status."), "canteen_status") from None
    shared_with = None
    if canteen == CanteenStatus.shared:
        code = (data.shared_with_code or "").strip()
        if code:
            shared_with = shared_canteen_unit(unit, code)
        elif final:
            raise FilingError(N_("Name the unit whose canteen this unit shares."), "shared_with_code")
    if canteen not in RESERVING:
        return Figures(canteen, shared_with, ZERO, ZERO)
    try:
        planned = parse_yuan(data.planned_total, "planned_total", PLANNED_LABEL)
        reserved = parse_yuan(data.reserved_amount, "reserved_amount", RESERVED_LABEL)
    except AmountError as error:
        raise FilingError(error.message, error.field, **error.params) from None
    if reserved > planned:
        raise FilingError(
            N_("The reserved amount %(reserved)s is above the planned farm-product purchasing %(planned)s."),
            "reserved_amount",
            reserved=yuan(reserved),
            planned=yuan(planned),
        )
    if final and planned == 0:
        raise FilingError(
            N_("A unit with its own or an outsourced canteen plans some farm-product purchasing: enter it."),
            "planned_total",
        )
    return Figures(canteen, shared_with, planned, reserved)


def shared_canteen_unit(unit: BudgetUnit, code: str) -> BudgetUnit:
    """The unit, by its code, whose canteen ``unit`` shares.

    It must be another unit of the same city: its region lies under the nearest city-level region at or
    above ``unit``'s region (for a unit registered at province level, under that province). Units sharing a
    canteen sit in one compound, so a county unit may name a unit of a neighbouring county of the same city
    or of the city itself, but never one in another city.

    :raise FilingError: no such unit, the unit itself, or a unit outside that city.
    """
    other = db.session.scalar(select(BudgetUnit).where(BudgetUnit.code == code))
    if other is None:
        raise FilingError(
            N_("There is no budget unit with the code %(code)s."), "shared_with_code", code=code
        )
    if other.id == unit.id:
        raise FilingError(N_("A unit cannot share its own canteen with itself."), "shared_with_code")
    city = _city_of(unit.region)
    inside = db.session.scalar(
        select(BudgetUnit.id).where(
            BudgetUnit.id == other.id, BudgetUnit.region_id.in_(subtree_select(Region, city.id))
        )
    )
    if inside is None:
        raise FilingError(
            N_("%(name)s (%(code)s) is not a unit of %(city)s: a shared canteen is one of the same city."),
            "shared_with_code",
            name=other.name,
            code=other.code,
            city=city.name,
        )
    return other


def _city_of(region: Region) -> Region:
    current = region
    while current.level == RegionLevel.county and current.parent is not None:
        current = current.parent
    return current


def check_policy(unit: BudgetUnit, year: int, figures: Figures, policy: EffectivePolicy) -> None:
    """The policy's two rules for a unit that must reserve (rule 2): at least the minimum ratio of the
    planned total, and, where the policy says so, no less than last year's counting filing.

    :raise FilingError: the reserved amount is too low, naming the rule.
    """
    if not figures.reserving:
        return
    minimum = minimum_reserved(figures.planned_total, policy.min_ratio)
    if figures.reserved_amount < figures.planned_total * policy.min_ratio:
        raise FilingError(
            N_(
                "The reserved amount %(reserved)s is below the minimum of %(ratio)s of the planned"
                " farm-product purchasing: reserve at least %(minimum)s."
            ),
            "reserved_amount",
            reserved=yuan(figures.reserved_amount),
            ratio=percent_text(policy.min_ratio),
            minimum=yuan(minimum),
        )
    if policy.not_below_last_year:
        last = counting_filing(unit.id, year - 1)
        if last is not None and figures.reserved_amount < last.reserved_amount:
            raise FilingError(
                N_(
                    "The reserved amount %(reserved)s is below last year's %(last)s: the policy for %(year)s"
                    " does not allow a lower reserved amount."
                ),
                "reserved_amount",
                reserved=yuan(figures.reserved_amount),
                last=yuan(last.reserved_amount),
                year=year,
            )


@dataclass
class Check:
    """The answer to "check" on the form: the figures as read, and the first problem, if any."""

    figures: Figures | None
    policy: EffectivePolicy
    error: FilingError | None


def check(unit: BudgetUnit, year: int, data: FilingInput) -> Check:
    """Read and check ``data`` as a submission would, without saving anything."""
    policy = effective_policy(unit.region, year)
    figures = None
    try:
        figures = read_figures(unit, year, data, final=True)
        check_policy(unit, year, figures, policy)
    except FilingError as error:
        return Check(figures, policy, error)
    return Check(figures, policy, None)


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
