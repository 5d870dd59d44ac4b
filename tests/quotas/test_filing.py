"""A unit's yearly filing, through its services: drafts, submission against the effective policy, late marks,
versions, bad input, who may file. The pages and reminders: ``test_filing_pages``."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from accounts.models import AuditEntry, RegionLevel, Role
from quotas.filing import amounts
from quotas.filing.amounts import AmountError
from quotas.filing.figures import FilingError, FilingInput
from quotas.filing.services import save_draft, start_change, submit
from quotas.models import CanteenStatus, FilingStatus, QuotaFiling
from shop.extensions import db
from tests.conftest import region

TODAY = date(2026, 3, 10)
YEAR = 2026


@pytest.fixture
def manager(users):
    return users[Role.unit_manager]


@pytest.fixture
def unit(manager):
    return manager.unit


def own(planned="100000.00", reserved="30000.00", canteen="own") -> FilingInput:
    return FilingInput(canteen_status=canteen, planned_total=planned, reserved_amount=reserved)


def filings(unit_id=None) -> list[tuple[int, FilingStatus, Decimal, Decimal]]:
    query = select(QuotaFiling).order_by(QuotaFiling.unit_id, QuotaFiling.year, QuotaFiling.version)
    if unit_id is not None:
        query = query.where(QuotaFiling.unit_id == unit_id)
    return [(f.version, f.status, f.planned_total, f.reserved_amount) for f in db.session.scalars(query)]


def actions() -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.startswith("quota_filing."))
            .order_by(AuditEntry.id)
        )
    )


# --- the arithmetic ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", "0.00"),
        ("12", "12.00"),
        ("1,234.5", "1234.50"),
        ("¥25,451,400.00", "25451400.00"),
        (" 7.05 ", "7.05"),
    ],
)
def test_amounts_are_read_as_typed(text, expected):
    assert amounts.parse_yuan(text, "f", "Label") == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "-1", "-0.01", "1.001", "0.005", "1e400", "NaN", "Infinity"])
def test_bad_amounts_are_refused(text):
    with pytest.raises(AmountError) as refused:
        amounts.parse_yuan(text, "planned_total", "Label")
    assert refused.value.field == "planned_total"


def test_the_minimum_is_rounded_up_to_the_fen():
    assert amounts.minimum_reserved(Decimal("100.01"), Decimal("0.3")) == Decimal("30.01")
    assert amounts.minimum_reserved(Decimal("100000"), Decimal("0.3")) == Decimal("30000.00")
    assert amounts.ratio(Decimal("30"), Decimal("0")) is None
    assert amounts.percent_text(Decimal("0.35")) == "35.00%"
    assert amounts.percent_text(None) == "—"


# --- drafts and submission ---------------------------------------------------------------------------------


def test_a_draft_is_saved_then_updated_in_place(manager, unit):
    save_draft(manager, unit, YEAR, own(reserved="1000.00"), today=TODAY)
    save_draft(manager, unit, YEAR, own(reserved="2000.00"), today=TODAY, based_on=1)
    assert filings() == [(1, FilingStatus.draft, Decimal("100000.00"), Decimal("2000.00"))]
    assert actions() == ["quota_filing.save", "quota_filing.save"]


def test_a_draft_may_be_below_the_minimum_a_submission_may_not(manager, unit, make_policy):
    make_policy(YEAR, min_ratio="0.30")
    save_draft(manager, unit, YEAR, own(reserved="29999.99"), today=TODAY)
    with pytest.raises(FilingError) as refused:
        submit(manager, unit, YEAR, own(reserved="29999.99"), today=TODAY)
    assert refused.value.field == "reserved_amount"
    assert refused.value.params["minimum"] == "¥30,000.00"
    assert filings() == [(1, FilingStatus.draft, Decimal("100000.00"), Decimal("29999.99"))]


def test_submitting_keeps_the_minimum_in_force_and_is_not_late_before_the_deadline(
    manager, unit, make_policy
):
    make_policy(YEAR, min_ratio="0.30", deadline=date(YEAR, 3, 31))
    filing = submit(manager, unit, YEAR, own(), today=TODAY)
    assert (filing.status, filing.min_ratio, filing.late) == (
        FilingStatus.submitted,
        Decimal("0.3000"),
        False,
    )
    assert filing.submitted_at is not None
    assert actions() == ["quota_filing.submit"]


def test_a_submission_after_the_deadline_is_marked_late(manager, unit, make_policy):
    make_policy(YEAR, deadline=date(YEAR, 3, 9))
    assert submit(manager, unit, YEAR, own(), today=TODAY).late is True


def test_the_national_default_applies_without_a_policy(manager, unit):
    submit(manager, unit, YEAR, own(reserved="10000.00"), today=TODAY)  # exactly 10 %
    assert filings()[0][1] == FilingStatus.submitted


def test_not_below_last_year_where_the_policy_says_so(manager, unit, make_policy, make_filing):
    make_filing(unit, YEAR - 1, planned="100000.00", reserved="40000.00")
    make_policy(YEAR, min_ratio="0.30", not_below_last_year=True)
    with pytest.raises(FilingError) as refused:
        submit(manager, unit, YEAR, own(reserved="35000.00"), today=TODAY)
    assert refused.value.params["last"] == "¥40,000.00"
    assert filings(unit.id) == [(1, FilingStatus.approved, Decimal("100000.00"), Decimal("40000.00"))]
    submit(manager, unit, YEAR, own(reserved="40000.00"), today=TODAY)


def test_last_year_does_not_bind_without_the_rule(manager, unit, make_policy, make_filing):
    make_filing(unit, YEAR - 1, reserved="40000.00")
    make_policy(YEAR, min_ratio="0.30")
    submit(manager, unit, YEAR, own(reserved="35000.00"), today=TODAY)


def test_a_unit_without_a_canteen_files_no_amount(manager, unit):
    filing = submit(manager, unit, YEAR, own(planned="5000", reserved="10", canteen="none"), today=TODAY)
    assert (filing.canteen_status, filing.planned_total, filing.reserved_amount) == (
        CanteenStatus.none,
        Decimal("0.00"),
        Decimal("0.00"),
    )


# --- bad input: a clear refusal naming the field, nothing changed ------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (own(planned="1000.00", reserved="1000.01"), "reserved_amount"),  # reserved above planned
        (own(planned="-1000.00", reserved="0"), "planned_total"),  # negative
        (own(planned="1000.00", reserved="-1"), "reserved_amount"),
        (own(planned="1000.005", reserved="300"), "planned_total"),  # a fraction of a fen
        (own(planned="1000.00", reserved="300.001"), "reserved_amount"),
        (own(planned="lots", reserved="300"), "planned_total"),
        (own(planned="0", reserved="0"), "planned_total"),  # nothing to reserve from
        (own(canteen="kitchen"), "canteen_status"),
    ],
)
def test_bad_figures_are_refused_and_nothing_is_kept(manager, unit, data, field):
    for write in (save_draft, submit):
        if write is save_draft and field == "planned_total" and data.planned_total == "0":
            continue  # an empty draft is fine; only a submission needs an amount
        with pytest.raises(FilingError) as refused:
            write(manager, unit, YEAR, data, today=TODAY)
        assert refused.value.field == field
    assert filings() == []
    assert actions() == []


def test_a_shared_canteen_names_another_unit_of_the_same_city(manager, unit, make_unit, make_region):
    neighbour = make_unit("临县财政局", region_code="141124")
    filing = submit(
        manager,
        unit,
        YEAR,
        FilingInput("shared", shared_with_code=neighbour.code, planned_total="9"),
        today=TODAY,
    )
    assert (filing.shared_with, filing.planned_total, filing.reserved_amount) == (
        neighbour,
        Decimal("0.00"),
        Decimal("0.00"),
    )


@pytest.fixture
def other_city_unit(make_region, make_unit, city):
    taiyuan = make_region("140100", "太原市", RegionLevel.city, region("140000"))
    make_region("140105", "小店区", RegionLevel.county, taiyuan)
    return make_unit("小店区教育局", region_code="140105")


def test_a_shared_canteen_naming_itself_another_city_or_nobody_is_refused(manager, unit, other_city_unit):
    for code in (unit.code, other_city_unit.code, "NO-SUCH-UNIT"):
        with pytest.raises(FilingError) as refused:
            save_draft(manager, unit, YEAR, FilingInput("shared", shared_with_code=code), today=TODAY)
        assert refused.value.field == "shared_with_code"
    with pytest.raises(FilingError) as refused:
        submit(manager, unit, YEAR, FilingInput("shared", shared_with_code=""), today=TODAY)
    assert refused.value.field == "shared_with_code"
    assert filings() == []


def test_a_county_unit_may_not_share_with_another_citys_unit(manager, make_unit, make_user, other_city_unit):
    county_unit = make_unit("兴县教育局", region_code="141123")
    county_manager = make_user(Role.unit_manager, unit=county_unit)
    with pytest.raises(FilingError):
        save_draft(
            county_manager, county_unit, YEAR, FilingInput("shared", other_city_unit.code), today=TODAY
        )
    save_draft(county_manager, county_unit, YEAR, FilingInput("shared", manager.unit.code), today=TODAY)


@pytest.mark.parametrize("status", [FilingStatus.submitted, FilingStatus.endorsed, FilingStatus.approved])
def test_a_version_under_review_or_approved_cannot_be_edited(manager, unit, make_filing, status):
    make_filing(unit, YEAR, status=status)
    for write in (save_draft, submit):
        with pytest.raises(FilingError):
            write(manager, unit, YEAR, own(reserved="50000.00"), today=TODAY)
    assert filings() == [(1, status, Decimal("100000.00"), Decimal("30000.00"))]


def test_a_form_made_from_an_older_version_is_refused(manager, unit):
    save_draft(manager, unit, YEAR, own(), today=TODAY)
    with pytest.raises(FilingError):
        save_draft(manager, unit, YEAR, own(reserved="31000.00"), today=TODAY, based_on=0)
    assert filings() == [(1, FilingStatus.draft, Decimal("100000.00"), Decimal("30000.00"))]


def test_only_the_units_own_manager_files(users, unit, make_unit, make_user):
    child = make_unit(parent=unit, region_code="141123")
    for actor in (users[Role.finance], users[Role.operator], users[Role.purchaser], users[Role.unit_manager]):
        with pytest.raises(FilingError):
            save_draft(actor, child, YEAR, own(), today=TODAY)
    assert filings() == []


def test_years_that_cannot_be_filed_are_refused(manager, unit):
    for year in (YEAR - 2, YEAR + 2):
        with pytest.raises(FilingError) as refused:
            save_draft(manager, unit, year, own(), today=TODAY)
        assert refused.value.field == "year"


# --- versions ----------------------------------------------------------------------------------------------


def test_changing_an_approved_filing_opens_a_prefilled_new_version(manager, unit, make_filing):
    make_filing(unit, YEAR, planned="80000.00", reserved="24000.00")
    draft = start_change(manager, unit, YEAR, today=TODAY)
    assert start_change(manager, unit, YEAR, today=TODAY) is draft  # a second click changes nothing
    assert filings() == [
        (1, FilingStatus.approved, Decimal("80000.00"), Decimal("24000.00")),
        (2, FilingStatus.draft, Decimal("80000.00"), Decimal("24000.00")),
    ]
    submit(manager, unit, YEAR, own(planned="90000.00", reserved="27000.00"), today=TODAY, based_on=2)
    assert filings()[-1] == (2, FilingStatus.submitted, Decimal("90000.00"), Decimal("27000.00"))
    assert actions() == ["quota_filing.change", "quota_filing.submit"]


def test_a_returned_version_is_refiled_as_a_new_version(manager, unit, make_filing):
    make_filing(unit, YEAR, status=FilingStatus.returned)
    submit(manager, unit, YEAR, own(reserved="35000.00"), today=TODAY, based_on=1)
    assert [row[:2] for row in filings()] == [(1, FilingStatus.returned), (2, FilingStatus.submitted)]


def test_a_change_of_a_version_under_review_or_of_nothing_is_refused(manager, unit, make_filing):
    with pytest.raises(FilingError):
        start_change(manager, unit, YEAR, today=TODAY)
    make_filing(unit, YEAR, status=FilingStatus.submitted)
    with pytest.raises(FilingError):
        start_change(manager, unit, YEAR, today=TODAY)
    assert len(filings()) == 1
