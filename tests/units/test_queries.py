"""Unit pages read a constant number of queries; the home panels count what waits."""

from accounts.models import RegionLevel, Role
from tests.conftest import region


def _query_count(client, url, count_queries) -> int:
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_unit_list_takes_the_same_queries_for_2_or_15_rows(
    client, login_as, users, make_unit, make_user, count_queries
):
    login_as(users[Role.finance])
    # The users fixture's unit and one more: 2 rows.
    make_user(Role.purchaser, unit=make_unit(parent=users[Role.unit_manager].unit))
    few = _query_count(client, "/units/", count_queries)
    for number in range(13):
        unit = make_unit(region_code="141124", parent=users[Role.unit_manager].unit)
        make_user(Role.unit_manager, unit=unit, activated=number % 2 == 0)
        make_user(Role.purchaser, unit=unit)
    many = _query_count(client, "/units/", count_queries)
    assert few == many
    assert _query_count(client, "/units/?supervising=1&manager=inactive&q=U", count_queries) <= many


def test_region_tree_takes_the_same_queries_for_few_or_many_regions(
    client, login_as, users, make_region, make_unit, count_queries
):
    login_as(users[Role.operator])
    few = _query_count(client, "/units/regions", count_queries)
    for number in range(10):
        county = make_region(f"1411{50 + number}", level=RegionLevel.county, parent=region("141100"))
        make_unit(region_code=county.code)
    assert _query_count(client, "/units/regions", count_queries) == few


def test_home_panels_count_inactive_managers_and_subordinates(client, login_as, users, make_unit, make_user):
    unit = users[Role.unit_manager].unit
    pending = make_unit(region_code="141123", parent=unit)
    make_user(Role.unit_manager, unit=pending, activated=False)
    from accounts.units import queries
    from accounts.views.units import managers_not_activated, subordinate_units

    with client.application.test_request_context():
        # The users fixture's unit has an activated manager; the new one has none activated.
        assert managers_not_activated(users[Role.finance]).count == 1
        assert subordinate_units(users[Role.unit_manager]).count == 1
    assert queries.count_without_active_manager(users[Role.operator]) == 1
    with client.application.test_request_context():
        assert subordinate_units(make_user(Role.unit_manager, unit=pending)) is None  # supervises none
    login_as(users[Role.finance])
    page = client.get("/units/?manager=inactive").get_data(as_text=True).split("<tbody>")[1]
    assert unit.code not in page and pending.code not in page  # both have an activated manager now
