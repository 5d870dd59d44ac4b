"""The people and organisations every other package refers to."""

from accounts.models.audit import AuditChain, AuditEntry, AuditSeal
from accounts.models.notices import Notice
from accounts.models.orgs import BudgetUnit, Region, RegionLevel
from accounts.models.security import ApiToken, IdempotencyRecord, LoginAttempt
from accounts.models.suppliers import Supplier, SupplierKind, SupplierStatus
from accounts.models.users import Role, User

__all__ = [
    "ApiToken",
    "AuditChain",
    "AuditEntry",
    "AuditSeal",
    "BudgetUnit",
    "IdempotencyRecord",
    "LoginAttempt",
    "Notice",
    "Region",
    "RegionLevel",
    "Role",
    "Supplier",
    "SupplierKind",
    "SupplierStatus",
    "User",
]
