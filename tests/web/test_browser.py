"""A real browser (Debian's chromium, driven by Playwright): finance reads the books and locks a month; a participant
chooses what happens to a fee.

Needs /usr/bin/chromium: skipped without it, except under CI=true, where it fails instead.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from ledger import create_app
from ledger.books import posting
from ledger.books.records import PostingLine
from ledger.db import make_engine
from ledger.migrate import upgrade
from tests.factories import PASSWORD, add_user, claims_world, database, draft_fee
from tests.web.browser import check_page, main_menu

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() == "true"
TIMEOUT = 30_000  # milliseconds: generous, for a loaded machine; a passing assertion returns as soon as it holds

pytestmark = pytest.mark.browser


@pytest.fixture
def page():
    """A chromium page. Every assertion on it waits (``expect``, ``wait_for_url``) up to ``TIMEOUT``."""
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing (CI=true: install Debian's chromium package)", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests")
    expect.set_options(timeout=TIMEOUT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT)
            yield page
        finally:
            browser.close()


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
    assert not thread.is_alive(), "the test server did not stop"
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


def test_finance_signs_in_reads_the_trial_balance_and_locks_a_month(finance_with_books, page):
    app = finance_with_books
    base = app.config["BASE_URL"]

    page.goto(f"{base}/books/trial-balance")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/login\?next="))
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
    check_page(page, "finance")
    page.get_by_label("Email address").fill("fin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{base}/books/trial-balance*")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trial balance")
    expect(page.get_by_role("cell", name="£45.00", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="owed:ann")).to_be_visible()
    check_page(page, "finance")
    # The design system's script ran (a module from /assets/, no inline script) and marked the current page.
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Trial balance")).to_have_attribute(
        "aria-current", "page")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="My money")).to_have_count(0)

    # The first Tab reaches the skip link, which takes keyboard users past the menu.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_have_attribute("href", "#main")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Locked periods").click()
    page.wait_for_url(f"{base}/books/periods")
    expect(page.get_by_text("No month is locked yet.")).to_be_visible()
    check_page(page, "finance")
    page.get_by_label("Month to lock").fill("2025-04")
    page.get_by_label("Why the month is being closed").fill("April reconciled and signed off")
    page.get_by_role("button", name="Lock this month").click()

    # The form posts and comes back to the same address: wait for what the new page says, not for the URL.
    expect(page.get_by_role("status")).to_have_text("April 2025 is locked. Nothing more can be posted into it.")
    expect(page.get_by_role("listitem").filter(has_text="April 2025")).to_have_count(1)
    expect(page).to_have_url(f"{base}/books/periods")
    check_page(page, "finance")

    page.get_by_role("button", name="Sign out Fin").click()
    page.wait_for_url(f"{base}/login")
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    check_page(page, "finance")
    with database(app) as session:
        assert posting.locked_months(session) == [dt.date(2025, 4, 1)]


@pytest.fixture
def carer_with_a_fee(live_app):
    """Siân, a carer, with a fee for the advisory group drafted by the project manager."""
    with database(live_app) as session:
        world = claims_world(session)
        claim_id = draft_fee(session, world, world.carer)
    return live_app, claim_id


def test_a_participant_chooses_time_credits_for_a_fee(carer_with_a_fee, page):
    app, claim_id = carer_with_a_fee
    base = app.config["BASE_URL"]
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("sian@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)  # each role lands on its own page

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My money").click()
    page.wait_for_url(f"{base}/my/money")
    expect(page.get_by_role("heading", level=1)).to_have_text("My money")
    check_page(page, "participant")
    page.get_by_role("link", name="Fee for Advisory group on 04 June 2025", exact=True).click()
    page.wait_for_url(f"{base}/my/claims/{claim_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fee for Advisory group on 04 June 2025")
    check_page(page, "participant")
    page.get_by_label("Time credits instead: 4 hours").check()
    page.get_by_role("button", name="Continue").click()

    # The claim page has a heading of its own: wait for the check page's, not for any heading.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your choice")
    check_page(page, "participant")
    page.get_by_role("button", name="Yes, record my choice").click()
    page.wait_for_url(f"{base}/my/claims/{claim_id}")
    expect(page.get_by_role("status").first).to_have_text(re.compile(r"^Your choice is recorded: time credits"))
    expect(page.locator("#claim-choice")).to_have_text("Time credits instead")
    check_page(page, "participant")

    # She switches her own pages to large print: the text grows to at least 24 px.
    page.get_by_text("Change how your pages and letters look").click()
    page.get_by_label("Large print: bigger text on these pages and in your letters").check()
    page.get_by_role("button", name="Save how my pages look").click()
    expect(page.get_by_role("status").first).to_have_text("Saved: large print.")
    expect(page.locator("html")).to_have_class(re.compile(r"\bapp-large-print\b"))
    body_text = page.locator("p.govuk-body").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert body_text >= 24
    check_page(page, "participant")


@pytest.fixture
def finance_with_a_chart(live_app):
    add_user(live_app, "fin@example.org", ["finance"])
    with database(live_app) as session:
        for code, name, kind in [("fees:guide", "Fees: dementia guide", "expense"),
                                 ("owed:participant:1", "Owed to participant 1", "liability"),
                                 ("bank:main", "Current account", "asset")]:
            posting.open_account(session, code=code, name=name, type=kind, unit="GBP")
    return live_app


@pytest.mark.parametrize("width", [1280, 320])
def test_finance_posts_a_manual_entry_and_sees_a_refusal_beside_its_field(finance_with_a_chart, page, width,
                                                                         tmp_path):
    base = finance_with_a_chart.config["BASE_URL"]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("fin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)  # each role lands on its own page
    check_page(page, "finance")
    main_menu(page).get_by_role("link", name="Manual journal entries").click()
    page.wait_for_url(f"{base}/books/manual-entries")
    check_page(page, "finance")

    page.get_by_label("Description").fill("Fee for the film shoot, paid by cheque")
    page.get_by_label("Why is this posted by hand?").fill("Paid by cheque at the event")
    lines = [("fees:guide", "Debit", ""), ("owed:participant:1", "Credit", "fee")]
    for i, (account, side, kind) in enumerate(lines):
        line = page.get_by_role("group", name=f"Line {i + 1}")
        line.get_by_label("Account code").fill(account)
        line.get_by_label("Debit or credit").select_option(label=side)
        line.get_by_label("Amount").fill("150.00")
        if kind:
            line.get_by_label("What it is").select_option(kind)
    page.get_by_role("button", name="Post the entry").click()

    # Owed but never paid: refused, the message beside the account, the summary linking to it.
    expect(page.get_by_role("alert")).to_contain_text("no payment run would pay")
    expect(page.locator("#lines-1-account-error")).to_contain_text("no payment run would pay")
    expect(page.locator("#lines-1-account")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    check_page(page, "finance")
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)  # SCREENSHOT_DIR=... to look at them
    page.screenshot(path=str(shots / f"manual-refused-{width}.png"), full_page=True)

    for i, (account, side) in enumerate([("owed:participant:1", "Debit"), ("bank:main", "Credit")], start=2):
        line = page.get_by_role("group", name=f"Line {i + 1}")
        line.get_by_label("Account code").fill(account)
        line.get_by_label("Debit or credit").select_option(label=side)
        line.get_by_label("Amount").fill("150.00")
        if account.startswith("owed:"):
            line.get_by_label("What it is").select_option("fee")
    page.get_by_role("button", name="Post the entry").click()

    expect(page.get_by_role("status")).to_have_text(re.compile(r"^Entry \d+ is posted\.$"))
    expect(page.get_by_role("listitem").filter(has_text="Reason: Paid by cheque at the event")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    check_page(page, "finance")
    page.screenshot(path=str(shots / f"manual-posted-{width}.png"), full_page=True)


def _sign_in_as(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)  # each role lands on its own page


def test_a_second_finance_user_approves_a_large_manual_entry(finance_with_a_chart, page, tmp_path):
    app = finance_with_a_chart
    base = app.config["BASE_URL"]
    add_user(app, "second@example.org", ["finance"])
    page.set_viewport_size({"width": 320, "height": 900})
    _sign_in_as(page, base, "fin@example.org")
    page.goto(f"{base}/books/manual-entries")
    page.get_by_label("Description").fill("Fee for the conference, paid by cheque")
    page.get_by_label("Why is this posted by hand?").fill("Paid by cheque on the day")
    for i, (account, side, kind) in enumerate([("fees:guide", "Debit", ""), ("owed:participant:1", "Credit", "fee"),
                                               ("owed:participant:1", "Debit", "fee"), ("bank:main", "Credit", "")]):
        line = page.get_by_role("group", name=f"Line {i + 1}")
        line.get_by_label("Account code").fill(account)
        line.get_by_label("Debit or credit").select_option(label=side)
        line.get_by_label("Amount").fill("400.00")
        if kind:
            line.get_by_label("What it is").select_option(kind)
    page.get_by_role("button", name="Post the entry").click()

    expect(page.get_by_role("status")).to_contain_text("is waiting for a second finance user")
    expect(page.get_by_text("so a different finance user must approve it")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Approve and post"))).to_have_count(0)
    check_page(page, "finance")

    main_menu(page).get_by_role("button", name=re.compile("^Sign out")).click()
    _sign_in_as(page, base, "second@example.org")
    page.goto(f"{base}/books/manual-entries")
    expect(page.get_by_role("heading", name=re.compile("Fee for the conference"))).to_be_visible()
    page.screenshot(path=str(Path(os.environ.get("SCREENSHOT_DIR") or tmp_path) / "manual-waiting-320.png"),
                    full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    check_page(page, "finance")
    page.get_by_role("button", name=re.compile("^Approve and post manual entry")).click()

    approved = re.compile(r"^Manual entry \d+ is approved: entry \d+ is posted\.$")
    expect(page.get_by_role("status")).to_have_text(approved)
    expect(page.get_by_text("No manual entry is waiting for approval.")).to_be_visible()
    check_page(page, "finance")


SHOTS = Path(os.environ.get("SCREENSHOTS_DIR", "/tmp/fee-choice-shots"))


def test_a_participant_takes_part_of_a_fee_and_the_rest_later(carer_with_a_fee, page):
    """The details of "Take less" show only once it is chosen; the check page runs the benefit check on the choice.
    Screenshots of both pages at 320 px and at desktop width go to SCREENSHOTS_DIR (to look at, not compared)."""
    app, claim_id = carer_with_a_fee
    app.config["LEDGER_TODAY"] = "2025-06-05"
    from ledger.context import reload_settings
    reload_settings(app)
    base = app.config["BASE_URL"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("sian@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)  # each role lands on its own page
    page.goto(f"{base}/my/claims/{claim_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fee for Advisory group on 04 June 2025")

    amount = page.get_by_label("How much would you like, in pounds?")
    expect(amount).to_be_hidden()  # the design system's script hides what an option needs until it is chosen
    check_page(page, "participant")
    page.get_by_label("Take less: you say how much").check()
    expect(amount).to_be_visible()
    amount.fill("20.00")
    later = page.get_by_role("group", name="From which day should we pay you the rest?")
    expect(later).to_be_hidden()
    page.get_by_label("Pay me the rest later, on a day I choose").check()
    later.get_by_label("Day").fill("23")
    later.get_by_label("Month").fill("6")
    later.get_by_label("Year").fill("2025")
    check_page(page, "participant")
    for width, name in ((320, "narrow"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"choice-{name}.png"), full_page=True)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your choice")
    expect(page.locator("#choice-summary")).to_contain_text(
        "The rest, £30.40, will be paid to you on or after 23 June 2025.")
    expect(page.locator("#choice-check")).to_contain_text("We checked your choice: it does not affect your benefits.")
    check_page(page, "participant")
    for width, name in ((320, "narrow"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"check-{name}.png"), full_page=True)
    page.get_by_role("button", name="Yes, record my choice").click()
    page.wait_for_url(f"{base}/my/claims/{claim_id}")
    expect(page.locator("#claim-parts")).to_contain_text("Paid to you later: £30.40, on or after 23 June 2025")
    check_page(page, "participant")


def test_the_choice_page_refuses_too_much_next_to_the_field_in_a_browser(carer_with_a_fee, page):
    app, claim_id = carer_with_a_fee
    base = app.config["BASE_URL"]
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("sian@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)  # each role lands on its own page
    page.goto(f"{base}/my/claims/{claim_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fee for Advisory group on 04 June 2025")
    check_page(page, "participant")

    page.get_by_label("Take less: you say how much").check()
    page.get_by_label("How much would you like, in pounds?").fill("60.00")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.locator("#amount-error")).to_contain_text("The amount must be less than the fee of £50.40.")
    expect(page.get_by_label("How much would you like, in pounds?")).to_have_value("60.00")
    # The error summary takes the focus (the design system's script), its link goes to the field, and the
    # page's title says there is an error.
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.get_by_role("link", name=re.compile("The amount must be less than the fee"))).to_have_attribute(
        "href", "#amount")
    expect(page).to_have_title(re.compile(r"^Error: "))
    check_page(page, "participant")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 320, "height": 900})
    page.screenshot(path=str(SHOTS / "error-narrow.png"), full_page=True)


def test_finance_sees_the_parts_and_the_same_uncertainty_in_a_browser(live_app, page, tmp_path):
    """A split fee on finance's claim page, with the unverified figure named and who to ask (screenshot)."""
    from ledger.claims import services as claims
    from ledger.context import reload_settings
    from tests.factories import RULES
    from tests.web.test_fee_choice_pages import UNVERIFIED_LIMIT, WHO_TO_ASK

    (tmp_path / "org.toml").write_text(UNVERIFIED_LIMIT, encoding="utf-8")
    live_app.config.update(POLICY_OVERRIDE_FILES=[str(tmp_path / "org.toml")], LEDGER_TODAY="2025-06-05")
    reload_settings(live_app)
    with database(live_app) as session:
        world = claims_world(session)
        claim_id = draft_fee(session, world, world.carer)
        claims.record_choice(session, claim_id, choice="take_less", amount="20.00", rest="redirect",
                             group_id=world.group_id, actor_user_id=world.carer_user, rules=RULES,
                             today=dt.date(2025, 6, 5))
        claims.submit_claim(session, claim_id, actor_user_id=world.manager)
    base = live_app.config["BASE_URL"]
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("fin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)  # each role lands on its own page
    page.goto(f"{base}/finance/claims/{claim_id}")

    expect(page.locator("#claim-parts")).to_contain_text("Paid to the participant: £20.00")
    expect(page.locator("#claim-parts")).to_contain_text("Given to a group: £30.40 to Voices Together")
    expect(page.locator("#unverified")).to_contain_text(WHO_TO_ASK)
    check_page(page, "finance")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, name in ((320, "narrow"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"finance-{name}.png"), full_page=True)
