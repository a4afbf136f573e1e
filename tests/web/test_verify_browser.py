"""In a real browser at 320 px wide, signed out: anyone checks a remittance advice by its code and by its file,
and a changed file is not genuine. Nothing is wider than the screen and axe finds nothing.

Needs /usr/bin/chromium (see ``test_browser``: skipped without it, except under CI=true).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ledger.context import reload_settings
from ledger.documents import issuing
from ledger.documents.register import Producer
from ledger.reports.remittances import remittance_advice
from tests.factories import database, month_of_books
from tests.web.browser import check_page
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser and the served app)

pytestmark = pytest.mark.browser


def test_anyone_checks_a_document_by_its_code_and_its_file_at_320_px(live_app, page, tmp_path):  # noqa: F811
    with database(live_app) as session:
        books = month_of_books(session)
        advice = remittance_advice(session, books.run_id, "participant", books.ann,
                                   organisation=reload_settings(live_app).organisation)
        issued = issuing.issue_remittance(session, advice, producer=Producer("cli", "test"),
                                          issued_on=advice.payment_date)
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(issued.pdf.replace(b"/Producer", b"/Producex", 1))
    base = live_app.config["BASE_URL"]
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto(f"{base}/verify")
    check_page(page, "participant")
    page.get_by_label("Verification code").first.fill(issued.code.lower())
    page.get_by_role("button", name="Check the code").click()
    expect(page.get_by_role("heading", name="Genuine", exact=True)).to_be_visible()
    expect(page.get_by_text(issued.number)).to_be_visible()
    check_page(page, "participant")
    page.get_by_label("The document as a PDF file").set_input_files(str(changed))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Not genuine")).to_be_visible()
    check_page(page, "participant")
