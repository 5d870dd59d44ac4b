"""The foundation's journeys in a real browser: every demo role logs in and lands on its home page; a unit
manager opens a purchaser account that its owner activates; a supplier applies and is admitted."""

import pytest
from playwright.sync_api import Page, expect

from accounts.demo import DEMO_LOGINS, DEMO_PASSWORD
from accounts.validators import credit_code_check_char


def log_in(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")


def log_out(page: Page) -> None:
    page.click("form[action='/logout'] button")


@pytest.mark.parametrize("login", DEMO_LOGINS, ids=[login.role.value for login in DEMO_LOGINS])
def test_each_demo_role_lands_on_its_home_page(page: Page, live_server, login):
    log_in(page, live_server, login.username, login.password)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("h1")).to_contain_text("您好")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator(".panel").first).to_be_visible()


def test_the_interface_switches_to_english_and_back(page: Page, live_server):
    log_in(page, live_server, "demo_finance")
    page.click("text=English")
    expect(page.locator("h1")).to_contain_text("Welcome")
    page.click("text=中文")
    expect(page.locator("h1")).to_contain_text("您好")


def test_a_manager_opens_a_purchaser_account_and_its_owner_activates_it(page: Page, live_server):
    log_in(page, live_server, "demo_manager")
    page.goto(f"{live_server}/people/new")
    page.fill("input[name=name]", "王食堂")
    page.fill("input[name=username]", "canteen_wang")
    page.fill("input[name=phone]", "13912345678")
    page.click("button[type=submit].primary")
    initial = page.locator(".secret").inner_text().strip()
    assert len(initial) >= 8
    log_out(page)

    log_in(page, live_server, "canteen_wang", initial)
    expect(page).to_have_url(f"{live_server}/activate")
    page.fill("input[name=password]", "Canteen#2026")
    page.fill("input[name=confirm]", "Canteen#2026")
    page.click("button[type=submit].primary")
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("h1")).to_contain_text("王食堂")


def test_a_supplier_applies_and_is_recommended_then_admitted(page: Page, live_server):
    page.goto(f"{live_server}/suppliers/register")
    body = "93141123MA0E2E001"
    page.fill("input[name=name]", "兴县浏览器测试合作社")
    page.select_option("select[name=kind]", "coop")
    page.fill("input[name=credit_code]", body + credit_code_check_char(body))
    page.select_option("select[name=region_id]", label="山西省吕梁市兴县")
    page.fill("input[name=contact_name]", "李四")
    page.fill("input[name=contact_phone]", "13700001111")
    page.fill("input[name=bank_name]", "山西兴县农村商业银行")
    page.fill("input[name=bank_account]", "62284800001234567")
    page.fill("input[name=households]", "23")
    page.fill("input[name=username]", "e2e_coop")
    page.fill("input[name=password]", "Coop#2026x")
    page.fill("input[name=confirm]", "Coop#2026x")
    page.click("button[type=submit].primary")
    expect(page).to_have_url(f"{live_server}/suppliers/mine")
    log_out(page)

    log_in(page, live_server, "demo_finance")
    page.goto(f"{live_server}/suppliers/?status=applied")
    page.click("text=兴县浏览器测试合作社")
    page.click("form[action$='/recommend'] button")
    expect(page.locator(".flash-success")).to_be_visible()
    log_out(page)

    log_in(page, live_server, "demo_operator")
    page.goto(f"{live_server}/suppliers/?status=recommended")
    page.click("text=兴县浏览器测试合作社")
    page.click("form[action$='/admit'] button")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("h1 .status")).to_have_text("已准入")
