"""A participant claims their own expenses: what for, the expenses with a receipt each, check, sent.

1. *What is it for?* (``/my/expenses/new``): the activity, and how many things they are claiming for. A GET
   form, so the back button and a bookmark work and nothing is written.
2. *Your expenses* (``/new/lines``): one group of questions per expense (kind, what it was, the day, the
   amount, a photo or PDF of the receipt; ``accept="image/*,application/pdf"`` makes a phone offer its
   camera). The claim, its lines and its receipts are kept as a draft in one transaction, or not at all.
3. *Check your answers* (``/<id>/check``): the draft as kept, and the button that sends it for approval.
4. *Sent* (``/<id>/submitted``): a confirmation panel, and when the money could arrive.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from ledger.auth.access import requires, signed_in_user
from ledger.claims import services as claims
from ledger.claims.models import EXPENSE_CATEGORIES
from ledger.claims.own_expenses import ReceiptUpload, activities_to_claim_for, claim_own_expenses
from ledger.context import get_session, settings, todays_date
from ledger.labels import EXPENSE_CATEGORY_LABELS
from ledger.people import services as people
from ledger.reports.participant_home import expected_payments
from ledger.web.date_inputs import DateInputsField
from ledger.web.own import act, new_request_key, on_the_form, own_participant_id, participant_page

bp = Blueprint("my_expenses", __name__, url_prefix="/my/expenses")

MAX_LINES = 5
#: Every kind of expense, mileage included: a mileage line gives the miles and what was driven or ridden, and
#: is priced from the dated mileage rates (no receipt needed), so the person never works out the pence.
KINDS = [SelectChoice(k, EXPENSE_CATEGORY_LABELS.get(k, k)) for k in EXPENSE_CATEGORIES]
VEHICLE_CHOICES = [SelectChoice("car", "Car"), SelectChoice("van", "Van"), SelectChoice("motorcycle", "Motorbike"),
                   SelectChoice("bicycle", "Bicycle")]


def _listed(message: str):
    """A choice must be one of those offered, said in words a person can act on (not "Not a valid choice")."""
    def check(form, field) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise StopValidation(message)
    return check


class StartForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it only chooses what the next page asks

    activity_id = RadioField("What are you claiming expenses for?", coerce=int, validate_choice=False,
                             validators=[DataRequired(message="Choose the activity you are claiming for."),
                                         _listed("Choose one of the activities listed: you can claim for the "
                                                 "ones you came to in the last few months.")])
    lines = RadioField("How many things are you claiming for?", coerce=int, default=1,
                       choices=[SelectChoice(n, f"{n}") for n in range(1, MAX_LINES + 1)],
                       validators=[DataRequired(message="Choose how many things you are claiming for.")])
    submit = SubmitField("Continue")


class _LinesForm(FlaskForm):
    count = 1
    key = HiddenField()
    submit = SubmitField("Continue")

    def service_lines(self) -> tuple[list[dict], list[ReceiptUpload | None]]:
        lines, receipts = [], []
        for n in range(1, self.count + 1):
            line = {"category": self[f"line{n}_category"].data, "incurred_on": self[f"line{n}_date"].data,
                    "description": self[f"line{n}_description"].data}
            if line["category"] == "mileage":
                line.update(miles=(self[f"line{n}_miles"].data or "").strip(), vehicle=self[f"line{n}_vehicle"].data)
            else:
                line["amount"] = (self[f"line{n}_amount"].data or "").strip().lstrip("£")
            lines.append(line)
            upload = self[f"line{n}_receipt"].data
            receipts.append(ReceiptUpload(upload.filename or "receipt", upload.read())
                            if upload and upload.filename else None)
        return lines, receipts


def _is_mileage(form, n: int) -> bool:
    return form[f"line{n}_category"].data == "mileage"


def _needed_unless_mileage(n: int, message: str):
    """The amount is asked for every kind but mileage, which the rates price from the miles."""
    def check(form, field) -> None:
        if not _is_mileage(form, n) and not (field.data or "").strip():
            raise StopValidation(message)
    return check


def _needed_for_mileage(n: int, message: str):
    def check(form, field) -> None:
        if _is_mileage(form, n) and not (field.data or "").strip():
            raise StopValidation(message)
    return check


def _lines_form_class(count: int) -> type[_LinesForm]:
    """A form with ``count`` groups of questions, named ``line1_amount`` and so on, so each error has its field."""
    fields: dict[str, object] = {"count": count}
    for n in range(1, count + 1):
        which = f" (expense {n})" if count > 1 else ""  # so each message in the error summary is its own
        fields[f"line{n}_category"] = SelectField(f"What kind of expense?{which}", choices=KINDS)
        fields[f"line{n}_description"] = StringField(f"What was it?{which}", validators=[
            DataRequired(message="Say what the expense was, like \"bus to the town hall\"."), Length(max=500)])
        fields[f"line{n}_date"] = DateInputsField(f"When did you pay?{which}", old_prefix=f"line{n}_", validators=[
            DataRequired(message="Give the date of the expense.")])
        fields[f"line{n}_amount"] = StringField(f"Amount, in pounds{which}", validators=[
            _needed_unless_mileage(n, "Say how much it cost, like 4.50.")])
        fields[f"line{n}_miles"] = StringField(f"Miles, if you drove or rode{which}", validators=[
            _needed_for_mileage(n, "Say how many miles you drove or rode, like 12.")])
        fields[f"line{n}_vehicle"] = SelectField(f"What did you drive or ride?{which}", choices=VEHICLE_CHOICES,
                                                default="car")
        fields[f"line{n}_receipt"] = FileField(f"Photo or PDF of the receipt{which}",
                                               render_kw={"accept": "image/*,application/pdf"})
    return type(f"LinesForm{count}", (_LinesForm,), fields)


LINES_FORMS = {n: _lines_form_class(n) for n in range(1, MAX_LINES + 1)}


def _service_names(count: int) -> dict[str, str]:
    names = {}
    for n in range(1, count + 1):
        for service, form in (("category", "category"), ("description", "description"), ("incurred_on", "date"),
                              ("amount", "amount"), ("receipt", "receipt")):
            names[f"lines.{n - 1}.{service}"] = f"line{n}_{form}"
        names[f"lines.{n - 1}.miles"] = f"line{n}_miles"
        names[f"lines.{n - 1}.vehicle"] = f"line{n}_vehicle"
    return names


def _start_form(formdata=None) -> StartForm:
    form = StartForm(formdata=formdata)
    form.activity_id.choices = [
        SelectChoice(a.id, f"{a.title}, {a.occurs_on.day} {a.occurs_on:%B %Y}")
        for a in activities_to_claim_for(get_session(), own_participant_id(), todays_date())]
    return form


def _participant():
    return people.get_participant(get_session(), own_participant_id())


@bp.route("/new")
@requires("self")
def start():
    return participant_page("my/expense_start.html", _participant(), form=_start_form())


@bp.route("/new/lines", methods=["GET", "POST"])
@requires("self")
def lines():
    start_form = _start_form(request.args)
    if not start_form.validate():
        return participant_page("my/expense_start.html", _participant(), status=400, form=start_form)
    count = start_form.lines.data
    form = LINES_FORMS[count]() if request.method == "POST" else LINES_FORMS[count](formdata=None,
                                                                                    key=new_request_key())
    activity = next(c.label for c in start_form.activity_id.choices if c.value == start_form.activity_id.data)
    page = {"form": form, "start": start_form, "activity": activity, "count": count,
            "threshold": settings().claim_rules.receipt_required_above_pence or 0}
    if request.method == "GET":
        return participant_page("my/expense_lines.html", _participant(), **page)
    if not form.validate_on_submit():
        return participant_page("my/expense_lines.html", _participant(), status=400, **page)
    lines_in, receipts = form.service_lines()
    record, problem = act(lambda: claim_own_expenses(
        get_session(), participant_id=own_participant_id(), activity_id=start_form.activity_id.data,
        lines=lines_in, receipts=receipts, idempotency_key=f"my-expenses:{form.key.data}",
        actor_user_id=signed_in_user().id, rules=settings().claim_rules, today=todays_date()))
    if problem is not None or record is None:
        return participant_page("my/expense_lines.html", _participant(), status=getattr(problem, "status", 400),
                                problem=on_the_form(problem, _service_names(count), form) if problem else None, **page)
    return redirect(url_for("my_expenses.check", claim_id=record.id))


class SendForm(FlaskForm):
    """Sending the claim; one that looks like a claim already sent goes only when they say why it is not."""

    confirm_duplicate = BooleanField("This is a different cost, not one I have claimed already")
    duplicate_reason = TextAreaField("Why is it different?", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Send the claim")


#: The refusal that asks the participant to confirm a likely duplicate (``ledger.claims.controls``).
DUPLICATE_FIELDS = ("confirm_duplicate", "duplicate_reason")


@bp.route("/<int:claim_id>/check", methods=["GET", "POST"])
@requires("self")
def check(claim_id: int):
    """Check your answers; the button sends the claim for approval."""
    participant_id = own_participant_id()
    session = get_session()
    record = claims.get_claim(session, claim_id, for_participant_id=participant_id)
    form = SendForm()
    problem, status = None, 200
    if request.method == "POST" and form.validate_on_submit():
        sent, problem = act(lambda: claims.submit_claim(
            get_session(), claim_id, actor_user_id=signed_in_user().id, actor_participant_id=participant_id,
            confirm_duplicate=bool(form.confirm_duplicate.data), duplicate_reason=form.duplicate_reason.data or None))
        if sent is not None:
            return redirect(url_for("my_expenses.submitted", claim_id=claim_id))
        status = problem.status if problem else 200
    elif request.method == "POST":
        status = 400
    asks_why = bool(form.duplicate_reason.errors) or (problem is not None and bool(set(DUPLICATE_FIELDS)
                                                                                   & set(problem.fields)))
    return participant_page("my/expense_check.html", _participant(), status=status, claim=record, form=form,
                            problem=problem, asks_why=asks_why)


@bp.route("/<int:claim_id>/submitted")
@requires("self")
def submitted(claim_id: int):
    record = claims.get_claim(get_session(), claim_id, for_participant_id=own_participant_id())
    expected = expected_payments(get_session(), [record], todays_date())[record.id]
    return participant_page("my/expense_submitted.html", _participant(), claim=record, expected=expected)
