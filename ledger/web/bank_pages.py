"""Finance's bank statement pages: import a file (a preset, or a column-mapping step), the unmatched queue with
each suggestion to confirm, a line's page (match by hand with a reason, or unmatch), and the reconciliation for
any day.

Each form posts to a route that calls one service function and commits once; a refusal is shown on the page
with the field it concerns marked, and nothing is written. The mapping step carries the uploaded file in the
form itself (base64), so nothing is kept between the two steps but what the page holds.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ledger.auth.access import requires, signed_in_user
from ledger.banking import parsing, reconciliation, services
from ledger.banking.models import MATCH_KINDS
from ledger.banking.records import ImportResult
from ledger.banking.workflow import STATUSES
from ledger.context import get_session, todays_date
from ledger.errors import Conflict, LedgerError, NotFound, ValidationError
from ledger.web.query_args import date_arg

bp = Blueprint("bank", __name__, url_prefix="/finance/bank-statements")

_SHOWN_ON_THE_FORM = (ValidationError, Conflict, NotFound)
_CUSTOM = ""
KIND_LABELS = {"payment_run": "A payment run's Bacs total", "payment": "One payee's payment in a run",
               "payment_return": "A payment the bank returned", "entry": "Another entry on the bank account"}


def _pence_or_none(value):
    return None if value in (None, "") else value


class UploadForm(FlaskForm):
    file = FileField("Statement file (CSV or OFX)")
    preset = SelectField("Your bank's CSV layout", default=_CUSTOM, choices=[
        SelectChoice(_CUSTOM, "My bank is not listed: I will choose the columns"),
        *(SelectChoice(p.name, p.label) for p in parsing.PRESETS.values())])
    account = StringField("Account (sort code and number)", validators=[Optional(), Length(max=services.MAX_ACCOUNT)])
    opening_balance = StringField("Balance before the first line, in pounds", validators=[Optional(), Length(max=20)])
    submit = SubmitField("Import the statement")


class MappingForm(FlaskForm):
    content = HiddenField()
    filename = HiddenField()
    account = HiddenField()
    opening_balance = HiddenField()
    date = SelectField("Date", validate_choice=False)
    date_format = SelectField("How the dates are written", default="dd/mm/yyyy",
                              choices=[SelectChoice(k, k) for k in parsing.DATE_FORMATS])
    description = SelectField("Description", validate_choice=False)
    amount = SelectField("Amount (money in positive, money out negative)", validate_choice=False)
    paid_in = SelectField("Or: paid in", validate_choice=False)
    paid_out = SelectField("And: paid out", validate_choice=False)
    balance = SelectField("Balance (optional)", validate_choice=False)
    reference = SelectField("Reference or type (optional)", validate_choice=False)
    submit = SubmitField("Import with these columns")

    def choose_from(self, headers: tuple[str, ...]) -> MappingForm:
        options = [SelectChoice("", "Not in this file"), *(SelectChoice(h, h) for h in headers if h)]
        for f in (self.date, self.description, self.amount, self.paid_in, self.paid_out, self.balance,
                  self.reference):
            f.choices = options
        return self

    def mapping(self) -> dict[str, str]:
        return {k: getattr(self, k).data or "" for k in ("date", "description", "amount", "paid_in", "paid_out",
                                                          "balance", "reference", "date_format")}


class MatchForm(FlaskForm):
    kind = SelectField("What the line is", choices=[SelectChoice(k, KIND_LABELS[k]) for k in MATCH_KINDS])
    target_id = IntegerField("Its number (the run, payment, returned payment or entry)",
                             validators=[DataRequired(), NumberRange(min=1)])
    reason = TextAreaField("Why this match?", validators=[DataRequired(), Length(max=services.MAX_REASON)])
    submit = SubmitField("Match the line")


class UnmatchForm(FlaskForm):
    reason = TextAreaField("Why unmatch it?", validators=[DataRequired(), Length(max=services.MAX_REASON)])
    submit = SubmitField("Unmatch the line")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm")


def _opening(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return parsing.pence(text)
    except ValueError:
        raise ValidationError("Write the opening balance in pounds and pence, like 1250.00 or -30.50.",
                              fields={"opening_balance": ["Write it in pounds and pence, like 1250.00."]}) from None


def _home(*, form: UploadForm | None = None, problem: LedgerError | None = None, status: int = 200):
    session = get_session()
    waiting, suggested = services.unmatched_summary(session)
    return render_template("finance/bank_statements.html", form=form or UploadForm(formdata=None),
                           statements=services.list_statements(session), waiting=waiting, suggested=suggested,
                           problem=problem), status


@bp.route("")
@requires("books.read")
def statements():
    return _home()


def _imported(result: ImportResult):
    flash(result.message, "info")
    return redirect(url_for("bank.queue"))


def _mapping_page(form: MappingForm, headers: tuple[str, ...], problem: LedgerError | None = None,
                  status: int = 200):
    return render_template("finance/bank_mapping.html", form=form.choose_from(headers), headers=headers,
                           problem=problem), status


def _guess(form: MappingForm, headers: tuple[str, ...]) -> MappingForm:
    """Preselect the columns whose names say what they are."""
    lowered = {h.lower(): h for h in headers}
    for part, names in (("date", ("date", "transaction date")), ("description", ("description", "memo", "name",
                                                                                 "details")),
                        ("amount", ("amount", "value")), ("balance", ("balance",))):
        getattr(form, part).data = next((lowered[n] for n in names if n in lowered), "")
    return form


@bp.route("/upload", methods=["POST"])
@requires("payments.manage")
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _home(form=form, status=400)
    upload = request.files.get(form.file.name)
    data = upload.read(parsing.MAX_BYTES + 1) if upload else b""
    filename = (upload.filename if upload else "") or "statement"
    session = get_session()
    try:
        opening = _opening(form.opening_balance.data)
        if data and not form.preset.data and not parsing.looks_like_ofx(data):
            headers = parsing.headers_of(data)
            step = MappingForm(formdata=None, content=base64.b64encode(data).decode(), filename=filename,
                               account=form.account.data or "", opening_balance=form.opening_balance.data or "")
            return _mapping_page(_guess(step, headers), headers)
        result = services.import_statement(session, data, filename=filename, preset=form.preset.data or None,
                                           account=form.account.data or None, opening_balance_pence=opening,
                                           actor_user_id=signed_in_user().id)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _home(form=form, problem=error, status=error.status)
    session.commit()
    return _imported(result)


@bp.route("/map", methods=["POST"])
@requires("payments.manage")
def map_columns():
    form = MappingForm()
    try:
        data = base64.b64decode(form.content.data or "", validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        flash("The file was lost between the two steps: choose it again.", "error")
        return redirect(url_for("bank.statements"))
    session = get_session()
    headers = parsing.headers_of(data)
    if not form.validate_on_submit():
        return _mapping_page(form, headers, status=400)
    try:
        result = services.import_statement(session, data, filename=form.filename.data or "statement",
                                           mapping=form.mapping(), account=form.account.data or None,
                                           opening_balance_pence=_opening(form.opening_balance.data),
                                           actor_user_id=signed_in_user().id)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _mapping_page(form, headers, problem=error, status=error.status)
    session.commit()
    return _imported(result)


@bp.route("/lines")
@requires("books.read")
def queue():
    status = request.args.get("status", "unmatched")
    if status not in STATUSES:
        status = "unmatched"
    page = services.list_lines(get_session(), status=status, cursor=request.args.get("cursor") or None, limit=50)
    waiting, suggested = services.unmatched_summary(get_session())
    return render_template("finance/bank_queue.html", page=page, status=status, waiting=waiting,
                           suggested=suggested, confirm_form=ConfirmForm(formdata=None), kinds=KIND_LABELS)


def _line_page(line_id: int, *, match: MatchForm | None = None, unmatch: UnmatchForm | None = None,
               problem: LedgerError | None = None, status: int = 200):
    session = get_session()
    line = services.line_record(session, line_id)
    found = services.candidates(session, line_id) if line.status == "unmatched" else []
    return render_template("finance/bank_line.html", line=line, candidates=found, kinds=KIND_LABELS,
                           match_form=match or MatchForm(formdata=None), unmatch_form=unmatch or UnmatchForm(
                               formdata=None), confirm_form=ConfirmForm(formdata=None), problem=problem), status


@bp.route("/suggest", methods=["POST"])
@requires("payments.manage")
def suggest_again():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("bank.queue"))
    session = get_session()
    suggested = services.refresh_suggestions(session)
    session.commit()
    flash(f"{suggested} unmatched line(s) have a suggested match.", "info")
    return redirect(url_for("bank.queue"))


@bp.route("/lines/<int:line_id>")
@requires("books.read")
def line(line_id: int):
    return _line_page(line_id)


@bp.route("/lines/<int:line_id>/confirm", methods=["POST"])
@requires("payments.manage")
def confirm(line_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _line_page(line_id, status=400)
    session = get_session()
    try:
        record = services.confirm_suggestion(session, line_id, actor_user_id=signed_in_user().id)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _line_page(line_id, problem=error, status=error.status)
    session.commit()
    flash(f"Line {record.id} ({record.description}) is matched.", "info")
    back = request.form.get("back") or ""
    # Only back to a page of this site: a path, never another host ("//elsewhere" or "https://...").
    return redirect(back if back.startswith("/") and not back.startswith("//") else url_for("bank.queue"))


@bp.route("/lines/<int:line_id>/match", methods=["POST"])
@requires("payments.manage")
def match(line_id: int):
    form = MatchForm()
    if not form.validate_on_submit():
        return _line_page(line_id, match=form, status=400)
    session = get_session()
    try:
        services.match_line(session, line_id, kind=form.kind.data, target_id=form.target_id.data,
                            reason=form.reason.data, actor_user_id=signed_in_user().id)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _line_page(line_id, match=form, problem=error, status=error.status)
    session.commit()
    flash(f"Line {line_id} is matched.", "info")
    return redirect(url_for("bank.line", line_id=line_id))


@bp.route("/lines/<int:line_id>/unmatch", methods=["POST"])
@requires("payments.manage")
def unmatch(line_id: int):
    form = UnmatchForm()
    if not form.validate_on_submit():
        return _line_page(line_id, unmatch=form, status=400)
    session = get_session()
    try:
        services.unmatch_line(session, line_id, reason=form.reason.data, actor_user_id=signed_in_user().id)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _line_page(line_id, unmatch=form, problem=error, status=error.status)
    session.commit()
    flash(f"Line {line_id} is back in the unmatched queue.", "info")
    return redirect(url_for("bank.line", line_id=line_id))


@bp.route("/reconciliation")
@requires("books.read")
def reconciliation_report():
    problem = None
    report = None
    try:
        day = date_arg("date", todays_date())
        report = reconciliation.reconcile(get_session(), day)
    except ValidationError as error:
        problem, day = error, todays_date()
    return render_template("finance/bank_reconciliation.html", report=report, day=day, problem=problem), \
        400 if problem and problem.fields.get("date") and request.args else 200


@bp.route("/reconciliation.csv")
@requires("books.read")
def reconciliation_csv():
    day = date_arg("date", todays_date())
    body = reconciliation.reconciliation_csv(reconciliation.reconcile(get_session(), day))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="bank-reconciliation-{day.isoformat()}.csv"'
    return response
