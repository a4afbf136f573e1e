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
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.books.kinds import PostingKind
from ledger.books.models import JournalEntry
from ledger.claims.models import Advance, Claim
from ledger.formatting import listing, long_date, money
from ledger.reports.organisation import Organisation
from ledger.reports.payees import participant_payee, participant_row
from ledger.reports.receipts import ReceivedLine, by_entry, received_amounts_each, received_lines
from ledger.reports.records import AnnualSummary, AnnualSummaryLine, tax_year_bounds
from policies.money import HUNDRED, round_to_penny
from policies.rulebook import Rulebook

__all__ = ["EXPENSES", "FEES", "TAXABLE_ALLOWANCES", "annual_summary", "money_received"]

FEES = frozenset({PostingKind.FEE})
EXPENSES = frozenset({PostingKind.EXPENSE, PostingKind.ADVANCE})  # actual costs, paid back or in advance
TAXABLE_ALLOWANCES = frozenset({PostingKind.FLAT_RATE_ALLOWANCE, PostingKind.VOUCHER,
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

    fees, expenses, allowances = total(FEES), total(EXPENSES), total(TAXABLE_ALLOWANCES)
    if not fees + expenses + allowances:
        return None  # time credits only
    return AnnualSummaryLine(lines[0].on, _described(lines), fees, expenses, allowances)


def _advance_kept(session: Session, participant_id: int) -> dict[int, int]:
    """For each entry writing off what was left of an advance: the entry that paid that advance."""
    return _advances_kept(session, [participant_id]).get(participant_id, {})


def _advances_kept(session: Session, participant_ids: list[int]) -> dict[int, dict[int, int]]:
    """``_advance_kept`` of each participant, in two statements however many they are."""
    advances = {advance_id: (who, paid) for advance_id, who, paid in session.execute(
        select(Advance.id, Advance.participant_id, Advance.paid_entry_id)
        .where(Advance.participant_id.in_(participant_ids))).all()
        if paid is not None}  # an advance asked for but not yet paid has nothing to write off
    keys = {f"advance:{advance_id}:surplus": whose for advance_id, whose in advances.items()}
    found: dict[int, dict[int, int]] = {}
    if keys:
        for entry_id, key in session.execute(
                select(JournalEntry.id, JournalEntry.idempotency_key).where(JournalEntry.idempotency_key.in_(keys))):
            who, paid = keys[key]
            found.setdefault(who, {})[entry_id] = paid
    return found


def _kept_is_not_expenses(received: list[ReceivedLine], paid_by: dict[int, int]) -> list[ReceivedLine]:
    """What was left of an advance and kept was not spent on costs: it is taken off the advance it came from
    (an expense) so it is counted once, as a taxable allowance, on the day it was written off."""
    lines = list(received)
    for kept in [line for line in lines if line.kind == PostingKind.ADVANCE_SURPLUS_KEPT]:
        for i, line in enumerate(lines):
            if line.kind == PostingKind.ADVANCE and line.entry_id == paid_by.get(kept.entry_id):
                taken = min(kept.amount, line.amount)
                lines[i] = replace(line, amount=line.amount - taken, description=(
                    f"{line.description}; {money(taken)} of it kept by you on {long_date(kept.on)}, shown then"))
    return [line for line in lines if line.amount > 0]


def _redirected(session: Session, participant_id: int, start: dt.date, end: dt.date) -> int:
    """Fees paid to a group at their request in the tax year: never paid to them."""
    return sum(session.execute(
        select(Claim.amount_pence).where(Claim.participant_id == participant_id, Claim.kind == "fee",
                                         Claim.choice == "redirect", Claim.status == "paid",
                                         Claim.paid_on.between(start, end))
    ).scalars())


def money_received(session: Session, participant_id: int, start: dt.date, end: dt.date) -> list[ReceivedLine]:
    """The money (not time credits) the participant received from ``start`` to ``end``, a kept advance surplus
    counted once as a taxable allowance: what the annual summary and the tax-year totals both add up."""
    return _kept_is_not_expenses([line for line in received_lines(session, participant_id, start, end)
                                  if line.kind != PostingKind.TIME_CREDITS], _advance_kept(session, participant_id))


def money_received_each(session: Session, participant_ids: list[int], start: dt.date,
                        end: dt.date) -> dict[int, list[ReceivedLine]]:
    """``money_received`` of each participant, amounts only (no words), in a fixed number of statements: what a
    page of tax-year totals adds up."""
    kept = _advances_kept(session, participant_ids)
    return {participant_id: _kept_is_not_expenses([line for line in lines if line.kind != PostingKind.TIME_CREDITS],
                                                  kept.get(participant_id, {}))
            for participant_id, lines in received_amounts_each(session, participant_ids, start, end).items()}


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
    received = money_received(session, participant_id, start, end)
    lines = [line for group in by_entry(received).values() if (line := _payment_line(group)) is not None]
    lines.sort(key=lambda line: line.date_paid)
    allowance = rulebook.get("tax.trading_allowance", start)
    return AnnualSummary(
        organisation=organisation, participant=participant_payee(participant), tax_year=tax_year_start_year,
        issued=issued, lines=tuple(lines), trading_allowance=round_to_penny(allowance.decimal * HUNDRED),
        trading_allowance_source=rulebook.source_titles(allowance),
        redirected=_redirected(session, participant_id, start, end),
    )
