"""Payment runs over JSON: draft, look, download the bank files, confirm or cancel. Finance only.

Money is given twice: as pounds in a decimal string ("12.50") and as integer pence. Bank details appear
only masked, except inside the Bacs file and the bank CSV, which are served with ``Cache-Control: no-store``.
A run confirmed twice, or by two people at once, is paid once: the second confirmation answers 409 saying
who confirmed it and when.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger import paging
from ledger.api.dates import PlausibleDate
from ledger.api.paging import LINK_HEADER, link_headers
from ledger.auth.access import current_actor, requires
from ledger.context import get_session, settings, todays_date
from ledger.formatting import pounds
from ledger.payments import bank_changes, returns, runs
from ledger.payments.models import PAYEE_KINDS, RETURN_REASONS, RUN_STATUSES

blp = Blueprint("payments_api", __name__, url_prefix="/api/v1", description="Payment runs (finance)")

_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


def _money(attribute: str, **kwargs) -> fields.Function:
    return fields.Function(lambda obj: pounds(getattr(obj, attribute)),
                           metadata={"description": "pounds, as a decimal string", "example": "12.50"}, **kwargs)


# ---------------------------------------------------------------- schemas


class PaymentRunDraftInSchema(Schema):
    cutoff_date = PlausibleDate(required=True, metadata={"description": "Pay claims dated on or before this day."})
    payment_date = PlausibleDate(required=True, metadata={
        "description": "The day the money should arrive; a weekend or bank holiday moves to the next banking day."})


class PaymentRunConfirmInSchema(Schema):
    bank_reference = fields.Str(required=True, validate=validate.Length(1, runs.MAX_BANK_REFERENCE))
    override_reason = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=runs.MAX_REASON),
                                 metadata={"description": "Needed when a payee's benefit check requires an override."})
    new_payment_date = PlausibleDate(load_default=None, allow_none=True, metadata={
        "description": "Needed only when the Bacs submission day for the run's payment date has passed: a banking "
                       "day far enough ahead for a file submitted today. The run moves to it."})


class PaymentRunRescheduleInSchema(Schema):
    new_payment_date = PlausibleDate(required=True, metadata={
        "description": "A banking day far enough ahead for a Bacs file submitted today; the run moves to it before "
                       "its file is made."})


class PaymentRunReasonInSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(1, runs.MAX_REASON))


class PaymentRunRemovePayeeInSchema(PaymentRunReasonInSchema):
    payee_kind = fields.Str(required=True, validate=validate.OneOf(PAYEE_KINDS))
    payee_id = fields.Int(required=True, strict=True, validate=validate.Range(min=1))
    hold = fields.Bool(load_default=True, metadata={
        "description": "Also hold the payee with the same reason (the default), so that they are not in the next "
                       "draft until the hold is released; false lets their claims wait for the next run"})


class PaymentRunListArgsSchema(Schema):
    status = fields.Str(load_default=None, validate=validate.OneOf(RUN_STATUSES))
    limit = fields.Int(load_default=100, validate=validate.Range(1, 500))
    cursor = fields.Str(load_default=None, validate=validate.Length(max=200),
                        metadata={"description": "From the Link header's next page; leave out for the first"})


RUNS_CURSOR = "pr1:"


class PaymentRunAffectedBenefitSchema(Schema):
    benefit = fields.Str()
    name = fields.Str()
    effect = fields.Str()
    period_start = PlausibleDate(allow_none=True)
    period_end = PlausibleDate(allow_none=True)
    counted_pence = fields.Int(allow_none=True)
    limit_pence = fields.Int(allow_none=True)
    headroom_pence = fields.Int(allow_none=True)
    reduction_pence = fields.Int(allow_none=True)
    safe_amount_pence = fields.Int(allow_none=True)
    confidence = fields.Str()
    breach_depends_on_unverified = fields.Bool(
        metadata={"description": "lost or over_limit only under the cautious reading of an unverified figure"})


class PaymentRunBenefitCheckSchema(Schema):
    outcome = fields.Str(metadata={"description": "ok, warn, breach, no_benefits_declared, no_earnings, "
                                                  "not_applicable (a group) or error"})
    action = fields.Str(metadata={"description": "What the organisation requires: none, warn, override, block"})
    flagged = fields.Bool()
    affected = fields.List(fields.Nested(PaymentRunAffectedBenefitSchema))
    explanation_for_staff = fields.Str()
    explanation = fields.Str(metadata={"description": "In plain English, for the participant"})


class BankChangeSchema(Schema):
    """A change of bank details since the run was drafted, waiting for a second finance person."""

    change_id = fields.Int(metadata={"description": "Approve it with POST /api/v1/bank-detail-changes/<id>/approve"})
    payee_kind = fields.Str()
    payee_id = fields.Int()
    payee_name = fields.Str()
    changed_at = fields.DateTime()
    changed_by_user_id = fields.Int(allow_none=True)
    changed_by = fields.Str()
    sort_code = fields.Str(metadata={"example": "**-**-56"})
    account_number = fields.Str(metadata={"example": "****1234"})


class PaymentRunPayeeSchema(Schema):
    payee_kind = fields.Str()
    payee_id = fields.Int()
    name = fields.Str()
    amount = _money("amount_pence")
    amount_pence = fields.Int()
    fee_pence = fields.Int()
    expense_pence = fields.Int()
    item_count = fields.Int()
    claim_ids = fields.List(fields.Int())
    sort_code = fields.Str(allow_none=True, metadata={"example": "**-**-56"})
    account_number = fields.Str(allow_none=True, metadata={"example": "****1234"})
    bank_details_set_at = fields.DateTime(allow_none=True)
    bank_details_changed_since_draft = fields.Bool()
    reference = fields.Str(metadata={"description": "What the payee sees on their bank statement"})
    benefit_check = fields.Nested(PaymentRunBenefitCheckSchema)
    entry_id = fields.Int(allow_none=True)
    stale_rate_claim_ids = fields.List(fields.Int(), metadata={
        "description": "Fees priced with a rate the rules file expects to have been replaced: check before paying"})
    netted_pence = fields.Int(metadata={
        "description": "What the participant owes back (a paid claim reversed), taken off this payment as they agreed"})
    advance_pence = fields.Int(metadata={"description": "Approved advances paid with this payment (in amount)"})
    advance_ids = fields.List(fields.Int())
    bank_change_awaiting_approval = fields.Nested(BankChangeSchema, allow_none=True, metadata={
        "description": "Bank details changed since drafting: no bank file and no confirmation until approved"})


class PaymentRunLeftOutSchema(Schema):
    payee_kind = fields.Str()
    payee_id = fields.Int()
    name = fields.Str()
    amount = _money("amount_pence")
    amount_pence = fields.Int()
    item_count = fields.Int()
    claim_ids = fields.List(fields.Int())
    reason = fields.Str(metadata={"description": "no_bank_details, benefit_block or removed"})
    message = fields.Str()


class PaymentRunOverrideSchema(Schema):
    reason = fields.Str()
    user_id = fields.Int(allow_none=True)
    at = fields.Str()


class PaymentRunSchema(Schema):
    id = fields.Int()
    reference = fields.Str()
    status = fields.Str()
    cutoff_date = PlausibleDate()
    requested_payment_date = PlausibleDate()
    payment_date = PlausibleDate()
    bacs_submit_by = PlausibleDate(metadata={"description": "Last day to submit the Bacs file to the bank"})
    total = _money("total_pence")
    total_pence = fields.Int()
    item_count = fields.Int()
    payee_count = fields.Int()
    benefit_flags = fields.Int()
    stale_rate_claim_count = fields.Int(metadata={"description": "Fees in the run priced with a stale rate"})
    needs_override = fields.List(fields.Str())
    left_out_total = _money("left_out_pence")
    left_out_pence = fields.Int()
    payees = fields.List(fields.Nested(PaymentRunPayeeSchema))
    left_out = fields.List(fields.Nested(PaymentRunLeftOutSchema))
    override = fields.Nested(PaymentRunOverrideSchema, allow_none=True)
    created_by_user_id = fields.Int(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    confirmed_by_user_id = fields.Int(allow_none=True)
    confirmed_at = fields.DateTime(allow_none=True)
    bank_reference = fields.Str(allow_none=True)
    cancelled_by_user_id = fields.Int(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.Str(allow_none=True)


class PaymentRunListItemSchema(Schema):
    id = fields.Int()
    reference = fields.Str()
    status = fields.Str()
    cutoff_date = PlausibleDate()
    payment_date = PlausibleDate()
    total = _money("total_pence")
    total_pence = fields.Int()
    item_count = fields.Int()
    payee_count = fields.Int()
    created_at = fields.DateTime(allow_none=True)


# ---------------------------------------------------------------- routes


@blp.route("/payment-runs")
class PaymentRuns(MethodView):
    @blp.doc(security=_SECURITY)
    @blp.arguments(PaymentRunListArgsSchema, location="query")
    @blp.response(200, PaymentRunListItemSchema(many=True), headers=LINK_HEADER)
    @requires("payments.manage")
    def get(self, args):
        """Payment runs, newest first; a page at a time, the next in ``Link``."""
        below = paging.decode_cursor(RUNS_CURSOR, args["cursor"], (int,))
        found = runs.list_payment_runs(get_session(), status=args["status"], limit=args["limit"] + 1,
                                       before_id=None if below is None else below[0])
        shown, next_cursor = paging.page_of(found, args["limit"], RUNS_CURSOR, lambda r: (r.id,))
        return shown, 200, link_headers(next_cursor)

    @blp.doc(security=_SECURITY)
    @blp.arguments(PaymentRunDraftInSchema)
    @blp.response(201, PaymentRunSchema)
    @requires("payments.manage")
    def post(self, data):
        """Draft a run: take approved, unpaid claims up to the cut-off, check benefits, total per payee."""
        session = get_session()
        configured = settings()
        summary = runs.draft_payment_run(session, cutoff_date=data["cutoff_date"], payment_date=data["payment_date"],
                                         actor_user_id=current_actor().id, rulebook=configured.rulebook,
                                         settings=configured.policy, today=todays_date())
        session.commit()
        return summary


@blp.route("/payment-runs/<int:run_id>")
@blp.doc(security=_SECURITY)
@blp.response(200, PaymentRunSchema)
@requires("payments.manage")
def get_run(run_id):
    """One run: per-payee totals, benefit flags, masked account numbers, what was left out and why."""
    return runs.payment_run_summary(get_session(), run_id)


def _download(body: str, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/payment-runs/<int:run_id>/bacs")
@blp.doc(security=_SECURITY)
@blp.response(200, content_type="text/plain", description="A Bacs Standard 18 file")
@requires("payments.manage")
def get_bacs_file(run_id):
    """The draft run's Bacs Standard 18 file (bank details in clear: handle with care)."""
    session = get_session()
    body = runs.bacs_file(session, run_id, settings().originator, settings().bank_cipher,
                          created_on=todays_date(), actor_user_id=current_actor().id)
    session.commit()
    reference = runs.payment_run_summary(session, run_id).reference
    return _download(body, f"{reference}.bacs.txt", "text/plain")


@blp.route("/payment-runs/<int:run_id>/bank.csv")
@blp.doc(security=_SECURITY)
@blp.response(200, content_type="text/csv", description="The bank-upload CSV")
@requires("payments.manage")
def get_bank_csv(run_id):
    """The draft run's bank-upload CSV, one row per payee (bank details in clear: handle with care)."""
    session = get_session()
    body = runs.bank_csv(session, run_id, settings().bank_cipher, actor_user_id=current_actor().id)
    session.commit()
    reference = runs.payment_run_summary(session, run_id).reference
    return _download(body, f"{reference}.csv", "text/csv")


@blp.route("/payment-runs/<int:run_id>/confirm", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(PaymentRunConfirmInSchema)
@blp.response(200, PaymentRunSchema)
@requires("payments.manage")
def confirm_run(data, run_id):
    """Confirm the bank accepted the run: post one payment per payee and mark the claims paid (once only)."""
    session = get_session()
    summary = runs.confirm_payment_run(session, run_id, actor_user_id=current_actor().id,
                                       bank_reference=data["bank_reference"],
                                       override_reason=data["override_reason"], today=todays_date(),
                                       new_payment_date=data["new_payment_date"],
                                       second_approval_above_pence=settings().claim_rules.second_approval_above_pence,
                                       rules=settings().claim_rules)
    session.commit()
    return summary


@blp.route("/payment-runs/<int:run_id>/reschedule", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(PaymentRunRescheduleInSchema)
@blp.response(200, PaymentRunSchema)
@requires("payments.manage")
def reschedule_run(data, run_id):
    """Move a draft run past its Bacs submission day to a new payment date, before its file is downloaded."""
    session = get_session()
    summary = runs.reschedule_payment_run(session, run_id, new_payment_date=data["new_payment_date"],
                                          today=todays_date(), actor_user_id=current_actor().id)
    session.commit()
    return summary


@blp.route("/payment-runs/<int:run_id>/cancel", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(PaymentRunReasonInSchema)
@blp.response(200, PaymentRunSchema)
@requires("payments.manage")
def cancel_run(data, run_id):
    """Cancel a draft run; its claims wait for a later run."""
    session = get_session()
    summary = runs.cancel_payment_run(session, run_id, actor_user_id=current_actor().id, reason=data["reason"])
    session.commit()
    return summary


@blp.route("/payment-runs/<int:run_id>/remove-payee", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(PaymentRunRemovePayeeInSchema)
@blp.response(200, PaymentRunSchema)
@requires("payments.manage")
def remove_payee(data, run_id):
    """Take one payee out of a draft run (after a benefit flag, say); held until released unless hold is false."""
    session = get_session()
    summary = runs.remove_payee_from_run(session, run_id, payee_kind=data["payee_kind"], payee_id=data["payee_id"],
                                         actor_user_id=current_actor().id, reason=data["reason"], hold=data["hold"])
    session.commit()
    return summary


@blp.route("/bank-detail-changes/<int:change_id>/approve", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.response(200, BankChangeSchema)
@requires("payments.manage")
def approve_bank_change(change_id):
    """Approve bank details changed after a run was drafted: a finance user who neither made the change nor is the
    payee. Until then that run's bank file cannot be made nor the run confirmed (409 names the change)."""
    session = get_session()
    change = bank_changes.approve_bank_details_change(session, change_id, actor_user_id=current_actor().id)
    session.commit()
    return change


# ---------------------------------------------------------------- returned payments


class PaymentReturnInSchema(Schema):
    payee_kind = fields.Str(load_default="participant", validate=validate.OneOf(PAYEE_KINDS))
    payee_id = fields.Int(required=True, strict=True, validate=validate.Range(min=1))
    amount = fields.Decimal(required=True, places=None, validate=validate.Range(min=Decimal("0.01")), metadata={
        "description": "pounds, as a decimal string: the whole payment the bank sent back", "example": "52.50"})
    returned_on = PlausibleDate(required=True, metadata={"description": "The day the money came back."})
    reason = fields.Str(required=True, validate=validate.OneOf(RETURN_REASONS))
    bank_reference = fields.Str(required=True, validate=validate.Length(1, returns.MAX_BANK_REFERENCE))
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=returns.MAX_NOTE),
                      metadata={"description": "Required when the reason is other."})


class PaymentReturnSchema(Schema):
    id = fields.Int()
    run_id = fields.Int()
    run_reference = fields.Str()
    payee_kind = fields.Str()
    payee_id = fields.Int()
    amount = _money("amount_pence")
    amount_pence = fields.Int()
    returned_on = PlausibleDate()
    reason = fields.Str()
    note = fields.Str(allow_none=True)
    bank_reference = fields.Str()
    entry_id = fields.Int(metadata={"description": "The payment_returned entry putting the money back as owed."})
    claim_ids = fields.List(fields.Int())
    recorded_by_user_id = fields.Int(allow_none=True)
    recorded_at = fields.DateTime()


def _pence(amount: Decimal) -> int | None:
    """Whole pence, or None when the amount has fractions of a penny (refused, naming the field)."""
    pence = amount * 100
    return int(pence) if pence == pence.to_integral_value() else None


@blp.route("/payment-runs/<int:run_id>/returns")
class PaymentRunReturns(MethodView):
    @blp.doc(security=_SECURITY)
    @blp.response(200, PaymentReturnSchema(many=True))
    @requires("payments.manage")
    def get(self, run_id):
        """The payments of a confirmed run that the bank sent back."""
        return returns.returns_of_run(get_session(), run_id)

    @blp.doc(security=_SECURITY)
    @blp.arguments(PaymentReturnInSchema)
    @blp.response(201, PaymentReturnSchema)
    @requires("payments.manage")
    def post(self, data, run_id):
        """Record a payee's payment the bank returned: owed again, bank details flagged, left out of later runs."""
        session = get_session()
        pence = _pence(data["amount"])
        request = returns.ReturnRequest(
            payee_kind=data["payee_kind"], payee_id=data["payee_id"], amount_pence=pence if pence else "bad",
            returned_on=data["returned_on"], reason=data["reason"], bank_reference=data["bank_reference"],
            note=data["note"])
        record = returns.record_payment_return(session, run_id, request, actor_user_id=current_actor().id,
                                               today=todays_date())
        session.commit()
        return record
