"""Supplier registration and admission (DESIGN.md rule 5): a supplier applies, its county recommends, the
operator admits; the operator may reject, suspend and reinstate.

``registration`` creates and corrects applications, ``admission`` holds the transition table and the one
function that moves a supplier along it, ``reading`` answers what pages and notices need. Services take
explicit arguments, validate, audit, notify, flush and raise ``SupplierError``; they never commit and never
read the request. Access decisions stay in ``accounts.policy``.
"""

from accounts.suppliers.admission import (
    TRANSITIONS,
    Transition,
    apply_transition,
    available_transitions,
    may_transition,
)
from accounts.suppliers.errors import SupplierError
from accounts.suppliers.reading import shown_reason, status_history, supplier_link, waiting
from accounts.suppliers.registration import SupplierFacts, register_supplier, resubmit_supplier

__all__ = [
    "TRANSITIONS",
    "SupplierError",
    "SupplierFacts",
    "Transition",
    "apply_transition",
    "available_transitions",
    "may_transition",
    "register_supplier",
    "resubmit_supplier",
    "shown_reason",
    "status_history",
    "supplier_link",
    "waiting",
]
