"""The arithmetic of the reports: one budget unit's figures for a year, and the sums, ratios and means over a
set of units. Pure code, no database (tested without one, with property-based tests too).

Two kinds of ratio appear side by side and are always labelled (DESIGN.md rule 7):

- *aggregate* ratios, Σ numerator / Σ denominator over the units (``ratio_aggregate``,
  ``completion_aggregate``, ``share_purchased``): what the jurisdiction as a whole achieved;
- *means* of unit ratios (``ratio_mean``, ``completion_mean``): how the typical unit did.

Ratios are ``Decimal`` fractions (0.9820 for 98.20 %), rounded to four places at the end; money is
``Decimal`` yuan with two places; None means "no denominator" (nothing reserved, nothing planned).
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from quotas.models import CanteenStatus, FilingStatus

ZERO = Decimal("0.00")
ONE = Decimal(1)
CENT = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")

#: The SBA scorecard's bands, on completion (purchased ÷ reserved): the lowest completion of each grade.
GRADE_BANDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal("1.20"), "A+"),
    (Decimal("1.00"), "A"),
    (Decimal("0.90"), "B"),
    (Decimal("0.80"), "C"),
    (Decimal("0.70"), "D"),
)
GRADES = ("A+", "A", "B", "C", "D", "F")
#: Canteen statuses that must reserve a share (DESIGN.md rule 1).
MUST_RESERVE = (CanteenStatus.own, CanteenStatus.outsourced)
#: How many age buckets arrears are shown in: (D, 2D], (2D, 3D], over 3D days, D = ``ARREARS_DAYS``.
ARREARS_BUCKETS = 3


def grade(completion: Decimal | None) -> str | None:
    """The SBA grade of a completion rate: A+ ≥ 120 %, A 100–119 %, B 90–99 %, C 80–89 %, D 70–79 %,
    F below 70 %; None when there is no completion (nothing reserved)."""
    if completion is None:
        return None
    for floor, name in GRADE_BANDS:
        if completion >= floor:
            return name
    return "F"


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator ÷ denominator, four places; None when the denominator is not positive."""
    if denominator <= 0:
        return None
    return (numerator / denominator).quantize(RATIO_PLACES, ROUND_HALF_UP)


def mean(values: list[Decimal]) -> Decimal | None:
    """The arithmetic mean, four places; None for no values."""
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(RATIO_PLACES, ROUND_HALF_UP)


def elapsed_fraction(year: int, today: date) -> Decimal:
    """How much of ``year`` has passed on ``today`` (a Beijing date), by day: 1 for a past year, 0 for a
    future one; in the current year, today's day of the year ÷ the days of the year (1 on 31 December)."""
    if year < today.year:
        return ONE
    if year > today.year:
        return Decimal(0)
    days = 366 if calendar.isleap(year) else 365
    return Decimal(today.timetuple().tm_yday) / Decimal(days)


def schedule(reserved: Decimal, fraction: Decimal) -> Decimal:
    """The straight-line schedule: what should have been bought by now (reserved × elapsed fraction)."""
    return (reserved * fraction).quantize(CENT, ROUND_HALF_UP)


def projection(purchased: Decimal, fraction: Decimal) -> Decimal:
    """The year-end projection at the pace so far: purchased ÷ elapsed fraction (the purchases themselves
    once the year is over, or before it starts)."""
    if fraction <= 0 or fraction >= 1:
        return purchased
    return (purchased / fraction).quantize(CENT, ROUND_HALF_UP)


@dataclass(slots=True)
class UnitLine:
    """One budget unit's figures for the year: the brick every report is built of."""

    id: int
    code: str
    name: str
    region_id: int
    parent_id: int | None
    manager_opened: bool = False
    manager_activated: bool = False
    purchasers_opened: int = 0
    purchasers_activated: int = 0
    #: From the filing that counts (``quotas.rules.counting_filings``); None when the unit has not filed.
    canteen: CanteenStatus | None = None
    filing_status: FilingStatus | None = None
    planned: Decimal = ZERO
    reserved: Decimal = ZERO
    #: The effective minimum reserve ratio of the unit's region for the year.
    min_ratio: Decimal | None = None
    #: Counted purchases: the unit's ledger total for the year (``unit_year_purchase``).
    purchased: Decimal = ZERO
    arrears_count: int = 0
    arrears_amount: Decimal = ZERO
    #: Per age bucket: (count, amount).
    arrears_buckets: list = field(default_factory=lambda: [(0, ZERO)] * ARREARS_BUCKETS)
    #: Days since the oldest arrear was received.
    arrears_oldest_days: int | None = None

    @property
    def filed(self) -> bool:
        return self.canteen is not None

    @property
    def must_reserve(self) -> bool:
        return self.canteen in MUST_RESERVE

    @property
    def ratio(self) -> Decimal | None:
        """预留比例: reserved ÷ planned (the unit's target percentage)."""
        return ratio(self.reserved, self.planned)

    @property
    def completion(self) -> Decimal | None:
        """完成率: purchased ÷ reserved."""
        return ratio(self.purchased, self.reserved)

    @property
    def share_purchased(self) -> Decimal | None:
        """采购占比: purchased ÷ planned, read against ``ratio``."""
        return ratio(self.purchased, self.planned)

    @property
    def grade(self) -> str | None:
        return grade(_exact(self.purchased, self.reserved))

    @property
    def below_minimum(self) -> bool:
        return (
            self.must_reserve
            and self.min_ratio is not None
            and self.reserved < (self.min_ratio * self.planned).quantize(CENT, ROUND_HALF_UP)
        )


def _exact(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return numerator / denominator if denominator > 0 else None


@dataclass
class Figures:
    """The figures of a set of units (a jurisdiction, a supervising unit's subtree, one unit)."""

    units: int = 0
    # accounts
    units_opened: int = 0
    units_activated: int = 0
    purchasers_opened: int = 0
    purchasers_activated: int = 0
    # filing
    must_file: int = 0
    filed: int = 0
    not_filed: int = 0
    no_canteen: int = 0
    shared: int = 0
    planned: Decimal = ZERO
    reserved: Decimal = ZERO
    ratio_aggregate: Decimal | None = None
    ratio_mean: Decimal | None = None
    below_minimum: int = 0
    # execution
    purchased: Decimal = ZERO
    share_purchased: Decimal | None = None
    with_reserve: int = 0
    completion_aggregate: Decimal | None = None
    completion_mean: Decimal | None = None
    at_or_above_target: int = 0
    reserved_but_nothing: int = 0
    behind_schedule: int = 0
    schedule: Decimal = ZERO
    projection: Decimal = ZERO
    arrears_count: int = 0
    arrears_amount: Decimal = ZERO
    arrears_buckets: list = field(default_factory=lambda: [(0, ZERO)] * ARREARS_BUCKETS)
    arrears_oldest_days: int | None = None
    #: The grade of ``completion_aggregate``.
    grade: str | None = None
    #: How many units earned each grade (units that reserved something).
    grades: dict = field(default_factory=lambda: dict.fromkeys(GRADES, 0))

    def add_up(self, lines: Iterable[UnitLine], fraction: Decimal) -> "Figures":
        """Fill in the figures of ``lines`` at ``fraction`` of the year elapsed; returns self."""
        unit_ratios: list[Decimal] = []
        completions: list[Decimal] = []
        planned_with_purchases = purchased_of_planned = ZERO
        reserved_purchased = ZERO
        buckets = [[0, ZERO] for _ in range(ARREARS_BUCKETS)]
        for line in lines:
            self.units += 1
            self.units_opened += line.manager_opened
            self.units_activated += line.manager_activated
            self.purchasers_opened += line.purchasers_opened
            self.purchasers_activated += line.purchasers_activated
            if not line.filed:
                self.not_filed += 1
            elif line.canteen == CanteenStatus.none:
                self.no_canteen += 1
            elif line.canteen == CanteenStatus.shared:
                self.shared += 1
            else:
                self.filed += 1
                if line.planned > 0:
                    unit_ratios.append(line.reserved / line.planned)
                self.below_minimum += line.below_minimum
            self.planned += line.planned
            self.reserved += line.reserved
            self.purchased += line.purchased
            if line.planned > 0:
                planned_with_purchases += line.planned
                purchased_of_planned += line.purchased
            if line.reserved > 0:
                self.with_reserve += 1
                reserved_purchased += line.purchased
                completion = line.purchased / line.reserved
                completions.append(completion)
                self.grades[grade(completion)] += 1
                self.at_or_above_target += line.purchased >= line.reserved
                self.reserved_but_nothing += line.purchased <= 0
                self.behind_schedule += line.purchased < schedule(line.reserved, fraction)
            self.arrears_count += line.arrears_count
            self.arrears_amount += line.arrears_amount
            for index, (count, amount) in enumerate(line.arrears_buckets):
                buckets[index][0] += count
                buckets[index][1] += amount
            if line.arrears_oldest_days is not None:
                self.arrears_oldest_days = max(self.arrears_oldest_days or 0, line.arrears_oldest_days)
        self.must_file = self.filed + self.not_filed
        self.ratio_aggregate = ratio(self.reserved, self.planned)
        self.ratio_mean = mean(unit_ratios)
        self.share_purchased = ratio(purchased_of_planned, planned_with_purchases)
        self.completion_aggregate = ratio(reserved_purchased, self.reserved)
        self.completion_mean = mean(completions)
        self.grade = grade(_exact(reserved_purchased, self.reserved))
        self.schedule = schedule(self.reserved, fraction)
        self.projection = projection(self.purchased, fraction)
        self.arrears_buckets = [(count, amount) for count, amount in buckets]
        return self
