"""Fixtures of the budget-unit tests."""

import pytest

from accounts.models import RegionLevel
from tests.conftest import region


@pytest.fixture
def other_city(make_region, city):
    """太原市 with one county, beside 吕梁市 in the same province."""
    taiyuan = make_region("140100", "太原市", RegionLevel.city, region("140000"))
    make_region("140105", "小店区", RegionLevel.county, taiyuan)
    return taiyuan
