"""Quota policies: a finance bureau sets its region's, the operator any region's; units inherit them down the
region tree and see where theirs comes from."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from accounts.models import AuditEntry, RegionLevel, Role
from quotas.models import QuotaPolicy
from quotas.policies import PolicyError, PolicyInput, set_policy
from quotas.rules import effective_policy
from shop.common import beijing_today
from shop.extensions import db
from tests.conftest import region

TODAY = date(2026, 2, 10)


def policies() -> list[tuple[str, int, Decimal, date, bool]]:
    return [
        (p.region.code, p.year, p.min_ratio, p.filing_deadline, p.not_below_last_year)
        for p in db.session.scalars(select(QuotaPolicy).order_by(QuotaPolicy.id))
    ]


def policy_input(year=2026, percent="30", deadline=date(2026, 3, 20), not_below=False) -> PolicyInput:
    return PolicyInput(
        year=year, min_ratio_percent=percent, filing_deadline=deadline, not_below_last_year=not_below
    )


# --- the service -------------------------------------------------------------------------------------------


def test_finance_sets_its_regions_policy_as_a_percentage_and_it_is_audited(users):
    finance = users[Role.finance]
    set_policy(finance, finance.region, policy_input(percent="30", not_below=True), today=TODAY)
    assert policies() == [("141100", 2026, Decimal("0.3000"), date(2026, 3, 20), True)]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "quota_policy.set")).one()
    assert entry.details["after"]["min_ratio"] == "30.00%"
    assert entry.details["before"] is None


def test_setting_again_updates_the_one_policy_of_the_year(users):
    finance = users[Role.finance]
    set_policy(finance, finance.region, policy_input(percent="30"), today=TODAY)
    set_policy(finance, finance.region, policy_input(percent="12.5", deadline=date(2026, 2, 28)), today=TODAY)
    assert policies() == [("141100", 2026, Decimal("0.1250"), date(2026, 2, 28), False)]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "quota_policy.set")).all()
    assert entries[-1].details["before"]["min_ratio"] == "30.00%"


@pytest.mark.parametrize(
    "percent",
    ["0", "-5", "100.01", "101", "abc", "", "30.125", "NaN", "Infinity"],
)
def test_a_ratio_not_above_0_and_up_to_100_with_two_decimals_is_refused(users, percent):
    finance = users[Role.finance]
    with pytest.raises(PolicyError) as refused:
        set_policy(finance, finance.region, policy_input(percent=percent), today=TODAY)
    assert refused.value.field == "min_ratio_percent"
    assert policies() == []


def test_100_percent_and_a_percent_sign_are_accepted(users):
    finance = users[Role.finance]
    set_policy(finance, finance.region, policy_input(percent="100%"), today=TODAY)
    assert policies()[0][2] == Decimal("1.0000")


@pytest.mark.parametrize(
    ("year", "deadline", "field"),
    [
        (2018, date(2018, 3, 31), "year"),
        (2028, date(2028, 3, 31), "year"),
        (None, date(2026, 3, 31), "year"),
        (2026, date(2027, 1, 10), "filing_deadline"),
        (2026, date(2024, 12, 31), "filing_deadline"),
        (2026, None, "filing_deadline"),
    ],
)
def test_a_year_or_deadline_out_of_range_is_refused(users, year, deadline, field):
    finance = users[Role.finance]
    with pytest.raises(PolicyError) as refused:
        set_policy(finance, finance.region, policy_input(year=year, deadline=deadline), today=TODAY)
    assert refused.value.field == field
    assert policies() == []


def test_a_deadline_in_december_of_the_year_before_is_accepted(users):
    finance = users[Role.finance]
    set_policy(finance, finance.region, policy_input(year=2027, deadline=date(2026, 12, 15)), today=TODAY)
    assert policies()[0][1:4:2] == (2027, date(2026, 12, 15))


def test_finance_may_not_set_another_regions_policy_the_operator_may(users):
    finance = users[Role.finance]
    with pytest.raises(PolicyError):
        set_policy(finance, region("141123"), policy_input(), today=TODAY)
    with pytest.raises(PolicyError):
        set_policy(finance, region("140000"), policy_input(), today=TODAY)
    assert policies() == []
    set_policy(users[Role.operator], region("141123"), policy_input(percent="20"), today=TODAY)
    assert policies() == [("141123", 2026, Decimal("0.2000"), date(2026, 3, 20), False)]


def test_units_inherit_the_nearest_policy_or_the_national_default(users, make_policy):
    assert effective_policy(region("141123"), 2026).source is None
    assert effective_policy(region("141123"), 2026).min_ratio == Decimal("0.10")
    make_policy(2026, region_code="140000", min_ratio="0.15")
    make_policy(2026, region_code="141100", min_ratio="0.30")
    county = effective_policy(region("141123"), 2026)
    assert (county.min_ratio, county.source.code) == (Decimal("0.30"), "141100")
    assert effective_policy(region("140000"), 2026).source.code == "140000"


# --- the pages ---------------------------------------------------------------------------------------------


def test_finance_saves_through_the_page(client, users, login_as):
    login_as(users[Role.finance])
    year = beijing_today().year
    response = client.post(
        "/quotas/policies/",
        data={
            "year": year,
            "min_ratio_percent": "25",
            "filing_deadline": f"{year}-03-31",
            "region_code": "140000",
        },
    )
    assert response.status_code == 302
    # The region code is the operator's field: finance always sets its own region.
    assert policies() == [("141100", year, Decimal("0.2500"), date(year, 3, 31), False)]
    page = client.get(f"/quotas/policies/?year={year}").get_data(as_text=True)
    assert 'value="25"' in page
    assert 'data-region="141100"' in page


def test_a_bad_ratio_through_the_page_names_the_field_and_keeps_nothing(client, users, login_as):
    login_as(users[Role.finance])
    client.post("/lang/en")
    year = beijing_today().year
    response = client.post(
        "/quotas/policies/", data={"year": year, "min_ratio_percent": "0", "filing_deadline": f"{year}-03-31"}
    )
    assert response.status_code == 400
    assert "Minimum reserve ratio (percent) must be above 0 and at most 100." in response.get_data(
        as_text=True
    )
    assert policies() == []


def test_the_operator_names_the_region_by_code(client, users, login_as):
    login_as(users[Role.operator])
    year = beijing_today().year
    data = {"year": year, "min_ratio_percent": "20", "filing_deadline": f"{year}-03-31"}
    assert client.post("/quotas/policies/", data={**data, "region_code": "999999"}).status_code == 400
    assert client.post("/quotas/policies/", data={**data, "region_code": "141124"}).status_code == 302
    assert policies() == [("141124", year, Decimal("0.2000"), date(year, 3, 31), False)]
    assert 'data-region="141124"' in client.get("/quotas/policies/").get_data(as_text=True)


def test_finance_reads_the_policies_above_and_below_its_region(client, users, login_as, make_policy):
    make_policy(2025, region_code="140000", min_ratio="0.15")
    make_policy(2025, region_code="141123", min_ratio="0.40")
    make_policy(2025, region_code="141100", min_ratio="0.20")
    page = login_as(users[Role.finance]).get("/quotas/policies/").get_data(as_text=True)
    for code in ("140000", "141123", "141100"):
        assert f'data-region="{code}"' in page


@pytest.mark.parametrize("role", [Role.purchaser, Role.unit_manager, Role.supplier])
def test_other_roles_are_refused(client, users, login_as, role):
    login_as(users[role])
    assert client.get("/quotas/policies/").status_code == 403
    assert client.post("/quotas/policies/", data={}).status_code == 403
    assert policies() == []


def test_anonymous_visitors_are_sent_to_the_login_page(client, users):
    assert client.get("/quotas/policies/").headers["Location"].startswith("/login")
    assert client.post("/quotas/policies/", data={"year": "2026"}).status_code == 302
    assert policies() == []


def test_the_operators_list_pages_without_growing_queries(
    app, client, users, login_as, make_region, count_queries, monkeypatch
):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 20)
    login_as(users[Role.operator])

    def grow(count: int) -> None:
        for _ in range(count):
            made = make_region(level=RegionLevel.county, parent=region("141100"))
            db.session.add(
                QuotaPolicy(
                    region=made, year=2025, min_ratio=Decimal("0.2"), filing_deadline=date(2025, 3, 1)
                )
            )
        db.session.commit()

    grow(2)
    client.get("/quotas/policies/")
    with count_queries() as few:
        client.get("/quotas/policies/")
    grow(25)
    with count_queries() as many:
        page = client.get("/quotas/policies/").get_data(as_text=True)
    assert len(many) == len(few)
    assert page.count("data-region=") == 20 and "after=" in page
    assert db.session.scalar(select(func.count(QuotaPolicy.id))) == 27
