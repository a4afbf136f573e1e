"""Telling people: messages queued with the change that causes them, sent by the worker at least once, never lost.

A confirmed run emails remittance advice (with its PDF) to the payees who prefer email, and puts the others in
the print pack; a drafted fee and a returned claim email the participant; a worker that dies after sending and
before marking leaves the message to be sent again with the same Message-ID; two workers never send one twice.
"""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from ledger import create_app
from ledger.claims import services as claims
from ledger.db import unit_of_work
from ledger.documents.print_pack import render_print_pack
from ledger.errors import ConfigurationError
from ledger.outbox import sending
from ledger.outbox.models import OutboxMessage
from ledger.outbox.sending import MailSettings, SmtpTransport, send_due_messages
from ledger.people import services as people
from ledger.reports.organisation import Organisation
from ledger.reports.print_pack import print_pack
from tests.factories import (
    CIPHER,
    RULES,
    TODAY,
    PaymentsWorld,
    all_at_once,
    claims_world,
    draft_fee,
    make_participant,
    submitted_fee,
)
from tests.web.test_configuration import production

ORGANISATION = Organisation(name="Demo Council", contact=("Payments team", "020 7946 0000", "pay@council.example"))


def _send(session_factory, mail, **kwargs):
    return send_due_messages(session_factory, lambda: SmtpTransport(mail), organisation=ORGANISATION, mail=mail,
                             **kwargs)


def _confirmed_run(session_factory, emailed: int = 1) -> tuple[int, list[int], int]:
    """A confirmed run paying ``emailed`` participants who prefer email and one (Bob) who prefers post."""
    with unit_of_work(session_factory) as session:
        world = PaymentsWorld(session)
        by_email = [world.participant(f"Email Person {n}") for n in range(emailed)]
        bob = make_participant(session, "Bob Post", email=None, preferred_format="post",
                               postal_address="12 High Street\nIslington\nLondon N1 1AA").id
        people.set_bank_details(session, CIPHER, bob, sort_code="20-00-00", account_number="12345678",
                                account_name="Bob Post")
        for n, pid in enumerate([*by_email, bob]):
            world.claim(pid, 4_000 + n)
        run = world.draft()
        world.confirm(run.id)
    return run.id, by_email, bob


def _rows(session_factory) -> list[OutboxMessage]:
    with unit_of_work(session_factory) as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def test_confirmed_run_emails_remittance_with_its_pdf_to_email_payees_only(session_factory, smtp_server):
    mailbox, mail = smtp_server
    _run_id, (ann,), _bob = _confirmed_run(session_factory)
    queued = _rows(session_factory)
    assert [(r.kind, r.participant_id, r.status) for r in queued] == [("remittance", ann, "pending")]

    report = _send(session_factory, mail)

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    (message,) = mailbox.messages
    assert message["To"] == queued[0].to_address
    assert message["Subject"] == "We have paid you £40.00 – Demo Council"
    assert "It reaches your bank account on 12 June 2025." in message.get_body(("plain",)).get_content()
    assert "020 7946 0000" in message.get_body(("html",)).get_content()
    (attachment,) = list(message.iter_attachments())
    pdf = attachment.get_content()
    assert attachment.get_filename().startswith("remittance-") and pdf.startswith(b"%PDF")
    assert "£40.00" in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    (row,) = _rows(session_factory)
    assert (row.status, row.attempts, message["Message-ID"]) == ("sent", 1, row.message_id)
    assert _send(session_factory, mail).sent == 0  # sent once, never again


def test_print_pack_holds_the_letters_of_payees_not_emailed(session_factory):
    run_id, _emailed, _bob = _confirmed_run(session_factory)
    with unit_of_work(session_factory) as session:
        pack = print_pack(session, run_id, organisation=ORGANISATION)
    assert [(letter.advice.payee.name, letter.format_label) for letter in pack.to_post] == [("Bob Post", "Post")]
    assert pack.emailed == 1
    pages = PdfReader(io.BytesIO(render_print_pack(pack))).pages
    cover, letter = pages[0].extract_text(), "".join(page.extract_text() for page in pages[1:])
    assert "Letters to post: payment run" in cover and "N1 1AA" in cover
    assert "Bob Post" in letter and "12 High Street" in letter and "Email Person" not in letter


def test_a_drafted_fee_and_a_returned_claim_email_the_participant(session, session_factory, smtp_server):
    mailbox, mail = smtp_server
    world = claims_world(session)
    claim_id = submitted_fee(session, world, world.carer)  # Siân prefers email
    claims.return_claim(session, claim_id, reason="Please add your preparation time.", actor_user_id=world.finance)
    cancelled = draft_fee(session, world, world.teen)  # decided before the worker gets to it: not true any more
    claims.cancel_claim(session, cancelled, actor_user_id=world.finance, today=TODAY, rules=RULES)
    session.commit()

    report = _send(session_factory, mail)

    assert (report.sent, report.dropped) == (2, 1)
    assert [m["To"] for m in mailbox.messages] == ["sian@example.org", "sian@example.org"]

    decision, returned = mailbox.to("sian@example.org")
    assert decision["Subject"] == "A fee needs your decision – Demo Council"
    assert "The fee is £50.40." in decision.get_body(("plain",)).get_content()
    assert returned["Subject"] == "Your claim has come back to you – Demo Council"
    assert "This is why: Please add your preparation time." in returned.get_body(("plain",)).get_content()


def test_a_worker_dying_after_sending_loses_nothing_and_resends_with_the_same_message_id(
        session_factory, smtp_server, monkeypatch):
    mailbox, mail = smtp_server
    _confirmed_run(session_factory)
    real_mark = sending.mark_outcome

    def die(*args, **kwargs):
        raise RuntimeError("the worker was killed after sending, before marking the message sent")

    monkeypatch.setattr(sending, "mark_outcome", die)
    with pytest.raises(RuntimeError):
        _send(session_factory, mail)
    monkeypatch.setattr(sending, "mark_outcome", real_mark)
    (row,) = _rows(session_factory)
    assert (len(mailbox.messages), row.status, row.attempts) == (1, "sending", 1)

    assert _send(session_factory, mail).sent == 0  # its lease still holds: no second worker sends it yet
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=sending.LEASE_SECONDS + 60)
    assert _send(session_factory, mail, now=lambda: later).sent == 1

    first, again = mailbox.messages
    (row,) = _rows(session_factory)
    assert first["Message-ID"] == again["Message-ID"] == row.message_id
    assert (row.status, row.attempts) == ("sent", 2)


@pytest.mark.postgres_only
def test_two_workers_never_send_one_message_twice(session_factory, smtp_server):
    mailbox, mail = smtp_server
    _confirmed_run(session_factory, emailed=8)

    class SlowTransport(SmtpTransport):
        def send(self, message):
            time.sleep(0.02)  # long enough for the other worker to be claiming meanwhile
            super().send(message)

    def worker(_i, ready):
        ready()
        sent = 0
        while (report := send_due_messages(session_factory, lambda: SlowTransport(mail), organisation=ORGANISATION,
                                           mail=mail, batch=2)).sent:
            sent += report.sent
        return sent

    results = all_at_once(2, worker)
    assert sum(results) == 8, results
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == len(set(ids)) == 8
    assert {r.status for r in _rows(session_factory)} == {"sent"}


def test_the_smtp_settings_come_from_the_environment_and_a_bad_port_stops_the_app():
    app = create_app(production(SMTP_HOST="smtp.council.example", SMTP_PORT="2525", SMTP_USERNAME="ledger",
                                SMTP_PASSWORD="secret", SMTP_STARTTLS="false", MAIL_FROM="pay@council.example"))
    try:
        assert app.extensions["ledger.settings"].mail == MailSettings(
            host="smtp.council.example", port=2525, username="ledger", password="secret", starttls=False,
            mail_from="pay@council.example")
    finally:
        app.extensions["engine"].dispose()
    with pytest.raises(ConfigurationError, match="SMTP_PORT must be a port number"):
        create_app(production(SMTP_PORT="twenty-five"))
