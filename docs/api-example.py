"""A client of the platform's JSON API using nothing but ``requests``: search the catalogue, order, pay, and
read the unit's reserved-share completion.

    API_URL=http://127.0.0.1:5000 API_TOKEN=cg_… python docs/api-example.py [search words]

API_TOKEN is a personal token of a purchaser (or unit manager): log in on the web, open "API tokens" in
the menu, create one and copy it (it is shown once). Optional: SUPPLIER_TOKEN, a token of the supplier of
the product ordered, to ship the order too (and the purchaser then accepts the goods).

Placing and paying send an Idempotency-Key: if the connection drops, sending the same request again with
the same key is safe (the platform answers what it did the first time, and does it only once).
"""

import os
import sys
import uuid
from datetime import datetime, timedelta, timezone

import requests

BEIJING = timezone(timedelta(hours=8))


class Api:
    """The API at ``base_url`` as the owner of ``token``."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, key: str | None = None, **kwargs) -> dict:
        headers = {"Idempotency-Key": key} if key else {}
        response = self.session.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
        body = response.json()
        if response.status_code >= 400:
            # Every error is {"code": "...", "message": "...", "details": {...}}.
            raise SystemExit(
                f"{method} {path}: {response.status_code} {body['code']}: {body['message']} {body['details']}"
            )
        return body


def main() -> None:
    buyer = Api(os.environ.get("API_URL", "http://127.0.0.1:5000"), os.environ["API_TOKEN"])
    words = " ".join(sys.argv[1:])

    me = buyer.call("GET", "/me")
    print(f"Signed in as {me['username']} ({me['role']}), unit {me['unit_id']}")

    # Search: the cheapest matching products (pages follow with ?cursor=next_cursor).
    page = buyer.call("GET", "/products", params={"q": words, "sort": "price_asc", "limit": 5})
    if not page["items"] and words:
        page = buyer.call("GET", "/products", params={"sort": "price_asc", "limit": 5})
    if not page["items"]:
        raise SystemExit("No product on sale.")
    for item in page["items"]:
        supplier = item["supplier"]["name"]
        print(f"  #{item['id']} {item['name']} {item['spec']} ¥{item['price']}/{item['unit']} ({supplier})")

    # Order the first one: its minimum quantity, at the price just seen.
    product = buyer.call("GET", f"/products/{page['items'][0]['id']}")
    placed = buyer.call(
        "POST",
        "/orders",
        key=str(uuid.uuid4()),
        json={
            "lines": [
                {
                    "product_id": product["id"],
                    "quantity": product["min_order_quantity"],
                    "unit_price": product["price"],
                }
            ],
            "delivery": {"address": "吕梁市离石区滨河北路1号", "contact": "王师傅", "phone": "13800138000"},
        },
    )
    today = datetime.now(BEIJING).date()
    for order in placed["orders"]:
        print(f"Placed order {order['number']}: ¥{order['total']} from {order['supplier']['name']}")
        supplier_token = os.environ.get("SUPPLIER_TOKEN")
        if supplier_token:
            seller = Api(os.environ.get("API_URL", "http://127.0.0.1:5000"), supplier_token)
            seller.call(
                "POST",
                f"/orders/{order['id']}/ship",
                json={"carrier": "顺丰速运", "tracking_number": "SF1234567890"},
            )
            buyer.call("POST", f"/orders/{order['id']}/receive", json={"note": "货物完好，数量相符"})
            print("  shipped by the supplier and accepted")
        # Pay it in full (the money moves outside the platform; this records it).
        paid = buyer.call(
            "POST",
            f"/orders/{order['id']}/payment",
            key=str(uuid.uuid4()),
            json={
                "method": "bank_transfer",
                "payer_account": "6222020000000000000",
                "reference": "API" + uuid.uuid4().hex[:12].upper(),
                "amount": order["total"],
                "paid_on": today.isoformat(),
            },
        )
        print(f"  paid: {paid['payment_status']}, reference {paid['payment']['reference']}")

    completion = buyer.call("GET", f"/units/{me['unit_id']}/completion", params={"year": today.year})
    print(f"Reserved-share completion {today.year}:")
    for name, value in completion.items():
        if not isinstance(value, list | dict):
            print(f"  {name}: {value}")


if __name__ == "__main__":
    main()
