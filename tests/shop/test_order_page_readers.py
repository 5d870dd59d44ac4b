"""The order page for those who read an order without being a side of it: the finance bureau over the
buying unit and the operator see it without any step; a finance bureau elsewhere gets 404."""

from accounts.models import RegionLevel, Role
from shop.orders.models import OrderStatus
from tests.conftest import region


def test_finance_over_the_unit_and_the_operator_read_the_order_without_steps(
    client, users, login_as, make_product, make_order
):
    order = make_order({make_product(): 2}, status=OrderStatus.placed)
    for reader in (users[Role.finance], users[Role.operator]):
        login_as(reader)
        response = client.get(f"/orders/{order.id}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert order.number in page
        assert f"/orders/{order.id}/ship" not in page and f"/orders/{order.id}/cancel" not in page
        # …and cannot take one either.
        assert client.post(f"/orders/{order.id}/cancel", data={"reason": "x"}).status_code in (403, 404)


def test_a_finance_bureau_elsewhere_does_not_see_the_order(
    client, users, login_as, make_user, make_region, make_product, make_order
):
    order = make_order({make_product(): 1})
    elsewhere = make_region("140200", "大同市", RegionLevel.city, region("140000"))
    login_as(make_user(Role.finance, region=elsewhere))
    assert client.get(f"/orders/{order.id}").status_code == 404
