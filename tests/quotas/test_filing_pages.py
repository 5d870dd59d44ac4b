"""A unit's filing through its pages: filing, checking, bad input, locking, who may open and post, the page's
cost; and the reminders as the deadline nears (the manager's home panel, finance's list)."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from accounts.models import RegionLevel, Role
from quotas.filing import queries
from quotas.models import FilingStatus, QuotaFiling
from quotas.panels import filing_reminder
from shop.common import beijing_today
from shop.extensions import db
from tests.conftest import login, region
from tests.quotas.test_filing import filings

YEAR = 2026


@pytest.fixture
def manager(users):
    return users[Role.unit_manager]


@pytest.fixture
def unit(manager):
    return manager.unit


# --- the pages ---------------------------------------------------------------------------------------------


def page_url(unit, year=None) -> str:
    return f"/quotas/units/{unit.id}/filing/{year or beijing_today().year}"


def test_the_manager_files_through_the_page(client, manager, unit, login_as, make_policy):
    year = beijing_today().year
    make_policy(year, min_ratio="0.30", deadline=beijing_today() + timedelta(days=20))
    login_as(manager)
    assert client.get("/quotas/filing").headers["Location"].endswith(page_url(unit))
    form = {"canteen_status": "own", "planned_total": "100000", "reserved_amount": "35000", "based_on": "0"}
    assert client.post(page_url(unit), data={**form, "action": "save"}).status_code == 302
    assert client.post(page_url(unit), data={**form, "based_on": "1", "action": "submit"}).status_code == 302
    assert filings() == [(1, FilingStatus.submitted, Decimal("100000.00"), Decimal("35000.00"))]
    page = client.get(page_url(unit)).get_data(as_text=True)
    assert 'data-version="1" data-status="submitted"' in page
    assert "filing-form" not in page  # under review: nothing to edit


def test_check_shows_the_ratio_and_the_problem_without_saving(client, manager, unit, login_as, make_policy):
    make_policy(beijing_today().year, min_ratio="0.30")
    login_as(manager)
    client.post("/lang/en")
    form = {"canteen_status": "own", "planned_total": "100000", "reserved_amount": "25000", "action": "check"}
    page = client.post(page_url(unit), data=form).get_data(as_text=True)
    assert "25.00%" in page
    assert "reserve at least ¥30,000.00" in page
    assert filings() == []


def test_the_page_shows_where_the_policy_comes_from(client, manager, unit, login_as, make_policy):
    login_as(manager)
    client.post("/lang/en")
    page = client.get(page_url(unit)).get_data(as_text=True)
    assert '<dd class="policy-source">National default</dd>' in page
    make_policy(beijing_today().year, region_code="140000", min_ratio="0.20")
    page = client.get(page_url(unit)).get_data(as_text=True)
    assert '<dd class="policy-source">山西省</dd>' in page


def test_bad_input_through_the_page_names_the_field_and_keeps_nothing(client, manager, unit, login_as):
    login_as(manager)
    client.post("/lang/en")
    form = {"canteen_status": "own", "planned_total": "1000", "reserved_amount": "1000.01", "action": "save"}
    response = client.post(page_url(unit), data=form)
    assert response.status_code == 400
    assert "The reserved amount ¥1,000.01 is above the planned farm-product purchasing ¥1,000.00." in (
        response.get_data(as_text=True)
    )
    response = client.post(page_url(unit), data={**form, "reserved_amount": "-5"})
    assert "Reserved amount cannot be negative." in response.get_data(as_text=True)
    assert filings() == []


def test_an_approved_filing_is_locked_and_changed_through_a_new_version(
    client, manager, unit, login_as, make_filing
):
    make_filing(unit, beijing_today().year)
    login_as(manager)
    page = client.get(page_url(unit)).get_data(as_text=True)
    assert "filing-form" not in page and "/change" in page
    form = {"canteen_status": "own", "planned_total": "1", "reserved_amount": "1", "action": "save"}
    assert client.post(page_url(unit), data=form).status_code == 400
    assert client.post(page_url(unit) + "/change").status_code == 302
    page = client.get(page_url(unit)).get_data(as_text=True)
    assert "filing-form" in page and 'value="30000.00"' in page
    assert (
        'data-version="1" data-status="approved"' in page and 'data-version="2" data-status="draft"' in page
    )


def test_a_filing_for_a_unit_the_user_does_not_manage(client, users, unit, login_as, make_unit, make_user):
    child = make_unit(parent=unit, region_code="141123")
    stranger = make_unit("临县民政局", region_code="141124")
    form = {"canteen_status": "own", "planned_total": "100", "reserved_amount": "30", "action": "submit"}
    login_as(users[Role.unit_manager])
    assert client.get(page_url(stranger)).status_code == 404
    assert client.post(page_url(stranger), data=form).status_code == 404
    assert client.get(page_url(child)).status_code == 200  # a supervising unit reads its subordinate's
    assert client.post(page_url(child), data=form).status_code == 403
    assert client.post(page_url(child) + "/change").status_code == 403
    assert filings() == []


def test_access_to_a_units_filing_page(app, users, unit, make_region, make_user):
    taiyuan = make_region("140100", "太原市", RegionLevel.city, region("140000"))
    outsider = make_user(Role.finance, region=taiyuan)

    def status(user) -> int:
        client = app.test_client()
        if user is not None:
            assert login(client, user).status_code == 302
        return client.get(page_url(unit)).status_code

    assert status(None) == 302
    assert status(users[Role.purchaser]) == 403
    assert status(users[Role.supplier]) == 403
    assert status(users[Role.finance]) == 200
    assert status(users[Role.operator]) == 200
    assert status(outsider) == 404


def test_the_filing_page_costs_the_same_with_many_versions(
    client, manager, unit, login_as, make_filing, count_queries
):
    year = beijing_today().year
    url = page_url(unit)  # read before counting: the commits below expire ``unit``
    login_as(manager)
    make_filing(unit, year, status=FilingStatus.returned)
    make_filing(unit, year, status=FilingStatus.approved)
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for _ in range(13):
        make_filing(unit, year, status=FilingStatus.returned)
    make_filing(unit, year, status=FilingStatus.approved)
    with count_queries() as many:
        page = client.get(url).get_data(as_text=True)
    assert page.count("data-version=") == 16
    assert len(many) == len(few)


# --- reminders ---------------------------------------------------------------------------------------------


def test_a_manager_is_reminded_as_the_deadline_nears_until_the_unit_submits(
    app, manager, unit, make_policy, make_filing
):
    make_policy(YEAR, deadline=date(YEAR, 3, 31))
    with app.test_request_context():
        assert filing_reminder(manager, date(YEAR, 2, 1)) is None  # 58 days away
        panel = filing_reminder(manager, date(YEAR, 3, 20))
        assert panel.count == 1 and "11" in panel.items[0][0]
        assert filing_reminder(manager, date(YEAR, 4, 5)).count == 1  # past: still reminded
        make_filing(unit, YEAR, status=FilingStatus.submitted)
        assert filing_reminder(manager, date(YEAR, 3, 20)) is None


def test_a_returned_filing_is_a_reminder_whatever_the_deadline(app, manager, unit, make_filing):
    make_filing(unit, YEAR, status=FilingStatus.returned)
    with app.test_request_context():
        assert filing_reminder(manager, date(YEAR, 1, 2)).count == 1


def test_the_home_page_shows_the_reminder(client, manager, make_policy, login_as):
    make_policy(beijing_today().year, deadline=beijing_today() + timedelta(days=5))
    page = login_as(manager).get("/").get_data(as_text=True)
    assert f"/quotas/units/{manager.unit_id}/filing/{beijing_today().year}" in page


def test_finance_lists_the_units_that_have_not_filed(
    app, client, users, unit, login_as, make_unit, make_filing, make_policy
):
    year = beijing_today().year
    make_policy(year, region_code="141123", deadline=beijing_today() + timedelta(days=3))
    waiting = make_unit("兴县卫健局", region_code="141123")
    filed = make_unit("兴县水利局", region_code="141123")
    make_filing(filed, year, status=FilingStatus.submitted)
    drafting = make_unit("临县水利局", region_code="141124")
    make_filing(drafting, year, status=FilingStatus.draft)
    login_as(users[Role.finance])
    page = client.get(f"/quotas/reminders?year={year}").get_data(as_text=True)
    assert f'data-code="{waiting.code}"' in page and f'data-code="{drafting.code}"' in page
    assert f'data-code="{unit.code}"' in page
    assert f'data-code="{filed.code}"' not in page
    rows, _next = queries.unfiled_page(users[Role.finance], year, today=beijing_today())
    by_code = {row.unit.code: row for row in rows}
    assert by_code[waiting.code].days_left == 3
    assert by_code[drafting.code].newest == FilingStatus.draft
    # Only those due within 30 days: the county with its own early deadline, not the national default.
    due, _next = queries.unfiled_page(users[Role.finance], year, today=date(year, 1, 1), due_only=True)
    assert {row.unit.code for row in due} <= {waiting.code}
    home = client.get("/").get_data(as_text=True)
    assert "/quotas/reminders" in home


def test_the_reminder_list_pages_without_growing_queries(
    app, client, users, login_as, make_unit, count_queries, monkeypatch
):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 10)
    login_as(users[Role.finance])
    make_unit(region_code="141123")
    client.get("/quotas/reminders")
    with count_queries() as few:
        client.get("/quotas/reminders?due=1")
    for _ in range(14):
        make_unit(region_code="141124")
    with count_queries() as many:
        page = client.get("/quotas/reminders?due=1").get_data(as_text=True)
    assert len(many) == len(few)
    first = client.get("/quotas/reminders").get_data(as_text=True)
    assert first.count("data-code=") == 10 and "after=" in first
    # No COUNT over the units (a word match: column names such as failed_login_count do not count).
    # (The page frame's one user query counts unread notices; it reads no unit list.)
    counted = [
        s
        for s in many
        if re.search(r"\bcount\(", s, re.I) and "budget_unit" in s and "FROM user_account" not in s
    ]
    assert counted == []
    assert db.session.scalar(select(func.count(QuotaFiling.id))) == 0
    del page


@pytest.mark.parametrize("role", [Role.purchaser, Role.unit_manager, Role.supplier])
def test_other_roles_do_not_see_the_reminder_list(client, users, login_as, role):
    login_as(users[role])
    assert client.get("/quotas/reminders").status_code == 403


def test_the_filing_form_carries_its_csrf_token(app, client, manager, unit, login_as, monkeypatch):
    login_as(manager)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get(page_url(unit)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"canteen_status": "own", "planned_total": "100", "reserved_amount": "30", "action": "save"}
    assert client.post(page_url(unit), data=form).status_code == 400
    assert filings() == []
    assert client.post(page_url(unit), data={**form, "csrf_token": token}).status_code == 302
    assert len(filings()) == 1
    assert "<script>" not in page  # no inline script: the page's script is a file (CSP)
