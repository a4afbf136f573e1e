"""A subject access copy: every record held about one person (UK GDPR article 15), as data and as a PDF.

"Everything" is found by the schema, not by a list kept by hand, so a table added later is not forgotten:
every row of every table with a ``participant_id`` for the person, the rows of their claims (expense lines,
approvals, versions, payment items, holds), their receipts, every payment record naming them as the payee
(``payee_kind = 'participant'``), time credits passed to them, the entries on their accounts in the books,
every event about them (the views of their data among them) and their sign-in account.

Left out: password and token hashes (they are not the person's data and would help an attacker). Bank
details and the National Insurance number are decrypted, since they are the person's own. Encrypted
columns are read through their column type, so the copy is in clear; the copy is itself a view of the data
and is logged (``ledger.events.views``) by whoever asks for it.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import models as _every_table  # noqa: F401  (every table is in Base.metadata)
from ledger.books.models import Account, JournalEntry, Posting
from ledger.db import Base
from ledger.documents.subject_access import HeldSection, SubjectAccessDocument
from ledger.errors import NotFound
from ledger.events.views import record_view
from ledger.formatting import long_date
from ledger.people.accounts import participant_accounts
from ledger.people.bank import BankCipher
from ledger.people.models import Participant
from ledger.reports.payees import participant_reference

#: Never copied out: secrets that are not the person's data. Tokens are replaced by their clear text.
LEFT_OUT = {"password_hash", "invitation_token_hash", "token_hash", "bank_details_encrypted",
            "national_insurance_number_encrypted"}
#: The person's own tables first, in the order a person would look for them.
TITLES = {
    "participants": ("Your details", ""),
    "users": ("Your sign-in account", "Passwords are kept only as a one-way hash, which is not shown."),
    "benefit_declarations": ("Benefits and circumstances you declared", ""),
    "circumstance_reports": ("Changes you told us about", ""),
    "bank_detail_changes": ("When your bank details changed", "Only the last digits are kept in this history."),
    "claims": ("Claims for fees and expenses", ""),
    "expense_lines": ("Expenses claimed", ""),
    "receipts": ("Receipts", "The files themselves are in the data file (base64); here each is named."),
    "entries": ("Entries in our accounts", "Every amount posted to your accounts in our books."),
    "views": ("Who looked at your details", "Each time someone saw your bank details, benefits or receipts."),
    "events": ("History of changes", "Everything recorded as done to your records, and by whom."),
}


@dataclass(frozen=True, slots=True)
class HeldRecords:
    """The rows of one table held about the person, column name to value (JSON-ready)."""

    table: str
    rows: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class SubjectAccess:
    participant_id: int
    name: str
    reference: str
    produced_at: dt.datetime
    sections: tuple[HeldRecords, ...]

    def as_json(self) -> dict[str, Any]:
        return {"participant_id": self.participant_id, "name": self.name, "reference": self.reference,
                "produced_at": self.produced_at.isoformat(),
                "records": {s.table: list(s.rows) for s in self.sections}}


def _plain(value: Any) -> Any:
    """A value as JSON holds it: dates in ISO form, files in base64, decimals as text."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _rows(session: Session, table: sa.Table, condition) -> tuple[dict[str, Any], ...]:
    columns = [c for c in table.columns if c.name not in LEFT_OUT]
    query = sa.select(*columns).where(condition).order_by(*table.primary_key.columns)
    return tuple({c.name: _plain(v) for c, v in zip(columns, row, strict=True)} for row in session.execute(query))


def subject_access(session: Session, participant_id: int, *, bank_cipher: BankCipher,
                   now: dt.datetime) -> SubjectAccess:
    """Gather every record held about one participant."""
    person = session.get(Participant, participant_id)
    if person is None:
        raise NotFound(f"There is no participant {participant_id}.")
    tables = Base.metadata.tables
    found: dict[str, tuple[dict[str, Any], ...]] = {}
    profile = list(_rows(session, tables["participants"], tables["participants"].c.id == participant_id))
    if person.bank_details_encrypted:
        details = bank_cipher.decrypt(person.bank_details_encrypted)
        profile[0]["bank_details"] = {"sort_code": details.sort_code, "account_number": details.account_number,
                                      "account_name": details.account_name, "roll_number": details.roll_number}
    if person.national_insurance_number_encrypted:
        profile[0]["national_insurance_number"] = bank_cipher.decrypt_text(person.national_insurance_number_encrypted)
    found["participants"] = tuple(profile)
    claim_ids = sa.select(tables["claims"].c.id).where(tables["claims"].c.participant_id == participant_id)
    line_ids = sa.select(tables["expense_lines"].c.id).where(tables["expense_lines"].c.claim_id.in_(claim_ids))
    for table in sorted(tables.values(), key=lambda t: t.name):
        if table.name in ("participants", "events"):
            continue
        conditions = []
        if "participant_id" in table.c:
            conditions.append(table.c.participant_id == participant_id)
        if "to_participant_id" in table.c:
            conditions.append(table.c.to_participant_id == participant_id)
        if "payee_kind" in table.c and "payee_id" in table.c:
            conditions.append(sa.and_(table.c.payee_kind == "participant", table.c.payee_id == participant_id))
        if "claim_id" in table.c:
            conditions.append(table.c.claim_id.in_(claim_ids))
        if table.name == "receipts":
            conditions.append(table.c.expense_line_id.in_(line_ids))
        if conditions:
            found[table.name] = _rows(session, table, sa.or_(*conditions))
    found["entries"] = _entries(session, participant_id)
    events = _rows(session, tables["events"], tables["events"].c.participant_id == participant_id)
    found["views"] = tuple(e for e in events if e["action"] == "view_personal_data")
    found["events"] = tuple(e for e in events if e["action"] != "view_personal_data")
    order = [t for t in TITLES if t in found] + sorted(t for t in found if t not in TITLES)
    return SubjectAccess(participant_id=participant_id, name=person.name,
                         reference=participant_reference(participant_id), produced_at=now,
                         sections=tuple(HeldRecords(table=t, rows=found[t]) for t in order))


def subject_access_copy(session: Session, participant_id: int, *, bank_cipher: BankCipher, now: dt.datetime,
                        actor_user_id: int | None, channel: str) -> SubjectAccess:
    """Gather the copy and keep, as a view of the person's data, who took it and how."""
    report = subject_access(session, participant_id, bank_cipher=bank_cipher, now=now)
    record_view(session, participant_id=participant_id, what="subject_access", channel=channel,
                actor_user_id=actor_user_id)
    return report


def _entries(session: Session, participant_id: int) -> tuple[dict[str, Any], ...]:
    accounts = participant_accounts(participant_id)
    rows = session.execute(
        sa.select(JournalEntry.id, JournalEntry.effective_date, JournalEntry.description, Account.code,
                  Posting.unit, Posting.amount, Posting.memo)
        .join(Posting, Posting.entry_id == JournalEntry.id).join(Account, Account.id == Posting.account_id)
        .where(Account.code.in_([accounts.owed, accounts.advance, accounts.time_credits]))
        .order_by(JournalEntry.effective_date, JournalEntry.id, Posting.id))
    return tuple({"entry_id": r.id, "date": r.effective_date.isoformat(), "description": r.description,
                  "account": r.code, "unit": r.unit, "amount": r.amount, "memo": r.memo} for r in rows)


def subject_access_json(report: SubjectAccess) -> str:
    return json.dumps(report.as_json(), indent=2, sort_keys=True, ensure_ascii=False)


def _label(column: str) -> str:
    return column.replace("_", " ").capitalize()


def _worded(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
        return long_date(day) + (f", {value[11:16]} UTC" if len(value) > 10 else "")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _pairs(table: str, row: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    items: Iterable[tuple[str, Any]] = row.items()
    if table == "receipts":
        items = ((k, f"{len(base64.b64decode(v))} bytes, in the data file" if k == "data" and v else v)
                 for k, v in items)
    return tuple((_label(k), _worded(v)) for k, v in items)


def subject_access_document(report: SubjectAccess, organisation: str) -> SubjectAccessDocument:
    """The copy worded for the PDF: every record as label/value pairs."""
    sections = []
    for held in report.sections:
        title, explanation = TITLES.get(held.table, (_label(held.table), ""))
        sections.append(HeldSection(title=title, explanation=explanation,
                                    records=tuple(_pairs(held.table, row) for row in held.rows)))
    return SubjectAccessDocument(organisation=organisation, person_name=report.name, reference=report.reference,
                                 produced_on=report.produced_at.date(), sections=tuple(sections))
