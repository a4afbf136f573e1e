"""The worker that sends the outbox by SMTP: claim due messages, send each, mark it sent.

**At least once, never lost, duplicates recognisable.** SMTP has no transaction shared with the database,
so no worker can promise exactly once: between the relay accepting a message and the worker's commit saying
so, the worker can die. The outbox therefore does this:

1. *Claim* (its own short transaction, committed before anything is sent): the due rows move ``pending`` →
   ``sending`` with ``attempts + 1`` and a lease (``lease_until``). The row's Message-ID is fixed now, the first
   time, and never changes. On PostgreSQL the rows are picked with ``SELECT … FOR UPDATE SKIP LOCKED``, and the
   move is a guarded ``UPDATE … WHERE status = …`` on both databases (SQLite's ``BEGIN IMMEDIATE`` serialises
   writers), so two workers never hold one message at the same time.
2. *Send* it, with that Message-ID.
3. *Mark* it ``sent`` (another short transaction), only if this worker still holds it (same attempt number).

A worker that dies after 1 leaves the row ``sending``; when its lease runs out another worker *reclaims* it and
sends it again. If the first worker died after 2 but before 3, the person gets the message twice, but both
copies carry the same Message-ID, so their mail system (which drops or threads a Message-ID it has already
delivered) and anyone reading the log can tell it is one message sent again, not a second message. A message is
never lost: it leaves ``sending`` only by being marked sent, put back to ``pending`` for a later try (a
temporary failure, with a growing wait), ``failed`` (the relay refused it for good, or
``MAX_ATTEMPTS`` tries failed) or ``dropped`` (no longer true when its turn came, and so not sent: a fee
"waiting for your decision" that was decided before the worker got to it). The lease must be longer than one
send takes (``LEASE_SECONDS``).
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ledger.claims import workflow as claim_workflow
from ledger.claims.models import Claim
from ledger.db import is_postgresql, unit_of_work, utcnow
from ledger.documents.issuing import issue_remittance
from ledger.documents.register import Producer
from ledger.documents.render import remittance_filename
from ledger.errors import LedgerError
from ledger.events.records import NewEvent
from ledger.events.writer import record_events
from ledger.outbox.letters import letter_for
from ledger.outbox.models import OutboxMessage
from ledger.outbox.workflow import MESSAGE
from ledger.people.models import Participant
from ledger.reports.organisation import Organisation
from ledger.reports.remittances import remittance_advice

__all__ = ["MailSettings", "SendReport", "SmtpTransport", "claim_due_messages", "email_for", "mark_outcome",
           "send_due_messages", "still_true"]

LEASE_SECONDS = 300
MAX_ATTEMPTS = 6
_msgs = OutboxMessage.__table__


@dataclass(frozen=True, slots=True)
class MailSettings:
    """How to reach the SMTP relay (``SMTP_*``) and who the mail is from (``MAIL_FROM``)."""

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    mail_from: str = "payments@localhost"

    @property
    def domain(self) -> str:
        """The right-hand side of our Message-IDs: the sender's domain."""
        return parseaddr(self.mail_from)[1].rpartition("@")[2] or "localhost"


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """One SMTP connection for a batch, opened on the first message."""

    def __init__(self, mail: MailSettings):
        self.mail = mail
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            if not self.mail.host:
                raise smtplib.SMTPException("SMTP_HOST is not set, so no email can be sent.")
            smtp = smtplib.SMTP(self.mail.host, self.mail.port, timeout=30)
            if self.mail.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.mail.username:
                smtp.login(self.mail.username, self.mail.password or "")
            self._smtp = smtp
        self._smtp.send_message(message)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except smtplib.SMTPException:
                self._smtp.close()
            self._smtp = None


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0  # no longer true when their turn came (a fee already decided): not sent


def _due(now: dt.datetime):
    """Waiting and due, or being sent by a worker whose lease has run out."""
    return or_(and_(_msgs.c.status.in_(MESSAGE.statuses_allowing("claim")), _msgs.c.next_attempt_at <= now),
               and_(_msgs.c.status.in_(MESSAGE.statuses_allowing("reclaim")), _msgs.c.lease_until < now))


def _event(row, action: str, before: str, after: str, note: str | None = None) -> NewEvent:
    return NewEvent(subject="message", subject_id=row.id, action=action, actor_user_id=None, before=before,
                    after=after, note=note, participant_id=row.participant_id,
                    details={"kind": row.kind, "attempt": row.attempts, "message_id": row.message_id})


def claim_due_messages(session: Session, *, now: dt.datetime, batch: int, domain: str,
                       lease_seconds: int = LEASE_SECONDS) -> list[OutboxMessage]:
    """Take up to ``batch`` due messages for this worker (the caller commits before sending any)."""
    query = select(_msgs.c.id).where(_due(now)).order_by(_msgs.c.id).limit(batch)
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    ids = session.execute(query).scalars().all()
    taken, events = [], []
    for message_id in ids:
        row = session.get(OutboxMessage, message_id, populate_existing=True)
        if row is None:
            continue
        before, action = row.status, "claim" if row.status == "pending" else "reclaim"
        won = cast(CursorResult, session.execute(update(_msgs).where(_msgs.c.id == row.id, _msgs.c.status == before,
                                                  _msgs.c.attempts == row.attempts, _due(now)).values(
            status=MESSAGE.next_status(before, action), attempts=row.attempts + 1,
            lease_until=now + dt.timedelta(seconds=lease_seconds),
            message_id=row.message_id or f"<outbox-{row.id}-{uuid.uuid4().hex}@{domain}>"))).rowcount
        if won != 1:
            continue  # another worker took it first
        session.refresh(row)
        taken.append(row)
        events.append(_event(row, action, before, row.status, None if action == "claim" else
                             "Its lease ran out before it was marked sent: sending again, same Message-ID."))
    record_events(session, events, at=now)
    return taken


def email_for(session: Session, row: OutboxMessage, *, organisation: Organisation,
              mail: MailSettings) -> EmailMessage:
    """The email for one outbox row: its words, and for a remittance the advice as a PDF."""
    person = session.get(Participant, row.participant_id)
    name = (person.preferred_name or person.name) if person else "there"
    letter = letter_for(row.kind, row.details, name=name, organisation=organisation)
    message = EmailMessage()
    message["Subject"] = letter.subject
    message["From"] = formataddr((organisation.name, parseaddr(mail.mail_from)[1]))
    message["To"] = row.to_address
    message["Message-ID"] = row.message_id
    message.set_content(letter.text)
    message.add_alternative(letter.html, subtype="html")
    if row.kind == "remittance" and row.payment_run_id is not None:
        advice = remittance_advice(session, row.payment_run_id, "participant", row.participant_id,
                                   organisation=organisation)
        # Issued through the register like every other copy: the attachment carries its own number and code.
        issued = issue_remittance(session, advice, producer=Producer("email", "email outbox"),
                                  issued_on=utcnow().date())
        message.add_attachment(issued.pdf, maintype="application", subtype="pdf",
                               filename=remittance_filename(advice))
    return message


def _permanent(error: Exception) -> bool:
    """The relay refused the message for good (a 5xx, a bad address): trying again will not help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


def still_true(session: Session, row: OutboxMessage) -> bool:
    """Whether the message still says something true: a fee "waiting for your decision" must still be open."""
    if row.kind != "fee_decision" or row.claim_id is None:
        return True
    claim = session.get(Claim, row.claim_id)
    return claim is not None and claim.status in claim_workflow.OPEN


def mark_outcome(session: Session, message_id: int, attempt: int, *, now: dt.datetime,
                 error: Exception | None = None, dropped: bool = False) -> str | None:
    """Record how sending went, if this worker still holds the message (``attempt``); return the new status.

    ``dropped``: it was not sent because it is no longer true (``still_true``)."""
    row = session.get(OutboxMessage, message_id, populate_existing=True, with_for_update=True)
    if row is None or row.status != "sending" or row.attempts != attempt:
        return None  # its lease ran out and another worker has it now
    before = row.status
    values: dict[str, Any] = {"lease_until": None}
    if dropped:
        action = "drop"
    elif error is None:
        action, values["sent_at"], values["last_error"] = "sent", now, None
    else:
        gives_up = _permanent(error) or row.attempts >= MAX_ATTEMPTS
        action, values["last_error"] = ("fail" if gives_up else "retry"), f"{type(error).__name__}: {error}"[:2000]
        if not gives_up:  # wait 2, 4, 8... minutes, at most six hours
            values["next_attempt_at"] = now + dt.timedelta(minutes=min(2 ** row.attempts, 360))
    row.status = MESSAGE.next_status(before, action)
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    record_events(session, [_event(row, action, before, row.status, row.last_error)], at=now)
    return row.status


@contextmanager
def _transport(make: Callable[[], Transport]) -> Iterator[Transport]:
    transport = make()
    try:
        yield transport
    finally:
        close = getattr(transport, "close", None)
        if close is not None:
            close()


def send_due_messages(factory: sessionmaker[Session], make_transport: Callable[[], Transport], *,
                      organisation: Organisation, mail: MailSettings, batch: int = 50,
                      now: Callable[[], dt.datetime] | None = None,
                      lease_seconds: int = LEASE_SECONDS) -> SendReport:
    """Claim one batch of due messages, send each and record how it went (see the module docstring)."""
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    with unit_of_work(factory) as session:
        claimed: Sequence[tuple[int, int]] = [(row.id, row.attempts) for row in claim_due_messages(
            session, now=clock(), batch=batch, domain=mail.domain, lease_seconds=lease_seconds)]
    counts = {"sent": 0, "pending": 0, "failed": 0, "dropped": 0}
    with _transport(make_transport) as transport:
        for message_id, attempt in claimed:
            error: Exception | None = None
            try:
                with unit_of_work(factory) as session:
                    row = session.get(OutboxMessage, message_id)
                    assert row is not None
                    needed = still_true(session, row)
                    email = email_for(session, row, organisation=organisation, mail=mail) if needed else None
                if email is not None:
                    transport.send(email)
            except (smtplib.SMTPException, OSError, LedgerError) as failure:
                error = failure
            with unit_of_work(factory) as session:
                status = mark_outcome(session, message_id, attempt, now=clock(), error=error, dropped=not needed)
            if status in counts:
                counts[status] += 1
    return SendReport(sent=counts["sent"], retried=counts["pending"], failed=counts["failed"],
                      dropped=counts["dropped"])
