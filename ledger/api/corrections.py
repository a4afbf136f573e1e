"""Corrections after payment over JSON (finance): reverse a paid claim, and recover what is owed back.

``POST /claims/<id>/reversal`` reverses a paid claim (the participant then owes it back);
``POST /claims/<id>/recovery`` records how it is recovered: ``{"how": "netting", ...}`` (the participant's
agreement, who recorded it and how it was given), ``{"how": "repayment", ...}`` (money into the bank) or
``{"how": "write_off", ...}`` (a request a second finance user approves with ``POST /claims/<id>/write-off/approve``);
``GET /claims/<id>/owed-back`` reads what is still owed back and every recovery. Money comes in as pounds in a
decimal string and goes out as that and integer pence.
"""

from __future__ import annotations

from decimal import Decimal

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.api.dates import PlausibleDate
from ledger.auth.access import current_actor, requires
from ledger.claims import corrections, rechecks
from ledger.context import get_session, settings, todays_date
from ledger.errors import ValidationError
from ledger.formatting import pounds

blp = Blueprint("corrections_api", __name__, url_prefix="/api/v1",
                description="Corrections after payment: reversing a paid claim and recovering what is owed back")

_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
_POUNDS = validate.Regexp(r"^\d{1,7}(\.\d{1,2})?$", error='Pounds as a decimal string, like "12.50".')
HOWS = ("netting", "repayment", "write_off")


def _money(attribute: str) -> fields.Function:
    return fields.Function(lambda obj: None if getattr(obj, attribute) is None else pounds(getattr(obj, attribute)),
                           allow_none=True, metadata={"description": "pounds, as a decimal string"})


class PaidClaimReversalInSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(3, corrections.MAX_TEXT))


class OwedBackRecoveryInSchema(Schema):
    how = fields.Str(required=True, validate=validate.OneOf(HOWS))
    amount = fields.Str(load_default=None, validate=_POUNDS, metadata={"description": "repayment: pounds repaid"})
    on = PlausibleDate(load_default=None, metadata={"description": "netting: the day agreed; repayment: received"})
    agreed_how = fields.Str(load_default=None, validate=validate.OneOf(corrections.AGREED_HOW))
    reference = fields.Str(load_default=None, validate=validate.Length(max=corrections.MAX_REFERENCE))
    note = fields.Str(load_default=None, validate=validate.Length(max=corrections.MAX_TEXT),
                      metadata={"description": "netting: what was agreed; write_off: the reason"})


class OwedBackRecoverySchema(Schema):
    id = fields.Int()
    how = fields.Str()
    amount = _money("amount_pence")
    amount_pence = fields.Int(allow_none=True)
    on_date = PlausibleDate()
    reference = fields.Str(allow_none=True)
    agreed_how = fields.Str(allow_none=True)
    note = fields.Str(allow_none=True)
    entry_id = fields.Int(allow_none=True)
    recorded_by_user_id = fields.Int(allow_none=True)
    recorded_at = fields.DateTime()
    approved_by_user_id = fields.Int(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)


class BenefitRecheckSchema(Schema):
    id = fields.Int()
    claim_id = fields.Int()
    participant_id = fields.Int()
    cause = fields.Str(metadata={"description": "repayment | netting | write_off"})
    period_of = PlausibleDate(metadata={"description": "a day inside the benefit period re-checked"})
    outcome = fields.Str()
    needs_finance = fields.Bool(metadata={"description": "a warning or a breach: finance must follow it up"})
    benefit_check = fields.Dict()
    recorded_by_user_id = fields.Int(allow_none=True)
    recorded_at = fields.DateTime()


class FlaggedParticipantSchema(Schema):
    participant_id = fields.Int()
    name = fields.Str()
    claim_id = fields.Int()
    outcome = fields.Str()
    period_of = PlausibleDate()
    recorded_at = fields.DateTime()


class OwedBackSchema(Schema):
    claim_id = fields.Int()
    participant_id = fields.Int()
    group_id = fields.Int(allow_none=True, metadata={"description": "A fee given to this group: the group owes it"})
    status = fields.Str()
    reversed = _money("reversed_pence")
    reversed_pence = fields.Int()
    owed_back = _money("owed_back_pence")
    owed_back_pence = fields.Int()
    netting_agreed = fields.Bool()
    write_off_waiting = fields.Bool()
    recoveries = fields.List(fields.Nested(OwedBackRecoverySchema))
    rechecks = fields.List(fields.Nested(BenefitRecheckSchema))


def _require(data: dict, *names: str) -> None:
    missing = {name: ["Required for this kind of recovery."] for name in names if data.get(name) is None}
    if missing:
        raise ValidationError(f"Please give: {', '.join(missing)}.", fields=missing)


@blp.route("/claims/<int:claim_id>/reversal", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(PaidClaimReversalInSchema)
@blp.response(200, OwedBackSchema)
@requires("payments.manage")
def reverse_claim(data, claim_id):
    """Reverse a paid claim paid in error: the participant then owes it back."""
    session = get_session()
    state = corrections.reverse_paid_claim(session, claim_id, reason=data["reason"],
                                           actor_user_id=current_actor().id, today=todays_date())
    session.commit()
    return state


@blp.route("/claims/<int:claim_id>/owed-back", methods=["GET"])
@blp.doc(security=_SECURITY)
@blp.response(200, OwedBackSchema)
@requires("payments.manage")
def owed_back(claim_id):
    """What is still owed back on a reversed paid claim, and every recovery recorded."""
    return corrections.owed_back(get_session(), claim_id)


@blp.route("/benefit-rechecks/flagged", methods=["GET"])
@blp.doc(security=_SECURITY)
@blp.response(200, FlaggedParticipantSchema(many=True))
@requires("payments.manage")
def flagged_rechecks():
    """Participants whose latest benefit re-check after a correction shows a warning or a breach."""
    return rechecks.flagged_participants(get_session())


@blp.route("/claims/<int:claim_id>/recovery", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(OwedBackRecoveryInSchema)
@blp.response(200, OwedBackSchema)
@requires("payments.manage")
def recover(data, claim_id):
    """Record how what is owed back is recovered: netting agreed, a repayment, or a write-off request."""
    session, actor, today = get_session(), current_actor().id, todays_date()
    if data["how"] == "netting":
        _require(data, "on", "agreed_how", "note")
        state = corrections.agree_netting(session, claim_id, agreed_on=data["on"], agreed_how=data["agreed_how"],
                                          note=data["note"], actor_user_id=actor, today=today)
    elif data["how"] == "repayment":
        _require(data, "amount", "on", "reference")
        state = corrections.record_repayment(session, claim_id, amount_pence=int(Decimal(data["amount"]) * 100),
                                             received_on=data["on"], reference=data["reference"],
                                             actor_user_id=actor, today=today, rules=settings().claim_rules)
    else:
        _require(data, "note")
        state = corrections.request_write_off(session, claim_id, reason=data["note"], actor_user_id=actor,
                                              today=today)
    session.commit()
    return state


@blp.route("/claims/<int:claim_id>/write-off/approve", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.response(200, OwedBackSchema)
@requires("payments.manage")
def approve_write_off(claim_id):
    """Approve a write-off another finance user asked for: the organisation bears the cost."""
    session = get_session()
    state = corrections.approve_write_off(session, claim_id, actor_user_id=current_actor().id, today=todays_date(),
                                          rules=settings().claim_rules)
    session.commit()
    return state
