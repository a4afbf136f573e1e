"""A real browser (Debian's chromium, driven by Playwright): finance reads the books and locks a month; a participant
chooses what happens to a fee.

Needs /usr/bin/chromium: skipped without it, except under CI=true, where it fails instead.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ledger import create_app
from ledger.books import posting
from ledger.books.records import PostingLine
from ledger.db import make_engine
from ledger.migrate import upgrade
from tests.factories import PASSWORD, add_user, claims_world, database, draft_fee

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() == "true"

pytestmark = pytest.mark.browser


@pytest.fixture
def sync_playwright():
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing (CI=true: install Debian's chromium package)", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests")
    from playwright.sync_api import sync_playwright

    return sync_playwright


@pytest.fixture
def live_app(tmp_path):
    """The app with CSRF on, over a fresh SQLite file, served on a free localhost port in a thread."""
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": True,
                      "SECRET_KEY": "browser-test-secret-key-0123456789abcdef"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    app.extensions["engine"].dispose()


@pytest.fixture
def finance_with_books(live_app):
    add_user(live_app, "fin@example.org", ["finance"])
    with database(live_app) as session:
        posting.open_account(session, code="fees:guide", name="Fees: dementia guide", type="expense", unit="GBP")
        posting.open_account(session, code="owed:ann", name="Owed to Ann", type="liability", unit="GBP")
        posting.post_entry(session, effective_date=dt.date(2025, 5, 6), description="Ann: advisory group",
                           idempotency_key="fee", postings=[PostingLine("fees:guide", 4500, "GBP"),
                                                            PostingLine("owed:ann", -4500, "GBP")])
    return live_app


def test_finance_signs_in_reads_the_trial_balance_and_locks_a_month(sync_playwright, finance_with_books):
    app = finance_with_books
    base = app.config["BASE_URL"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)

            page.goto(f"{base}/books/trial-balance")
            assert page.url.startswith(f"{base}/login?next=")
            assert page.locator("html").get_attribute("lang") == "en-GB"
            page.get_by_label("Email address").fill("fin@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()

            page.wait_for_url(f"{base}/books/trial-balance*")
            assert page.get_by_role("heading", level=1).inner_text() == "Trial balance"
            assert page.get_by_role("cell", name="£45.00", exact=True).is_visible()
            assert page.get_by_role("link", name="owed:ann").is_visible()

            # The first Tab reaches the skip link, which takes keyboard users past the menu.
            page.keyboard.press("Tab")
            skip = page.locator(":focus")
            assert skip.inner_text() == "Skip to main content"
            assert skip.get_attribute("href") == "#main"
            page.keyboard.press("Enter")
            assert page.url.endswith("#main")

            page.get_by_role("navigation", name="Main").get_by_role("link", name="Locked periods").click()
            page.wait_for_url(f"{base}/books/periods")
            assert page.get_by_text("No month is locked yet.").is_visible()
            page.get_by_label("Month to lock").fill("2025-04")
            page.get_by_role("button", name="Lock this month").click()

            page.wait_for_url(f"{base}/books/periods")
            flash = page.get_by_role("status")
            assert flash.inner_text() == "April 2025 is locked. Nothing more can be posted into it."
            assert page.get_by_role("listitem").filter(has_text="April 2025").count() == 1

            page.get_by_role("button", name="Sign out Fin").click()
            page.wait_for_url(f"{base}/login")
            assert page.get_by_role("status").inner_text() == "You have signed out."
        finally:
            browser.close()
    with database(app) as session:
        assert posting.locked_months(session) == [dt.date(2025, 4, 1)]


@pytest.fixture
def carer_with_a_fee(live_app):
    """Siân, a carer, with a fee for the advisory group drafted by the project manager."""
    with database(live_app) as session:
        world = claims_world(session)
        claim_id = draft_fee(session, world, world.carer)
    return live_app, claim_id


def test_a_participant_chooses_time_credits_for_a_fee(sync_playwright, carer_with_a_fee):
    app, claim_id = carer_with_a_fee
    base = app.config["BASE_URL"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{base}/login")
            page.get_by_label("Email address").fill("sian@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/")

            page.get_by_role("navigation", name="Main").get_by_role("link", name="My money").click()
            page.wait_for_url(f"{base}/my/money")
            page.get_by_role("link", name="Fee for Advisory group on 04 June 2025", exact=True).click()
            page.wait_for_url(f"{base}/my/claims/{claim_id}")
            page.get_by_label("Time credits instead: 4 hours").check()
            page.get_by_role("button", name="Continue").click()

            assert page.get_by_role("heading", level=1).inner_text() == "Check your choice"
            page.get_by_role("button", name="Yes, record my choice").click()
            page.wait_for_url(f"{base}/my/claims/{claim_id}")
            assert page.get_by_role("status").first.inner_text().startswith("Your choice is recorded: time credits")
            assert page.locator("#claim-choice").inner_text() == "Time credits instead"
        finally:
            browser.close()
