"""The unit's purchaser accounts: the list (statuses, filters, pages, masked phones, constant queries) and
the home panel of accounts not yet activated."""

import html
import re

import pytest

from accounts import people
from accounts.models import Role
from accounts.views import people as people_views
from tests.people.support import purchaser_count


def test_list_shows_the_units_purchasers_with_masked_phones_and_counts(as_manager, unit_accounts):
    as_manager.post("/lang/en")
    page = as_manager.get("/people/").text
    for username in ("buyer", "waiting", "working", "gone"):
        assert f'<td class="nowrap">{username}</td>' in page
    assert "elsewhere" not in page and '<td class="nowrap">manager</td>' not in page
    assert "138****5678" in page and "13812345678" not in page
    assert "4 opened, 3 activated, 1 deactivated" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "not_activated"}, {"waiting"}),
        ({"status": "active"}, {"buyer", "working"}),
        ({"status": "deactivated"}, {"gone"}),
        ({"q": "在用"}, {"working"}),
        ({"q": "WAIT"}, {"waiting"}),
        ({"q": "%"}, set()),  # a wildcard is searched as text
    ],
)
def test_list_filters_by_status_and_by_name_or_username(as_manager, unit_accounts, query, expected):
    page = as_manager.get("/people/", query_string=query).text
    shown = set(re.findall(r'<td class="nowrap">([a-z]+)</td>', page))
    assert shown == expected


def test_list_paginates_with_a_next_page_link(as_manager, manager, make_user, monkeypatch):
    monkeypatch.setattr(people_views, "PAGE_SIZE", 3)
    for number in range(5):
        make_user(Role.purchaser, f"p{number}x", unit=manager.unit)
    first = as_manager.get("/people/", query_string={"q": "x"}).text
    assert re.findall(r'<td class="nowrap">(p\dx)</td>', first) == ["p4x", "p3x", "p2x"]
    link = html.unescape(re.search(r'href="(/people/\?[^"]*before=[^"]*)"', first).group(1))
    assert "q=x" in link
    second = as_manager.get(link).text
    assert re.findall(r'<td class="nowrap">(p\dx)</td>', second) == ["p1x", "p0x"]
    assert 'href="/people/?before=' not in second


def test_list_runs_the_same_number_of_queries_for_2_or_15_accounts(
    as_manager, manager, make_user, count_queries
):
    def queries_for_list() -> int:
        with count_queries() as queries:
            assert as_manager.get("/people/").status_code == 200
        return len(queries)

    make_user(Role.purchaser, unit=manager.unit, activated=False)
    few = queries_for_list()
    for number in range(13):
        make_user(Role.purchaser, unit=manager.unit, enabled=number % 3 != 0, phone="13800138000")
    assert purchaser_count() >= 15
    assert queries_for_list() == few


def test_home_panel_names_the_accounts_not_yet_activated(as_manager, manager, make_user):
    for number in range(7):
        make_user(Role.purchaser, f"new{number}", unit=manager.unit, activated=False, name=f"新人{number}")
    make_user(Role.purchaser, "off", unit=manager.unit, activated=False, enabled=False, name="停用者")
    page = as_manager.get("/").text
    assert "/people/?status=not_activated" in page
    assert "新人0 (new0)" in page and "新人4 (new4)" in page
    assert "新人5" not in page and "停用者" not in page
    with as_manager.application.test_request_context():
        count, first = people.not_yet_activated(manager.unit_id)
    assert count == 7 and len(first) == 5
