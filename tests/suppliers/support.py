"""Helpers of the supplier tests: a registration form, the facts it states, what the database holds."""

from sqlalchemy import func, select

from accounts import suppliers as supplier_services
from accounts.models import AuditEntry, Notice, Supplier, User
from accounts.suppliers import SupplierFacts
from shop.extensions import db
from tests.conftest import PASSWORD, region, valid_credit_code


def county_id(code: str) -> int:
    return region(code).id


def registration(**changes) -> dict:
    """A complete, valid registration form."""
    data = {
        "name": "兴县红枣专业合作社",
        "kind": "coop",
        "credit_code": valid_credit_code("93141123"),
        "region_id": str(county_id("141123")),
        "contact_name": "李四",
        "contact_phone": "13912345678",
        "bank_name": "兴县农商银行",
        "bank_account": "6217 0000 1234 5678",
        "households": "35",
        "username": "hongzao",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    data.update(changes)
    return data


def facts(**changes) -> SupplierFacts:
    data = registration(**changes)
    return SupplierFacts(
        name=data["name"],
        kind=data["kind"],
        credit_code=data["credit_code"],
        region_id=int(data["region_id"]),
        contact_name=data["contact_name"],
        contact_phone=data["contact_phone"],
        bank_name=data["bank_name"],
        bank_account=data["bank_account"],
        households=int(data["households"]),
    )


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(Supplier.id))),
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(AuditEntry.id))),
    )


def notices_of(user: User) -> list[Notice]:
    return db.session.scalars(select(Notice).where(Notice.user_id == user.id)).all()


def actions_on(supplier: Supplier) -> list[str]:
    return [entry.action for entry in supplier_services.status_history(supplier)]
