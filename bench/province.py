"""A province-sized catalogue for the benchmarks, written straight into PostgreSQL with COPY.

A made-up province (示范省, code 99xxxx: no real GB/T 2260 code starts with 99) of 12 cities with 10
counties each, 60 % of them poverty counties; ``suppliers`` admitted suppliers spread over the poverty
counties; ``products`` listed products planned like the demo city's (``shop.demo.produce``) with their
search columns; budget units with one purchaser each, whose carts hold one product.

Only for a throwaway database that ``flask db upgrade`` has just created: rows get explicit ids (COPY
returns none) and the id sequences are moved past them at the end.
"""

import functools
import os
import random
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import accounts.models  # noqa: F401 - the models, for their tables' defaults
import shop.cart.models
import shop.catalogue.models  # noqa: F401
from accounts.demo import names
from shop.catalogue.search import search_columns
from shop.crypto import cipher_for, encrypt
from shop.demo.produce import CATEGORIES, SupplierInfo, plan_products

PROVINCE = ("990000", "示范省")
CITIES = (
    "云岭市",
    "青川市",
    "白河市",
    "金沙市",
    "红崖市",
    "石门市",
    "长宁市",
    "丰乐市",
    "太和市",
    "桃源市",
    "安远市",
    "北原市",
)
_FIRST = "安宁平和清丰永兴德泰华龙凤云石河山川林阳"
_SECOND = "平安宁和远乐寿昌源川"
_SPECIALITIES = (
    "小米种植",
    "红枣",
    "核桃种植",
    "马铃薯种植",
    "肉羊养殖",
    "养蜂",
    "胡麻油加工",
    "蔬菜种植",
    "中药材种植",
    "沙棘食品",
    "杂粮",
    "土鸡养殖",
)
_NOW = datetime(2026, 11, 1, 2, 0)


@dataclass
class Province:
    """What the benchmark needs to know about what was loaded."""

    purchasers: list[str]
    #: Product ids a checkout may buy (listed, minimum order quantity 1, plenty of stock).
    buyable: list[int]
    counts: dict[str, int]


def _defaults(table: str, given: list[str]) -> dict[str, object]:
    """The model's Python-side defaults of the columns ``given`` leaves out (COPY applies only the
    database's own defaults), so that a column added later does not break the benchmark."""
    from shop.extensions import db

    values = {}
    for column in db.metadata.tables[table].columns:
        if column.name in given or column.default is None or column.primary_key:
            continue
        default = column.default
        values[column.name] = default.arg(None) if default.is_callable else default.arg
    return values


def _copy(cursor: psycopg.Cursor, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    missing = _defaults(table, list(rows[0]))
    if missing:
        rows = [row | missing for row in rows]
    columns = list(rows[0])
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _regions(rng: random.Random) -> tuple[list[dict], list[tuple[str, str, int]]]:
    """The region rows and the poverty counties as (code, name, id)."""
    pairs = [a + b for a in _FIRST for b in _SECOND if a != b]
    rng.shuffle(pairs)
    rows = [
        {
            "id": 1,
            "code": PROVINCE[0],
            "name": PROVINCE[1],
            "level": "province",
            "parent_id": None,
            "is_poverty_county": False,
        }
    ]
    poverty = []
    for c, city in enumerate(CITIES, start=1):
        city_id = len(rows) + 1
        rows.append(
            {
                "id": city_id,
                "code": f"99{c:02d}00",
                "name": city,
                "level": "city",
                "parent_id": 1,
                "is_poverty_county": False,
            }
        )
        for n in range(1, 11):
            county_id, name, is_poor = len(rows) + 1, pairs.pop() + "县", rng.random() < 0.6
            code = f"99{c:02d}{n:02d}"
            rows.append(
                {
                    "id": county_id,
                    "code": code,
                    "name": name,
                    "level": "county",
                    "parent_id": city_id,
                    "is_poverty_county": is_poor,
                }
            )
            if is_poor:
                poverty.append((code, name, county_id))
    return rows, poverty


def _supplier(serial: int, county: tuple[str, str, int], rng: random.Random) -> dict:
    code, county_name, region_id = county
    speciality = rng.choice(_SPECIALITIES)
    kind, suffix = rng.choice(
        (
            ("coop", "专业合作社"),
            ("coop", "专业合作社"),
            ("enterprise", "有限公司"),
            ("family_farm", "家庭农场"),
        )
    )
    name = f"{county_name}{names.person_name('village', serial)[1:]}村{speciality}{suffix}"
    admitted = names.moment("admitted", serial)
    return {
        "id": serial,
        "name": name,
        "kind": kind,
        "credit_code": names.credit_code(
            {"coop": "93", "enterprise": "91", "family_farm": "92"}[kind], code, 100_000 + serial
        ),
        "region_id": region_id,
        "contact_name": names.person_name("contact", serial),
        "contact_phone": names.mobile("contact", serial),
        "bank_name": "中国农业银行" + county_name + "支行",
        "bank_account": encrypted("0" + names.digits(16, "account", serial)),
        "households": 20 + serial % 200,
        "status": "admitted",
        "status_reason": None,
        "applied_at": admitted,
        "recommended_at": admitted,
        "admitted_at": admitted,
    }


_tokens = functools.lru_cache(maxsize=None)(search_columns)


def data_key() -> str:
    """The ``DATA_KEY`` that the loaders encrypt bank accounts with and the benchmark's servers read them
    with (the environment's; made once per run when unset, and put in the environment for the servers)."""
    if not os.environ.get("DATA_KEY"):
        os.environ["DATA_KEY"] = Fernet.generate_key().decode()
    return os.environ["DATA_KEY"]


@functools.cache
def encrypted(plain: str) -> str:
    """``plain`` as the app stores a bank account (shop/crypto.py); one token per value, so a value that
    repeats (the payments' paying account) is encrypted once."""
    return encrypt(plain, cipher_for(data_key()))


def load(
    url: str, suppliers: int, products: int, purchasers: int, password_hash: str, seed: int = 7
) -> Province:
    """Fill the empty database at ``url`` (a libpq URL) and return what the benchmark drives."""
    rng = random.Random(seed)
    region_rows, poverty = _regions(rng)
    supplier_rows = [_supplier(i, poverty[(i - 1) % len(poverty)], rng) for i in range(1, suppliers + 1)]
    infos = [
        SupplierInfo(
            row["id"],
            row["name"],
            poverty[(row["id"] - 1) % len(poverty)][0],
            poverty[(row["id"] - 1) % len(poverty)][1],
            row["region_id"],
            row["admitted_at"],
        )
        for row in supplier_rows
    ]
    plans = plan_products(infos, rng, per_supplier=max(1, products // suppliers))[:products]
    category_ids = {name: index for index, name in enumerate(CATEGORIES, start=1)}
    product_rows = []
    for pid, plan in enumerate(plans, start=1):
        product_rows.append(
            {
                "id": pid,
                "supplier_id": plan.supplier_id,
                "category_id": category_ids[plan.category],
                "name": plan.name,
                "spec": plan.spec,
                "unit": plan.unit,
                "price": plan.price,
                "market_price": plan.market_price,
                "stock": plan.stock + 100_000,  # enough for every checkout of the run
                "min_order_quantity": plan.min_order_quantity,
                "origin_region_id": plan.origin_region_id,
                "certification_number": plan.certification_number,
                "is_green": plan.is_green,
                "is_organic": plan.is_organic,
                "is_geographic_indication": plan.is_geographic_indication,
                "description": plan.description,
                "status": "listed",
                "status_reason": None,
                "sales_count": rng.randint(0, 500),
                "created_at": plan.created_at,
                "updated_at": plan.listed_at,
                "listed_at": plan.listed_at,
                **_tokens(plan.name, plan.spec, plan.description),
            }
        )
    buyable = [row["id"] for row in product_rows if row["min_order_quantity"] == 1]
    city_code = region_rows[1]["code"]
    unit_rows, user_rows, cart_rows = [], [], []
    for n in range(1, purchasers + 1):
        unit_rows.append(
            {
                "id": n,
                "code": f"{city_code}9{n:05d}",
                "name": f"{CITIES[0]}第{n}机关食堂",
                "credit_code": names.credit_code("11", city_code, 900_000 + n),
                "region_id": 2,
                "parent_id": None,
                "created_at": _NOW,
            }
        )
        user_rows.append(
            {
                "id": n,
                "username": f"bench{n:04d}",
                "name": names.person_name("bench", n),
                "phone": names.mobile("bench", n),
                "email": None,
                "role": "purchaser",
                "unit_id": n,
                "supplier_id": None,
                "region_id": None,
                "password_hash": password_hash,
                "enabled": True,
                "activated_at": _NOW,
                "must_change_password": False,
                "created_at": _NOW,
                "failed_logins": 0,
                "locked_until": None,
                "last_login_at": None,
                "locale": None,
            }
        )
        product = product_rows[rng.choice(buyable) - 1]
        cart_rows.append(
            {
                "user_id": n,
                "product_id": product["id"],
                "quantity": 1,
                "price_seen": product["price"],
                "added_at": _NOW,
            }
        )
    with psycopg.connect(url, autocommit=False) as connection, connection.cursor() as cursor:
        _copy(cursor, "region", region_rows)
        _copy(
            cursor, "category", [{"id": i, "name": name, "position": i} for name, i in category_ids.items()]
        )
        _copy(cursor, "supplier", supplier_rows)
        _copy(cursor, "product", product_rows)
        _copy(cursor, "budget_unit", unit_rows)
        _copy(cursor, "user_account", user_rows)
        _copy(cursor, "cart_item", cart_rows)
        for table in ("region", "category", "supplier", "product", "budget_unit", "user_account"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        # The throwaway cluster commits asynchronously; VACUUM cannot mark a page all-visible while the commit
        # of its rows may still be unflushed, and ran too soon after it to do so on some runs but not others.
        cursor.execute("SET LOCAL synchronous_commit = on")
        connection.commit()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")  # as autovacuum would have, long before anyone measures
    return Province(
        purchasers=[row["username"] for row in user_rows],
        buyable=buyable,
        counts={
            "regions": len(region_rows),
            "poverty_counties": len(poverty),
            "suppliers": len(supplier_rows),
            "products": len(product_rows),
            "purchasers": len(user_rows),
        },
    )
