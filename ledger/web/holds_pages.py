"""Finance's holds page: every hold in force (claims and payees), a form to hold a participant or group, and
a release button with a note beside each hold. Claims are held from their own page (``finance_pages``).

Each form posts to a route that calls one service function and commits once; a refusal is shown above the
form with what was typed kept, and the field it concerns is marked.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange

from ledger.auth.access import requires, signed_in_user
from ledger.context import get_session
from ledger.errors import Conflict, LedgerError, NotFound, ValidationError
from ledger.payments import hold_actions, holds

bp = Blueprint("holds", __name__, url_prefix="/finance/holds")

_SHOWN_ON_THE_FORM = (ValidationError, Conflict, NotFound)


class HoldPayeeForm(FlaskForm):
    payee_kind = SelectField("Who is held", choices=[SelectChoice("participant", "A participant"),
                                                     SelectChoice("group", "A user-led group")])
    payee_id = IntegerField("Their id number", validators=[DataRequired(message="Give the id number."),
                                                           NumberRange(min=1)])
    reason = TextAreaField("Why are they held?", validators=[DataRequired(), Length(max=holds.MAX_TEXT)])
    submit = SubmitField("Hold every claim of this payee")


class ReleaseHoldForm(FlaskForm):
    note = TextAreaField("Why is the hold released?", validators=[DataRequired(), Length(max=holds.MAX_TEXT)])
    submit = SubmitField("Release")


def _page(*, problem: LedgerError | None = None, status: int = 200, form: HoldPayeeForm | None = None,
          release: ReleaseHoldForm | None = None, release_id: int | None = None):
    session = get_session()
    released = request.args.get("show") == "released"
    found = holds.list_holds(session, status="released" if released else "held")
    # One release form per hold, each with its own field ids (``h12-note``); the one posted keeps what was typed.
    forms = {h.id: ReleaseHoldForm(formdata=None, prefix=f"h{h.id}") for h in found if h.released_at is None}
    if release is not None and release_id is not None:
        forms[release_id] = release
    return render_template(
        "finance/holds.html", holds=found, released=released, problem=problem,
        form=form or HoldPayeeForm(formdata=None), release_forms=forms, release_id=release_id,
    ), status


@bp.route("")
@requires("payments.manage")
def holds_page():
    return _page()


@bp.route("/payee", methods=["POST"])
@requires("payments.manage")
def hold_payee():
    form = HoldPayeeForm()
    if not form.validate_on_submit():
        return _page(form=form, status=400)
    session = get_session()
    try:
        record = hold_actions.hold_payee(session, form.payee_kind.data, form.payee_id.data,
                                         actor_user_id=signed_in_user().id, reason=form.reason.data)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _page(form=form, problem=error, status=error.status)
    session.commit()
    flash(f"Every claim of {record.name} is on hold: no payment run pays them until the hold is released.", "info")
    return redirect(url_for("holds.holds_page"))


@bp.route("/<int:hold_id>/release", methods=["POST"])
@requires("payments.manage")
def release(hold_id: int):
    form = ReleaseHoldForm(prefix=f"h{hold_id}")
    if not form.validate_on_submit():
        return _page(release=form, release_id=hold_id, status=400)
    session = get_session()
    try:
        record = hold_actions.release_by_id(session, hold_id, actor_user_id=signed_in_user().id, note=form.note.data)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _page(release=form, release_id=hold_id, problem=error, status=error.status)
    session.commit()
    what = f"claim {record.claim_id}" if record.claim_id else record.name
    flash(f"The hold on {what} is released: the next payment run can pay it.", "info")
    return redirect(url_for("holds.holds_page"))
