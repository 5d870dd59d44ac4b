"""Who reserves how much, and how much each unit buys: the demo year's figures as plain data (no database).

The complete year is calibrated to the city report (DESIGN.md): exactly ¥25,451,400.00 reserved over the
own- and outsourced-canteen units, a mean of unit reserve ratios of 35 %, about ¥25,000,000 bought, a mean
of unit completion rates of 96 % beside an aggregate Σpurchased / Σreserved of about 98.2 %. The two
completion figures differ because small units fall short more often than large ones; the calibration
keeps it that way (it moves only the units below target, by an amount that grows with their size).

The current year starts from the complete one: amounts grow a little, and each unit buys at its own pace
against the straight-line schedule, up to today.
"""

import math
import random
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from quotas.models import CanteenStatus

#: The city report's figures.
RESERVED_TOTAL = Decimal("25451400.00")
MEAN_RATIO = 0.35
MEAN_COMPLETION = 0.96
#: Σpurchased / Σreserved over the units that reserved (2,499 / 2,545.14 in the report's ten-thousands).
AGGREGATE_COMPLETION = 0.9819
#: What the units without a quota of their own (no canteen, shared canteen) buy in the complete year.
OTHERS_BUY = Decimal("9000.00")
#: Units that reserved in the complete year and bought nothing.
BOUGHT_NOTHING = 8

HUNDRED = Decimal("100")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Buyer:
    user_id: int
    name: str
    phone: str


@dataclass
class Unit:
    """A demo budget unit with what the demo year needs to know about it."""

    id: int
    code: str
    name: str
    region_code: str
    county_name: str
    parent_id: int | None
    depth: int
    big: bool
    manager_id: int
    #: The supervising unit's manager (reviews first), None for a department.
    endorser_id: int | None
    #: The finance user of the unit's region (approves).
    approver_id: int
    buyers: list[Buyer] = field(default_factory=list)
    #: Its kind of canteen and, when shared, the unit whose canteen it shares.
    canteen: CanteenStatus = CanteenStatus.none
    shared_with: int | None = None
    #: Size class, for amounts ("hospital", "school" …).
    kind: str = "office"


@dataclass
class Share:
    """A unit's figures for one year: its filing's amounts and what it buys (paid, counted)."""

    unit: Unit
    min_ratio: Decimal
    planned: Decimal = Decimal("0.00")
    reserved: Decimal = Decimal("0.00")
    #: What it buys, counted in the year (to date, for the current year).
    purchase: Decimal = Decimal("0.00")
    #: The completion (or schedule pace) this purchase was planned from.
    rate: float = 0.0
    #: Whether the purchase must reach ``purchase`` at least (a unit at or above its target).
    at_least: bool = False

    @property
    def reserves(self) -> bool:
        return self.unit.canteen in (CanteenStatus.own, CanteenStatus.outsourced)


def _size_kind(name: str, depth: int) -> str:
    if depth == 3:
        return "annex"
    for words, kind in (
        (("医院",), "hospital"),
        (("中学",), "secondary"),
        (("学校", "小学"), "school"),
        (("幼儿园",), "kindergarten"),
        (("卫生院", "卫生服务中心"), "clinic"),
        (("人民政府", "办事处"), "township"),
        (("党校", "看守所", "福利", "救助", "林场"), "residential"),
    ):
        if any(word in name for word in words):
            return kind
    return "department" if depth == 1 else "office"


#: Yuan reserved a year before scaling, (low, high) drawn log-uniformly; big units get ``BIG``.
_RESERVE_RANGE = {
    "hospital": (30_000, 90_000),
    "secondary": (20_000, 50_000),
    "school": (8_000, 30_000),
    "kindergarten": (4_000, 12_000),
    "clinic": (4_000, 12_000),
    "township": (8_000, 22_000),
    "residential": (15_000, 40_000),
    "department": (6_000, 25_000),
    "office": (3_000, 10_000),
}
_BIG = (80_000, 180_000)


def assign_canteens(units: list[Unit], rng: random.Random) -> None:
    """Each unit's canteen: schools, hospitals, clinics and township governments run their own (or
    outsource it); a kindergarten or branch below a school shares its supervising unit's; departments
    mostly have one, or eat at the region's government canteen (its 机关事务/后勤服务中心); small offices
    share their department's or have none."""
    by_id = {unit.id: unit for unit in units}
    hosts: dict[str, Unit] = {}
    for unit in units:
        unit.kind = _size_kind(unit.name, unit.depth)
        if unit.depth == 2 and ("机关事务" in unit.name or "机关后勤" in unit.name):
            hosts.setdefault(unit.region_code, unit)
    for unit in units:
        roll = rng.random()
        if unit.kind in (
            "hospital",
            "secondary",
            "school",
            "kindergarten",
            "clinic",
            "township",
            "residential",
        ):
            unit.canteen = CanteenStatus.own if roll < 0.75 else CanteenStatus.outsourced
        elif unit.kind == "department":
            unit.canteen = (
                CanteenStatus.own
                if roll < 0.45
                else CanteenStatus.outsourced
                if roll < 0.65
                else CanteenStatus.shared
                if roll < 0.85
                else CanteenStatus.none
            )
        elif unit.kind == "office":
            unit.canteen = (
                CanteenStatus.none
                if roll < 0.35
                else CanteenStatus.shared
                if roll < 0.65
                else CanteenStatus.own
                if roll < 0.85
                else CanteenStatus.outsourced
            )
        else:  # an annex shares its supervising unit's canteen
            unit.canteen = CanteenStatus.shared
    for host in hosts.values():
        host.canteen = CanteenStatus.own
    for unit in units:
        if unit.canteen != CanteenStatus.shared:
            continue
        parent = by_id.get(unit.parent_id) if unit.parent_id else None
        host = hosts.get(unit.region_code) if unit.depth == 1 else parent
        if host is None or host is unit or host.canteen not in (CanteenStatus.own, CanteenStatus.outsourced):
            unit.canteen, unit.shared_with = CanteenStatus.none, None
        else:
            unit.shared_with = host.id


def _hundreds(value: float) -> Decimal:
    return (Decimal(value) / HUNDRED).quantize(Decimal(1)) * HUNDRED


def plan_complete_year(units: list[Unit], min_ratio, rng: random.Random) -> list[Share]:
    """The complete year's shares, calibrated to the report (see the module docstring).

    ``min_ratio(unit)`` is the unit's effective minimum ratio. Every unit gets a share; only those with an
    own or outsourced canteen reserve.
    """
    shares = [Share(unit, min_ratio(unit)) for unit in units]
    reserving = [share for share in shares if share.reserves]
    _reserve(reserving, rng)
    _plan_totals(reserving, rng)
    _completion(reserving, rng)
    others = [share for share in shares if not share.reserves]
    for share in rng.sample(others, 12):
        share.purchase = OTHERS_BUY / 12
        share.rate, share.at_least = 1.0, True
    return shares


def _reserve(shares: list[Share], rng: random.Random) -> None:
    """Reserved amounts in hundreds of yuan, summing to exactly ``RESERVED_TOTAL``."""
    raw = []
    for share in shares:
        low, high = _BIG if share.unit.big else _RESERVE_RANGE[share.unit.kind]
        raw.append(math.exp(rng.uniform(math.log(low), math.log(high))))
    scale = float(RESERVED_TOTAL) / sum(raw)
    for share, value in zip(shares, raw, strict=True):
        share.reserved = max(Decimal(1000), _hundreds(value * scale))
    largest = max(shares, key=lambda share: share.reserved)
    largest.reserved += RESERVED_TOTAL - sum(share.reserved for share in shares)


def _plan_totals(shares: list[Share], rng: random.Random) -> None:
    """Planned totals (hundreds of yuan) whose ratios average ``MEAN_RATIO``: four in ten units reserve
    exactly their minimum, the others some points more."""
    extra = [0.0 if rng.random() < 0.4 else rng.expovariate(1.0) for _ in shares]
    minimum = sum(float(share.min_ratio) for share in shares)
    scale = (MEAN_RATIO * len(shares) - minimum) / sum(extra)
    for _ in range(6):  # planned totals are rounded: correct the scale on what rounding gave
        for share, more in zip(shares, extra, strict=True):
            ratio = min(0.8, float(share.min_ratio) + scale * more)
            ceiling = (share.reserved / share.min_ratio / HUNDRED).to_integral_value(ROUND_FLOOR) * HUNDRED
            share.planned = min(_hundreds(float(share.reserved) / ratio), ceiling)
        mean = sum(float(share.reserved / share.planned) for share in shares) / len(shares)
        scale *= (MEAN_RATIO * len(shares) - minimum) / max(1e-9, mean * len(shares) - minimum)


def _completion(shares: list[Share], rng: random.Random) -> None:
    """Completion rates: ``BOUGHT_NOTHING`` small units at zero, most at or a little above 100 %, the rest
    below (small units more often); then the rates below 100 % are moved, by ``a + b·(reserved - mean)``,
    so that the mean of all rates and the aggregate hit the report's."""
    ordered = sorted(shares, key=lambda share: share.reserved)
    nothing = {id(share) for share in rng.sample(ordered[: len(ordered) // 2], BOUGHT_NOTHING)}
    below = []
    for rank, share in enumerate(ordered):
        if id(share) in nothing:
            share.rate = 0.0
        elif rng.random() < 0.45 - 0.3 * rank / len(ordered):
            share.rate = rng.uniform(0.6, 0.99)
            below.append(share)
        else:
            share.rate = rng.uniform(1.0, 1.03) if rng.random() < 0.75 else rng.uniform(1.03, 1.25)
            share.at_least = True
    moved = {id(share) for share in below}
    fixed = [share for share in shares if id(share) not in moved]
    want_sum = MEAN_COMPLETION * len(shares) - sum(share.rate for share in fixed)
    want_weighted = AGGREGATE_COMPLETION * float(sum(share.reserved for share in shares)) - sum(
        float(share.reserved) * share.rate for share in fixed
    )
    sizes = [float(share.reserved) for share in below]
    mean_size = sum(sizes) / len(sizes)
    spread = sum(size * (size - mean_size) for size in sizes)
    for _ in range(10):  # clamping to [0.3, 0.995] moves the sums a little: solve again
        rates = [share.rate for share in below]
        a = (want_sum - sum(rates)) / len(below)
        b = (want_weighted - sum(size * rate for size, rate in zip(sizes, rates, strict=True))) - a * sum(
            sizes
        )
        b /= spread
        for size, share in zip(sizes, below, strict=True):
            share.rate = min(0.995, max(0.3, share.rate + a + b * (size - mean_size)))
    for share in shares:
        exact = share.reserved * Decimal(share.rate)
        rounding = ROUND_CEILING if share.at_least else ROUND_FLOOR
        share.purchase = exact.quantize(CENT, rounding=rounding)


#: How the current year's filing stands, by unit, with its weight: approved (some late, some after a change),
#: a change under review, waiting for the supervising unit or the finance bureau, returned, refiled, a draft,
#: not filed.
CURRENT_STORIES = (
    ("approved", 72),
    ("late", 2),
    ("changed", 2),
    ("change_pending", 2),
    ("submitted", 7),
    ("endorsed", 4),
    ("returned", 2),
    ("refiled", 2),
    ("draft", 3),
    ("unfiled", 5),
)
#: The complete year: every unit approved, a few after a change, a refiling or late.
COMPLETE_STORIES = (("approved", 93), ("changed", 2), ("refiled", 2), ("late", 3))
#: The current year's stories in which a filing counts (reports read it).
COUNTING_STORIES = {"approved", "changed", "change_pending", "submitted", "endorsed", "refiled", "late"}


def stories(shares: list[Share], table, rng: random.Random) -> dict[int, str]:
    """A story of ``table`` per unit id."""
    names, weights = zip(*table, strict=True)
    return {share.unit.id: rng.choices(names, weights)[0] for share in shares}


def plan_current_year(
    complete: list[Share], min_ratio, story: dict[int, str], elapsed: float, rng: random.Random
) -> list[Share]:
    """This year's shares from last year's: amounts up 0–12 % (never below the new minimum, nor below last
    year's where the policy says so, see ``min_ratio``), and purchases up to today at each unit's own pace
    against the straight-line schedule (``elapsed``, the share of the year gone): most units on or ahead of
    it, about a fifth behind, a few with nothing bought yet. A unit without a filing that counts still buys,
    against last year's amount."""
    shares = []
    for last in complete:
        unit = last.unit
        share = Share(unit, min_ratio(unit))
        if last.reserves:
            share.reserved = _hundreds(float(last.reserved) * rng.uniform(1.0, 1.12))
            ratio = max(
                float(share.min_ratio), float(last.reserved / last.planned) + rng.uniform(-0.02, 0.02)
            )
            ceiling = (share.reserved / share.min_ratio / HUNDRED).to_integral_value(ROUND_FLOOR) * HUNDRED
            share.planned = min(_hundreds(float(share.reserved) / ratio), ceiling)
            roll = rng.random()
            share.rate = (
                0.0 if roll < 0.03 else rng.uniform(0.3, 0.8) if roll < 0.25 else rng.uniform(1.03, 1.3)
            )
            share.at_least = share.rate > 1
            base = share.reserved if story[unit.id] in COUNTING_STORIES else last.reserved
            exact = base * Decimal(share.rate * elapsed)
            share.purchase = exact.quantize(CENT, rounding=ROUND_CEILING if share.at_least else ROUND_FLOOR)
        shares.append(share)
    others = [share for share in shares if not share.reserves]
    for share in rng.sample(others, 10):
        share.purchase = (OTHERS_BUY / 10 * Decimal(elapsed)).quantize(CENT)
        share.rate, share.at_least = 1.0, True
    return shares
