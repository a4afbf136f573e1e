"""Tax-year figures for finance: what each participant received from 6 April to 5 April, and who a payment run
takes past the trading allowance.

The totals add up exactly the lines of the participant's annual summary (``annual_summary.money_received``):
fees; expenses (actual costs paid back or in advance: not taxable); and taxable allowances (flat-rate
allowances, vouchers, an advance surplus kept). Taxable receipts are fees plus taxable allowances, the gross
receipts the trading allowance is set against. The allowance is the policy data's ``tax.trading_allowance`` for
the tax year (£1,000 today), never a figure in code.

A run takes someone past the allowance when their taxable receipts in the tax year of the run's payment date,
before the run, are at most the allowance and, with the fees the run pays them, more than it: finance tells
them, since they may then need to register for Self Assessment. Fees redirected to a group are the group's, and
expenses are not receipts for tax.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.claims.models import Claim
from ledger.errors import NotFound, ValidationError
from ledger.events.audit import csv_line
from ledger.formatting import money, pounds
from ledger.payments import workflow as run_workflow
from ledger.payments.models import PaymentRun, PaymentRunItem
from ledger.people.models import Participant
from ledger.reports.annual_summary import EXPENSES, FEES, TAXABLE_ALLOWANCES, money_received, money_received_each
from ledger.reports.payees import participant_reference
from ledger.reports.records import tax_year_bounds
from policies.money import HUNDRED, round_to_penny
from policies.rulebook import Rulebook
from policies.tax import TaxYear, tax_year_of

__all__ = ["AllowanceCrossing", "ParticipantTaxYear", "allowance_crossings", "draft_run_crossings",
           "read_tax_year", "tax_year_csv", "tax_year_page"]

MAX_LIMIT = 200
_TAX_YEAR = re.compile(r"(\d{4})(?:-(\d{2}))?")
CSV_COLUMNS = ("Participant reference", "Name", "Tax year", "Fees", "Expenses", "Taxable allowances",
               "Taxable receipts", "Trading allowance", "Past the trading allowance")


@dataclass(frozen=True, slots=True)
class ParticipantTaxYear:
    """One participant's receipts in one tax year, in pence."""

    participant_id: int
    reference: str
    name: str
    tax_year: str  # "2026-27"
    fees: int
    expenses: int
    taxable_allowances: int
    trading_allowance: int

    @property
    def taxable(self) -> int:
        return self.fees + self.taxable_allowances

    @property
    def past_allowance(self) -> bool:
        return self.taxable > self.trading_allowance


@dataclass(frozen=True, slots=True)
class TaxYearPage:
    rows: tuple[ParticipantTaxYear, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class AllowanceCrossing:
    """A participant whom a payment run takes past the trading allowance."""

    participant_id: int
    name: str
    run_id: int
    run_reference: str
    tax_year: str
    before: int  # taxable receipts in the tax year before the run, pence
    in_run: int  # fees the run pays them
    trading_allowance: int

    @property
    def after(self) -> int:
        return self.before + self.in_run

    @property
    def message(self) -> str:
        return (f"This run takes {self.name} past the {money(self.trading_allowance)} trading allowance for "
                f"{self.tax_year}: {money(self.before)} before it, {money(self.after)} with it. Tell them: "
                "they may need to register for Self Assessment.")


def read_tax_year(value: str | None, *, today: dt.date) -> TaxYear:
    """The tax year asked for as ``2026`` or ``2026-27`` (the year it starts in); the current one if absent."""
    if value is None or not str(value).strip():
        return tax_year_of(today)
    match = _TAX_YEAR.fullmatch(str(value).strip())
    if match is None or (match.group(2) is not None and int(match.group(2)) != (int(match.group(1)) + 1) % 100):
        message = "Tax year must be the year it starts in, like 2026, or written 2026-27."
        raise ValidationError(message, fields={"tax_year": [message]})
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        message = "Tax year must be between 2000 and 2100."
        raise ValidationError(message, fields={"tax_year": [message]})
    return TaxYear(year)


def trading_allowance(rulebook: Rulebook, year: TaxYear) -> int:
    """The trading allowance in pence for the tax year, from the policy data."""
    return round_to_penny(rulebook.get("tax.trading_allowance", year.start).decimal * HUNDRED)


def _taxable(lines) -> int:
    return sum(line.amount for line in lines if line.kind in FEES or line.kind in TAXABLE_ALLOWANCES)


def _totals(participant_id: int, name: str, year: TaxYear, allowance: int, lines) -> ParticipantTaxYear:
    """One participant's totals for the tax year, from what they received in it."""
    def total(kinds) -> int:
        return sum(line.amount for line in lines if line.kind in kinds)

    return ParticipantTaxYear(participant_id, participant_reference(participant_id), name, year.label, total(FEES),
                              total(EXPENSES), total(TAXABLE_ALLOWANCES), allowance)


def _parse_cursor(cursor: str | None) -> int:
    if cursor is None or cursor == "":
        return 0
    if not cursor.isdigit():
        raise ValidationError("cursor must be the next_cursor of the page before.", fields={"cursor": ["invalid"]})
    return int(cursor)


def parse_limit(raw: str | None) -> int:
    """Rows per page: 1 to 200, 50 when absent."""
    if raw is None or raw == "":
        return 50
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationError(f"limit must be a whole number from 1 to {MAX_LIMIT}.", fields={"limit": ["invalid"]})
    return int(raw)


def tax_year_page(session: Session, year: TaxYear, rulebook: Rulebook, *, cursor: str | None = None,
                  limit: int = 50) -> TaxYearPage:
    """Participants in id order after the cursor, with their totals for the tax year."""
    after = _parse_cursor(cursor)
    allowance = trading_allowance(rulebook, year)
    people = session.execute(select(Participant.id, Participant.name).where(Participant.id > after)
                             .order_by(Participant.id).limit(limit + 1)).all()
    start, end = tax_year_bounds(year.start_year)
    received = money_received_each(session, [pid for pid, _name in people[:limit]], start, end)
    rows = tuple(_totals(pid, name, year, allowance, received.get(pid, [])) for pid, name in people[:limit])
    return TaxYearPage(rows, str(people[limit - 1][0]) if len(people) > limit else None)


def tax_year_rows(session: Session, year: TaxYear, rulebook: Rulebook) -> Iterator[ParticipantTaxYear]:
    """Every participant's totals, a page at a time."""
    cursor: str | None = None
    while True:
        page = tax_year_page(session, year, rulebook, cursor=cursor, limit=MAX_LIMIT)
        yield from page.rows
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def tax_year_csv(session: Session, year: TaxYear, rulebook: Rulebook,
                 written: list[int] | None = None) -> Iterator[str]:
    """The totals as CSV lines: a header, then a row per participant (pounds with two decimals)."""
    yield csv_line(CSV_COLUMNS)
    count = 0
    for row in tax_year_rows(session, year, rulebook):
        count += 1
        yield csv_line((row.reference, row.name, row.tax_year, pounds(row.fees), pounds(row.expenses),
                        pounds(row.taxable_allowances), pounds(row.taxable), pounds(row.trading_allowance),
                        "yes" if row.past_allowance else "no"))
    if written is not None:
        written.append(count)


def _run_fees(session: Session, run_id: int) -> dict[int, int]:
    """Fees the run pays each participant (not fees redirected to a group, not expenses)."""
    rows = session.execute(
        select(PaymentRunItem.payee_id, func.sum(PaymentRunItem.amount_pence))
        .join(Claim, Claim.id == PaymentRunItem.claim_id)
        .where(PaymentRunItem.run_id == run_id, PaymentRunItem.payee_kind == "participant", Claim.kind == "fee",
               Claim.choice.is_distinct_from("redirect"))
        .group_by(PaymentRunItem.payee_id))
    return {pid: int(total) for pid, total in rows if total}


def allowance_crossings(session: Session, run_id: int, rulebook: Rulebook) -> list[AllowanceCrossing]:
    """Everyone the run takes past the trading allowance, by name."""
    run = session.get(PaymentRun, run_id)
    if run is None:
        raise NotFound(f"There is no payment run {run_id}.")
    if run.status not in (*run_workflow.CHANGEABLE, *run_workflow.PAID):
        return []
    year = tax_year_of(run.payment_date)
    allowance = trading_allowance(rulebook, year)
    fees = _run_fees(session, run_id)
    names = dict(session.execute(select(Participant.id, Participant.name).where(Participant.id.in_(fees))).all())
    crossings = []
    for pid, in_run in sorted(fees.items()):
        lines = money_received(session, pid, year.start, run.payment_date)
        before = _taxable(line for line in lines if line.run_reference != run.reference)
        if before <= allowance < before + in_run:
            crossings.append(AllowanceCrossing(pid, names.get(pid, f"participant {pid}"), run.id, run.reference,
                                               year.label, before, in_run, allowance))
    return sorted(crossings, key=lambda c: (c.name, c.participant_id))


def draft_run_crossings(session: Session, rulebook: Rulebook,
                        participant_ids: Sequence[int] | None = None) -> dict[int, list[AllowanceCrossing]]:
    """For each participant a draft run takes past the allowance, those crossings (for the participant list)."""
    runs = session.execute(select(PaymentRun.id).where(PaymentRun.status.in_(run_workflow.CHANGEABLE))
                           .order_by(PaymentRun.id)).scalars().all()
    found: dict[int, list[AllowanceCrossing]] = {}
    for run_id in runs:
        for crossing in allowance_crossings(session, run_id, rulebook):
            if participant_ids is None or crossing.participant_id in participant_ids:
                found.setdefault(crossing.participant_id, []).append(crossing)
    return found
