"""What the books say a participant received, each receipt with what it was for: for letters and summaries.

``ledger.claims.received.received_by`` is the one record of money and time that reached a person, whoever
posted it (a payment run, finance by hand, an advance, a surplus written off, time credits). The benefit
check reads it as it is; the evidence pack and the tax-year summary also need to say what each receipt paid
for. Here money that came back (a returned payment, an advance paid back) is taken off the receipt it undoes,
and a payment made by a run is described by the claims it paid.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ledger.books.kinds import PostingKind
from ledger.claims.models import Claim
from ledger.claims.received import Received, received_by, received_by_each
from ledger.formatting import listing, long_date, money
from ledger.payments.models import Payment, PaymentRun, PaymentRunItem
from ledger.reports.claim_facts import claim_facts

__all__ = ["ReceivedLine", "received_lines"]

# What a receipt undoes when it comes back: an advance paid back undoes the advance. Keyed by the kind as
# a receipt carries it (a plain string; a PostingKind is equal to and hashes as its value).
_UNDOES: dict[str, str] = {PostingKind.ADVANCE_REPAID: PostingKind.ADVANCE}


@dataclass(frozen=True, slots=True)
class ReceivedLine:
    """One receipt from the books, net of anything that came back, with what it paid for."""

    on: dt.date
    kind: str  # a PostingKind
    amount: int  # pence, or minutes for time credits; always positive
    entry_id: int
    description: str
    run_reference: str | None = None  # the payment run that paid it, if a run did
    paid_minutes: int = 0  # hours of paid work behind a fee (from the fee claims a run paid)


def _net(received: list[Received]) -> list[list]:
    """Each receipt with what is left of it once money that came back is taken off the latest like it, and
    the days it came back."""
    kept: list[list] = []
    for r in received:
        if r.amount >= 0:
            kept.append([r, r.amount, []])
            continue
        back, kind = -r.amount, _UNDOES.get(r.kind, r.kind)
        for item in reversed(kept):
            if back == 0:
                break
            if item[0].kind == kind and item[1] > 0:
                taken = min(back, item[1])
                item[1] -= taken
                item[2].append((r.on, taken))
                back -= taken
    return [item for item in kept if item[1] > 0]


def _less_returned(description: str, received: int, returned: list[tuple[dt.date, int]]) -> str:
    if not returned:
        return description
    back = listing([f"{money(pence)} paid back on {long_date(on)}" for on, pence in returned])
    return f"{description} ({money(received)} less {back})"


def _paid_by_runs(session: Session, participant_id: int, entry_ids: list[int]) -> dict[int, tuple[str, list[Claim]]]:
    """For each payment entry a run posted: the run's reference and the participant's claims it paid."""
    if not entry_ids:
        return {}
    rows = session.execute(
        select(Payment.entry_id, PaymentRun.reference, Claim)
        .join(PaymentRun, PaymentRun.id == Payment.run_id)
        .join(PaymentRunItem, and_(PaymentRunItem.run_id == Payment.run_id,
                                   PaymentRunItem.payee_kind == Payment.payee_kind,
                                   PaymentRunItem.payee_id == Payment.payee_id))
        .join(Claim, Claim.id == PaymentRunItem.claim_id)
        .where(Payment.entry_id.in_(entry_ids), Payment.payee_kind == "participant",
               Payment.payee_id == participant_id)
        .order_by(Claim.id)
    ).all()
    found: dict[int, tuple[str, list[Claim]]] = {}
    for entry_id, reference, claim in rows:
        found.setdefault(entry_id, (reference, []))[1].append(claim)
    return found


def _description(r: Received, run: tuple[str, list[Claim]] | None, whats: dict[int, str]) -> tuple[str, int]:
    """What a receipt was for, and the minutes of paid work behind it."""
    if r.kind == PostingKind.ADVANCE:
        said = r.description.startswith("Expenses paid in advance")
        return (r.description if said else f"Expenses paid in advance: {r.description}"), 0
    if r.kind == PostingKind.ADVANCE_SURPLUS_KEPT:
        return f"What was left of an advance, kept by them ({r.description})", 0
    if run is None:
        return r.description, 0
    reference, claims = run
    wanted = "fee" if r.kind in (PostingKind.FEE, PostingKind.FLAT_RATE_ALLOWANCE, PostingKind.VOUCHER) else "expense"
    mine = [c for c in claims if c.kind == wanted] or claims
    minutes = sum(c.worked_minutes or 0 for c in mine if c.kind == "fee")
    return f"Payment run {reference}: {listing([whats[c.id] for c in mine], limit=6)}", minutes


def received_amounts_each(session: Session, participant_ids: list[int], start: dt.date,
                          end: dt.date) -> dict[int, list[ReceivedLine]]:
    """What each participant received between two dates, net of returns, as ``received_lines`` says it but
    without the words (no description, run or hours): the amounts a list of totals needs, for a page of people
    in a fixed number of statements (the tax-year page asked five per person; issue 12)."""
    return {participant_id: [ReceivedLine(on=r.on, kind=r.kind, amount=left, entry_id=r.entry_id, description="")
                             for r, left, _returned in _net(received)]
            for participant_id, received in received_by_each(session, participant_ids, start, end).items()}


def received_lines(session: Session, participant_id: int, start: dt.date, end: dt.date) -> list[ReceivedLine]:
    """Everything the books say the participant received between two dates (inclusive), net of returns."""
    kept = _net(received_by(session, participant_id, start, end))
    runs = _paid_by_runs(session, participant_id, sorted({item[0].entry_id for item in kept}))
    facts = claim_facts(session, [c for _ref, claims in runs.values() for c in claims])
    whats = {claim_id: fact.what for claim_id, fact in facts.items()}
    lines = []
    for r, left, returned in kept:
        run = runs.get(r.entry_id)
        description, minutes = _description(r, run, whats)
        description = _less_returned(description, r.amount, returned)
        lines.append(ReceivedLine(on=r.on, kind=r.kind, amount=left, entry_id=r.entry_id, description=description,
                                  run_reference=run[0] if run else None, paid_minutes=minutes))
    return lines


def by_entry(lines: list[ReceivedLine]) -> dict[int, list[ReceivedLine]]:
    """Receipts grouped by the entry that made them (one payment may pay fees and expenses)."""
    grouped: dict[int, list[ReceivedLine]] = defaultdict(list)
    for line in lines:
        grouped[line.entry_id].append(line)
    return grouped
