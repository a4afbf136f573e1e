"""In chromium, by keyboard alone: a participant signs in, opens the fee waiting for her decision, chooses, checks
the benefit effect and records her choice using only Tab, Shift+Tab, Space and Enter (and typing in the two sign-in
fields). Every element she reaches shows the design system's focus state, and every page passes ``check_page``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.web.browser import check_page
from tests.web.test_browser import carer_with_a_fee, live_app, page  # noqa: F401  (browser, app, fee)

pytestmark = pytest.mark.browser

MAX_TABS = 80
#: What the focused element looks like: GOV.UK Frontend's focus state is a yellow outline or box shadow (on a
#: radio or checkbox, drawn by its label's ``::before``, the circle or box a person sees; the input is hidden).
FOCUS_STYLE = """() => { const e = document.activeElement;
  const drawn = ['radio', 'checkbox'].includes(e.type) && e.nextElementSibling;
  const s = drawn ? getComputedStyle(e.nextElementSibling, '::before') : getComputedStyle(e);
  return {outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
          shadow: s.boxShadow !== 'none', background: s.backgroundColor,
          tag: e.tagName.toLowerCase(),
          name: (e.labels && e.labels[0] ? e.labels[0].innerText : e.innerText || '').trim(),
          href: e.getAttribute('href') || '', type: e.getAttribute('type') || '', value: e.value || ''}; }"""


def focused(page) -> dict:  # noqa: F811
    return page.evaluate(FOCUS_STYLE)


def tab_to(page, wanted, *, backwards: bool = False) -> dict:  # noqa: F811
    """Press Tab (Shift+Tab when ``backwards``) until the focused element is ``wanted(element)``, and check that
    every element passed on the way shows a visible focus state."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if now["tag"] != "body":
            assert now["outline"] or now["shadow"], f"no visible focus on {now}"
        if wanted(now):
            return now
    raise AssertionError(f"never reached the element wanted after {MAX_TABS} presses; last {now}")


def test_a_participant_chooses_her_fee_by_keyboard_alone(carer_with_a_fee, page):  # noqa: F811
    app, claim_id = carer_with_a_fee
    base = app.config["BASE_URL"]
    page.goto(f"{base}/login")  # the address typed in the browser: the only step not on the page itself
    expect(page.get_by_label("Email address")).to_be_visible()

    tab_to(page, lambda e: e["type"] == "email")
    page.keyboard.type("sian@example.org")
    tab_to(page, lambda e: e["type"] == "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/my")
    expect(page.get_by_role("heading", name="Hello Siân")).to_be_visible()
    check_page(page, "participant")

    link = tab_to(page, lambda e: e["tag"] == "a" and f"/my/claims/{claim_id}" in e["href"])
    assert link["shadow"]  # a focused govuk link: yellow background with a black underline (box shadow)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/my/claims/{claim_id}*")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fee for Advisory group on 04 June 2025")
    check_page(page, "participant")

    tab_to(page, lambda e: e["type"] == "radio" and e["value"] == "take")
    page.keyboard.press("Space")
    expect(page.locator("input[type=radio][value=take]")).to_be_checked()
    tab_to(page, lambda e: e["tag"] == "button" and e["name"] == "Continue")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your choice")
    check_page(page, "participant")

    # She goes back up the page to read the check once more, then down to the button.
    tab_to(page, lambda e: e["tag"] == "a", backwards=True)
    tab_to(page, lambda e: e["tag"] == "button" and e["name"] == "Yes, record my choice")
    page.keyboard.press("Space")
    page.wait_for_url(f"{base}/my/claims/{claim_id}")
    expect(page.locator("#claim-choice")).to_have_text("Take the fee")
    check_page(page, "participant")
