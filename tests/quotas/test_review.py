"""The two-stage review of filings: the supervising unit's manager endorses, the finance bureau approves;
either returns with a reason. Queues with last year's figures, stale decisions, access, notices."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from accounts.models import AuditEntry, Notice, RegionLevel, Role
from quotas.filing import queries
from quotas.filing.review import ReviewError, approve, return_filing
from quotas.models import FilingStatus, QuotaFiling
from shop.extensions import db
from tests.conftest import login, region

TODAY = date(2026, 3, 10)


@pytest.fixture
def supervisor(users):
    """The manager of 吕梁市教育局, which supervises the school below."""
    return users[Role.unit_manager]


@pytest.fixture
def school(supervisor, make_unit):
    return make_unit("兴县第一中学", region_code="141123", parent=supervisor.unit)


@pytest.fixture
def school_manager(school, make_user):
    return make_user(Role.unit_manager, unit=school)


@pytest.fixture
def finance(users):
    return users[Role.finance]


def status_of(filing) -> FilingStatus:
    db.session.expire_all()
    return db.session.get(QuotaFiling, filing.id).status


def notices_of(user) -> list[Notice]:
    return list(db.session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id)))


def actions(filing) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "quota_filing", AuditEntry.object_id == filing.id)
            .order_by(AuditEntry.id)
        )
    )


# --- the service -------------------------------------------------------------------------------------------


def test_a_supervised_units_filing_is_endorsed_then_approved(
    app, supervisor, school, school_manager, finance, make_filing
):
    filing = make_filing(school, 2026, status=FilingStatus.submitted)
    with app.test_request_context():
        with pytest.raises(ReviewError):  # the finance bureau waits for the supervising unit
            approve(finance, filing, today=TODAY)
        approve(supervisor, filing, today=TODAY)
        assert (filing.status, filing.endorsed_by) == (FilingStatus.endorsed, supervisor)
        approve(finance, filing, today=TODAY)
    assert (filing.status, filing.approved_by) == (FilingStatus.approved, finance)
    assert actions(filing) == ["quota_filing.endorse", "quota_filing.approve"]
    assert [notice.params["version"] for notice in notices_of(school_manager)] == [1, 1]


def test_a_unit_without_a_supervising_unit_goes_straight_to_finance(app, supervisor, finance, make_filing):
    filing = make_filing(supervisor.unit, 2026, status=FilingStatus.submitted)
    with app.test_request_context():
        with pytest.raises(ReviewError):  # a manager never reviews its own unit
            approve(supervisor, filing, today=TODAY)
        approve(finance, filing, today=TODAY)
    assert filing.status == FilingStatus.approved


def test_returning_needs_a_reason_and_tells_the_units_managers(
    app, supervisor, school, school_manager, make_filing
):
    filing = make_filing(school, 2026, status=FilingStatus.submitted)
    with app.test_request_context():
        for reason in ("", "   ", "x" * 501):
            with pytest.raises(ReviewError) as refused:
                return_filing(supervisor, filing, reason, today=TODAY)
            assert refused.value.field == "reason"
        assert filing.status == FilingStatus.submitted
        return_filing(supervisor, filing, " 预留比例低于去年 ", today=TODAY, link="/x")
    assert (filing.status, filing.return_reason, filing.returned_by) == (
        FilingStatus.returned,
        "预留比例低于去年",
        supervisor,
    )
    (notice,) = notices_of(school_manager)
    assert (notice.params["reason"], notice.link) == ("预留比例低于去年", "/x")
    assert actions(filing) == ["quota_filing.return"]


def test_a_finance_bureau_outside_the_units_region_does_not_review(
    app, school, make_filing, make_region, make_user
):
    taiyuan = make_region("140100", "太原市", RegionLevel.city, region("140000"))
    outsider = make_user(Role.finance, region=taiyuan)
    filing = make_filing(school, 2026, status=FilingStatus.endorsed)
    with app.test_request_context(), pytest.raises(ReviewError):
        approve(outsider, filing, today=TODAY)
    assert status_of(filing) == FilingStatus.endorsed


def test_the_province_bureau_reviews_too_but_only_once(app, school, finance, make_filing, make_user):
    province = make_user(Role.finance, region=region("140000"))
    filing = make_filing(school, 2026, status=FilingStatus.endorsed)
    with app.test_request_context():
        approve(province, filing, today=TODAY)
        with pytest.raises(ReviewError) as refused:
            approve(finance, filing, today=TODAY)
        assert refused.value.params["status"] == FilingStatus.approved
        with pytest.raises(ReviewError):
            return_filing(finance, filing, "太低", today=TODAY)
    assert status_of(filing) == FilingStatus.approved


# --- the pages ---------------------------------------------------------------------------------------------


def test_reviewing_through_the_pages(
    client, supervisor, school, school_manager, finance, login_as, make_filing
):
    filing = make_filing(school, 2026, status=FilingStatus.submitted)
    login_as(supervisor)
    assert f'data-filing="{filing.id}"' in client.get("/quotas/review/").get_data(as_text=True)
    detail = client.get(f"/quotas/review/{filing.id}").get_data(as_text=True)
    assert f"/quotas/review/{filing.id}/approve" in detail
    assert client.post(f"/quotas/review/{filing.id}/approve").status_code == 302
    assert status_of(filing) == FilingStatus.endorsed
    assert f'data-filing="{filing.id}"' not in client.get("/quotas/review/").get_data(as_text=True)
    client.post("/logout")
    login_as(finance)
    assert f'data-filing="{filing.id}"' in client.get("/quotas/review/").get_data(as_text=True)
    response = client.post(f"/quotas/review/{filing.id}/return", data={"reason": "计划总额有误"})
    assert response.status_code == 302
    assert status_of(filing) == FilingStatus.returned
    assert notices_of(school_manager)[-1].params["reason"] == "计划总额有误"


def test_a_stale_review_is_refused_with_a_clear_message(client, school, finance, login_as, make_filing):
    filing = make_filing(school, 2026, status=FilingStatus.endorsed)
    login_as(finance)
    client.post("/lang/en")
    assert client.post(f"/quotas/review/{filing.id}/approve").status_code == 302
    approved_at = db.session.get(QuotaFiling, filing.id).approved_at
    response = client.post(
        f"/quotas/review/{filing.id}/return", data={"reason": "晚了"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "no longer waits for your review" in page
    assert "The page you decided on was out of date." in page
    response = client.post(f"/quotas/review/{filing.id}/approve", follow_redirects=True)
    assert "no longer waits for your review" in response.get_data(as_text=True)
    db.session.expire_all()
    again = db.session.get(QuotaFiling, filing.id)
    assert (again.status, again.approved_at, again.return_reason) == (
        FilingStatus.approved,
        approved_at,
        None,
    )
    assert actions(filing) == ["quota_filing.approve"]


def test_a_return_without_a_reason_through_the_page_names_the_field(
    client, school, finance, login_as, make_filing
):
    filing = make_filing(school, 2026, status=FilingStatus.endorsed)
    login_as(finance)
    client.post("/lang/en")
    response = client.post(f"/quotas/review/{filing.id}/return", data={"reason": ""})
    assert response.status_code == 400
    assert "Give the reason for returning the filing" in response.get_data(as_text=True)
    assert status_of(filing) == FilingStatus.endorsed


def test_access_to_review_pages(app, client, users, school, make_filing, make_region, make_unit, make_user):
    filing = make_filing(school, 2026, status=FilingStatus.submitted)
    taiyuan = make_region("140100", "太原市", RegionLevel.city, region("140000"))
    outsider = make_user(Role.finance, region=taiyuan)
    other_manager = make_user(Role.unit_manager, unit=make_unit(region_code=taiyuan.code))
    assert client.get(f"/quotas/review/{filing.id}").status_code == 302  # anonymous: to the login page
    for user, detail, decide in (
        (users[Role.purchaser], 403, 403),
        (users[Role.supplier], 403, 403),
        (users[Role.operator], 200, 403),  # reads, never decides
        (outsider, 404, 404),
        (other_manager, 404, 404),
    ):
        fresh = app.test_client()
        assert login(fresh, user).status_code == 302
        assert fresh.get(f"/quotas/review/{filing.id}").status_code == detail
        assert fresh.post(f"/quotas/review/{filing.id}/approve").status_code == decide
        assert fresh.post(f"/quotas/review/{filing.id}/return", data={"reason": "x"}).status_code == decide
    assert status_of(filing) == FilingStatus.submitted


def test_a_manager_of_the_unit_itself_does_not_review_it(
    client, school, school_manager, login_as, make_filing
):
    filing = make_filing(school, 2026, status=FilingStatus.submitted)
    login_as(school_manager)
    assert client.get("/quotas/review/").status_code == 200
    assert f'data-filing="{filing.id}"' not in client.get("/quotas/review/").get_data(as_text=True)
    assert client.post(f"/quotas/review/{filing.id}/approve").status_code == 302  # refused with a message
    assert status_of(filing) == FilingStatus.submitted


# --- the queues --------------------------------------------------------------------------------------------


def test_the_queue_shows_last_years_counting_figures(finance, school, make_unit, make_filing):
    make_filing(school, 2025, planned="80000.00", reserved="20000.00", status=FilingStatus.returned)
    make_filing(school, 2025, planned="90000.00", reserved="27000.00", status=FilingStatus.approved)
    make_filing(school, 2025, planned="99000.00", reserved="50000.00", status=FilingStatus.submitted)
    waiting = make_filing(school, 2026, status=FilingStatus.endorsed)
    direct = make_filing(make_unit(region_code="141124"), 2026, status=FilingStatus.submitted)
    make_filing(
        make_unit(region_code="141124", parent=school), 2026, status=FilingStatus.submitted
    )  # not yet
    rows, next_after = queries.review_queue(finance)
    assert [row.filing.id for row in rows] == [waiting.id, direct.id] and next_after is None
    # The approved version counts, not the newer one still under review.
    assert rows[0].last_year.reserved_amount == Decimal("27000.00")
    assert rows[1].last_year is None


def _grow(school, supervisor, make_unit, make_filing, count: int) -> None:
    for _ in range(count):
        unit = make_unit(region_code="141123", parent=supervisor.unit)
        make_filing(unit, 2025, status=FilingStatus.approved)
        make_filing(unit, 2026, status=FilingStatus.submitted)
        direct = make_unit(region_code="141124")
        make_filing(direct, 2025, status=FilingStatus.approved)
        make_filing(direct, 2026, status=FilingStatus.submitted)


@pytest.mark.parametrize("role", [Role.unit_manager, Role.finance])
def test_the_queue_costs_the_same_with_many_filings(
    app, client, users, school, make_unit, make_filing, login_as, count_queries, monkeypatch, role
):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 10)
    supervisor = users[Role.unit_manager]
    login_as(users[role])
    _grow(school, supervisor, make_unit, make_filing, 2)
    client.get("/quotas/review/")
    with count_queries() as few:
        client.get("/quotas/review/")
    _grow(school, supervisor, make_unit, make_filing, 13)
    with count_queries() as many:
        page = client.get("/quotas/review/").get_data(as_text=True)
    assert len(many) == len(few)
    assert page.count("data-filing=") == 10 and "after=" in page


def test_the_home_page_counts_the_filings_waiting(client, supervisor, school, finance, login_as, make_filing):
    make_filing(school, 2026, status=FilingStatus.submitted)
    assert queries.count_waiting(supervisor) == 1
    assert queries.count_waiting(finance) == 0
    assert "/quotas/review/" in login_as(supervisor).get("/").get_data(as_text=True)
