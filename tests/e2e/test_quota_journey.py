"""Issue 4's "done means" in a real browser, on the demo city.

1. The city's finance user opens the reserved-share report for the complete demo year, reads the city's
   figures (¥25,451,400.00 reserved; the reserve ratio and completion both as a mean of units and as an
   aggregate, each under its own label), drills down by links to a county, a supervising unit, a unit and
   the unit's counted orders, and exports every level as CSV and XLSX (each file parsed and checked against
   the report service).
2. A unit that has not filed this year (picked from the finance bureau's reminders) files its reserved
   share; its supervising unit's manager endorses it and the finance bureau approves it; a purchaser of the
   unit orders from the catalogue and records the payment, and the unit's completion page rises by the
   order's amount.
"""

import csv
import io
from decimal import Decimal
from pathlib import Path

from flask_babel import force_locale, gettext
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from accounts.models import BudgetUnit, Region, Role, User
from quotas.models import FilingStatus, QuotaFiling
from quotas.reports import columns as cols
from quotas.reports import summarise, summarise_unit
from quotas.reports.formatting import percent
from quotas.reports.unit_year import unit_year
from quotas.rules import effective_policy
from shop.common import beijing_today
from shop.extensions import db
from shop.formatting import yuan
from shop.orders.models import Order, PaymentStatus
from shop.payments.models import LedgerEntry, UnitYearPurchase
from tests.e2e.test_foundation_journeys import log_in, log_out

#: The complete demo year, calibrated to the city report of DESIGN.md.
REPORT_YEAR = beijing_today().year - 1
CITY_CODE = "141100"
CITY_RESERVED = Decimal("25451400.00")


# --- helpers -----------------------------------------------------------------------------------------------


def _zh(app, msgid: str) -> str:
    """A label as the Chinese interface shows it (from the app's own catalogue, not typed in here)."""
    with app.test_request_context(), force_locale("zh"):
        return gettext(msgid)


def _facts(page: Page) -> dict[str, str]:
    """The "at a glance" figures: each <dt>'s text -> its <dd>'s text (whitespace squeezed)."""
    pairs = page.eval_on_selector_all(
        "dl.facts dt",
        "els => els.map(e => [e.textContent.trim(), e.nextElementSibling.textContent.replace(/\\s+/g, ' ')"
        ".trim()])",
    )
    return dict(pairs)


def _download(page: Page, selector: str, folder: Path) -> Path:
    """Click a download link; the file that arrives, saved under its suggested name."""
    with page.expect_download() as arrived:
        page.click(selector)
    download = arrived.value
    assert download.failure() is None
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def _export_both(page: Page, folder: Path) -> tuple[list[list[str]], list[tuple]]:
    """Download the page's CSV and XLSX exports; their rows (CSV as text, XLSX as cell values)."""
    csv_path = _download(page, "a[href*='format=csv']", folder)
    assert csv_path.suffix == ".csv"
    text = csv_path.read_bytes().decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text)))
    xlsx_path = _download(page, "a[href*='format=xlsx']", folder)
    assert xlsx_path.suffix == ".xlsx"
    workbook = load_workbook(xlsx_path, read_only=True)
    xlsx_rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    assert len(csv_rows) == len(xlsx_rows) >= 2, "a header line and at least one row"
    assert csv_rows[0] == [str(value) for value in xlsx_rows[0]], "the same Chinese headers"
    return csv_rows, xlsx_rows


def _check_level_export(page: Page, folder: Path, summary, unit_level: bool) -> None:
    """A level's export: one row per child of the level in the page's order, then the total; money as
    numbers in the XLSX, equal to the report service's."""
    keys = [column.key for column in cols.export_columns(unit_level)]
    code, reserved, purchased = keys.index("code"), keys.index("reserved"), keys.index("purchased")
    csv_rows, xlsx_rows = _export_both(page, folder)
    # Each group of columns (accounts, filing, execution) is a table of its own over the same rows.
    shown = page.eval_on_selector(
        "table.report", "t => [...t.querySelectorAll('tbody tr[data-code]')].map(r => r.dataset.code)"
    )
    assert [row[code] for row in csv_rows[1:-1]] == shown
    assert [row[code] for row in xlsx_rows[1:-1]] == shown
    assert Decimal(csv_rows[-1][reserved]) == summary.reserved
    assert Decimal(csv_rows[-1][purchased]) == summary.purchased
    assert isinstance(xlsx_rows[-1][reserved], int | float)
    assert Decimal(str(xlsx_rows[-1][reserved])).quantize(Decimal("0.01")) == summary.reserved


def _click_row(page: Page, code: str) -> None:
    page.locator(f"table.report tbody tr[data-code='{code}'] a").first.click()


# --- 1. the finance report ---------------------------------------------------------------------------------


def test_finance_reads_the_city_report_drills_down_and_exports_each_level(
    page: Page, live_server, e2e_app, tmp_path
):
    today = beijing_today()
    with e2e_app.app_context():
        city = db.session.scalar(select(Region).where(Region.code == CITY_CODE))
        city_summary = summarise(REPORT_YEAR, city, today=today)
        # A poverty county, its supervising unit with the most units under it, and of those the unit that
        # bought the most in the year (so its orders page has orders to show).
        county = db.session.scalar(
            select(Region).where(Region.parent_id == city.id, Region.is_poverty_county).order_by(Region.code)
        )
        children = func.count(BudgetUnit.id)
        parent = BudgetUnit.__table__.alias("parent")
        supervisor_id = db.session.execute(
            select(parent.c.id, children)
            .join(BudgetUnit, BudgetUnit.parent_id == parent.c.id)
            .where(parent.c.region_id == county.id, parent.c.parent_id.is_(None))
            .group_by(parent.c.id)
            .order_by(children.desc(), parent.c.id)
            .limit(1)
        ).first()[0]
        supervisor = db.session.get(BudgetUnit, supervisor_id)
        unit = db.session.scalar(
            select(BudgetUnit)
            .join(UnitYearPurchase, UnitYearPurchase.unit_id == BudgetUnit.id)
            .where(BudgetUnit.parent_id == supervisor.id, UnitYearPurchase.year == REPORT_YEAR)
            .order_by(UnitYearPurchase.amount.desc(), BudgetUnit.id)
            .limit(1)
        )
        county_summary = summarise(REPORT_YEAR, county, today=today)
        supervisor_summary = summarise_unit(REPORT_YEAR, supervisor, today=today)
        unit_summary = summarise_unit(REPORT_YEAR, unit, today=today)
        unit_purchased = db.session.get(UnitYearPurchase, (unit.id, REPORT_YEAR)).amount
        unit_entries = db.session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.unit_id == unit.id, LedgerEntry.year == REPORT_YEAR)
        )
        county_code, supervisor_code, unit_code = county.code, supervisor.code, unit.code
        unit_id = unit.id
    labels = {
        key: _zh(e2e_app, msgid)
        for key, msgid in {
            "reserved": "Reserved share",
            "ratio_aggregate": "Reserve ratio (Σreserved ÷ Σplanned)",
            "ratio_mean": "Reserve ratio (mean of units)",
            "completion_aggregate": "Completion (Σpurchased ÷ Σreserved)",
            "completion_mean": "Completion (mean of units)",
        }.items()
    }

    # The city's figures, as the report printed them.
    assert city_summary.reserved == CITY_RESERVED
    assert round(city_summary.ratio_mean, 2) == Decimal("0.35")
    assert round(city_summary.completion_mean, 2) == Decimal("0.96")
    assert Decimal("0.97") < city_summary.completion_aggregate < Decimal("0.99")

    log_in(page, live_server, "demo_finance")
    page.goto(f"{live_server}/reports/")
    expect(page).to_have_url(f"{live_server}/reports/region/{CITY_CODE}")
    page.select_option("select#year", str(REPORT_YEAR))
    page.click("form:has(select#year) button[type=submit]")
    expect(page).to_have_url(f"{live_server}/reports/region/{CITY_CODE}?year={REPORT_YEAR}")
    facts = _facts(page)
    assert facts[labels["reserved"]] == "¥25,451,400.00"
    assert facts[labels["ratio_mean"]] == percent(city_summary.ratio_mean)
    assert facts[labels["ratio_aggregate"]] == percent(city_summary.ratio_aggregate)
    assert facts[labels["completion_mean"]] == percent(city_summary.completion_mean) == "96.0%"
    assert facts[labels["completion_aggregate"]].startswith(percent(city_summary.completion_aggregate))
    assert percent(city_summary.completion_aggregate) != percent(city_summary.completion_mean)
    _check_level_export(page, tmp_path, city_summary, unit_level=False)

    # City -> county -> supervising unit -> unit -> its counted orders, by the tables' links.
    _click_row(page, county_code)
    expect(page).to_have_url(f"{live_server}/reports/region/{county_code}?year={REPORT_YEAR}")
    assert _facts(page)[labels["reserved"]] == yuan(county_summary.reserved)
    _check_level_export(page, tmp_path, county_summary, unit_level=False)

    _click_row(page, supervisor_code)
    expect(page.locator("nav.breadcrumb a[href^='/reports/region/']")).to_have_count(2)
    assert _facts(page)[labels["reserved"]] == yuan(supervisor_summary.reserved)
    _check_level_export(page, tmp_path, supervisor_summary, unit_level=True)

    _click_row(page, unit_code)
    expect(page).to_have_url(f"{live_server}/reports/unit/{unit_id}?year={REPORT_YEAR}")
    assert _facts(page)[labels["reserved"]] == yuan(unit_summary.reserved)
    _check_level_export(page, tmp_path, unit_summary, unit_level=True)

    page.click(f"nav.tabs a[href^='/reports/unit/{unit_id}/orders']")
    expect(page).to_have_url(f"{live_server}/reports/unit/{unit_id}/orders?year={REPORT_YEAR}")
    expect(page.locator("main")).to_contain_text(yuan(unit_purchased))
    expect(page.locator("table.table tbody tr a[href^='/orders/']").first).to_be_visible()
    amount = [column.key for column in cols.COUNTED].index("amount")
    csv_rows, xlsx_rows = _export_both(page, tmp_path)
    assert len(csv_rows) - 1 == unit_entries
    assert sum(Decimal(row[amount]) for row in csv_rows[1:]) == unit_purchased
    assert all(isinstance(row[amount], int | float) for row in xlsx_rows[1:])


# --- 2. filing, review, completion -------------------------------------------------------------------------


def _unfiled_unit_from_reminders(page: Page, app) -> BudgetUnit:
    """The first unit on the finance bureau's reminders (this year) that has started no filing, is in the
    bureau's own region (so that the bureau approves it) and has a supervising unit (which endorses it)."""
    codes = page.eval_on_selector_all("tbody tr[data-code]", "rs => rs.map(r => r.dataset.code)")
    assert codes, "the demo leaves some units unfiled this year"
    year = beijing_today().year
    with app.app_context():
        started = select(QuotaFiling.id).where(QuotaFiling.unit_id == BudgetUnit.id, QuotaFiling.year == year)
        unit = db.session.scalar(
            select(BudgetUnit)
            .join(Region, Region.id == BudgetUnit.region_id)
            .where(
                BudgetUnit.code.in_(codes),
                Region.code == CITY_CODE,
                BudgetUnit.parent_id.is_not(None),
                ~started.exists(),
            )
            .order_by(BudgetUnit.code)
            .limit(1)
        )
        assert unit is not None, "no unfiled unit with a supervising unit on the first page of reminders"
        db.session.expunge(unit)
        return unit


def _login_of(app, role: Role, **where) -> str:
    with app.app_context():
        return db.session.scalar(
            select(User.username).filter_by(role=role, **where).order_by(User.id).limit(1)
        )


def _newest(app, unit_id: int, year: int) -> QuotaFiling:
    with app.app_context():
        filing = db.session.scalar(
            select(QuotaFiling)
            .where(QuotaFiling.unit_id == unit_id, QuotaFiling.year == year)
            .order_by(QuotaFiling.version.desc())
            .limit(1)
        )
        db.session.expunge(filing)
        return filing


def _review(page: Page, base: str, filing_id: int) -> None:
    """Open the reviewer's queue, page on until the filing's row, open it and approve."""
    page.goto(f"{base}/quotas/review/")
    row = page.locator(f"tr[data-filing='{filing_id}']")
    while row.count() == 0:
        page.click("main a[href*='after=']")
        row = page.locator(f"tr[data-filing='{filing_id}']")
    row.locator(f"a[href='/quotas/review/{filing_id}']").click()
    approve = f"form[action='/quotas/review/{filing_id}/approve']"
    page.click(f"{approve} button[type=submit]")
    expect(page.locator(approve)).to_have_count(0)
    expect(page.locator(".flash-error")).to_have_count(0)


def _completion(app, unit_id: int) -> tuple[Decimal, Decimal, Decimal | None]:
    """The unit's reserved amount, counted purchases and completion this year, by the page's service."""
    today = beijing_today()
    with app.app_context():
        figures = unit_year(db.session.get(BudgetUnit, unit_id), today.year, today, months=False)
        return figures.reserved, figures.purchased, figures.completion


def _expect_completion(page: Page, base: str, app, unit_id: int) -> tuple[Decimal, Decimal]:
    reserved, purchased, completion = _completion(app, unit_id)
    page.goto(f"{base}/completion/")
    main = page.locator("main")
    expect(main).to_contain_text(yuan(reserved))
    expect(main).to_contain_text(yuan(purchased))
    if completion is not None:
        bar = Decimal(page.locator("main progress").first.get_attribute("value"))
        assert bar == min(completion, Decimal(1))
        expect(main).to_contain_text(percent(completion))
    return reserved, purchased


def test_a_unit_files_is_reviewed_and_watches_completion_rise_as_an_order_is_paid(
    page: Page, live_server, e2e_app
):
    year = beijing_today().year
    log_in(page, live_server, "demo_finance")
    page.goto(f"{live_server}/quotas/reminders")
    unit = _unfiled_unit_from_reminders(page, e2e_app)
    page.click(f"tr[data-code='{unit.code}'] a[href='/quotas/units/{unit.id}/filing/{year}']")
    expect(page.locator("form.filing-form")).to_have_count(0)  # finance reads; the unit's manager files
    log_out(page)

    manager = _login_of(e2e_app, Role.unit_manager, unit_id=unit.id)
    supervisor = _login_of(e2e_app, Role.unit_manager, unit_id=unit.parent_id)
    finance = _login_of(e2e_app, Role.finance, region_id=unit.region_id)
    purchaser = _login_of(e2e_app, Role.purchaser, unit_id=unit.id)
    assert finance == "demo_finance"

    # Nothing reserved yet: the completion page shows the counted purchases alone.
    log_in(page, live_server, manager)
    reserved, before = _expect_completion(page, live_server, e2e_app, unit.id)
    assert reserved == 0

    # The manager files: own canteen, ¥60,000 planned, ¥24,000 reserved (40 %, the minimum being 30 %).
    page.goto(f"{live_server}/quotas/filing")
    expect(page).to_have_url(f"{live_server}/quotas/units/{unit.id}/filing/{year}")
    page.check("input[name=canteen_status][value=own]")
    page.fill("input[name=planned_total]", "60000")
    page.fill("input[name=reserved_amount]", "12000")
    expect(page.locator("#ratio-live")).to_have_text("20.00%")
    expect(page.locator("#ratio-warning")).to_be_visible()  # below the 30 % minimum
    page.fill("input[name=reserved_amount]", "24000")
    expect(page.locator("#ratio-live")).to_have_text("40.00%")
    expect(page.locator("#ratio-warning")).to_be_hidden()
    page.click("button[name=action][value=check]")
    expect(page.locator("form.filing-form .flash-success")).to_be_visible()  # the figures meet the policy
    page.click("button[name=action][value=submit]")
    expect(page.locator(".flash-error")).to_have_count(0)
    expect(page.locator("tr[data-version='1'][data-status='submitted']")).to_be_visible()
    filing = _newest(e2e_app, unit.id, year)
    assert (filing.version, filing.status) == (1, FilingStatus.submitted)
    assert (filing.planned_total, filing.reserved_amount) == (Decimal("60000.00"), Decimal("24000.00"))
    with e2e_app.app_context():
        deadline = effective_policy(db.session.get(Region, unit.region_id), year).filing_deadline
    assert filing.late == (beijing_today() > deadline)
    log_out(page)

    # The supervising unit's manager endorses; the finance bureau of the unit's region approves.
    log_in(page, live_server, supervisor)
    _review(page, live_server, filing.id)
    assert _newest(e2e_app, unit.id, year).status == FilingStatus.endorsed
    log_out(page)
    log_in(page, live_server, finance)
    _review(page, live_server, filing.id)
    approved = _newest(e2e_app, unit.id, year)
    assert approved.status == FilingStatus.approved and approved.approved_by_id is not None
    log_out(page)

    log_in(page, live_server, manager)
    page.goto(f"{live_server}/quotas/filing")
    expect(page.locator("tr[data-version='1'][data-status='approved']")).to_be_visible()
    reserved, purchased = _expect_completion(page, live_server, e2e_app, unit.id)
    assert (reserved, purchased) == (Decimal("24000.00"), before)
    completion_before = _completion(e2e_app, unit.id)[2]
    log_out(page)

    # A purchaser of the unit orders from the catalogue and records the payment on the order page.
    log_in(page, live_server, purchaser)
    page.goto(f"{live_server}/catalogue/")
    page.locator("#products tr[data-product] a[href^='/catalogue/']").first.click()
    page.click("#add-to-cart button[type=submit]")
    expect(page.locator(".flash-success")).to_be_visible()
    page.goto(f"{live_server}/cart/")
    page.click("a#checkout")
    page.fill("input[name=address]", "吕梁市离石区永宁中路 12 号 单位食堂")
    page.fill("input[name=contact]", "赵师傅")
    page.fill("input[name=phone]", "13800138001")
    page.click("#checkout-form button[type=submit]")
    expect(page.locator("#checkout-form")).to_have_count(0)
    expect(page.locator(".flash-error")).to_have_count(0)
    with e2e_app.app_context():
        order = db.session.scalar(
            select(Order).where(Order.unit_id == unit.id, Order.delivery_contact == "赵师傅")
        )
        assert order.payment_status == PaymentStatus.unpaid
        order_id, total = order.id, order.total
    # One supplier, one order: the checkout lands on the orders list (several would show a summary page).
    page.click(f"main a[href='/orders/{order_id}']")
    page.fill("input[name=payer_account]", "6222021234567890123")
    page.fill("input[name=reference]", f"E2EQ{order_id:08d}")
    pay_form = f"form[action='/payments/orders/{order_id}/pay']"
    page.click(f"{pay_form} button[type=submit]")
    expect(page.locator(pay_form)).to_have_count(0)
    expect(page.locator(".flash-error")).to_have_count(0)
    with e2e_app.app_context():
        assert db.session.get(Order, order_id).payment_status == PaymentStatus.paid
        assert db.session.get(UnitYearPurchase, (unit.id, year)).amount == before + total
    log_out(page)

    # The manager watches the completion rise by the order's amount.
    log_in(page, live_server, manager)
    reserved, after = _expect_completion(page, live_server, e2e_app, unit.id)
    assert after == before + total
    assert _completion(e2e_app, unit.id)[2] > completion_before
    expect(page.locator(f"main a[href='/orders/{order_id}']")).to_be_visible()
