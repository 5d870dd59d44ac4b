"""Who sees which budget unit: finance its region's subtree, a manager its unit and those below it."""

import re

from accounts.models import Role


def test_finance_sees_only_units_in_its_region_subtree(client, login_as, users, make_unit, other_city):
    here = make_unit("兴县卫健局", "141123")
    elsewhere = make_unit("小店区教育局", "140105")
    login_as(users[Role.finance])
    assert client.get(f"/units/{here.id}").status_code == 200
    assert client.get(f"/units/{elsewhere.id}").status_code == 404
    page = client.get("/units/").get_data(as_text=True)
    assert here.code in page and elsewhere.code not in page
    # Choosing a region outside the subtree shows nothing rather than someone else's units.
    page = client.get(f"/units/?region={other_city.id}").get_data(as_text=True)
    assert elsewhere.code not in page


def test_unit_manager_sees_own_unit_and_subordinates_only(client, login_as, make_user, make_unit):
    top = make_unit("吕梁市卫健委")
    middle = make_unit("吕梁市人民医院", parent=top)
    bottom = make_unit("吕梁市人民医院食堂", parent=middle)
    sibling = make_unit("吕梁市公安局")
    login_as(make_user(Role.unit_manager, unit=middle))
    assert client.get(f"/units/{middle.id}").status_code == 200
    assert client.get(f"/units/{bottom.id}").status_code == 200
    assert client.get(f"/units/{top.id}").status_code == 404
    assert client.get(f"/units/{sibling.id}").status_code == 404
    page = client.get("/units/").get_data(as_text=True)
    assert middle.code in page and bottom.code in page
    assert top.code not in page.split("<tbody>")[1] and sibling.code not in page


def test_unit_page_lists_subordinates_and_accounts_with_masked_phones(
    client, login_as, users, make_unit, make_user
):
    top = make_unit("吕梁市教育局二")
    child = make_unit("吕梁市第一中学", parent=top)
    make_user(Role.unit_manager, "top_mgr", unit=top, phone="13812345678")
    login_as(users[Role.operator])
    page = client.get(f"/units/{top.id}").get_data(as_text=True)
    assert child.code in page and "top_mgr" in page
    assert "138****5678" in page and "13812345678" not in page


def test_purchaser_and_supplier_may_not_open_unit_pages(client, login_as, users):
    for role in (Role.purchaser, Role.supplier):
        login_as(users[role])
        assert client.get("/units/").status_code == 403
        assert client.get("/units/regions").status_code == 403
        client.post("/logout")
    login_as(users[Role.unit_manager])
    assert client.get("/units/regions").status_code == 403
    assert client.get("/units/new").status_code == 403


def test_unit_page_names_each_accounts_status_as_the_purchaser_list_does(
    client, login_as, users, make_unit, make_user
):
    unit = make_unit("吕梁市水利局")
    make_user(Role.unit_manager, "w_mgr", unit=unit, activated=False)
    make_user(Role.purchaser, "w_active", unit=unit)
    make_user(Role.purchaser, "w_off", unit=unit, enabled=False)
    login_as(users[Role.operator])
    client.post("/lang/en")
    page = client.get(f"/units/{unit.id}").get_data(as_text=True)
    rows = dict(
        re.findall(r'<td class="nowrap">(w_\w+)</td>.*?<span class="status status-(\w+)">', page, re.S)
    )
    assert rows == {"w_mgr": "pending", "w_active": "active", "w_off": "disabled"}
    for text in ("Not activated", "Active", "Deactivated"):
        assert f">{text}</span>" in page
