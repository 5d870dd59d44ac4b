"""The header of every signed-in page: the main menu, the unread notice count and the user's organisation,
read with the account in one statement."""

import re

import pytest
from flask import url_for

from accounts import notices, policy
from accounts.menu import MENU
from accounts.models import Notice, Role
from shop.common import N_, utcnow
from shop.extensions import db

MESSAGE = N_("Supplier %(name)s applied for admission and awaits your recommendation.")


def menu(response) -> list[tuple[str, bool]]:
    """The main menu's entries: (address, highlighted)."""
    nav = re.search(r'<nav class="mainnav".*?</nav>', response.get_data(as_text=True), re.S)
    if nav is None:
        return []
    return [
        (href, "aria-current" in rest)
        for href, rest in re.findall(r'<a href="([^"]+)"([^>]*)>', nav.group(0))
    ]


def badge(response) -> str | None:
    found = re.search(r'class="notices">[^<]*(?:<span class="badge">(\d+)</span>)?', response.get_data(True))
    return found.group(1) if found else None


@pytest.mark.parametrize("role", list(Role))
def test_the_menu_lists_every_existing_page_the_role_may_open(app, users, login_as, role):
    response = login_as(users[role]).get("/account/password")
    with app.test_request_context():
        expected = [
            url_for(endpoint)
            for endpoint, _ in MENU
            if endpoint in app.view_functions
            and (policy.allowed_roles(endpoint) == policy.PUBLIC or role in policy.allowed_roles(endpoint))
        ]
    assert [href for href, _ in menu(response)] == expected
    assert expected  # every role has a home page at least


def test_the_menu_highlights_the_page_or_else_its_section(users, login_as):
    client = login_as(users[Role.purchaser])
    assert [active for href, active in menu(client.get("/catalogue/")) if href == "/catalogue/"] == [True]
    assert sum(active for _, active in menu(client.get("/catalogue/"))) == 1
    # Not in the menu: its section's index page is highlighted.
    assert [href for href, active in menu(client.get("/catalogue/favourites")) if active] == ["/catalogue/"]
    # Nothing of the menu's (the password page's section has no entry).
    assert not any(active for _, active in menu(client.get("/account/password")))


def test_a_refused_page_of_the_menu_highlights_nothing(users, login_as):
    """The audit log is in the menu but not the purchaser's: its 403 page highlights no other entry."""
    client = login_as(users[Role.purchaser])
    response = client.get("/audit/")
    assert response.status_code == 403
    assert menu(response) and not any(active for _, active in menu(response))


def test_the_menu_follows_the_language(users, login_as):
    client = login_as(users[Role.purchaser])
    client.post("/lang/en")
    assert ">Catalogue</a>" in client.get("/account/password").get_data(as_text=True)
    client.post("/lang/zh")
    assert ">Catalogue</a>" not in client.get("/account/password").get_data(as_text=True)


def test_no_menu_before_activation(make_user, make_unit, login_as):
    user = make_user(Role.purchaser, unit=make_unit(), activated=False)
    response = login_as(user).get("/activate")
    assert response.status_code == 200 and menu(response) == []


@pytest.mark.parametrize("role", list(Role))
def test_the_header_names_the_organisation(users, login_as, role):
    user = users[role]
    expected = {
        Role.purchaser: "吕梁市教育局",
        Role.unit_manager: "吕梁市教育局",
        Role.supplier: user.supplier.name if user.supplier else "",
        Role.finance: "吕梁市",
        Role.operator: "",
    }[role]
    page = login_as(user).get("/account/password").get_data(as_text=True)
    assert f'title="{expected}">{user.name}</a>' in page
    assert user.organisation_name == expected


def test_the_header_counts_unread_notices_as_they_change(users, login_as):
    reader = users[Role.purchaser]
    first, _second = notices.notify([reader], MESSAGE, name="a") + notices.notify([reader], MESSAGE, name="b")
    notices.notify([users[Role.operator]], MESSAGE, name="someone else's")
    db.session.commit()
    client = login_as(reader)
    assert badge(client.get("/account/password")) == "2"
    assert client.post(f"/notices/{first.id}/read").status_code == 302
    assert badge(client.get("/account/password")) == "1"
    notices.notify([reader], MESSAGE, name="c")
    db.session.commit()
    assert badge(client.get("/account/password")) == "2"
    assert client.post("/notices/read-all").status_code == 302
    assert badge(client.get("/account/password")) is None


def test_a_notice_added_during_the_request_is_counted(app, users, login_as):
    """The count read with the account is used only while nothing expired it: a commit or rollback does."""
    reader = users[Role.purchaser]
    client = login_as(reader)
    with app.test_request_context():
        from flask_login import login_user

        login_user(policy.load_user(reader.get_id()))
        assert notices.unread_count_for_current_user() == 0
        db.session.add(Notice(user_id=reader.id, message=MESSAGE, params={"name": "x"}))
        db.session.commit()
        assert notices.unread_count_for_current_user() == 1
        db.session.add(Notice(user_id=reader.id, message=MESSAGE, params={"name": "y"}, read_at=utcnow()))
        db.session.commit()
        assert notices.unread_count_for_current_user() == 1
    assert client.get("/account/password").status_code == 200


def test_the_header_costs_no_statement_beyond_the_account(users, login_as, count_queries):
    """The account, its organisation's name and its unread notices: one statement for the whole header."""
    client = login_as(users[Role.supplier])
    client.get("/account/password")
    with count_queries() as queries:
        response = client.get("/account/password")
    assert response.status_code == 200 and badge(response) is None
    assert len(queries) == 1, queries
    assert "user_account" in queries[0] and "notice" in queries[0] and "supplier" in queries[0]
