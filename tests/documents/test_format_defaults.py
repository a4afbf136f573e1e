"""Easy read by default wherever documents are made, for a participant whose preferred format is easy read:
the tax-year summary over the API and in the bulk CLI (the statement and remittance are tested beside them),
with the address of the document's web page printed in each PDF."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.auth.users import issue_token
from ledger.claims.models import Claim
from ledger.db import unit_of_work
from ledger.documents.cli import documents_cli
from ledger.people.models import Participant
from ledger.reports.payees import participant_reference
from tests.documents.pdf import font_sizes, text
from tests.factories import MonthOfBooks, month_of_books


@pytest.fixture
def books(app) -> MonthOfBooks:
    with unit_of_work(app.extensions["session_factory"]) as session:
        built = month_of_books(session)
        session.get(Participant, built.ann).preferred_format = "easy_read"
    return built


def test_the_api_gives_the_tax_year_summary_in_easy_read_by_default(app, client, books):
    with unit_of_work(app.extensions["session_factory"]) as session:
        token = issue_token(session, books.ann_user, "format tests").token
    url = f"/api/v1/participants/{books.ann}/annual-summary/2025.pdf"
    headers = {"Authorization": f"Bearer {token}"}

    easy = client.get(url, headers=headers)
    large = client.get(url + "?large_print=true", headers=headers)

    assert easy.status_code == 200 and large.status_code == 200
    words = text(easy.data)
    assert "Your money in the tax year 2025 to 2026" in words and "We paid you fees for your time: £70.40" in words
    assert "We paid back your expenses. Tax does not count them: £33.40" in words
    assert "http://localhost/my/documents/tax-year/2025" in words.replace(" ", "")
    assert min(font_sizes(easy.data)) >= 16
    assert "Your payments in the tax year 2025 to 2026" in text(large.data)  # large print when asked

    claim = _a_paid_fee(app, books.ann)
    effect = client.get(f"/api/v1/participants/{books.ann}/claims/{claim}/benefit-effect.pdf", headers=headers)
    assert effect.status_code == 200 and "This money and your benefits" in text(effect.data)
    assert "We checked this when it was approved." in text(client.get(
        f"/api/v1/participants/{books.ann}/claims/{claim}/benefit-effect.pdf?easy_read=false", headers=headers).data)
    assert client.get(f"/api/v1/participants/{books.bea}/claims/{claim}/benefit-effect.pdf",
                      headers=headers).status_code == 404  # not hers to see


def _a_paid_fee(app, participant_id: int) -> int:
    with unit_of_work(app.extensions["session_factory"]) as session:
        return session.execute(select(Claim.id).where(Claim.participant_id == participant_id, Claim.kind == "fee",
                                                      Claim.payment_run_id.is_not(None))
                               .order_by(Claim.id)).scalars().first()


def test_the_cli_writes_easy_read_tax_year_summaries_for_those_who_prefer_it(app, runner, books, tmp_path):
    result = runner.invoke(documents_cli, ["annual-summaries", "--tax-year", "2025", "--out", str(tmp_path),
                                           "--site", "https://ledger.example.org/"])

    assert result.exit_code == 0, result.output
    assert "1 in easy read." in result.output
    ann = text((tmp_path / f"tax-year-2025-{participant_reference(books.ann)}.pdf").read_bytes())
    assert "Your money in the tax year 2025 to 2026" in ann and "£70.40" in ann
    assert "https://ledger.example.org/my/documents/tax-year/2025" in ann.replace(" ", "")
    bad = runner.invoke(documents_cli, ["annual-summaries", "--tax-year", "2025", "--out", str(tmp_path),
                                        "--site", "ledger.example.org"])
    assert bad.exit_code == 2 and "https://" in bad.output
    plain = runner.invoke(documents_cli, ["annual-summaries", "--tax-year", "2025", "--out", str(tmp_path / "no"),
                                          "--easy-read", "no"])
    assert plain.exit_code == 0 and "in easy read" not in plain.output
    assert "/my/documents/" not in text((tmp_path / "no" / f"tax-year-2025-{participant_reference(books.ann)}.pdf")
                                        .read_bytes()).replace(" ", "")  # no site given: no address printed

    claim = _a_paid_fee(app, books.ann)
    effect = tmp_path / "effect.pdf"
    done = runner.invoke(documents_cli, ["benefit-effect", "--participant", str(books.ann), "--claim", str(claim),
                                         "--out", str(effect)])
    assert done.exit_code == 0 and "(easy read)." in done.output, done.output
    assert "This money and your benefits" in text(effect.read_bytes())
    refused = runner.invoke(documents_cli, ["benefit-effect", "--participant", str(books.bea), "--claim", str(claim),
                                            "--out", str(effect)])
    assert refused.exit_code == 1 and f"There is no claim {claim}." in refused.output  # not Bea's
    assert "Fees (taxable income)" in text((tmp_path / "no" / f"tax-year-2025-{participant_reference(books.ann)}.pdf")
                                           .read_bytes())
