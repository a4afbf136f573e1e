"""Claims over JSON: fees drafted from attendance, expense claims with receipts, time-credit awards, the
participant's choice, the workflow (submit, approve, reject, return, cancel) and expense advances.

Money goes out twice: pounds in a decimal string (``"50.40"``) and integer pence (``amount_pence``); time
as hours in a decimal string (``"4.00"``) beside whole minutes. Money comes in as pounds in a decimal
string (a JSON number is refused: a float is never money) and hours as a decimal string.

Project managers and finance draft and submit claims (staff submitting a claim marks it assisted); finance
approves, rejects and returns them, cancels approved ones (reversing the accrual) and pays advances. A
participant may read their own claims and receipts and record their own choice on their own fee; anyone
else's claim answers 404. The benefit details in a claim's policy decision are shown only to finance and
to the participant themself.
"""

from __future__ import annotations

import dataclasses
import io
from decimal import Decimal

from flask import request, send_file
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, post_dump, post_load, validate, validates_schema
from werkzeug.datastructures import FileStorage

from ledger import paging
from ledger.api.dates import PlausibleDate
from ledger.api.paging import LINK_HEADER, link_headers
from ledger.auth.access import check_project_access, current_actor, requires, visible_project_ids
from ledger.auth.models import User
from ledger.auth.permissions import allowed
from ledger.claims import services
from ledger.claims.models import CHOICES, EXPENSE_CATEGORIES, RESTS, STATUSES
from ledger.claims.records import ClaimRecord
from ledger.context import get_session, settings, todays_date
from ledger.errors import NotFound, PermissionDenied
from ledger.formatting import decimal_hours, pounds
from policies.pay import VEHICLES

blp = Blueprint("claims_api", __name__, url_prefix="/api/v1",
                description="Claims (fees, expenses, time credits), their approval, and expense advances")

_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
_POUNDS = validate.Regexp(r"^\d{1,7}(\.\d{1,2})?$", error='Pounds as a decimal string, like "12.50".')
_HOURS = validate.Regexp(r"^\d{1,4}(\.\d{1,4})?$", error='Hours as a decimal string, like "1.5".')
_MILES = validate.Regexp(r"^\d{1,6}(\.\d{1,2})?$", error='Miles as a decimal string, like "12.5".')


def benefit_check_field(attribute: str, *, description: str = "The benefit check, as the public calculator answers "
                        "(POST /api/v1/policy/check)") -> fields.Function:
    """A stored benefit check in its published JSON shape."""
    return fields.Function(lambda obj: None if getattr(obj, attribute) is None else getattr(obj, attribute).to_json(),
                           allow_none=True, metadata={"type": "object", "description": description})


def _only_participant(user: User) -> int | None:
    """None when the user's role reaches every claim; otherwise the one participant whose claims they may reach."""
    if allowed(user.role_names, "claims.submit"):
        return None
    if "participant" in user.role_names and user.participant_id is not None:
        return user.participant_id
    raise PermissionDenied("Your role does not allow this.")


def _listed_participant(user: User, asked: int | None) -> int | None:
    """Whose claims a listing may show: as asked for staff; a participant's own, whatever they ask."""
    only = _only_participant(user)
    if only is not None and asked not in (None, only):
        raise NotFound("There is no such record, or it is not yours to see.")
    return asked if only is None else only


def _check_project_or_activity(data: dict) -> None:
    """A project manager claims only in their assigned projects (404 for any other)."""
    check_project_access("code", data.get("project_code"))
    check_project_access("activity_id", data.get("activity_id"))


def _shown(record: ClaimRecord, user: User) -> ClaimRecord:
    """The claim as this user may see it: benefit details only for finance and the participant themself."""
    if allowed(user.role_names, "participants.read") or user.participant_id == record.participant_id:
        return record
    return dataclasses.replace(record, policy_outcome=None, policy_decision=None)


def _money(attribute: str) -> fields.Function:
    return fields.Function(
        lambda obj: None if getattr(obj, attribute) is None else pounds(getattr(obj, attribute)),
        allow_none=True, metadata={"description": "pounds, as a decimal string", "example": "50.40"})


def _hours(attribute: str) -> fields.Function:
    return fields.Function(
        lambda obj: None if getattr(obj, attribute) is None else decimal_hours(getattr(obj, attribute)),
        allow_none=True, metadata={"description": "hours, as a decimal string", "example": "4.00"})


# ---------------------------------------------------------------- schemas in


class FeeClaimInSchema(Schema):
    activity_id = fields.Int(required=True, strict=True)
    participant_id = fields.Int(required=True, strict=True)


class ExpenseLineInSchema(Schema):
    category = fields.Str(required=True, validate=validate.OneOf(EXPENSE_CATEGORIES))
    description = fields.Str(required=True, validate=validate.Length(1, 500))
    incurred_on = PlausibleDate(load_default=None, metadata={"description": "Defaults to the activity's date."})
    amount = fields.Str(load_default=None, validate=_POUNDS, metadata={"example": "12.50"})
    miles = fields.Str(load_default=None, validate=_MILES, metadata={"description": "For mileage only."})
    vehicle = fields.Str(load_default=None, validate=validate.OneOf(VEHICLES),
                         metadata={"description": "For mileage only; car when not given."})

    @validates_schema
    def _amount_or_miles(self, data, **kwargs):
        if data.get("category") == "mileage":
            if data.get("miles") is None:
                raise ValidationError("Required for mileage.", field_name="miles")
            if data.get("amount") is not None:
                raise ValidationError("Mileage is priced from the miles at HMRC rates: give miles, not an amount.",
                                      field_name="amount")
        else:
            if data.get("amount") is None:
                raise ValidationError("Required.", field_name="amount")
            if data.get("miles") is not None or data.get("vehicle") is not None:
                raise ValidationError("Only for mileage.", field_name="miles")


class ProjectOrActivitySchema(Schema):
    participant_id = fields.Int(required=True, strict=True)
    project_code = fields.Str(load_default=None, validate=validate.Length(1, 32))
    activity_id = fields.Int(load_default=None, strict=True)
    idempotency_key = fields.Str(required=True, validate=validate.Length(1, services.MAX_KEY),
                                 metadata={"description": "Sending the same claim twice makes it once."})
    description = fields.Str(load_default=None, validate=validate.Length(1, 500))

    @validates_schema
    def _project_or_activity(self, data, **kwargs):
        if data.get("project_code") is None and data.get("activity_id") is None:
            raise ValidationError("Give a project code or an activity id.", field_name="project_code")


class ExpenseClaimInSchema(ProjectOrActivitySchema):
    lines = fields.List(fields.Nested(ExpenseLineInSchema), required=True,
                        validate=validate.Length(1, services.MAX_LINES))
    advance_id = fields.Int(load_default=None, strict=True,
                            metadata={"description": "An advance these receipts settle."})


class TimeCreditsInSchema(ProjectOrActivitySchema):
    hours = fields.Str(required=True, validate=_HOURS, metadata={"example": "2.5"})

    @validates_schema
    def _whole_minutes(self, data, **kwargs):
        hours = data.get("hours")
        if hours is not None and (Decimal(hours) * 60) % 1:
            raise ValidationError("Must be a whole number of minutes (for example 1.25 or 1.5).", field_name="hours")

    @post_load
    def _to_minutes(self, data, **kwargs):
        data["minutes"] = int(Decimal(data.pop("hours")) * 60)
        return data


class ClaimListArgsSchema(Schema):
    participant_id = fields.Int(load_default=None)
    status = fields.Str(load_default=None, validate=validate.OneOf(STATUSES))
    project_code = fields.Str(load_default=None, validate=validate.Length(1, 32))
    limit = fields.Int(load_default=200, validate=validate.Range(1, 1000))
    cursor = fields.Str(load_default=None, validate=validate.Length(max=200),
                        metadata={"description": "From the Link header's next page; leave out for the first"})


CLAIMS_CURSOR = "cl1:"


class ChoiceInSchema(Schema):
    choice = fields.Str(required=True, validate=validate.OneOf(CHOICES))
    amount = fields.Str(load_default=None, validate=_POUNDS,
                        metadata={"description": "What the participant takes, when taking less."})
    group_id = fields.Int(load_default=None, strict=True,
                          metadata={"description": "The user-led group to pay, when redirecting (the fee, or the "
                                                   "rest of it)."})
    rest = fields.Str(load_default=None, validate=validate.OneOf(RESTS), metadata={
        "description": "Taking less: what happens to the rest. decline (the default), time_credits (the matching "
                       "share of the hours), redirect (to group_id), later (paid on or after later_on)."})
    later_on = PlausibleDate(load_default=None, metadata={
        "description": "With rest later: the day from which the rest is paid (after today and after the benefit "
                       "period the part taken counts in)."})


class ApproveInSchema(Schema):
    override_reason = fields.Str(load_default=None, validate=validate.Length(max=2000), metadata={
        "description": "Needed when the organisation requires an override for the benefit effect."})
    below_minimum_reason = fields.Str(load_default=None, validate=validate.Length(max=2000), metadata={
        "description": "Needed to approve a flat fee below the legal minimum wage for its hours (at least 10 "
                       "characters): why the organisation pays less."})


class ReasonInSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(1, 2000))


class CancelInSchema(Schema):
    reason = fields.Str(load_default=None, validate=validate.Length(max=2000))


class AdvanceInSchema(Schema):
    participant_id = fields.Int(required=True, strict=True)
    project_code = fields.Str(required=True, validate=validate.Length(1, 32))
    activity_id = fields.Int(load_default=None, strict=True)
    amount = fields.Str(required=True, validate=_POUNDS, metadata={"example": "40.00"})
    paid_on = PlausibleDate(required=True)
    idempotency_key = fields.Str(required=True, validate=validate.Length(1, services.MAX_KEY))


class SurplusInSchema(Schema):
    how = fields.Str(required=True, validate=validate.OneOf(services.SURPLUS_SETTLED), metadata={
        "description": "returned: paid back by the participant; netted: taken off expenses owed to them; kept: "
                       "written off, the participant keeps it (earnings for benefits on that day; needs a reason)."})
    on = PlausibleDate(required=True)
    reason = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500))


# ---------------------------------------------------------------- schemas out


class ReceiptSchema(Schema):
    id = fields.Int()
    filename = fields.Str()
    content_type = fields.Str()
    size_bytes = fields.Int()
    sha256 = fields.Str()


class ExpenseLineSchema(Schema):
    id = fields.Int()
    category = fields.Str()
    description = fields.Str()
    incurred_on = PlausibleDate()
    amount = _money("amount_pence")
    amount_pence = fields.Int()
    miles = fields.Str(allow_none=True)
    vehicle = fields.Str(allow_none=True)
    receipts = fields.List(fields.Nested(ReceiptSchema))


class ClaimEventSchema(Schema):
    action = fields.Str()
    from_status = fields.Str(allow_none=True)
    to_status = fields.Str()
    user_id = fields.Int(allow_none=True)
    at = fields.DateTime()
    note = fields.Str(allow_none=True)


class ClaimPartSchema(Schema):
    part = fields.Str(metadata={"description": "take, time_credits, redirect, later or decline"})
    amount = _money("amount_pence")
    hours = fields.Function(lambda p: None if p.minutes is None else decimal_hours(p.minutes),
                            metadata={"description": "time_credits only: the matching share of the fee's hours, "
                                                 "as a decimal string"})
    group_id = fields.Int()
    group = fields.Str()
    later_on = PlausibleDate()

    @post_dump
    def _only_what_applies(self, data, **kwargs):
        """Each part says only what it has: hours for time credits, the group for a redirect, a date for later."""
        return {k: v for k, v in data.items() if v is not None}


class ClaimSchema(Schema):
    id = fields.Int()
    participant_id = fields.Int()
    project_code = fields.Str()
    activity_id = fields.Int(allow_none=True)
    kind = fields.Str()
    status = fields.Str()
    description = fields.Str()
    worked_hours = _hours("worked_minutes")
    worked_minutes = fields.Int(allow_none=True)
    rate = _money("rate_pence")
    rate_pence = fields.Int(allow_none=True)
    rate_basis = fields.Str(allow_none=True)
    offered = _money("offered_pence")
    offered_pence = fields.Int()
    amount = _money("amount_pence")
    amount_pence = fields.Int()
    time_credit_hours = _hours("time_minutes")
    time_credit_minutes = fields.Int(attribute="time_minutes")
    choice = fields.Str(allow_none=True)
    group_id = fields.Int(allow_none=True)
    choice_recorded_by_user_id = fields.Int(allow_none=True)
    choice_recorded_at = fields.DateTime(allow_none=True)
    assisted = fields.Bool()
    created_by_user_id = fields.Int(allow_none=True)
    submitted_by_user_id = fields.Int(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    reason = fields.Str(allow_none=True)
    override_reason = fields.Str(allow_none=True)
    policy_outcome = fields.Str(allow_none=True)
    policy_decision = benefit_check_field("policy_decision")
    approver_user_ids = fields.List(fields.Int())
    accrual_entry_id = fields.Int(allow_none=True)
    reversal_entry_id = fields.Int(allow_none=True)
    payment_run_id = fields.Int(allow_none=True)
    paid_on = PlausibleDate(allow_none=True)
    lines = fields.List(fields.Nested(ExpenseLineSchema))
    events = fields.List(fields.Nested(ClaimEventSchema))
    legal_minimum = _money("legal_minimum_pence")
    legal_minimum_pence = fields.Int(allow_none=True, metadata={
        "description": "Set when a flat fee is below the legal minimum wage for its hours and the person's age: "
                       "that minimum."})
    below_minimum_pence = fields.Int(allow_none=True, metadata={"description": "How far the fee falls short of it."})
    minimum_note = fields.Str(allow_none=True, metadata={"description": "Why that minimum applies, in words."})
    rate_stale_since = PlausibleDate(allow_none=True, metadata={
        "description": "The fee was priced with a rate the rules file expects to have been replaced after this "
                       "day (on the day of the work, or when approved)."})
    rate_warning = fields.Str(allow_none=True)
    repricing_owed = _money("repricing_owed_pence")
    repricing_owed_pence = fields.Int(metadata={
        "description": "Mileage this approved or paid claim was underpaid: an earlier claim counted towards HMRC's "
                       "10,000-mile band was later rejected or cancelled."})
    repricing_outstanding_pence = fields.Int(metadata={"description": "Of that, what no top-up claim pays yet."})
    top_up_claim_ids = fields.List(fields.Int(), metadata={"description": "Expense claims paying that difference."})
    tops_up_claim_id = fields.Int(allow_none=True, metadata={
        "description": "On a top-up claim: the claim whose repriced mileage it pays."})
    parts = fields.List(fields.Nested(ClaimPartSchema), metadata={
        "description": "A fee part by part, as the participant chose: taken, as time credits, given to a group, "
                       "paid later, declined."})
    rest = fields.Str(allow_none=True, metadata={"description": "Taking less: what happens to the rest."})
    later_on = PlausibleDate(allow_none=True)
    part_of_claim_id = fields.Int(allow_none=True, metadata={
        "description": "A claim for part of another fee: the part given to a group, or paid later."})
    part_claim_ids = fields.List(fields.Int(), metadata={"description": "The claims for the rest of this fee."})
    payable_from = PlausibleDate(allow_none=True, metadata={
        "description": "No payment run pays this claim before this day."})


class ApprovalOutcomeSchema(Schema):
    claim = fields.Nested(ClaimSchema)
    required_action = fields.Str(metadata={"description": "none, warn, override or block"})
    policy = benefit_check_field("policy")
    approvals = fields.Int()
    approvals_needed = fields.Int()
    pay_warnings = fields.List(fields.Str(), metadata={
        "description": "What the pay rules found: a flat fee below the legal minimum, a rate that may be out of "
                       "date, a higher rate in the rules now."})


class ApprovalPreviewSchema(Schema):
    claim_id = fields.Int()
    expected_payment_date = PlausibleDate()
    required_action = fields.Str(metadata={"description": "none, warn, override or block"})
    policy = benefit_check_field("policy", description="The policy engine's decision; null when the participant "
                                                       "has declared no benefits.")
    approvals = fields.Int()
    approvals_needed = fields.Int()
    pay_warnings = fields.List(fields.Str(), metadata={
        "description": "What the pay rules found: warnings only, except that a flat fee below the legal minimum "
                       "needs below_minimum_reason."})
    below_minimum_reason_required = fields.Bool()
    rate_stale_since = PlausibleDate(allow_none=True)


class ChoicePreviewSchema(Schema):
    claim_id = fields.Int()
    choice = fields.Str()
    parts = fields.List(fields.Nested(ClaimPartSchema))
    expected_payment_date = PlausibleDate()
    required_action = fields.Str(metadata={"description": "none, warn, override or block"})
    policy = benefit_check_field("policy", description="The benefit check of what is paid on the expected payment "
                                                       "date; null when the participant has declared no benefits.")
    effect_found = fields.Bool(metadata={"description": "Whether any part would change a benefit."})
    later_on = PlausibleDate(allow_none=True)
    later_required_action = fields.Str(allow_none=True)
    later_policy = benefit_check_field("later_policy", description="With rest later: the benefit check of the rest, "
                                                                   "paid on the first payment date from later_on.")


class AdvanceSchema(Schema):
    id = fields.Int()
    participant_id = fields.Int()
    project_code = fields.Str()
    amount = _money("amount_pence")
    amount_pence = fields.Int()
    paid_on = PlausibleDate()
    status = fields.Str()
    paid_entry_id = fields.Int()
    settlement_claim_id = fields.Int(allow_none=True)
    settlement_entry_id = fields.Int(allow_none=True)
    used = _money("used_pence")
    used_pence = fields.Int(allow_none=True)
    surplus = _money("surplus_pence")
    surplus_pence = fields.Int(allow_none=True)
    surplus_entry_id = fields.Int(allow_none=True)


# ---------------------------------------------------------------- creating claims


@blp.route("/claims/fee", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(FeeClaimInSchema)
@blp.response(201, ClaimSchema)
@blp.alt_response(200, schema=ClaimSchema, description="The fee had been drafted already: that claim.")
@requires("claims.submit")
def draft_fee(data):
    """Draft the fee for an attendance: hours × the living-wage rate for the date and place, or a flat fee."""
    session, user = get_session(), current_actor()
    check_project_access("activity_id", data["activity_id"])
    record, created = services.draft_fee_claim(session, **data, actor_user_id=user.id, rules=settings().claim_rules)
    session.commit()
    return _shown(record, user), 201 if created else 200


@blp.route("/claims/expense", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(ExpenseClaimInSchema)
@blp.response(201, ClaimSchema)
@blp.alt_response(200, schema=ClaimSchema, description="A claim with this idempotency key existed: that claim.")
@requires("claims.submit")
def create_expense_claim(data):
    """Claim expenses: one or more lines, mileage priced at HMRC rates across the tax year."""
    session, user = get_session(), current_actor()
    _check_project_or_activity(data)
    record, created = services.create_expense_claim(session, **data, actor_user_id=user.id,
                                                    rules=settings().claim_rules)
    session.commit()
    return _shown(record, user), 201 if created else 200


@blp.route("/claims/time-credits", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(TimeCreditsInSchema)
@blp.response(201, ClaimSchema)
@blp.alt_response(200, schema=ClaimSchema, description="A claim with this idempotency key existed: that claim.")
@requires("claims.submit")
def award_time_credits(data):
    """Claim time credits for time given: one hour, one credit."""
    session, user = get_session(), current_actor()
    _check_project_or_activity(data)
    record, created = services.award_time_credits(session, **data, actor_user_id=user.id)
    session.commit()
    return _shown(record, user), 201 if created else 200


# ---------------------------------------------------------------- reading


@blp.route("/claims", methods=["GET"])
@blp.doc(security=_SECURITY)
@blp.arguments(ClaimListArgsSchema, location="query")
@blp.response(200, ClaimSchema(many=True), headers=LINK_HEADER)
@requires("self")
def list_claims(args):
    """Claims, newest first (a participant sees only their own); a page at a time, the next in ``Link``."""
    user = current_actor()
    below = paging.decode_cursor(CLAIMS_CURSOR, args["cursor"], (int,))
    records = services.list_claims(get_session(), participant_id=_listed_participant(user, args["participant_id"]),
                                   status=args["status"], project_code=args["project_code"],
                                   limit=args["limit"] + 1, only_project_ids=visible_project_ids(),
                                   before_id=None if below is None else below[0])
    shown, next_cursor = paging.page_of(records, args["limit"], CLAIMS_CURSOR, lambda r: (r.id,))
    return [_shown(r, user) for r in shown], 200, link_headers(next_cursor)


@blp.route("/claims/<int:claim_id>", methods=["GET"])
@blp.doc(security=_SECURITY)
@blp.response(200, ClaimSchema)
@requires("self", project="claim_id")
def get_claim(claim_id):
    """One claim with its lines, receipts and history (a participant may read their own)."""
    user = current_actor()
    return _shown(services.get_claim(get_session(), claim_id, for_participant_id=_only_participant(user)), user)


@blp.route("/claims/<int:claim_id>/receipts/<int:receipt_id>", methods=["GET"])
@blp.doc(security=_SECURITY, responses={"200": {"description": "The receipt file, as uploaded.", "content": {
    "application/pdf": {}, "image/jpeg": {}, "image/png": {}}}})
@requires("self", project="claim_id")
def download_receipt(claim_id, receipt_id):
    """A receipt file, byte for byte (a participant may fetch their own)."""
    session = get_session()
    record, data = services.receipt_file(session, claim_id, receipt_id,
                                         for_participant_id=_only_participant(current_actor()),
                                         viewed_by_user_id=current_actor().id, channel="api")
    session.commit()  # the view of the receipt is kept
    response = send_file(io.BytesIO(data), mimetype=record.content_type, as_attachment=True,
                         download_name=record.filename, etag=record.sha256, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- changing a claim


@blp.route("/claims/<int:claim_id>/lines/<int:line_id>/receipts", methods=["POST"])
@blp.doc(security=_SECURITY, requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}})
@blp.response(201, ReceiptSchema)
@requires("claims.submit", project="claim_id")
def upload_receipt(claim_id, line_id):
    """Attach a receipt (PDF, JPEG or PNG, judged by its content; size-limited) to an expense line."""
    session, rules = get_session(), settings().claim_rules
    upload = request.files.get("file") or FileStorage()
    record = services.add_receipt(session, claim_id, line_id, filename=upload.filename or "",
                                  data=upload.read(rules.receipt_max_bytes + 1), actor_user_id=current_actor().id,
                                  max_bytes=rules.receipt_max_bytes)
    session.commit()
    return record


@blp.route("/claims/<int:claim_id>/choice", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(ChoiceInSchema)
@blp.response(200, ClaimSchema)
@requires("self", project="claim_id")
def record_choice(data, claim_id):
    """Record the participant's choice for a fee: take, take_less (the rest declined, as time credits, to a
    group or paid later), decline, redirect or time_credits."""
    session, user = get_session(), current_actor()
    record = services.record_choice(session, claim_id, **data, actor_user_id=user.id,
                                    for_participant_id=_only_participant(user), rules=settings().claim_rules,
                                    today=todays_date())
    session.commit()
    return _shown(record, user)


@blp.route("/claims/<int:claim_id>/choice-preview", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(ChoiceInSchema)
@blp.response(200, ChoicePreviewSchema)
@requires("self", project="claim_id")
def preview_choice(data, claim_id):
    """The benefit check of a choice (the same body as /choice), without recording it."""
    user = current_actor()
    only = _only_participant(user)
    if only is None and not allowed(user.role_names, "participants.read"):
        raise PermissionDenied("Benefit checks are shown only to finance and to the participant themself.")
    return services.preview_choice(get_session(), claim_id, **data, rules=settings().claim_rules, today=todays_date(),
                                   for_participant_id=only)


class ClaimSubmitInSchema(Schema):
    confirm_duplicate = fields.Bool(load_default=False, metadata={
        "description": "True to submit a likely duplicate (same person, day, kind and amount as another claim)"})
    duplicate_reason = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500),
                                  metadata={"description": "Why it is not a duplicate; needed with confirm_duplicate"})


@blp.route("/claims/<int:claim_id>/submit", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(ClaimSubmitInSchema)
@blp.response(200, ClaimSchema)
@requires("claims.submit", project="claim_id")
def submit_claim(data, claim_id):
    """Send a claim for approval (submitted by staff, it is marked assisted); a likely duplicate is a 409."""
    session, user = get_session(), current_actor()
    record = services.submit_claim(session, claim_id, actor_user_id=user.id, actor_participant_id=user.participant_id,
                                   confirm_duplicate=data["confirm_duplicate"],
                                   duplicate_reason=data["duplicate_reason"])
    session.commit()
    return _shown(record, user)


@blp.route("/claims/<int:claim_id>/approval-preview", methods=["GET"])
@blp.doc(security=_SECURITY)
@blp.response(200, ApprovalPreviewSchema)
@requires("claims.approve")
def approval_preview(claim_id):
    """What approving would mean: the policy engine's decision and what the organisation requires."""
    return services.preview_approval(get_session(), claim_id, rules=settings().claim_rules, today=todays_date())


@blp.route("/claims/<int:claim_id>/approve", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(ApproveInSchema)
@blp.response(200, ApprovalOutcomeSchema)
@requires("claims.approve")
def approve_claim(data, claim_id):
    """Approve a claim (a second approver above the configured amount); the money owed is accrued."""
    session, user = get_session(), current_actor()
    outcome = services.approve_claim(session, claim_id, actor_user_id=user.id, actor_participant_id=user.participant_id,
                                     rules=settings().claim_rules, today=todays_date(),
                                     override_reason=data["override_reason"],
                                     below_minimum_reason=data["below_minimum_reason"])
    session.commit()
    return outcome


@blp.route("/claims/<int:claim_id>/reject", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(ReasonInSchema)
@blp.response(200, ClaimSchema)
@requires("claims.approve")
def reject_claim(data, claim_id):
    """Reject a claim with a reason; after approval, its accrual is reversed; later mileage is repriced."""
    session, user = get_session(), current_actor()
    record = services.reject_claim(session, claim_id, reason=data["reason"], actor_user_id=user.id,
                                   today=todays_date(), rules=settings().claim_rules)
    session.commit()
    return _shown(record, user)


@blp.route("/claims/<int:claim_id>/return", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(ReasonInSchema)
@blp.response(200, ClaimSchema)
@requires("claims.approve")
def return_claim(data, claim_id):
    """Return a submitted claim for more information."""
    session, user = get_session(), current_actor()
    record = services.return_claim(session, claim_id, reason=data["reason"], actor_user_id=user.id)
    session.commit()
    return _shown(record, user)


@blp.route("/claims/<int:claim_id>/cancel", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(CancelInSchema)
@blp.response(200, ClaimSchema)
@requires("claims.submit", project="claim_id")
def cancel_claim(data, claim_id):
    """Cancel a claim before payment (an approved one, finance only, has its accrual reversed); later mileage is
    repriced."""
    session, user = get_session(), current_actor()
    record = services.cancel_claim(session, claim_id, actor_user_id=user.id, today=todays_date(),
                                   rules=settings().claim_rules, reason=data["reason"],
                                   may_reverse=allowed(user.role_names, "claims.approve"))
    session.commit()
    return _shown(record, user)


@blp.route("/claims/<int:claim_id>/mileage-top-up", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.response(201, ClaimSchema)
@blp.alt_response(200, schema=ClaimSchema, description="Nothing more is owed: the top-up already drafted.")
@requires("claims.approve")
def draft_mileage_top_up(claim_id):
    """Draft an expense claim paying the mileage an approved or paid claim was underpaid after repricing."""
    session, user = get_session(), current_actor()
    record, created = services.draft_mileage_top_up(session, claim_id, actor_user_id=user.id)
    session.commit()
    return _shown(record, user), 201 if created else 200


# ---------------------------------------------------------------- advances


@blp.route("/advances", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(AdvanceInSchema)
@blp.response(201, AdvanceSchema)
@requires("claims.approve")
def pay_advance(data):
    """Pay expenses in advance, for someone who cannot wait to be repaid; receipts settle it later."""
    session = get_session()
    record = services.pay_advance(session, **data, actor_user_id=current_actor().id)
    session.commit()
    return record


@blp.route("/advances/<int:advance_id>/surplus", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(SurplusInSchema)
@blp.response(200, AdvanceSchema)
@requires("claims.approve")
def settle_advance_surplus(data, advance_id):
    """Clear what the receipts left of an advance: returned by the participant, or netted off their expenses."""
    session = get_session()
    record = services.settle_advance_surplus(session, advance_id, how=data["how"], on=data["on"],
                                             actor_user_id=current_actor().id, reason=data["reason"])
    session.commit()
    return record


# ---------------------------------------------------------------- amending, redrafting, versions


class ExpenseLineAmendInSchema(Schema):
    line_id = fields.Int(required=True, metadata={"description": "A line of this claim (its receipts stay with it)"})
    amount = fields.Str(load_default=None, validate=validate.Regexp(r"^\d{1,7}(\.\d{1,2})?$"),
                        metadata={"description": "New amount in pounds; not for mileage", "example": "18.40"})
    category = fields.Str(load_default=None, validate=validate.OneOf([k for k in EXPENSE_CATEGORIES if k != "mileage"]))
    description = fields.Str(load_default=None, validate=validate.Length(1, 500))


class ClaimAmendInSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(3, 2000))
    lines = fields.List(fields.Nested(ExpenseLineAmendInSchema), load_default=None,
                        validate=validate.Length(1, services.MAX_LINES),
                        metadata={"description": "An expense claim's lines to change, in place"})
    description = fields.Str(load_default=None, validate=validate.Length(3, services.MAX_DESCRIPTION))
    hours = fields.Str(load_default=None, validate=validate.Regexp(r"^\d{1,2}(\.\d{1,2})?$"),
                       metadata={"description": "A fee's time worked, in hours as a decimal string", "example": "2.5"})

    @post_load
    def to_minutes(self, data, **kwargs):
        hours = data.pop("hours")
        if hours is not None and (Decimal(hours) * 60) % 1:
            raise ValidationError("Hours must come to whole minutes.", field_name="hours")
        data["worked_minutes"] = None if hours is None else int(Decimal(hours) * 60)
        return data


class ClaimVersionSchema(Schema):
    version = fields.Int()
    values = fields.Dict()
    changes = fields.Dict(metadata={"description": "Each field changed: [old, new]"})
    reason = fields.Str(allow_none=True)
    redraft_of_claim_id = fields.Int(allow_none=True)
    changed_by_user_id = fields.Int(allow_none=True)
    changed_at = fields.DateTime()


@blp.route("/claims/<int:claim_id>/amend", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(ClaimAmendInSchema)
@blp.response(200, ClaimSchema)
@requires("claims.approve")
def amend_claim(data, claim_id):
    """Amend a submitted or returned claim: a new version; any first approval is cleared."""
    session, user = get_session(), current_actor()
    record = services.amend_claim(session, claim_id, reason=data["reason"], description=data["description"],
                                  worked_minutes=data["worked_minutes"], actor_user_id=user.id,
                                  rules=settings().claim_rules, lines=data["lines"])
    session.commit()
    return _shown(record, user)


@blp.route("/claims/<int:claim_id>/redraft", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.response(201, ClaimSchema)
@requires("claims.approve")
def redraft_fee(claim_id):
    """Redraft a rejected fee: a new draft for the same attendance, linked to the rejected one."""
    session, user = get_session(), current_actor()
    record = services.redraft_fee(session, claim_id, actor_user_id=user.id, rules=settings().claim_rules)
    session.commit()
    return _shown(record, user)


@blp.route("/claims/<int:claim_id>/versions", methods=["GET"])
@blp.doc(security=_SECURITY)
@blp.response(200, ClaimVersionSchema(many=True))
@requires("claims.approve")
def claim_versions(claim_id):
    """Every version of the claim, with what changed, who changed it and why."""
    return services.claim_versions(get_session(), claim_id)


class AttendanceCorrectionInSchema(Schema):
    attended = fields.Bool(required=True)
    minutes = fields.Int(load_default=None, strict=True, metadata={"description": "Minutes attended, if they did"})
    reason = fields.Str(required=True, validate=validate.Length(3, 2000))


class AttendanceCorrectionSchema(Schema):
    activity_id = fields.Int()
    participant_id = fields.Int()
    attended = fields.Bool()
    minutes = fields.Int(allow_none=True)
    repriced_claim_ids = fields.List(fields.Int())
    cancelled_claim_ids = fields.List(fields.Int())
    flagged_claim_ids = fields.List(fields.Int(), metadata={"description": "Approved or paid: correct them"})


@blp.route("/activities/<int:activity_id>/attendance/<int:participant_id>/correction", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(AttendanceCorrectionInSchema)
@blp.response(200, AttendanceCorrectionSchema)
@requires("claims.approve")
def correct_attendance(data, activity_id, participant_id):
    """Correct an attendance; open fees drafted from it are repriced (or cancelled), approved or paid ones flagged."""
    session = get_session()
    done = services.correct_attendance(session, activity_id, participant_id, attended=data["attended"],
                                       minutes=data["minutes"], reason=data["reason"],
                                       actor_user_id=current_actor().id, rules=settings().claim_rules)
    session.commit()
    return done
