"""Advances through approval over HTTP: ask for one, approve or reject it, mark it paid, list the overdue.

``POST /api/v1/advances`` (in ``ledger.api.claims``) still pays an advance at once for finance. Here a
participant asks for their own advance (staff for anyone); finance approves (never their own, two different
approvers above the second-approval amount), rejects with a reason, or marks an approved advance paid by
another method with a reference; ``GET /advances?overdue=true`` lists those past their settlement date.
"""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.api.claims import AdvanceSchema
from ledger.api.dates import PlausibleDate
from ledger.auth.access import check_project_access, current_actor, requires
from ledger.auth.permissions import allowed
from ledger.claims import advances
from ledger.claims.models import ADVANCE_PAID_BY, ADVANCE_STATUSES
from ledger.context import get_session, settings, todays_date
from ledger.errors import NotFound

blp = Blueprint("advances_api", __name__, url_prefix="/api/v1",
                description="Expense advances asked for, approved, paid by another method, and overdue")

_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
_POUNDS = validate.Regexp(r"^\d{1,7}(\.\d{1,2})?$", error='Pounds as a decimal string, like "12.50".')


class AdvanceRequestInSchema(Schema):
    participant_id = fields.Int(required=True, strict=True)
    project_code = fields.Str(load_default=None, validate=validate.Length(1, 32))
    activity_id = fields.Int(load_default=None, strict=True)
    amount = fields.Str(required=True, validate=_POUNDS, metadata={"example": "40.00"})
    purpose = fields.Str(required=True, validate=validate.Length(1, advances.MAX_PURPOSE))
    settle_by = PlausibleDate(required=True, metadata={"description": "When the receipts are due: after today."})


class AdvanceRejectInSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(1, 2000))


class AdvancePaidInSchema(Schema):
    paid_by = fields.Str(required=True, validate=validate.OneOf(ADVANCE_PAID_BY))
    reference = fields.Str(required=True, validate=validate.Length(1, advances.MAX_REFERENCE),
                           metadata={"description": "The cheque, receipt or card transaction number."})
    paid_on = PlausibleDate(required=True)


class AdvanceListArgsSchema(Schema):
    status = fields.Str(load_default=None, validate=validate.OneOf(ADVANCE_STATUSES))
    overdue = fields.Bool(load_default=False, metadata={
        "description": "Only advances paid, past their settlement date, with receipts still outstanding."})
    participant_id = fields.Int(load_default=None)


class AdvanceDetailSchema(AdvanceSchema):
    purpose = fields.Str(allow_none=True)
    settle_by = PlausibleDate(allow_none=True)
    requested_by_user_id = fields.Int(allow_none=True)
    rejection_reason = fields.Str(allow_none=True)
    paid_by = fields.Str(allow_none=True)
    paid_reference = fields.Str(allow_none=True)
    approvals = fields.Int()
    overdue = fields.Bool()
    payment_run_id = fields.Int(allow_none=True,
                                metadata={"description": "The payment run paying it by bank transfer."})


class AdvanceApprovalSchema(Schema):
    advance = fields.Nested(AdvanceDetailSchema)
    approvals = fields.Int()
    approvals_needed = fields.Int()


@blp.route("/advances/requests", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(AdvanceRequestInSchema)
@blp.response(201, AdvanceDetailSchema)
@requires("self")
def request_advance(data):
    """Ask for expenses in advance: a participant for themself, staff for any participant; finance approves."""
    session, user = get_session(), current_actor()
    if not allowed(user.role_names, "claims.submit") and data["participant_id"] != user.participant_id:
        raise NotFound("There is no such participant, or you may not ask for an advance for them.",
                       fields={"participant_id": ["Unknown."]})
    check_project_access("code", data.get("project_code"))  # a project manager: only their assigned projects
    check_project_access("activity_id", data.get("activity_id"))
    record = advances.request_advance(session, **data, today=todays_date(), actor_user_id=user.id)
    session.commit()
    return record


@blp.route("/advances", methods=["GET"])
@blp.doc(security=_SECURITY)
@blp.arguments(AdvanceListArgsSchema, location="query")
@blp.response(200, AdvanceDetailSchema(many=True))
@requires("claims.approve")
def list_advances(args):
    """Advances, newest first; ``overdue=true`` for those past their settlement date with receipts outstanding."""
    return advances.list_advances(get_session(), today=todays_date(), **args)


@blp.route("/advances/<int:advance_id>", methods=["GET"])
@blp.doc(security=_SECURITY)
@blp.response(200, AdvanceDetailSchema)
@requires("claims.approve")
def get_advance(advance_id):
    return advances.get_advance(get_session(), advance_id, today=todays_date())


@blp.route("/advances/<int:advance_id>/approve", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.response(200, AdvanceApprovalSchema)
@requires("claims.approve")
def approve_advance(advance_id):
    """Approve a requested advance (not your own; a second, different approver above the threshold)."""
    session, user = get_session(), current_actor()
    record, needed = advances.approve_advance(
        session, advance_id, actor_user_id=user.id, actor_participant_id=user.participant_id,
        second_approval_above_pence=settings().claim_rules.second_approval_above_pence, today=todays_date())
    session.commit()
    return {"advance": record, "approvals": record.approvals, "approvals_needed": needed}


@blp.route("/advances/<int:advance_id>/reject", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(AdvanceRejectInSchema)
@blp.response(200, AdvanceDetailSchema)
@requires("claims.approve")
def reject_advance(data, advance_id):
    """Reject a requested or approved, unpaid advance with a reason."""
    session = get_session()
    record = advances.reject_advance(session, advance_id, reason=data["reason"], actor_user_id=current_actor().id,
                                     today=todays_date())
    session.commit()
    return record


@blp.route("/advances/<int:advance_id>/mark-paid", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(AdvancePaidInSchema)
@blp.response(200, AdvanceDetailSchema)
@requires("claims.approve")
def mark_advance_paid(data, advance_id):
    """Record an approved advance paid by cheque, cash, card or a transfer outside the ledger (posts advance_paid)."""
    session = get_session()
    record = advances.mark_advance_paid(session, advance_id, **data, actor_user_id=current_actor().id,
                                        today=todays_date())
    session.commit()
    return record
