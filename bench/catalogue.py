"""Benchmark: the catalogue page, a Chinese search and a checkout on a province-sized catalogue, each as a
ratio against a trivial route (``/healthz``) of the same app on the same server, in one run.

    make bench-catalogue            # or: .venv/bin/python bench/catalogue.py --help

It runs itself under ``scripts/with-postgres.sh`` (a throwaway PostgreSQL cluster, removed afterwards), runs
``flask db upgrade``, COPYs the province in (``bench/province.py``: 1,000 suppliers, 100,000 listed
products), starts gunicorn with several workers on a free loopback port, signs purchasers in, then drives
load on loopback for a fixed time per scenario: wrk for the pages, and one Python process per purchaser for
checkouts (add to cart, open the checkout, submit it). It writes bench/results/catalogue-<time>.json and
prints a table. Targets (issue 3): catalogue ≥ 0.2× and search ≥ 0.1× the trivial route's requests/s.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
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

from client import Browser, wait_until_up  # noqa: E402
from cpu import cpu_seconds, parent_of  # noqa: E402
from record import run_header  # noqa: E402

#: Searches the search scenario rotates through (products of the province have these words).
QUERIES = (
    "小米",
    "红枣",
    "核桃",
    "马铃薯",
    "胡麻油",
    "土鸡蛋",
    "老陈醋",
    "蜂蜜",
    "有机小米",
    "羊肉",
    "苹果",
    "黄芪",
)
TARGETS = {"catalogue": 0.2, "search": 0.1}
PASSWORD = "Bench-pass-2026"
HOST = "127.0.0.1"

_LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d,'
    .. ' "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "mean_ms": %.2f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000))
end
"""


def _rotating(paths: list[str]) -> str:
    listed = ", ".join(f'"{path}"' for path in paths)
    return f"""
local paths = {{{listed}}}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wrk(args, port: int, paths: list[str], cookie: str | None, seconds: int, workdir: Path) -> dict:
    """Run wrk against ``paths`` (rotating) and return its figures (requests/s, latency percentiles)."""
    script = workdir / "scenario.lua"
    script.write_text(_rotating(paths) + _LUA_DONE)
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "30s"]
    command += ["-s", str(script)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        [*command, f"http://{HOST}:{port}{paths[0]}"], capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    figures["rps"] = round(figures["requests"] / (figures.pop("duration_us") / 1e6), 1)
    return figures


def _check_page(browser: Browser, path: str, must_contain: str) -> int:
    status, _, body = browser.request("GET", path)
    if status != 200 or must_contain not in body:
        raise RuntimeError(f"{path} answered {status} without {must_contain!r}: not measuring an error page")
    return len(body.encode())


def _cookie(browser: Browser, username: str, paths: list[str]) -> str:
    """A session cookie fresh from signing in. The server sends a new cookie when the session's "seen" time
    is a minute old (and ends the session when it is IDLE_TIMEOUT old); a browser keeps the new one, wrk
    cannot: each scenario gets a cookie of its own, which stays current for a minute."""
    browser.cookie = None
    browser.log_in(username, PASSWORD)
    browser.request("GET", paths[0])  # the first page after signing in marks the session seen
    return browser.cookie


def start_server(args, port: int, database_url: str, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(32)}
    command = [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-b", f"{HOST}:{port}"]
    command += ["--backlog", "512", "--timeout", "120", "wsgi:app"]
    # A session of its own, so that stopping it stops its workers and nothing else.
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _postmaster(database_url: str) -> int:
    """The PostgreSQL server process (its backends are its children)."""
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        return parent_of(connection.execute("SELECT pg_backend_pid()").fetchone()[0])


def _with_cpu(server_side: list[int], measure) -> dict:
    """Run ``measure()``; add the server side's CPU milliseconds per request (per checkout) to its figures."""
    before = cpu_seconds(server_side)
    figures = measure()
    spent = cpu_seconds(server_side) - before
    done = figures["checkouts"] if "checkouts" in figures else figures["requests"]
    figures["server_cpu_ms"] = round(1000 * spent / done, 2) if done else None
    return figures


def report(results: dict) -> str:
    """The table: throughput and its ratio to the trivial route (the issue's measure), latency, and the
    server's CPU per request with the ratio that follows from it (steady however busy the machine is)."""
    head = f"{'scenario':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'target':>6} {'met':>4}"
    lines = [head + f" {'cpu ms':>7} {'cpu ratio':>9} {'errors':>6}", "-" * 80]
    for name, figures in results["scenarios"].items():
        target = TARGETS.get(name)
        met = "-" if target is None else ("yes" if figures["target_met"] else "NO")
        errors = figures.get("status_errors", 0) + figures.get("socket_errors", 0)
        lines.append(
            f"{name:<10} {figures.get('checkouts_per_s', figures['rps']):>8.1f} {figures['p50_ms']:>8.1f}"
            f" {figures['p99_ms']:>8.1f} {figures['ratio']:>6.3f} {target or '-':>6} {met:>4}"
            f" {figures['server_cpu_ms'] or 0:>7.2f} {figures['cpu_ratio'] or 0:>9.3f} {errors:>6}"
        )
    lines.append(
        "ratio: req/s over the trivial route's (checkout: checkouts/s; one = add to cart, open the checkout,"
        " submit).\ncpu ms: gunicorn + PostgreSQL CPU per request (per checkout); cpu ratio: the trivial"
        " route's cpu ms over the scenario's."
    )
    return "\n".join(lines)


def run(args) -> dict:
    import checkout
    import province
    from werkzeug.security import generate_password_hash

    before_load = [round(value, 2) for value in os.getloadavg()]
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: run scripts/install-system-packages.sh (Debian package wrk)")
    database_url = os.environ["DATABASE_URL"]
    env = {**os.environ, "FLASK_APP": "shop.app:create_app", "SECRET_KEY": "bench-migrations"}
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    started = time.perf_counter()
    loaded = province.load(
        database_url.replace("postgresql+psycopg://", "postgresql://"),
        suppliers=args.suppliers,
        products=args.products,
        purchasers=args.checkout_clients + 1,
        password_hash=generate_password_hash(PASSWORD, method="scrypt"),
    )
    load_seconds = round(time.perf_counter() - started, 1)
    print(f"Loaded {loaded.counts} in {load_seconds} s", flush=True)

    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="bench-catalogue-"))
    server = start_server(args, port, database_url, workdir / "gunicorn.log")
    try:
        wait_until_up(HOST, port)
        browser = Browser(HOST, port)
        user = loaded.purchasers[0]
        browser.log_in(user, PASSWORD)
        search_paths = [f"/catalogue/?q={quote(query)}" for query in QUERIES]
        sizes = {
            "catalogue": _check_page(browser, "/catalogue/", "/catalogue/"),
            "search": _check_page(browser, search_paths[0], "小米"),
        }
        scenarios = {
            "trivial": (["/healthz"], False),
            "catalogue": (["/catalogue/"], True),
            "search": (search_paths, True),
        }
        for paths, signed_in in scenarios.values():  # warm up: connections, caches, the planner's statistics
            wrk(args, port, paths, _cookie(browser, user, paths) if signed_in else None, 2, workdir)
        server_side = [server.pid, _postmaster(database_url)]
        results = {}
        for name, (paths, signed_in) in scenarios.items():
            cookie = _cookie(browser, user, paths) if signed_in else None
            results[name] = _with_cpu(
                server_side, lambda p=paths, c=cookie: wrk(args, port, p, c, args.duration, workdir)
            )
        if browser.request("GET", "/cart/")[0] == 200:
            results["checkout"] = _with_cpu(
                server_side,
                lambda: checkout.drive(
                    HOST, port, loaded.purchasers[1:], PASSWORD, loaded.buyable, args.duration
                ),
            )
        else:
            print("No cart in this app (GET /cart/ is not 200): checkout not measured", flush=True)
    finally:
        stop_server(server)
    log_tail = (workdir / "gunicorn.log").read_text()[-3000:]
    shutil.rmtree(workdir, ignore_errors=True)
    baseline = results["trivial"]["rps"]
    baseline_cpu = results["trivial"]["server_cpu_ms"]
    for name, figures in results.items():
        rate = figures.get("checkouts_per_s", figures["rps"])
        figures["ratio"] = round(rate / baseline, 3)
        figures["cpu_ratio"] = (
            round(baseline_cpu / figures["server_cpu_ms"], 3) if figures["server_cpu_ms"] else None
        )
        if name in TARGETS:
            figures["target"] = TARGETS[name]
            figures["target_met"] = figures["ratio"] >= TARGETS[name]
    errors = sum(
        figures.get("status_errors", 0) + figures.get("socket_errors", 0) for figures in results.values()
    )
    return {
        **run_header("catalogue", before_load),
        "setup": {
            "gunicorn_workers": args.workers,
            "wrk_threads": args.threads,
            "wrk_connections": args.connections,
            "checkout_clients": args.checkout_clients,
            "seconds_per_scenario": args.duration,
            "load_seconds": load_seconds,
            **loaded.counts,
        },
        "page_bytes": sizes,
        "scenarios": results,
        "all_targets_met": all(figures.get("target_met", True) for figures in results.values()),
        "errors": errors,
        "server_log_tail": log_tail if errors else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--suppliers", type=int, default=1_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--checkout-clients", type=int, default=16, help="concurrent purchasers checking out")
    args = parser.parse_args()
    if os.environ.get("BENCH_THROWAWAY_POSTGRES") != "1":
        # Never load 100,000 made-up products into a database someone configured: use a throwaway cluster.
        os.environ["BENCH_THROWAWAY_POSTGRES"] = "1"
        wrapper = str(ROOT / "scripts/with-postgres.sh")
        os.execv(wrapper, [wrapper, sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])
    results = run(args)
    out = ROOT / "bench/results" / f"catalogue-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(report(results))
    print(f"Results: {out.relative_to(ROOT)}")
    if results["errors"]:
        print(f"WARNING: {results['errors']} failed requests; server log tail:\n{results['server_log_tail']}")


if __name__ == "__main__":
    main()
