"""Remittance advice: what one payee was paid in one confirmed payment run, claim by claim.

Made only once the bank has accepted the run and finance have confirmed it, so an advice never shows money
that might not arrive. A participant's advice also lists the fees they asked to be paid to a group in the
same run (REDIRECTED lines, not part of what they were paid); the group's advice shows those fees as
donations received, without saying who gave them. An approved advance the run paid is a line of its own
(under "Other changes": money for costs to come, with the day its receipts are due).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.claims.models import Advance, Claim
from ledger.errors import Conflict, NotFound
from ledger.payments.models import PAYEE_KINDS, Payment, PaymentRun, PaymentRunItem
from ledger.people.models import Participant, UserLedGroup
from ledger.reports.claim_facts import chunks, claim_facts
from ledger.reports.organisation import Organisation
from ledger.reports.payees import group_payee, group_reference, participant_payee, participant_reference
from ledger.reports.records import Payee, RemittanceAdvice, RemittanceLine, RemittanceLineKind

__all__ = ["remittance_advice", "remittances_for_run"]


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
    facts = claim_facts(session, [claim for _item, claim in rows])
    payees: dict[tuple[str, int], Payee] = {}
    sources: tuple[tuple[str, Any, Callable[[Any], Payee]], ...] = (
        ("participant", Participant, participant_payee), ("group", UserLedGroup, group_payee))
    for kind, model, make in sources:
        ids = sorted({p.payee_id for p in payments if p.payee_kind == kind})
        for chunk in chunks(ids):
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
    _advance_lines(session, run, lines, only)
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
            bank_reference=run.bank_reference,
        ))
    return advices


def _advance_lines(session: Session, run: PaymentRun, lines: dict[tuple[str, int], list[RemittanceLine]],
                   only: tuple[str, int] | None) -> None:
    """The approved advances the run paid, one line each on the participant's advice."""
    if only is not None and only[0] != "participant":
        return
    query = select(Advance).where(Advance.payment_run_id == run.id, Advance.paid_entry_id.is_not(None))
    if only is not None:
        query = query.where(Advance.participant_id == only[1])
    for advance in session.execute(query.order_by(Advance.id)).scalars():
        due = f"; bring the receipts by {advance.settle_by:%d %B %Y}" if advance.settle_by else ""
        lines[("participant", advance.participant_id)].append(RemittanceLine(
            advance.purpose or f"Advance {advance.id}", advance.paid_on or run.payment_date,
            RemittanceLineKind.ADJUSTMENT, advance.amount_pence, f"Expenses paid in advance{due}"))


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
