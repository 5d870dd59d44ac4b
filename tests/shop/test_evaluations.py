"""Performance evaluations (履约评价): after receipt, once per order, scores 1–5; suppliers' averages."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from accounts.models import Role
from shop.aftersales.models import Evaluation
from shop.aftersales.ratings import supplier_ratings
from shop.aftersales.services import AftersalesError, evaluate
from shop.extensions import db
from shop.orders.models import OrderEvent, OrderStatus

S = OrderStatus


@pytest.fixture
def seller(users):
    return users[Role.supplier]


@pytest.fixture
def buyer(users):
    return users[Role.purchaser]


@pytest.fixture
def order_in(make_order, make_product, seller):
    product = make_product(supplier=seller.supplier)

    def make(status=S.received):
        return make_order({product: 2}, status=status)

    return make


@pytest.mark.parametrize("status", [S.received, S.closed])
def test_a_received_or_closed_order_is_evaluated(order_in, buyer, seller, status):
    order = order_in(status)
    evaluation = evaluate(buyer, order, 5, "4", 3, "  新鲜，送货及时 ")
    assert (evaluation.quality, evaluation.delivery, evaluation.service) == (5, 4, 3)
    assert (evaluation.supplier_id, evaluation.author_id, evaluation.comment) == (
        seller.supplier_id,
        buyer.id,
        "新鲜，送货及时",
    )
    event = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)).one()
    assert (event.kind, event.to_status) == ("evaluation", "evaluated")


@pytest.mark.parametrize("status", [S.placed, S.shipped, S.cancelled])
def test_evaluation_only_after_receipt(order_in, buyer, status):
    with pytest.raises(AftersalesError):
        evaluate(buyer, order_in(status), 5, 5, 5)
    assert db.session.scalars(select(Evaluation)).all() == []


def test_an_order_is_evaluated_once(order_in, buyer, users):
    order = order_in()
    evaluate(buyer, order, 5, 5, 5)
    with pytest.raises(AftersalesError):
        evaluate(users[Role.unit_manager], order, 1, 1, 1)
    assert [e.quality for e in db.session.scalars(select(Evaluation))] == [5]


@pytest.mark.parametrize("bad", [0, 6, "4.5", "", None, True, "five", -1])
def test_scores_are_whole_numbers_from_1_to_5_only(order_in, buyer, bad):
    order = order_in()
    with pytest.raises(AftersalesError) as refused:
        evaluate(buyer, order, 4, bad, 4)
    assert refused.value.field == "delivery"
    assert db.session.scalars(select(Evaluation)).all() == []


def test_only_the_buying_unit_evaluates(order_in, seller, make_user, make_unit):
    order = order_in()
    for actor in (seller, make_user(Role.purchaser, unit=make_unit())):
        with pytest.raises(AftersalesError):
            evaluate(actor, order, 5, 5, 5)


def test_supplier_averages_are_computed_per_supplier(order_in, buyer, seller, make_product, make_order):
    evaluate(buyer, order_in(), 5, 4, 3)
    evaluate(buyer, order_in(), 4, 4, 4)
    evaluate(buyer, order_in(), 4, 5, 3)
    other = make_order({make_product(): 1}, status=S.received)
    evaluate(buyer, other, 1, 1, 1)

    ratings = supplier_ratings([seller.supplier_id, other.supplier_id, 999999])
    mine = ratings[seller.supplier_id]
    assert (mine.count, mine.quality, mine.delivery, mine.service) == (
        3,
        Decimal("4.3"),
        Decimal("4.3"),
        Decimal("3.3"),
    )
    assert ratings[other.supplier_id].quality == Decimal("1.0")
    assert 999999 not in ratings
    assert supplier_ratings([]) == {}


# --- the pages ---------------------------------------------------------------------------------------------


def test_the_evaluation_form_records_once(client, login_as, order_in, buyer):
    order = order_in()
    login_as(buyer)
    assert client.get(f"/aftersales/orders/{order.id}/evaluate").status_code == 200
    data = {"quality": "5", "delivery": "4", "service": "5", "comment": "好"}
    assert client.post(f"/aftersales/orders/{order.id}/evaluate", data=data).status_code == 302
    client.post(f"/aftersales/orders/{order.id}/evaluate", data={**data, "quality": "1"})
    assert [e.quality for e in db.session.scalars(select(Evaluation))] == [5]


def test_a_bad_score_on_the_form_changes_nothing(client, login_as, order_in, buyer):
    order = order_in()
    login_as(buyer)
    client.post("/lang/en")
    response = client.post(
        f"/aftersales/orders/{order.id}/evaluate", data={"quality": "9", "delivery": "4", "service": "5"}
    )
    assert response.status_code == 200
    assert "Each score is a whole number from 1 to 5." in response.get_data(as_text=True)
    assert db.session.scalars(select(Evaluation)).all() == []


def test_another_units_order_is_not_evaluated(client, login_as, order_in, make_user, make_unit):
    order = order_in()
    login_as(make_user(Role.purchaser, unit=make_unit()))
    assert client.get(f"/aftersales/orders/{order.id}/evaluate").status_code == 404
    assert client.post(f"/aftersales/orders/{order.id}/evaluate", data={"quality": "1"}).status_code == 404


def test_the_operator_lists_supplier_ratings_in_constant_queries(
    client, login_as, users, buyer, make_order, make_product, make_supplier, count_queries
):
    def rate(count):
        for _ in range(count):
            supplier = make_supplier()
            order = make_order({make_product(supplier=supplier): 1}, status=S.received)
            evaluate(buyer, order, 3, 4, 5)
        db.session.commit()

    rate(2)
    login_as(users[Role.operator])
    with count_queries() as few:
        page = client.get("/orders/supplier-ratings")
    assert page.status_code == 200
    rate(10)
    with count_queries() as many:
        page = client.get("/orders/supplier-ratings")
    assert len(many) == len(few)
    assert page.get_data(as_text=True).count('<td class="num">4.0</td>') == 12


@pytest.mark.parametrize("role", [Role.purchaser, Role.unit_manager, Role.supplier, Role.finance])
def test_other_roles_may_not_open_supplier_ratings(client, login_as, users, role):
    login_as(users[role])
    assert client.get("/orders/supplier-ratings").status_code == 403
