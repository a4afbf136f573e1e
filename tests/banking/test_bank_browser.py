"""A real browser: finance imports a statement with a preset and another through the column-mapping step,
confirms a suggested match from the queue, and reads the reconciliation; every new page passes ``check_page``
(axe, and no sideways scroll at 320 px). Needs /usr/bin/chromium (see ``tests/web/test_browser``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PAY_ON, PaymentsWorld, add_user, database
from tests.web.browser import check_page, main_menu
from tests.web.test_browser import _sign_in_as, live_app, page  # noqa: F401  (the shared browser fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def paid_run(live_app):  # noqa: F811
    with database(live_app) as session:
        world = PaymentsWorld(session)
        ann = world.participant("Ann Smith")
        world.claim(ann, 4000)
        run = world.draft()
        world.confirm(run.id)
    add_user(live_app, "fiona@example.org", ["finance"])
    return run


def test_finance_imports_matches_and_reconciles_in_the_browser(live_app, paid_run, page, tmp_path):  # noqa: F811
    base = live_app.config["BASE_URL"]
    day = PAY_ON.strftime("%d/%m/%Y")
    barclays = tmp_path / "barclays.csv"
    barclays.write_text(f"Number,Date,Account,Amount,Subcategory,Memo\n,{day},20-00-00 12345678,-40.00,"
                        f"PAYMENT,BACS {paid_run.reference}\n,{day},20-00-00 12345678,-3.00,CHARGE,FEE\n")
    other = tmp_path / "other.csv"
    other.write_text(f"When,What,Money\n{day},INTEREST,0.12\n")

    _sign_in_as(page, base, "fiona@example.org")
    main_menu(page).get_by_role("link", name="Bank statements", exact=True).click()
    page.wait_for_url(f"{base}/finance/bank-statements")
    check_page(page, "finance")

    page.get_by_label("Statement file (CSV or OFX)").set_input_files(str(barclays))
    page.get_by_label("Your bank's CSV layout").select_option("barclays")
    page.get_by_role("button", name="Import the statement").click()
    page.wait_for_url(f"{base}/finance/bank-statements/lines")
    expect(page.get_by_role("status")).to_contain_text("Imported 2 new line(s).")
    check_page(page, "finance")
    page.get_by_role("button", name="Confirm the match of line").click()
    expect(page.get_by_role("status")).to_contain_text("is matched")

    page.get_by_role("link", name="FEE").click()
    expect(page.get_by_role("heading", name="Match by hand")).to_be_visible()
    page.get_by_role("button", name="Match the line").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    check_page(page, "finance")

    page.goto(f"{base}/finance/bank-statements")
    page.get_by_label("Statement file (CSV or OFX)").set_input_files(str(other))
    page.get_by_role("button", name="Import the statement").click()
    expect(page.get_by_role("heading", name="Which column holds what?")).to_be_visible()
    check_page(page, "finance")
    page.get_by_label("Date", exact=True).select_option("When")
    page.get_by_label("Description").select_option("What")
    page.get_by_label("Amount (money in positive, money out negative)").select_option("Money")
    page.get_by_role("button", name="Import with these columns").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 1 new line(s).")

    page.goto(f"{base}/finance/bank-statements/reconciliation?date={PAY_ON.isoformat()}")
    expect(page.locator("#books-balance")).to_have_text("-£40.00")
    expect(page.locator("#unexplained")).to_have_text("£0.00")
    check_page(page, "finance")
