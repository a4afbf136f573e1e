"""In a real browser at 320 px: an administrator finds a person's data page, takes a copy and is refused an
erasure with the reason; the person then sees, on their details page, who looked. Nothing is wider than the
screen and axe finds nothing.

Needs /usr/bin/chromium (see ``tests.web.test_browser``: skipped without it, except under CI=true).
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from ledger.context import reload_settings
from ledger.people import services as people
from tests.factories import PASSWORD, TODAY, PaymentsWorld, add_user, database
from tests.web.browser import check_page
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser and the served app)

pytestmark = pytest.mark.browser
NARROW = {"width": 320, "height": 900}


def _sign_in(page, base: str, email: str) -> None:  # noqa: F811
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_an_admin_takes_a_copy_and_the_person_sees_who_looked_at_320_px(live_app, page):  # noqa: F811
    live_app.config["LEDGER_TODAY"] = TODAY.isoformat()
    reload_settings(live_app)
    with database(live_app) as session:
        world = PaymentsWorld(session)
        ann = world.participant("Ann Smith")
        people.declare_benefits(session, ann, benefits=[{"name": "pip"}], declared_on=dt.date(2025, 5, 1),
                                today=TODAY)
        world.claim(ann, 4000)
    add_user(live_app, "ann@example.org", ["participant"], participant_id=ann)
    add_user(live_app, "ada@example.org", ["admin"])  # named Ada
    base = live_app.config["BASE_URL"]
    page.set_viewport_size(NARROW)

    _sign_in(page, base, "ada@example.org")
    page.goto(f"{base}/admin/people")
    check_page(page, "admin")
    page.locator(f"a[href=\"/admin/people/{ann}\"]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ann Smith: their data")
    expect(page.locator("#erase-refused")).to_contain_text("We still owe them money")
    with page.expect_download() as download:
        page.locator("#subject-access-json").click()
    assert download.value.suggested_filename == f"subject-access-P{ann:05d}.json"
    page.reload()
    expect(page.locator("#views-log")).to_contain_text("Ada")
    check_page(page, "admin")

    page.context.clear_cookies()
    _sign_in(page, base, "ann@example.org")
    page.goto(f"{base}/my/details")
    expect(page.locator("#views-log")).to_contain_text("A copy of everything held about you, as a data file")
    check_page(page, "participant")
