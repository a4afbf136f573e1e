"""Fill the documents' data classes from the ledger: SQLAlchemy in, ``ledger.documents.data`` out. No Flask.

Every figure comes from the books (``ledger.books.queries``), the claims and the payment runs, and each
document checks its own totals when it is built (``DocumentDataError``), so a figure that does not add up
never reaches a participant or an auditor.

Signs. The books are debit-positive. ``owed:participant:<id>`` and ``time:participant:<id>`` are liabilities:
their balances are negative while the organisation owes money or the participant holds credits. Statements
flip that sign once, here, so that "owed to you" and "credits you hold" are positive. ``advance:participant:<id>``
is an asset (money the participant holds until receipts settle it): its sign is kept.

Memo lines. A declined fee posts nothing, and a fee redirected to a group posts to the group's account, not
the participant's. Both come from the claims and appear on the statement as DECLINED or DONATION lines with a
``memo_amount`` and no change to any balance; taking less than the fee offered shows the rest as declined.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.auth.models import User
from ledger.books import queries
from ledger.books.models import JournalEntry, Posting
from ledger.books.records import StatementLine as BookLine
from ledger.claims.models import Advance, Claim, ExpenseLine
from ledger.documents.data import (
    AnnualSummary,
    AnnualSummaryLine,
    BenefitEvidence,
    BenefitFlag,
    BenefitsEvidencePack,
    BudgetLine,
    DocumentDataError,
    EntryKind,
    EvidenceItem,
    EvidenceKind,
    EvidencePeriod,
    FlagOutcome,
    Organisation,
    ParticipantStatement,
    Payee,
    PaymentRunPayee,
    PaymentRunReport,
    ProjectBudgetReport,
    RemittanceAdvice,
    RemittanceLine,
    RemittanceLineKind,
    RuleRelied,
    StatementLine,
    StatementSection,
    Unit,
    tax_year_bounds,
)
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.formatting import count, duration, long_date, money
from ledger.organisation import BANK
from ledger.payments.models import PAYEE_KINDS, Payment, PaymentRun, PaymentRunItem
from ledger.payments.runs import payment_run_summary
from ledger.people.accounts import participant_accounts
from ledger.people.models import Participant, PartnerOrganisation, UserLedGroup
from ledger.people.services import current_benefits
from ledger.projects.models import Activity, Attendance, Project
from ledger.projects.services import KIND_LABELS, budget_position
from ledger.timebank.models import TimeCreditTransfer
from policies.benefits import DISPLAY_NAMES, Period, assessment_period_containing, week_containing
from policies.errors import RuleNotFound
from policies.money import HUNDRED, round_to_penny
from policies.rulebook import Parameter, Rulebook

__all__ = [
    "annual_summary",
    "benefits_evidence_pack",
    "group_reference",
    "large_print_references",
    "organisation_from_config",
    "participant_reference",
    "participant_statement",
    "payment_run_report",
    "project_budget_report",
    "remittance_advice",
    "remittances_for_run",
]

_CHUNK = 500
_DECIDED = ("approved", "paid")


# --- who -----------------------------------------------------------------------------------------------


def _lines_of(value: Any) -> tuple[str, ...]:
    """Lines of an address or contact: a sequence, or text split at new lines and semicolons."""
    if not value:
        return ()
    parts = value.replace(";", "\n").splitlines() if isinstance(value, str) else [str(v) for v in value]
    return tuple(part.strip() for part in parts if part.strip())


def organisation_from_config(config: Mapping[str, Any]) -> Organisation:
    """The organisation named in every document, from the app's settings.

    ``ORGANISATION_NAME``, ``ORGANISATION_ADDRESS``, ``ORGANISATION_CONTACT`` (lists, or text with one line per
    new line or semicolon) and ``ORGANISATION_CHARITY_NUMBER``.
    """
    return Organisation(
        name=(config.get("ORGANISATION_NAME") or "").strip() or "The organisation",
        address=_lines_of(config.get("ORGANISATION_ADDRESS")),
        contact=_lines_of(config.get("ORGANISATION_CONTACT")),
        charity_number=(config.get("ORGANISATION_CHARITY_NUMBER") or "").strip() or None,
    )


def participant_reference(participant_id: int) -> str:
    """The organisation's reference for a participant on their documents: 'P00012'."""
    return f"P{participant_id:05d}"


def group_reference(group_id: int) -> str:
    """The reference for a user-led group: 'G00003'."""
    return f"G{group_id:05d}"


def _address(text: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def _participant_payee(row: Participant) -> Payee:
    return Payee(name=row.name, reference=participant_reference(row.id), address=_address(row.postal_address))


def _group_payee(row: UserLedGroup) -> Payee:
    return Payee(name=row.name, reference=group_reference(row.id), address=_address(row.postal_address),
                 is_group=True)


def _participant(session: Session, participant_id: int) -> Participant:
    row = session.get(Participant, participant_id)
    if row is None:
        raise NotFound(f"There is no participant {participant_id}.")
    return row


def large_print_references(session: Session) -> set[str]:
    """References of the participants whose preferred format is large print."""
    return {participant_reference(pid) for pid in session.execute(
        select(Participant.id).where(Participant.preferred_format == "large_print")).scalars()}


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _day_of(moment: dt.datetime | None) -> dt.date | None:
    if moment is None:
        return None
    return (moment.astimezone(dt.UTC) if moment.tzinfo else moment).date()


# --- what claims say -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ClaimFacts:
    """A claim with what its lines need: the activity, the date it is for, its expense lines, its group."""

    claim: Claim
    activity: Activity | None
    expense_lines: tuple[ExpenseLine, ...]
    group_name: str | None

    @property
    def day(self) -> dt.date:
        """The date the claim is for: its activity's, else its latest expense line's, else the day it was made."""
        if self.activity is not None:
            return self.activity.occurs_on
        if self.expense_lines:
            return max(line.incurred_on for line in self.expense_lines)
        return _day_of(self.claim.created_at) or dt.date.today()

    @property
    def what(self) -> str:
        return self.activity.title if self.activity is not None else self.claim.description

    def fee_detail(self, *, with_choice: bool = True) -> str:
        """'4 hours at £12.60 an hour', 'Flat fee for the activity'; and any choice to take less."""
        claim = self.claim
        if claim.rate_pence:
            detail = f"{duration(claim.worked_minutes or 0)} at {money(claim.rate_pence)} an hour"
        elif claim.worked_minutes:
            detail = f"Flat fee for the activity ({duration(claim.worked_minutes)})"
        else:
            detail = "Flat fee for the activity"
        if with_choice and claim.choice == "take_less" and claim.offered_pence > claim.amount_pence:
            detail += f". You chose to take {money(claim.amount_pence)} of the {money(claim.offered_pence)} offered"
        return detail

    def expense_detail(self, paid: int) -> str:
        """What the expenses were, and any part already paid as an advance."""
        detail = "; ".join(line.description for line in self.expense_lines) or self.claim.description
        if len(detail) > 300:
            detail = detail[:297] + "..."
        if self.claim.offered_pence > paid:
            detail += (f". {money(self.claim.offered_pence)} less {money(self.claim.offered_pence - paid)} "
                       "already paid to you in advance")
        return detail


def _claim_facts(session: Session, claims: Sequence[Claim]) -> dict[int, _ClaimFacts]:
    """Facts for many claims in a few queries."""
    activity_ids = sorted({c.activity_id for c in claims if c.activity_id is not None})
    activities: dict[int, Activity] = {}
    for chunk in _chunks(activity_ids):
        activities.update((a.id, a) for a in session.execute(select(Activity).where(Activity.id.in_(chunk)))
                          .scalars())
    lines: dict[int, list[ExpenseLine]] = defaultdict(list)
    for chunk in _chunks(sorted(c.id for c in claims if c.kind == "expense")):
        for line in session.execute(
            select(ExpenseLine).where(ExpenseLine.claim_id.in_(chunk)).order_by(ExpenseLine.id)
        ).scalars():
            lines[line.claim_id].append(line)
    group_ids = sorted({c.group_id for c in claims if c.group_id is not None})
    groups: dict[int, str] = {}
    for chunk in _chunks(group_ids):
        groups.update(session.execute(select(UserLedGroup.id, UserLedGroup.name).where(UserLedGroup.id.in_(chunk)))
                      .all())
    return {
        c.id: _ClaimFacts(c, activities.get(c.activity_id) if c.activity_id else None, tuple(lines.get(c.id, ())),
                          groups.get(c.group_id) if c.group_id else None)
        for c in claims
    }


# --- participant statement ------------------------------------------------------------------------------

_MONEY_ENTRY_KINDS = {
    "fee_approved": EntryKind.FEE,
    "expense_approved": EntryKind.EXPENSE,
    "payment": EntryKind.PAYMENT,
    "advance_surplus_netted": EntryKind.ADVANCE_SETTLED,
}
_ADVANCE_ENTRY_KINDS = {
    "advance_paid": EntryKind.ADVANCE,
    "expense_approved": EntryKind.ADVANCE_SETTLED,
    "advance_surplus_returned": EntryKind.ADVANCE_SETTLED,
    "advance_surplus_netted": EntryKind.ADVANCE_SETTLED,
}
_TIME_ENTRY_KINDS = {
    "time_credits_awarded": EntryKind.TIME_CREDIT_EARNED,
    "time_credits_spent": EntryKind.TIME_CREDIT_SPENT,
}


def _entry_kind(book_kind: str, amount: int, table: Mapping[str, EntryKind]) -> EntryKind:
    """The statement's kind of a posting, from its entry's kind in the books and its (participant-side) sign."""
    if book_kind.startswith("reversal"):
        return EntryKind.REVERSAL
    if book_kind == "time_credits_given":
        return EntryKind.TIME_CREDIT_GIVEN if amount < 0 else EntryKind.TIME_CREDIT_RECEIVED
    return table.get(book_kind, EntryKind.ADJUSTMENT)


@dataclass(frozen=True, slots=True)
class _Memo:
    date: dt.date
    kind: EntryKind
    description: str
    memo_amount: int


def _section(
    book: queries.Statement | None,
    *,
    unit: Unit,
    flip: bool,
    table: Mapping[str, EntryKind],
    describe: Callable[[BookLine], str],
    memos: Sequence[_Memo] = (),
) -> StatementSection:
    """A statement section from the books' statement of one account, with memo lines merged in by date."""
    sign = -1 if flip else 1
    book_lines = book.lines if book is not None else ()
    # int(): on PostgreSQL a balance "as of" a date is a SUM of BIGINT, which comes back as a Decimal.
    opening = sign * int(book.opening_balance) if book is not None else 0
    items: list[tuple[dt.date, int, int, Any]] = [
        (line.effective_date, 0, n, line) for n, line in enumerate(book_lines)
    ]
    items += [(memo.date, 1, n, memo) for n, memo in enumerate(memos)]
    items.sort(key=lambda item: item[:3])  # memos after the postings of their day
    balance = opening
    lines = []
    for _date, _order, _n, item in items:
        if isinstance(item, _Memo):
            lines.append(StatementLine(item.date, item.kind, item.description, 0, balance, item.memo_amount))
            continue
        amount = sign * int(item.amount)
        balance = sign * int(item.running_balance)
        lines.append(StatementLine(item.effective_date, _entry_kind(item.kind, amount, table), describe(item),
                                   amount, balance))
    return StatementSection(unit, opening, tuple(lines), balance)


def _book(session: Session, code: str, start: dt.date, end: dt.date) -> queries.Statement | None:
    try:
        return queries.statement(session, code, start, end)
    except NotFound:
        return None


def _statement_memos(session: Session, participant_id: int, start: dt.date, end: dt.date) -> list[_Memo]:
    """Declined offers (and the part not taken of a smaller fee) and fees redirected to a group at their request."""
    claims = session.execute(
        select(Claim).where(Claim.participant_id == participant_id, Claim.kind == "fee",
                            Claim.status.in_(_DECIDED), Claim.reversal_entry_id.is_(None),
                            Claim.choice.in_(("decline", "take_less", "redirect")))
        .order_by(Claim.id)
    ).scalars().all()
    facts = _claim_facts(session, claims)
    accrued = dict(session.execute(
        select(JournalEntry.id, JournalEntry.effective_date)
        .where(JournalEntry.id.in_([c.accrual_entry_id for c in claims if c.accrual_entry_id]))
    ).all()) if any(c.accrual_entry_id for c in claims) else {}
    memos = []
    for claim in claims:
        fact = facts[claim.id]
        when = accrued.get(claim.accrual_entry_id, fact.day)
        if not start <= when <= end:
            continue
        if claim.choice == "decline" and claim.offered_pence > 0:
            memos.append(_Memo(when, EntryKind.DECLINED, f"{claim.description}: you chose not to take this fee",
                               claim.offered_pence))
        elif claim.choice == "take_less" and claim.offered_pence > claim.amount_pence:
            memos.append(_Memo(when, EntryKind.DECLINED,
                               f"{claim.description}: you chose to take {money(claim.amount_pence)} of the "
                               f"{money(claim.offered_pence)} offered", claim.offered_pence - claim.amount_pence))
        elif claim.choice == "redirect" and claim.amount_pence > 0:
            memos.append(_Memo(when, EntryKind.DONATION,
                               f"{claim.description}, paid to {fact.group_name or 'a user-led group'} at your request",
                               claim.amount_pence))
    return memos


class _Describer:
    """Plain descriptions of the entries on a participant's accounts, from the claims, payments and transfers."""

    def __init__(self, session: Session, participant_id: int, books: Iterable[queries.Statement | None]):
        self.participant_id = participant_id
        entry_ids = sorted({line.entry_id for book in books if book for line in book.lines})
        self.claims: dict[int, _ClaimFacts] = {}
        self.payments: dict[int, tuple[str, str | None]] = {}
        self.transfers: dict[int, tuple[TimeCreditTransfer, str | None]] = {}
        for chunk in _chunks(entry_ids):
            claims = session.execute(select(Claim).where(Claim.accrual_entry_id.in_(chunk))).scalars().all()
            self.claims.update((f.claim.accrual_entry_id, f) for f in _claim_facts(session, claims).values())
            for entry_id, reference, last4 in session.execute(
                select(Payment.entry_id, PaymentRun.reference, Payment.account_last4)
                .join(PaymentRun, PaymentRun.id == Payment.run_id).where(Payment.entry_id.in_(chunk))
            ):
                self.payments[entry_id] = (reference, last4)
            for transfer, partner, group in session.execute(
                select(TimeCreditTransfer, PartnerOrganisation.name, UserLedGroup.name)
                .outerjoin(PartnerOrganisation, PartnerOrganisation.id == TimeCreditTransfer.partner_id)
                .outerjoin(UserLedGroup, UserLedGroup.id == TimeCreditTransfer.to_group_id)
                .where(TimeCreditTransfer.entry_id.in_(chunk))
            ):
                self.transfers[transfer.entry_id] = (transfer, partner or group)

    def __call__(self, line: BookLine) -> str:
        if line.entry_id in self.payments:
            reference, last4 = self.payments[line.entry_id]
            return f"Bank transfer, payment run {reference}" + (f", to the account ending {last4}" if last4 else "")
        if line.entry_id in self.claims and not line.kind.startswith("reversal"):
            fact = self.claims[line.entry_id]
            if fact.claim.kind == "fee" and fact.claim.choice != "time_credits":
                # A smaller fee's declined part has a memo line of its own, just after.
                return f"{fact.claim.description}. {fact.fee_detail(with_choice=False)}"
            if fact.claim.kind == "expense":
                lines = "; ".join(x.description for x in fact.expense_lines)
                return f"{fact.claim.description}: {lines}" if lines else fact.claim.description
            return fact.claim.description
        if line.entry_id in self.transfers:
            transfer, name = self.transfers[line.entry_id]
            if transfer.kind == "spent":
                text = f"Spent at {name}"
            elif transfer.kind == "given_to_group":
                text = f"Given to {name}"
            elif transfer.participant_id == self.participant_id:
                text = "Given to another participant"
            else:
                text = "Given to you by another participant"
            return f"{text}: {transfer.note}" if transfer.note else text
        if line.kind == "advance_surplus_returned":
            return "The part of the advance you did not use, paid back to us"
        if line.kind == "advance_surplus_netted":
            return "The part of the advance you did not use, taken off what we owed you"
        return line.description


def participant_statement(
    session: Session,
    participant_id: int,
    start: dt.date,
    end: dt.date,
    *,
    organisation: Organisation,
    issued: dt.date,
) -> ParticipantStatement:
    """A participant's statement from ``start`` to ``end`` inclusive: money, time credits and any advances."""
    if end < start:
        raise ValidationError("The statement ends before it starts.", fields={"end": ["Before start."]})
    participant = _participant(session, participant_id)
    codes = participant_accounts(participant_id)
    owed, time, advance = (_book(session, code, start, end) for code in (codes.owed, codes.time_credits,
                                                                          codes.advance))
    describe = _Describer(session, participant_id, (owed, time, advance))
    memos = _statement_memos(session, participant_id, start, end)
    money_section = _section(owed, unit=Unit.GBP, flip=True, table=_MONEY_ENTRY_KINDS, describe=describe, memos=memos)
    time_section = None if time is None else _section(time, unit=Unit.TIME_CREDIT, flip=True,
                                                      table=_TIME_ENTRY_KINDS, describe=describe)
    advances = None
    if advance is not None and (advance.lines or advance.opening_balance or advance.closing_balance):
        advances = _section(advance, unit=Unit.GBP, flip=False, table=_ADVANCE_ENTRY_KINDS, describe=describe)
    return ParticipantStatement(
        organisation=organisation, participant=_participant_payee(participant), period_start=start,
        period_end=end, issued=issued, money=money_section, time_credits=time_section, advances=advances,
    )


# --- remittance advice ----------------------------------------------------------------------------------


def _confirmed_run(session: Session, run_id: int) -> PaymentRun:
    run = session.get(PaymentRun, run_id)
    if run is None:
        raise NotFound(f"There is no payment run {run_id}.")
    if run.status != "confirmed":
        raise Conflict(f"Payment run {run.reference} is {run.status}: remittance advice is made once the bank has "
                       "accepted the run and it is confirmed.", fields={"status": [run.status]})
    return run


def _remittances(session: Session, run: PaymentRun, organisation: Organisation,
                 only: tuple[str, int] | None = None) -> list[RemittanceAdvice]:
    payments_query = select(Payment).where(Payment.run_id == run.id).order_by(Payment.payee_kind, Payment.payee_id)
    items_query = (select(PaymentRunItem, Claim).join(Claim, Claim.id == PaymentRunItem.claim_id)
                   .where(PaymentRunItem.run_id == run.id))
    if only is not None:
        kind, payee_id = only
        payments_query = payments_query.where(Payment.payee_kind == kind, Payment.payee_id == payee_id)
        mine = (PaymentRunItem.payee_kind == kind) & (PaymentRunItem.payee_id == payee_id)
        if kind == "participant":  # and their fees redirected to a group in this run
            mine = mine | ((PaymentRunItem.payee_kind == "group") & (Claim.participant_id == payee_id))
        items_query = items_query.where(mine)
    payments = session.execute(payments_query).scalars().all()
    if only is not None and not payments:
        raise NotFound(f"Payment run {run.reference} paid no {only[0]} {only[1]}.")
    rows = session.execute(items_query.order_by(PaymentRunItem.claim_id)).all()
    facts = _claim_facts(session, [claim for _item, claim in rows])
    payees: dict[tuple[str, int], Payee] = {}
    for kind, model, make in (("participant", Participant, _participant_payee), ("group", UserLedGroup, _group_payee)):
        ids = sorted({p.payee_id for p in payments if p.payee_kind == kind})
        for chunk in _chunks(ids):
            payees.update(((kind, row.id), make(row)) for row in
                          session.execute(select(model).where(model.id.in_(chunk))).scalars())
    lines: dict[tuple[str, int], list[RemittanceLine]] = defaultdict(list)
    for item, claim in rows:
        fact = facts[claim.id]
        if item.payee_kind == "group":
            line = RemittanceLine(fact.what, fact.day, RemittanceLineKind.DONATION_RECEIVED, item.amount_pence,
                                  f"A participant's fee, paid to your group at their request. {fact.fee_detail()}")
            lines[("group", item.payee_id)].append(line)
            # The participant's own advice shows the fee they asked to go to the group.
            lines[("participant", claim.participant_id)].append(RemittanceLine(
                fact.what, fact.day, RemittanceLineKind.REDIRECTED, item.amount_pence, fact.fee_detail(),
                redirected_to=fact.group_name or "a user-led group"))
        elif claim.kind == "fee":
            lines[("participant", item.payee_id)].append(RemittanceLine(
                fact.what, fact.day, RemittanceLineKind.FEE, item.amount_pence, fact.fee_detail()))
        else:
            lines[("participant", item.payee_id)].append(RemittanceLine(
                fact.what, fact.day, RemittanceLineKind.EXPENSE, item.amount_pence,
                fact.expense_detail(item.amount_pence)))
    advices = []
    for payment in payments:
        key = (payment.payee_kind, payment.payee_id)
        payee = payees.get(key) or Payee(name=f"{payment.payee_kind} {payment.payee_id}",
                                         reference=(participant_reference if key[0] == "participant"
                                                    else group_reference)(payment.payee_id),
                                         is_group=key[0] == "group")
        ordered = sorted(lines.get(key, []), key=lambda line: (line.activity_date, line.kind != RemittanceLineKind.FEE))
        advices.append(RemittanceAdvice(
            organisation=organisation, payee=payee, run_reference=run.reference, payment_date=run.payment_date,
            lines=tuple(ordered), total_paid=payment.amount_pence, account_last_four=payment.account_last4,
        ))
    return advices


def remittance_advice(
    session: Session, run_id: int, payee_kind: str, payee_id: int, *, organisation: Organisation
) -> RemittanceAdvice:
    """What one payee was paid in a confirmed payment run, claim by claim (and fees they redirected to a group)."""
    if payee_kind not in PAYEE_KINDS:
        raise NotFound(f"There is no kind of payee {payee_kind!r}.")
    return _remittances(session, _confirmed_run(session, run_id), organisation, (payee_kind, payee_id))[0]


def remittances_for_run(session: Session, run_id: int, *, organisation: Organisation) -> list[RemittanceAdvice]:
    """Every payee's remittance advice for a confirmed payment run, participants first, in a few queries."""
    return _remittances(session, _confirmed_run(session, run_id), organisation)


# --- annual summary -------------------------------------------------------------------------------------


def _listing(names: Sequence[str], limit: int = 3) -> str:
    unique = list(dict.fromkeys(names))
    shown = "; ".join(unique[:limit])
    return shown + (f"; and {len(unique) - limit} more" if len(unique) > limit else "")


def _returned_surplus(session: Session, advance: Advance) -> int:
    """Pence of an advance the participant paid back (0 if none, or if that entry was reversed)."""
    entry_id = session.execute(
        select(JournalEntry.id).where(JournalEntry.idempotency_key == f"advance:{advance.id}:surplus",
                                      JournalEntry.kind == "advance_surplus_returned")
    ).scalar_one_or_none()
    if entry_id is None or session.execute(
            select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id)).first():
        return 0
    bank = queries.account_info(session, BANK).id
    return sum(session.execute(
        select(Posting.amount).where(Posting.entry_id == entry_id, Posting.account_id == bank)).scalars())


def annual_summary(
    session: Session,
    participant_id: int,
    tax_year_start_year: int,
    *,
    organisation: Organisation,
    rulebook: Rulebook,
    issued: dt.date,
) -> AnnualSummary:
    """What a participant was paid in a tax year (6 April to 5 April): fees, expenses, fees redirected to a group.

    One line per payment received: each confirmed payment run (its fee and expense claims) and each expense
    advance (less anything paid back). The trading allowance is the rulebook's ``tax.trading_allowance``.
    """
    participant = _participant(session, participant_id)
    start, end = tax_year_bounds(tax_year_start_year)
    payments = session.execute(
        select(Payment, PaymentRun).join(PaymentRun, PaymentRun.id == Payment.run_id)
        .where(Payment.payee_kind == "participant", Payment.payee_id == participant_id,
               PaymentRun.status == "confirmed", PaymentRun.payment_date.between(start, end))
        .order_by(PaymentRun.payment_date, PaymentRun.id)
    ).all()
    run_ids = [run.id for _payment, run in payments]
    rows = session.execute(
        select(PaymentRunItem, Claim).join(Claim, Claim.id == PaymentRunItem.claim_id)
        .where(PaymentRunItem.run_id.in_(run_ids), PaymentRunItem.payee_kind == "participant",
               PaymentRunItem.payee_id == participant_id)
        .order_by(PaymentRunItem.claim_id)
    ).all() if run_ids else []
    facts = _claim_facts(session, [claim for _item, claim in rows])
    per_run: dict[int, list] = defaultdict(list)
    for item, claim in rows:
        per_run[item.run_id].append((item, claim))
    lines = []
    for payment, run in payments:
        items = per_run[run.id]
        fees = sum(item.amount_pence for item, claim in items if claim.kind == "fee")
        expenses = sum(item.amount_pence for item, claim in items if claim.kind != "fee")
        if fees + expenses != payment.amount_pence:
            raise DocumentDataError(f"Payment run {run.reference} paid {payment.amount_pence}p but its claims for "
                                    f"participant {participant_id} come to {fees + expenses}p.")
        what = _listing([facts[claim.id].what for _item, claim in items])
        lines.append(AnnualSummaryLine(run.payment_date, f"Payment run {run.reference}: {what}", fees, expenses))
    for advance, code in session.execute(
        select(Advance, Project.code).join(Project, Project.id == Advance.project_id)
        .where(Advance.participant_id == participant_id, Advance.paid_on.between(start, end))
        .order_by(Advance.paid_on, Advance.id)
    ).all():
        returned = _returned_surplus(session, advance)
        if advance.amount_pence - returned > 0:
            text = f"Expenses paid in advance, project {code}" + (
                f" ({money(advance.amount_pence)} less {money(returned)} you paid back)" if returned else "")
            lines.append(AnnualSummaryLine(advance.paid_on, text, 0, advance.amount_pence - returned))
    lines.sort(key=lambda line: line.date_paid)
    redirected = sum(session.execute(
        select(Claim.amount_pence).where(Claim.participant_id == participant_id, Claim.kind == "fee",
                                         Claim.choice == "redirect", Claim.status == "paid",
                                         Claim.paid_on.between(start, end))
    ).scalars())
    allowance = rulebook.get("tax.trading_allowance", start)
    return AnnualSummary(
        organisation=organisation, participant=_participant_payee(participant), tax_year=tax_year_start_year,
        issued=issued, lines=tuple(lines), trading_allowance=round_to_penny(allowance.decimal * HUNDRED),
        trading_allowance_source=rulebook.source_titles(allowance), redirected=redirected,
    )


# --- benefits evidence pack -----------------------------------------------------------------------------

_DISREGARD_KEYS = {
    "housing_benefit": {"standard": "legacy.disregard.standard", "couple": "legacy.disregard.couple",
                        "higher": "legacy.disregard.higher", "lone_parent": "legacy.disregard.hb_lone_parent"},
    "income_related_esa": {"standard": "legacy.disregard.standard", "couple": "legacy.disregard.couple",
                           "higher": "legacy.disregard.higher"},
    "pension_credit": {"standard": "pension_credit.disregard.standard", "couple": "pension_credit.disregard.couple",
                       "higher": "pension_credit.disregard.higher"},
}
_RESEARCH_NOTE = re.compile(r"\bQ\d+\b")  # "(Q14: the date is inferred)": for staff, not for DWP
_WEEKLY = ("carers_allowance", "esa", "housing_benefit", "pension_credit", "income_related_esa")


@dataclass(frozen=True, slots=True)
class _Received:
    """A payment received (or an offer not taken), as the evidence pack places it."""

    date: dt.date
    description: str
    kind: EvidenceKind
    amount: int
    paid_minutes: int = 0  # hours of paid work it stands for (ESA's hours test counts paid work only)


def _rule_amount(param: Parameter) -> str:
    """A rule's amount in pounds (the rulebook holds pounds; ``money`` takes pence)."""
    return money(round_to_penny(param.decimal * HUNDRED))


def _rule(rulebook: Rulebook, key: str, on: dt.date, title: str,
          explain: Callable[[Parameter], str]) -> RuleRelied | None:
    try:
        param = rulebook.get(key, on)
    except RuleNotFound:
        return None
    confidence = param.confidence if param.verified else f"{param.confidence} (not yet verified)"
    explanation = explain(param)
    if param.note and not _RESEARCH_NOTE.search(param.note):  # notes citing the research's open questions stay in
        explanation += f" {param.note}"
    return RuleRelied(title, explanation, rulebook.source_titles(param) or "the organisation's rules", confidence)


def _expenses_rule(rulebook: Rulebook, on: dt.date) -> RuleRelied | None:
    return _rule(rulebook, "carers_allowance.rule.service_user_expenses_disregarded", on,
                 "Service users' expenses are not earnings",
                 lambda _p: "Expenses paid back to a service user or carer for the actual cost of taking part in "
                            "involvement work are not counted as earnings.")


def _rules_for(rulebook: Rulebook, name: str, declared: Mapping[str, Any], on: dt.date) -> tuple[RuleRelied, ...]:
    rules: list[RuleRelied | None] = []
    if name == "carers_allowance":
        rules += [
            _rule(rulebook, "carers_allowance.earnings_limit", on, "Carer's Allowance earnings limit",
                  lambda p: f"Net earnings of up to {_rule_amount(p)} a week are allowed. Earnings over the limit in a "
                            "week mean no Carer's Allowance for that week."),
            _expenses_rule(rulebook, on),
            _rule(rulebook, "carers_allowance.rule.fluctuating_average", on, "The week a payment counts in",
                  lambda _p: "Each payment is shown in the week it was received. DWP may average earnings that "
                             "go up and down."),
        ]
    elif name == "esa":
        level = declared.get("permitted_work", "lower")
        if level in ("higher", "supported"):
            rules.append(_rule(rulebook, "esa.permitted_work.higher_limit", on, "Permitted work earnings limit",
                               lambda p: f"Earnings of up to {_rule_amount(p)} a week are allowed under permitted "
                                         "work."))
        elif level == "lower":
            rules.append(_rule(rulebook, "esa.permitted_work.lower_limit", on, "Permitted work earnings limit",
                               lambda p: f"Earnings of up to {_rule_amount(p)} a week are allowed under permitted "
                                         "work."))
        rules += [
            _rule(rulebook, "esa.permitted_work.max_hours_exclusive", on, "Permitted work hours",
                  lambda p: f"Permitted work must be under {p.value} hours a week. The hours shown are those of "
                            "paid work; hours given for a declined fee, or one paid to a group, are voluntary."),
            _expenses_rule(rulebook, on),
        ]
    elif name == "universal_credit":
        allowance = declared.get("work_allowance", "none")
        rules += [
            _rule(rulebook, "uc.rule.earnings_counted_when", on, "Payments count when they are received",
                  lambda _p: "Earnings are counted in the assessment period in which they are received, so each "
                             "payment is shown by the date it reached the bank."),
            _rule(rulebook, "uc.rule.assessment_period", on, "Assessment periods",
                  lambda _p: "An assessment period is a month, starting on the same day each month."),
        ]
        if allowance != "none":
            rules.append(_rule(rulebook, f"uc.work_allowance.{allowance}", on, "Work allowance",
                               lambda p: f"The first {_rule_amount(p)} earned in an assessment period does not reduce "
                                         "Universal Credit."))
        rules += [
            _rule(rulebook, "uc.rule.service_user_expenses_disregarded", on, "Service users' expenses are not earnings",
                  lambda _p: "Expenses paid back for the actual cost of taking part in involvement work are not "
                             "counted as earnings."),
            _rule(rulebook, "uc.rule.notional_earnings_exempt_service_user", on,
                  "Fees declined or paid to a group are not earnings",
                  lambda _p: "A service user who declines a fee, or asks for it to be paid to a group, is not "
                             "treated as having been paid it."),
        ]
    elif name in _DISREGARD_KEYS:
        keys = _DISREGARD_KEYS[name]
        key = keys.get(declared.get("disregard", "standard"), keys["standard"])
        rules += [
            _rule(rulebook, key, on, "Earnings disregard",
                  lambda p: f"The first {_rule_amount(p)} of earnings each week is ignored."),
            _expenses_rule(rulebook, on),
        ]
    return tuple(rule for rule in rules if rule is not None)


def _periods(name: str, declared: Mapping[str, Any], start: dt.date, end: dt.date) -> list[Period]:
    """Every benefit period that overlaps ``start`` to ``end``."""
    def containing(day: dt.date) -> Period:
        if name == "universal_credit":
            return assessment_period_containing(day, int(declared.get("assessment_period_start_day", 1)))
        return week_containing(day, declared.get("week_start", "monday"))

    periods = [containing(start)]
    while periods[-1].end < end:
        periods.append(containing(periods[-1].end + dt.timedelta(days=1)))
    return periods


def _received(session: Session, participant_id: int, start: dt.date, end: dt.date) -> list[_Received]:
    """Payments received between two dates (claims paid, advances), and offers declined or redirected."""
    claims = session.execute(
        select(Claim).where(Claim.participant_id == participant_id, Claim.kind.in_(("fee", "expense")),
                            Claim.status.in_(_DECIDED), Claim.reversal_entry_id.is_(None))
        .order_by(Claim.id)
    ).scalars().all()
    facts = _claim_facts(session, claims)
    found: list[_Received] = []
    for claim in claims:
        fact = facts[claim.id]
        if claim.kind == "expense":
            if claim.status == "paid" and claim.paid_on and claim.amount_pence > 0:
                found.append(_Received(claim.paid_on, f"Expenses paid back: {fact.expense_detail(claim.amount_pence)}",
                                       EvidenceKind.EXPENSE, claim.amount_pence))
            continue
        if claim.choice in ("take", "take_less") and claim.status == "paid" and claim.paid_on:
            found.append(_Received(claim.paid_on, f"{claim.description}. {fact.fee_detail()}", EvidenceKind.EARNINGS,
                                   claim.amount_pence, claim.worked_minutes or 0))
        if claim.choice == "decline" and claim.offered_pence > 0:
            found.append(_Received(fact.day, f"{claim.description}: fee offered and declined", EvidenceKind.DECLINED,
                                   claim.offered_pence))
        if claim.choice == "take_less" and claim.offered_pence > claim.amount_pence:
            found.append(_Received(fact.day, f"{claim.description}: the part of the fee they chose not to take",
                                   EvidenceKind.DECLINED, claim.offered_pence - claim.amount_pence))
        if claim.choice == "redirect" and claim.amount_pence > 0:
            found.append(_Received(claim.paid_on or fact.day,
                                   f"{claim.description}: paid to {fact.group_name or 'a user-led group'} at their "
                                   "request", EvidenceKind.REDIRECTED, claim.amount_pence))
    for advance, code in session.execute(
        select(Advance, Project.code).join(Project, Project.id == Advance.project_id)
        .where(Advance.participant_id == participant_id).order_by(Advance.paid_on, Advance.id)
    ).all():
        found.append(_Received(advance.paid_on, f"Expenses paid in advance for travel and costs, project {code}",
                               EvidenceKind.EXPENSE, advance.amount_pence))
    return sorted((r for r in found if start <= r.date <= end), key=lambda r: r.date)


def _involvement(session: Session, participant: Participant, start: dt.date, end: dt.date) -> tuple[str, ...]:
    rows = session.execute(
        select(Activity.kind, Project.name).join(Attendance, Attendance.activity_id == Activity.id)
        .join(Project, Project.id == Activity.project_id)
        .where(Attendance.participant_id == participant.id, Activity.occurs_on.between(start, end))
        .order_by(Activity.occurs_on, Activity.id)
    ).all()
    who = participant.name
    if rows:
        projects = _listing([project for _kind, project in rows], limit=5)
        kinds = _listing([KIND_LABELS.get(kind, "Activity").lower() for kind, _project in rows], limit=5)
        first = (f"{who} is one of the people with lived experience of services who work with us. Between "
                 f"{long_date(start)} and {long_date(end)} they took part in "
                 f"{count(len(rows), 'activity', 'activities')} ({kinds}) in our projects: {projects}.")
    else:
        first = (f"{who} is one of the people with lived experience of services who work with us. We have no "
                 f"record of them taking part in an activity between {long_date(start)} and {long_date(end)}.")
    return (
        first,
        "Taking part is voluntary: they choose which activities to attend. We offer a fee for their time; they "
        "may take it, take less, decline it, or ask us to pay it to a user-led group instead.",
        "We pay back expenses for actual costs only (against receipts, or at HMRC's approved mileage rates).",
    )


def benefits_evidence_pack(
    session: Session,
    participant_id: int,
    start: dt.date,
    end: dt.date,
    *,
    organisation: Organisation,
    rulebook: Rulebook,
    signatory_name: str,
    signatory_role: str,
    issued: dt.date,
) -> BenefitsEvidencePack:
    """A letter for DWP: payments per benefit period of each declared benefit with an earnings rule.

    Weekly benefits (Carer's Allowance, ESA, Housing Benefit, Pension Credit, income-related ESA) use the week
    starting on the declared weekday; Universal Credit the assessment period from the declared start day. Money
    is placed by the date it was received; declined offers by the activity's date, redirected fees by the date
    paid to the group. ESA periods show the hours of paid work the payments received stand for.
    """
    if end < start:
        raise ValidationError("The period ends before it starts.", fields={"end": ["Before start."]})
    participant = _participant(session, participant_id)
    declaration = current_benefits(session, participant_id, as_of=end) or current_benefits(session, participant_id)
    received = _received(session, participant_id, start, end)
    benefits = []
    for declared in declaration.benefits if declaration else ():
        name = declared.get("name")
        if name not in _WEEKLY and name != "universal_credit":
            continue  # no earnings rule (PIP, DLA, Attendance Allowance, State Pension)
        periods = []
        for period in _periods(name, declared, start, end):
            inside = [r for r in received if period.start <= r.date <= period.end]
            periods.append(EvidencePeriod(
                period.start, period.end,
                tuple(EvidenceItem(r.date, r.description, r.kind, r.amount) for r in inside),
                minutes_worked=sum(r.paid_minutes for r in inside) if name == "esa" else None,
            ))
        benefits.append(BenefitEvidence(
            benefit=DISPLAY_NAMES.get(name, name),
            period_name="assessment period" if name == "universal_credit" else "week",
            periods=tuple(periods),
            rules=_rules_for(rulebook, name, declared, end),
        ))
    return BenefitsEvidencePack(
        organisation=organisation, participant=_participant_payee(participant), issued=issued, period_start=start,
        period_end=end, involvement=_involvement(session, participant, start, end), benefits=tuple(benefits),
        signatory_name=signatory_name, signatory_role=signatory_role,
    )


# --- finance documents ----------------------------------------------------------------------------------


def payment_run_report(session: Session, run_id: int, *, organisation: Organisation) -> PaymentRunReport:
    """A payment run for finance and auditors: per payee totals, account last four digits, benefit flags.

    Flags come from the benefit check stored when the run was drafted; an override reason is the run's (given
    when it was confirmed), else those recorded when the payee's claims were approved.
    """
    summary = payment_run_summary(session, run_id)
    run = session.get(PaymentRun, run_id)
    last4 = {(p.payee_kind, p.payee_id): p.account_last4 for p in session.execute(
        select(Payment).where(Payment.run_id == run_id)).scalars()}
    claim_ids = sorted(cid for p in summary.payees for cid in p.claim_ids)
    claim_reasons: dict[int, str] = {}
    for chunk in _chunks(claim_ids):
        claim_reasons.update(session.execute(
            select(Claim.id, Claim.override_reason).where(Claim.id.in_(chunk), Claim.override_reason.is_not(None))
        ).all())
    payees = []
    for p in summary.payees:
        check = p.benefit_check
        flags: list[BenefitFlag] = []
        if check.flagged:
            reasons = [claim_reasons[cid] for cid in p.claim_ids if cid in claim_reasons]
            reason = (summary.override.reason if summary.override and check.action == "override"
                      else "; ".join(dict.fromkeys(reasons)) or None)
            for a in check.affected:
                outcome = FlagOutcome.BREACH if a.effect in ("lost", "over_limit") else FlagOutcome.WARN
                flags.append(BenefitFlag(a.name, outcome, _flag_message(a), reason))
            if not flags:
                outcome = FlagOutcome.BREACH if check.outcome == "breach" else FlagOutcome.WARN
                flags.append(BenefitFlag("Benefits", outcome, check.explanation_for_staff or check.outcome, reason))
        key = (p.payee_kind, p.payee_id)
        account = last4.get(key) or (p.account_number[-4:] if p.account_number else None)
        reference = (participant_reference if p.payee_kind == "participant" else group_reference)(p.payee_id)
        payees.append(PaymentRunPayee(
            payee=Payee(name=p.name, reference=reference, is_group=p.payee_kind == "group"), items=p.item_count,
            fees=p.fee_pence, expenses=p.expense_pence, total=p.amount_pence, account_last_four=account,
            flags=tuple(flags),
        ))
    creator = session.get(User, run.created_by_user_id) if run.created_by_user_id else None
    return PaymentRunReport(
        organisation=organisation, run_reference=summary.reference, payment_date=summary.payment_date,
        status=summary.status, prepared_on=_day_of(summary.created_at) or summary.cutoff_date,
        prepared_by=creator.display_name if creator else "unknown", payees=tuple(payees), total=summary.total_pence,
    )


def _flag_message(a) -> str:
    """One affected benefit, as finance staff read it."""
    effect = {"lost": "would be lost for the period", "over_limit": "over the permitted work limit",
              "reduced": "would be reduced", "none": "figures need care"}.get(a.effect, a.effect)
    parts = [f"{a.name}: {effect}"]
    if a.period_start and a.period_end:
        parts.append(f"period {long_date(a.period_start)} to {long_date(a.period_end)}")
    if a.counted_pence is not None and a.limit_pence is not None:
        parts.append(f"earnings counted {money(a.counted_pence)} against {money(a.limit_pence)}")
    if a.reduction_pence:
        parts.append(f"reduction about {money(a.reduction_pence)}")
    if a.safe_amount_pence is not None:
        parts.append(f"safe amount {money(a.safe_amount_pence)}")
    parts.append(f"confidence {a.confidence}")
    return "; ".join(parts) + "."


def project_budget_report(
    session: Session, project_code: str, *, organisation: Organisation, as_at: dt.date
) -> ProjectBudgetReport:
    """A project's budget against what is committed and spent by cost line (``ledger.projects.services``)."""
    position = budget_position(session, project_code, as_at=as_at)
    return ProjectBudgetReport(
        organisation=organisation, project=position.project_name, cost_centre=position.cost_centre,
        as_at=as_at,
        lines=tuple(BudgetLine(line.name, line.budget_pence, line.committed_pence, line.spent_pence)
                    for line in position.lines),
        people_involved=position.people_involved, activities_held=position.activities_held, notes=position.notes,
    )

