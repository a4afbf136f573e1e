"""A participant's documents as web pages: the same figures as each PDF, the PDF printing the page's address,
and the participant's preferred format (easy read, large print) chosen by default for both."""

from __future__ import annotations

import re
from html import unescape

import pytest

from ledger.documents.register import verify_code
from ledger.people.services import update_participant
from tests.documents.pdf import figures, font_sizes, text
from tests.factories import ClaimsWorld, claims_world, database, draft_fee, sign_in

MONEY = re.compile(r"[+-]?£[\d,]+\.\d\d")


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def world(app) -> ClaimsWorld:
    with database(app) as session:
        return claims_world(session)


@pytest.fixture
def fee(app, world) -> int:
    with database(app) as session:
        return draft_fee(session, world, world.carer)


@pytest.fixture
def carer(client, world):
    assert sign_in(client, "sian@example.org").status_code == 302
    return client


def _prefer(app, world, preferred: str) -> None:
    with database(app) as session:
        update_participant(session, world.carer, {"preferred_format": preferred}, actor_user_id=None)
        session.commit()


def test_the_documents_in_standard_print_and_large_print(app, world, carer, fee):
    money = carer.get("/my/money").get_data(as_text=True)
    assert 'href="/my/documents"' in money

    page = carer.get("/my/documents")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/my/documents/statement?start=" in html and "/my/documents/tax-year/" in html
    assert f'href="/my/documents/claims/{fee}/benefits"' in html
    assert f'href="/my/documents/claims/{fee}/benefits"' in carer.get(f"/my/claims/{fee}").get_data(as_text=True)

    # The statement page has the figures of its PDF, and the PDF prints the page's address.
    page = carer.get("/my/documents/statement?start=2025-01-01&end=2025-12-31")
    pdf = carer.get("/my/documents/statement.pdf?start=2025-01-01&end=2025-12-31")

    assert page.status_code == 200 and pdf.mimetype == "application/pdf"
    printed = text(pdf.data)
    assert "http://localhost/my/documents/statement?start=2025-01-01&end=2025-12-31" in printed.replace(" ", "")
    assert sorted(set(MONEY.findall(text_of(page)))) == sorted(set(figures(pdf.data)))
    old = carer.get("/my/statement.pdf?start=2025-01-01&end=2025-12-31")  # the money page's download prints it too
    assert "/my/documents/statement?start=2025-01-01&end=2025-12-31" in text(old.data).replace(" ", "")

    # In large print: the tax-year page and its PDF; a year out of range is not found.
    _prefer(app, world, "large_print")
    tax = carer.get("/my/documents/tax-year/2025")
    tax_pdf = carer.get("/my/documents/tax-year/2025.pdf")
    assert tax.status_code == 200 and "app-large-print" in tax.get_data(as_text=True)
    assert "trading allowance" in text_of(tax) and set(MONEY.findall(text_of(tax))) <= set(figures(tax_pdf.data))
    assert min(font_sizes(tax_pdf.data)) >= 16 and "/my/documents/tax-year/2025" in text(tax_pdf.data).replace(" ", "")
    assert carer.get("/my/documents/tax-year/1999").status_code == 404


def test_the_benefit_effect_in_easy_read_by_default_and_no_one_elses(app, world, carer, fee):
    _prefer(app, world, "easy_read")

    page = carer.get(f"/my/documents/claims/{fee}/benefits")
    pdf = carer.get(f"/my/documents/claims/{fee}/benefits.pdf")

    assert page.status_code == 200 and pdf.status_code == 200
    words = text_of(page)
    assert "This money and your benefits" in words and 'id="benefit-ideas"' in page.get_data(as_text=True)
    printed = text(pdf.data)
    assert "This money and your benefits" in printed and "(easy read)" not in printed  # the title, not the metadata
    assert "We pay you this money:" in printed and "We pay you this money:" in words
    assert set(MONEY.findall(words)) <= set(figures(pdf.data)) | set(MONEY.findall(printed))
    # Issued like every document: numbered, with a code anyone can check at /verify, which shows the figures.
    code = pdf.headers["X-Verification-Code"]
    with database(app) as session:
        verdict = verify_code(session, code)
    assert verdict.genuine and verdict.kind == "Benefit effect of a payment"
    assert f"/my/documents/claims/{fee}/benefits" in printed.replace(" ", "")
    with database(app) as session:
        theirs = draft_fee(session, world, world.ann, world.flat_fee_activity_id)
    assert carer.get(f"/my/documents/claims/{theirs}/benefits").status_code == 404
    assert carer.get(f"/my/documents/claims/{theirs}/benefits.pdf").status_code == 404
