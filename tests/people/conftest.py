"""Fixtures of the purchaser-account tests: a unit manager, signed in, and accounts around it."""

import pytest

from accounts.models import Role


@pytest.fixture
def manager(users):
    return users[Role.unit_manager]


@pytest.fixture
def as_manager(login_as, manager):
    return login_as(manager)


@pytest.fixture
def other_unit_purchaser(make_unit, make_user):
    return make_user(Role.purchaser, "elsewhere", unit=make_unit("吕梁市卫健委"))


@pytest.fixture
def unit_accounts(manager, make_user, other_unit_purchaser):
    """Three more purchaser accounts of the manager's unit, one in each status (beside ``buyer``, active)."""
    unit = manager.unit
    return {
        "waiting": make_user(Role.purchaser, "waiting", unit=unit, activated=False, name="待激活"),
        "working": make_user(Role.purchaser, "working", unit=unit, phone="13812345678", name="在用"),
        "gone": make_user(Role.purchaser, "gone", unit=unit, enabled=False, name="停用"),
    }
