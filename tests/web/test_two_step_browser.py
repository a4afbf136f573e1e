"""In a real browser: finance, where the organisation requires a second factor, is sent to set up an authenticator
app before anything else, reads the key off the page, confirms a code, keeps the recovery codes, and next time
signs in with a password and a code. Every new page is checked with axe and at 320 px."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from ledger.context import reload_settings
from tests.factories import PASSWORD, add_user
from tests.web.browser import check_page
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser fixtures)

pytestmark = pytest.mark.browser


def _password_step(tab, base: str) -> None:
    tab.goto(f"{base}/login")
    tab.get_by_label("Email address").fill("fin@example.org")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()


def test_finance_sets_up_two_step_sign_in_and_signs_in_with_a_code(live_app, page):  # noqa: F811
    live_app.config["TOTP_REQUIRED"] = True
    reload_settings(live_app)
    add_user(live_app, "fin@example.org", ["finance"])
    base = live_app.config["BASE_URL"]

    _password_step(page, base)
    page.wait_for_url(f"{base}/account/two-step")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign in")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    check_page(page, "finance")
    secret = page.locator("#totp-key").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill("12345")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check_page(page, "finance")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    check_page(page, "finance")

    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_url(f"{base}/login")
    _password_step(page, base)
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/login/code"))
    check_page(page, "finance")
    # Next step's code: the one used to set up is refused as a replay for the rest of its 30 seconds.
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/finance")
    expect(page.get_by_role("button", name=re.compile("Sign out"))).to_be_visible()

    page.goto(f"{base}/account/password")
    check_page(page, "finance")
