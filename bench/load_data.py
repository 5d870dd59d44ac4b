"""The load test's data (``bench/load.py``), COPYed into a throwaway PostgreSQL that ``flask db upgrade`` has
just created: the province's catalogue and purchasers (``bench/province.py``), a city of budget units with a
year of paid orders (``bench/quota_data.py``), received and unpaid orders for the purchasers to pay, the
city's finance users; and the plan the locust users follow (``bench/locustfile.py``).
"""

import random
from datetime import date, datetime

from catalogue import QUERIES

PASSWORD = "Bench-pass-2026"
YEAR = 2025


def load_data(url: str, args) -> dict:
    """Fill the throwaway database; return the locust plan (accounts, products, orders to pay, pages)."""
    import province
    import psycopg
    import quota_data
    from werkzeug.security import generate_password_hash

    password_hash = generate_password_hash(PASSWORD, method="scrypt")
    loaded = province.load(url, args.suppliers, args.products, args.purchasers, password_hash)
    with psycopg.connect(url) as connection:
        regions = connection.execute("SELECT id, code, level, parent_id FROM region ORDER BY id").fetchall()
        products = connection.execute(
            "SELECT id, supplier_id, name, spec, unit, (price * 100)::int FROM product"
            " WHERE status = 'listed' AND price < 200 ORDER BY id LIMIT 500"
        ).fetchall()
        categories = [row[0] for row in connection.execute("SELECT id FROM category ORDER BY id")]
    city = next(row for row in regions if row[2] == "city")
    area = [(city[0], city[1])] + [(row[0], row[1]) for row in regions if row[3] == city[0]]

    loader = quota_data.Loader(password_hash, random.Random(11))
    loader.unit_id = loader.user_id = args.purchasers  # past the benchmark purchasers and their units
    city_part = quota_data.load_part(loader, url, area, args.city_units, args.city_orders, products)

    # The benchmark purchasers' own orders, received and not yet paid (the pay action records them).
    quota_data.ARREARS_EVERY, every = 1, quota_data.ARREARS_EVERY
    try:
        with psycopg.connect(url) as connection, connection.cursor() as cursor:
            bench_units = [(n, n) for n in range(1, args.purchasers + 1)]
            loader.orders(cursor, bench_units, args.purchasers * args.unpaid_orders, products)
            finance = _finance_users(cursor, loader, city[0], args.finance_users, password_hash)
            cursor.execute(
                "INSERT INTO quota_policy (region_id, year, min_ratio, filing_deadline, not_below_last_year,"
                " updated_at) VALUES (%s, %s, 0.3000, %s, false, now())",
                (city[0], YEAR, date(YEAR, 3, 31)),
            )
            cursor.execute("SET LOCAL synchronous_commit = on")
            connection.commit()
    finally:
        quota_data.ARREARS_EVERY = every
    quota_data._finish(url)  # sequences past the explicit ids, VACUUM ANALYZE

    with psycopg.connect(url) as connection:
        unpaid: dict[str, list] = {}
        for username, order_id, total in connection.execute(
            "SELECT u.username, o.id, o.total::text FROM purchase_order o"
            " JOIN user_account u ON u.id = o.purchaser_id"
            " WHERE o.payment_status = 'unpaid' AND o.status = 'received' AND u.username LIKE 'bench%'"
            " ORDER BY o.id"
        ):
            unpaid.setdefault(username, []).append([order_id, total])
    return {
        "password": PASSWORD,
        "purchasers": [{"username": name, "orders": unpaid.get(name, [])} for name in loaded.purchasers],
        "finance": finance,
        "products": loaded.buyable,
        "categories": categories,
        "queries": list(QUERIES),
        "report": f"/reports/region/{city[1]}?year={YEAR}",
        "report_grades": f"/reports/region/{city[1]}/grades?year={YEAR}",
        "report_must_contain": "云岭市",
        "counts": {
            **loaded.counts,
            "city_units": city_part["units"],
            "city_paid_orders": city_part["orders"],
            "unpaid_orders_to_pay": sum(len(orders) for orders in unpaid.values()),
            "finance_users": len(finance),
        },
    }


def _finance_users(cursor, loader, city_id: int, count: int, password_hash: str) -> list[str]:
    import province

    rows = []
    for n in range(1, count + 1):
        loader.user_id += 1
        rows.append(
            {
                "id": loader.user_id,
                "username": f"finance{n:02d}",
                "name": f"财政用户{n}",
                "role": "finance",
                "region_id": city_id,
                "password_hash": password_hash,
                "enabled": True,
                "activated_at": datetime(2024, 12, 1, 2, 0),
                "must_change_password": False,
                "created_at": datetime(2024, 12, 1, 2, 0),
                "failed_logins": 0,
            }
        )
    province._copy(cursor, "user_account", rows)
    return [row["username"] for row in rows]
