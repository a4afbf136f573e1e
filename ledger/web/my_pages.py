"""A participant's home of tasks, their claims with when each is paid, and their time credits.

The home page answers "what do I need to do, and when will I be paid?" (``ledger.reports.participant_home``);
every task links to the one page that does it. Time credits: the balance and history, then one page to spend
them at a partner and one to give them to a group or a person.
"""

from __future__ import annotations

import re
from decimal import Decimal

from flask import Blueprint, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ledger.auth.access import requires, signed_in_user
from ledger.context import get_session, settings, todays_date
from ledger.formatting import hours
from ledger.people import services as people
from ledger.reports.participant_home import participant_home
from ledger.timebank import services as timebank
from ledger.timebank.own import give_own_time_credits
from ledger.web.own import act, new_request_key, on_the_form, own_participant_id, participant_page

bp = Blueprint("my", __name__, url_prefix="/my")

_HOURS = re.compile(r"^\d{1,4}(\.\d{1,2})?$")
MOVEMENT_FIELDS = {"minutes": "hours", "partner_id": "partner_id", "to_group_id": "group_id",
                   "to_participant_id": "email", "on": "hours", "note": "note"}


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class _HoursForm(FlaskForm):
    hours = StringField("How many hours of time credits?",
                        validators=[DataRequired(message="Say how many hours, like 2 or 1.5.")])
    note = StringField("A note for your records (optional)", validators=[Optional(), Length(max=200)])
    key = HiddenField()
    minutes = 0

    def validate_hours(self, field) -> None:
        """Whole or part hours (1.5 is an hour and a half), to the minute."""
        text = (field.data or "").strip()
        if not _HOURS.match(text):
            raise ValueError("Write the hours as a number, like 2 or 1.5.")
        minutes = Decimal(text) * 60
        if minutes <= 0 or minutes != minutes.to_integral_value():
            raise ValueError("Give more than 0 hours, to the minute (like 1.5 or 0.25).")
        self.minutes = int(minutes)


class SpendForm(_HoursForm):
    partner_id = RadioField("Where are you spending them?", coerce=_optional_int,
                            validators=[DataRequired(message="Choose where you are spending them.")])
    submit = SubmitField("Spend time credits")


class GiveForm(_HoursForm):
    to = RadioField("Who are you giving them to?", choices=[SelectChoice("group", "A user-led group"),
                                                           SelectChoice("person", "Another person who takes part")],
                    validators=[DataRequired(message="Choose who you are giving them to.")])
    group_id = SelectField("Which group?", coerce=_optional_int, validate_choice=False)
    email = StringField("Their email address", validators=[Optional(), Length(max=254)])
    submit = SubmitField("Give time credits")


@bp.route("")
@requires("self")
def home():
    """The participant's tasks and their next payment."""
    view = participant_home(get_session(), own_participant_id(), todays_date())
    return participant_page("my/home.html", view.participant, home=view, today=todays_date())


@bp.route("/claims")
@requires("self")
def claims_list():
    """Their claims with status and when each is paid."""
    view = participant_home(get_session(), own_participant_id(), todays_date())
    return participant_page("my/claims.html", view.participant, home=view)


def _time_credits_page(template: str, status: int = 200, **context):
    session = get_session()
    participant_id = own_participant_id()
    return participant_page(template, people.get_participant(session, participant_id), status=status,
                            time_credits=timebank.time_credit_history(session, participant_id), **context)


@bp.route("/time-credits")
@requires("self")
def time_credits():
    return _time_credits_page("my/time_credits.html")


def _spend_form(form: SpendForm | None = None) -> SpendForm:
    form = form or SpendForm(formdata=None, key=new_request_key())
    form.partner_id.choices = [SelectChoice(p.id, p.name) for p in people.list_partners(get_session())]
    return form


@bp.route("/time-credits/spend", methods=["GET", "POST"])
@requires("self")
def spend_time_credits():
    form = _spend_form(SpendForm() if _posted() else None)
    if not _posted():
        return _time_credits_page("my/spend_time_credits.html", form=form)
    if not form.validate_on_submit():
        return _time_credits_page("my/spend_time_credits.html", form=form, status=400)
    today = todays_date()
    record, problem = act(lambda: timebank.spend_time_credits(
        get_session(), own_participant_id(), form.partner_id.data, form.minutes, today, form.note.data or None,
        f"my-spend:{form.key.data}", signed_in_user().id, settings().time_credit_overdraft_minutes, today=today,
        by_participant=True))
    if problem is not None:
        return _time_credits_page("my/spend_time_credits.html", form=form, status=problem.status,
                                  problem=on_the_form(problem, MOVEMENT_FIELDS, form))
    flash(f"You spent {hours(form.minutes)} of time credits. You now have {hours(record.balance_minutes)}.", "info")
    return redirect(url_for("my.time_credits"))


def _give_form(form: GiveForm | None = None) -> GiveForm:
    form = form or GiveForm(formdata=None, key=new_request_key())
    form.group_id.choices = [SelectChoice("", "Choose a group")] + [
        SelectChoice(str(g.id), g.name) for g in people.list_groups(get_session())]
    return form


@bp.route("/time-credits/give", methods=["GET", "POST"])
@requires("self")
def give_time_credits():
    form = _give_form(GiveForm() if _posted() else None)
    if not _posted():
        return _time_credits_page("my/give_time_credits.html", form=form)
    if not form.validate_on_submit():
        return _time_credits_page("my/give_time_credits.html", form=form, status=400)
    today = todays_date()
    record, problem = act(lambda: give_own_time_credits(
        get_session(), own_participant_id(), to=form.to.data, group_id=form.group_id.data, email=form.email.data,
        minutes=form.minutes, on=today, note=form.note.data or None, idempotency_key=f"my-give:{form.key.data}",
        actor_user_id=signed_in_user().id, overdraft_limit_minutes=settings().time_credit_overdraft_minutes,
        today=today))
    if problem is not None:
        return _time_credits_page("my/give_time_credits.html", form=form, status=problem.status,
                                  problem=on_the_form(problem, MOVEMENT_FIELDS, form))
    flash(f"You gave {hours(form.minutes)} of time credits. You now have {hours(record.balance_minutes)}.", "info")
    return redirect(url_for("my.time_credits"))


def _posted() -> bool:
    return request.method == "POST"
