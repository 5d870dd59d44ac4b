"""Registering one budget unit with its manager account, and the credit code it must carry."""

import pytest
from sqlalchemy import select

from accounts import units
from accounts.models import Role, User
from accounts.units import UnitError
from accounts.validators import credit_code_check_char, is_valid_credit_code
from shop.extensions import db
from tests.conftest import valid_credit_code
from tests.units.support import audit_actions, counts, facts, form_data, unit_by_code


def test_credit_code_check_digit_accepts_valid_and_refuses_invalid_codes():
    body = "91141123MA0KXY312"  # legal-person kind, 兴县 registration area, organisation code
    code = body + credit_code_check_char(body)
    assert is_valid_credit_code(code)
    assert is_valid_credit_code(code.lower())  # normalised before checking
    wrong = body + next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != code[-1])
    assert not is_valid_credit_code(wrong)
    assert not is_valid_credit_code(code[:17])  # too short
    assert not is_valid_credit_code("91141123MA0KXY31I")  # I is not in the GB 32100 alphabet
    assert is_valid_credit_code("91350100M000100Y43")  # a published example


def test_create_unit_normalises_the_credit_code_to_upper_case(app, users):
    code = valid_credit_code("12141123")
    unit, manager, initial = units.create_unit(users[Role.operator], facts(credit_code=code.lower()))
    assert unit.credit_code == code
    assert manager.role == Role.unit_manager and manager.unit_id == unit.id and not manager.is_activated
    assert initial
    assert "unit.create" in audit_actions()


def test_create_unit_shows_the_manager_password_once(client, login_as, users):
    login_as(users[Role.finance])
    response = client.post("/units/new", data=form_data())
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert 'class="secret"' in response.get_data(as_text=True)
    unit = unit_by_code("B001")
    manager = db.session.scalar(select(User).where(User.username == "xx_edu"))
    assert unit.region.code == "141123" and manager.unit_id == unit.id and manager.role == Role.unit_manager


def test_create_unit_with_bad_credit_code_is_refused_and_nothing_created(client, login_as, users):
    login_as(users[Role.operator])
    client.post("/lang/en")
    before = counts()
    bad = valid_credit_code("11141123")[:17] + "I"
    response = client.post("/units/new", data=form_data(credit_code=bad, manager_phone="123"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"The unified social credit code {bad} is not valid" in page
    assert "The phone number 123 is not valid." in page  # every field at fault is marked
    assert counts() == before


def test_create_unit_with_duplicate_code_is_refused_and_nothing_created(client, login_as, users, make_unit):
    existing = make_unit()
    login_as(users[Role.operator])
    client.post("/lang/en")
    before = counts()
    response = client.post("/units/new", data=form_data(code=existing.code.lower()))
    assert response.status_code == 400
    assert f"A budget unit with the code {existing.code} already exists." in response.get_data(as_text=True)
    assert counts() == before
    response = client.post("/units/new", data=form_data(credit_code=existing.credit_code))
    assert "unified social credit code" in response.get_data(as_text=True)
    assert counts() == before


def test_finance_may_not_register_a_unit_outside_its_subtree_or_at_a_province(app, users, other_city):
    with pytest.raises(UnitError) as outside:
        units.create_unit(users[Role.finance], facts(region_code="140105"))
    assert outside.value.field == "region_code"
    with pytest.raises(UnitError):
        units.create_unit(users[Role.operator], facts(region_code="140000"))


def test_supervising_unit_must_be_visible(app, users, make_unit, other_city):
    elsewhere = make_unit("太原市财政局", "140105")
    with pytest.raises(UnitError) as refused:
        units.create_unit(users[Role.finance], facts(parent_code=elsewhere.code))
    assert refused.value.field == "parent_code"
    unit, _manager, _initial = units.create_unit(users[Role.operator], facts(parent_code=elsewhere.code))
    assert unit.parent_id == elsewhere.id


def test_the_manager_account_is_checked_by_the_same_rules_as_a_purchaser_account(app, users):
    """One set of checks (accounts.account_rules) for every account opened: same messages, same tidying."""
    with pytest.raises(UnitError) as refused:
        units.create_unit(users[Role.operator], facts(manager_name="  ", manager_username="王五"))
    problems = {(problem.column, problem.message) for problem in refused.value.problems}
    assert ("manager_name", "The name is required.") in problems
    assert (
        "manager_username",
        "The username %(username)s must be 3 to 64 letters, digits, dots, dashes or underscores.",
    ) in problems
    _unit, manager, _initial = units.create_unit(users[Role.operator], facts(manager_phone="139 1234 5678"))
    assert manager.phone == "13912345678"
