"""Load test: gunicorn (several workers) on PostgreSQL with a province's catalogue and a city's year of
orders, driven from a second process by locust (headless) with a realistic mix, for a bounded time.

    make bench-load              # or: .venv/bin/python bench/load.py --help

It runs itself under ``scripts/with-postgres.sh`` (a throwaway cluster, removed afterwards), runs
``flask db upgrade``, COPYs in the province of ``bench/province.py`` (1,000 suppliers, 100,000 listed
products, the benchmark purchasers with one product in their carts), a city of budget units with their
filings and a year of paid orders (``bench/quota_data.py``), received and unpaid orders for the benchmark
purchasers to pay, and finance users of the city. Then it starts gunicorn with ``gunicorn.conf.py`` on a
free loopback port, warms every page up, and runs locust (``bench/locustfile.py``) for ``--duration``
seconds. Each row of the table is one kind of request: its count, requests/s, p50/p95/p99 latency (ms),
errors, and its p50 over the baseline's (``GET /healthz``, measured in the same run). Results:
bench/results/load-<time>.json and .md.
"""

import argparse
import csv
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue import QUERIES, free_port  # noqa: E402
from client import Browser, wait_until_up  # noqa: E402
from load_data import PASSWORD, load_data  # noqa: E402
from record import run_header  # noqa: E402

HOST = "127.0.0.1"
BASELINE = "baseline /healthz"
#: The table's rows (locust's request names).
ORDER = (
    BASELINE,
    "browse /catalogue/",
    "search /catalogue/?q=",
    "product /catalogue/<id>",
    "checkout: add to cart",
    "checkout: form",
    "checkout: place",
    "pay: order's payment page",
    "pay: record payment",
    "report: city",
    "report: grades",
    "sign-in: form",
    "sign-in: submit",
    "sign-in: cart (its form token)",
)


def start_server(args, port: int, database_url: str, log_path: Path) -> subprocess.Popen:
    """gunicorn as ``make serve`` runs it (gunicorn.conf.py), on ``port``, with a secret of its own."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "BIND": f"{HOST}:{port}",
        "WEB_CONCURRENCY": str(args.workers),
    }
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopping it stops its workers and nothing else
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def warm_up(port: int, plan: dict, workers: int) -> None:
    """Every page a few times per worker (imports, template compilation, the planner's first plans), and a
    check that each answers 200 with content: the test must not measure error pages."""
    browser = Browser(HOST, port)
    browser.log_in(plan["purchasers"][0]["username"], PASSWORD)
    checks = {
        "/catalogue/": "/catalogue/",
        f"/catalogue/?q={quote(QUERIES[0])}": QUERIES[0],
        f"/catalogue/{plan['products'][0]}": "csrf_token",
        "/cart/": "csrf_token",
    }
    for _ in range(2 * workers):
        for path, must_contain in checks.items():
            status, _, body = browser.request("GET", path)
            if status != 200 or must_contain not in body:
                raise RuntimeError(f"{path} answered {status} without {must_contain!r}: an error page")
    for query in QUERIES:  # each search once (a worker walks a search it has seen; see bench/README.md)
        browser.request("GET", f"/catalogue/?q={quote(query)}")
    finance = Browser(HOST, port)
    finance.log_in(plan["finance"][0], PASSWORD)
    for path in (plan["report"], plan["report_grades"]):
        status, _, body = finance.request("GET", path)
        if status != 200 or plan["report_must_contain"] not in body:
            raise RuntimeError(f"{path} answered {status}: an error page")


def run_locust(args, port: int, plan_path: Path, workdir: Path) -> Path:
    """locust in a process of its own (headless, for ``--duration`` seconds); returns its stats CSV."""
    prefix = workdir / "locust"
    command = [
        str(ROOT / ".venv/bin/locust"),
        "-f",
        str(ROOT / "bench/locustfile.py"),
        "--headless",
        "--host",
        f"http://{HOST}:{port}",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.duration}s",
        "--stop-timeout",
        "30",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {**os.environ, "BENCH_LOAD_PLAN": str(plan_path)}
    with (workdir / "locust.log").open("w") as log:
        subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    return Path(f"{prefix}_stats.csv")


def read_stats(stats_csv: Path) -> dict[str, dict]:
    """Per request name: count, requests/s, p50/p95/p99 (ms), errors, and its p50 over the baseline's."""
    rows = {}
    with stats_csv.open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            name = row["Name"]
            rows[name] = {
                "count": int(row["Request Count"]),
                "rps": round(float(row["Requests/s"]), 2),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
                "mean_ms": round(float(row["Average Response Time"]), 1),
                "errors": int(row["Failure Count"]),
            }
    total = rows.pop("Aggregated", None)
    # The mix in the locustfile's order, the once-per-user sign-in after it, then anything else.
    order = {name: n for n, name in enumerate(ORDER)}
    rows = dict(sorted(rows.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))
    baseline = rows.get(BASELINE, {}).get("p50_ms") or None
    for figures in rows.values():
        figures["p50_over_baseline"] = round(figures["p50_ms"] / baseline, 1) if baseline else None
    if total:
        total["p50_over_baseline"] = None
        rows["all requests"] = total
    return rows


def table(results: dict) -> str:
    """The markdown table of the run."""
    lines = [
        "| action | requests | req/s | p50 ms | p95 ms | p99 ms | errors | p50 ÷ baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in results["actions"].items():
        ratio = "—" if f["p50_over_baseline"] is None else f"{f['p50_over_baseline']}×"
        lines.append(
            f"| {name} | {f['count']:,} | {f['rps']} | {f['p50_ms']:g} | {f['p95_ms']:g} | {f['p99_ms']:g}"
            f" | {f['errors']} | {ratio} |"
        )
    return "\n".join(lines)


def run(args) -> dict:
    before_load = [round(value, 2) for value in os.getloadavg()]
    database_url = os.environ["DATABASE_URL"]
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    env = {**os.environ, "FLASK_APP": "shop.app:create_app", "SECRET_KEY": "bench-migrations"}
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    started = time.perf_counter()
    plan = load_data(url, args)
    load_seconds = round(time.perf_counter() - started, 1)
    print(f"Loaded {plan['counts']} in {load_seconds} s", flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    plan_path = workdir / "plan.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False))
    port = free_port()
    server = start_server(args, port, database_url, workdir / "gunicorn.log")
    try:
        wait_until_up(HOST, port)
        warm_up(port, plan, args.workers)
        print(f"Driving {args.users} users for {args.duration} s …", flush=True)
        stats_csv = run_locust(args, port, plan_path, workdir)
    finally:
        stop(server)
    server_log = (workdir / "gunicorn.log").read_text()
    locust_log = (workdir / "locust.log").read_text()
    if not stats_csv.exists():
        raise SystemExit(f"locust wrote no statistics; its log:\n{locust_log[-3000:]}")
    actions = read_stats(stats_csv)
    failures_csv = Path(str(stats_csv).replace("_stats.csv", "_failures.csv"))
    failures = failures_csv.read_text(encoding="utf-8") if failures_csv.exists() else ""
    request_lines = sum(1 for line in server_log.splitlines() if " shop.requests: " in line)
    server_errors = [line for line in server_log.splitlines() if " ERROR " in line or "Traceback" in line]
    shutil.rmtree(workdir, ignore_errors=True)
    errors = actions.get("all requests", {}).get("errors", 0)
    return {
        **run_header("load", before_load),
        "setup": {
            "gunicorn_workers": args.workers,
            "locust_users": args.users,
            "seconds": args.duration,
            "load_seconds": load_seconds,
            **plan["counts"],
        },
        "actions": actions,
        "errors": errors,
        "failures": failures if errors else "",
        "server_request_lines": request_lines,
        "server_error_lines": server_errors[:50],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (after the warm-up)")
    parser.add_argument("--users", type=int, default=30, help="simulated users (9 purchasers : 1 finance)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--suppliers", type=int, default=1_000)
    parser.add_argument("--purchasers", type=int, default=40, help="purchaser accounts the users sign in as")
    parser.add_argument("--unpaid-orders", type=int, default=40, help="received unpaid orders per purchaser")
    parser.add_argument("--finance-users", type=int, default=5)
    parser.add_argument("--city-units", type=int, default=2_000, help="budget units of the reported city")
    parser.add_argument("--city-orders", type=int, default=20_000, help="their paid orders of the year")
    args = parser.parse_args()
    if os.environ.get("BENCH_THROWAWAY_POSTGRES") != "1":
        # Never load made-up data into a database someone configured: use a throwaway cluster.
        os.environ["BENCH_THROWAWAY_POSTGRES"] = "1"
        wrapper = str(ROOT / "scripts/with-postgres.sh")
        os.execv(wrapper, [wrapper, sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])
    results = run(args)
    stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
    out = ROOT / "bench/results" / f"load-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    setup = results["setup"]
    summary = (
        f"Load test {results['at']} (commit {results['commit']}): {setup['locust_users']} users for"
        f" {setup['seconds']} s against gunicorn with {setup['gunicorn_workers']} workers on PostgreSQL,"
        f" {results['machine']['cpus']} CPUs, load average {results['machine']['load_average_before']} before"
        f" and {results['machine']['load_average_after']} after.\n\n{table(results)}\n"
    )
    out.with_suffix(".md").write_text(summary)
    print(summary)
    print(f"Results: {out.relative_to(ROOT)} and {out.with_suffix('.md').relative_to(ROOT)}")
    if results["errors"]:
        print(f"ERRORS: {results['errors']} failed requests:\n{results['failures']}")
    if results["server_error_lines"]:
        print("Server log errors:\n" + "\n".join(results["server_error_lines"]))
    if results["errors"] or results["server_error_lines"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
