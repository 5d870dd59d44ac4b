"""What the demo's suppliers sell: Lüliang's farm produce as plain data, and a plan of ~600 products.

Each ``Kind`` is a product line (小米, 红枣, 胡麻油 …) with its name variants, its packings and a typical
price for each packing (2024–2026 retail prices in Shanxi, roughly), read from the table ``produce.txt``.
A supplier sells mostly the kinds its name says it specialises in (a 红枣 cooperative sells jujubes), and
some everyday produce besides.
No database here: ``plan_products`` is a pure function of the suppliers and a seeded ``random.Random``.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path


@dataclass(frozen=True)
class Kind:
    category: str
    #: The product word, after the county and a variant: 兴县 + 有机 + 小米.
    product: str
    variants: tuple[str, ...]
    #: (规格, sales unit, typical price of one unit in yuan).
    packings: tuple[tuple[str, str, str], ...]
    #: A sentence or two; ``{county}`` is the origin county.
    description: str
    #: Words in a supplier's name that make this kind its speciality.
    specialities: tuple[str, ...]


def _read_kinds(path: Path) -> tuple[Kind, ...]:
    """The product lines of ``produce.txt``: one a row, ``|``-separated (its header says which fields)."""
    kinds = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        category, product, variants, packings, specialities, description = map(str.strip, line.split("|"))
        kinds.append(
            Kind(
                category=category,
                product=product,
                variants=tuple(variants.split(",")),
                packings=tuple(tuple(packing.split()) for packing in packings.split(";")),
                description=description,
                specialities=tuple(specialities.split()),
            )
        )
    return tuple(kinds)


#: The catalogue's categories, in menu order.
CATEGORIES: tuple[str, ...] = (
    "小米杂粮",
    "面粉面食",
    "红枣",
    "核桃干果",
    "马铃薯蔬菜",
    "肉禽蛋",
    "新鲜水果",
    "食用油",
    "调味品",
    "蜂蜜",
    "中药材",
    "饮品冲调",
)

KINDS: tuple[Kind, ...] = _read_kinds(Path(__file__).with_name("produce.txt"))

#: Everyday canteen produce any supplier may also sell (trading agents and family farms sell a mix).
_EVERYDAY = ("小米杂粮", "面粉面食", "马铃薯蔬菜", "肉禽蛋", "新鲜水果", "调味品", "食用油")

#: (county, product word) pairs registered as 国家地理标志 products — a made-up but plausible list.
GEOGRAPHIC_INDICATIONS = {
    ("临县", "红枣"),
    ("石楼县", "红枣"),
    ("岚县", "马铃薯"),
    ("方山县", "核桃"),
    ("兴县", "小米"),
    ("方山县", "小米"),
}

#: Each county's best-known products (product word, packing), sold plainly named (兴县小米 5kg/袋) by the
#: first supplier there that specialises in them.
FLAGSHIPS: dict[str, tuple[tuple[str, str], ...]] = {
    "兴县": (("小米", "5kg/袋"), ("红枣", "2.5kg/箱")),
    "临县": (("红枣", "1kg/袋"), ("核桃", "2.5kg/袋")),
    "石楼县": (("红枣", "2.5kg/箱"), ("小米", "5kg/袋")),
    "岚县": (("马铃薯", "10kg/箱"), ("胡麻油", "5L/桶")),
    "方山县": (("核桃", "2.5kg/袋"), ("小米", "5kg/袋"), ("土蜂蜜", "500g/瓶")),
}

#: Why the demo's one rejected product was refused (shown to its supplier).
REJECTION_REASON = "产地证明材料不清晰，无法确认原料产自脱贫县，请补充产地证明后重新提交。"


@dataclass(frozen=True)
class SupplierInfo:
    id: int
    name: str
    county_code: str
    county_name: str
    region_id: int
    admitted_at: datetime

    @property
    def county_short(self) -> str:
        """As product names say it: 石楼县 → 石楼, but 兴县 stays 兴县."""
        return self.county_name[:-1] if len(self.county_name) > 2 else self.county_name


@dataclass
class ProductPlan:
    supplier_id: int
    category: str
    name: str
    spec: str
    unit: str
    price: Decimal
    market_price: Decimal | None
    stock: int
    min_order_quantity: int
    origin_region_id: int
    certification_number: str | None
    is_green: bool
    is_organic: bool
    is_geographic_indication: bool
    description: str
    created_at: datetime
    listed_at: datetime | None
    #: ``listed``, ``pending`` or ``rejected`` (the loader maps it to ProductStatus).
    status: str = "listed"
    status_reason: str | None = None
    sales_count: int = 0


_CENT = Decimal("0.01")


def _price(typical: Decimal, rng: random.Random) -> Decimal:
    """The typical price ±12 %, rounded as shops do: to 0.10 under 20 yuan, else to x.00 or x.80."""
    value = typical * Decimal(str(round(rng.uniform(0.88, 1.12), 3)))
    if value < 20:
        return value.quantize(Decimal("0.1"), ROUND_HALF_UP).quantize(_CENT)
    whole = value.quantize(Decimal("1"), ROUND_HALF_UP)
    return (whole - Decimal("0.20") if rng.random() < 0.3 else whole).quantize(_CENT)


def _market_price(price: Decimal, rng: random.Random, above_market: bool) -> Decimal | None:
    """Usually 0–15 % above the platform price; for ``above_market`` products 25–40 % below it (the
    operator's price monitoring flags those); now and then unknown."""
    if above_market:
        return (price / Decimal(str(round(rng.uniform(1.25, 1.4), 3)))).quantize(_CENT)
    if rng.random() < 0.08:
        return None
    return (price * Decimal(str(round(rng.uniform(1.0, 1.15), 3)))).quantize(_CENT)


def kinds_for(supplier_name: str) -> list[Kind]:
    """The kinds a supplier specialises in, by the words of its name (none for general traders)."""
    return [kind for kind in KINDS if any(word in supplier_name for word in kind.specialities)]


def plan_products(
    suppliers: list[SupplierInfo], rng: random.Random, per_supplier: int = 13
) -> list[ProductPlan]:
    """``per_supplier`` (or one more, every other supplier) products for each admitted supplier, about 70 %
    of its specialities and the rest everyday produce; all listed — the caller picks a few for review."""
    everyday = [kind for kind in KINDS if kind.category in _EVERYDAY]
    flagships = {(county, product, spec) for county, pairs in FLAGSHIPS.items() for product, spec in pairs}
    plans: list[ProductPlan] = []
    serial = 0
    for index, supplier in enumerate(suppliers):
        count = per_supplier + index % 2
        own = kinds_for(supplier.name)
        chosen: list[tuple[Kind, str, tuple[str, str, str]]] = []
        seen: set[tuple[str, str]] = set()
        for kind in own:
            for packing in kind.packings:
                flagship = (supplier.county_name, kind.product, packing[0])
                if flagship in flagships and len(chosen) < count:
                    flagships.discard(flagship)
                    seen.add((supplier.county_short + kind.product, packing[0]))
                    chosen.append((kind, supplier.county_short + kind.product, packing))
        while len(chosen) < count:
            pool = own if own and rng.random() < 0.7 else everyday
            kind = rng.choice(pool)
            variant = rng.choice(kind.variants)
            packing = rng.choice(kind.packings)
            name = supplier.county_short + variant + kind.product
            if (name, packing[0]) in seen:
                continue
            seen.add((name, packing[0]))
            chosen.append((kind, name, packing))
        for kind, name, (spec, unit, typical) in chosen:
            serial += 1
            price = _price(Decimal(typical), rng)
            created = supplier.admitted_at + timedelta(days=rng.randint(3, 1200), hours=rng.randint(1, 9))
            certified = rng.random() < 0.45
            plans.append(
                ProductPlan(
                    supplier_id=supplier.id,
                    category=kind.category,
                    name=name,
                    spec=spec,
                    unit=unit,
                    price=price,
                    market_price=_market_price(price, rng, above_market=rng.random() < 0.03),
                    # Dear goods (meat, gift boxes) are stocked by the dozen, staples by the hundred.
                    stock=rng.randint(20, 120) if price > 150 else rng.randint(80, 2000),
                    min_order_quantity=rng.choice((1, 1, 1, 1, 2, 5)) if price < 40 else 1,
                    origin_region_id=supplier.region_id,
                    certification_number=(
                        f"FP{created.year}{supplier.county_code}{serial:05d}" if certified else None
                    ),
                    is_green=rng.random() < 0.2,
                    is_organic="有机" in name or rng.random() < 0.05,
                    is_geographic_indication=(supplier.county_name, kind.product) in GEOGRAPHIC_INDICATIONS,
                    description=kind.description.format(county=supplier.county_name),
                    created_at=created,
                    listed_at=created + timedelta(days=rng.randint(1, 5)),
                )
            )
    return plans
