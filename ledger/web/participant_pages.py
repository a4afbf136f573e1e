"""A participant's own pages: what they are owed, their payments, claims, time credits, and their choice on a fee.

Every view reads the signed-in user's own participant record only; another participant's claim answers 404,
as if it did not exist (the services' ``for_participant_id`` does the refusing). Benefit checks are shown in
the words written for the participant (``explanation``), never the staff version. Pages are in large print
when that is the participant's preferred format.
"""

from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, Regexp

from ledger.auth.access import requires, signed_in_user
from ledger.claims import services as claims
from ledger.context import get_session, settings, todays_date
from ledger.documents import render
from ledger.errors import Conflict, LedgerError, NotFound, ValidationError
from ledger.formatting import hours, money
from ledger.labels import CHOICE_FOR_YOU
from ledger.payments.runs import MAX_DAYS_AHEAD
from ledger.people import services as people
from ledger.reports.statements import participant_statement
from ledger.timebank import services as timebank
from ledger.web.query_args import date_arg
from policies.money import pounds_to_pence

bp = Blueprint("participant", __name__, url_prefix="/my")

# How much of their history the "My money" page and the statement show by default.
HISTORY_DAYS = 365
RECENT_PAYMENTS = 10


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class ChoiceForm(FlaskForm):
    choice = RadioField("What would you like to happen to this fee?", validators=[DataRequired()],
                        choices=[SelectChoice(value, label) for value, label in CHOICE_FOR_YOU.items()])
    amount = StringField("If you take less: how much would you like, in pounds?", validators=[
        Optional(), Regexp(r"^\d{1,7}(\.\d{1,2})?$", message="Write the amount in pounds, like 30 or 30.00.")])
    group_id = SelectField("If you give it to a group: which group?", coerce=_optional_int, validate_choice=False)
    confirmed = HiddenField()
    submit = SubmitField("Continue")

    def validate(self, extra_validators=None) -> bool:
        """Ask for the amount when taking less and the group when giving it away (the service checks the rest)."""
        valid = super().validate(extra_validators)
        if self.choice.data == "take_less" and not self.amount.data:
            self.amount.errors = [*self.amount.errors, "Say how much you would like, in pounds."]
            valid = False
        if self.choice.data == "redirect" and self.group_id.data is None:
            self.group_id.errors = [*self.group_id.errors, "Choose the group to give it to."]
            valid = False
        return valid


class ConfirmChoiceForm(ChoiceForm):
    submit = SubmitField("Yes, record my choice")


def _own_participant_id() -> int:
    """The signed-in user's participant record, or NotFound when their sign-in is not linked to one."""
    participant_id = signed_in_user().participant_id
    if participant_id is None:
        raise NotFound("Your sign-in is not linked to a participant record, so there is no money of yours to "
                       "show. If you take part in projects, ask the finance team to link it.")
    return participant_id


def _page(template: str, participant, status: int = 200, **context):
    return render_template(template, participant=participant,
                           large_print=participant.preferred_format == "large_print", **context), status


def _offer(form: ChoiceForm, record, session) -> None:
    """Put the fee's own figures in the choices, and the active groups in the list."""
    form.choice.choices = [
        SelectChoice("take", f"Take the fee: {money(record.offered_pence)}"),
        SelectChoice("take_less", "Take less: you say how much"),
        SelectChoice("decline", "Decline the fee: you will not be paid for this"),
        SelectChoice("redirect", "Give it to a user-led group: the group is paid instead of you"),
        SelectChoice("time_credits", f"Time credits instead: {hours(record.worked_minutes or 0)}"),
    ]
    form.group_id.choices = [SelectChoice("", "Choose a group")] + [
        SelectChoice(str(g.id), g.name) for g in people.list_groups(session)]


@bp.route("/money")
@requires("self")
def my_money():
    participant_id = _own_participant_id()
    session = get_session()
    today = todays_date()
    statement = participant_statement(
        session, participant_id, today - dt.timedelta(days=HISTORY_DAYS), today + dt.timedelta(days=MAX_DAYS_AHEAD),
        organisation=settings().organisation, issued=today)
    return _page("participant/money.html", people.get_participant(session, participant_id),
                 statement=statement, claims=claims.list_claims(session, participant_id=participant_id, limit=100),
                 time_credits=timebank.time_credit_history(session, participant_id), recent=RECENT_PAYMENTS,
                 groups={g.id: g.name for g in people.list_groups(session, include_inactive=True)},
                 statement_start=today.replace(month=1, day=1), statement_end=today)


@bp.route("/claims/<int:claim_id>")
@requires("self")
def claim(claim_id: int):
    return _claim_page(claim_id)


def _claim_page(claim_id: int, *, form: ChoiceForm | None = None, problem: LedgerError | None = None,
                status: int = 200):
    participant_id = _own_participant_id()
    session = get_session()
    record = claims.get_claim(session, claim_id, for_participant_id=participant_id)
    try:
        preview = claims.preview_approval(session, claim_id, rules=settings().claim_rules, today=todays_date())
    except Conflict:
        preview = None  # the rules cannot check it yet; finance sees why on their page
    if form is None:
        form = ChoiceForm(formdata=None, choice=record.choice, group_id=record.group_id)
    _offer(form, record, session)
    return _page("participant/claim.html", people.get_participant(session, participant_id), status=status,
                 claim=record, preview=preview, form=form, problem=problem,
                 groups={g.id: g.name for g in people.list_groups(session, include_inactive=True)})


@bp.route("/claims/<int:claim_id>/choice", methods=["POST"])
@requires("self")
def record_choice(claim_id: int):
    participant_id = _own_participant_id()
    session = get_session()
    record = claims.get_claim(session, claim_id, for_participant_id=participant_id)
    form = ChoiceForm()
    _offer(form, record, session)
    if not form.validate_on_submit():
        return _claim_page(claim_id, form=form, status=400)
    if form.confirmed.data != "yes":
        confirm = ConfirmChoiceForm(formdata=None, confirmed="yes")
        return _page("participant/confirm_choice.html", people.get_participant(session, participant_id),
                     claim=record, form=confirm, chosen=form,
                     amount_pence=pounds_to_pence(form.amount.data) if form.amount.data else None,
                     groups={g.id: g.name for g in people.list_groups(session, include_inactive=True)})
    try:
        record = claims.record_choice(session, claim_id, choice=form.choice.data, amount=form.amount.data or None,
                                      group_id=form.group_id.data, actor_user_id=signed_in_user().id,
                                      for_participant_id=participant_id)
    except (ValidationError, Conflict) as error:
        session.rollback()
        return _claim_page(claim_id, form=form, problem=error, status=error.status)
    session.commit()
    flash(f"Your choice is recorded: {CHOICE_FOR_YOU[record.choice].lower()}. You can change it until the fee "
          "is approved.", "info")
    return redirect(url_for("participant.claim", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/receipts/<int:receipt_id>")
@requires("self")
def receipt(claim_id: int, receipt_id: int):
    record, data = claims.receipt_file(get_session(), claim_id, receipt_id,
                                       for_participant_id=_own_participant_id())
    response = send_file(io.BytesIO(data), mimetype=record.content_type, as_attachment=True,
                         download_name=record.filename, etag=record.sha256, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/statement.pdf")
@requires("self")
def statement_pdf():
    participant_id = _own_participant_id()
    session = get_session()
    today = todays_date()
    start, end = date_arg("start", today.replace(month=1, day=1)), date_arg("end", today)
    doc = participant_statement(session, participant_id, start, end, organisation=settings().organisation,
                                issued=today)
    large = people.get_participant(session, participant_id).preferred_format == "large_print"
    response = send_file(io.BytesIO(render.render_statement(doc, large_print=large)), mimetype="application/pdf",
                         download_name=f"statement-{doc.participant.reference}-{start}-{end}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
