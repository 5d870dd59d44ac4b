"""What the supplier pages show, and to whom: scope, masking, the list, the home panels, the history and the
questions before a destructive step."""

import pytest

from accounts import suppliers as supplier_services
from accounts.models import (
    Role,
    Supplier,
    SupplierStatus,
)
from shop.extensions import db
from tests.conftest import region
from tests.suppliers.support import county_id


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


def test_home_panels_show_the_waiting_suppliers(client, login_as, users, applicant):
    supplier, account = applicant
    login_as(users[Role.finance])
    assert supplier.name in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login_as(account)
    assert client.get("/").status_code == 200
    supplier_services.apply_transition(users[Role.finance], supplier, "recommend")
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


def test_a_supplier_reads_which_role_acted_but_not_the_reviewers_name(
    client, login_as, users, make_user, applicant
):
    supplier, account = applicant
    reviewer = make_user(Role.finance, "xingxian_cz", region=region("141123"), name="审核员甲")
    supplier_services.apply_transition(reviewer, supplier, "reject", "材料不全")
    db.session.commit()
    login_as(account)
    page = client.get("/suppliers/mine").get_data(as_text=True)
    assert "材料不全" in page and "审核员甲" not in page
    client.post("/logout")
    login_as(users[Role.operator])
    assert "审核员甲" in client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)


@pytest.mark.parametrize("status", list(SupplierStatus))
def test_the_reason_is_shown_only_while_rejected_or_suspended(status):
    supplier = Supplier(status=status, status_reason="原因")
    shown = supplier_services.shown_reason(supplier)
    assert shown == ("原因" if status in (SupplierStatus.rejected, SupplierStatus.suspended) else None)


def test_reject_and_suspend_ask_first_without_a_script(client, login_as, users, applicant, make_supplier):
    supplier, _account = applicant
    login_as(users[Role.finance])
    page = client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    reject = f'<form method="post" action="/suppliers/{supplier.id}/reject">'
    assert reject in page and 'class="confirm"' in page.split(reject)[0].rsplit("<details", 1)[1]
    assert 'name="reason"' in page.split(reject)[1].split("</form>")[0]
    recommend = f'<form method="post" action="/suppliers/{supplier.id}/recommend" class="inline">'
    assert recommend in page  # a step forward needs no question
    client.post("/logout")
    login_as(users[Role.operator])
    admitted = make_supplier(status=SupplierStatus.admitted)
    page = client.get(f"/suppliers/{admitted.id}").get_data(as_text=True)
    suspend = f'<form method="post" action="/suppliers/{admitted.id}/suspend">'
    assert suspend in page and "<details" in page.split(suspend)[0]
    assert "<script" not in page and "onclick" not in page


def test_a_refusal_names_the_status_by_its_label(client, login_as, users, applicant):
    supplier, _account = applicant
    login_as(users[Role.operator])
    client.post("/lang/en")
    page = client.post(f"/suppliers/{supplier.id}/admit", follow_redirects=True).get_data(as_text=True)
    assert "is now “Applied”: this step is not possible." in page
