"""The register of issued documents: every producer records what it hands out, and anyone can check a document
(by its code or by the file) without learning anything else about the person it was for."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from ledger.auth.users import issue_token
from ledger.db import unit_of_work
from ledger.documents import examples, issuing, register, render
from ledger.documents.cli import documents_cli
from ledger.documents.models import IssuedDocument
from ledger.documents.stamp import CODE_ALPHABET, new_code, normalise_code
from ledger.payments.models import PaymentRun
from ledger.reports import run_report
from ledger.reports.organisation import Organisation
from ledger.reports.remittances import remittance_advice
from tests.documents.pdf import assert_in_order
from tests.documents.pdf import text as pdf_text
from tests.factories import JUNE, MonthOfBooks, add_user, month_of_books, sign_in

ORG = Organisation("Demo Council", ("Town Hall", "Upper Street", "London N1 2UD"),
                   ("Payments team", "020 7946 0000"), verify_url="https://pay.example.org/verify")


@pytest.fixture
def books(app) -> MonthOfBooks:
    with unit_of_work(app.extensions["session_factory"]) as session:
        return month_of_books(session)


def _rows(app) -> list[IssuedDocument]:
    with unit_of_work(app.extensions["session_factory"]) as session:
        rows = session.execute(select(IssuedDocument).order_by(IssuedDocument.id)).scalars().all()
        session.expunge_all()
        return list(rows)


def _issue_remittance(app, books) -> register.Issued:
    with unit_of_work(app.extensions["session_factory"]) as session:
        doc = remittance_advice(session, books.run_id, "participant", books.ann, organisation=ORG)
        return issuing.issue_remittance(session, doc, producer=register.Producer("web", "Fran Finance", books.finance),
                                        issued_on=JUNE[1])


def test_codes_are_short_unambiguous_and_forgiving_to_type():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 11 and code[5] == "-"
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET) and not set("ILOU") & set(code)
    assert normalise_code("k7qm2 9xhwr") == "K7QM2-9XHWR"
    assert normalise_code("O1L2I-00000") == "01121-00000"
    assert normalise_code("K7QM2-9XHW") is None and normalise_code("K7QM2-9XHWU") is None


def test_an_issued_remittance_is_genuine_by_code_and_file_shows_only_its_figures_and_is_kept(app, books):
    issued = _issue_remittance(app, books)
    words = pdf_text(issued.pdf)
    for printed in (issued.number, issued.code, "Town Hall", "London N1 2UD", "020 7946 0000",
                    "https://pay.example.org/verify", f"Document number {issued.number}, date of issue 30 June 2025"):
        assert printed in words
    [row] = _rows(app)
    assert (row.number, row.code, row.kind, row.participant_id) == (issued.number, issued.code, "remittance", books.ann)
    assert row.produced_by == "Fran Finance" and row.produced_by_user_id == books.finance and row.channel == "web"
    with unit_of_work(app.extensions["session_factory"]) as session:
        by_code = register.verify_code(session, issued.code.lower().replace("-", " "))
        by_file = register.verify_file(session, issued.pdf)
    assert by_code.genuine and by_file.genuine
    assert by_code.kind == "Remittance advice" and by_code.number == issued.number
    figures = dict(by_code.figures)
    assert figures["Total paid"] in words and figures["Payment run"] in words
    shown = " ".join(v for pair in by_code.figures for v in pair)
    assert "Siân" not in shown and "O'Brien" not in shown and "Caerdydd" not in shown and "2222" not in shown

    # One changed byte, or an unknown code, is not genuine.
    changed = bytearray(issued.pdf)
    at = issued.pdf.index(b"/Producer")  # a byte inside the document, not one a reader would notice
    changed[at + 12] ^= 0x01
    with unit_of_work(app.extensions["session_factory"]) as session:
        verdict = register.verify_file(session, bytes(changed))
        assert not verdict.genuine and issued.code in verdict.reason  # it names the document it pretends to be
        assert verdict.figures == () and verdict.number is None
        assert not register.verify_file(session, issued.pdf, code=new_code()).genuine  # the right file, wrong code
        unknown = register.verify_code(session, new_code())
        assert not unknown.genuine and unknown.figures == ()

    # The register is append-only.
    for statement in ("UPDATE document_register SET sha256 = 'x'", "DELETE FROM document_register"):
        with pytest.raises(DBAPIError), unit_of_work(app.extensions["session_factory"]) as session:
            session.execute(text(statement))
    assert len(_rows(app)) == 1

    # Item 3: the advice names the bank's reference for the run; the run report says who confirmed it, when.
    with unit_of_work(app.extensions["session_factory"]) as session:
        advice = remittance_advice(session, books.run_id, "participant", books.ann, organisation=ORG)
        report = run_report.payment_run_report(session, books.run_id, organisation=ORG)
    assert advice.bank_reference == "BACS-1"
    assert_in_order(pdf_text(render.render_remittance(advice)), ["Bank reference", "BACS-1"])
    words = pdf_text(render.render_payment_run_report(report))
    assert report.confirmed_by == "Fran Finance" and report.confirmed_at is not None
    assert_in_order(words, [f"Payment run {report.run_reference}", "Confirmed by Fran Finance on ",
                            "the bank accepted these payments", "Bank reference", "BACS-1"])
    assert "Draft" not in words


def test_every_producer_records_what_it_hands_out(app, client, runner, books, tmp_path):
    with unit_of_work(app.extensions["session_factory"]) as session:
        token = issue_token(session, books.finance, "register tests").token
        reference = session.get(PaymentRun, books.run_id).reference
    api = client.get(f"/api/v1/payment-runs/{books.run_id}/remittances/participant/{books.ann}.pdf",
                     headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    sign_in(client, "fin@example.org")
    web = client.get(f"/finance/payment-runs/{books.run_id}/report.pdf")
    assert web.status_code == 200, web.get_data(as_text=True)[:300]
    pack = client.get(f"/finance/payment-runs/{books.run_id}/print-pack.pdf")
    assert pack.status_code == 200
    result = runner.invoke(documents_cli, ["remittances", "--run", reference, "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    rows = _rows(app)
    kinds = [(row.channel, row.kind) for row in rows]
    assert kinds[:2] == [("api", "remittance"), ("web", "payment_run_report")]
    assert kinds[-3:] == [("cli", "remittance")] * 3  # Ann, Bea and the group
    assert ("web", "print_pack") in kinds
    for response in (api, web, pack):
        row = next(r for r in rows if r.number == response.headers["X-Document-Number"])
        assert row.code == response.headers["X-Verification-Code"]
        with unit_of_work(app.extensions["session_factory"]) as session:
            assert register.verify_file(session, response.data).genuine
    written = sorted((tmp_path / "r").iterdir())
    assert len(written) == 3
    verified = runner.invoke(documents_cli, ["verify", str(written[0])])
    assert verified.exit_code == 0 and "Genuine" in verified.output and "Total paid" in verified.output
    numbers = [row.number for row in rows]
    assert len(set(numbers)) == len(numbers) and len({row.code for row in rows}) == len(rows)


def test_the_verify_page_says_genuine_and_shows_nothing_else(app, client, books):
    issued = _issue_remittance(app, books)
    page = client.get(f"/verify?code={issued.code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Genuine" in html and issued.number in html and "Remittance advice" in html and "30 June 2025" in html
    for private in ("Siân", "O&#39;Brien", "Caerdydd", "2222", "Heol"):
        assert private not in html
    unknown = client.get(f"/verify?code={new_code()}")
    assert unknown.status_code == 200 and "Not genuine" in unknown.get_data(as_text=True)
    bad = client.get("/verify?code=hello")
    assert bad.status_code == 400 and "10 letters and numbers" in bad.get_data(as_text=True)
    changed = issued.pdf.replace(b"/Producer", b"/Producex", 1)
    upload = client.post("/verify", data={"file": (io.BytesIO(changed), "advice.pdf")},
                         content_type="multipart/form-data")
    assert upload.status_code == 200 and "Not genuine" in upload.get_data(as_text=True)
    good = client.post("/verify", data={"file": (io.BytesIO(issued.pdf), "advice.pdf")},
                       content_type="multipart/form-data")
    assert "Genuine: this file is exactly as we issued it." in good.get_data(as_text=True)


    answer = client.get(f"/api/v1/verify?code={issued.code}")
    assert answer.status_code == 200
    body = answer.json
    assert body["genuine"] is True and body["number"] == issued.number and body["kind"] == "Remittance advice"
    assert set(body) == {"genuine", "reason", "number", "kind", "issued_on", "figures"}
    assert client.post("/api/v1/verify", data=issued.pdf, content_type="application/pdf").json["genuine"] is True
    bad = client.get("/api/v1/verify?code=nope")
    assert bad.status_code == 400 and "code" in bad.json["error"]["fields"]


def test_verify_answers_429_when_asked_too_often(database_url):
    from ledger import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "test-secret-key-test-secret-key-0123456789",
                      "PUBLIC_API_RATE_LIMIT": 3, "PUBLIC_API_RATE_WINDOW_SECONDS": 3600})
    client = app.test_client()
    try:
        answers = [client.get(f"/verify?code={new_code()}").status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        assert client.get(f"/api/v1/verify?code={new_code()}").status_code == 429  # one limit for page and API
        with unit_of_work(app.extensions["session_factory"]) as session:
            assert session.execute(select(func.count()).select_from(IssuedDocument)).scalar_one() == 0
    finally:
        app.extensions["engine"].dispose()


def test_a_draft_run_report_says_nothing_is_paid_yet():
    report = examples.payment_run()  # a draft
    cancelled = dataclasses.replace(report, status="cancelled", cancelled_by="Fran Finance",
                                    cancelled_at=dt.datetime(2025, 6, 25, 9, 30, tzinfo=dt.UTC))
    assert_in_order(pdf_text(render.render_payment_run_report(cancelled)), [
        "(cancelled)", "Cancelled on 25 June 2025 at 10:30: nothing in this run was paid.",
        "Cancelled", "25 June 2025 at 10:30 by Fran Finance"])
    words = pdf_text(render.render_payment_run_report(report))
    assert_in_order(words, [f"Payment run {report.run_reference} (draft)", "Draft: nothing has been paid."])
    assert "Confirmed" not in words and "Bank reference" not in words


def test_a_signed_in_person_checks_a_code_at_once(app, client, books):
    """/verify counts its rate limit in a transaction of its own: the request's read of the signed-in user is
    ended first, or on SQLite (which locks at the start of every transaction) the count would wait for it."""
    issued = _issue_remittance(app, books)
    add_user(app, "checker@example.org", ["finance"])
    assert sign_in(client, "checker@example.org").status_code == 302
    started = time.perf_counter()
    page = client.get(f"/verify?code={issued.code}")
    assert page.status_code == 200 and "Genuine" in page.get_data(as_text=True)
    assert time.perf_counter() - started < 10  # not the 30 s of a lock waited out
