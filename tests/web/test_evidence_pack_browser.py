"""In a real browser at 320 px wide: finance finds a participant's evidence pack page, saves a National
Insurance number (a wrong one first), and a bad date shows its error by the field. Nothing is wider than
the screen.

Needs /usr/bin/chromium (see ``test_browser``: skipped without it, except under CI=true).
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from ledger.context import reload_settings
from tests.factories import PASSWORD, TODAY, claims_world, database
from tests.web.browser import check_page
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser and the served app)

pytestmark = pytest.mark.browser
NARROW = {"width": 320, "height": 900}


@pytest.fixture
def siân_served(live_app):  # noqa: F811
    live_app.config["LEDGER_TODAY"] = TODAY.isoformat()
    reload_settings(live_app)
    with database(live_app) as session:
        return claims_world(session).carer


def _fits(page) -> None:  # noqa: F811
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    check_page(page, "finance")


def test_finance_makes_an_evidence_pack_at_320_px(live_app, siân_served, page, tmp_path):  # noqa: F811
    base = live_app.config["BASE_URL"]
    page.set_viewport_size(NARROW)
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("fin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)  # each role lands on its own page
    check_page(page, "finance")
    page.goto(f"{base}/finance/evidence-packs")
    expect(page.get_by_role("link", name="Make an evidence pack for Siân Evans")).to_be_visible()
    check_page(page, "finance")
    page.get_by_role("link", name="Make an evidence pack for Siân Evans").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Benefits evidence pack for Siân Evans")
    _fits(page)

    page.get_by_label("National Insurance number (optional)").fill("QQ 12 34 56 C")
    page.get_by_role("button", name="Save the National Insurance number").click()
    expect(page.locator("#national_insurance_number-error")).to_contain_text("QQ is not a prefix HMRC issues")
    page.get_by_label("National Insurance number (optional)").fill("AB 12 34 56 C")
    page.get_by_role("button", name="Save the National Insurance number").click()
    expect(page.get_by_role("status")).to_contain_text("The National Insurance number is saved (AB •• •• •• C)")
    expect(page.locator("#ni-now")).to_have_text("On record: AB •• •• •• C")
    _fits(page)

    last_day = page.get_by_role("group", name="Last day the letter covers")  # day, month and year boxes
    for box, typed in (("Day", "1"), ("Month", "1"), ("Year", "2020")):
        last_day.get_by_label(box).fill(typed)
    page.get_by_role("button", name="Download the evidence pack (PDF)").click()
    expect(page.locator("#end-error")).to_have_text("Error: The last day must not be before the first day.")
    _fits(page)
    shot = os.environ.get("EVIDENCE_SCREENSHOT") or str(tmp_path / "evidence-pack-320.png")
    page.screenshot(path=shot, full_page=True)
