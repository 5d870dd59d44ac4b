"""Loading the demo city into an empty database, quickly.

``load_demo()`` runs ``STEPS`` in order, each a function of a ``DemoContext`` that inserts one kind of
thing in bulk and records the ids later steps need. Later issues (products, quotas, a year of orders)
append their steps to ``STEPS``. The loader flushes and never commits: the command commits once.

Speed: the shared demo password is hashed once and every demo account gets that hash; rows go in with
``insert(Model)`` over lists of dicts (SQLAlchemy's bulk insert: one ``executemany``), and the new ids are
read back with one query per table; never one query per row.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, insert, select

from accounts import audit, services
from accounts.demo import DEMO_PASSWORD, demo_username, names
from accounts.demo.regions import CITY, COUNTIES, PROVINCE
from accounts.demo.suppliers import plan_suppliers
from accounts.demo.units import UnitPlan, plan_unit_accounts, plan_units
from accounts.models import AuditEntry, BudgetUnit, Region, RegionLevel, Role, Supplier, User
from shop.common import N_, DomainError
from shop.extensions import db

#: The audit action that marks a database holding the demo.
DEMO_ACTION = "demo.load"


class DemoRefused(DomainError):
    """The database holds data that is not the demo: loading would mix made-up and real records."""


@dataclass
class DemoContext:
    """What the steps share: the one password hash, and the ids of what earlier steps inserted."""

    password_hash: str
    #: GB/T 2260 code -> region id.
    region_ids: dict[str, int] = field(default_factory=dict)
    #: The planned units (supervising units first) and unit code -> id.
    units: list[UnitPlan] = field(default_factory=list)
    unit_ids: dict[str, int] = field(default_factory=dict)
    #: Credit code -> supplier id.
    supplier_ids: dict[str, int] = field(default_factory=dict)
    #: Username -> user id, for every demo account.
    user_ids: dict[str, int] = field(default_factory=dict)
    #: What was created, for the audit entry and the command's summary.
    counts: dict[str, int] = field(default_factory=dict)


Step = Callable[[DemoContext], None]


@dataclass
class LoadResult:
    #: False when the demo was already there and nothing was done.
    loaded: bool
    counts: dict[str, int]


def _insert(model, rows: list[dict[str, Any]], key: str) -> dict[Any, int]:
    """Insert ``rows`` in bulk, then map each row's ``key`` to its new id in one query.

    The ids are read back with a plain ``SELECT`` of the whole table rather than ``RETURNING``: on SQLite,
    SQLAlchemy cannot match returned ids to parameter rows in a multi-row insert and falls back to one
    statement per row. The loader runs only on an empty database, so every row is the demo's.
    """
    if not rows:
        return {}
    db.session.execute(insert(model), rows)
    column = getattr(model, key)
    return dict(db.session.execute(select(column, model.id)).all())


def _account(
    ctx: DemoContext,
    username: str,
    name: str,
    role: Role,
    created_at: datetime,
    *,
    phone: str | None = None,
    unit_id: int | None = None,
    supplier_id: int | None = None,
    region_id: int | None = None,
) -> dict[str, Any]:
    """A user row, activated (it has chosen its password) some days after it was opened.

    Every row names every column: the bulk insert batches only rows with the same keys.
    """
    return {
        "username": username,
        "name": name,
        "phone": phone,
        "email": None,
        "role": role,
        "unit_id": unit_id,
        "supplier_id": supplier_id,
        "region_id": region_id,
        "password_hash": ctx.password_hash,
        "enabled": True,
        "activated_at": names.later(created_at, "activate", username),
        "must_change_password": False,
        "created_at": created_at,
        "failed_logins": 0,
        "locked_until": None,
        "last_login_at": None,
        "locale": None,
    }


# --- the steps ---------------------------------------------------------------------------------------------


def add_regions(ctx: DemoContext) -> None:
    """山西省 > 吕梁市 > its 13 counties, five of them poverty counties."""
    province = {"code": PROVINCE[0], "name": PROVINCE[1], "level": RegionLevel.province, "parent_id": None}
    ctx.region_ids |= _insert(Region, [province | {"is_poverty_county": False}], "code")
    city = {
        "code": CITY[0],
        "name": CITY[1],
        "level": RegionLevel.city,
        "parent_id": ctx.region_ids[PROVINCE[0]],
    }
    ctx.region_ids |= _insert(Region, [city | {"is_poverty_county": False}], "code")
    counties = [
        {
            "code": county.code,
            "name": county.name,
            "level": RegionLevel.county,
            "parent_id": ctx.region_ids[CITY[0]],
            "is_poverty_county": county.poverty,
        }
        for county in COUNTIES
    ]
    ctx.region_ids |= _insert(Region, counties, "code")
    ctx.counts["counties"] = len(counties)
    ctx.counts["poverty_counties"] = sum(county.poverty for county in COUNTIES)


def add_units(ctx: DemoContext) -> None:
    """The 1,906 budget units, one statement per tree level (a unit's supervisor must exist first)."""
    ctx.units = plan_units()
    for depth in sorted({unit.depth for unit in ctx.units}):
        rows = [
            {
                "code": unit.code,
                "name": unit.name,
                "credit_code": names.credit_code(unit.kind, unit.region_code, serial),
                "region_id": ctx.region_ids[unit.region_code],
                "parent_id": ctx.unit_ids[unit.parent_code] if unit.parent_code else None,
                "created_at": names.moment("unit", unit.code),
            }
            for serial, unit in enumerate(ctx.units)
            if unit.depth == depth
        ]
        ctx.unit_ids |= _insert(BudgetUnit, rows, "code")
    ctx.counts["budget_units"] = len(ctx.units)


def add_unit_accounts(ctx: DemoContext) -> None:
    """Each unit's manager and purchasers, opened with the unit and all activated."""
    opened = {unit.code: names.moment("unit", unit.code) for unit in ctx.units}
    plans = plan_unit_accounts(ctx.units, demo_username(Role.unit_manager), demo_username(Role.purchaser))
    rows = [
        _account(
            ctx,
            plan.username,
            plan.name,
            Role.unit_manager if plan.is_manager else Role.purchaser,
            opened[plan.unit_code] if plan.is_manager else names.later(opened[plan.unit_code], plan.username),
            phone=plan.phone,
            unit_id=ctx.unit_ids[plan.unit_code],
        )
        for plan in plans
    ]
    ctx.user_ids |= _insert(User, rows, "username")
    ctx.counts["unit_managers"] = sum(plan.is_manager for plan in plans)
    ctx.counts["purchasers"] = len(plans) - ctx.counts["unit_managers"]


def add_finance_and_operator(ctx: DemoContext) -> None:
    """A finance user for the city (the demo one) and one per county; the platform operator."""
    rows = [
        _account(
            ctx,
            demo_username(Role.finance) if code == CITY[0] else f"cz{code}",
            names.person_name("finance", code),
            Role.finance,
            names.moment("finance", code, days=30),
            phone=names.mobile("finance", code),
            region_id=ctx.region_ids[code],
        )
        for code in [CITY[0], *(county.code for county in COUNTIES)]
    ]
    operator = demo_username(Role.operator)
    rows.append(_account(ctx, operator, "平台运营", Role.operator, names.moment(operator, days=1)))
    ctx.user_ids |= _insert(User, rows, "username")
    ctx.counts["finance_users"] = len(rows) - 1
    ctx.counts["operators"] = 1


def add_suppliers(ctx: DemoContext) -> None:
    """The poverty counties' suppliers, each with one login."""
    plans = plan_suppliers(demo_username(Role.supplier))
    rows = [
        {
            "name": plan.name,
            "kind": plan.kind,
            "credit_code": plan.credit_code,
            "region_id": ctx.region_ids[plan.county_code],
            "contact_name": plan.contact_name,
            "contact_phone": plan.contact_phone,
            "bank_name": plan.bank_name,
            "bank_account": plan.bank_account,
            "households": plan.households,
            "status": plan.status,
            "status_reason": None,
            "applied_at": plan.applied_at,
            "recommended_at": plan.recommended_at,
            "admitted_at": plan.admitted_at,
        }
        for plan in plans
    ]
    ctx.supplier_ids |= _insert(Supplier, rows, "credit_code")
    accounts = [
        _account(
            ctx,
            plan.username,
            plan.contact_name,
            Role.supplier,
            plan.applied_at,
            phone=plan.contact_phone,
            supplier_id=ctx.supplier_ids[plan.credit_code],
        )
        for plan in plans
    ]
    ctx.user_ids |= _insert(User, accounts, "username")
    ctx.counts["suppliers"] = len(plans)
    ctx.counts["suppliers_admitted"] = sum(plan.admitted_at is not None for plan in plans)


#: The loader's steps, in dependency order. Later issues append theirs (products, quotas, orders).
STEPS: list[Step] = [add_regions, add_units, add_unit_accounts, add_finance_and_operator, add_suppliers]


def register_step(step: Step) -> None:
    """Append a step of a package above accounts (which never imports them): the composition root registers
    the marketplace's. Idempotent, since one process may create the app many times (tests do)."""
    if step not in STEPS:
        STEPS.append(step)


# --- the loader --------------------------------------------------------------------------------------------


def demo_loaded() -> bool:
    """The database holds the demo (its ``demo.load`` audit entry exists)."""
    return bool(db.session.scalar(select(exists().where(AuditEntry.action == DEMO_ACTION))))


def holds_other_data() -> bool:
    """Any region, budget unit, supplier or account exists (one query)."""
    return bool(
        db.session.scalar(
            select(
                exists(select(Region.id))
                | exists(select(BudgetUnit.id))
                | exists(select(Supplier.id))
                | exists(select(User.id))
            )
        )
    )


def load_demo(steps: list[Step] | None = None) -> LoadResult:
    """Load the demo city into an empty database; flushes, never commits.

    Returns ``LoadResult(loaded=False)`` and changes nothing when the demo is already there, so it can run
    on every start. Audits ``demo.load`` with the counts.

    :raise DemoRefused: the database holds other data (regions, units, suppliers or accounts).
    """
    if demo_loaded():
        return LoadResult(loaded=False, counts={})
    if holds_other_data():
        raise DemoRefused(
            N_(
                "The database already holds data that is not the demo city. The demo is loaded only into an"
                " empty database."
            )
        )
    ctx = DemoContext(password_hash=services.hash_password(DEMO_PASSWORD))
    for step in STEPS if steps is None else steps:
        step(ctx)
    audit.record(None, DEMO_ACTION, **ctx.counts)
    db.session.flush()
    return LoadResult(loaded=True, counts=dict(ctx.counts))
