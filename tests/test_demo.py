"""The demo city: the city report's figures, valid codes, a real supervising tree, one working login per
role, refusal over other data, an idempotent re-run, and the two commands."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from accounts.demo import DEMO_LOGINS, DEMO_PASSWORD
from accounts.demo.load import DEMO_ACTION, STEPS, DemoRefused, load_demo
from accounts.demo.units import UNIT_COUNT, plan_units
from accounts.models import AuditEntry, BudgetUnit, Region, RegionLevel, Role, Supplier, SupplierStatus, User
from accounts.validators import is_valid_credit_code, password_problems
from shop.extensions import db
from tests.conftest import login

#: The accounts' own steps: the later packages' steps (products and orders, a year of paid orders) are
#: tested with their own data, and would only make every load here slower.
ACCOUNT_STEPS = [step for step in STEPS if step.__module__ == "accounts.demo.load"]


def count(model, *where) -> int:
    return db.session.scalar(select(func.count(model.id)).where(*where))


def table_sizes() -> tuple[int, ...]:
    return tuple(count(model) for model in (Region, BudgetUnit, Supplier, User, AuditEntry))


@pytest.fixture
def demo():
    result = load_demo(ACCOUNT_STEPS)
    db.session.commit()  # into the test's transaction, so requests through the client see it
    return result


def test_the_city_has_13_counties_5_of_them_poverty_counties(demo):
    city = db.session.scalar(select(Region).where(Region.code == "141100"))
    assert city.name == "吕梁市" and city.parent.code == "140000"
    counties = {region.code: region for region in city.children}
    assert len(counties) == 13 and all(region.level == RegionLevel.county for region in counties.values())
    poverty = {region.name for region in counties.values() if region.is_poverty_county}
    assert poverty == {"兴县", "临县", "石楼县", "岚县", "方山县"}
    assert counties["141102"].name == "离石区" and counties["141182"].name == "汾阳市"


def test_every_unit_has_one_activated_manager_and_the_city_has_1968_activated_purchasers(demo):
    assert count(BudgetUnit) == 1906
    managers = select(User).where(User.role == Role.unit_manager)
    assert count(User, User.role == Role.unit_manager) == 1906
    assert count(User, User.role == Role.unit_manager, User.activated_at.is_not(None)) == 1906
    units_with_manager = select(func.count(func.distinct(User.unit_id))).where(User.role == Role.unit_manager)
    assert db.session.scalar(units_with_manager) == 1906
    assert count(User, User.role == Role.purchaser) == 1968
    assert count(User, User.role == Role.purchaser, User.activated_at.is_not(None)) == 1968
    units_with_purchaser = select(func.count(func.distinct(User.unit_id))).where(User.role == Role.purchaser)
    assert db.session.scalar(units_with_purchaser) == 1906
    assert count(User, User.must_change_password.is_(True)) == 0
    first, last = db.session.execute(select(func.min(User.created_at), func.max(User.activated_at))).one()
    assert first.year >= 2019 and last.year <= 2021
    assert db.session.scalars(managers.limit(1)).one().password_hash == (
        db.session.scalar(select(User.password_hash).where(User.username == "demo_operator"))
    ), "every demo account shares the one hash"
    assert demo.counts["budget_units"] == 1906 and demo.counts["purchasers"] == 1968


def test_admitted_suppliers_are_in_poverty_counties_each_with_one_account(demo):
    admitted = db.session.scalars(
        select(Supplier).where(Supplier.status == SupplierStatus.admitted).join(Supplier.region)
    ).all()
    assert len(admitted) >= 40
    assert all(supplier.region.is_poverty_county for supplier in admitted)
    assert {supplier.region.name for supplier in admitted} == {"兴县", "临县", "石楼县", "岚县", "方山县"}
    waiting = {status for (status,) in db.session.execute(select(Supplier.status)).all()}
    assert {SupplierStatus.applied, SupplierStatus.recommended} <= waiting
    accounts = select(func.count(User.id), func.count(func.distinct(User.supplier_id))).where(
        User.role == Role.supplier
    )
    assert tuple(db.session.execute(accounts).one()) == (count(Supplier), count(Supplier))


def test_every_credit_code_is_valid_and_unique(demo):
    codes = list(db.session.scalars(select(BudgetUnit.credit_code))) + list(
        db.session.scalars(select(Supplier.credit_code))
    )
    assert len(codes) == len(set(codes)) == 1906 + count(Supplier)
    assert all(is_valid_credit_code(code) for code in codes)
    unit_kinds = {code[:2] for code in db.session.scalars(select(BudgetUnit.credit_code))}
    assert unit_kinds == {"11", "12"}


def test_the_supervising_tree_is_deep_and_stays_inside_the_city(demo):
    parent, grandparent = aliased(BudgetUnit), aliased(BudgetUnit)
    third_level = (
        select(func.count(BudgetUnit.id))
        .join(parent, BudgetUnit.parent_id == parent.id)
        .join(grandparent, parent.parent_id == grandparent.id)
    )
    assert db.session.scalar(third_level) > 0
    city = db.session.scalar(select(Region).where(Region.code == "141100"))
    assert count(BudgetUnit, BudgetUnit.region_id.not_in(city.subtree_ids())) == 0
    # A supervising unit is in the same region as the units it supervises.
    assert (
        db.session.scalar(
            select(func.count(BudgetUnit.id))
            .join(parent, BudgetUnit.parent_id == parent.id)
            .where(parent.region_id != BudgetUnit.region_id)
        )
        == 0
    )


def test_each_demo_login_signs_in_with_the_documented_password(demo, client):
    for demo_login in DEMO_LOGINS:
        user = db.session.scalar(select(User).where(User.username == demo_login.username))
        assert user.role == demo_login.role and demo_login.password == DEMO_PASSWORD
        response = login(client, demo_login.username, demo_login.password)
        assert response.status_code == 302 and response.headers["Location"] == "/", demo_login
        assert client.get("/").status_code == 200
        client.post("/logout")
    manager = db.session.scalar(select(User).where(User.username == "demo_manager"))
    assert manager.unit.name == "吕梁市教育局" and manager.unit.children, "a supervising unit"
    supplier = db.session.scalar(select(User).where(User.username == "demo_supplier")).supplier
    assert supplier.status == SupplierStatus.admitted
    finance = db.session.scalar(select(User).where(User.username == "demo_finance"))
    assert finance.region.code == "141100"


@pytest.mark.parametrize("kind", ["regions", "account"])
def test_loading_over_other_data_is_refused_and_changes_nothing(app, kind, request, make_user):
    if kind == "regions":
        request.getfixturevalue("city")
    else:
        make_user(Role.operator, "someone")
    before = table_sizes()
    with pytest.raises(DemoRefused):
        load_demo()
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "not the demo city" in result.output
    assert table_sizes() == before
    assert count(AuditEntry, AuditEntry.action == DEMO_ACTION) == 0


def test_a_second_load_changes_nothing(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "1906 budget units" in first.output
    before = table_sizes()
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "already loaded" in second.output
    assert load_demo().loaded is False
    assert table_sizes() == before
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == DEMO_ACTION))
    assert entry.actor_id is None and entry.details["budget_units"] == 1906


def test_the_load_inserts_in_bulk_never_row_by_row(count_queries):
    with count_queries() as queries:
        load_demo(ACCOUNT_STEPS)
    # A few statements per table (an executemany may be sent in batches of some hundred rows): far fewer
    # statements than rows. Today about 33 statements for about 5,900 rows.
    assert len(queries) * 100 < sum(table_sizes()), len(queries)


def test_demo_users_prints_one_tab_separated_line_per_login(app):
    result = app.test_cli_runner().invoke(args=["demo", "users"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines == [f"{item.role.value}\t{item.username}\t{item.password}" for item in DEMO_LOGINS]
    assert sorted(line.split("\t")[0] for line in lines) == sorted(role.value for role in Role)
    assert password_problems(DEMO_PASSWORD) == []


def test_the_unit_plan_is_deterministic_with_unique_codes_and_names():
    plan = plan_units()
    assert plan == plan_units() and len(plan) == UNIT_COUNT
    assert len({unit.code for unit in plan}) == UNIT_COUNT
    assert len({unit.name for unit in plan}) == UNIT_COUNT
    codes = {unit.code for unit in plan}
    seen = set()
    for unit in plan:  # supervising units come first, so the loader can insert level by level
        assert unit.parent_code is None or unit.parent_code in seen and unit.parent_code in codes
        seen.add(unit.code)
