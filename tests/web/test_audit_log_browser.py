"""In a real browser, at 320 px and at desktop width: finance opens the audit log, filters it by person, by what
happened and by dates (a wrong date shown beside its field), pages on, downloads the CSV, and then finds that
download in the log itself, with their own name. People and users are named, never numbered.

Needs /usr/bin/chromium (see ``test_browser``: skipped without it, except under CI=true).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from tests.factories import PASSWORD, database, make_participant, make_user
from tests.web.browser import check_page, main_menu
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser and the served app)

pytestmark = pytest.mark.browser
DAY = dt.datetime(2025, 5, 10, 9, 30, tzinfo=dt.UTC)


def _events(app) -> None:
    """Ann's bank details changed twice by Fay; 55 months locked by the system, so the log runs to two pages."""
    with database(app) as session:
        ann = make_participant(session, "Ann Example").id
        make_participant(session, "Bob Other")
        fay = make_user(session, "fay@example.org", ["finance"], display_name="Fay Finance").id
        for n in range(2):
            record_event(session, NewEvent(subject="participant", subject_id=ann, action="set_bank_details",
                                           actor_user_id=fay, participant_id=ann, reason=f"New account {n}"),
                         at=DAY + dt.timedelta(days=n))
        for n in range(55):
            record_event(session, NewEvent(subject="period", subject_id=f"20{n:02d}-01", action="lock",
                                           actor_user_id=None, before="open", after="locked"),
                         at=DAY + dt.timedelta(days=5))


@pytest.mark.parametrize("width", [320, 1280])
def test_finance_filters_pages_and_downloads_the_audit_log(live_app, page, width):  # noqa: F811
    _events(live_app)
    base = live_app.config["BASE_URL"]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("fay@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)

    main_menu(page).get_by_role("link", name="Audit log").click()
    page.wait_for_url(f"{base}/finance/audit-log")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    events = page.get_by_role("list", name="Events").locator(":scope > li")
    expect(events).to_have_count(50)
    check_page(page, "finance")
    page.get_by_role("link", name="Next page").click()
    expect(events).to_have_count(2 + 55 + 1 - 50)  # and Fay's user made
    check_page(page, "finance")

    page.goto(f"{base}/finance/audit-log")
    page.get_by_label("Person").select_option(label="Ann Example")
    page.get_by_role("button", name="Show events").click()
    expect(events).to_have_count(2)
    expect(events.first).to_contain_text("Participant Ann Example: set bank details")
    expect(events.first).to_contain_text("Fay Finance")
    expect(events.first).to_contain_text("New account 1")
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    check_page(page, "finance")

    page.get_by_label("Person").select_option(label="Anyone")
    page.get_by_label("What happened").select_option(label="period")
    page.locator("#from-day").fill("31")
    page.locator("#from-month").fill("2")
    page.locator("#from-year").fill("2025")
    page.get_by_role("button", name="Show events").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#from-error")).to_be_visible()
    check_page(page, "finance")
    page.locator("#from-day").fill("15")
    page.locator("#from-month").fill("5")
    page.get_by_role("button", name="Show events").click()
    expect(events).to_have_count(50)
    expect(events.first).to_contain_text("The system")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 55 and lines[0].startswith("event,when (UTC),what")

    page.goto(f"{base}/finance/audit-log?kind=export")
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text("download")
    expect(events.first).to_contain_text("Fay Finance")
    expect(events.first).to_contain_text("55 rows of the audit csv taken through the page")
    check_page(page, "finance")
