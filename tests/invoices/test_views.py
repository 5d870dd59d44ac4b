"""The pages: issuing from the order page, downloads (access-checked, audited), the public verification page,
the list of documents and a finance bureau's ZIP of a month."""

import csv
import io
import zipfile

import pytest
from sqlalchemy import func, select

from accounts.models import AuditEntry, RegionLevel, Role
from shop.extensions import db
from shop.invoices.models import Invoice, InvoiceKind
from shop.invoices.services import issue_credit_note, issue_invoice
from shop.orders.models import OrderStatus
from tests.conftest import login, region
from tests.invoices.conftest import TODAY, pdf_text


@pytest.fixture
def client_of(app):
    """``client_of(user)``: a new client signed in as ``user`` (one client per account)."""

    def make(user):
        client = app.test_client()
        assert login(client, user).status_code == 302
        return client

    return make


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


@pytest.fixture
def invoiced(paid_order, seller):
    """A paid order and its invoice, committed."""
    order = paid_order()
    invoice = issue_invoice(order, seller, TODAY)
    db.session.commit()
    return order, invoice


@pytest.fixture
def other_city(make_region, make_user, make_unit, make_supplier):
    """Accounts elsewhere: a finance bureau of another city, a purchaser of another unit, another supplier."""
    province = make_region("150000", "内蒙古自治区", RegionLevel.province)
    make_region("150100", "呼和浩特市", RegionLevel.city, province)
    return {
        "finance": make_user(Role.finance, region=region("150100")),
        "purchaser": make_user(Role.purchaser, unit=make_unit()),
        "manager": make_user(Role.unit_manager, unit=make_unit()),
        "supplier": make_user(Role.supplier, supplier=make_supplier()),
    }


# --- issuing from the order page ---------------------------------------------------------------------------


def test_the_supplier_issues_the_invoice_from_the_order_page(paid_order, seller, login_as):
    order = paid_order()
    client = login_as(seller)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"/invoices/orders/{order.id}/issue" in page
    response = client.post(f"/invoices/orders/{order.id}/issue")
    assert response.status_code == 302
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.number == "FP2026-000001"
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"/invoices/{invoice.id}.pdf" in page
    assert f"/invoices/orders/{order.id}/issue" not in page  # once


def test_the_supplier_issues_a_credit_note_for_a_settled_refund(invoiced, seller, refund_of, login_as):
    order, invoice = invoiced
    refund = refund_of(order, "12.50")
    client = login_as(seller)
    assert f"/invoices/refunds/{refund.id}/credit" in client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert client.post(f"/invoices/refunds/{refund.id}/credit").status_code == 302
    note = db.session.scalar(select(Invoice).where(Invoice.refund_id == refund.id))
    assert (note.kind, note.invoice_id, note.number) == (InvoiceKind.credit_note, invoice.id, "HC2026-000002")


def test_an_unpaid_order_is_refused_with_a_message_and_nothing_changes(
    seller, make_product, make_order, login_as
):
    order = make_order({make_product(seller.supplier): 1}, status=OrderStatus.received)
    client = login_as(seller)
    client.post("/lang/en")
    response = client.post(f"/invoices/orders/{order.id}/issue", follow_redirects=True)
    assert "is not paid yet" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Invoice.id))) == 0
    assert audit_count("invoice.issue") == 0


def test_another_supplier_cannot_issue(paid_order, other_city, login_as):
    order = paid_order()
    assert login_as(other_city["supplier"]).post(f"/invoices/orders/{order.id}/issue").status_code == 404
    assert db.session.scalar(select(func.count(Invoice.id))) == 0


# --- downloads ---------------------------------------------------------------------------------------------


def test_both_sides_finance_and_the_operator_download_the_invoice(invoiced, users, app):
    order, invoice = invoiced
    for role in Role:
        client = app.test_client()
        login(client, users[role])
        response = client.get(f"/invoices/{invoice.id}.pdf")
        assert response.status_code == 200, role
        assert response.mimetype == "application/pdf"
        assert "attachment" in response.headers["Content-Disposition"]
        assert "陆佰陆拾柒元贰角肆分" in "".join(pdf_text(response.data).split())
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "invoice.download")).all()
    assert sorted(entry.actor_id for entry in entries) == sorted(user.id for user in users.values())
    assert {entry.object_id for entry in entries} == {invoice.id}


@pytest.mark.parametrize("who", ["finance", "purchaser", "manager", "supplier"])
def test_others_cannot_download_it(invoiced, other_city, login_as, who):
    _order, invoice = invoiced
    client = login_as(other_city[who])
    assert client.get(f"/invoices/{invoice.id}.pdf").status_code == 404
    assert audit_count("invoice.download") == 0


def test_the_delivery_note_and_acceptance_certificate_downloads(invoiced, users, client_of, other_city):
    order, _invoice = invoiced
    client = client_of(users[Role.purchaser])
    for path in ("delivery-note", "acceptance"):
        response = client.get(f"/invoices/orders/{order.id}/{path}.pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert audit_count("order.delivery_note") == audit_count("order.acceptance") == 1
    for user in (other_city["supplier"], other_city["purchaser"], users[Role.finance]):
        assert client_of(user).get(f"/invoices/orders/{order.id}/delivery-note.pdf").status_code in (403, 404)


def test_no_acceptance_certificate_before_the_goods_are_accepted(seller, make_product, make_order, login_as):
    order = make_order({make_product(seller.supplier): 1}, status=OrderStatus.shipped)
    response = login_as(seller).get(f"/invoices/orders/{order.id}/acceptance.pdf")
    assert response.status_code == 302
    assert audit_count("order.acceptance") == 0


# --- verification ------------------------------------------------------------------------------------------


def test_the_verify_page_shows_the_document_and_only_the_buyers_name(invoiced, client):
    order, invoice = invoiced
    client.post("/lang/en")
    response = client.get(f"/verify/{invoice.verify_code.lower()}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for shown in (invoice.number, "2026-11-20", order.supplier.name, order.unit.name, "¥667.24"):
        assert shown in page, shown
    for hidden in (
        order.unit.credit_code,
        order.number,
        order.delivery_address,
        order.delivery_phone,
        order.delivery_contact,
        order.purchaser.name,
        "岢岚小米",
        "吕梁市",  # the buyer's region
    ):
        assert hidden not in page.replace(order.unit.name, ""), hidden


def test_an_unknown_code_is_not_found(client):
    assert client.get("/verify/ABCDEFGHJK12").status_code == 404
    assert client.get("/verify/not-a-code").status_code == 404
    assert client.get("/verify?code=abcd efgh jk12").headers["Location"].endswith("/verify/ABCDEFGHJK12")


# --- the list and the month's ZIP --------------------------------------------------------------------------


def test_the_list_shows_each_side_its_documents(invoiced, users, other_city, client_of):
    _order, invoice = invoiced
    for user in (users[Role.unit_manager], users[Role.supplier], users[Role.finance], users[Role.operator]):
        assert invoice.number in client_of(user).get("/invoices/").get_data(as_text=True)
    for user in other_city.values():
        assert invoice.number not in client_of(user).get("/invoices/").get_data(as_text=True)


def test_the_list_costs_the_same_queries_whatever_its_length(
    users, paid_order, seller, login_as, count_queries
):
    client = login_as(users[Role.finance])

    def queries_for_page() -> int:
        with count_queries() as queries:
            assert client.get("/invoices/?month=2026-11").status_code == 200
        return len(queries)

    for _ in range(2):
        issue_invoice(paid_order(), seller, TODAY)
    db.session.commit()
    few = queries_for_page()
    for _ in range(13):
        issue_invoice(paid_order(), seller, TODAY)
    db.session.commit()
    assert queries_for_page() == few


def test_finance_downloads_a_months_zip_for_a_unit_and_for_a_county(
    invoiced, seller, refund_of, users, make_unit, make_user, paid_order, login_as
):
    order, invoice = invoiced
    note = issue_credit_note(refund_of(order), seller, TODAY)
    county_buyer = make_user(Role.purchaser, unit=make_unit(region_code="141123"))
    elsewhere = issue_invoice(paid_order(purchaser=county_buyer), seller, TODAY)
    db.session.commit()
    client = login_as(users[Role.finance])

    response = client.get(f"/invoices/archive.zip?month=2026-11&unit={order.unit_id}")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == sorted([invoice.filename, note.filename, "index.csv"])
    assert "红字发票" in pdf_text(archive.read(note.filename))
    rows = list(csv.reader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [invoice.number, note.number]
    assert rows[1][-1] == invoice.pdf_sha256

    county = region("141123")
    response = client.get(f"/invoices/archive.zip?month=2026-11&county={county.id}")
    assert zipfile.ZipFile(io.BytesIO(response.data)).namelist() == [elsewhere.filename, "index.csv"]
    # another month holds nothing (an index alone)
    response = client.get(f"/invoices/archive.zip?month=2026-10&county={county.id}")
    assert zipfile.ZipFile(io.BytesIO(response.data)).namelist() == ["index.csv"]

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "invoice.archive")).all()
    assert [(entry.object_type, entry.details["documents"]) for entry in entries] == [
        ("budget_unit", 2),
        ("region", 1),
        ("region", 0),
    ]


def test_the_zip_is_refused_outside_the_finance_bureaus_region(invoiced, other_city, login_as):
    order, _invoice = invoiced
    client = login_as(other_city["finance"])
    assert client.get(f"/invoices/archive.zip?month=2026-11&unit={order.unit_id}").status_code == 404
    assert client.get(f"/invoices/archive.zip?month=2026-11&county={region('141123').id}").status_code == 404
    assert audit_count("invoice.archive") == 0


def test_the_zip_needs_a_month_and_a_unit_or_county(users, login_as):
    client = login_as(users[Role.finance])
    client.post("/lang/en")
    response = client.get("/invoices/archive.zip?month=2026-11", follow_redirects=True)
    assert "Choose a month (YYYY-MM) and either a budget unit or a county." in response.get_data(as_text=True)
    response = client.get(f"/invoices/archive.zip?month=2026-11&county={region('141100').id}")
    assert response.status_code == 302  # a city, not a county
    assert audit_count("invoice.archive") == 0
