"""In a real browser: an administrator invites someone, who sets a password through the link and signs in; the
administrator deactivates them, and their very next page asks them to sign in. Screenshots of the admin pages
at 320 px and at desktop width go to ``$SCREENSHOT_DIR`` when it is set, to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, add_user
from tests.web.browser import check_page, main_menu
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser fixtures)

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOT_DIR")


def _shoot(tab, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width, label in ((320, "320"), (1280, "desktop")):
        tab.set_viewport_size({"width": width, "height": 900})
        tab.screenshot(path=str(Path(SHOTS) / f"{name}-{label}.png"), full_page=True)
    tab.set_viewport_size({"width": 1280, "height": 900})


def _sign_in(tab, base: str, email: str, password: str = PASSWORD) -> None:
    tab.goto(f"{base}/login")
    tab.get_by_label("Email address").fill(email)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("button", name=re.compile("Sign out"))).to_be_visible()
    check_page(tab, "signed in")


def test_invite_accept_sign_in_and_deactivation_signs_out_at_once(live_app, page):  # noqa: F811
    base = live_app.config["BASE_URL"]
    add_user(live_app, "admin@example.org", ["admin"])
    _sign_in(page, base, "admin@example.org")
    main_menu(page).get_by_role("link", name="Users").first.click()
    page.wait_for_url(f"{base}/admin/users")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one role.")
    check_page(page, "admin")
    _shoot(page, "admin-users-errors")
    page.get_by_label("Email address").fill("pat@example.org")
    page.get_by_label("Name", exact=True).fill("Pat Manager")
    page.get_by_label("Project manager").check()
    page.get_by_role("button", name="Invite").click()
    link = page.locator("#invitation-link")
    expect(link).to_contain_text("/invitations/inv_")
    check_page(page, "admin")
    _shoot(page, "admin-users")
    invitation = link.inner_text()

    invitee = page.context.browser.new_context().new_page()
    invitee.goto(invitation)
    expect(invitee.get_by_role("heading", name="Welcome, Pat Manager")).to_be_visible()
    check_page(invitee, "manager")
    invitee.get_by_label("Choose a password").fill("a brand new passphrase")
    invitee.get_by_label("Type the password again").fill("a brand new passphrase")
    invitee.get_by_role("button", name="Set my password").click()
    invitee.wait_for_url(f"{base}/login")
    _sign_in(invitee, base, "pat@example.org", "a brand new passphrase")
    invitee.goto(f"{base}/projects")
    expect(invitee.get_by_role("heading", name="Projects")).to_be_visible()
    check_page(invitee, "manager")

    page.get_by_role("link", name="Pat Manager").click()
    expect(page.get_by_role("heading", name="Pat Manager")).to_be_visible()
    check_page(page, "admin")
    _shoot(page, "admin-user")
    page.get_by_label("Reason (kept in the audit log)").fill("Left the organisation")
    page.get_by_role("button", name="Deactivate Pat Manager").click()
    expect(page.get_by_role("status").first).to_contain_text("Pat Manager is deactivated")
    expect(page.get_by_role("button", name="Reactivate Pat Manager")).to_be_visible()
    check_page(page, "admin")
    _shoot(page, "admin-user-deactivated")

    invitee.goto(f"{base}/projects")
    invitee.wait_for_url(re.compile(r"/login"))
    expect(invitee.get_by_role("button", name="Sign in")).to_be_visible()
    check_page(invitee, "manager")
