"""Benchmark: invoice PDFs (WeasyPrint, Chinese text) and a finance bureau's ZIP of a month of 1,000
invoices, each against a trivial WeasyPrint page rendered in the same run (the baseline).

    make bench-invoices             # or: .venv/bin/python bench/invoices.py --help

In one process on a throwaway SQLite database (rendering, not the database, is what costs here):

1. baseline: a one-line Chinese page in the same font, rendered ``--repeat`` times;
2. render: an invoice PDF made from its snapshot (``shop.invoices.render.invoice_pdf``), with 1 to 8 lines,
   ``--repeat`` times;
3. download: ``GET /invoices/<id>.pdf`` as the buyer (access check, audit entry, commit, render), ``--repeat``
   times;
4. zip: ``GET /invoices/archive.zip`` for a unit's month of ``--zip-invoices`` invoices (default 1,000) as its
   finance bureau, the streamed body read to the end; time to the first byte and in all.

One real invoice is issued through ``issue_invoice``; the month's other invoices are rows inserted with copies
of its snapshot (numbers, codes and lines varied), without issuing each one first. Issuing keeps each PDF
(``invoice_pdf``), so the ZIP sends kept bytes: the copies keep the issued invoice's PDF (the same size as
theirs would be). ``--zip-remade`` seeds them without kept PDFs, as documents issued before migration 0010
were, so the ZIP makes 1,000 distinct documents from their snapshots (the behaviour before PDFs were kept).
Writes bench/results/invoices-<time>.json and prints a table.
"""

import argparse
import copy
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Bench-pass-2026"
TODAY = date(2026, 11, 20)
#: The baseline: one line of Chinese in the same font (so the font is loaded and subset as for an invoice).
TRIVIAL = (
    '<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\'">'
    "发票 壹仟贰佰叁拾肆元伍角整</body></html>"
)


def timed(function, repeat: int) -> list[float]:
    """Milliseconds of each of ``repeat`` calls (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> dict:
    return {
        "n": len(times),
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
    }


def seed(app, invoices: int, remade: bool = False):
    """A unit, its purchaser and finance bureau, a supplier, one issued invoice and ``invoices`` - 1 copies.
    Returns (buyer, finance user, unit id, the issued invoice's id)."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from accounts.models import (
        BudgetUnit,
        Region,
        RegionLevel,
        Role,
        Supplier,
        SupplierKind,
        SupplierStatus,
        User,
    )
    from accounts.validators import credit_code_check_char
    from shop.catalogue.models import Category, Product, ProductStatus
    from shop.common import utcnow
    from shop.extensions import db
    from shop.invoices.models import Invoice, InvoicePdf
    from shop.invoices.services import format_number, issue_invoice, new_verify_code, verify_url
    from shop.money import capital_yuan
    from shop.orders.models import Order, OrderLine, OrderStatus
    from shop.payments.services import record_payment

    def credit_code(body: str) -> str:
        return body + credit_code_check_char(body)

    password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    city = Region(code="141100", name="吕梁市", level=RegionLevel.city)
    county = Region(code="141123", name="兴县", level=RegionLevel.county, parent=city, is_poverty_county=True)
    unit = BudgetUnit(
        code="B0001", name="吕梁市第一中学", credit_code=credit_code("12141100000000001"), region=city
    )
    supplier = Supplier(
        name="兴县农民专业合作社联合社",
        kind=SupplierKind.coop,
        credit_code=credit_code("93141123000000001"),
        region=county,
        contact_name="张三",
        contact_phone="13800138000",
        bank_name="中国农业银行兴县支行",
        bank_account="6228480000000000000",
        status=SupplierStatus.admitted,
    )
    common = {"password_hash": password, "activated_at": utcnow(), "must_change_password": False}
    seller = User(username="seller", name="开票员", role=Role.supplier, supplier=supplier, **common)
    buyer = User(username="buyer", name="采购员", role=Role.purchaser, unit=unit, **common)
    finance = User(username="finance", name="财政局", role=Role.finance, region=city, **common)
    category = Category(name="粮油")
    names = ["岢岚小米", "临县红枣", "兴县核桃", "岚县马铃薯", "胡麻油", "土鸡蛋", "老陈醋", "沙棘汁"]
    products = [
        Product(
            supplier=supplier,
            category=category,
            name=name,
            spec="5kg/袋",
            unit="袋",
            price="12.50",
            stock=100000,
            origin_region=county,
            status=ProductStatus.listed,
            listed_at=utcnow(),
        )
        for name in names
    ]
    db.session.add_all([seller, buyer, finance, *products])
    db.session.flush()
    lines = [
        OrderLine(
            product=product,
            product_name=product.name,
            spec=product.spec,
            unit=product.unit,
            unit_price="12.50",
            quantity=index + 1,
            amount=f"{12.5 * (index + 1):.2f}",
        )
        for index, product in enumerate(products[:4])
    ]
    order = Order(
        number="DD20261101000001",
        unit_id=unit.id,
        purchaser=buyer,
        supplier_id=supplier.id,
        status=OrderStatus.received,
        total="125.00",
        delivery_address="吕梁市离石区滨河北路1号",
        delivery_contact="王师傅",
        delivery_phone="13800138000",
        checkout_token="bench-0",
        placed_at=datetime(2026, 11, 1),
        lines=lines,
    )
    db.session.add(order)
    db.session.flush()
    record_payment(
        order,
        buyer,
        method="bank_transfer",
        payer_account="6222000011112222",
        reference="BENCH000000",
        amount="125.00",
        paid_on=date(2026, 11, 2),
        today=TODAY,
    )
    issued = issue_invoice(order, seller, TODAY)
    db.session.commit()

    # The month's other invoices: one order each (an invoice per order), the snapshot varied.
    template = issued.snapshot
    rows = []
    for serial in range(2, invoices + 1):
        code = new_verify_code()
        snapshot = copy.deepcopy(template)
        count = serial % 8 + 1
        snapshot["lines"] = [
            {
                "name": names[index],
                "spec": "5kg/袋",
                "unit": "袋",
                "quantity": serial % 5 + 1,
                "unit_price": "12.50",
                "amount": f"{12.5 * (serial % 5 + 1):.2f}",
            }
            for index in range(count)
        ]
        total = f"{12.5 * (serial % 5 + 1) * count:.2f}"
        snapshot.update(
            number=format_number(issued.kind, 2026, serial),
            verify_code=code,
            verify_url=verify_url(code),
            total=total,
            total_capitals=capital_yuan(total),
        )
        snapshot["order"]["number"] = f"DD2026110{serial:08d}"
        rows.append((serial, code, snapshot, total))
    order_ids = (
        db.session.execute(
            insert(Order).returning(Order.id),
            [
                {
                    "number": snapshot["order"]["number"],
                    "unit_id": unit.id,
                    "purchaser_id": buyer.id,
                    "supplier_id": supplier.id,
                    "status": OrderStatus.received,
                    "payment_status": "paid",
                    "total": total,
                    "delivery_address": "吕梁市离石区滨河北路1号",
                    "delivery_contact": "王师傅",
                    "delivery_phone": "13800138000",
                    "checkout_token": f"bench-{serial}",
                    "placed_at": datetime(2026, 11, 1),
                }
                for serial, _code, snapshot, total in rows
            ],
        )
        .scalars()
        .all()
    )
    invoice_ids = db.session.scalars(
        insert(Invoice).returning(Invoice.id),
        [
            {
                "supplier_id": supplier.id,
                "unit_id": unit.id,
                "order_id": order_id,
                "kind": issued.kind,
                "year": 2026,
                "serial": serial,
                "number": snapshot["number"],
                "total": total,
                "snapshot": snapshot,
                "pdf_sha256": "0" * 64,  # not rendered at seeding
                "verify_code": code,
                "issued_on": TODAY,
                "issued_at": utcnow(),
                "issued_by_id": seller.id,
            }
            for order_id, (serial, code, snapshot, total) in zip(order_ids, rows, strict=True)
        ],
    ).all()
    if not remade:
        pdf = db.session.get(InvoicePdf, issued.id).pdf
        db.session.execute(insert(InvoicePdf), [{"invoice_id": id_, "pdf": pdf} for id_ in invoice_ids])
    db.session.commit()
    return buyer.username, finance.username, unit.id, issued.id


def run(args) -> dict:
    from flask_migrate import upgrade
    from weasyprint import HTML

    from shop.app import create_app
    from shop.extensions import db
    from shop.invoices import render
    from shop.invoices.models import Invoice

    folder = tempfile.mkdtemp(prefix="bench-invoices-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
            "SECRET_KEY": "bench-secret",
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "localhost",
            "INVOICE_ARCHIVE_LIMIT": max(args.zip_invoices, 5000),
        }
    )
    results = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "machine": _machine()}
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        buyer, finance, unit_id, invoice_id = seed(app, args.zip_invoices, remade=args.zip_remade)
        results["seed_s"] = round(time.perf_counter() - started, 1)
        snapshot = db.session.get(Invoice, invoice_id).snapshot

        trivial = summary(timed(lambda: HTML(string=TRIVIAL).write_pdf(), args.repeat))
        rendered = summary(timed(lambda: render.invoice_pdf(snapshot), args.repeat))
        pdf = render.invoice_pdf(snapshot)

    # Requests outside the context above: each gets an app context (and a ``g``) of its own, as in production.
    client = app.test_client()
    client.post("/login", data={"username": buyer, "password": PASSWORD})
    download = summary(timed(lambda: _get(client, f"/invoices/{invoice_id}.pdf"), args.repeat))

    client = app.test_client()
    client.post("/login", data={"username": finance, "password": PASSWORD})
    start = time.perf_counter()
    response = client.get(f"/invoices/archive.zip?month=2026-11&unit={unit_id}", buffered=False)
    assert response.status_code == 200, response.status_code
    body = io.BytesIO()
    first_byte = None
    for chunk in response.response:
        if first_byte is None and chunk:
            first_byte = (time.perf_counter() - start) * 1000
        body.write(chunk)
    response.close()
    total_ms = (time.perf_counter() - start) * 1000
    archive = zipfile.ZipFile(body)
    documents = len(archive.namelist()) - 1  # less index.csv
    assert documents == args.zip_invoices, documents

    results["scenarios"] = {
        "trivial": trivial,
        "invoice_render": {
            **rendered,
            "pdf_bytes": len(pdf),
            "ratio": round(rendered["median_ms"] / trivial["median_ms"], 1),
        },
        "invoice_download": {**download, "ratio": round(download["median_ms"] / trivial["median_ms"], 1)},
        "month_zip": {
            "invoices": documents,
            "pdfs": "made from snapshots" if args.zip_remade else "kept at issue",
            "first_byte_ms": round(first_byte, 1),
            "total_s": round(total_ms / 1000, 1),
            "per_invoice_ms": round(total_ms / documents, 1),
            "zip_mb": round(body.getbuffer().nbytes / 2**20, 1),
            "ratio": round(total_ms / documents / trivial["median_ms"], 1),
        },
    }
    return results


def _get(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    response.get_data()


def _machine() -> dict:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "weasyprint": __import__("weasyprint").__version__,
    }


def report(results: dict) -> str:
    rows = [f"{'scenario':18} {'median ms':>10} {'× trivial':>10}  notes"]
    scenarios = results["scenarios"]
    for name in ("trivial", "invoice_render", "invoice_download"):
        figures = scenarios[name]
        notes = f"{figures['pdf_bytes'] // 1024} KiB" if "pdf_bytes" in figures else ""
        rows.append(f"{name:18} {figures['median_ms']:>10} {figures.get('ratio', 1.0):>10}  {notes}")
    zip_figures = scenarios["month_zip"]
    rows.append(
        f"{'month_zip':18} {zip_figures['per_invoice_ms']:>10} {zip_figures['ratio']:>10}  "
        f"{zip_figures['invoices']} invoices in {zip_figures['total_s']} s, first byte after "
        f"{zip_figures['first_byte_ms']} ms, {zip_figures['zip_mb']} MiB, PDFs {zip_figures['pdfs']}"
    )
    rows.append(f"load average at the end: {results['machine']['load_average']}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="renders per scenario (default 30)")
    parser.add_argument("--zip-invoices", type=int, default=1000, help="invoices in the month's ZIP")
    parser.add_argument(
        "--zip-remade",
        action="store_true",
        help="the documents have no kept PDF and are made from their snapshots (as before migration 0010)",
    )
    args = parser.parse_args()
    results = run(args)
    results["machine"] = _machine()
    out = ROOT / "bench" / "results" / f"invoices-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(report(results))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
