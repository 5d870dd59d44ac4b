"""Admission: applied → recommended → admitted, rejected, suspended, reinstated; who may take which step,
and the county must still be a poverty county."""

import pytest

from accounts import suppliers as supplier_services
from accounts.models import (
    RegionLevel,
    Role,
    Supplier,
    SupplierStatus,
)
from accounts.suppliers import SupplierError
from shop.extensions import db
from tests.conftest import region
from tests.suppliers.support import actions_on, notices_of, registration


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
        supplier_services.apply_transition(stranger, supplier, "recommend")
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
        supplier_services.apply_transition(account, supplier, "admit")


def test_reject_requires_a_reason(client, login_as, users, applicant):
    supplier, account = applicant
    with pytest.raises(SupplierError):
        supplier_services.apply_transition(users[Role.finance], supplier, "reject", "  ")
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
    supplier_services.apply_transition(users[Role.finance], supplier, "recommend")
    with pytest.raises(SupplierError):
        supplier_services.apply_transition(users[Role.finance], supplier, "reject", "重复申请")
    supplier_services.apply_transition(users[Role.operator], supplier, "reject", "重复申请")
    assert supplier.status == SupplierStatus.rejected


def test_suspend_needs_a_reason_and_reinstate_restores_admission(users, make_supplier, make_user):
    operator = users[Role.operator]
    supplier = make_supplier(status=SupplierStatus.admitted)
    account = make_user(Role.supplier, supplier=supplier)
    with pytest.raises(SupplierError):
        supplier_services.apply_transition(operator, supplier, "suspend")
    supplier_services.apply_transition(operator, supplier, "suspend", "食品安全抽检不合格")
    assert supplier.status == SupplierStatus.suspended and not supplier.can_list_products
    with pytest.raises(SupplierError):
        supplier_services.apply_transition(operator, supplier, "suspend", "again")
    supplier_services.apply_transition(operator, supplier, "reinstate")
    assert supplier.status == SupplierStatus.admitted and supplier.status_reason is None
    assert actions_on(supplier) == ["supplier.reinstate", "supplier.suspend"]
    assert len(notices_of(account)) == 2


def test_rejected_supplier_corrects_and_resubmits(client, login_as, users, applicant):
    supplier, account = applicant
    supplier_services.apply_transition(users[Role.finance], supplier, "reject", "开户行填写有误")
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


def test_admission_is_refused_when_the_county_is_no_longer_a_poverty_county(
    client, login_as, users, applicant
):
    supplier, _account = applicant
    supplier_services.apply_transition(users[Role.finance], supplier, "recommend")
    region("141123").is_poverty_county = False
    db.session.commit()
    with pytest.raises(SupplierError) as refused:
        supplier_services.apply_transition(users[Role.operator], supplier, "admit")
    assert "no longer a poverty county" in str(refused.value)
    login_as(users[Role.operator])
    client.post("/lang/en")
    page = client.post(f"/suppliers/{supplier.id}/admit", follow_redirects=True).get_data(as_text=True)
    assert "山西省吕梁市兴县, which is no longer a poverty county" in page
    assert db.session.get(Supplier, supplier.id).status == SupplierStatus.recommended
    assert "supplier.admit" not in actions_on(supplier)


def test_recommendation_is_refused_when_the_county_is_no_longer_a_poverty_county(users, applicant):
    supplier, _account = applicant
    region("141123").is_poverty_county = False
    with pytest.raises(SupplierError):
        supplier_services.apply_transition(users[Role.finance], supplier, "recommend")
    assert supplier.status == SupplierStatus.applied


def test_the_finance_bureau_of_the_county_or_of_a_region_above_it_may_recommend(users, make_user, applicant):
    supplier, _account = applicant
    county_finance = make_user(Role.finance, "xingxian_cz", region=region("141123"))
    assert supplier_services.may_transition(county_finance, supplier, "recommend")
    assert supplier_services.may_transition(users[Role.finance], supplier, "recommend")  # the city's
    neighbour = make_user(Role.finance, "linxian_cz", region=region("141124"))
    assert not supplier_services.may_transition(neighbour, supplier, "recommend")


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
