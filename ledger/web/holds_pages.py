"""Finance's holds page: every hold in force (claims and payees), a form to hold a participant or group, and
a release button with a note beside each hold. Claims are held from their own page (``finance_pages``).

Each form posts to a route that calls one service function and commits once; a refusal is shown above the
form with what was typed kept, and the field it concerns is marked.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ledger.auth.access import requires, signed_in_user
from ledger.context import get_session
from ledger.errors import Conflict, LedgerError, NotFound, ValidationError
from ledger.payments import hold_actions, holds
from ledger.people import services as people

bp = Blueprint("holds", __name__, url_prefix="/finance/holds")

_SHOWN_ON_THE_FORM = (ValidationError, Conflict, NotFound)


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class HoldPayeeForm(FlaskForm):
    """Who to hold, picked by name; ``payee_id`` (the record number) is still read from older clients."""

    payee_kind = RadioField("Who is held", default="participant", validators=[DataRequired()],
                            choices=[SelectChoice("participant", "A participant"),
                                     SelectChoice("group", "A user-led group")])
    participant_id = SelectField("Which participant", coerce=_optional_int, validate_choice=False,
                                 validators=[Optional()])
    group_id = SelectField("Which group", coerce=_optional_int, validate_choice=False, validators=[Optional()])
    payee_id = IntegerField("Their id number", validators=[Optional(), NumberRange(min=1)])
    reason = TextAreaField("Why are they held?", validators=[DataRequired(), Length(max=holds.MAX_TEXT)])
    submit = SubmitField("Hold every claim of this payee")

    def chosen_id(self) -> int | None:
        """The payee picked for the kind chosen, or the record number an older client sent."""
        picked = self.group_id.data if self.payee_kind.data == "group" else self.participant_id.data
        return picked or self.payee_id.data

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.chosen_id() is None:
            pick = self.group_id if self.payee_kind.data == "group" else self.participant_id
            pick.errors = [*pick.errors, "Choose who to hold."]
            return False
        return valid


def _beside_picker(error: LedgerError, form: HoldPayeeForm) -> LedgerError:
    """The service names the payee's record number (``payee_id``); the page asks by name, so say it there."""
    pick = form.group_id if form.payee_kind.data == "group" else form.participant_id
    return type(error)(error.message, fields={(pick.name if name == "payee_id" else name): found
                                              for name, found in (error.fields or {}).items()})


def _payee_choices(form: HoldPayeeForm) -> HoldPayeeForm:
    """Offer every participant and user-led group by name."""
    session = get_session()
    form.participant_id.choices = [SelectChoice("", "Choose a participant")] + [
        SelectChoice(p.id, p.name) for p in people.list_participants(session)]
    form.group_id.choices = [SelectChoice("", "Choose a group")] + [
        SelectChoice(g.id, g.name) for g in people.list_groups(session)]
    return form


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
        form=_payee_choices(form or HoldPayeeForm(formdata=None)), release_forms=forms, release_id=release_id,
    ), status


@bp.route("")
@requires("payments.manage")
def holds_page():
    return _page()


@bp.route("/payee", methods=["POST"])
@requires("payments.manage")
def hold_payee():
    form = _payee_choices(HoldPayeeForm())
    if not form.validate_on_submit():
        return _page(form=form, status=400)
    session = get_session()
    try:
        record = hold_actions.hold_payee(session, form.payee_kind.data, form.chosen_id(),
                                         actor_user_id=signed_in_user().id, reason=form.reason.data)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _page(form=form, problem=_beside_picker(error, form), status=error.status)
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
