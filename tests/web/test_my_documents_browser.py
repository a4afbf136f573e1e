"""In a real browser at 320 px wide: a participant finds their documents as web pages from "My money", and each
page (statement, tax year, the benefit effect of a fee, in standard print and in easy read) passes axe's WCAG 2.2
AA rules with no sideways scroll.

Needs /usr/bin/chromium (see ``test_browser``: skipped without it, except under CI=true).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ledger.context import reload_settings
from ledger.people.models import Participant
from tests.factories import PASSWORD, TODAY, claims_world, database, draft_fee
from tests.web.browser import check_page
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser and the served app)

pytestmark = pytest.mark.browser
NARROW = {"width": 320, "height": 900}


@pytest.fixture
def fee(live_app):  # noqa: F811
    live_app.config["LEDGER_TODAY"] = TODAY.isoformat()
    reload_settings(live_app)
    with database(live_app) as session:
        world = claims_world(session)
        return world.carer, draft_fee(session, world, world.carer)


def test_a_participant_reads_their_documents_as_web_pages_at_320_px(live_app, fee, page):  # noqa: F811
    carer, claim_id = fee
    base = live_app.config["BASE_URL"]
    page.set_viewport_size(NARROW)
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("sian@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/my/money")
    page.get_by_role("link", name="Read your documents as web pages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My documents")
    check_page(page, "participant")

    page.locator("#statement-links a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your statement")
    expect(page.locator("#pdf-link")).to_contain_text("Download your statement as a PDF")
    check_page(page, "participant")

    page.goto(f"{base}/my/documents")
    page.locator("#tax-year-links a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your payments in the tax year")
    check_page(page, "participant")

    with database(live_app) as session:
        session.get(Participant, carer).preferred_format = "easy_read"
        session.commit()
    page.goto(f"{base}/my/claims/{claim_id}")
    page.locator("#benefits-document a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This money and your benefits")
    expect(page.locator("#benefit-ideas")).to_contain_text("We pay you this money:")
    check_page(page, "participant")
