"""The payment pages: the order page's payment block and forms, recording through the form (a double submit
records once), the supplier's flag and refund forms, who sees what, and the flagged-payments list."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from shop.common import beijing_today
from shop.extensions import db
from shop.orders.models import PaymentStatus
from shop.payments.models import LedgerEntry, Payment, UnitYearPurchase
from shop.payments.services import flag_payment

FORM = {
    "method": "bank_transfer",
    "payer_account": "6222 0000 1111 2222",
    "reference": "DG20261101",
    "amount": "50.00",
}


def form(**changes) -> dict:
    return {**FORM, "paid_on": beijing_today().isoformat(), **changes}


def payments() -> int:
    return db.session.scalar(select(func.count(Payment.id)))


@pytest.fixture
def received(order_in, now):
    return order_in(placed_at=now - timedelta(days=3), received_at=now - timedelta(days=1))


def test_the_order_page_offers_the_prefilled_payment_form(client, login_as, buyer, received):
    login_as(buyer)
    client.post("/lang/en")
    page = client.get(f"/orders/{received.id}").get_data(as_text=True)
    assert f'action="/payments/orders/{received.id}/pay"' in page
    assert 'value="50.00"' in page  # the amount due
    assert f'value="{beijing_today().isoformat()}"' in page  # today, in Beijing
    assert "Record the payment" in page


def test_recording_through_the_form_and_submitting_twice_records_once(
    client, login_as, buyer, seller, received
):
    login_as(buyer)
    first = client.post(f"/payments/orders/{received.id}/pay", data=form())
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/orders/{received.id}#payment")
    again = client.post(f"/payments/orders/{received.id}/pay", data=form())
    assert again.status_code == 302
    assert payments() == 1
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 1
    assert db.session.get(UnitYearPurchase, (buyer.unit_id, beijing_today().year)).amount == Decimal("50.00")
    db.session.refresh(received)
    assert received.payment_status == PaymentStatus.paid


def test_the_payment_shows_on_the_order_page_with_the_account_masked(
    client, login_as, buyer, seller, received
):
    login_as(buyer)
    client.post(f"/payments/orders/{received.id}/pay", data=form())
    for user in (buyer, seller):
        client.post("/logout")
        login_as(user)
        client.post("/lang/en")
        page = client.get(f"/orders/{received.id}").get_data(as_text=True)
        assert "DG20261101" in page and "Bank transfer" in page and buyer.name in page
        assert "6222 **** 2222" in page and "6222000011112222" not in page
        assert "Record the payment" not in page


def test_a_refused_payment_shows_the_form_again_with_the_error(client, login_as, buyer, received):
    login_as(buyer)
    client.post("/lang/en")
    response = client.post(f"/payments/orders/{received.id}/pay", data=form(amount="49.00"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The amount paid must equal the amount due, ¥50.00." in page
    assert 'value="49.00"' in page  # what was typed is kept
    assert payments() == 0


def test_a_reference_used_on_another_order_is_refused_through_the_form(client, login_as, buyer, order_in):
    first, second = order_in(), order_in()
    login_as(buyer)
    client.post(f"/payments/orders/{first.id}/pay", data=form())
    response = client.post(f"/payments/orders/{second.id}/pay", data=form())
    assert response.status_code == 400
    assert payments() == 1


def test_another_units_order_answers_404(client, login_as, make_user, make_unit, received):
    login_as(make_user(Role.purchaser, unit=make_unit("别的单位")))
    assert client.post(f"/payments/orders/{received.id}/pay", data=form()).status_code == 404
    assert client.get(f"/payments/orders/{received.id}").status_code == 404
    assert payments() == 0


def test_the_supplier_flags_and_withdraws_through_the_order_page(
    client, login_as, seller, buyer, received, pay
):
    pay(received)
    login_as(seller)
    client.post("/lang/en")
    page = client.get(f"/orders/{received.id}").get_data(as_text=True)
    assert f'action="/payments/orders/{received.id}/flag"' in page
    assert client.post(f"/payments/orders/{received.id}/flag", data={"note": ""}).status_code == 400
    assert client.post(f"/payments/orders/{received.id}/flag", data={"note": "没收到"}).status_code == 302
    page = client.get(f"/orders/{received.id}").get_data(as_text=True)
    assert "The supplier says it has not received this payment" in page and "没收到" in page
    assert f'action="/payments/orders/{received.id}/unflag"' in page
    # The buyer sees the flag on its order page too.
    client.post("/logout")
    login_as(buyer)
    client.post("/lang/en")
    assert "没收到" in client.get(f"/orders/{received.id}").get_data(as_text=True)
    assert client.post(f"/payments/orders/{received.id}/flag", data={"note": "x"}).status_code == 403
    client.post("/logout")
    login_as(seller)
    assert client.post(f"/payments/orders/{received.id}/unflag").status_code == 302
    assert db.session.scalars(select(Payment)).one().disputed_at is None


def test_the_flag_shows_to_the_finance_bureau_and_the_operator(
    client, login_as, users, seller, received, pay
):
    payment = pay(received)
    flag_payment(payment, seller, "银行没有到账记录")
    db.session.commit()
    for role in (Role.finance, Role.operator, Role.purchaser, Role.unit_manager, Role.supplier):
        client.post("/logout")
        login_as(users[role])
        page = client.get("/payments/flagged").get_data(as_text=True)
        assert received.number in page and "银行没有到账记录" in page, role
        assert "/payments/flagged" in client.get("/").get_data(as_text=True), role  # the home panel
        page = client.get(f"/payments/orders/{received.id}").get_data(as_text=True)
        assert "银行没有到账记录" in page, role


def test_a_finance_bureau_elsewhere_does_not_see_the_flag(
    client, login_as, make_user, make_region, seller, received, pay
):
    flag_payment(pay(received), seller, "没收到")
    db.session.commit()
    login_as(make_user(Role.finance, region=make_region()))
    assert received.number not in client.get("/payments/flagged").get_data(as_text=True)
    assert client.get(f"/payments/orders/{received.id}").status_code == 404


def test_the_supplier_settles_a_refund_through_the_order_page(
    client, login_as, seller, buyer, received, pay, refund_of
):
    pay(received)
    refund = refund_of(received, "12.50")
    login_as(seller)
    page = client.get(f"/orders/{received.id}").get_data(as_text=True)
    assert f'action="/payments/refunds/{refund.id}/settle"' in page
    assert f'name="refund-{refund.id}-amount"' in page and 'value="12.50"' in page
    prefix = f"refund-{refund.id}-"
    data = {
        prefix + "reference": "TK0001",
        prefix + "amount": "12.50",
        prefix + "settled_on": beijing_today().isoformat(),
    }
    bad = client.post(f"/payments/refunds/{refund.id}/settle", data={**data, prefix + "amount": "20.00"})
    assert bad.status_code == 400
    assert client.post(f"/payments/refunds/{refund.id}/settle", data=data).status_code == 302
    db.session.refresh(received)
    assert received.payment_status == PaymentStatus.partially_refunded
    # Settled once: a second submit is refused.
    assert client.post(f"/payments/refunds/{refund.id}/settle", data=data).status_code == 400
    client.post("/logout")
    login_as(buyer)
    client.post("/lang/en")
    page = client.get(f"/orders/{received.id}").get_data(as_text=True)
    assert "TK0001" in page and "Refund settled" in page
    # The buyer cannot settle.
    assert client.post(f"/payments/refunds/{refund.id}/settle", data=data).status_code == 403


def test_the_orders_list_filters_and_names_payment_statuses(
    client, login_as, buyer, seller, order_in, pay, refund_of
):
    from shop.payments.services import settle_refund

    unpaid, paid, partly, refunded = order_in(), order_in(), order_in(), order_in()
    for order in (paid, partly, refunded):
        pay(order)
    today = beijing_today()
    settle_refund(
        refund_of(partly, "12.50"), seller, reference="RF-P", amount="12.50", settled_on=today, today=today
    )
    settle_refund(
        refund_of(refunded, "50.00"), seller, reference="RF-F", amount="50.00", settled_on=today, today=today
    )
    db.session.commit()
    login_as(buyer)
    client.post("/lang/en")
    expected = {
        "unpaid": (unpaid, "Unpaid"),
        "paid": (paid, "Paid"),
        "partially_refunded": (partly, "Partially refunded"),
        "refunded": (refunded, "Refunded"),
    }
    numbers = {order.number for order, _label in expected.values()}
    for value, (order, label) in expected.items():
        page = client.get(f"/orders/?payment={value}").get_data(as_text=True)
        assert order.number in page
        assert not (numbers - {order.number}) & {n for n in numbers if n in page}
        assert f'<span class="status status-{value}">{label}</span>' in page


def test_the_supplier_lists_its_refunds_to_pay_back(client, login_as, seller, received, pay, refund_of):
    pay(received)
    refund_of(received, "12.50")
    login_as(seller)
    page = client.get("/payments/refunds").get_data(as_text=True)
    assert received.number in page
    assert "/payments/refunds" in client.get("/").get_data(as_text=True)  # the home panel


def test_the_flagged_list_runs_a_constant_number_of_queries(
    client, login_as, users, seller, order_in, pay, count_queries
):
    def flagged(n):
        for _ in range(n):
            flag_payment(pay(order_in()), seller, "没收到")
        db.session.commit()

    def queries(user):
        client.post("/logout")
        login_as(user)
        with count_queries() as statements:
            assert client.get("/payments/flagged").status_code == 200
        return len(statements)

    flagged(2)
    few = {role: queries(users[role]) for role in (Role.finance, Role.purchaser, Role.supplier)}
    flagged(13)
    assert {role: queries(users[role]) for role in few} == few


def test_the_order_page_with_a_payment_runs_a_constant_number_of_queries(
    client, login_as, seller, order_in, pay, refund_of, count_queries
):
    from shop.payments.services import settle_refund

    def order_with(refunds):
        order = order_in(quantity=20)
        pay(order)
        today = beijing_today()
        for number in range(refunds):
            refund = refund_of(order, "1.00")
            settle_refund(
                refund,
                seller,
                reference=f"RF-{order.id}-{number}",
                amount="1.00",
                settled_on=today,
                today=today,
            )
        refund_of(order, "1.00")
        db.session.commit()
        return order

    small, large = order_with(1), order_with(8)
    login_as(seller)

    def queries(order):
        with count_queries() as statements:
            assert client.get(f"/orders/{order.id}").status_code == 200
        return len(statements)

    assert queries(small) == queries(large)
