"""One unit's own figures for a year (its completion page): reserved, counted, remaining, completion, the
share purchased against its target percentage, monthly purchases against the straight-line schedule, and
its past years. A handful of queries, none per order or per month."""

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from accounts.models import BudgetUnit
from quotas.models import CanteenStatus, FilingStatus, QuotaFiling
from quotas.reports.figures import (
    ZERO,
    elapsed_fraction,
    grade,
    projection,
    ratio,
    schedule,
)
from quotas.rules import COUNTING, EffectivePolicy, counting_filing, effective_policy
from shop.extensions import db
from shop.payments.models import UnitMonthPurchase, UnitYearPurchase


@dataclass
class MonthPoint:
    month: int
    purchased: Decimal
    #: Counted purchases from January to the end of this month.
    cumulative: Decimal
    #: The straight-line schedule at the end of this month.
    schedule: Decimal
    #: The month has begun (false for the rest of the current year).
    begun: bool


@dataclass
class UnitYear:
    unit: BudgetUnit
    year: int
    today: date
    filing: QuotaFiling | None
    policy: EffectivePolicy
    purchased: Decimal
    fraction: Decimal
    months: list[MonthPoint] = field(default_factory=list)

    @property
    def canteen(self) -> CanteenStatus | None:
        return self.filing.canteen_status if self.filing else None

    @property
    def planned(self) -> Decimal:
        return self.filing.planned_total if self.filing else ZERO

    @property
    def reserved(self) -> Decimal:
        return self.filing.reserved_amount if self.filing else ZERO

    @property
    def remaining(self) -> Decimal:
        """What is still to buy to reach the reserved amount (never negative)."""
        return max(self.reserved - self.purchased, ZERO)

    @property
    def completion(self) -> Decimal | None:
        return ratio(self.purchased, self.reserved)

    @property
    def share_purchased(self) -> Decimal | None:
        """Counted purchases ÷ planned farm-product purchasing, read against ``target_ratio``."""
        return ratio(self.purchased, self.planned)

    @property
    def target_ratio(self) -> Decimal | None:
        """The unit's own target percentage: its reserve ratio."""
        return ratio(self.reserved, self.planned)

    @property
    def min_ratio(self) -> Decimal:
        return self.policy.min_ratio

    @property
    def schedule(self) -> Decimal:
        return schedule(self.reserved, self.fraction)

    @property
    def behind(self) -> bool:
        return self.reserved > 0 and self.purchased < self.schedule

    @property
    def projection(self) -> Decimal:
        return projection(self.purchased, self.fraction)

    @property
    def grade(self) -> str | None:
        return grade(self.purchased / self.reserved) if self.reserved > 0 else None

    @property
    def is_current_year(self) -> bool:
        return self.year == self.today.year


@dataclass
class PastYear:
    year: int
    canteen: CanteenStatus | None
    reserved: Decimal
    purchased: Decimal

    @property
    def completion(self) -> Decimal | None:
        return ratio(self.purchased, self.reserved)

    @property
    def grade(self) -> str | None:
        return grade(self.purchased / self.reserved) if self.reserved > 0 else None


def unit_year(unit: BudgetUnit, year: int, today: date, months: bool = True) -> UnitYear:
    """``unit``'s figures for ``year`` on ``today`` (a Beijing date); without ``months``, not the monthly
    ones (one query fewer, for a home panel)."""
    total = db.session.get(UnitYearPurchase, (unit.id, year))
    fraction = elapsed_fraction(year, today)
    figures = UnitYear(
        unit=unit,
        year=year,
        today=today,
        filing=counting_filing(unit.id, year),
        policy=effective_policy(unit.region, year),
        purchased=total.amount if total is not None else ZERO,
        fraction=fraction,
    )
    if not months:
        return figures
    by_month = dict(
        db.session.execute(
            select(UnitMonthPurchase.month, UnitMonthPurchase.amount).where(
                UnitMonthPurchase.unit_id == unit.id, UnitMonthPurchase.year == year
            )
        ).all()
    )
    days = 366 if calendar.isleap(year) else 365
    cumulative = ZERO
    for month in range(1, 13):
        purchased = by_month.get(month, ZERO)
        cumulative += purchased
        month_end = date(year, month, calendar.monthrange(year, month)[1])
        figures.months.append(
            MonthPoint(
                month=month,
                purchased=purchased,
                cumulative=cumulative,
                schedule=schedule(figures.reserved, Decimal(month_end.timetuple().tm_yday) / days),
                begun=date(year, month, 1) <= today,
            )
        )
    return figures


def past_years(unit: BudgetUnit, before: int) -> list[PastYear]:
    """The unit's years before ``before`` that have a counting filing or counted purchases, newest first
    (two queries)."""
    purchases = dict(
        db.session.execute(
            select(UnitYearPurchase.year, UnitYearPurchase.amount).where(
                UnitYearPurchase.unit_id == unit.id, UnitYearPurchase.year < before
            )
        ).all()
    )
    filings: dict[int, QuotaFiling] = {}
    for filing in db.session.scalars(
        select(QuotaFiling).where(
            QuotaFiling.unit_id == unit.id, QuotaFiling.year < before, QuotaFiling.status.in_(COUNTING)
        )
    ):
        # The one that counts: the newest approved version, else the newest under review (quotas.rules).
        chosen = filings.get(filing.year)
        if chosen is None or _rank(filing) < _rank(chosen):
            filings[filing.year] = filing
    years = sorted(set(purchases) | set(filings), reverse=True)
    return [
        PastYear(
            year,
            filings[year].canteen_status if year in filings else None,
            filings[year].reserved_amount if year in filings else ZERO,
            purchases.get(year, ZERO),
        )
        for year in years
    ]


def _rank(filing: QuotaFiling) -> tuple[int, int]:
    return (0 if filing.status == FilingStatus.approved else 1, -filing.version)
