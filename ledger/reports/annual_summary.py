"""What a participant was paid in one UK tax year (6 April to 5 April), for their Self Assessment.

Read from the books (``ledger.reports.receipts``): one line per payment that reached them, whoever made it (a
payment run, or finance by hand), each advance of expenses (less anything paid back), and what was left of an
advance they kept, in the tax year it was written off. Fees are taxable; flat-rate allowances, vouchers and a
kept advance surplus are taxable allowances; expenses paid back for actual costs, and expenses paid in
advance, are not. Fees paid to a group at the participant's request were never paid to them. Time credits are
not money and are left out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.books.kinds import PostingKind
from ledger.claims.models import Claim
from ledger.formatting import listing
from ledger.reports.organisation import Organisation
from ledger.reports.payees import participant_payee, participant_row
from ledger.reports.receipts import ReceivedLine, by_entry, received_lines
from ledger.reports.records import AnnualSummary, AnnualSummaryLine, tax_year_bounds
from policies.money import HUNDRED, round_to_penny
from policies.rulebook import Rulebook

__all__ = ["annual_summary"]

_FEES = frozenset({PostingKind.FEE})
_EXPENSES = frozenset({PostingKind.EXPENSE, PostingKind.ADVANCE})  # actual costs, paid back or in advance
_TAXABLE_ALLOWANCES = frozenset({PostingKind.FLAT_RATE_ALLOWANCE, PostingKind.VOUCHER,
                                 PostingKind.ADVANCE_SURPLUS_KEPT})
_RUN_PREFIX = "Payment run "


def _described(lines: list[ReceivedLine]) -> str:
    """One payment's description: the run and everything it paid for, or what finance wrote."""
    reference = lines[0].run_reference
    if reference is None:
        return "; ".join(dict.fromkeys(line.description for line in lines))
    prefix = f"{_RUN_PREFIX}{reference}: "
    whats = [line.description.removeprefix(prefix) for line in lines]
    return prefix + listing(list(dict.fromkeys(whats)))


def _payment_line(lines: list[ReceivedLine]) -> AnnualSummaryLine | None:
    def total(kinds: frozenset[str]) -> int:
        return sum(line.amount for line in lines if line.kind in kinds)

    fees, expenses, allowances = total(_FEES), total(_EXPENSES), total(_TAXABLE_ALLOWANCES)
    if not fees + expenses + allowances:
        return None  # time credits only
    return AnnualSummaryLine(lines[0].on, _described(lines), fees, expenses, allowances)


def _redirected(session: Session, participant_id: int, start: dt.date, end: dt.date) -> int:
    """Fees paid to a group at their request in the tax year: never paid to them."""
    return sum(session.execute(
        select(Claim.amount_pence).where(Claim.participant_id == participant_id, Claim.kind == "fee",
                                         Claim.choice == "redirect", Claim.status == "paid",
                                         Claim.paid_on.between(start, end))
    ).scalars())


def annual_summary(
    session: Session,
    participant_id: int,
    tax_year_start_year: int,
    *,
    organisation: Organisation,
    rulebook: Rulebook,
    issued: dt.date,
) -> AnnualSummary:
    """Payments the books say the participant received in the tax year starting 6 April ``tax_year_start_year``."""
    participant = participant_row(session, participant_id)
    start, end = tax_year_bounds(tax_year_start_year)
    received = [line for line in received_lines(session, participant_id, start, end)
                if line.kind != PostingKind.TIME_CREDITS]
    lines = [line for group in by_entry(received).values() if (line := _payment_line(group)) is not None]
    lines.sort(key=lambda line: line.date_paid)
    allowance = rulebook.get("tax.trading_allowance", start)
    return AnnualSummary(
        organisation=organisation, participant=participant_payee(participant), tax_year=tax_year_start_year,
        issued=issued, lines=tuple(lines), trading_allowance=round_to_penny(allowance.decimal * HUNDRED),
        trading_allowance_source=rulebook.source_titles(allowance),
        redirected=_redirected(session, participant_id, start, end),
    )
