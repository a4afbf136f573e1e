"""Read model: the benefit effect of one of a participant's own payments (``BenefitEffectNotice``).

After approval it is the check recorded then (what finance saw); before, the check as it would be if the claim
were paid on the next payment date, as the claim page shows it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ledger.claims import services as claims
from ledger.claims.services import ClaimRules
from ledger.errors import Conflict
from ledger.reports.benefit_effect_records import BenefitEffectNotice
from ledger.reports.organisation import Organisation
from ledger.reports.payees import participant_payee, participant_row

__all__ = ["benefit_effect_notice"]


def benefit_effect_notice(session: Session, claim_id: int, participant_id: int, *, organisation: Organisation,
                          rules: ClaimRules, today: dt.date) -> BenefitEffectNotice:
    """The benefit effect of the participant's own claim ``claim_id`` (NotFound when it is not theirs)."""
    record = claims.get_claim(session, claim_id, for_participant_id=participant_id)
    check, at_approval, paid_on = record.policy_decision, True, record.paid_on
    status = "checked" if check is not None else "not_checked"
    if check is None and record.before_approval:
        at_approval = False
        try:
            preview = claims.preview_approval(session, claim_id, rules=rules, today=today)
        except Conflict:
            preview = None  # the rules cannot check it yet: the document says it is not checked
        if preview is not None:
            check, paid_on = preview.policy, preview.expected_payment_date
            status = "checked" if check is not None else "no_benefits"
    return BenefitEffectNotice(
        organisation=organisation, participant=participant_payee(participant_row(session, participant_id)),
        claim_id=record.id, description=record.description, amount_pence=record.amount_pence or record.offered_pence,
        payment_date=paid_on, check=check, checked_at_approval=at_approval, issued=today, status=status)
