"""The verification page: the books and the chain checked, a signed checkpoint to download, at 320 px too."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from ledger.chain import audit
from tests.chain.test_chain import guards_off
from tests.factories import JUNE_1, PASSWORD, add_user, database, fee_entry, open_chart, sign_in
from tests.web.browser import check_page
from tests.web.test_browser import live_app, page  # noqa: F401  (the shared chromium and live-server fixtures)


def test_the_page_says_the_books_are_sound_then_names_what_was_changed(app, client):
    add_user(app, "fin@example.org", ["finance"])
    with database(app) as session:
        open_chart(session)
        entry = fee_entry(session, "fee-page", JUNE_1, 4500)
    sign_in(client, "fin@example.org")

    asked = client.get("/books/verification")
    assert asked.status_code == 200 and "Check the books now" in asked.text and "The books are sound" not in asked.text
    sound = client.get("/books/verification?check=now")
    assert sound.status_code == 200
    assert "The books are sound" in sound.text and f"All {len(audit.VERIFY_CHECKS)} checks passed" in sound.text
    download = client.get("/books/checkpoint.json")
    assert download.headers["Content-Disposition"].startswith('attachment; filename="checkpoint-')
    kept = json.loads(download.text)
    with database(app) as session:
        assert audit.check_checkpoint(session, kept).ok

    with database(app) as session:
        guards_off(session)
        session.execute(text("UPDATE journal_entries SET description = 'Edited'"))
    broken = client.get("/books/verification?check=now")
    assert "The books are not sound" in broken.text
    assert f"entry {entry.id}: it is not what it was when link" in broken.text


@pytest.mark.browser
def test_the_verification_page_passes_axe_and_320_px(live_app, page):  # noqa: F811
    add_user(live_app, "fin@example.org", ["finance"])
    with database(live_app) as session:
        open_chart(session)
        fee_entry(session, "fee-browser", JUNE_1, 4500)
    base = live_app.config["BASE_URL"]
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("fin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/finance")
    page.goto(f"{base}/books/trial-balance")
    page.get_by_role("link", name="Verify the books and their chain").click()
    page.get_by_role("button", name="Check the books now").click()
    expect(page.get_by_role("heading", name="The books are sound")).to_be_visible()
    check_page(page, "finance")
