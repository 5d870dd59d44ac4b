"""A small world of orders for the OCDS tests: one order paid, invoiced, partly refunded with a credit note;
one unpaid; one cancelled; one placed the year before; one of a unit outside the city; a unit's reserved
share for the year. Amounts in yuan, dates in 2026."""

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest

from accounts.models import RegionLevel, Role, SupplierKind
from opendata import encoding
from opendata.schema import validator
from shop.aftersales.models import Refund
from shop.extensions import db
from shop.invoices.services import issue_credit_note, issue_invoice
from shop.orders.models import Order, OrderStatus, PaymentStatus
from shop.payments.services import settle_refund

YEAR = 2026
#: The day documents are issued and refunds settled in the world (before the machine's today).
ISSUED = date(2026, 11, 20)


@dataclass
class World:
    unit: object
    supplier: object
    paid: Order
    refund: Refund
    unpaid: Order
    cancelled: Order
    last_year: Order
    elsewhere: Order


def errors_of(package: dict) -> list[str]:
    """What the OCDS 1.1.5 release package schema finds wrong with ``package`` once written as JSON."""
    data = json.loads(encoding.dumps(package))
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator().iter_errors(data)]


@pytest.fixture
def world(users, make_product, make_order, make_filing, make_unit, make_user, make_region, pay) -> World:
    seller = users[Role.supplier]
    supplier = seller.supplier
    supplier.kind = SupplierKind.family_farm
    unit = users[Role.purchaser].unit
    millet = make_product(supplier, name="岢岚小米", price="12.50", spec="5kg/袋", unit="袋")
    dates = make_product(supplier, name="临县红枣", price="308.62", spec="10kg/箱", unit="箱")
    make_filing(unit, YEAR, planned="100000.00", reserved="30000.00")

    paid = make_order(
        {millet: 4, dates: 2}, status=OrderStatus.received, placed_at=datetime(2026, 11, 1, 2, 0)
    )
    pay(paid, paid_on=date(2026, 11, 2))
    issue_invoice(paid, seller, ISSUED)
    refund = Refund(order=paid, amount=Decimal("12.50"), reason="一袋受潮")
    db.session.add(refund)
    db.session.flush()
    settle_refund(
        refund, seller, reference="RF000001", amount="12.50", settled_on=date(2026, 11, 10), today=ISSUED
    )
    issue_credit_note(refund, seller, ISSUED)
    db.session.commit()

    unpaid = make_order({millet: 2}, placed_at=datetime(2026, 11, 5, 3, 0))
    cancelled = make_order({millet: 1}, status=OrderStatus.cancelled, placed_at=datetime(2026, 11, 6, 3, 0))
    cancelled.cancelled_at = datetime(2026, 11, 6, 5, 0)
    last_year = make_order({millet: 3}, placed_at=datetime(2025, 12, 31, 15, 0))  # 23:00 in Beijing

    other_province = make_region("150000", "内蒙古自治区", RegionLevel.province)
    outside = make_unit("呼和浩特市教育局", region_code=other_province.code)
    elsewhere = make_order(
        {millet: 1},
        purchaser=make_user(Role.purchaser, unit=outside),
        payment_status=PaymentStatus.unpaid,
        placed_at=datetime(2026, 3, 1, 1, 0),
    )
    db.session.commit()
    return World(unit, supplier, paid, refund, unpaid, cancelled, last_year, elsewhere)
