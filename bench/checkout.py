"""The checkout scenario: one process per purchaser, each repeating add-to-cart → open the checkout →
submit it, for a fixed time; wrk cannot carry a token from one response into the next request.

A checkout counts when the submit redirects (the orders were placed); anything else is an error.
"""

import html
import multiprocessing
import random
import re
import time

from client import Browser

#: The delivery details every benchmark checkout submits (the form's own hidden fields are kept).
DELIVERY = {"address": "示范省云岭市人民路1号 机关食堂", "contact": "王师傅", "phone": "13800138000"}
_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def form_fields(page: str) -> dict[str, str]:
    """The named inputs of a page with their values (hidden tokens and prefilled fields)."""
    fields = {}
    for tag in _INPUT.findall(page):
        attrs = dict(_ATTR.findall(tag))
        if "name" in attrs and attrs.get("type", "text") not in ("submit", "button", "checkbox", "radio"):
            fields[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return fields


def _client(host, port, username, password, products, seed, start_at, seconds, results) -> None:
    rng = random.Random(seed)
    browser = Browser(host, port)
    browser.log_in(username, password)
    _, _, page = browser.request("GET", "/cart/")
    csrf = browser.csrf_token(page)
    latencies, errors, statuses = [], 0, {}
    time.sleep(max(0.0, start_at - time.time()))
    deadline = start_at + seconds
    while time.time() < deadline:
        began = time.perf_counter()
        try:
            status, _, _ = browser.request(
                "POST", "/cart/add", {"product_id": rng.choice(products), "quantity": 1, "csrf_token": csrf}
            )
            if status not in (200, 302):
                raise RuntimeError(f"add {status}")
            status, _, page = browser.request("GET", "/cart/checkout")
            if status != 200:
                raise RuntimeError(f"checkout page {status}")
            fields = form_fields(page)
            for key, value in DELIVERY.items():
                if not fields.get(key):  # keep what the form prefills (the unit's address)
                    fields[key] = value
            status, headers, _ = browser.request("POST", "/cart/checkout", fields)
            # Placed: to the orders, or to the checkout's confirmation; refused: back to the cart or the form.
            location = headers.get("location", "")
            if status != 302 or not ("/orders" in location or "/cart/placed/" in location):
                raise RuntimeError(f"checkout submit {status} {headers.get('location')}")
            latencies.append(time.perf_counter() - began)
        except Exception as error:
            errors += 1
            key = str(error)[:80]
            statuses[key] = statuses.get(key, 0) + 1
    results.put({"latencies": latencies, "errors": errors, "kinds": statuses})


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def drive(
    host: str, port: int, purchasers: list[str], password: str, products: list[int], seconds: int
) -> dict:
    """Checkouts per second over ``seconds``, one concurrent client per purchaser; latency per checkout."""
    results: multiprocessing.Queue = multiprocessing.Queue()
    # Log-ins (one scrypt each) happen before the clock starts: all start together once signed in.
    start_at = time.time() + 3 + 0.2 * len(purchasers)
    processes = [
        multiprocessing.Process(
            target=_client, args=(host, port, username, password, products, n, start_at, seconds, results)
        )
        for n, username in enumerate(purchasers)
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    latencies = [value for item in collected for value in item["latencies"]]
    kinds: dict[str, int] = {}
    for item in collected:
        for key, count in item["kinds"].items():
            kinds[key] = kinds.get(key, 0) + count
    return {
        "checkouts": len(latencies),
        "checkouts_per_s": round(len(latencies) / seconds, 1),
        "requests": 3 * len(latencies),
        "rps": round(3 * len(latencies) / seconds, 1),
        "p50_ms": round(1000 * _percentile(latencies, 0.5), 2),
        "p90_ms": round(1000 * _percentile(latencies, 0.9), 2),
        "p99_ms": round(1000 * _percentile(latencies, 0.99), 2),
        "status_errors": sum(item["errors"] for item in collected),
        "socket_errors": 0,
        "error_kinds": kinds,
    }
