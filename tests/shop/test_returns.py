"""Returns: the buyer asks after receipt, the supplier accepts (a pending refund) or refuses with a reason."""

import os
from decimal import Decimal
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from accounts.models import AuditEntry, Notice, Role
from shop.aftersales.models import Refund, RefundStatus, ReturnPhoto, ReturnRequest, ReturnStatus
from shop.aftersales.services import (
    AftersalesError,
    accept_return,
    refuse_return,
    request_return,
    returnable_quantities,
)
from shop.extensions import db
from shop.orders.models import OrderEvent, OrderLine, OrderStatus

S = OrderStatus


@pytest.fixture
def seller(users):
    return users[Role.supplier]


@pytest.fixture
def buyer(users):
    return users[Role.purchaser]


@pytest.fixture
def received(make_order, make_product, seller):
    """A received order of two lines: 4 × ¥12.50 and 10 × ¥3.35."""
    rice = make_product(supplier=seller.supplier, name="大米", price="12.50")
    millet = make_product(supplier=seller.supplier, name="小米", price="3.35")
    return make_order({rice: 4, millet: 10}, status=S.received)


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


def png(size=(8, 8)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def lines_of(order):
    return order.lines[0], order.lines[1]


# --- asking ------------------------------------------------------------------------------------------------


def test_a_buyer_asks_to_return_some_lines_and_the_supplier_is_told(received, buyer, seller):
    rice, millet = lines_of(received)
    asked = request_return(buyer, received, {rice.id: 2, millet.id: ""}, "包装破损", [("a.png", png())])
    assert asked.status == ReturnStatus.requested
    assert [(line.order_line_id, line.quantity) for line in asked.lines] == [(rice.id, 2)]
    assert len(asked.photos) == 1 and asked.photos[0].content_type == "image/png"
    event = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == received.id)).one()
    assert (event.kind, event.to_status, event.actor_id) == ("return", "requested", buyer.id)
    notice = db.session.scalars(select(Notice).where(Notice.user_id == seller.id)).one()
    assert notice.params["number"] == received.number
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.action == "return.request")).one()


def test_a_return_quantity_above_what_is_returnable_is_refused(received, buyer, seller):
    rice, _ = lines_of(received)
    with pytest.raises(AftersalesError) as refused:
        request_return(buyer, received, {rice.id: 5}, "坏了")
    assert refused.value.field == f"line-{rice.id}"

    # Asked in an open request counts, and so does what was returned already.
    request_return(buyer, received, {rice.id: 3}, "坏了")
    with pytest.raises(AftersalesError):
        request_return(buyer, received, {rice.id: 2}, "又坏了")
    assert returnable_quantities(received)[rice.id] == 1
    assert db.session.scalars(select(ReturnRequest)).all().__len__() == 1


@pytest.mark.parametrize("quantity", ["-1", "1.5", "两", -2, True])
def test_a_return_quantity_must_be_a_whole_number(received, buyer, quantity):
    rice, _ = lines_of(received)
    with pytest.raises(AftersalesError):
        request_return(buyer, received, {rice.id: quantity}, "坏了")


def test_a_return_needs_a_line_and_a_reason(received, buyer):
    rice, millet = lines_of(received)
    with pytest.raises(AftersalesError):
        request_return(buyer, received, {rice.id: 0, millet.id: ""}, "坏了")
    with pytest.raises(AftersalesError) as refused:
        request_return(buyer, received, {rice.id: 1}, "  ")
    assert refused.value.field == "reason"
    assert db.session.scalars(select(ReturnRequest)).all() == []


@pytest.mark.parametrize("status", [S.placed, S.shipped, S.cancelled, S.closed])
def test_a_return_is_asked_only_after_receipt_and_before_closing(
    make_order, make_product, seller, buyer, status
):
    order = make_order({make_product(supplier=seller.supplier): 2}, status=status)
    with pytest.raises(AftersalesError):
        request_return(buyer, order, {order.lines[0].id: 1}, "坏了")


def test_only_the_buying_unit_asks_for_a_return(received, seller, make_user, make_unit):
    rice, _ = lines_of(received)
    for actor in (seller, make_user(Role.purchaser, unit=make_unit())):
        with pytest.raises(AftersalesError):
            request_return(actor, received, {rice.id: 1}, "坏了")


def test_photos_are_checked_by_content_and_at_most_three(received, buyer, upload_folder):
    rice, _ = lines_of(received)
    with pytest.raises(AftersalesError) as refused:
        request_return(buyer, received, {rice.id: 1}, "坏了", [("photo.png", b"<?php echo 1; ?>")])
    assert refused.value.field == "photos"
    with pytest.raises(AftersalesError):
        request_return(buyer, received, {rice.id: 1}, "坏了", [(f"{i}.png", png()) for i in range(4)])
    assert os.listdir(upload_folder) == [] or os.listdir(upload_folder / "returns") == []


# --- answering ---------------------------------------------------------------------------------------------


def test_accept_creates_a_pending_refund_of_the_right_amount_and_bumps_returned_quantity(
    received, buyer, seller
):
    rice, millet = lines_of(received)
    asked = request_return(buyer, received, {rice.id: 1, millet.id: 3}, "霉变")
    refund = accept_return(seller, asked)

    assert refund.amount == Decimal("22.55")  # 12.50 + 3 × 3.35
    assert isinstance(refund.amount, Decimal)
    assert (refund.status, refund.reason, refund.return_request_id) == (
        RefundStatus.pending,
        "霉变",
        asked.id,
    )
    db.session.expire_all()
    assert [
        line.returned_quantity for line in db.session.scalars(select(OrderLine).order_by(OrderLine.id))
    ] == [1, 3]
    assert db.session.get(ReturnRequest, asked.id).status == ReturnStatus.accepted
    notice = db.session.scalars(select(Notice).where(Notice.user_id == buyer.id)).one()
    assert notice.params["amount"] == "¥22.55"
    kinds = db.session.execute(
        select(OrderEvent.from_status, OrderEvent.to_status).where(OrderEvent.order_id == received.id)
    ).all()
    assert kinds == [(None, "requested"), ("requested", "accepted")]


def test_a_return_is_answered_once(received, buyer, seller):
    rice, _ = lines_of(received)
    asked = request_return(buyer, received, {rice.id: 1}, "霉变")
    accept_return(seller, asked)
    with pytest.raises(AftersalesError):
        accept_return(seller, asked)
    with pytest.raises(AftersalesError):
        refuse_return(seller, asked, "不行")
    assert len(db.session.scalars(select(Refund)).all()) == 1


def test_refuse_needs_a_reason_and_tells_the_purchaser(received, buyer, seller):
    rice, _ = lines_of(received)
    asked = request_return(buyer, received, {rice.id: 1}, "霉变")
    with pytest.raises(AftersalesError) as refused:
        refuse_return(seller, asked, " ")
    assert refused.value.field == "response"
    assert asked.status == ReturnStatus.requested

    refuse_return(seller, asked, "已超过退货期限")
    assert (asked.status, asked.response) == (ReturnStatus.refused, "已超过退货期限")
    assert db.session.scalars(select(Refund)).all() == []
    assert rice.returned_quantity == 0
    notice = db.session.scalars(select(Notice).where(Notice.user_id == buyer.id)).one()
    assert notice.params["reason"] == "已超过退货期限"
    # A refused request no longer holds its quantity back.
    assert returnable_quantities(received)[rice.id] == 4


def test_only_the_orders_supplier_answers(received, buyer, make_user, make_supplier):
    rice, _ = lines_of(received)
    asked = request_return(buyer, received, {rice.id: 1}, "霉变")
    for actor in (buyer, make_user(Role.supplier, supplier=make_supplier())):
        with pytest.raises(AftersalesError):
            accept_return(actor, asked)
    assert asked.status == ReturnStatus.requested


# --- the pages ---------------------------------------------------------------------------------------------


def test_the_return_form_asks_and_the_supplier_accepts_on_its_page(client, login_as, received, buyer, seller):
    rice, millet = lines_of(received)
    login_as(buyer)
    assert client.get(f"/aftersales/orders/{received.id}/return").status_code == 200
    response = client.post(
        f"/aftersales/orders/{received.id}/return",
        data={
            f"line-{rice.id}": "2",
            f"line-{millet.id}": "",
            "reason": "破损",
            "photos": [(BytesIO(png()), "p.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    asked = db.session.scalars(select(ReturnRequest)).one()
    photo = db.session.scalars(select(ReturnPhoto)).one()
    shown = client.get(f"/aftersales/photos/{photo.id}")
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert client.post(f"/aftersales/returns/{asked.id}/accept").status_code == 403

    client.post("/logout")
    login_as(seller)
    assert "/aftersales/returns/" in client.get("/").get_data(as_text=True)  # "Returns to answer"
    assert client.get(f"/aftersales/returns/{asked.id}").status_code == 200
    assert client.post(f"/aftersales/returns/{asked.id}/accept").status_code == 302
    assert db.session.scalars(select(Refund)).one().amount == Decimal("25.00")


def test_a_refused_return_form_keeps_nothing(client, login_as, received, buyer):
    rice, _ = lines_of(received)
    login_as(buyer)
    client.post("/lang/en")
    response = client.post(
        f"/aftersales/orders/{received.id}/return", data={f"line-{rice.id}": "9", "reason": "x"}
    )
    assert response.status_code == 200
    assert "can still be returned" in response.get_data(as_text=True)
    assert db.session.scalars(select(ReturnRequest)).all() == []


def test_returns_and_their_photos_are_hidden_from_others(
    client, login_as, received, buyer, make_user, make_unit, make_supplier
):
    rice, _ = lines_of(received)
    asked = request_return(buyer, received, {rice.id: 1}, "坏了", [("a.png", png())])
    db.session.commit()
    login_as(make_user(Role.purchaser, unit=make_unit()))
    assert client.get(f"/aftersales/returns/{asked.id}").status_code == 404
    assert client.get(f"/aftersales/photos/{asked.photos[0].id}").status_code == 404
    assert client.get(f"/aftersales/orders/{received.id}/return").status_code == 404
    client.post("/logout")
    login_as(make_user(Role.supplier, supplier=make_supplier()))
    assert client.post(f"/aftersales/returns/{asked.id}/refuse", data={"response": "不"}).status_code == 404
    assert asked.status == ReturnStatus.requested


@pytest.mark.parametrize("role", [Role.finance, Role.operator])
def test_other_roles_may_not_open_returns(client, login_as, users, role):
    login_as(users[role])
    assert client.get("/aftersales/").status_code == 403
