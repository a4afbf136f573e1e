"""Finance's exports for a date range, one service for the page, the API and the CLI.

- ``journal``: hledger or beancount (``ledger.books.export``) with readable account names: the participant's,
  group's, partner's or project's name in place of its id or code (the code stays as metadata).
- ``accounting``: the general-ledger journal in the organisation's nominal codes, Xero or Sage
  (``ledger.books.accounting``), refused while any account with postings in the range is unmapped.
- ``payments_csv``: every payment made by a confirmed run with a payment date in the range, and any return.

Each is streamed (a generator of text), every refusal comes before the first piece, and the export is recorded
as an event when the last piece has gone out: a streamed download ends after the route has returned, so the
recording commits on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.books import accounting, export
from ledger.errors import ValidationError
from ledger.events.audit import csv_line, record_export
from ledger.payments.models import Payment, PaymentReturn, PaymentRun
from ledger.people.models import Participant, PartnerOrganisation, UserLedGroup
from ledger.projects.models import Project
from ledger.reports.payees import group_reference, participant_reference

__all__ = ["EXAMPLE_MAP", "FORMATS", "export_labels", "export_text", "payments_csv", "read_mapping"]

JOURNAL_FORMATS = export.FORMATS
FORMATS = (*export.FORMATS, *accounting.ACCOUNTING_FORMATS, "payments")
EXAMPLE_MAP = Path(accounting.__file__).parent / "examples" / "nominal-map.toml"
PAYMENT_COLUMNS = ("Payment date", "Payment run", "Payee reference", "Payee", "Payee type", "Amount",
                   "Ledger entry", "Returned on", "Amount returned")
FILE_TYPES = {"hledger": ("journal", "text/plain"), "beancount": ("beancount", "text/plain"),
              "xero": ("csv", "text/csv"), "sage": ("csv", "text/csv"), "payments": ("csv", "text/csv")}


def export_labels(session: Session) -> dict[str, str]:
    """Account code to the name of the person, group, partner or project the account belongs to."""
    labels: dict[str, str] = {}
    for pid, name in session.execute(select(Participant.id, Participant.name)):
        for prefix in ("owed", "advance", "time"):
            labels[f"{prefix}:participant:{pid}"] = name
    for gid, name in session.execute(select(UserLedGroup.id, UserLedGroup.name)):
        labels[f"owed:group:{gid}"] = name
        labels[f"time:group:{gid}"] = name
    for oid, name in session.execute(select(PartnerOrganisation.id, PartnerOrganisation.name)):
        labels[f"time:partner:{oid}"] = name
    for code, name in session.execute(select(Project.code, Project.name)):
        labels[f"fees:project:{code}"] = name
        labels[f"expenses:project:{code}"] = name
    return labels


def read_mapping(uploaded: bytes | None, configured: str | None) -> accounting.NominalMap:
    """The mapping file uploaded, else the one configured (``NOMINAL_MAP_PATH``); refused naming ``mapping``."""
    if uploaded:
        return accounting.read_nominal_map(uploaded)
    if not configured:
        message = "Choose a mapping file (TOML): no mapping file is configured (NOMINAL_MAP_PATH)."
        raise ValidationError(message, fields={"mapping": [message]})
    try:
        return accounting.read_nominal_map(Path(configured).read_bytes())
    except OSError as error:
        message = f"The configured mapping file cannot be read: {error.strerror or error}."
        raise ValidationError(message, fields={"mapping": [message]}) from None


def payments_csv(session: Session, start: dt.date, end: dt.date, written: list[int] | None = None) -> Iterator[str]:
    """The payments made from ``start`` to ``end`` (by payment date) as CSV lines, streamed."""
    accounting.check_range(start, end)
    return _payment_lines(session, start, end, written)


def _payment_lines(session: Session, start: dt.date, end: dt.date, written: list[int] | None) -> Iterator[str]:
    yield csv_line(PAYMENT_COLUMNS)
    query = (
        select(PaymentRun.payment_date, PaymentRun.reference, Payment.payee_kind, Payment.payee_id,
               Participant.name, UserLedGroup.name, Payment.amount_pence, Payment.entry_id,
               PaymentReturn.returned_on, PaymentReturn.amount_pence)
        .join(PaymentRun, PaymentRun.id == Payment.run_id)
        .outerjoin(Participant, (Payment.payee_kind == "participant") & (Participant.id == Payment.payee_id))
        .outerjoin(UserLedGroup, (Payment.payee_kind == "group") & (UserLedGroup.id == Payment.payee_id))
        .outerjoin(PaymentReturn, PaymentReturn.payment_id == Payment.id)
        .where(PaymentRun.payment_date.between(start, end))
        .order_by(PaymentRun.payment_date, PaymentRun.id, Payment.id)
        .execution_options(yield_per=1000)
    )
    count = 0
    for day, run, kind, payee_id, person, group, amount, entry_id, returned_on, returned in session.execute(query):
        count += 1
        reference = participant_reference(payee_id) if kind == "participant" else group_reference(payee_id)
        yield csv_line((day.isoformat(), run, reference, person if kind == "participant" else group,
                        "Participant" if kind == "participant" else "User-led group", _pounds(amount), entry_id,
                        returned_on.isoformat() if returned_on else "", _pounds(returned) if returned else ""))
    if written is not None:
        written.append(count)


def _pounds(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def export_text(session: Session, fmt: str, start: dt.date, end: dt.date, *,
                mapping: accounting.NominalMap | None = None, readable: bool = True,
                written: list[int] | None = None) -> Iterator[str]:
    """The export asked for, streamed; bad input is refused here, before any text."""
    if fmt in JOURNAL_FORMATS:
        return export.journal_text(session, fmt, start=start, end=end,
                                   labels=export_labels(session) if readable else None, written=written)
    if fmt in accounting.ACCOUNTING_FORMATS:
        if mapping is None:
            message = "Choose a mapping file (TOML) for the Xero or Sage journal."
            raise ValidationError(message, fields={"mapping": [message]})
        return _counted(accounting.accounting_csv(session, fmt, mapping, start, end), written)
    if fmt == "payments":
        return payments_csv(session, start, end, written)
    raise ValidationError(f"Format must be one of {', '.join(FORMATS)}.", fields={"format": ["invalid"]})


def _counted(lines: Iterator[str], written: list[int] | None) -> Iterator[str]:
    count = -1  # the header is not a row
    for line in lines:
        count += 1
        yield line
    if written is not None:
        written.append(max(count, 0))


def recorded(session: Session, lines: Iterator[str], *, fmt: str, start: dt.date, end: dt.date, via: str,
             actor_user_id: int | None, written: list[int]) -> Iterator[str]:
    """The export's text, then the export recorded as an event and committed (even if stopped part way)."""
    try:
        yield from lines
    finally:
        session.rollback()  # end the read snapshot before writing the event
        record_export(session, what=f"export_{fmt}", via=via, actor_user_id=actor_user_id,
                      rows=written[0] if written else 0, filters={"format": fmt, "from": start, "to": end})
        session.commit()


def file_name(fmt: str, start: dt.date, end: dt.date) -> str:
    """The download's name: ``ledger-xero-2026-04-01-to-2027-03-31.csv``."""
    return f"ledger-{fmt}-{start.isoformat()}-to-{end.isoformat()}.{FILE_TYPES[fmt][0]}"
