"""Filings through the API: the caller's unit's versions, a draft, a submission, a change; the finance
bureau's all-or-nothing bulk upsert; bad input and other units' filings answer JSON errors and change
nothing."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from accounts.models import AuditEntry, Role
from quotas.models import FilingStatus, QuotaFiling
from shop.common import beijing_today
from shop.extensions import db
from tests.conftest import region

YEAR = beijing_today().year


@pytest.fixture
def manager(users):
    return users[Role.unit_manager]


@pytest.fixture
def finance(users):
    return users[Role.finance]


@pytest.fixture
def policy_of_the_year(make_policy):
    return make_policy(YEAR, deadline=beijing_today().replace(month=12, day=31))


def own(**more) -> dict:
    return {
        "year": YEAR,
        "canteen_status": "own",
        "planned_total": "100000.00",
        "reserved_amount": "30000.00",
    } | more


def state() -> tuple:
    db.session.expire_all()
    rows = db.session.execute(
        select(
            QuotaFiling.unit_id, QuotaFiling.version, QuotaFiling.status, QuotaFiling.reserved_amount
        ).order_by(QuotaFiling.id)
    ).all()
    return rows, db.session.scalar(select(func.count(AuditEntry.id)))


def test_a_manager_saves_a_draft_then_submits_and_reads_the_versions(api_client, manager, policy_of_the_year):
    api = api_client(manager)
    draft = api.post("/api/v1/filings", json=own())
    assert draft.status_code == 200, draft.json
    assert (draft.json["status"], draft.json["version"], draft.json["reserved_amount"]) == (
        "draft",
        1,
        "30000.00",
    )
    submitted = api.post("/api/v1/filings", json=own(reserved_amount="35000", submit=True, based_on=1))
    assert submitted.status_code == 200, submitted.json
    assert (submitted.json["status"], submitted.json["version"]) == ("submitted", 1)
    assert submitted.json["min_ratio"] == "0.3000"
    listed = api.get(f"/api/v1/filings?year={YEAR}")
    assert listed.status_code == 200
    assert [(item["version"], item["status"]) for item in listed.json["items"]] == [(1, "submitted")]
    one = api.get(f"/api/v1/filings/{submitted.json['id']}")
    assert one.status_code == 200 and one.json["reserved_amount"] == "35000.00"


def test_a_change_of_an_approved_filing_is_a_new_draft_version(api_client, manager, make_filing):
    make_filing(manager.unit, YEAR)
    response = api_client(manager).post("/api/v1/filings/change", json={"year": YEAR})
    assert response.status_code == 200, response.json
    assert (response.json["version"], response.json["status"]) == (2, "draft")


def test_rule_refusals_name_the_field_and_change_nothing(api_client, manager, policy_of_the_year):
    api = api_client(manager)
    before = state()
    below = api.post("/api/v1/filings", json=own(reserved_amount="1000.00", submit=True))
    assert below.status_code == 422 and below.json["code"] == "invalid_field"
    assert below.json["details"] == {"field": "reserved_amount"}
    above = api.post("/api/v1/filings", json=own(reserved_amount="200000.00"))
    assert above.status_code == 422 and above.json["details"] == {"field": "reserved_amount"}
    assert state() == before


def test_a_submitted_version_cannot_be_saved_over(api_client, manager, policy_of_the_year):
    api = api_client(manager)
    assert api.post("/api/v1/filings", json=own(submit=True)).status_code == 200
    before = state()
    again = api.post("/api/v1/filings", json=own())
    assert again.status_code == 409 and again.json["code"] == "conflict"
    assert state() == before


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"year": YEAR}, 422),  # no canteen status
        (own(year="this year"), 422),
        (own(planned_total=100000), 422),  # a number, not a string
        (own(planned_total="-5"), 422),
        (own(canteen_status="big"), 422),
        (own(colour="red"), 422),  # unknown field
        (own(year=1990), 422),
    ],
)
def test_bad_bodies_are_refused_with_json_errors(api_client, manager, body, status):
    api = api_client(manager)
    before = state()
    response = api.post("/api/v1/filings", json=body)
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "message", "details"}
    assert state() == before


def test_malformed_json_and_missing_or_revoked_tokens(client, api_client, manager, make_token):
    from accounts.models.security import ApiToken
    from accounts.tokens import revoke_token

    api = api_client(manager)
    malformed = api.post("/api/v1/filings", data="{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json["code"] == "malformed_json"
    assert client.post("/api/v1/filings", json=own()).status_code == 401
    token = make_token(manager)
    revoke_token(manager, db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc())))
    db.session.commit()
    refused = api_client(manager, token).post("/api/v1/filings", json=own())
    assert refused.status_code == 401 and refused.json["code"] == "token_revoked"


def test_other_roles_and_other_units_filings(api_client, users, make_unit, make_user, make_filing):
    other_unit = make_unit("临县教育局", region_code="141124")
    filing = make_filing(other_unit, YEAR)
    # a purchaser does not file; a supplier reads no filing
    assert api_client(users[Role.purchaser]).post("/api/v1/filings", json=own()).status_code == 403
    assert api_client(users[Role.supplier]).get(f"/api/v1/filings/{filing.id}").status_code == 403
    # another unit's manager: 404, as on the web; the city's finance bureau and the operator read it
    assert api_client(users[Role.unit_manager]).get(f"/api/v1/filings/{filing.id}").status_code == 404
    assert api_client(users[Role.finance]).get(f"/api/v1/filings/{filing.id}").status_code == 200
    assert api_client(users[Role.operator]).get(f"/api/v1/filings/{filing.id}").status_code == 200
    assert api_client(users[Role.operator]).get("/api/v1/filings/999999").status_code == 404


# --- the finance bureau's bulk upsert ----------------------------------------------------------------------


@pytest.fixture
def county_units(make_unit):
    return [make_unit(f"兴县单位{n}", region_code="141123") for n in range(3)]


def bulk_body(units, submit=False, **row) -> dict:
    return {
        "year": YEAR,
        "submit": submit,
        "filings": [
            {
                "unit_code": unit.code,
                "canteen_status": "own",
                "planned_total": "100000.00",
                "reserved_amount": "30000.00",
            }
            | row
            for unit in units
        ],
    }


def test_finance_files_its_units_in_one_request(
    api_client, finance, county_units, make_filing, policy_of_the_year
):
    make_filing(county_units[0], YEAR, reserved="25000.00")  # approved: upserted as version 2
    response = api_client(finance).post(
        "/api/v1/regions/141123/filings/bulk", json=bulk_body(county_units, submit=True)
    )
    assert response.status_code == 200, response.json
    assert [(item["version"], item["status"]) for item in response.json["items"]] == [
        (2, "submitted"),
        (1, "submitted"),
        (1, "submitted"),
    ]
    first = db.session.scalars(
        select(QuotaFiling).where(QuotaFiling.unit_id == county_units[0].id).order_by(QuotaFiling.version)
    ).all()
    assert [(f.version, f.status, f.reserved_amount) for f in first] == [
        (1, FilingStatus.approved, Decimal("25000.00")),
        (2, FilingStatus.submitted, Decimal("30000.00")),
    ]
    audited = db.session.scalars(
        select(AuditEntry.actor_id).where(AuditEntry.action == "quota_filing.submit")
    ).all()
    assert audited == [finance.id] * 3


def test_one_refused_row_keeps_nothing_and_every_refusal_is_listed(
    api_client, finance, county_units, make_unit, policy_of_the_year
):
    elsewhere = make_unit("离石区单位", region_code="141102")
    body = bulk_body([*county_units, elsewhere, county_units[0]], submit=True)
    body["filings"][1]["reserved_amount"] = "100.00"  # below the minimum ratio
    api = api_client(finance)
    before = state()
    response = api.post("/api/v1/regions/141123/filings/bulk", json=body)
    assert response.status_code == 422 and response.json["code"] == "rows_refused"
    rows = response.json["details"]["rows"]
    assert set(rows) == {"1", "3", "4"}
    assert rows["1"]["field"] == "reserved_amount"
    assert rows["3"]["field"] == rows["4"]["field"] == "unit_code"  # outside the county; a repeated unit
    assert state() == before


def test_bulk_is_for_the_finance_bureau_of_the_region(
    api_client, users, county_units, make_user, make_region
):
    from accounts.models import RegionLevel

    body = bulk_body(county_units)
    assert (
        api_client(users[Role.unit_manager])
        .post("/api/v1/regions/141123/filings/bulk", json=body)
        .status_code
        == 403
    )
    other = make_region("150000", "内蒙古自治区", RegionLevel.province)
    stranger = make_user(Role.finance, region=other)
    assert api_client(stranger).post("/api/v1/regions/141123/filings/bulk", json=body).status_code == 404
    assert (
        api_client(users[Role.finance]).post("/api/v1/regions/000000/filings/bulk", json=body).status_code
        == 404
    )
    county = make_user(Role.finance, region=region("141102"))
    assert api_client(county).post("/api/v1/regions/141123/filings/bulk", json=body).status_code == 404
    empty = api_client(users[Role.finance]).post(
        "/api/v1/regions/141123/filings/bulk", json={"year": YEAR, "filings": []}
    )
    assert empty.status_code == 422


def test_control_characters_in_codes_are_bad_input(api_client, finance, county_units):
    api = api_client(finance)
    before = state()
    body = bulk_body(county_units)
    body["filings"][0]["unit_code"] = "U\x00"
    response = api.post("/api/v1/regions/141123/filings/bulk", json=body)
    assert response.status_code == 422 and "unit_code" in str(response.json["details"])
    assert state() == before
