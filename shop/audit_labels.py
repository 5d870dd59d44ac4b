"""The names of the marketplace's audit actions and object types, for the audit-log reader."""

from flask_babel import lazy_gettext as _l

from accounts.views.audit import register_labels


def register() -> None:
    register_labels(
        actions={
            "category.create": _l("Category created"),
            "category.update": _l("Category changed"),
            "category.delete": _l("Category deleted"),
            "product.create": _l("Product created"),
            "product.update": _l("Product changed"),
            "product.submit": _l("Product submitted for review"),
            "product.revise": _l("Listed product sent back to review"),
            "product.approve": _l("Product approved"),
            "product.reject": _l("Product rejected"),
            "product.delist": _l("Product delisted"),
            "product.relist": _l("Product submitted again"),
            "product.image_add": _l("Product pictures added"),
            "product.image_remove": _l("Product pictures removed"),
            "order.place": _l("Order placed"),
            "order.ship": _l("Order shipped"),
            "order.receive": _l("Goods accepted"),
            "order.close": _l("Order closed"),
            "order.cancel": _l("Order cancelled"),
            "order.reorder": _l("Ordered again"),
            "order.evaluate": _l("Supplier evaluated"),
            "order.pay": _l("Payment recorded"),
            "order.refund": _l("Refund settled"),
            "order.delivery_note": _l("Delivery note downloaded"),
            "order.acceptance": _l("Acceptance certificate downloaded"),
            "payment.flag": _l("Payment flagged as not received"),
            "payment.unflag": _l("Payment flag withdrawn"),
            "return.request": _l("Return requested"),
            "return.accept": _l("Return accepted"),
            "return.refuse": _l("Return refused"),
            "invoice.issue": _l("Invoice issued"),
            "invoice.credit": _l("Credit note issued"),
            "invoice.download": _l("Invoice downloaded"),
            "invoice.archive": _l("Invoices downloaded as a ZIP"),
        },
        groups={
            "product.": _l("Every product action"),
            "order.": _l("Every order action"),
            "invoice.": _l("Every invoice action"),
        },
        objects={
            "category": _l("Category"),
            "product": _l("Product"),
            "purchase_order": _l("Order"),
            "return_request": _l("Return request"),
            "invoice": _l("Invoice"),
        },
    )
