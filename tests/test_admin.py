"""Account administration (admin.accounts): the operator oversees every account and opens finance bureau
accounts; a finance bureau oversees the unit managers, purchasers and suppliers of its region's subtree.
Both reset passwords (shown once), deactivate and re-enable; never an operator's account, never their own."""

import html
import re

import pytest
from sqlalchemy import select

from accounts import policy
from accounts.models import AuditEntry, Region, RegionLevel, Role, User
from accounts.views import admin as admin_views
from shop.extensions import db
from tests.conftest import PASSWORD, login, region
from tests.people.support import secrets_in


def listed(response) -> list[str]:
    """The usernames of the rows of the account list, in order."""
    return re.findall(r'<tr data-username="([^"]+)">', response.text)


@pytest.fixture
def accounts(users, make_unit, make_supplier, make_user, make_region):
    """Beside ``users`` (all in 吕梁市): a unit in 兴县 with a manager and a purchaser, a supplier account in
    临县, a finance bureau of 兴县, and a unit manager and a supplier in another city."""
    xing_unit = make_unit("兴县教育局", region_code="141123")
    other_city = make_region("140100", "太原市", RegionLevel.city, region("140000"))
    far_county = make_region("140121", "清徐县", RegionLevel.county, other_city, poverty=True)
    return {
        "xing_manager": make_user(Role.unit_manager, "xing_manager", unit=xing_unit, phone="13812345678"),
        "xing_buyer": make_user(Role.purchaser, "xing_buyer", unit=xing_unit),
        "lin_seller": make_user(Role.supplier, "lin_seller", supplier=make_supplier(region_code="141124")),
        "xing_finance": make_user(Role.finance, "xing_finance", region=region("141123")),
        "far_manager": make_user(Role.unit_manager, "far_manager", unit=make_unit("太原市卫健委", "140100")),
        "far_seller": make_user(
            Role.supplier, "far_seller", supplier=make_supplier(region_code=far_county.code)
        ),
    }


# --- who sees which account --------------------------------------------------------------------------------


def test_the_operator_sees_every_account_with_masked_phones(login_as, users, accounts):
    page = login_as(users[Role.operator]).get("/admin/accounts")
    assert page.status_code == 200
    expected = {user.username for user in users.values()} | {user.username for user in accounts.values()}
    assert set(listed(page)) == expected
    assert "138****5678" in page.text and "13812345678" not in page.text


def test_finance_sees_the_managers_purchasers_and_suppliers_of_its_subtree_only(login_as, users, accounts):
    client = login_as(users[Role.finance])
    page = client.get("/admin/accounts")
    assert set(listed(page)) == {"buyer", "manager", "seller", "xing_manager", "xing_buyer", "lin_seller"}
    client.post("/logout")
    county = login_as(accounts["xing_finance"]).get("/admin/accounts")
    assert set(listed(county)) == {"xing_manager", "xing_buyer", "seller"}  # seller's supplier is in 兴县


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"role": "unit_manager"}, {"manager", "xing_manager", "far_manager"}),
        ({"role": "finance"}, {"finance", "xing_finance"}),
        ({"q": "XING_"}, {"xing_manager", "xing_buyer", "xing_finance"}),
        ({"q": "%"}, set()),  # a wildcard is searched as text
        ({"region": "141123"}, {"xing_manager", "xing_buyer", "xing_finance", "seller"}),
        ({"region": "140100"}, {"far_manager", "far_seller"}),
        ({"unit": "nonexistent"}, set()),
        ({"region": "999999"}, set()),
    ],
)
def test_the_list_filters_by_role_text_region_and_unit(login_as, users, accounts, query, expected):
    page = login_as(users[Role.operator]).get("/admin/accounts", query_string=query)
    assert page.status_code == 200
    assert set(listed(page)) == expected


def test_the_unit_filter_lists_one_units_accounts(login_as, users, accounts):
    code = accounts["xing_manager"].unit.code
    page = login_as(users[Role.finance]).get("/admin/accounts", query_string={"unit": code})
    assert set(listed(page)) == {"xing_manager", "xing_buyer"}


def test_an_unknown_region_code_is_named(login_as, users, accounts):
    client = login_as(users[Role.operator])
    client.post("/lang/en")
    assert "No region has the code 999999." in client.get("/admin/accounts?region=999999").text


def test_the_list_pages_with_a_next_link(login_as, users, make_user, monkeypatch):
    monkeypatch.setattr(admin_views, "PAGE_SIZE", 3)
    for number in range(5):
        make_user(Role.purchaser, f"p{number}x", unit=users[Role.purchaser].unit)
    client = login_as(users[Role.operator])
    first = client.get("/admin/accounts", query_string={"q": "x", "role": "purchaser"})
    assert listed(first) == ["p4x", "p3x", "p2x"]
    link = html.unescape(re.search(r'href="(/admin/accounts\?[^"]*before=[^"]*)"', first.text).group(1))
    assert "q=x" in link and "role=purchaser" in link
    second = client.get(link)
    assert listed(second) == ["p1x", "p0x"] and 'href="/admin/accounts?before=' not in second.text


@pytest.mark.parametrize("role", [Role.operator, Role.finance])
def test_the_list_runs_the_same_number_of_queries_for_2_or_15_accounts(
    login_as, users, make_unit, make_supplier, make_user, count_queries, role
):
    client = login_as(users[role])

    def queries_for_list() -> int:
        with count_queries() as queries:
            assert client.get("/admin/accounts").status_code == 200
        return len(queries)

    few = queries_for_list()
    for _ in range(4):
        unit = make_unit(region_code="141123")
        make_user(Role.unit_manager, unit=unit, phone="13800138000")
        make_user(Role.purchaser, unit=unit)
        make_user(Role.supplier, supplier=make_supplier())
    assert queries_for_list() == few


@pytest.mark.parametrize("role", [Role.purchaser, Role.unit_manager, Role.supplier])
def test_other_roles_are_refused(client, users, role):
    client = login(client, users[role]) and client
    target = users[Role.purchaser].id
    assert client.get("/admin/accounts").status_code == 403
    assert client.post(f"/admin/accounts/{target}/reset-password").status_code == 403
    assert client.post(f"/admin/accounts/{target}/deactivate").status_code == 403
    assert client.get("/admin/accounts/finance/new").status_code == 403


# --- acting on an account ----------------------------------------------------------------------------------


def test_finance_resets_a_lost_unit_manager_password_shown_once(client, login_as, users, accounts):
    manager = accounts["xing_manager"]
    response = login_as(users[Role.finance]).post(f"/admin/accounts/{manager.id}/reset-password")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    (initial,) = secrets_in(response)
    client.post("/logout")
    assert login(client, manager).status_code == 200  # the old password stopped working
    assert login(client, manager, initial).headers["Location"] == "/activate"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.reset_password"))
    assert (entry.actor_id, entry.object_id) == (users[Role.finance].id, manager.id)


def test_finance_deactivates_and_re_enables_a_supplier_account(client, login_as, users, accounts):
    seller = accounts["lin_seller"]
    finance = login_as(users[Role.finance])
    assert finance.post(f"/admin/accounts/{seller.id}/deactivate").headers["Location"] == "/admin/accounts"
    assert db.session.get(User, seller.id).enabled is False
    assert finance.post(f"/admin/accounts/{seller.id}/enable").status_code == 302
    assert db.session.get(User, seller.id).enabled is True
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == seller.id)).all()
    assert "account.deactivate" in actions and "account.enable" in actions


@pytest.mark.parametrize("target", ["far_manager", "far_seller", "xing_finance", "operator"])
def test_finance_gets_404_for_an_account_outside_its_list(login_as, users, accounts, target):
    account = accounts.get(target) or users[Role.operator]
    finance = login_as(users[Role.finance])
    for action in ("reset-password", "deactivate", "enable"):
        assert finance.post(f"/admin/accounts/{account.id}/{action}").status_code == 404
    assert db.session.get(User, account.id).enabled is True


def test_the_operator_administers_finance_accounts_but_no_operator_account(login_as, users, make_user):
    operator = users[Role.operator]
    other_operator = make_user(Role.operator, "operator2")
    client = login_as(operator)
    assert client.post(f"/admin/accounts/{users[Role.finance].id}/deactivate").status_code == 302
    assert db.session.get(User, users[Role.finance].id).enabled is False
    for account in (operator, other_operator):
        before = db.session.get(User, account.id).password_hash
        response = client.post(f"/admin/accounts/{account.id}/reset-password")
        assert response.headers["Location"] == "/admin/accounts"  # refused, with a message
        assert client.post(f"/admin/accounts/{account.id}/deactivate").status_code == 302
        account = db.session.get(User, account.id)
        assert account.password_hash == before and account.enabled is True
    assert not db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "account.reset_password",
            AuditEntry.object_id.in_([operator.id, other_operator.id]),
        )
    ).all()


def test_the_buttons_follow_the_policy_and_confirm_without_scripts(login_as, users, accounts):
    operator = users[Role.operator]
    page = login_as(operator).get("/admin/accounts").text
    rows = dict(re.findall(r'<tr data-username="([^"]+)">(.*?)</tr>', page, re.S))
    everyone = db.session.scalars(select(User)).all()
    for account in everyone:
        has_buttons = "/reset-password" in rows[account.username]
        assert has_buttons == policy.can_administer_account(operator, account), account.username
        if has_buttons:
            assert '<details class="confirm">' in rows[account.username]
    assert "<script" not in page and "onclick" not in page


def test_actions_are_post_only(login_as, users):
    client = login_as(users[Role.operator])
    target = users[Role.purchaser].id
    for action in ("reset-password", "deactivate", "enable"):
        assert client.get(f"/admin/accounts/{target}/{action}").status_code == 405


def test_can_administer_account_rule(users, accounts, make_user):
    operator, finance = users[Role.operator], users[Role.finance]
    other_operator = make_user(Role.operator, "operator3")
    allowed = policy.can_administer_account
    assert all(allowed(operator, account) for account in [*accounts.values(), finance, users[Role.supplier]])
    assert not allowed(operator, operator) and not allowed(operator, other_operator)
    assert [name for name, account in accounts.items() if allowed(finance, account)] == [
        "xing_manager",
        "xing_buyer",
        "lin_seller",
    ]
    assert not allowed(finance, finance) and not allowed(finance, operator)
    for role in (Role.purchaser, Role.unit_manager, Role.supplier):
        assert not allowed(users[role], accounts["xing_buyer"])


# --- finance bureau accounts -------------------------------------------------------------------------------


def finance_form(**changes) -> dict:
    return {
        "name": "兴县财政局",
        "username": "xingxian_czj",
        "phone": "13800138123",
        "region_code": "141123",
    } | changes


def test_the_operator_opens_a_finance_account_at_a_county(client, login_as, users, city):
    response = login_as(users[Role.operator]).post("/admin/accounts/finance/new", data=finance_form())
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    (initial,) = secrets_in(response)
    account = db.session.scalar(select(User).where(User.username == "xingxian_czj"))
    assert (account.role, account.region.code, account.must_change_password) == (Role.finance, "141123", True)
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "account.create", AuditEntry.object_id == account.id)
    )
    assert entry.actor_id == users[Role.operator].id and entry.details["region"] == "141123"
    client.post("/logout")
    assert login(client, account, initial).headers["Location"] == "/activate"
    assert PASSWORD not in response.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"region_code": "140000"}, "region_code"),  # a province
        ({"region_code": "000000"}, "region_code"),
        ({"username": "FINANCE"}, "username"),  # taken, in another case
        ({"username": "x"}, "username"),
        ({"phone": "12345"}, "phone"),
    ],
)
def test_a_bad_finance_account_is_refused_naming_the_field(login_as, users, city, changes, field):
    client = login_as(users[Role.operator])
    count = len(db.session.scalars(select(User.id)).all())
    response = client.post("/admin/accounts/finance/new", data=finance_form(**changes))
    assert response.status_code == 200 and secrets_in(response) == []
    assert re.search(rf'<div class="field has-error">\s*<label for="{field}"', response.text)
    assert len(db.session.scalars(select(User.id)).all()) == count


def test_finance_cannot_open_finance_accounts(login_as, users, city):
    response = login_as(users[Role.finance]).post("/admin/accounts/finance/new", data=finance_form())
    assert response.status_code == 403
    assert db.session.scalar(select(Region).where(Region.code == "141123")) is not None
    assert db.session.scalar(select(User).where(User.username == "xingxian_czj")) is None


def test_the_menu_links_the_page_for_operator_and_finance_only(login_as, users):
    for role in Role:
        client = login_as(users[role])
        assert ('href="/admin/accounts"' in client.get("/").text) == (role in (Role.operator, Role.finance))
        client.post("/logout")
