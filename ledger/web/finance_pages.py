"""Finance's pages: claims waiting for approval, one claim with its benefit check, payment runs, and a
participant's benefits evidence pack (the letter's dates and signatory, and an optional National Insurance
number, kept encrypted).

Each form posts to a route that calls one service function and commits once. What a claim or a run needs
(an override reason, a second approver, a payee left out) is the services' to decide: a refusal comes back
as the service's message, shown above the form with what was typed kept.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ledger.auth import admin as user_admin
from ledger.auth.access import requires, signed_in_user
from ledger.claims import corrections, rechecks
from ledger.claims import services as claims
from ledger.context import get_session, preview_cache, settings, todays_date
from ledger.documents import issuing
from ledger.errors import Conflict, LedgerError, NotFound, PermissionDenied, ValidationError
from ledger.events.views import record_view
from ledger.formatting import money
from ledger.labels import AFTER_APPROVAL, EXPENSE_CATEGORY_LABELS
from ledger.payments import bank_changes, calendar, hold_actions, holds, returns, runs
from ledger.people import services as people
from ledger.projects import services as projects
from ledger.reports import finance_dashboard, run_report, tax_year
from ledger.reports import print_pack as posted_letters
from ledger.reports.evidence_pack import MAX_SIGNATORY, evidence_pack_letter
from ledger.web import claims_queue
from ledger.web.date_inputs import DateInputsField
from ledger.web.issued import producer, send_issued

bp = Blueprint("finance", __name__, url_prefix="/finance")

# Refusals a person can put right by changing what they typed, or that explain why nothing changed.
_SHOWN_ON_THE_FORM = (ValidationError, Conflict, PermissionDenied)
EVIDENCE_DAYS = 90  # the evidence pack page offers the last three months unless told otherwise


class ApproveForm(FlaskForm):
    override_reason = TextAreaField("Override reason", validators=[Optional(), Length(max=2000)])
    below_minimum_reason = TextAreaField("Reason for paying below the legal minimum",
                                         validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Approve")


class TopUpForm(FlaskForm):
    submit = SubmitField("Draft a top-up claim for the mileage owed")


class RejectForm(FlaskForm):
    reason = TextAreaField("Why is it rejected?", validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField("Reject")


class ReturnForm(FlaskForm):
    reason = TextAreaField("What more is needed?", validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField("Return for more information")


class HoldForm(FlaskForm):
    reason = TextAreaField("Why is it held?", validators=[DataRequired(), Length(max=holds.MAX_TEXT)])
    submit = SubmitField("Hold this claim")


class ReleaseForm(FlaskForm):
    note = TextAreaField("Why is the hold released?", validators=[DataRequired(), Length(max=holds.MAX_TEXT)])
    submit = SubmitField("Release the hold")


class DraftRunForm(FlaskForm):
    cutoff_date = DateInputsField("Pay claims for work done on or before", validators=[DataRequired()])
    payment_date = DateInputsField("Day the money should arrive", validators=[DataRequired()])
    submit = SubmitField("Draft the payment run")


class ConfirmRunForm(FlaskForm):
    bank_reference = StringField("The bank's reference for the accepted submission",
                                 validators=[DataRequired(), Length(max=runs.MAX_BANK_REFERENCE)])
    override_reason = TextAreaField("Override reason", validators=[Optional(), Length(max=runs.MAX_REASON)])
    new_payment_date = DateInputsField("New payment date", validators=[Optional()])
    submit = SubmitField("Confirm the bank accepted this run")


class RescheduleRunForm(FlaskForm):
    new_payment_date = DateInputsField("New payment date", validators=[DataRequired("Enter the new payment date.")])
    submit = SubmitField("Move the run to this date")


class ApproveBankChangeForm(FlaskForm):
    submit = SubmitField("Approve the new bank details")


class CancelRunForm(FlaskForm):
    reason = TextAreaField("Why is the run cancelled?", validators=[DataRequired(), Length(max=runs.MAX_REASON)])
    submit = SubmitField("Cancel this run")


class RemovePayeeForm(FlaskForm):
    """Take one payee out of a draft run; held by default, so they do not drop straight into the next draft."""

    payee = SelectField("Payee to take out", validators=[DataRequired("Choose the payee to take out.")])
    reason = TextAreaField("Why they are taken out", validators=[DataRequired("Say why they are taken out."),
                                                                  Length(max=runs.MAX_REASON)])
    hold = BooleanField("Hold them until someone releases the hold", default=True)
    submit = SubmitField("Take them out of this run")


RETURN_REASON_LABELS = {"account_closed": "The account is closed", "details_wrong": "The bank details are wrong",
                        "other": "Another reason"}


class PaymentReturnForm(FlaskForm):
    payee_id = SelectField("Whose payment came back?", validators=[DataRequired()])
    amount = StringField("Amount returned, in pounds", validators=[DataRequired(), Length(max=20)])
    returned_on = DateInputsField("Day the money came back", validators=[DataRequired()])
    reason = RadioField("Why did the bank return it?", validators=[DataRequired()], choices=[
        SelectChoice("account_closed", "The account is closed"),
        SelectChoice("details_wrong", "The bank details are wrong"),
        SelectChoice("other", "Another reason (say which below)")])
    bank_reference = StringField("The bank's reference for the return",
                                 validators=[DataRequired(), Length(max=returns.MAX_BANK_REFERENCE)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=returns.MAX_NOTE)])
    submit = SubmitField("Record the returned payment")


class ReversePaidForm(FlaskForm):
    reason = TextAreaField("Why is this paid claim reversed?", validators=[DataRequired(), Length(max=500)])
    submit = SubmitField("Reverse this paid claim")


class NettingForm(FlaskForm):
    agreed_on = DateInputsField("Day the participant agreed", validators=[DataRequired()])
    agreed_how = RadioField("How was the agreement given?", validators=[DataRequired()], choices=[
        SelectChoice("in_writing", "In writing"), SelectChoice("email", "By email"),
        SelectChoice("phone", "By phone"), SelectChoice("in_person", "In person")])
    note = TextAreaField("What was agreed, and where it is kept", validators=[DataRequired(), Length(max=500)])
    submit = SubmitField("Record the agreement to net it off later payments")


class RepaymentForm(FlaskForm):
    amount = StringField("Amount repaid, in pounds", validators=[DataRequired(), Length(max=20)])
    received_on = DateInputsField("Day the money reached the bank", validators=[DataRequired()])
    reference = StringField("Reference on the bank statement", validators=[DataRequired(), Length(max=100)])
    submit = SubmitField("Record the repayment")


class WriteOffForm(FlaskForm):
    reason = TextAreaField("Why should it be written off?", validators=[DataRequired(), Length(max=500)])
    submit = SubmitField("Ask for a write-off")


class ApproveWriteOffForm(FlaskForm):
    submit = SubmitField("Approve the write-off")


class AmendForm(FlaskForm):
    description = StringField("Description", validators=[Optional(), Length(max=500)])
    hours = StringField("Time worked, in hours (fees only)", validators=[Optional(), Length(max=6)])
    reason = TextAreaField("Why is it amended?", validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField("Save as a new version")


class LineAmendForm(FlaskForm):
    """One expense line changed in place (its receipts stay with it); the claim's total follows."""

    line_id = SelectField("Which line", coerce=int, validate_choice=False,
                          validators=[DataRequired(message="Choose the line to change.")])
    amount = StringField("New amount in pounds", validators=[Optional(), Length(max=12)])
    category = SelectField("New kind of expense", validators=[Optional()], choices=[SelectChoice("", "Keep it")] + [
        SelectChoice(k, v) for k, v in EXPENSE_CATEGORY_LABELS.items() if k != "mileage"])
    description = StringField("New description", validators=[Optional(), Length(max=500)])
    reason = TextAreaField("Why is it amended?", validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField("Save the line as a new version")


class RedraftForm(FlaskForm):
    submit = SubmitField("Redraft this fee")


#: The correction forms on a claim's page, by the prefix their fields carry.
CORRECTION_FORMS: dict[str, type[FlaskForm]] = {
    "reverse": ReversePaidForm, "netting": NettingForm, "repay": RepaymentForm, "write_off": WriteOffForm,
    "approve_write_off": ApproveWriteOffForm, "amend": AmendForm, "redraft": RedraftForm, "line": LineAmendForm}


def _beside_fields(error: LedgerError, prefix: str) -> LedgerError:
    """The service's refusal with its field names as the prefixed form names them, to show each beside its field."""
    named = {"worked_minutes": "hours"}  # the service counts minutes; the form asks for hours
    # The line form changes one line: the service's "lines.0.amount" is its "amount".
    return type(error)(error.message, fields={f"{prefix}-{named.get(name, name.removeprefix('lines.0.'))}": v
                                              for name, v in (error.fields or {}).items()})


def _names(session) -> dict[str, dict[int, str]]:
    """Participants', groups' and users' names by id, to show people by name beside their claims."""
    return {
        "participant": {p.id: p.name for p in people.list_participants(session, include_inactive=True)},
        "group": {g.id: g.name for g in people.list_groups(session, include_inactive=True)},
        "user": {u.id: u.display_name for u in user_admin.list_users(session)},
    }


def _preview(session, claim_id: int):
    """What approving would mean today, or the reason the rules cannot say (shown instead)."""
    try:
        return claims.preview_approval(session, claim_id, rules=settings().claim_rules, today=todays_date()), None
    except Conflict as error:
        return None, error.message


def _previews(session, waiting) -> dict:
    """Each waiting claim's preview (or the reason the rules cannot say), all checked in a few queries, or
    kept from an earlier look while nothing they depend on has changed (``ledger.claims.preview_cache``)."""
    found = preview_cache().previews(session, [c.id for c in waiting], rules=settings().claim_rules,
                                     today=todays_date())
    return {claim_id: (None, answer.message) if isinstance(answer, Conflict) else (answer, None)
            for claim_id, answer in found.items()}


# ---------------------------------------------------------------- claims


@bp.route("/claims")
@requires("claims.approve")
def claims_waiting():
    session = get_session()
    form = claims_queue.filter_form(request.args, ((p.code, p.name) for p in projects.list_projects(session)))
    if not form.validate():
        return render_template("finance/claims.html", form=form, claims=[], names=_names(session), previews={},
                               filters=claims_queue.QueueFilters(), flagged=rechecks.flagged_participants(session)), 400
    filters, names = claims_queue.filters_of(form), _names(session)
    found = claims.list_claims(session, status=filters.status, project_code=filters.project_code,
                               participant_ids=claims_queue.people_named(session, filters.person))
    previews = _previews(session, found)
    return render_template("finance/claims.html", form=form, filters=filters, names=names, previews=previews,
                           claims=claims_queue.with_benefit_flag(found, previews, filters.benefit_flag),
                           flagged=rechecks.flagged_participants(session))


@bp.route("")
@requires("claims.approve")
def dashboard():
    session = get_session()
    return render_template("finance/dashboard.html", today=todays_date(),
                           due_within=finance_dashboard.BACS_DUE_WITHIN_DAYS,
                           figures=finance_dashboard.finance_dashboard(session, today=todays_date()))


@bp.route("/claims/<int:claim_id>")
@requires("claims.approve")
def claim(claim_id: int):
    """The claim, with its benefit check: a look at the participant's benefits, kept as a view."""
    page = _claim_page(claim_id, viewed_by=signed_in_user().id)
    get_session().commit()
    return page


def _claim_page(claim_id: int, *, problem: LedgerError | None = None, status: int = 200,
                approve: ApproveForm | None = None, reject: RejectForm | None = None,
                return_: ReturnForm | None = None, hold: HoldForm | None = None, release: ReleaseForm | None = None,
                correcting: tuple[str, FlaskForm] | None = None, viewed_by: int | None = None):
    session = get_session()
    record = claims.get_claim(session, claim_id)
    if viewed_by is not None:  # the GET of the page: its benefit check is a look at the person's benefits
        record_view(session, participant_id=record.participant_id, what="benefits", channel="page",
                    actor_user_id=viewed_by, claim_id=claim_id)
    preview, preview_problem = _preview(session, claim_id)
    fixes = {prefix: form(formdata=None, prefix=prefix) for prefix, form in CORRECTION_FORMS.items()}
    if correcting is not None:
        fixes[correcting[0]] = correcting[1]
    fixes["line"].line_id.choices = [SelectChoice(str(line.id), f"{line.description}: {money(line.amount_pence)}")
                                     for line in record.lines]
    return render_template(
        "finance/claim.html", claim=record, preview=preview, preview_problem=preview_problem, problem=problem,
        holds=holds.list_holds(session, status=None, claim_id=claim_id),
        payee_holds=holds.list_holds(session, payee_kind="participant", payee_id=record.participant_id),
        holdable=record.status in hold_actions.HOLDABLE,
        hold_form=hold or HoldForm(formdata=None, prefix="hold"),
        release_form=release or ReleaseForm(formdata=None, prefix="release"),
        owed_back=corrections.owed_back(session, claim_id), fixes=fixes, today=todays_date(),
        versions=claims.claim_versions(session, claim_id),
        names=_names(session), approve_form=approve or ApproveForm(formdata=None),
        top_up_form=TopUpForm(formdata=None, prefix="top_up"),
        reject_form=reject or RejectForm(formdata=None, prefix="reject"),
        return_form=return_ or ReturnForm(formdata=None, prefix="return"),
    ), status


@bp.route("/claims/<int:claim_id>/approve", methods=["POST"])
@requires("claims.approve")
def approve_claim(claim_id: int):
    form = ApproveForm()
    if not form.validate_on_submit():
        return _claim_page(claim_id, approve=form, status=400)
    session, user = get_session(), signed_in_user()
    try:
        outcome = claims.approve_claim(session, claim_id, actor_user_id=user.id,
                                       actor_participant_id=user.participant_id, rules=settings().claim_rules,
                                       today=todays_date(), override_reason=form.override_reason.data or None,
                                       below_minimum_reason=form.below_minimum_reason.data or None)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _claim_page(claim_id, approve=form, problem=error, status=error.status)
    session.commit()
    flash(f"Claim {claim_id} {AFTER_APPROVAL.get(outcome.claim.status, outcome.claim.status)}.", "info")
    return redirect(url_for("finance.claim", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/reject", methods=["POST"])
@requires("claims.approve")
def reject_claim(claim_id: int):
    form = RejectForm(prefix="reject")
    if not form.validate_on_submit():
        return _claim_page(claim_id, reject=form, status=400)
    session = get_session()
    try:
        claims.reject_claim(session, claim_id, reason=form.reason.data, actor_user_id=signed_in_user().id,
                            today=todays_date(), rules=settings().claim_rules)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _claim_page(claim_id, reject=form, problem=error, status=error.status)
    session.commit()
    flash(f"Claim {claim_id} is rejected. The participant will see your reason.", "info")
    return redirect(url_for("finance.claim", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/return", methods=["POST"])
@requires("claims.approve")
def return_claim(claim_id: int):
    form = ReturnForm(prefix="return")
    if not form.validate_on_submit():
        return _claim_page(claim_id, return_=form, status=400)
    session = get_session()
    try:
        claims.return_claim(session, claim_id, reason=form.reason.data, actor_user_id=signed_in_user().id)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _claim_page(claim_id, return_=form, problem=error, status=error.status)
    session.commit()
    flash(f"Claim {claim_id} is returned for more information.", "info")
    return redirect(url_for("finance.claim", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/hold", methods=["POST"])
@requires("payments.manage")
def hold_claim(claim_id: int):
    form = HoldForm(prefix="hold")
    if not form.validate_on_submit():
        return _claim_page(claim_id, hold=form, status=400)
    session = get_session()
    try:
        hold_actions.hold_claim(session, claim_id, actor_user_id=signed_in_user().id, reason=form.reason.data)
    except (*_SHOWN_ON_THE_FORM, NotFound) as error:
        session.rollback()
        return _claim_page(claim_id, hold=form, problem=error, status=error.status)
    session.commit()
    flash(f"Claim {claim_id} is on hold: no payment run pays it until the hold is released.", "info")
    return redirect(url_for("finance.claim", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/release", methods=["POST"])
@requires("payments.manage")
def release_claim(claim_id: int):
    form = ReleaseForm(prefix="release")
    if not form.validate_on_submit():
        return _claim_page(claim_id, release=form, status=400)
    session = get_session()
    try:
        hold_actions.release_claim(session, claim_id, actor_user_id=signed_in_user().id, note=form.note.data)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _claim_page(claim_id, release=form, problem=error, status=error.status)
    session.commit()
    flash(f"The hold on claim {claim_id} is released: the next payment run can pay it.", "info")
    return redirect(url_for("finance.claim", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/mileage-top-up", methods=["POST"])
@requires("claims.approve")
def draft_mileage_top_up(claim_id: int):
    form = TopUpForm(prefix="top_up")
    if not form.validate_on_submit():
        return _claim_page(claim_id, status=400)
    session = get_session()
    try:
        record, _ = claims.draft_mileage_top_up(session, claim_id, actor_user_id=signed_in_user().id)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _claim_page(claim_id, problem=error, status=error.status)
    session.commit()
    flash(f"Top-up claim {record.id} for {money(record.offered_pence)} is drafted: submit and approve it like any "
          "claim, and the next payment run pays it.", "info")
    return redirect(url_for("finance.claim", claim_id=record.id))


@bp.route("/claims/<int:claim_id>/receipts/<int:receipt_id>")
@requires("claims.approve")
def receipt(claim_id: int, receipt_id: int):
    session = get_session()
    record, data = claims.receipt_file(session, claim_id, receipt_id, viewed_by_user_id=signed_in_user().id)
    session.commit()  # the view of the receipt is kept
    response = send_file(io.BytesIO(data), mimetype=record.content_type, as_attachment=True,
                         download_name=record.filename, etag=record.sha256, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- corrections after payment


def _correct(claim_id: int, prefix: str, act, done: str):
    """Validate the prefixed correction form, call the one service, commit once, and show the claim again."""
    form = CORRECTION_FORMS[prefix](prefix=prefix)
    if not form.validate_on_submit():
        return _claim_page(claim_id, correcting=(prefix, form), status=400)
    session = get_session()
    try:
        act(session, form, signed_in_user().id, todays_date())
    except (*_SHOWN_ON_THE_FORM, NotFound) as error:
        session.rollback()
        return _claim_page(claim_id, correcting=(prefix, form), problem=_beside_fields(error, prefix),
                           status=error.status)
    session.commit()
    flash(done, "info")
    return redirect(url_for("finance.claim", claim_id=claim_id))


def _minutes_typed(text: str | None) -> int | str | None:
    """Whole minutes from hours typed ("2.5"), None when left empty, or the text for the service to refuse."""
    value = (text or "").strip()
    if not value:
        return None
    try:
        minutes = Decimal(value) * 60
    except InvalidOperation:
        return value
    return int(minutes) if minutes == minutes.to_integral_value() else value


@bp.route("/claims/<int:claim_id>/amend", methods=["POST"])
@requires("claims.approve")
def amend_claim(claim_id: int):
    return _correct(claim_id, "amend", lambda session, form, actor, today: claims.amend_claim(
        session, claim_id, reason=form.reason.data, description=form.description.data or None,
        worked_minutes=_minutes_typed(form.hours.data), actor_user_id=actor, rules=settings().claim_rules),
        f"Claim {claim_id} is amended: a new version is kept in its history, and any first approval is cleared.")


@bp.route("/claims/<int:claim_id>/lines/amend", methods=["POST"])
@requires("claims.approve")
def amend_expense_line(claim_id: int):
    return _correct(claim_id, "line", lambda session, form, actor, today: claims.amend_claim(
        session, claim_id, reason=form.reason.data, actor_user_id=actor, rules=settings().claim_rules,
        lines=[{"line_id": form.line_id.data, "amount": (form.amount.data or "").strip() or None,
                "category": form.category.data or None, "description": form.description.data or None}]),
        f"Claim {claim_id}'s line is amended: a new version is kept in its history, and any first approval is "
        "cleared.")


@bp.route("/claims/<int:claim_id>/redraft", methods=["POST"])
@requires("claims.approve")
def redraft_fee(claim_id: int):
    made: list[int] = []
    response = _correct(claim_id, "redraft", lambda session, form, actor, today: made.append(claims.redraft_fee(
        session, claim_id, actor_user_id=actor, rules=settings().claim_rules).id), "The fee is redrafted.")
    return redirect(url_for("finance.claim", claim_id=made[0])) if made else response


@bp.route("/claims/<int:claim_id>/reversal", methods=["POST"])
@requires("payments.manage")
def reverse_paid_claim(claim_id: int):
    return _correct(claim_id, "reverse", lambda session, form, actor, today: corrections.reverse_paid_claim(
        session, claim_id, reason=form.reason.data, actor_user_id=actor, today=today),
        f"Claim {claim_id} is reversed: the participant owes it back. Record how it is recovered below.")


@bp.route("/claims/<int:claim_id>/recovery/netting", methods=["POST"])
@requires("payments.manage")
def agree_netting(claim_id: int):
    return _correct(claim_id, "netting", lambda session, form, actor, today: corrections.agree_netting(
        session, claim_id, agreed_on=form.agreed_on.data, agreed_how=form.agreed_how.data, note=form.note.data,
        actor_user_id=actor, today=today),
        "The agreement is recorded: the next payment run pays their later claims less what is owed back.")


@bp.route("/claims/<int:claim_id>/recovery/repayment", methods=["POST"])
@requires("payments.manage")
def record_repayment(claim_id: int):
    return _correct(claim_id, "repay", lambda session, form, actor, today: corrections.record_repayment(
        session, claim_id, amount_pence=_pence_typed(form.amount.data), received_on=form.received_on.data,
        reference=form.reference.data, actor_user_id=actor, today=today, rules=settings().claim_rules),
        "The repayment is recorded and the benefit check re-run for the period of the payment.")


@bp.route("/claims/<int:claim_id>/recovery/write-off", methods=["POST"])
@requires("payments.manage")
def request_write_off(claim_id: int):
    return _correct(claim_id, "write_off", lambda session, form, actor, today: corrections.request_write_off(
        session, claim_id, reason=form.reason.data, actor_user_id=actor, today=today),
        "The write-off is asked for: a different finance user must approve it.")


@bp.route("/claims/<int:claim_id>/write-off/approve", methods=["POST"])
@requires("payments.manage")
def approve_write_off(claim_id: int):
    return _correct(claim_id, "approve_write_off", lambda session, form, actor, today: corrections.approve_write_off(
        session, claim_id, actor_user_id=actor, today=today, rules=settings().claim_rules),
        "The write-off is approved and posted.")


# ---------------------------------------------------------------- payment runs


@bp.route("/payment-runs")
@requires("payments.manage")
def payment_runs():
    return _runs_page()


def _runs_page(form: DraftRunForm | None = None, problem: LedgerError | None = None, status: int = 200):
    today = todays_date()
    if form is None:
        form = DraftRunForm(formdata=None, cutoff_date=today, payment_date=today + dt.timedelta(days=3))
    return render_template("finance/payment_runs.html", runs=runs.list_payment_runs(get_session()), form=form,
                           problem=problem), status


@bp.route("/payment-runs/draft", methods=["POST"])
@requires("payments.manage")
def draft_payment_run():
    form = DraftRunForm()
    if not form.validate_on_submit():
        return _runs_page(form, status=400)
    session = get_session()
    configured = settings()
    try:
        summary = runs.draft_payment_run(session, cutoff_date=form.cutoff_date.data,
                                         payment_date=form.payment_date.data, actor_user_id=signed_in_user().id,
                                         rulebook=configured.rulebook, settings=configured.policy,
                                         today=todays_date())
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _runs_page(form, problem=error, status=error.status)
    session.commit()
    flash(f"Payment run {summary.reference} is drafted. Check it, send the Bacs file to the bank, then confirm "
          "it here once the bank has accepted it.", "info")
    return redirect(url_for("finance.payment_run", run_id=summary.id))


@bp.route("/payment-runs/<int:run_id>")
@requires("payments.manage")
def payment_run(run_id: int):
    return _run_page(run_id)


def _run_page(run_id: int, *, problem: LedgerError | None = None, status: int = 200,
              confirm: ConfirmRunForm | None = None, cancel: CancelRunForm | None = None,
              returned: PaymentReturnForm | None = None, reschedule: RescheduleRunForm | None = None,
              remove: RemovePayeeForm | None = None):
    session = get_session()
    run = runs.payment_run_summary(session, run_id)
    done = returns.returns_of_run(session, run_id)
    return_form = returned or PaymentReturnForm(formdata=None, returned_on=todays_date())
    _payee_choices(return_form, run, done)
    remove_form = remove or RemovePayeeForm(formdata=None, prefix="remove")
    _removable(remove_form, run)
    return render_template(
        "finance/payment_run.html", run=run, problem=problem, returns=done, return_form=return_form,
        allowance_crossings=tax_year.allowance_crossings(session, run_id, settings().rulebook),
        payee_names=_payee_names(run), names=_names(session),
        returned_payees={(r.payee_kind, r.payee_id) for r in done}, reason_labels=RETURN_REASON_LABELS,
        submission_passed=calendar.bacs_input_day(run.payment_date) < todays_date(),
        earliest_payment_date=calendar.earliest_payment_date(todays_date()),
        confirm_form=confirm or ConfirmRunForm(formdata=None),
        reschedule_form=reschedule or RescheduleRunForm(formdata=None, prefix="reschedule"),
        cancel_form=cancel or CancelRunForm(formdata=None, prefix="cancel"), remove_form=remove_form,
        approve_form=ApproveBankChangeForm(formdata=None, prefix="approve"),
        waiting_changes=[p.bank_change_awaiting_approval for p in run.payees if p.bank_change_awaiting_approval],
        me=signed_in_user(),
    ), status


def _payee_choices(form: PaymentReturnForm, run: runs.PaymentRunSummary,
                   done: list[returns.PaymentReturnRecord]) -> None:
    """The payees of the run whose payment has not come back already, with what each was paid."""
    gone = {(r.payee_kind, r.payee_id) for r in done}
    form.payee_id.choices = [SelectChoice("", "Choose a payee")] + [
        SelectChoice(f"{p.payee_kind}:{p.payee_id}", f"{p.name} ({p.reference}, {money(p.amount_pence)})")
        for p in run.payees if (p.payee_kind, p.payee_id) not in gone]


def _removable(form: RemovePayeeForm, run: runs.PaymentRunSummary) -> None:
    """The run's payees by name, with what each would be paid, for taking one out."""
    form.payee.choices = [SelectChoice("", "Choose a payee")] + [
        SelectChoice(f"{p.payee_kind}:{p.payee_id}", f"{p.name} ({money(p.amount_pence)})") for p in run.payees]


def _payee_names(run: runs.PaymentRunSummary) -> dict[tuple[str, int], str]:
    """The run's payees' names by (kind, id), to name them rather than number them."""
    return {(p.payee_kind, p.payee_id): p.name for p in run.payees}


def _pence_typed(text: str | None) -> int | str:
    """Pence from what was typed ("52.50", "£52.50"), or the text itself for the service to refuse by name."""
    try:
        pence = Decimal((text or "").strip().lstrip("£").replace(",", "")) * 100
    except InvalidOperation:
        return text or ""
    return int(pence) if pence == pence.to_integral_value() else text or ""


def _download(body: str, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/payment-runs/<int:run_id>/bacs")
@requires("payments.manage")
def bacs_file(run_id: int):
    session = get_session()
    body = runs.bacs_file(session, run_id, settings().originator, settings().bank_cipher,
                          created_on=todays_date(), actor_user_id=signed_in_user().id)
    session.commit()
    return _download(body, f"{runs.payment_run_summary(session, run_id).reference}.bacs.txt", "text/plain")


@bp.route("/payment-runs/<int:run_id>/bank.csv")
@requires("payments.manage")
def bank_csv(run_id: int):
    session = get_session()
    body = runs.bank_csv(session, run_id, settings().bank_cipher, actor_user_id=signed_in_user().id)
    session.commit()
    return _download(body, f"{runs.payment_run_summary(session, run_id).reference}.csv", "text/csv")


@bp.route("/payment-runs/<int:run_id>/report.pdf")
@requires("documents.finance")
def payment_run_report(run_id: int):
    doc = run_report.payment_run_report(get_session(), run_id, organisation=settings().organisation)
    issued = issuing.issue_payment_run_report(get_session(), doc, producer=producer(), issued_on=todays_date())
    return send_issued(issued, f"payment-run-{doc.run_reference}.pdf")


@bp.route("/payment-runs/<int:run_id>/print-pack.pdf")
@requires("documents.finance")
def print_pack(run_id: int):
    """The letters to post for a confirmed run: everyone paid who is not told by email."""
    pack = posted_letters.print_pack(get_session(), run_id, organisation=settings().organisation)
    issued = issuing.issue_print_pack(
        get_session(), pack, producer=producer(), issued_on=todays_date(),
        web_address=url_for("my_documents.remittance", run_id=run_id, _external=True))
    return send_issued(issued, f"print-pack-{pack.run_reference}.pdf")


@bp.route("/payment-runs/<int:run_id>/confirm", methods=["POST"])
@requires("payments.manage")
def confirm_payment_run(run_id: int):
    form = ConfirmRunForm()
    if not form.validate_on_submit():
        return _run_page(run_id, confirm=form, status=400)
    session = get_session()
    try:
        summary = runs.confirm_payment_run(session, run_id, actor_user_id=signed_in_user().id,
                                           bank_reference=form.bank_reference.data,
                                           override_reason=form.override_reason.data or None, today=todays_date(),
                                           new_payment_date=form.new_payment_date.data,
                                           second_approval_above_pence=settings().claim_rules
                                           .second_approval_above_pence, rules=settings().claim_rules)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _run_page(run_id, confirm=form, problem=error, status=error.status)
    session.commit()
    flash(f"Payment run {summary.reference} is confirmed: {summary.payee_count} payments are in the books and "
          "their claims are marked paid.", "info")
    return redirect(url_for("finance.payment_run", run_id=run_id))


@bp.route("/payment-runs/<int:run_id>/bank-changes/<int:change_id>/approve", methods=["POST"])
@requires("payments.manage")
def approve_bank_change(run_id: int, change_id: int):
    """A second finance person approves bank details changed since the run was drafted."""
    form = ApproveBankChangeForm(prefix="approve")
    if not form.validate_on_submit():
        return _run_page(run_id, status=400)
    session = get_session()
    try:
        change = bank_changes.approve_bank_details_change(session, change_id, actor_user_id=signed_in_user().id)
    except (*_SHOWN_ON_THE_FORM, NotFound) as error:
        session.rollback()
        return _run_page(run_id, problem=error, status=error.status)
    session.commit()
    flash(f"You approved the new bank details of {change.payee_name} ({change.sort_code} {change.account_number}).",
          "info")
    return redirect(url_for("finance.payment_run", run_id=run_id))


@bp.route("/payment-runs/<int:run_id>/reschedule", methods=["POST"])
@requires("payments.manage")
def reschedule_payment_run(run_id: int):
    form = RescheduleRunForm(prefix="reschedule")
    if not form.validate_on_submit():
        return _run_page(run_id, reschedule=form, status=400)
    session = get_session()
    try:
        summary = runs.reschedule_payment_run(session, run_id, new_payment_date=form.new_payment_date.data,
                                              today=todays_date(), actor_user_id=signed_in_user().id)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _run_page(run_id, reschedule=form, problem=error, status=error.status)
    session.commit()
    flash(f"Payment run {summary.reference} now pays on {summary.payment_date:%d %B %Y}: download the Bacs file "
          "again, it carries the new date.", "info")
    return redirect(url_for("finance.payment_run", run_id=run_id))


@bp.route("/payment-runs/<int:run_id>/cancel", methods=["POST"])
@requires("payments.manage")
def cancel_payment_run(run_id: int):
    form = CancelRunForm(prefix="cancel")
    if not form.validate_on_submit():
        return _run_page(run_id, cancel=form, status=400)
    session = get_session()
    try:
        summary = runs.cancel_payment_run(session, run_id, actor_user_id=signed_in_user().id, reason=form.reason.data)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _run_page(run_id, cancel=form, problem=error, status=error.status)
    session.commit()
    flash(f"Payment run {summary.reference} is cancelled; its claims wait for the next run.", "info")
    return redirect(url_for("finance.payment_run", run_id=run_id))


@bp.route("/payment-runs/<int:run_id>/remove-payee", methods=["POST"])
@requires("payments.manage")
def remove_payee_from_run(run_id: int):
    form = RemovePayeeForm(prefix="remove")
    session = get_session()
    _removable(form, runs.payment_run_summary(session, run_id))
    if not form.validate_on_submit():
        return _run_page(run_id, remove=form, status=400)
    kind, _, payee_id = form.payee.data.partition(":")
    try:
        summary = runs.remove_payee_from_run(session, run_id, payee_kind=kind, payee_id=int(payee_id),
                                             actor_user_id=signed_in_user().id, reason=form.reason.data,
                                             hold=form.hold.data)
    except (*_SHOWN_ON_THE_FORM, NotFound) as error:
        session.rollback()
        return _run_page(run_id, remove=form, problem=error, status=error.status)
    session.commit()
    flash(next((x.message for x in reversed(summary.left_out) if x.reason == "removed"
                and (x.payee_kind, x.payee_id) == (kind, int(payee_id))), "They are taken out of the run."), "info")
    return redirect(url_for("finance.payment_run", run_id=run_id))


@bp.route("/payment-runs/<int:run_id>/returns", methods=["POST"])
@requires("payments.manage")
def record_payment_return(run_id: int):
    form = PaymentReturnForm()
    session = get_session()
    run = runs.payment_run_summary(session, run_id)
    _payee_choices(form, run, returns.returns_of_run(session, run_id))
    if not form.validate_on_submit():
        return _run_page(run_id, returned=form, status=400)
    kind, _, payee_id = form.payee_id.data.partition(":")
    request_ = returns.ReturnRequest(
        payee_kind=kind, payee_id=int(payee_id) if payee_id.isdigit() else payee_id,
        amount_pence=_pence_typed(form.amount.data), returned_on=form.returned_on.data, reason=form.reason.data,
        bank_reference=form.bank_reference.data, note=form.note.data or None)
    try:
        record = returns.record_payment_return(session, run_id, request_, actor_user_id=signed_in_user().id,
                                               today=todays_date())
    except (*_SHOWN_ON_THE_FORM, NotFound) as error:
        session.rollback()
        return _run_page(run_id, returned=form, problem=error, status=error.status)
    session.commit()
    flash(f"The payment of {money(record.amount_pence)} to {_payee_names(run)[record.payee_kind, record.payee_id]} is "
          "recorded as "
          "returned: it is owed again, their bank details are flagged and they are left out of payment runs until "
          "the details are changed.", "info")
    return redirect(url_for("finance.payment_run", run_id=run_id))


# ---------------------------------------------------------------- benefits evidence packs


class EvidencePackForm(FlaskForm):
    """The letter's dates and who signs it: read from the query string, since asking for a PDF changes nothing."""

    class Meta:
        csrf = False

    start = DateInputsField("First day the letter covers",
                      validators=[DataRequired("Enter the first day as a date, for example 2025-06-01.")])
    end = DateInputsField("Last day the letter covers",
                    validators=[DataRequired("Enter the last day as a date, for example 2025-06-30.")])
    signed_by = StringField("Signed by (the officer's name)", validators=[DataRequired("Enter who signs the letter."),
                                                                          Length(max=MAX_SIGNATORY)])
    role = StringField("Their role", validators=[DataRequired("Enter the signing officer's role."),
                                                 Length(max=MAX_SIGNATORY)])
    large_print = BooleanField("Large print")
    download = SubmitField("Download the evidence pack (PDF)")


class NationalInsuranceForm(FlaskForm):
    national_insurance_number = StringField("National Insurance number (optional)", validators=[Length(max=20)])
    save = SubmitField("Save the National Insurance number")


@bp.route("/evidence-packs")
@requires("documents.finance")
def evidence_packs():
    session = get_session()
    return render_template("finance/evidence_packs.html",
                           participants=people.list_participants(session, include_inactive=True),
                           crossings=tax_year.draft_run_crossings(session, settings().rulebook))


def _evidence_page(participant_id: int, *, form: EvidencePackForm | None = None, ni_form=None,
                   problem: LedgerError | None = None, status: int = 200):
    record = people.get_participant(get_session(), participant_id)
    if form is None:
        today, signatory = todays_date(), settings().signatory
        form = EvidencePackForm(formdata=None, start=today - dt.timedelta(days=EVIDENCE_DAYS), end=today,
                                signed_by=signatory.name or signed_in_user().display_name,
                                role=signatory.role or "Finance officer",
                                large_print=record.preferred_format == "large_print")
    return render_template("finance/evidence_pack.html", participant=record, form=form, problem=problem,
                           ni_form=ni_form or NationalInsuranceForm(formdata=None)), status


@bp.route("/participants/<int:participant_id>/evidence-pack")
@requires("documents.finance")
def evidence_pack(participant_id: int):
    return _evidence_page(participant_id)


@bp.route("/participants/<int:participant_id>/evidence-pack.pdf")
@requires("documents.finance")
def evidence_pack_pdf(participant_id: int):
    form = EvidencePackForm(formdata=request.args)
    if not form.validate():
        return _evidence_page(participant_id, form=form, status=400)
    session = get_session()
    try:
        doc = evidence_pack_letter(session, participant_id, form.start.given, form.end.given,
                                   settings=settings(), issued=todays_date(), signed_by=form.signed_by.data,
                                   role=form.role.data)
    except ValidationError as error:
        return _evidence_page(participant_id, form=form, problem=error, status=error.status)
    record_view(get_session(), participant_id=participant_id, what="evidence_pack", channel="pdf",
                actor_user_id=signed_in_user().id)
    issued = issuing.issue_evidence_pack(get_session(), doc, producer=producer(), large_print=form.large_print.data)
    return send_issued(issued, f"benefits-evidence-{doc.participant.reference}-{doc.period_start}-{doc.period_end}.pdf")


@bp.route("/participants/<int:participant_id>/national-insurance-number", methods=["POST"])
@requires("participants.write")
def save_national_insurance_number(participant_id: int):
    ni_form = NationalInsuranceForm()
    if not ni_form.validate_on_submit():
        return _evidence_page(participant_id, ni_form=ni_form, status=400)
    session = get_session()
    try:
        record = people.update_participant(
            session, participant_id, {"national_insurance_number": ni_form.national_insurance_number.data},
            today=todays_date(), cipher=settings().bank_cipher, actor_user_id=signed_in_user().id)
    except ValidationError as error:
        session.rollback()
        return _evidence_page(participant_id, ni_form=ni_form, problem=error, status=error.status)
    session.commit()
    flash(f"The National Insurance number is saved ({record.national_insurance_number}). It is printed on the "
          "evidence pack." if record.national_insurance_number else "The National Insurance number is removed.",
          "info")
    return redirect(url_for("finance.evidence_pack", participant_id=participant_id))
