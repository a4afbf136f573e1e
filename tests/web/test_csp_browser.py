"""In chromium: the pages work under their Content-Security-Policy, with no violation reported in the console
(no inline script, event handler or style), and the design system's module script still runs.

Needs /usr/bin/chromium: skipped without it, except under CI=true, where it fails instead.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, add_user
from tests.web.browser import check_page
from tests.web.test_browser import live_app, page  # noqa: F401  (the shared chromium and live-server fixtures)

pytestmark = pytest.mark.browser


def test_pages_load_under_the_content_security_policy_without_a_violation(live_app, page):  # noqa: F811
    add_user(live_app, "fin@example.org", ["finance"])
    base = live_app.config["BASE_URL"]
    said: list[str] = []
    page.on("console", lambda message: said.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: said.append(f"pageerror: {error}"))

    login = page.goto(f"{base}/login")
    assert login.headers["content-security-policy"] == (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_label("Email address").fill("fin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/finance")  # finance lands on its dashboard
    # The design system's script ran (a module from /assets/): it marks the body once it has started.
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    for path in ("/books/trial-balance", "/account/tokens", "/finance/claims"):
        answer = page.goto(f"{base}{path}")
        assert answer.status == 200 and answer.headers["cache-control"] == "no-store", path
        expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
        check_page(page, "finance")
    page.get_by_role("button", name="Sign out Fin").click()
    page.wait_for_url(f"{base}/login")
    expect(page.get_by_role("status")).to_have_text("You have signed out.")

    violations = [line for line in said if re.search(r"Content.Security.Policy|Refused to", line, re.I)]
    assert violations == [], violations
    assert not [line for line in said if line.startswith(("error", "pageerror"))], said
