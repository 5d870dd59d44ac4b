"""The refusal every supplier rule raises."""

from accounts.models import Supplier
from shop.common import N_, DomainError


class SupplierError(DomainError):
    """A supplier rule refused the request. ``field`` names the form field at fault, when there is one.

    Statuses and kinds among the params are shown by their translated names (``DomainError.translated``).
    """

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field


def not_yours(supplier: Supplier) -> SupplierError:
    return SupplierError(N_("Your account may not take this step for %(name)s."), name=supplier.name)


def not_now(supplier: Supplier) -> SupplierError:
    return SupplierError(
        N_("%(name)s is now “%(status)s”: this step is not possible."),
        name=supplier.name,
        status=supplier.status,
    )
