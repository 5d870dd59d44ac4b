"""The load test's users (locust): purchasers and finance users of the province ``bench/load.py`` loads.

    BENCH_LOAD_PLAN=plan.json locust -f bench/locustfile.py --headless …   (bench/load.py runs it)

The plan (JSON, written by bench/load.py) names the accounts, their password, the products a checkout may
buy, each purchaser's received and unpaid orders (id and amount due) and the report page. Each simulated
user signs in once through the login form, then repeats its tasks with a think time between them:

purchaser (most users): browse the catalogue (first pages, a category, sorted by price), search it in
Chinese, open a product, add to cart and check out (one order), record the payment of a received order, and
``/healthz`` (the in-run baseline); finance: the city's report (its figures, its grades).

A request counts as an error when the app answers anything but what a browser would call success: an error
status, or a form sent back instead of the redirect that follows a done deed. Requests never follow
redirects, so each row's latency is the one request's.
"""

import itertools
import json
import os
import random
import re
from datetime import datetime, timedelta, timezone

from locust import HttpUser, between, task

with open(os.environ["BENCH_LOAD_PLAN"], encoding="utf-8") as _file:
    PLAN = json.load(_file)

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
DELIVERY = {"address": "示范省云岭市人民路1号 机关食堂", "contact": "王师傅", "phone": "13800138000"}
BEIJING = timezone(timedelta(hours=8))

_purchasers = itertools.cycle(PLAN["purchasers"])
_finance = itertools.cycle(PLAN["finance"])
#: Each purchaser's unpaid orders, shared by the simulated users that sign in as that purchaser (a user is
#: one greenlet of one process: popping from the list hands each order out once).
_unpaid = {entry["username"]: list(entry["orders"]) for entry in PLAN["purchasers"]}
_references = itertools.count(1)


def _form_fields(page: str) -> dict[str, str]:
    """The named inputs of a page with their values (hidden tokens and prefilled fields)."""
    import html

    fields = {}
    for tag in _INPUT.findall(page):
        attrs = dict(_ATTR.findall(tag))
        if "name" in attrs and attrs.get("type", "text") not in ("submit", "button", "checkbox", "radio"):
            fields[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return fields


class _SignedIn(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)

    def sign_in(self, username: str) -> None:
        self.username = username
        page = self.client.get("/login", name="sign-in: form")
        token = _CSRF.search(page.text).group(1)
        with self.client.post(
            "/login",
            data={"username": username, "password": PLAN["password"], "csrf_token": token},
            allow_redirects=False,
            name="sign-in: submit",
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "login" in response.headers.get("Location", ""):
                response.failure(f"login of {username}: {response.status_code}")

    def page(self, path: str, name: str, must_contain: str | None = None) -> str:
        """GET ``path``; an error unless it answers 200 (with ``must_contain`` in the page, if given)."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            elif must_contain and must_contain not in response.text:
                response.failure(f"no {must_contain!r} on the page")
            return response.text

    def done(self, path: str, data: dict, name: str, where_to: tuple[str, ...]) -> bool:
        """POST a form; done when the app redirects to one of ``where_to``, an error otherwise."""
        with self.client.post(
            path, data=data, name=name, allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or not any(part in location for part in where_to):
                response.failure(f"{response.status_code} {location}")
                return False
            return True


class Purchaser(_SignedIn):
    weight = 9

    def on_start(self) -> None:
        self.sign_in(next(_purchasers)["username"])
        self.rng = random.Random(hash(self.username))
        # The session's CSRF token, for every form this user sends (any page with a form carries it).
        self.csrf = _CSRF.search(
            self.page("/cart/", "sign-in: cart (its form token)", must_contain="csrf_token")
        ).group(1)

    @task(10)
    def baseline(self) -> None:
        self.page("/healthz", "baseline /healthz")

    @task(30)
    def browse(self) -> None:
        choice = self.rng.random()
        if choice < 0.4:
            path = "/catalogue/"
        elif choice < 0.6:
            path = f"/catalogue/?page={self.rng.randint(2, 5)}"
        elif choice < 0.85:
            path = f"/catalogue/?category={self.rng.choice(PLAN['categories'])}"
        else:
            path = "/catalogue/?sort=price_asc"
        self.page(path, "browse /catalogue/", must_contain="/catalogue/")

    @task(25)
    def search(self) -> None:
        word = self.rng.choice(PLAN["queries"])
        self.page(f"/catalogue/?q={word}", "search /catalogue/?q=", must_contain=word)

    @task(20)
    def product(self) -> None:
        self.page(f"/catalogue/{self.rng.choice(PLAN['products'])}", "product /catalogue/<id>")

    @task(8)
    def checkout(self) -> None:
        product = self.rng.choice(PLAN["products"])
        added = self.done(
            "/cart/add",
            {"product_id": product, "quantity": 1, "csrf_token": self.csrf},
            "checkout: add to cart",
            ("/cart", "/catalogue"),
        )
        if not added:
            return
        fields = _form_fields(self.page("/cart/checkout", "checkout: form", must_contain="csrf_token"))
        for key, value in DELIVERY.items():
            if not fields.get(key):  # keep what the form prefills (the unit's last address)
                fields[key] = value
        self.done("/cart/checkout", fields, "checkout: place", ("/orders", "/cart/placed/"))

    @task(5)
    def pay(self) -> None:
        orders = _unpaid[self.username]
        if not orders:
            return
        order_id, due = orders.pop()
        self.page(f"/payments/orders/{order_id}", "pay: order's payment page", must_contain="csrf_token")
        form = {
            "method": "bank_transfer",
            "payer_account": "6222000011112222",
            "reference": f"LOAD{os.getpid()}-{next(_references):08d}",
            "amount": due,
            "paid_on": datetime.now(BEIJING).date().isoformat(),
            "csrf_token": self.csrf,
        }
        self.done(f"/payments/orders/{order_id}/pay", form, "pay: record payment", (f"/{order_id}",))


class Finance(_SignedIn):
    weight = 1
    wait_time = between(2.0, 5.0)

    def on_start(self) -> None:
        self.sign_in(next(_finance))

    @task(4)
    def report(self) -> None:
        self.page(PLAN["report"], "report: city", must_contain=PLAN["report_must_contain"])

    @task(1)
    def grades(self) -> None:
        self.page(PLAN["report_grades"], "report: grades", must_contain=PLAN["report_must_contain"])
