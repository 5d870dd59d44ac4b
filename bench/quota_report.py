"""Benchmark: the finance report (``quotas.reports.summarise``) for a city and for a province, at 20,000 and
at 2,000,000 paid orders, in one run: its time, its CPU (ours and PostgreSQL's) and its SQL query count.

    make bench-quotas               # or: .venv/bin/python bench/quota_report.py --help

It runs itself under ``scripts/with-postgres.sh`` (a throwaway PostgreSQL cluster, removed afterwards), runs
``flask db upgrade`` and COPYs in, with ``bench/province.py``'s regions and a small catalogue:

1. a city of ``--city-units`` budget units (a manager and a purchaser each, an approved filing, policies)
   with ``--city-orders`` paid orders of one line, each with its payment, its ledger entry and the units'
   maintained year and month totals, plus a few arrears; then measures the city report;
2. the rest of a province (``--units`` in all, ``--orders`` in all) in its other eleven cities; then measures
   the city report again and the province report.

The report reads the maintained unit totals, never the orders: its cost should follow the number of units in
scope (×25 from the city to the province), not the number of orders (×100). The result goes to
bench/results/quotas-<time>.json and a table is printed.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project, for its packages; this folder (cpu, province, quota_data) is already first as the script's own.
sys.path.insert(1, str(ROOT))

from cpu import cpu_seconds  # noqa: E402
from quota_data import YEAR, Loader, load_part  # noqa: E402
from record import run_header  # noqa: E402


def measure(app, region_code: str, runs: int) -> dict:
    """``summarise(YEAR, region)`` ``runs`` times after a warm-up: wall time, our CPU and PostgreSQL's (the
    backend serving the session), and the number of SQL statements of each run."""
    from sqlalchemy import event, select, text

    from accounts.models import Region
    from quotas.reports import summarise
    from shop.extensions import db

    today = date(YEAR + 1, 3, 1)  # the year is complete
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        region = db.session.scalar(select(Region).where(Region.code == region_code))
        summarise(YEAR, region, today=today)  # warm-up: the connection, the planner, PostgreSQL's caches
        backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        walls, ours, theirs, queries = [], [], [], set()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            for _ in range(runs):
                statements.clear()
                server, client, started = cpu_seconds([backend]), time.process_time(), time.perf_counter()
                summary = summarise(YEAR, region, today=today)
                walls.append(time.perf_counter() - started)
                ours.append(time.process_time() - client)
                theirs.append(cpu_seconds([backend]) - server)
                queries.add(len(statements))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        db.session.rollback()
    if summary.purchased <= 0 or summary.units == 0:
        raise RuntimeError(f"the report of {region_code} is empty: not measuring an empty report")
    return {
        "region": region_code,
        "units": summary.units,
        "purchased": str(summary.purchased),
        "completion_aggregate": str(summary.completion_aggregate),
        "median_ms": round(1000 * statistics.median(walls), 1),
        "min_ms": round(1000 * min(walls), 1),
        "max_ms": round(1000 * max(walls), 1),
        "client_cpu_ms": round(1000 * statistics.median(ours), 1),
        "server_cpu_ms": round(1000 * statistics.median(theirs), 1),
        "queries": sorted(queries),
    }


def run(args) -> dict:
    import province
    import psycopg
    from werkzeug.security import generate_password_hash

    before_load = [round(value, 2) for value in os.getloadavg()]
    database_url = os.environ["DATABASE_URL"]
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    env = {**os.environ, "FLASK_APP": "shop.app:create_app", "SECRET_KEY": "bench-migrations"}
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    password_hash = generate_password_hash("Bench-pass-2026", method="pbkdf2:sha256:1000")
    started = time.perf_counter()
    province.load(url, args.suppliers, args.products, 0, password_hash)
    with psycopg.connect(url) as connection:
        regions = connection.execute("SELECT id, code, level, parent_id FROM region ORDER BY id").fetchall()
        products = connection.execute(
            "SELECT id, supplier_id, name, spec, unit, (price * 100)::int FROM product"
            " WHERE status = 'listed' AND price < 200 ORDER BY id LIMIT 500"
        ).fetchall()
        cities = [row for row in regions if row[2] == "city"]
        connection.execute(
            "INSERT INTO quota_policy (region_id, year, min_ratio, filing_deadline, not_below_last_year,"
            " updated_at) VALUES (%s, %s, 0.2000, %s, false, now()), (%s, %s, 0.3000, %s, false, now())",
            (regions[0][0], YEAR, date(YEAR, 3, 31), cities[0][0], YEAR, date(YEAR, 3, 31)),
        )
    print(f"Regions and catalogue in {time.perf_counter() - started:.1f} s", flush=True)

    def area(city) -> list[tuple[int, str]]:
        return [(city[0], city[1])] + [(row[0], row[1]) for row in regions if row[3] == city[0]]

    from shop.app import create_app

    os.environ.setdefault("SECRET_KEY", "bench-quotas")
    app = create_app()
    loader = Loader(password_hash, random.Random(args.seed))
    city_code = cities[0][1]
    parts = {"city": load_part(loader, url, area(cities[0]), args.city_units, args.city_orders, products)}
    print(f"City loaded: {parts['city']}", flush=True)
    results = {"city @ city orders": measure(app, city_code, args.runs)}
    rest = [pair for city in cities[1:] for pair in area(city)]
    parts["rest"] = load_part(
        loader, url, rest, args.units - args.city_units, args.orders - args.city_orders, products
    )
    print(f"Rest of the province loaded: {parts['rest']}", flush=True)
    results["city @ province orders"] = measure(app, city_code, args.runs)
    results["province @ province orders"] = measure(app, regions[0][1], args.runs)
    for name, figures in results.items():
        figures["orders_in_database"] = args.city_orders if name == "city @ city orders" else args.orders
    city, whole = results["city @ city orders"], results["province @ province orders"]
    return {
        **run_header("quotas", before_load),
        "setup": {"runs": args.runs, "year": YEAR, "loads": parts},
        "scenarios": results,
        "ratios": {
            "time": round(whole["median_ms"] / city["median_ms"], 2),
            "cpu": round(
                (whole["client_cpu_ms"] + whole["server_cpu_ms"])
                / (city["client_cpu_ms"] + city["server_cpu_ms"]),
                2,
            ),
            "units": round(whole["units"] / city["units"], 2),
            "orders": round(args.orders / args.city_orders, 2),
            "city_time_at_province_orders": round(
                results["city @ province orders"]["median_ms"] / city["median_ms"], 2
            ),
        },
    }


def report(results: dict) -> str:
    head = f"{'scenario':<27} {'units':>7} {'orders in db':>12} {'median ms':>10} {'min ms':>8} {'max ms':>8}"
    lines = [head + f" {'our cpu ms':>10} {'pg cpu ms':>9} {'queries':>7}", "-" * 105]
    for name, row in results["scenarios"].items():
        lines.append(
            f"{name:<27} {row['units']:>7,} {row['orders_in_database']:>12,} {row['median_ms']:>10.1f}"
            f" {row['min_ms']:>8.1f} {row['max_ms']:>8.1f} {row['client_cpu_ms']:>10.1f}"
            f" {row['server_cpu_ms']:>9.1f} {'/'.join(map(str, row['queries'])):>7}"
        )
    ratios, scenarios = results["ratios"], results["scenarios"]
    many = scenarios["province @ province orders"]["orders_in_database"]
    few = scenarios["city @ city orders"]["orders_in_database"]
    lines.append(
        f"Province @ {many:,} orders over city @ {few:,}: time ×{ratios['time']}, cpu ×{ratios['cpu']};"
        f" units ×{ratios['units']}, orders ×{ratios['orders']}.\nThe city's report with the whole province's"
        f" orders in the database takes ×{ratios['city_time_at_province_orders']} its time with its own only."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--units", type=int, default=50_000, help="budget units of the province in all")
    parser.add_argument("--orders", type=int, default=2_000_000, help="paid orders of the province in all")
    parser.add_argument("--city-units", type=int, default=2_000)
    parser.add_argument("--city-orders", type=int, default=20_000)
    parser.add_argument(
        "--runs", type=int, default=5, help="measured runs per scenario (the median is shown)"
    )
    parser.add_argument("--suppliers", type=int, default=100)
    parser.add_argument("--products", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.city_units >= args.units or args.city_orders >= args.orders:
        parser.error("the city must be smaller than the province")
    if os.environ.get("BENCH_THROWAWAY_POSTGRES") != "1":
        # Never load two million made-up orders into a database someone configured: use a throwaway cluster.
        os.environ["BENCH_THROWAWAY_POSTGRES"] = "1"
        wrapper = str(ROOT / "scripts/with-postgres.sh")
        os.execv(wrapper, [wrapper, sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])
    started = time.perf_counter()
    results = run(args)
    results["seconds"] = round(time.perf_counter() - started, 1)
    out = ROOT / "bench/results" / f"quotas-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(report(results))
    print(f"Whole run {results['seconds']} s. Results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
