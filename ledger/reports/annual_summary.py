"""What a participant was paid in one UK tax year (6 April to 5 April), for their Self Assessment.

One line per payment received: each confirmed payment run (its fee and expense claims) and each expense advance
(less anything paid back). Fees are taxable, expenses paid back for actual costs are not, and fees paid to a
group at the participant's request were never paid to them. Each run's line is checked against the payment
the bank made, so the summary cannot disagree with the books.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.books import queries
from ledger.books.models import JournalEntry, Posting
from ledger.claims.models import Advance, Claim
from ledger.formatting import listing, money
from ledger.organisation import BANK
from ledger.payments.models import Payment, PaymentRun, PaymentRunItem
from ledger.projects.models import Project
from ledger.reports.claim_facts import claim_facts
from ledger.reports.organisation import Organisation
from ledger.reports.payees import participant_payee, participant_row
from ledger.reports.records import AnnualSummary, AnnualSummaryLine, DocumentDataError, tax_year_bounds
from policies.money import HUNDRED, round_to_penny
from policies.rulebook import Rulebook

__all__ = ["annual_summary"]


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
    participant = participant_row(session, participant_id)
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
    facts = claim_facts(session, [claim for _item, claim in rows])
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
        what = listing([facts[claim.id].what for _item, claim in items])
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
        organisation=organisation, participant=participant_payee(participant), tax_year=tax_year_start_year,
        issued=issued, lines=tuple(lines), trading_allowance=round_to_penny(allowance.decimal * HUNDRED),
        trading_allowance_source=rulebook.source_titles(allowance), redirected=redirected,
    )
