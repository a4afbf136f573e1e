"""A participant's own pages: what they are owed, their payments, claims, time credits, and their choice on a fee.

Every view reads the signed-in user's own participant record only; another participant's claim answers 404,
as if it did not exist (the services' ``for_participant_id`` does the refusing). Benefit checks are shown in
the words written for the participant (``explanation``), never the staff version. Pages are in large print
when that is the participant's preferred format.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from ledger.auth.access import requires, signed_in_user
from ledger.claims import services as claims
from ledger.context import get_session, settings, todays_date
from ledger.documents import issuing, render
from ledger.errors import Conflict, LedgerError, NotFound, ValidationError
from ledger.events.views import record_view
from ledger.formatting import hours, money, pounds
from ledger.labels import CHOICE_FOR_YOU, REST_FOR_YOU
from ledger.payments.runs import MAX_DAYS_AHEAD
from ledger.people import services as people
from ledger.reports import my_money as money_page
from ledger.reports.evidence_pack import evidence_pack_letter
from ledger.reports.remittances import remittance_advice
from ledger.reports.statements import participant_statement
from ledger.timebank import services as timebank
from ledger.web.auth_pages import safe_next
from ledger.web.date_inputs import DateInputsField
from ledger.web.issued import producer, send_issued
from ledger.web.my_documents import remittance_address, statement_address
from ledger.web.query_args import date_arg, page_arg
from policies.money import pounds_to_pence

bp = Blueprint("participant", __name__, url_prefix="/my")
#: What a participant changes about themselves (``/me/format``: how their pages and documents look).
me = Blueprint("me", __name__, url_prefix="/me")

#: A participant's preferred formats in their own words, for the switch on their pages.
FORMAT_FOR_YOU = {
    "email": "Standard print, letters by email",
    "post": "Standard print, letters by post",
    "large_print": "Large print: bigger text on these pages and in your letters",
    "easy_read": "Easy read: short sentences, one idea at a time",
}

# How much of their history the "My money" page and the statement show by default.
HISTORY_DAYS = 365
RECENT_PAYMENTS = 10
CLAIMS_PER_PAGE = 25  # "My money" lists their claims a page at a time (?page=2...)
EVIDENCE_DAYS = 90  # the evidence pack covers the last three months unless they choose


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


_POUNDS = re.compile(r"^-?\d{1,7}(\.\d{1,2})?$")


class ChoiceForm(FlaskForm):
    choice = RadioField("What would you like to happen to this fee?",
                        validators=[DataRequired(message="Choose what you would like to happen to this fee.")],
                        choices=[SelectChoice(value, label) for value, label in CHOICE_FOR_YOU.items()])
    amount = StringField("How much would you like, in pounds?")
    rest = RadioField("What should happen to the rest?", validators=[Optional()], validate_choice=False,
                      choices=[SelectChoice(value, label) for value, label in REST_FOR_YOU.items()])
    rest_group_id = SelectField("Which group should have the rest?", coerce=_optional_int, validate_choice=False)
    later_on = DateInputsField("From which day should we pay you the rest?", validators=[Optional()])
    group_id = SelectField("Which group should have the fee?", coerce=_optional_int, validate_choice=False)
    confirmed = HiddenField()
    submit = SubmitField("Continue")
    offered_pence = 0  # the fee's own figure, set by ``_offer``

    def validate(self, extra_validators=None) -> bool:
        """Check on the page what a person can put right here (the service checks the rest): the amount more
        than nothing and less than the fee, the rest, its group or day, the group for the whole fee."""
        valid = super().validate(extra_validators)
        need = []
        if self.choice.data == "take_less":
            problem = self._amount_problem()
            if problem:
                self.amount.errors = [*self.amount.errors, problem]
                valid = False
            need.append((self.rest_group_id, self.rest.data == "redirect" and self.rest_group_id.data is None,
                         "Choose the group to give the rest to."))
            need.append((self.later_on, self.rest.data == "later" and self.later_on.data is None
                         and not self.later_on.errors, "Give the day, for example 14 12 2026."))
        need.append((self.group_id, self.choice.data == "redirect" and self.group_id.data is None,
                     "Choose the group to give it to."))
        for f, missing, message in need:
            if missing:
                f.errors = [*f.errors, message]
                valid = False
        return valid

    def _amount_problem(self) -> str | None:
        text = (self.amount.data or "").strip().replace("£", "")
        if not text:
            return "Say how much you would like, in pounds."
        if not _POUNDS.match(text):
            return "Write the amount in pounds, like 20 or 20.00."
        pence = pounds_to_pence(text.lstrip("-")) * (-1 if text.startswith("-") else 1)
        if pence <= 0:
            return "The amount must be more than £0."
        if pence >= self.offered_pence:
            return (f"The amount must be less than the fee of {money(self.offered_pence)}. To have all of it, "
                    "choose \"Take the fee\".")
        return None

    def service_values(self) -> dict:
        """The choice as the claims service takes it: one group, the rest only when taking less."""
        taking_less = self.choice.data == "take_less"
        group = self.group_id.data if self.choice.data == "redirect" else (
            self.rest_group_id.data if taking_less and self.rest.data == "redirect" else None)
        amount = (self.amount.data or "").strip().replace("£", "") or None
        return {"choice": self.choice.data, "amount": amount if taking_less else None,
                "rest": (self.rest.data or "decline") if taking_less else None, "group_id": group,
                "later_on": self.later_on.data if taking_less and self.rest.data == "later" else None}


class ConfirmChoiceForm(FlaskForm):
    submit = SubmitField("Yes, record my choice")


class FormatForm(FlaskForm):
    preferred_format = RadioField("How would you like your pages and letters?", validators=[
                                  DataRequired(message="Choose how you would like your pages and letters.")],
                                  choices=[SelectChoice(value, label) for value, label in FORMAT_FOR_YOU.items()])
    next = HiddenField()
    submit = SubmitField("Save how my pages look")


def format_switch(participant, here: str) -> FormatForm:
    """The switch on a participant's pages, set to their preferred format, coming back to ``here``."""
    return FormatForm(formdata=None, prefix="format", preferred_format=participant.preferred_format, next=here)


def _own_participant_id() -> int:
    """The signed-in user's participant record, or NotFound when their sign-in is not linked to one."""
    participant_id = signed_in_user().participant_id
    if participant_id is None:
        raise NotFound("Your sign-in is not linked to a participant record, so there is no money of yours to "
                       "show. If you take part in projects, ask the finance team to link it.")
    return participant_id


def _page(template: str, participant, status: int = 200, **context):
    return render_template(template, participant=participant,
                           large_print=participant.preferred_format == "large_print",
                           easy_read=participant.preferred_format == "easy_read", **context), status


def _offer(form: ChoiceForm, record, session) -> None:
    """Put the fee's own figures in the choices, and the active groups in the list."""
    form.choice.choices = [
        SelectChoice("take", f"Take the fee: {money(record.offered_pence)}"),
        SelectChoice("take_less", "Take less: you say how much"),
        SelectChoice("decline", "Decline the fee: you will not be paid for this"),
        SelectChoice("redirect", "Give it to a user-led group: the group is paid instead of you"),
        SelectChoice("time_credits", f"Time credits instead: {hours(record.worked_minutes or 0)}"),
    ]
    form.group_id.choices = form.rest_group_id.choices = [SelectChoice("", "Choose a group")] + [
        SelectChoice(str(g.id), g.name) for g in people.list_groups(session)]
    form.offered_pence = record.offered_pence


def _effect_found(check) -> bool:
    """Whether the benefit check finds any effect: then no option is chosen for the participant."""
    return check is not None and any(e.effect != "none" for e in check.effects)


def _form_as_chosen(record, preview) -> ChoiceForm:
    """The choice form as the fee stands, or with nothing chosen when the check finds an effect on benefits."""
    if preview is not None and _effect_found(preview.policy):
        return ChoiceForm(formdata=None)
    split = record.choice == "take_less"
    return ChoiceForm(formdata=None, choice=record.choice, amount=pounds(record.amount_pence) if split else None,
                      rest=record.rest, later_on=record.later_on,
                      group_id=record.group_id if record.choice == "redirect" else None,
                      rest_group_id=record.group_id if split and record.rest == "redirect" else None)


@bp.route("/money")
@requires("self")
def my_money():
    participant_id = _own_participant_id()
    session = get_session()
    today = todays_date()
    page = page_arg()
    listed = claims.own_claims(session, participant_id, limit=CLAIMS_PER_PAGE + 1,
                               offset=(page - 1) * CLAIMS_PER_PAGE)
    start, end = today - dt.timedelta(days=HISTORY_DAYS), today + dt.timedelta(days=MAX_DAYS_AHEAD)
    statement = money_page.my_money(session, participant_id, start, end, recent=RECENT_PAYMENTS)
    participant = people.participant_summary(session, participant_id)  # their name and format: all it shows
    # Easy read tells the statement idea by idea, from the whole statement (as its PDF does).
    full = participant_statement(session, participant_id, start, end, organisation=settings().organisation,
                                 issued=today) if participant.preferred_format == "easy_read" else None
    return _page("participant/money.html", participant, full_statement=full,
                 statement=statement, claims=listed.claims[:CLAIMS_PER_PAGE], page=page,
                 more_claims=len(listed.claims) > CLAIMS_PER_PAGE,
                 time_credits=timebank.time_credit_history(session, participant_id), recent=RECENT_PAYMENTS,
                 groups=listed.group_names, statement_start=today.replace(month=1, day=1), statement_end=today,
                 evidence_start=today - dt.timedelta(days=EVIDENCE_DAYS))


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
        form = _form_as_chosen(record, preview)
    _offer(form, record, session)
    return _page("participant/claim.html", people.get_participant(session, participant_id), status=status,
                 claim=record, preview=preview, form=form, problem=problem,
                 groups={g.id: g.name for g in people.list_groups(session, include_inactive=True)})


def _on_the_form(error: LedgerError, form: ChoiceForm) -> LedgerError:
    """The service's refusal, with a group problem put next to the group asked for (the fee's or the rest's)."""
    fields = dict(error.fields)
    if "group_id" in fields and form.choice.data == "take_less":
        fields["rest_group_id"] = fields.pop("group_id")
    return type(error)(error.message, fields=fields)


@bp.route("/claims/<int:claim_id>/choice", methods=["POST"])
@requires("self")
def record_choice(claim_id: int):
    """Check the choice on the page, then show its benefit check to confirm, then record it."""
    participant_id = _own_participant_id()
    session = get_session()
    record = claims.get_claim(session, claim_id, for_participant_id=participant_id)
    form = ChoiceForm()
    _offer(form, record, session)
    if not form.validate_on_submit():
        return _claim_page(claim_id, form=form, status=400)
    values = form.service_values()
    try:
        if form.confirmed.data != "yes":
            check = claims.preview_choice(session, claim_id, **values, rules=settings().claim_rules,
                                          today=todays_date(), for_participant_id=participant_id)
            return _page("participant/confirm_choice.html", people.get_participant(session, participant_id),
                         claim=record, form=ConfirmChoiceForm(formdata=None), chosen=form, check=check)
        record = claims.record_choice(session, claim_id, **values, actor_user_id=signed_in_user().id,
                                      for_participant_id=participant_id, rules=settings().claim_rules,
                                      today=todays_date())
    except (ValidationError, Conflict, NotFound) as error:
        session.rollback()
        return _claim_page(claim_id, form=form, problem=_on_the_form(error, form), status=error.status)
    session.commit()
    assert record.choice is not None  # record_choice always leaves the fee with a choice
    flash(f"Your choice is recorded: {CHOICE_FOR_YOU[record.choice].lower()}. You can change it until the fee "
          "is approved.", "info")
    return redirect(url_for("participant.claim", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/receipts/<int:receipt_id>")
@requires("self")
def receipt(claim_id: int, receipt_id: int):
    session = get_session()
    record, data = claims.receipt_file(session, claim_id, receipt_id, for_participant_id=_own_participant_id(),
                                       viewed_by_user_id=signed_in_user().id)
    session.commit()  # the view of the receipt is kept
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
    preferred = people.get_participant(session, participant_id).preferred_format
    issued = issuing.issue_statement(session, doc, producer=producer(), large_print=preferred == "large_print",
                                     easy_read=preferred == "easy_read", web_address=statement_address(start, end))
    return send_issued(issued, f"statement-{doc.participant.reference}-{start}-{end}.pdf")


@bp.route("/payment-runs/<int:run_id>/remittance.pdf")
@requires("self")
def remittance_pdf(run_id: int):
    """The participant's own remittance advice for a confirmed run: what they were paid, claim by claim."""
    participant_id = _own_participant_id()
    session = get_session()
    doc = remittance_advice(session, run_id, "participant", participant_id, organisation=settings().organisation)
    preferred = people.get_participant(session, participant_id).preferred_format
    issued = issuing.issue_remittance(session, doc, producer=producer(), issued_on=todays_date(),
                                      large_print=preferred == "large_print", easy_read=preferred == "easy_read",
                                      web_address=remittance_address(run_id))
    return send_issued(issued, render.remittance_filename(doc))


@bp.route("/evidence-pack.pdf")
@requires("self")
def evidence_pack_pdf():
    """Their own benefits evidence pack, signed by the organisation's officer (or the finance team)."""
    participant_id = _own_participant_id()
    session = get_session()
    today = todays_date()
    start, end = date_arg("start", today - dt.timedelta(days=EVIDENCE_DAYS)), date_arg("end", today)
    signatory, organisation = settings().signatory, settings().organisation
    doc = evidence_pack_letter(session, participant_id, start, end, settings=settings(), issued=today,
                               signed_by=signatory.name or "Finance team", role=signatory.role or organisation.name)
    large = request.args.get("large_print") in ("1", "on", "true", "yes") or \
        people.get_participant(session, participant_id).preferred_format == "large_print"
    record_view(session, participant_id=participant_id, what="evidence_pack", channel="pdf",
                actor_user_id=signed_in_user().id)
    issued = issuing.issue_evidence_pack(session, doc, producer=producer(), large_print=large)
    return send_issued(issued, f"benefits-evidence-{doc.participant.reference}-{start}-{end}.pdf")


@me.route("/format", methods=["POST"])
@requires("self")
def change_format():
    """Record the participant's own choice of format, then show the page they were on in it."""
    participant_id = _own_participant_id()
    form = FormatForm(prefix="format")
    if not form.validate_on_submit():
        raise ValidationError("Choose how you would like your pages and letters (preferred format), then save.",
                              fields={"format-preferred_format": list(form.preferred_format.errors) or ["Choose one."]})
    session = get_session()
    record = people.change_preferred_format(session, participant_id, form.preferred_format.data,
                                            actor_user_id=signed_in_user().id, today=todays_date())
    session.commit()
    flash(f"Saved: {FORMAT_FOR_YOU[record.preferred_format].split(':')[0].lower()}.", "info")
    return redirect(safe_next(form.next.data))
