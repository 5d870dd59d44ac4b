"""The audit log reader: who may read what, filters, paging, export, and that the log is append-only."""

import csv
import io
import re
from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError, IntegrityError, ProgrammingError

from accounts import audit, policy
from accounts.models import AuditEntry, RegionLevel, Role
from accounts.views import audit as audit_views
from shop.extensions import db
from tests.conftest import region


@pytest.fixture
def other_city(make_region):
    """A second city in the province, outside the finance user's subtree (its city is 141100)."""
    return make_region("141000", "临汾市", RegionLevel.city, region("140000"))


def entry(actor, action, obj=None, at=None, **details) -> AuditEntry:
    """An audit entry, flushed; ``at`` (naive UTC) is set before the insert, never updated."""
    row = audit.record(actor, action, obj, **details)
    if at is not None:
        row.at = at
    db.session.flush()
    return row


def markers(response) -> set[str]:
    """The ``marker`` details shown on a list page (each test entry carries a unique one)."""
    return set(re.findall(r"M-[a-z0-9-]+", response.get_data(as_text=True)))


def visible_ids(user) -> set[int]:
    scope = policy.audit_scope(user)
    query = select(AuditEntry.id)
    if scope is not None:
        query = query.where(scope)
    return set(db.session.scalars(query))


# --- who may read -------------------------------------------------------------------------------------------


def test_operator_reads_every_entry(users, other_city, make_unit, make_user, login_as):
    elsewhere = make_user(Role.unit_manager, unit=make_unit(region_code="141000"))
    entry(users[Role.purchaser], "test.one", marker="M-here")
    entry(elsewhere, "test.two", marker="M-elsewhere")
    entry(None, "test.three", marker="M-system")
    response = login_as(users[Role.operator]).get("/audit/")
    assert response.status_code == 200
    assert {"M-here", "M-elsewhere", "M-system"} <= markers(response)


def test_finance_reads_only_its_subtree(users, other_city, make_unit, make_user, make_supplier, login_as):
    finance = users[Role.finance]  # the city 141100
    operator = users[Role.operator]
    county_finance = make_user(Role.finance, region=region("141124"))
    unit_elsewhere = make_unit(region_code="141000")
    elsewhere = make_user(Role.unit_manager, unit=unit_elsewhere)
    supplier = users[Role.supplier].supplier  # in the poverty county 141123
    shown = {
        entry(users[Role.unit_manager], "test.a", marker="M-unit-actor").id,
        entry(users[Role.supplier], "test.b", marker="M-supplier-actor").id,
        entry(county_finance, "test.c", marker="M-county-finance-actor").id,
        entry(operator, "test.d", supplier, marker="M-supplier-object").id,
        entry(operator, "test.e", users[Role.purchaser].unit, marker="M-unit-object").id,
        entry(None, "account.lock", users[Role.purchaser], marker="M-user-object").id,
    }
    hidden = {
        entry(elsewhere, "test.f", marker="M-actor-elsewhere").id,
        entry(operator, "test.g", unit_elsewhere, marker="M-unit-elsewhere").id,
        entry(operator, "test.h", elsewhere, marker="M-user-elsewhere").id,
        entry(operator, "test.i", make_supplier(region_code="141000"), marker="M-supplier-elsewhere").id,
        entry(None, "test.j", marker="M-system").id,
    }
    assert shown <= visible_ids(finance)
    assert not hidden & visible_ids(finance)
    assert shown | hidden <= visible_ids(operator)

    response = login_as(finance).get("/audit/")
    assert response.status_code == 200
    seen = markers(response)
    assert {"M-unit-actor", "M-supplier-actor", "M-county-finance-actor", "M-supplier-object"} <= seen
    assert {"M-unit-object", "M-user-object"} <= seen
    assert not seen & {"M-actor-elsewhere", "M-unit-elsewhere", "M-user-elsewhere", "M-supplier-elsewhere"}
    assert "M-system" not in seen


def test_a_county_finance_does_not_read_its_city(users, make_user, login_as):
    county_finance = make_user(Role.finance, region=region("141124"))
    entry(users[Role.finance], "test.city", marker="M-city-finance")
    response = login_as(county_finance).get("/audit/")
    assert "M-city-finance" not in markers(response)


@pytest.mark.parametrize("role", [Role.purchaser, Role.unit_manager, Role.supplier])
def test_other_roles_are_refused(users, login_as, role):
    client = login_as(users[role])
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert policy.audit_scope(users[role]) is not None
    assert visible_ids(users[role]) == set()


def test_anonymous_is_sent_to_login(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- filters and paging ------------------------------------------------------------------------------------


@pytest.fixture
def sample(users, make_supplier):
    operator, manager = users[Role.operator], users[Role.unit_manager]
    supplier = users[Role.supplier].supplier
    entry(manager, "account.create", users[Role.purchaser], marker="M-create")
    entry(operator, "supplier.admit", supplier, marker="M-admit")
    entry(operator, "supplier.suspend", supplier, marker="M-suspend")
    entry(operator, "supplier.admit", make_supplier(), marker="M-admit-other")
    entry(operator, "supplieradmin.x", marker="M-not-a-supplier-action")
    # 17:00 UTC on 1 March is 01:00 on 2 March in Beijing.
    entry(manager, "account.login", at=datetime(2024, 3, 1, 17, 0), marker="M-march-2")
    entry(manager, "account.login", at=datetime(2024, 3, 1, 15, 59), marker="M-march-1")
    return supplier


def _filtered(client, **args) -> set[str]:
    response = client.get("/audit/", query_string=args)
    assert response.status_code == 200
    return markers(response)


def test_filter_by_exact_action(users, sample, login_as):
    client = login_as(users[Role.operator])
    assert _filtered(client, action="supplier.admit") == {"M-admit", "M-admit-other"}


def test_filter_by_action_prefix(users, sample, login_as):
    client = login_as(users[Role.operator])
    assert _filtered(client, action="supplier.") == {"M-admit", "M-suspend", "M-admit-other"}
    assert _filtered(client, action="supplier.*") == {"M-admit", "M-suspend", "M-admit-other"}
    # "%" and "_" are literal: a LIKE wildcard typed by the user matches nothing.
    assert _filtered(client, action="supplier%.") == set()


def test_filter_by_actor(users, sample, login_as):
    client = login_as(users[Role.operator])
    assert _filtered(client, actor="MANAGER") == {"M-create", "M-march-1", "M-march-2"}
    assert _filtered(client, actor="nobody") == set()


def test_filter_by_object(users, sample, login_as):
    client = login_as(users[Role.operator])
    assert _filtered(client, object_type="supplier", object_id=sample.id) == {"M-admit", "M-suspend"}
    assert _filtered(client, object_type="user_account") == {"M-create"}


def test_filter_by_beijing_dates(users, sample, login_as):
    client = login_as(users[Role.operator])
    assert _filtered(client, date_from="2024-03-02", date_to="2024-03-02") == {"M-march-2"}
    assert _filtered(client, date_from="2024-03-01", date_to="2024-03-01") == {"M-march-1"}
    assert "M-create" in _filtered(client, date_from="2024-03-02")
    assert _filtered(client, date_to="2024-03-02") == {"M-march-1", "M-march-2"}


def test_bad_filters_are_refused_naming_the_field(users, sample, login_as):
    client = login_as(users[Role.operator])
    client.post("/lang/en")
    backwards = client.get("/audit/", query_string={"date_from": "2024-03-02", "date_to": "2024-03-01"})
    assert backwards.status_code == 400
    assert "The end date is before the start date." in backwards.get_data(as_text=True)
    assert not markers(backwards)
    not_a_number = client.get("/audit/", query_string={"object_id": "abc"})
    assert not_a_number.status_code == 400
    assert client.get("/audit/export.csv", query_string={"date_from": "junk"}).status_code == 400


def test_known_actions_are_named_and_unknown_ones_shown_raw(users, sample, login_as):
    client = login_as(users[Role.operator])
    client.post("/lang/en")
    page = client.get("/audit/").get_data(as_text=True)
    assert "Supplier admitted" in page
    assert "supplieradmin.x" in page


def test_pages_go_back_by_id_and_keep_the_filters(users, login_as, monkeypatch):
    monkeypatch.setattr(audit_views, "PAGE_SIZE", 2)
    operator = users[Role.operator]
    for number in range(5):
        entry(operator, "test.page", marker=f"M-page-{number}")
    entry(operator, "test.other", marker="M-other")
    client = login_as(operator)
    first = client.get("/audit/", query_string={"action": "test.page"})
    assert markers(first) == {"M-page-4", "M-page-3"}
    link = re.search(r'href="(/audit/\?[^"]*before=[^"]*)"', first.get_data(as_text=True)).group(1)
    second = client.get(link.replace("&amp;", "&"))
    assert markers(second) == {"M-page-2", "M-page-1"}
    assert "action=test.page" in link


@pytest.mark.parametrize("role", [Role.operator, Role.finance])
def test_the_list_runs_a_constant_number_of_queries(
    users, make_user, make_unit, login_as, count_queries, role
):
    client = login_as(users[role])

    def queries_for_page() -> int:
        with count_queries() as queries:
            assert client.get("/audit/").status_code == 200
        return len(queries)

    unit = users[Role.purchaser].unit
    for _ in range(2):
        entry(make_user(Role.purchaser, unit=unit), "test.count", unit)
    few = queries_for_page()
    for _ in range(13):
        entry(make_user(Role.purchaser, unit=make_unit()), "test.count", unit)
    assert queries_for_page() == few


# --- export ------------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_is_csv_with_bom_filtered_and_audited(users, sample, login_as):
    operator = users[Role.operator]
    client = login_as(operator)
    response = client.get("/audit/export.csv", query_string={"action": "supplier."})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert len(rows) == 1 + 3
    assert {row[4] for row in rows[1:]} == {"supplier.admit", "supplier.suspend"}
    assert rows[1][2] == "operator"
    assert any("M-admit" in row[8] for row in rows[1:])
    exports = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "audit.export")).all()
    assert [(e.actor_id, e.details["filters"]) for e in exports] == [(operator.id, {"action": "supplier."})]


def test_export_keeps_chinese_and_defuses_formulas(users, login_as):
    entry(users[Role.operator], "test.cells", note="=HYPERLINK(1)", name="吕梁市教育局")
    client = login_as(users[Role.operator])
    rows = _csv(client.get("/audit/export.csv", query_string={"action": "test.cells"}))
    assert "name: 吕梁市教育局" in rows[1][8]
    assert "note: =HYPERLINK(1)" in rows[1][8]  # not at the start of the cell: inert
    entry(users[Role.operator], "=cmd", marker="M-formula")
    rows = _csv(client.get("/audit/export.csv", query_string={"action": "=cmd"}))
    assert rows[1][4] == "'=cmd"


def test_finance_export_is_scoped(users, other_city, make_unit, make_user, login_as):
    entry(make_user(Role.unit_manager, unit=make_unit(region_code="141000")), "test.x", marker="M-elsewhere")
    entry(users[Role.unit_manager], "test.x", marker="M-here")
    rows = _csv(login_as(users[Role.finance]).get("/audit/export.csv", query_string={"action": "test.x"}))
    assert [row[8] for row in rows[1:]] == ["marker: M-here"]


def test_export_is_capped(users, login_as, monkeypatch):
    monkeypatch.setattr(audit_views, "EXPORT_MAX_ROWS", 5)
    monkeypatch.setattr(audit_views, "EXPORT_BATCH", 2)  # several batches, the last one partly used
    for number in range(8):
        entry(users[Role.operator], "test.cap", marker=f"M-{number}")
    client = login_as(users[Role.operator])
    client.post("/lang/en")
    rows = _csv(client.get("/audit/export.csv", query_string={"action": "test.cap"}))
    assert [row[8] for row in rows[1:6]] == [f"marker: M-{number}" for number in (7, 6, 5, 4, 3)]
    assert rows[6] == ["Only the newest 5 entries are exported."]
    assert len(rows) == 7
    empty = _csv(client.get("/audit/export.csv", query_string={"action": "test.cap", "object_type": "none"}))
    assert len(empty) == 1  # only the header


# --- append-only -------------------------------------------------------------------------------------------


def _refused_error():
    """SQLite's RAISE(ABORT) is a constraint error; PostgreSQL's RAISE EXCEPTION (SQLSTATE P0001) reaches
    SQLAlchemy as psycopg's RaiseException, a ProgrammingError. Both are DatabaseErrors."""
    return IntegrityError if db.engine.dialect.name == "sqlite" else ProgrammingError


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entry SET action = 'forged' WHERE id = :id", "DELETE FROM audit_entry WHERE id = :id"],
)
def test_the_database_refuses_to_change_an_entry(users, statement):
    row = entry(users[Role.operator], "test.keep", marker="M-keep")
    with pytest.raises(DatabaseError) as refused, db.session.begin_nested():
        db.session.execute(text(statement), {"id": row.id})
    assert isinstance(refused.value, _refused_error())
    assert "append-only" in str(refused.value)
    assert db.session.execute(
        text("SELECT action FROM audit_entry WHERE id = :id"), {"id": row.id}
    ).scalar() == ("test.keep")


def test_the_orm_refuses_to_change_or_delete_an_entry(users):
    row = entry(users[Role.operator], "test.keep")
    with pytest.raises(RuntimeError, match="append-only"), db.session.begin_nested():
        row.action = "forged"
        db.session.flush()
    with pytest.raises(RuntimeError, match="append-only"), db.session.begin_nested():
        db.session.delete(row)
        db.session.flush()
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.id == row.id)) == "test.keep"


# --- the page in the user's language -----------------------------------------------------------------------


def test_a_filter_error_is_in_the_users_language(users, login_as):
    from babel.support import Translations
    from wtforms.i18n import messages_path

    chinese = Translations.load(messages_path(), ["zh"], domain="wtforms").gettext(
        "Not a valid integer value."
    )
    assert chinese != "Not a valid integer value."
    client = login_as(users[Role.operator])  # Chinese by default
    page = client.get("/audit/", query_string={"object_id": "abc"})
    assert page.status_code == 400
    assert chinese in page.get_data(as_text=True)
    assert page.get_data(as_text=True).count('<small class="error">') == 1  # not also "at least 1"
    client.post("/lang/en")
    assert "Not a valid integer value." in client.get("/audit/?object_id=abc").get_data(as_text=True)


def test_details_show_their_names_and_the_labels_of_roles_and_statuses(users, login_as):
    supplier = users[Role.supplier].supplier
    entry(users[Role.operator], "supplier.admit", supplier, from_status="recommended", to_status="admitted")
    entry(
        users[Role.unit_manager], "account.create", users[Role.purchaser], username="buyer", role="purchaser"
    )
    entry(users[Role.operator], "region.poverty_flag", region("141123"), code="141123", poverty=True)
    client = login_as(users[Role.operator])
    client.post("/lang/en")
    page = client.get("/audit/").get_data(as_text=True)
    assert '<span class="muted">Previous status:</span> Recommended' in page
    assert '<span class="muted">New status:</span> Admitted' in page
    assert '<span class="muted">Role:</span> Purchaser' in page
    assert '<span class="muted">Poverty county:</span> Yes' in page
    export = _csv(client.get("/audit/export.csv", query_string={"action": "supplier.admit"}))
    assert "from_status: recommended" in export[1][8]  # the export keeps the stored values


def test_the_action_and_object_type_filters_are_lists_of_named_choices(users, login_as):
    client = login_as(users[Role.operator])
    client.post("/lang/en")
    page = client.get("/audit/", query_string={"action": "test.custom"}).get_data(as_text=True)
    actions = page.split('<select id="action" name="action">')[1].split("</select>")[0]
    assert '<option value="supplier.">Every supplier action</option>' in actions
    assert '<option value="supplier.admit">Supplier admitted</option>' in actions
    assert '<option selected value="test.custom">test.custom</option>' in actions  # kept from the link
    objects = page.split('<select id="object_type" name="object_type">')[1].split("</select>")[0]
    assert '<option value="budget_unit">Budget unit</option>' in objects


# --- the objects' names ------------------------------------------------------------------------------------


def test_entries_name_their_objects_and_link_to_their_pages(users, login_as):
    unit, supplier = users[Role.purchaser].unit, users[Role.supplier].supplier
    operator = users[Role.operator]
    entry(operator, "test.unit", unit)
    entry(operator, "test.supplier", supplier)
    entry(operator, "test.user", users[Role.purchaser])
    entry(operator, "test.region", region("141123"))
    page = login_as(operator).get("/audit/").get_data(as_text=True)
    assert f'<a href="/units/{unit.id}">{unit.name}</a>' in page
    assert f'<a href="/suppliers/{supplier.id}">{supplier.name}</a>' in page
    assert f"{users[Role.purchaser].name} (buyer)" in page
    assert "141123 兴县" in page


def test_finance_reads_no_name_of_an_object_outside_its_subtree(users, other_city, make_unit, login_as):
    elsewhere = make_unit("临汾市不可见局", region_code="141000")
    entry(users[Role.unit_manager], "test.outside", elsewhere, marker="M-outside")  # the actor is in scope
    response = login_as(users[Role.finance]).get("/audit/")
    assert "M-outside" in markers(response)
    assert "临汾市不可见局" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.operator, Role.finance])
def test_naming_the_objects_takes_one_query_per_object_type_whatever_the_rows(
    users, make_user, make_unit, make_supplier, login_as, count_queries, role
):
    client = login_as(users[role])
    operator = users[Role.operator]

    def entries_about_every_type() -> None:
        unit = make_unit()
        entry(operator, "test.names", unit)
        entry(operator, "test.names", make_supplier())
        entry(operator, "test.names", make_user(Role.purchaser, unit=unit))
        entry(operator, "test.names", region("141124"))

    def queries_for_page() -> int:
        with count_queries() as queries:
            assert client.get("/audit/", query_string={"action": "test.names"}).status_code == 200
        return len(queries)

    entries_about_every_type()
    few = queries_for_page()
    for _ in range(4):
        entries_about_every_type()
    assert queries_for_page() == few
