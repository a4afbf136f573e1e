"""In a real browser: finance records a payment the bank returned, and reverses a paid claim; the pages are
photographed at 320 px and at desktop width (``CORRECTIONS_SCREENSHOTS``, default the test's tmp dir)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ledger.context import reload_settings
from tests.factories import PASSWORD, PAY_ON, PaymentsWorld, add_user, database
from tests.web.browser import check_page
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser and the served app)

pytestmark = pytest.mark.browser
LATER = PAY_ON + dt.timedelta(days=4)


def shoot(page, name: str, tmp_path: Path) -> None:  # noqa: F811
    folder = Path(os.environ.get("CORRECTIONS_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    for width in (320, 1280):  # at 320 px nothing may scroll sideways but a table in its own scroll box
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        widest = page.evaluate("""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right
            > document.documentElement.clientWidth).map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 5)""")
        assert overflow <= 1 or width > 320, f"{name} scrolls sideways at 320 px by {overflow} px: {widest}"
    page.set_viewport_size({"width": 1280, "height": 900})
    check_page(page, "finance")


@pytest.fixture
def paid_run(live_app):  # noqa: F811
    live_app.config["LEDGER_TODAY"] = LATER.isoformat()
    reload_settings(live_app)
    with database(live_app) as session:
        world = PaymentsWorld(session)
        ann = world.participant("Ann Smith")
        claim = world.claim(ann, 4000)
        run = world.draft()
        world.confirm(run.id)
    add_user(live_app, "fiona@example.org", ["finance"])
    return {"base": live_app.config["BASE_URL"], "run": run.id, "claim": claim}


def sign_in(page, base: str) -> None:  # noqa: F811
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("fiona@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")


def test_finance_records_a_returned_payment_then_reverses_a_claim(paid_run, page, tmp_path):  # noqa: F811
    base = paid_run["base"]
    sign_in(page, base)
    page.goto(f"{base}/finance/payment-runs/{paid_run['run']}")
    expect(page.get_by_role("heading", name="Record a returned payment")).to_be_visible()
    check_page(page, "finance")
    page.get_by_label("Whose payment came back?").select_option(index=1)
    page.get_by_label("Amount returned, in pounds").fill("39.00")
    page.get_by_label("The account is closed").check()
    page.get_by_label("The bank's reference for the return").fill("RTN-9")
    page.get_by_role("button", name="Record the returned payment").click()
    expect(page.locator("#amount-error")).to_contain_text("Must be £40.00.")
    shoot(page, "payment-run-return-refused", tmp_path)
    page.get_by_label("Amount returned, in pounds").fill("40.00")
    page.get_by_role("button", name="Record the returned payment").click()
    expect(page.get_by_text("is recorded as returned")).to_be_visible()
    expect(page.get_by_role("cell", name="RTN-9")).to_be_visible()
    shoot(page, "payment-run-returned", tmp_path)


def test_finance_reverses_a_paid_claim_and_asks_for_a_write_off(paid_run, page, tmp_path):  # noqa: F811
    base = paid_run["base"]
    sign_in(page, base)
    page.goto(f"{base}/finance/claims/{paid_run['claim']}")
    expect(page.get_by_label("Why is this paid claim reversed?")).to_be_visible()
    check_page(page, "finance")
    page.get_by_label("Why is this paid claim reversed?").fill("Paid twice for the same meeting")
    page.get_by_role("button", name="Reverse this paid claim").click()
    expect(page.locator("#owed-back-amount")).to_have_text("£40.00")
    page.get_by_role("button", name="Record the repayment").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    shoot(page, "claim-owed-back", tmp_path)
    page.get_by_label("Why should it be written off?").fill("Ann has moved abroad")
    page.get_by_role("button", name="Ask for a write-off").click()
    expect(page.get_by_text("a different finance user must approve it").first).to_be_visible()
    check_page(page, "finance")
