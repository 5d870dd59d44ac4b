"""Supplier registration and admission: applied → recommended → admitted, rejected, suspended."""

import pytest
from sqlalchemy import func, select

from accounts import suppliers as supplier_services
from accounts.models import (
    AuditEntry,
    Notice,
    RegionLevel,
    Role,
    Supplier,
    SupplierKind,
    SupplierStatus,
    User,
)
from accounts.suppliers import SupplierError, SupplierFacts
from shop.extensions import db
from tests.conftest import PASSWORD, region, valid_credit_code


def county_id(code: str) -> int:
    return region(code).id


def registration(**changes) -> dict:
    """A complete, valid registration form."""
    data = {
        "name": "兴县红枣专业合作社",
        "kind": "coop",
        "credit_code": valid_credit_code("93141123"),
        "region_id": str(county_id("141123")),
        "contact_name": "李四",
        "contact_phone": "13912345678",
        "bank_name": "兴县农商银行",
        "bank_account": "6217 0000 1234 5678",
        "households": "35",
        "username": "hongzao",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    data.update(changes)
    return data


def facts(**changes) -> SupplierFacts:
    data = registration(**changes)
    return SupplierFacts(
        name=data["name"],
        kind=data["kind"],
        credit_code=data["credit_code"],
        region_id=int(data["region_id"]),
        contact_name=data["contact_name"],
        contact_phone=data["contact_phone"],
        bank_name=data["bank_name"],
        bank_account=data["bank_account"],
        households=int(data["households"]),
    )


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(Supplier.id))),
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(AuditEntry.id))),
    )


def notices_of(user: User) -> list[Notice]:
    return db.session.scalars(select(Notice).where(Notice.user_id == user.id)).all()


def actions_on(supplier: Supplier) -> list[str]:
    return [entry.action for entry in supplier_services.status_history(supplier)]


@pytest.fixture
def applicant(app, city):
    """A freshly registered supplier (status applied) in 兴县 and its account."""
    with app.test_request_context():
        supplier, user = supplier_services.register_supplier(facts(), username="hongzao", password=PASSWORD)
    db.session.commit()  # a view's rollback must not take the fixture's rows with it
    return supplier, user


# --- registration ------------------------------------------------------------------------------------------


def test_registration_creates_an_applied_supplier_logs_it_in_and_tells_the_county_finance(
    client, users, make_user
):
    county_finance = make_user(Role.finance, "xingxian", region=region("141123"))
    other_county_finance = make_user(Role.finance, "linxian", region=region("141124"))
    response = client.post("/suppliers/register", data=registration())
    assert response.status_code == 302
    assert response.headers["Location"] == "/suppliers/mine"
    supplier = db.session.scalar(select(Supplier).where(Supplier.name == "兴县红枣专业合作社"))
    assert supplier.status == SupplierStatus.applied
    assert supplier.kind == SupplierKind.coop
    assert supplier.bank_account == "6217000012345678"
    assert supplier.households == 35
    user = db.session.scalar(select(User).where(User.username == "hongzao"))
    assert user.role == Role.supplier and user.supplier_id == supplier.id
    assert user.is_activated and not user.must_change_password
    assert actions_on(supplier) == ["supplier.apply"]
    # The city's and the county's finance bureaus are told; another county's is not.
    assert len(notices_of(users[Role.finance])) == 1
    assert notices_of(county_finance)[0].link == f"/suppliers/{supplier.id}"
    assert notices_of(other_county_finance) == []
    assert client.get("/suppliers/mine").status_code == 200


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"region_id": "141102"}, id="non-poverty county"),
        pytest.param({"region_id": "999999"}, id="unknown county"),
        pytest.param({"region_id": "141100"}, id="a city, not a county"),
        pytest.param({"credit_code": "93141123000000001X"}, id="bad credit code"),
        pytest.param({"contact_phone": "12345"}, id="bad phone"),
        pytest.param({"bank_account": "12ab5678"}, id="bank account not digits"),
        pytest.param({"bank_account": "1234567"}, id="bank account too short"),
        pytest.param({"households": "-1"}, id="negative households"),
        pytest.param({"kind": "trader"}, id="unknown kind"),
        pytest.param({"password": "short", "confirm": "short"}, id="weak password"),
        pytest.param({"confirm": "Other-pass-456"}, id="passwords differ"),
    ],
)
def test_refused_registration_creates_nothing(client, users, changes):
    if changes.get("region_id") in ("141102", "141100"):
        changes = {"region_id": str(county_id(changes["region_id"]))}
    db.session.commit()
    before = counts()
    response = client.post("/suppliers/register", data=registration(**changes))
    assert response.status_code == 200
    assert counts() == before
    assert db.session.scalar(select(Notice.id)) is None


def test_registration_in_a_non_poverty_county_is_refused(app, city):
    with app.test_request_context(), pytest.raises(SupplierError) as refused:
        supplier_services.register_supplier(
            facts(region_id=str(county_id("141102"))), username="hongzao", password=PASSWORD
        )
    assert refused.value.field == "region_id"


def test_bad_credit_code_is_refused_with_a_message_naming_the_field(client, city):
    db.session.commit()
    client.post("/lang/en")
    response = client.post("/suppliers/register", data=registration(credit_code="93141123000000001X"))
    assert "unified social credit code 93141123000000001X is not valid" in response.get_data(as_text=True)
    assert db.session.scalar(select(Supplier.id)) is None


def test_duplicate_credit_code_is_refused(client, make_supplier):
    taken = make_supplier().credit_code
    db.session.commit()
    before = counts()
    response = client.post("/suppliers/register", data=registration(credit_code=taken.lower()))
    assert response.status_code == 200
    assert counts() == before


def test_duplicate_username_is_refused(client, users):
    db.session.commit()
    before = counts()
    response = client.post("/suppliers/register", data=registration(username="FINANCE"))
    assert response.status_code == 200
    assert counts() == before


def test_county_choices_list_only_poverty_counties(client, city):
    page = client.get("/suppliers/register").get_data(as_text=True)
    assert f'value="{county_id("141123")}"' in page
    assert f'value="{county_id("141124")}"' in page
    assert f'value="{county_id("141102")}"' not in page


# --- the admission path ------------------------------------------------------------------------------------


def test_full_path_applied_recommended_admitted_with_notices_and_audit(client, login_as, users, applicant):
    supplier, account = applicant
    assert not supplier.can_list_products
    login_as(users[Role.finance])
    assert client.post(f"/suppliers/{supplier.id}/recommend").status_code == 302
    assert db.session.get(Supplier, supplier.id).status == SupplierStatus.recommended
    assert len(notices_of(users[Role.operator])) == 1
    client.post("/logout")
    login_as(users[Role.operator])
    assert client.post(f"/suppliers/{supplier.id}/admit").status_code == 302
    supplier = db.session.get(Supplier, supplier.id)
    assert supplier.status == SupplierStatus.admitted
    assert supplier.recommended_at is not None and supplier.admitted_at is not None
    assert supplier.can_list_products
    assert actions_on(supplier) == ["supplier.admit", "supplier.recommend", "supplier.apply"]
    admit = supplier_services.status_history(supplier)[0]
    assert admit.actor_id == users[Role.operator].id
    assert admit.details["from_status"] == "recommended" and admit.details["to_status"] == "admitted"
    assert len(notices_of(account)) == 2  # recommended, admitted


def test_finance_of_another_city_cannot_see_or_recommend(client, login_as, make_user, make_region, applicant):
    supplier, _account = applicant
    other_city = make_region("141000", "临汾市", level=RegionLevel.city, parent=region("140000"))
    stranger = make_user(Role.finance, "linfen", region=other_city)
    login_as(stranger)
    assert client.get(f"/suppliers/{supplier.id}").status_code == 404
    assert client.post(f"/suppliers/{supplier.id}/recommend").status_code == 404
    assert supplier.name not in client.get("/suppliers/").get_data(as_text=True)
    with pytest.raises(SupplierError):
        supplier_services.recommend(stranger, supplier)
    assert db.session.get(Supplier, supplier.id).status == SupplierStatus.applied


def test_operator_cannot_admit_a_supplier_not_yet_recommended(client, login_as, users, applicant):
    supplier, _account = applicant
    login_as(users[Role.operator])
    client.post("/lang/en")
    response = client.post(f"/suppliers/{supplier.id}/admit", follow_redirects=True)
    assert "this step is not possible" in response.get_data(as_text=True)
    assert db.session.get(Supplier, supplier.id).status == SupplierStatus.applied
    assert actions_on(supplier) == ["supplier.apply"]


def test_transitions_are_post_only_and_unknown_steps_are_404(client, login_as, users, applicant):
    supplier, _account = applicant
    login_as(users[Role.operator])
    assert client.get(f"/suppliers/{supplier.id}/admit").status_code == 405
    assert client.post(f"/suppliers/{supplier.id}/delete").status_code == 404


def test_supplier_cannot_take_admission_steps(client, login_as, applicant):
    supplier, account = applicant
    login_as(account)
    assert client.post(f"/suppliers/{supplier.id}/recommend").status_code == 403
    with pytest.raises(SupplierError):
        supplier_services.admit(account, supplier)


def test_reject_requires_a_reason(client, login_as, users, applicant):
    supplier, account = applicant
    with pytest.raises(SupplierError):
        supplier_services.reject(users[Role.finance], supplier, reason="  ")
    login_as(users[Role.finance])
    client.post(f"/suppliers/{supplier.id}/reject", data={"reason": ""})
    assert db.session.get(Supplier, supplier.id).status == SupplierStatus.applied
    client.post(f"/suppliers/{supplier.id}/reject", data={"reason": "营业执照照片不清晰"})
    supplier = db.session.get(Supplier, supplier.id)
    assert supplier.status == SupplierStatus.rejected
    assert supplier.status_reason == "营业执照照片不清晰"
    assert notices_of(account)[-1].params["reason"] == "营业执照照片不清晰"


def test_finance_may_reject_only_an_applied_supplier_the_operator_also_a_recommended_one(users, applicant):
    supplier, _account = applicant
    supplier_services.recommend(users[Role.finance], supplier)
    with pytest.raises(SupplierError):
        supplier_services.reject(users[Role.finance], supplier, reason="重复申请")
    supplier_services.reject(users[Role.operator], supplier, reason="重复申请")
    assert supplier.status == SupplierStatus.rejected


def test_suspend_needs_a_reason_and_reinstate_restores_admission(users, make_supplier, make_user):
    operator = users[Role.operator]
    supplier = make_supplier(status=SupplierStatus.admitted)
    account = make_user(Role.supplier, supplier=supplier)
    with pytest.raises(SupplierError):
        supplier_services.suspend(operator, supplier)
    supplier_services.suspend(operator, supplier, reason="食品安全抽检不合格")
    assert supplier.status == SupplierStatus.suspended and not supplier.can_list_products
    with pytest.raises(SupplierError):
        supplier_services.suspend(operator, supplier, reason="again")
    supplier_services.reinstate(operator, supplier)
    assert supplier.status == SupplierStatus.admitted and supplier.status_reason is None
    assert actions_on(supplier) == ["supplier.reinstate", "supplier.suspend"]
    assert len(notices_of(account)) == 2


def test_rejected_supplier_corrects_and_resubmits(client, login_as, users, applicant):
    supplier, account = applicant
    supplier_services.reject(users[Role.finance], supplier, reason="开户行填写有误")
    login_as(account)
    page = client.get("/suppliers/mine").get_data(as_text=True)
    assert "开户行填写有误" in page and 'action="/suppliers/mine/resubmit"' in page
    data = registration(bank_name="兴县农村信用合作联社", credit_code=supplier.credit_code)
    response = client.post("/suppliers/mine/resubmit", data=data)
    assert response.status_code == 302
    supplier = db.session.get(Supplier, supplier.id)
    assert supplier.status == SupplierStatus.applied and supplier.status_reason is None
    assert supplier.bank_name == "兴县农村信用合作联社"
    resubmit = supplier_services.status_history(supplier)[0]
    assert resubmit.action == "supplier.resubmit" and resubmit.details["changed"] == ["bank_name"]
    assert len(notices_of(users[Role.finance])) == 2  # the application, then the resubmission


def test_only_a_rejected_supplier_may_resubmit(client, login_as, applicant):
    supplier, account = applicant
    login_as(account)
    response = client.post("/suppliers/mine/resubmit", data=registration(name="改名"))
    assert response.status_code == 200
    assert db.session.get(Supplier, supplier.id).name == "兴县红枣专业合作社"
    assert "supplier.resubmit" not in actions_on(supplier)


# --- who sees what -----------------------------------------------------------------------------------------


def test_supplier_sees_only_itself(client, login_as, users, applicant):
    supplier, account = applicant
    other = users[Role.supplier].supplier
    login_as(account)
    assert client.get(f"/suppliers/{supplier.id}").status_code == 200
    assert client.get(f"/suppliers/{other.id}").status_code == 404
    assert client.get("/suppliers/").status_code == 403
    page = client.get("/suppliers/mine").get_data(as_text=True)
    assert supplier.credit_code in page and other.credit_code not in page


def test_bank_account_is_masked_except_for_the_operator(client, login_as, users, applicant):
    supplier, _account = applicant
    login_as(users[Role.finance])
    assert supplier.bank_account not in client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    client.post("/logout")
    login_as(users[Role.operator])
    assert supplier.bank_account in client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)


def test_list_filters_by_status_county_and_text_and_masks_phones(client, login_as, users, make_supplier):
    login_as(users[Role.finance])
    make_supplier("兴县小米合作社", status=SupplierStatus.applied)
    make_supplier("临县核桃公司", region_code="141124", status=SupplierStatus.admitted)
    page = client.get("/suppliers/").get_data(as_text=True)
    assert "兴县小米合作社" in page and "临县核桃公司" in page
    assert "13800138000" not in page and "138****8000" in page
    applied = client.get("/suppliers/?status=applied").get_data(as_text=True)
    assert "兴县小米合作社" in applied and "临县核桃公司" not in applied
    in_linxian = client.get(f"/suppliers/?county={county_id('141124')}").get_data(as_text=True)
    assert "兴县小米合作社" not in in_linxian and "临县核桃公司" in in_linxian
    searched = client.get("/suppliers/?q=核桃").get_data(as_text=True)
    assert "兴县小米合作社" not in searched and "临县核桃公司" in searched


def test_list_pages_with_a_next_link(client, login_as, users, make_supplier, monkeypatch):
    from accounts.views import suppliers as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [make_supplier(f"翻页供应商{n}") for n in range(3)]
    login_as(users[Role.operator])
    first = client.get("/suppliers/?q=翻页").get_data(as_text=True)
    assert made[2].name in first and made[1].name in first and made[0].name not in first
    assert f"before={made[1].id}" in first
    second = client.get(f"/suppliers/?q=翻页&before={made[1].id}").get_data(as_text=True)
    assert made[0].name in second and made[1].name not in second


@pytest.mark.parametrize("role", [Role.finance, Role.operator])
def test_list_query_count_is_constant(client, login_as, users, make_supplier, count_queries, role):
    login_as(users[role])
    make_supplier()

    def queries_for_list() -> int:
        with count_queries() as queries:
            assert client.get("/suppliers/").status_code == 200
        return len(queries)

    queries_for_list()  # warm up: the first request loads the viewer's own rows into the session
    few = queries_for_list()
    for n in range(14):
        make_supplier(region_code="141124" if n % 2 else "141123")
    assert queries_for_list() == few


# --- home panels and the rule for listing products ---------------------------------------------------------


def test_home_panels_show_the_waiting_suppliers(client, login_as, users, applicant):
    supplier, account = applicant
    login_as(users[Role.finance])
    assert supplier.name in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login_as(account)
    assert client.get("/").status_code == 200
    supplier_services.recommend(users[Role.finance], supplier)
    client.post("/logout")
    login_as(users[Role.operator])
    assert supplier.name in client.get("/").get_data(as_text=True)


def test_supplier_panel_counts_nothing_once_admitted(app, users, applicant):
    from accounts.views.suppliers import your_application

    supplier, account = applicant
    with app.test_request_context():
        assert your_application(account).count == 1
        supplier.status = SupplierStatus.admitted
        assert your_application(account).count == 0


@pytest.mark.parametrize("status", list(SupplierStatus))
def test_can_list_products_only_when_admitted(status):
    assert Supplier(status=status).can_list_products == (status == SupplierStatus.admitted)


def test_the_transition_table_names_who_may_do_what(users, make_supplier):
    finance, operator = users[Role.finance], users[Role.operator]
    applied = make_supplier(status=SupplierStatus.applied)
    assert supplier_services.available_transitions(finance, applied) == ["recommend", "reject"]
    assert supplier_services.available_transitions(operator, applied) == ["reject"]
    admitted = make_supplier(status=SupplierStatus.admitted)
    assert supplier_services.available_transitions(finance, admitted) == []
    assert supplier_services.available_transitions(operator, admitted) == ["suspend"]
