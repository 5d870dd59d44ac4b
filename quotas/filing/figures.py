"""A filing's figures: what the unit manager typed, read and checked — the shape rules that hold for a draft
too (amounts, the unit of a shared canteen) and the policy's two rules for a submission (DESIGN.md rule 2) —
and the form's "check" that does both without saving. ``quotas.filing.services`` writes; this only reads.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from accounts.models import BudgetUnit, Region, RegionLevel
from accounts.models.orgs import subtree_select
from quotas.filing.amounts import AmountError, minimum_reserved, parse_yuan, percent_text
from quotas.filing.errors import QuotaError
from quotas.models import CanteenStatus
from quotas.rules import EffectivePolicy, counting_filing, effective_policy
from shop.common import N_
from shop.extensions import db
from shop.formatting import yuan

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
