"""In a real browser at 320 px wide: finance opens the Exports page, asks for a Xero journal with no mapping
file (the problem shows on its field), and reads the tax-year page. Nothing is wider than the screen.

Needs /usr/bin/chromium (see ``test_browser``: skipped without it, except under CI=true).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ledger.context import reload_settings
from tests.factories import PASSWORD, TODAY, claims_world, database
from tests.web.browser import check_page
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser and the served app)

pytestmark = pytest.mark.browser
NARROW = {"width": 320, "height": 900}


def test_finance_uses_the_exports_and_tax_year_pages_at_320_px(live_app, page):  # noqa: F811
    live_app.config["LEDGER_TODAY"] = TODAY.isoformat()
    reload_settings(live_app)
    with database(live_app) as session:
        claims_world(session)
    base = live_app.config["BASE_URL"]
    page.set_viewport_size(NARROW)
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("fin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)

    page.goto(f"{base}/finance/exports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Exports")
    check_page(page, "finance")
    page.get_by_label("Xero manual journal (CSV)").check()
    page.get_by_role("button", name="Download the export").click()
    expect(page.locator("#mapping-error")).to_contain_text("Choose a mapping file")
    check_page(page, "finance")

    page.goto(f"{base}/finance/tax-year?tax_year=2025")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tax year 2025-26")
    check_page(page, "finance")
    page.get_by_label("Tax year").fill("2025-27")
    page.get_by_role("button", name="Show the tax year").click()
    expect(page.locator("#tax_year-error")).to_contain_text("Tax year must be")
    check_page(page, "finance")
