"""Home-page panels of the payments: arrears for the buying unit, what the supplier is owed and the refunds
it must pay back, and payments flagged as not received (shown only when there is one)."""

from flask import url_for
from flask_babel import gettext as _

from accounts.home import Panel, home_panel
from accounts.models import Role, User
from shop.common import utcnow
from shop.formatting import yuan
from shop.payments import arrears, queries
from shop.payments.views import arrears_days, order_url


@home_panel(Role.unit_manager, Role.purchaser, order=31)
def overdue_payments(user: User) -> Panel:
    count, oldest = arrears.overdue_summary(user, now=utcnow(), days=arrears_days())
    return Panel(
        _("Overdue payments"),
        count,
        url_for("payments.arrears_list"),
        _("All overdue orders"),
        [
            (f"{order.number} · {yuan(order.total)} · {order.supplier.name}", order_url(order))
            for order in oldest
        ],
    )


@home_panel(Role.supplier, order=24)
def owed_to_supplier(user: User) -> Panel:
    owed = arrears.owed_to(user.supplier_id, now=utcnow(), days=arrears_days())
    return Panel(
        _("Owed to you"),
        owed.overdue_count,
        url_for("payments.owed"),
        _("Unpaid orders"),
        [
            (
                _("Accepted, unpaid: %(count)d orders, %(total)s", count=owed.count, total=yuan(owed.total)),
                None,
            ),
            (
                _(
                    "Overdue (more than %(days)d days): %(count)d orders, %(total)s",
                    days=arrears_days(),
                    count=owed.overdue_count,
                    total=yuan(owed.overdue_total),
                ),
                url_for("payments.owed", overdue="1"),
            ),
        ],
    )


@home_panel(Role.supplier, order=23)
def refunds_to_settle(user: User) -> Panel | None:
    count, oldest = queries.refunds_to_settle_summary(user.supplier_id)
    if not count:
        return None
    return Panel(
        _("Refunds to pay back"),
        count,
        url_for("payments.refunds"),
        _("All refunds"),
        [(f"{refund.order.number} · {yuan(refund.amount)}", order_url(refund.order)) for refund in oldest],
    )


@home_panel(*Role, order=25)
def flagged_payments(user: User) -> Panel | None:
    count = queries.flagged_count(user)
    if not count:
        return None
    return Panel(
        _("Payments flagged as not received"),
        count,
        url_for("payments.flagged"),
        _("All flagged payments"),
    )
