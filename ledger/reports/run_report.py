"""A payment run's report for finance staff and auditors: who is paid what, to which account, and what to check.

Read from the run's summary (``ledger.payments.runs.payment_run_summary``), so the report and the payment run
page show the same payees and totals; account numbers appear only as their last four digits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.auth.models import User
from ledger.claims.models import Claim
from ledger.formatting import long_date, money
from ledger.labels import BENEFIT_EFFECT_LABELS
from ledger.payments.models import Payment, PaymentRun
from ledger.payments.runs import payment_run_summary
from ledger.reports.claim_facts import chunks, day_of
from ledger.reports.organisation import Organisation
from ledger.reports.payees import group_reference, participant_reference
from ledger.reports.records import BenefitFlag, FlagOutcome, Payee, PaymentRunPayee, PaymentRunReport

__all__ = ["payment_run_report"]


def payment_run_report(session: Session, run_id: int, *, organisation: Organisation) -> PaymentRunReport:
    """A payment run for finance and auditors: per payee totals, account last four digits, benefit flags.

    Flags come from the benefit check stored when the run was drafted; an override reason is the run's (given
    when it was confirmed), else those recorded when the payee's claims were approved.
    """
    summary = payment_run_summary(session, run_id)
    run = session.get_one(PaymentRun, run_id)  # the summary has already refused a run that is not there
    last4 = {(p.payee_kind, p.payee_id): p.account_last4 for p in session.execute(
        select(Payment).where(Payment.run_id == run_id)).scalars()}
    claim_ids = sorted(cid for p in summary.payees for cid in p.claim_ids)
    claim_reasons: dict[int, str] = {}
    for chunk in chunks(claim_ids):
        claim_reasons.update((claim_id, reason) for claim_id, reason in session.execute(
            select(Claim.id, Claim.override_reason).where(Claim.id.in_(chunk), Claim.override_reason.is_not(None))
        ).all() if reason)
    payees = []
    for p in summary.payees:
        check = p.benefit_check
        flags: list[BenefitFlag] = []
        if check.flagged:
            reasons = [claim_reasons[cid] for cid in p.claim_ids if cid in claim_reasons]
            reason = (summary.override.reason if summary.override and check.action == "override"
                      else "; ".join(dict.fromkeys(reasons)) or None)
            for a in check.affected:
                breach = a.effect in ("lost", "over_limit") and not a.breach_depends_on_unverified
                outcome = FlagOutcome.BREACH if breach else FlagOutcome.WARN
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
    return PaymentRunReport(
        organisation=organisation, run_reference=summary.reference, payment_date=summary.payment_date,
        status=summary.status, prepared_on=day_of(summary.created_at) or summary.cutoff_date,
        prepared_by=_name(session, run.created_by_user_id) or "unknown", payees=tuple(payees),
        total=summary.total_pence, confirmed_by=_name(session, run.confirmed_by_user_id),
        confirmed_at=run.confirmed_at, bank_reference=run.bank_reference,
        cancelled_by=_name(session, run.cancelled_by_user_id), cancelled_at=run.cancelled_at,
    )


def _name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else None


def _flag_message(a) -> str:
    """One affected benefit, as finance staff read it."""
    effect = BENEFIT_EFFECT_LABELS.get(a.effect, a.effect)
    if a.breach_depends_on_unverified:
        effect += " only under the cautious reading of a figure not yet confirmed"
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
