"""In chromium, end to end across the roles: a participant claims an expense with a photo of the receipt, finance
approves it, drafts a payment run and confirms it, and the participant sees it paid and downloads the remittance
advice. Finance works at 1280 px; the participant's part is done at 320 px, as on a phone. Every page visited
passes ``check_page`` (axe-core, no sideways scroll at 320 px)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.factories import PASSWORD, TODAY, claims_world, database, set_today
from tests.web.browser import check_page, main_menu
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser and the served app)
from tests.web.test_participant_journeys_browser import small_png

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 800}
DESK = {"width": 1280, "height": 900}


def _sign_in(page, base: str, email: str, lands_on: str) -> None:  # noqa: F811
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{lands_on}")  # each role lands on its own page


def _sign_out(page) -> None:  # noqa: F811
    main_menu(page).get_by_role("button", name=re.compile("^Sign out")).click()
    expect(page.get_by_label("Email address")).to_be_visible()


def _participant_claims_an_expense(page, base: str, receipt) -> None:  # noqa: F811
    page.set_viewport_size(PHONE)
    _sign_in(page, base, "sian@example.org", "/my")
    expect(page.get_by_role("heading", name="Hello Siân")).to_be_visible()
    check_page(page, "participant")
    page.goto(f"{base}/my/details/bank")
    page.get_by_label("Name on the account").fill("S Evans")
    page.get_by_label("Sort code").fill("20-00-00")
    page.get_by_label("Account number").fill("55556666")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm my new bank details").click()
    expect(page.locator(".govuk-notification-banner, .govuk-body").first).to_be_visible()

    page.goto(f"{base}/my")
    page.get_by_role("link", name="Claim your expenses").click()
    page.get_by_label("Advisory group, 4 June 2025").check()
    page.get_by_label("1", exact=True).check()
    check_page(page, "participant")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your expenses")).to_be_visible()
    page.get_by_label("What kind of expense?").select_option("taxi")
    page.get_by_label("What was it?").fill("Taxi home from the meeting")
    page.get_by_label("Day").fill("4")
    page.get_by_label("Month").fill("6")
    page.get_by_label("Year").fill("2025")
    page.get_by_label("Amount, in pounds").fill("28.40")
    page.get_by_label("Photo or PDF of the receipt").set_input_files(str(receipt))
    check_page(page, "participant")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your expense claim")).to_be_visible()
    check_page(page, "participant")
    page.get_by_role("button", name="Send the claim").click()
    expect(page.get_by_role("heading", name="Expense claim sent")).to_be_visible()
    check_page(page, "participant")
    _sign_out(page)


def _finance_approves_and_pays(page, base: str) -> None:  # noqa: F811
    page.set_viewport_size(DESK)
    _sign_in(page, base, "fin@example.org", "/finance")
    check_page(page, "finance")
    page.goto(f"{base}/finance/claims")
    page.get_by_role("link", name=re.compile(r"Taxi home from the meeting|Expenses")).first.click()
    expect(page.locator("#benefit-check")).to_be_visible()
    check_page(page, "finance")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#claim-status")).to_have_text("Approved")

    page.goto(f"{base}/finance/payment-runs")
    check_page(page, "finance")
    run_form = page.locator("form", has=page.get_by_role("button", name="Draft the payment run"))
    for legend, (day, month) in (("Pay claims for work done on or before", ("5", "6")),
                                 ("Day the money should arrive", ("9", "6"))):
        group = run_form.get_by_role("group", name=legend)
        group.get_by_label("Day").fill(day)
        group.get_by_label("Month").fill(month)
        group.get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Draft the payment run").click()
    expect(page.get_by_role("heading", name="Confirm")).to_be_visible()
    expect(page.locator("main")).to_contain_text("£28.40")
    check_page(page, "finance")
    page.get_by_label("The bank's reference for the accepted submission").fill("BACS-0609")
    page.get_by_role("button", name="Confirm the bank accepted this run").click()
    expect(page.locator("main")).to_contain_text("BACS-0609")
    check_page(page, "finance")
    page.goto(f"{base}/reports/organisation")
    expect(page.locator("main")).to_contain_text("Days from a claim submitted to paid")
    check_page(page, "finance")
    _sign_out(page)


def test_an_expense_is_claimed_approved_paid_and_its_remittance_downloaded(live_app, page, tmp_path):  # noqa: F811
    set_today(live_app, TODAY)
    with database(live_app) as session:
        claims_world(session)
    receipt = tmp_path / "taxi-receipt.png"
    receipt.write_bytes(small_png())
    base = live_app.config["BASE_URL"]

    _participant_claims_an_expense(page, base, receipt)
    _finance_approves_and_pays(page, base)

    page.set_viewport_size(PHONE)
    _sign_in(page, base, "sian@example.org", "/my")
    page.goto(f"{base}/my/claims")
    card = page.locator(".govuk-summary-card", has_text="Expenses for Dementia guide")
    expect(card).to_contain_text("Paid")
    check_page(page, "participant")
    card.get_by_role("link").first.click()
    expect(page.locator("#claim-remittance")).to_be_visible()
    check_page(page, "participant")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the remittance advice (PDF)").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "£28.40" in words and "Siân Evans" in words
