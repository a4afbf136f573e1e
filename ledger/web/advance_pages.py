"""Finance's advances page: asked for, approved, paid and overdue advances, and the approve, reject and
mark-paid actions (``ledger.claims.advances``); staff ask for an advance for a participant here too, and a
participant asks for their own at ``/my/advances``.

Each form posts to a route that calls one service function and commits once. A refusal (bad input, someone
approving their own, the wrong status) shows the page again with the message and nothing changed.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ledger.auth.access import check_project_access, requires, signed_in_user
from ledger.auth.permissions import allowed
from ledger.claims import advances
from ledger.context import get_session, settings, todays_date
from ledger.errors import Conflict, LedgerError, NotFound, PermissionDenied, ValidationError
from ledger.formatting import money
from ledger.people import services as people
from ledger.web.date_inputs import DateInputsField

bp = Blueprint("advances", __name__, url_prefix="/finance/advances")
# A participant's own advances, and asking for one for themself.
own = Blueprint("my_advances", __name__, url_prefix="/my/advances")

_SHOWN_ON_THE_FORM = (ValidationError, Conflict, PermissionDenied, NotFound)
PAID_BY_CHOICES = [SelectChoice("cheque", "Cheque"), SelectChoice("cash", "Cash"), SelectChoice("card", "Card"),
                   SelectChoice("transfer", "Bank transfer made outside the ledger")]


def _new_key() -> str:
    return f"page:{uuid.uuid4().hex}"


class RequestAdvanceForm(FlaskForm):
    participant_id = IntegerField("Participant number", validators=[DataRequired()])
    project_code = StringField("Project code", validators=[DataRequired(), Length(max=32)])
    amount = StringField("Amount in pounds", validators=[DataRequired(), Length(max=12)])
    purpose = TextAreaField("What it is for", validators=[DataRequired(), Length(max=advances.MAX_PURPOSE)])
    settle_by = DateField("Receipts due by", validators=[DataRequired()])
    # One key per form shown: the same form sent twice (a double click, a resubmitted page) asks once.
    request_key = HiddenField(default=_new_key, validators=[Optional(), Length(max=advances.MAX_REQUEST_KEY)])
    submit = SubmitField("Ask for the advance")


class MyAdvanceForm(FlaskForm):
    project_code = StringField("Project code", validators=[DataRequired(), Length(max=32)])
    amount = StringField("How much, in pounds", validators=[DataRequired(), Length(max=12)])
    purpose = TextAreaField("What it is for", validators=[DataRequired(), Length(max=advances.MAX_PURPOSE)])
    settle_by = DateInputsField("When you will bring the receipts", validators=[
        DataRequired(message="Give the day you will bring the receipts, for example 14 12 2026.")])
    request_key = HiddenField(default=_new_key, validators=[Optional(), Length(max=advances.MAX_REQUEST_KEY)])
    submit = SubmitField("Ask for the advance")


class ApproveAdvanceForm(FlaskForm):
    submit = SubmitField("Approve")


class RejectAdvanceForm(FlaskForm):
    reason = TextAreaField("Why is it rejected?", validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField("Reject")


class MarkPaidForm(FlaskForm):
    paid_by = SelectField("Paid by", choices=PAID_BY_CHOICES)
    reference = StringField("Reference (cheque, receipt or card transaction number)",
                            validators=[DataRequired(), Length(max=advances.MAX_REFERENCE)])
    paid_on = DateField("Paid on", validators=[Optional()])
    submit = SubmitField("Mark paid")


def _names(session) -> dict[int, str]:
    return {p.id: p.name for p in people.list_participants(session, include_inactive=True)}


def _list_page(form: RequestAdvanceForm | None = None, problem: LedgerError | None = None, status: int = 200):
    session, today = get_session(), todays_date()
    # The lists are finance's: a project manager whose request was refused sees the form, not everyone's advances.
    may_see = allowed(signed_in_user().role_names, "claims.approve")
    every = advances.list_advances(session, today=today) if may_see else []
    grouped = {name: [a for a in every if a.status == name] for name in ("requested", "approved", "paid")}
    return render_template(
        "finance/advances.html", grouped=grouped, overdue=[a for a in every if a.overdue], names=_names(session),
        form=form or RequestAdvanceForm(formdata=None), problem=problem, today=today,
        threshold=settings().claim_rules.second_approval_above_pence,
    ), status


@bp.route("")
@requires("claims.approve")
def list_advances():
    return _list_page()


@bp.route("/request", methods=["POST"])
@requires("claims.submit")
def request_advance():
    form = RequestAdvanceForm()
    if not form.validate_on_submit():
        return _list_page(form, status=400)
    session = get_session()
    check_project_access("code", form.project_code.data)  # a project manager: only their assigned projects
    try:
        record = advances.request_advance(
            session, participant_id=form.participant_id.data, project_code=form.project_code.data,
            amount=form.amount.data, purpose=form.purpose.data, settle_by=form.settle_by.data, today=todays_date(),
            actor_user_id=signed_in_user().id, request_key=form.request_key.data)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _list_page(form, problem=error, status=error.status)
    session.commit()
    flash(f"Advance {record.id} is asked for; finance will approve or reject it.", "info")
    return redirect(url_for("advances.advance", advance_id=record.id))


@bp.route("/<int:advance_id>")
@requires("claims.approve")
def advance(advance_id: int):
    return _advance_page(advance_id)


def _advance_page(advance_id: int, *, problem: LedgerError | None = None, status: int = 200,
                  reject: RejectAdvanceForm | None = None, paid: MarkPaidForm | None = None):
    session = get_session()
    record = advances.get_advance(session, advance_id, today=todays_date())
    return render_template(
        "finance/advance.html", advance=record, names=_names(session), problem=problem,
        approve_form=ApproveAdvanceForm(formdata=None, prefix="approve"),
        reject_form=reject or RejectAdvanceForm(formdata=None),
        paid_form=paid or MarkPaidForm(formdata=None, paid_on=todays_date()),
        threshold=settings().claim_rules.second_approval_above_pence,
    ), status


@bp.route("/<int:advance_id>/approve", methods=["POST"])
@requires("claims.approve")
def approve_advance(advance_id: int):
    form = ApproveAdvanceForm(prefix="approve")
    if not form.validate_on_submit():
        return _advance_page(advance_id, status=400)
    session, user = get_session(), signed_in_user()
    try:
        record, needed = advances.approve_advance(
            session, advance_id, actor_user_id=user.id, actor_participant_id=user.participant_id,
            second_approval_above_pence=settings().claim_rules.second_approval_above_pence, today=todays_date())
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _advance_page(advance_id, problem=error, status=error.status)
    session.commit()
    flash(f"Advance {advance_id} is approved." if record.status == "approved" else
          f"Your approval of advance {advance_id} is recorded: it needs {needed} different approvers.", "info")
    return redirect(url_for("advances.advance", advance_id=advance_id))


@bp.route("/<int:advance_id>/reject", methods=["POST"])
@requires("claims.approve")
def reject_advance(advance_id: int):
    form = RejectAdvanceForm()
    if not form.validate_on_submit():
        return _advance_page(advance_id, reject=form, status=400)
    session = get_session()
    try:
        advances.reject_advance(session, advance_id, reason=form.reason.data, actor_user_id=signed_in_user().id,
                                today=todays_date())
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _advance_page(advance_id, reject=form, problem=error, status=error.status)
    session.commit()
    flash(f"Advance {advance_id} is rejected.", "info")
    return redirect(url_for("advances.advance", advance_id=advance_id))


@bp.route("/<int:advance_id>/mark-paid", methods=["POST"])
@requires("claims.approve")
def mark_advance_paid(advance_id: int):
    form = MarkPaidForm()
    if not form.validate_on_submit():
        return _advance_page(advance_id, paid=form, status=400)
    session = get_session()
    try:
        advances.mark_advance_paid(session, advance_id, paid_by=form.paid_by.data, reference=form.reference.data,
                                   paid_on=form.paid_on.data or todays_date(), actor_user_id=signed_in_user().id,
                                   today=todays_date())
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _advance_page(advance_id, paid=form, problem=error, status=error.status)
    session.commit()
    flash(f"Advance {advance_id} is marked paid and posted to the books.", "info")
    return redirect(url_for("advances.advance", advance_id=advance_id))


# ---------------------------------------------------------------- a participant's own advances


def _own_participant_id() -> int:
    participant_id = signed_in_user().participant_id
    if participant_id is None:
        raise NotFound("Your sign-in is not linked to a participant record, so you cannot ask for an advance. "
                       "Ask the finance team to link it.")
    return participant_id


def _my_page(form: MyAdvanceForm | None = None, problem: LedgerError | None = None, status: int = 200):
    session = get_session()
    participant_id = _own_participant_id()
    participant = people.get_participant(session, participant_id)
    return render_template(
        "participant/advances.html", participant=participant, problem=problem,
        large_print=participant.preferred_format == "large_print",
        advances=advances.list_advances(session, today=todays_date(), participant_id=participant_id),
        form=form or MyAdvanceForm(formdata=None),
    ), status


@own.route("")
@requires("self")
def my_advances():
    return _my_page()


@own.route("", methods=["POST"])
@requires("self")
def ask_for_my_advance():
    form = MyAdvanceForm()
    if not form.validate_on_submit():
        return _my_page(form, status=400)
    session = get_session()
    try:
        record = advances.request_advance(
            session, participant_id=_own_participant_id(), project_code=form.project_code.data,
            amount=form.amount.data, purpose=form.purpose.data, settle_by=form.settle_by.data, today=todays_date(),
            actor_user_id=signed_in_user().id, request_key=form.request_key.data)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _my_page(form, problem=error, status=error.status)
    session.commit()
    flash(f"You have asked for an advance of {money(record.amount_pence)}. Finance will let you know.", "info")
    return redirect(url_for("my_advances.my_advances"))
