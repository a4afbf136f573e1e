"""A participant's own details: contact details, preferred format, bank details, and changes in their benefits.

Bank details change in two steps, as the GOV.UK pattern does for anything that moves money: the new details
are checked and shown back ("check your new details", masked but for what they typed), and only the second
button stores them (``set_bank_details``: encrypted, recorded as an event). The page then says when they
were changed. A change in benefits is a *report* for finance to review (``ledger.people.circumstances``),
never a declaration made by the participant's own hand.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ledger.auth.access import requires, signed_in_user
from ledger.context import get_session, settings, todays_date
from ledger.events.views import record_views_of_details, views_of
from ledger.formatting import long_date
from ledger.labels import BENEFIT_NAMES
from ledger.people import services as people
from ledger.people.bank import check_bank_details
from ledger.people.circumstances import circumstance_reports, report_circumstances
from ledger.people.contact import change_contact_details
from ledger.people.models import CIRCUMSTANCE_CHANGES
from ledger.web.date_inputs import DateInputsField
from ledger.web.own import act, on_the_form, own_participant_id, participant_page

bp = Blueprint("my_details", __name__, url_prefix="/my/details")

FORMAT_CHOICES = [SelectChoice("email", "Email"), SelectChoice("post", "Post"),
                  SelectChoice("large_print", "Large print"), SelectChoice("easy_read", "Easy read")]
CHANGE_CHOICES = dict(zip(CIRCUMSTANCE_CHANGES, ("I have started getting a benefit", "A benefit has stopped",
                                                 "Something else has changed"), strict=True))


class ContactForm(FlaskForm):
    email = StringField("Email address", validators=[Optional(), Length(max=254)], render_kw={"type": "email",
                                                                                             "autocomplete": "email"})
    phone = StringField("Phone number", validators=[Optional(), Length(max=40)], render_kw={"type": "tel",
                                                                                           "autocomplete": "tel"})
    postal_address = TextAreaField("Postal address", validators=[Optional(), Length(max=500)],
                                   render_kw={"autocomplete": "street-address", "rows": 4})
    access_needs = TextAreaField("What you need to take part (optional)", validators=[Optional(), Length(max=2000)],
                                 render_kw={"rows": 4})
    submit = SubmitField("Save your contact details")


class FormatForm(FlaskForm):
    preferred_format = RadioField("How would you like to get letters, statements and these pages?",
                                  choices=FORMAT_CHOICES,
                                  validators=[DataRequired(message="Choose how you would like to get them.")])
    submit = SubmitField("Save")


class BankForm(FlaskForm):
    account_name = StringField("Name on the account", validators=[DataRequired(message="Give the name on the "
                                                                                      "account."), Length(max=70)])
    sort_code = StringField("Sort code", validators=[DataRequired(message="Give the sort code, like 12-34-56.")],
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    account_number = StringField("Account number", validators=[DataRequired(
        message="Give the account number: 8 digits.")], render_kw={"inputmode": "numeric", "autocomplete": "off"})
    confirmed = HiddenField()
    submit = SubmitField("Continue")


class ReportForm(FlaskForm):
    change = RadioField("What has changed?", choices=[SelectChoice(k, v) for k, v in CHANGE_CHOICES.items()],
                        validators=[DataRequired(message="Choose what has changed.")])
    benefit = SelectField("Which benefit?", choices=[SelectChoice("", "Choose a benefit")] + [
        SelectChoice(k, v) for k, v in BENEFIT_NAMES.items()], validators=[Optional()])
    changed_on = DateInputsField("When did it change?", old_prefix="changed_on_", validators=[
        DataRequired(message="Give the date it changed, for example 1 12 2026.")])
    details = TextAreaField("Tell us more (optional if a benefit started or stopped)",
                            validators=[Optional(), Length(max=2000)], render_kw={"rows": 4})
    submit = SubmitField("Send to the finance team")


REPORT_FIELDS = {"changed_on": "changed_on"}


def _participant():
    return people.get_participant(get_session(), own_participant_id())


@bp.route("")
@requires("self")
def details():
    session = get_session()
    participant_id = own_participant_id()
    record = people.get_participant(session, participant_id)
    benefits = people.current_benefits(session, participant_id)
    reports = circumstance_reports(session, status=None, participant_id=participant_id)
    user_id = signed_in_user().id
    record_views_of_details(session, participant_id, shown_bank=record.bank_details is not None, actor_user_id=user_id)
    looks = views_of(session, participant_id, limit=50)
    session.commit()
    return participant_page("my/details.html", record, benefits=benefits, reports=reports, looks=looks,
                            own_id=user_id)


@bp.route("/contact", methods=["GET", "POST"])
@requires("self")
def contact_details():
    record = _participant()
    form = ContactForm() if request.method == "POST" else ContactForm(
        formdata=None, email=record.email, phone=record.phone, postal_address=record.postal_address,
        access_needs=record.access_needs)
    if request.method == "GET" or not form.validate_on_submit():
        return participant_page("my/contact.html", record, status=200 if request.method == "GET" else 400,
                                form=form)
    changes = {"email": form.email.data, "phone": form.phone.data, "postal_address": form.postal_address.data,
               "access_needs": form.access_needs.data}
    _, problem = act(lambda: change_contact_details(get_session(), record.id, changes,
                                                    actor_user_id=signed_in_user().id, today=todays_date()))
    if problem is not None:
        return participant_page("my/contact.html", record, status=problem.status, form=form, problem=problem)
    flash("Your contact details are saved.", "info")
    return redirect(url_for("my_details.details"))


@bp.route("/format", methods=["GET", "POST"])
@requires("self")
def preferred_format():
    record = _participant()
    form = FormatForm() if request.method == "POST" else FormatForm(formdata=None,
                                                                    preferred_format=record.preferred_format)
    if request.method == "GET" or not form.validate_on_submit():
        return participant_page("my/format.html", record, status=200 if request.method == "GET" else 400, form=form)
    _, problem = act(lambda: change_contact_details(
        get_session(), record.id, {"preferred_format": form.preferred_format.data},
        actor_user_id=signed_in_user().id, today=todays_date()))
    if problem is not None:
        return participant_page("my/format.html", record, status=problem.status, form=form, problem=problem)
    flash("Your preferred format is saved.", "info")
    return redirect(url_for("my_details.details"))


@bp.route("/bank", methods=["GET", "POST"])
@requires("self")
def bank_details():
    """Step one checks the new details and shows them back; step two (``confirmed``) stores them."""
    record = _participant()
    form = BankForm() if request.method == "POST" else BankForm(formdata=None)
    if request.method == "GET" or not form.validate_on_submit():
        return participant_page("my/bank.html", record, status=200 if request.method == "GET" else 400, form=form)
    if form.confirmed.data != "yes":
        checked, problem = act(lambda: check_bank_details(form.sort_code.data, form.account_number.data,
                                                          form.account_name.data))
        if problem is not None or checked is None:
            return participant_page("my/bank.html", record, status=400, form=form, problem=problem)
        return participant_page("my/bank_check.html", record, form=form, checked=checked)
    stored, problem = act(lambda: people.set_bank_details(
        get_session(), settings().bank_cipher, record.id, sort_code=form.sort_code.data,
        account_number=form.account_number.data, account_name=form.account_name.data,
        actor_user_id=signed_in_user().id))
    if problem is not None or stored is None or stored.bank_details is None:
        return participant_page("my/bank.html", record, status=getattr(problem, "status", 400), form=form,
                                problem=problem)
    changed = stored.bank_details.set_at.date() if stored.bank_details.set_at else todays_date()
    flash(f"Your bank details were changed on {long_date(changed)}. We will pay into the new account from "
          "now on.", "info")
    return redirect(url_for("my_details.details"))


@bp.route("/benefits", methods=["GET", "POST"])
@requires("self")
def report_change():
    """Tell us about a change in benefits or circumstances; finance reviews it before any check uses it."""
    record = _participant()
    form = ReportForm() if request.method == "POST" else ReportForm(formdata=None)
    if request.method == "GET":
        return participant_page("my/report_change.html", record, form=form)
    if not form.validate_on_submit():
        return participant_page("my/report_change.html", record, status=400, form=form)
    report, problem = act(lambda: report_circumstances(
        get_session(), record.id, change=form.change.data, benefit=form.benefit.data or None,
        changed_on=form.changed_on.data,
        details=form.details.data, actor_user_id=signed_in_user().id, today=todays_date()))
    if problem is not None or report is None:
        return participant_page("my/report_change.html", record, status=getattr(problem, "status", 400), form=form,
                                problem=on_the_form(problem, REPORT_FIELDS, form) if problem else None)
    return participant_page("my/report_sent.html", record, report=report)
