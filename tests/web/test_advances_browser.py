"""A real browser: finance asks for an advance on the Advances page at 1280 and 320 px, sees a refusal beside
its field, then the advance waiting for approval. Needs /usr/bin/chromium (see ``test_browser``)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import claims_world, database
from tests.web.browser import check_page, main_menu
from tests.web.test_browser import _sign_in_as, live_app, page  # noqa: F401  (the shared browser fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def finance_with_people(live_app):  # noqa: F811
    with database(live_app) as session:
        return claims_world(session)


@pytest.mark.parametrize("width", [1280, 320])
def test_finance_asks_for_an_advance_on_the_page(live_app, finance_with_people, page, width, tmp_path):  # noqa: F811
    base = live_app.config["BASE_URL"]
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in_as(page, base, "fin@example.org")
    main_menu(page).get_by_role("link", name="Advances", exact=True).click()
    page.wait_for_url(f"{base}/finance/advances")
    check_page(page, "finance")

    page.get_by_label("Participant number").fill(str(finance_with_people.ann))
    page.get_by_label("Project code").fill("GUIDE")
    page.get_by_label("Amount in pounds").fill("40.00")
    page.get_by_label("What it is for").fill("Train to the regional meeting")
    page.get_by_label("Receipts due by").fill(dt.date.today().isoformat())
    page.get_by_role("button", name="Ask for the advance").click()

    expect(page.get_by_role("alert")).to_contain_text("settlement date must be after today")
    expect(page.locator("#settle_by-error")).to_contain_text("Must be after today.")
    expect(page.locator("#settle_by")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    check_page(page, "finance")

    page.get_by_label("Receipts due by").fill((dt.date.today() + dt.timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Ask for the advance").click()

    expect(page.locator("#advance-status")).to_have_text("Requested")
    expect(page.get_by_role("status")).to_contain_text("is asked for")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    check_page(page, "finance")
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    page.screenshot(path=str(shots / f"advance-requested-{width}.png"), full_page=True)
