"""In chromium, on a phone-sized screen: a participant claims an expense with a photo of the receipt (a PNG made
here), checks it, sends it, and sees it in their claims with when it will be paid; no page scrolls sideways."""

from __future__ import annotations

import struct
import zlib

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, TODAY, claims_world, database, set_today
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser and the served app)

pytestmark = pytest.mark.browser


def small_png(width: int = 8, height: int = 8) -> bytes:
    """A real PNG: a grey square, as a phone camera's photo would be (only much smaller)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _no_sideways_scroll(page) -> None:  # noqa: F811
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def test_a_participant_claims_an_expense_with_a_photo_of_the_receipt(live_app, page, tmp_path):  # noqa: F811
    set_today(live_app, TODAY)
    with database(live_app) as session:
        claims_world(session)
    receipt = tmp_path / "bus-ticket.png"
    receipt.write_bytes(small_png())
    base = live_app.config["BASE_URL"]
    page.set_viewport_size({"width": 320, "height": 800})

    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("sian@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/my")
    expect(page.get_by_role("heading", name="Hello Siân")).to_be_visible()
    page.get_by_role("link", name="Claim your expenses").click()
    page.get_by_label("Advisory group, 4 June 2025").check()
    page.get_by_label("1", exact=True).check()
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Your expenses")).to_be_visible()
    page.get_by_label("What kind of expense?").select_option("taxi")
    page.get_by_label("What was it?").fill("Taxi home from the meeting")
    page.get_by_label("Day").fill("4")
    page.get_by_label("Month").fill("6")
    page.get_by_label("Year").fill("2025")
    page.get_by_label("Amount, in pounds").fill("28.40")
    page.get_by_label("Photo or PDF of the receipt").set_input_files(str(receipt))
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Check your expense claim")).to_be_visible()
    expect(page.locator("#check-answers")).to_contain_text("Taxi home from the meeting, 4 June 2025: £28.40")
    expect(page.get_by_role("link", name="bus-ticket.png")).to_be_visible()
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Send the claim").click()

    expect(page.get_by_role("heading", name="Expense claim sent")).to_be_visible()
    expect(page.locator("#expected-payment")).to_have_text(
        "After approval, in the next run on 9 June 2025 at the earliest.")
    page.get_by_role("link", name="See your claims").click()
    card = page.locator(".govuk-summary-card", has_text="Expenses for Dementia guide")
    expect(card).to_contain_text("Waiting for approval")
    expect(card).to_contain_text("£28.40")
    expect(card.locator(".expected-payment")).to_have_text("After approval, in the next run on 9 June 2025 at the "
                                                           "earliest")
    _no_sideways_scroll(page)
