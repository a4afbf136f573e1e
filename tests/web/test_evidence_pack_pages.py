"""Finance makes a benefits evidence pack on a page (dates, who signs, an optional National Insurance number);
the participant downloads their own from their money page. Bad input is a 400 with the error by the field.

Siân (Carer's Allowance, £196 a week) was paid £150 by cheque on Monday 9 June 2025, and a £60 fee was
approved on 5 June for the same week: the letter shows both, and that the week is over the limit.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from ledger.context import reload_settings
from ledger.projects.services import record_attendance
from tests.documents.pdf import assert_in_order, text
from tests.factories import (
    TODAY,
    approve,
    claims_world,
    database,
    make_activity,
    pay_film_fee_by_hand,
    sign_in,
    submitted_fee,
)

LETTER = {"start": "2025-06-04", "end": "2025-06-11", "signed_by": "Rhian Jones", "role": "Involvement lead"}


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def siân(app) -> int:
    app.config["LEDGER_TODAY"] = TODAY.isoformat()
    reload_settings(app)
    with database(app) as session:
        world = claims_world(session)
        pay_film_fee_by_hand(session, world)
        panel = make_activity(session, title="Reading panel", flat_fee_pence=6_000).id
        record_attendance(session, panel, world.carer, today=TODAY)
        approve(session, world, submitted_fee(session, world, world.carer, panel),
                override_reason="Siân was told and chose to be paid in full.")
    return world.carer


def test_finance_downloads_a_signed_letter_with_both_fees_and_the_breach(app, client, siân):
    assert sign_in(client, "fin@example.org").status_code == 302
    listing = client.get("/finance/evidence-packs")
    assert listing.status_code == 200 and "Siân Evans" in text_of(listing)
    page = client.get(f"/finance/participants/{siân}/evidence-pack")
    assert page.status_code == 200 and "Benefits evidence pack for Siân Evans" in text_of(page)

    pdf = client.get(f"/finance/participants/{siân}/evidence-pack.pdf", query_string=LETTER)

    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    words = text(pdf.data)
    assert_in_order(words, ["9 June 2025 to 15 June 2025", "The benefit check counts £210.00 of earnings in this "
                            "week: over the limit of £196.00.", "Fee for the film shoot, paid by cheque", "£150.00",
                            "Reading panel", "£60.00", "Signed: ____", "Name Rhian Jones", "Role Involvement lead",
                            "Date 5 June 2025"])


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"end": "2025-06-01"}, "end", "The last day must not be before the first day."),
    ({"end": "2026-06-11"}, "end", "A letter covers at most one year"),
    ({"start": "4 June"}, "start", "Enter a real date, like 14 12 2026."),
    ({"signed_by": ""}, "signed_by", "Enter who signs the letter."),
])
def test_bad_input_on_the_page_is_a_400_with_the_error_by_the_field(app, client, siân, changes, field, message):
    assert sign_in(client, "fin@example.org").status_code == 302

    response = client.get(f"/finance/participants/{siân}/evidence-pack.pdf", query_string={**LETTER, **changes})

    assert response.status_code == 400 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    summary = re.search(r'class="govuk-error-summary".*?</ul>', html, re.S).group(0)
    by_the_field = re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert message in unescape(summary) and message in unescape(by_the_field)
    assert f'aria-describedby="{field}-hint {field}-error"' in html or f'aria-describedby="{field}-error"' in html


def test_finance_saves_a_national_insurance_number_shown_in_part_and_printed_on_the_letter(app, client, siân):
    assert sign_in(client, "fin@example.org").status_code == 302
    url = f"/finance/participants/{siân}/national-insurance-number"

    refused = client.post(url, data={"national_insurance_number": "QQ 12 34 56 C"})
    assert refused.status_code == 400
    assert "Error: QQ is not a prefix HMRC issues" in text_of(refused)
    assert "None on record." in text_of(refused)

    saved = client.post(url, data={"national_insurance_number": "ab 12 34 56 c"})
    assert saved.status_code == 302
    page = text_of(client.get(f"/finance/participants/{siân}/evidence-pack"))
    assert "On record: AB •• •• •• C" in page and "123456" not in page
    words = text(client.get(f"/finance/participants/{siân}/evidence-pack.pdf", query_string=LETTER).data)
    assert "National Insurance number AB 12 34 56 C" in words


def test_the_participant_downloads_their_own_letter_from_their_money_page(app, client, siân):
    assert sign_in(client, "sian@example.org").status_code == 302
    money = client.get("/my/money")
    assert "Download my evidence pack (PDF)" in text_of(money)

    pdf = client.get("/my/evidence-pack.pdf", query_string={"start": "2025-06-04", "end": "2025-06-11",
                                                           "large_print": "1"})

    assert pdf.status_code == 200
    words = text(pdf.data)
    assert_in_order(words, ["Payments to Siân Evans for involvement work", "Week: 9 June 2025 to 15 June 2025",
                            "over the limit of £196.00", "Signed: ____", "Name Finance team"])
    bad = client.get("/my/evidence-pack.pdf", query_string={"start": "2025-06-11", "end": "2025-06-04"})
    assert bad.status_code == 400 and "The last day must not be before the first day." in text_of(bad)
