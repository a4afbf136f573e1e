"""Finance pages for the books: trial balance, accounts, statements, locking a month, manual journal entries.

A manual entry typed on the page goes through ``ledger.books.manual`` like one sent to the API: a refusal comes
back with the service's message next to the field it names, and what was typed is kept.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    MonthField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ledger.auth.access import requires, signed_in_user
from ledger.auth.models import User
from ledger.auth.permissions import allowed
from ledger.books import manual, posting, queries
from ledger.books import periods as periods_service
from ledger.books.kinds import POSTABLE_KINDS
from ledger.books.records import PostingLine
from ledger.context import get_session, settings, todays_date
from ledger.errors import Conflict, LedgerError, PermissionDenied, ValidationError
from ledger.web.landing import landing_url
from ledger.web.query_args import date_arg

bp = Blueprint("books", __name__)


#: Lines on the manual entry form; blank ones are left out.
MANUAL_LINES = 4
# Refusals a person can put right by changing what they typed, or that explain why nothing changed.
_SHOWN_ON_THE_FORM = (ValidationError, Conflict, PermissionDenied)


class LineForm(Form):
    """One line of a manual entry: which account, debit or credit, how much, in which unit, and what it is."""

    account = StringField("Account code", validators=[Length(max=64)])
    side = SelectField("Debit or credit", choices=[SelectChoice("debit", "Debit"), SelectChoice("credit", "Credit")])
    amount = StringField("Amount")
    unit = SelectField("Unit", choices=[SelectChoice("GBP", "Pounds (GBP)"),
                                        SelectChoice("TIME", "Time credits (minutes)")])
    kind = SelectField("What it is (for a person's account)", choices=[
        SelectChoice("", "Not a person's account"),
        *(SelectChoice(k, k.replace("_", " ")) for k in sorted(POSTABLE_KINDS))])


class ManualEntryForm(FlaskForm):
    effective_date = DateField("Effective date", validators=[DataRequired("Enter the date the entry is for.")])
    description = StringField("Description", validators=[DataRequired("Say what the entry is for."),
                                                         Length(max=posting.MAX_DESCRIPTION)])
    reason = TextAreaField("Why is this posted by hand?", validators=[
        DataRequired("Say why this entry is posted by hand."), Length(max=manual.MAX_REASON)])
    lines = FieldList(FormField(LineForm), min_entries=MANUAL_LINES, max_entries=12)
    idempotency_key = HiddenField()
    submit = SubmitField("Post the entry")


class RejectManualForm(FlaskForm):
    reason = TextAreaField("Why is it rejected?", validators=[DataRequired("Say why it is rejected."),
                                                              Length(max=manual.MAX_REASON)])
    submit = SubmitField("Reject")


class LockForm(FlaskForm):
    month = MonthField("Month to lock", validators=[DataRequired()], format="%Y-%m")
    reason = TextAreaField("Why the month is being closed", validators=[Length(max=periods_service.MAX_REASON)])
    submit = SubmitField("Lock this month")


class ReopenForm(FlaskForm):
    month = HiddenField()
    reason = TextAreaField("Why the month must be reopened", validators=[Length(max=periods_service.MAX_REASON)])
    submit = SubmitField("Ask to reopen this month")


class ReopenDecisionForm(FlaskForm):
    reason = TextAreaField("Reason (needed to reject)", validators=[Length(max=periods_service.MAX_REASON)])
    approve = SubmitField("Approve: reopen the month")
    reject = SubmitField("Reject: keep it locked")


@bp.route("/")
@requires("self")
def home():
    """Take the person to the page their role starts from; the menu for a sign-in with no such role."""
    user = signed_in_user()
    landing = landing_url(user)
    return redirect(landing) if landing else render_template("home.html", user=user)


@bp.route("/books/trial-balance")
@requires("books.read")
def trial_balance():
    as_of = date_arg("as_of", None)
    return render_template("trial_balance.html", tb=queries.trial_balance(get_session(), as_of), as_of=as_of)


@bp.route("/books/accounts/<code>")
@requires("books.read")
def account_statement(code: str):
    today = todays_date()
    start = date_arg("start", today.replace(month=1, day=1))
    end = date_arg("end", today)
    stmt = queries.statement(get_session(), code, start, end, after=request.args.get("after"), limit=100)
    return render_template("statement.html", stmt=stmt)


def _user_names(session) -> dict[int, str]:
    return {row.id: row.display_name for row in session.execute(select(User.id, User.display_name))}


def _periods_page(problem: LedgerError | None = None, *, lock_form: LockForm | None = None,
                  reopen_form: ReopenForm | None = None):
    """The locked months (who, when, why), the lock form, and reopening: a request and a second person."""
    session = get_session()
    locks = periods_service.locks(session)
    reopen_form = reopen_form or ReopenForm()
    if locks and not reopen_form.month.data:
        reopen_form.month.data = f"{locks[-1].month:%Y-%m}"
    return render_template(
        "periods.html", form=lock_form or LockForm(), locks=locks, locked=[lock.month for lock in locks],
        next_month=periods_service.month_to_lock(session), today=todays_date(), problem=problem,
        reopen_form=reopen_form, decision_form=ReopenDecisionForm(), requests=periods_service.reopen_requests(session),
        names=_user_names(session), user=signed_in_user(), allowed=allowed,
    ), 400 if problem else 200


@bp.route("/books/periods", methods=["GET", "POST"])
@requires("books.read")
def periods():
    return _periods_page()


@bp.route("/books/periods/lock", methods=["POST"])
@requires("books.lock")
def lock_period():
    form = LockForm()
    if not form.validate_on_submit():
        return _periods_page(ValidationError("Choose a month to lock.", fields={"month": ["Choose a month."]}),
                             lock_form=form)
    session = get_session()
    try:
        lock = periods_service.close_month(session, form.month.data, reason=form.reason.data,
                                           actor_user_id=signed_in_user().id, today=todays_date())
    except _SHOWN_ON_THE_FORM as problem:
        session.rollback()
        return _periods_page(problem, lock_form=form)
    session.commit()
    flash(f"{lock.month:%B %Y} is locked. Nothing more can be posted into it.", "info")
    return redirect(url_for("books.periods"))


@bp.route("/books/periods/reopen", methods=["POST"])
@requires("books.reopen")
def request_reopen():
    form = ReopenForm()
    session = get_session()
    try:
        if not form.validate_on_submit():
            raise ValidationError("Keep the reason to 2000 characters.", fields={"reason": ["too long"]})
        month = dt.date.fromisoformat(f"{form.month.data}-01") if form.month.data else None
        if month is None:
            raise ValidationError("No month is locked.", fields={"month": ["not locked"]})
        made = periods_service.request_reopen(session, month, reason=form.reason.data,
                                              actor_user_id=signed_in_user().id)
    except (*_SHOWN_ON_THE_FORM, ValueError) as problem:
        session.rollback()
        shown = problem if isinstance(problem, LedgerError) else ValidationError("Choose a locked month.")
        return _periods_page(shown, reopen_form=form)
    session.commit()
    flash(f"You asked to reopen {made.month:%B %Y}. It stays locked until a second person approves.", "info")
    return redirect(url_for("books.periods"))


@bp.route("/books/periods/reopen/<int:request_id>", methods=["POST"])
@requires("books.reopen.decide")
def decide_reopen(request_id: int):
    form = ReopenDecisionForm()
    session = get_session()
    approve = bool(form.approve.data)
    try:
        decided = periods_service.decide_reopen(session, request_id, approve=approve,
                                                actor_user_id=signed_in_user().id, reason=form.reason.data)
    except _SHOWN_ON_THE_FORM as problem:
        session.rollback()
        return _periods_page(problem)
    session.commit()
    flash(f"{decided.month:%B %Y} is open again: entries can be posted into it." if approve
          else f"The request was rejected: {decided.month:%B %Y} stays locked.", "info")
    return redirect(url_for("books.periods"))


# ---------------------------------------------------------------- manual journal entries


@bp.route("/books/manual-entries")
@requires("books.read")
def manual_entries():
    return _manual_page(_blank_form())


def _manual_page(form: ManualEntryForm, *, problem: LedgerError | None = None, status: int = 200,
                 reject: tuple[int, RejectManualForm] | None = None):
    session = get_session()
    waiting = manual.list_manual_entries(session, status="waiting_for_approval", limit=100)
    recent = [r for r in manual.list_manual_entries(session, limit=30) if r.status != "waiting_for_approval"]
    ids = {r.proposed_by for r in waiting + recent} | {r.decided_by for r in recent if r.decided_by}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    rejects = {r.id: RejectManualForm(formdata=None, prefix=f"reject-{r.id}") for r in waiting}
    if reject is not None:
        rejects[reject[0]] = reject[1]
    return render_template(
        "manual_entries.html", form=form, problem=problem, waiting=waiting, recent=recent, names=names,
        rejects=rejects, actor=signed_in_user(), errors=_error_list(form, problem),
        can_post=allowed(signed_in_user().role_names, "books.post"),
        threshold=settings().manual_entry_second_approval_above_pence,
    ), status


def _error_list(form: ManualEntryForm, problem: LedgerError | None) -> list[tuple[str | None, str]]:
    """The error summary: each field's errors linked to it, then a refusal no field on the form names."""
    items: list[tuple[str | None, str]] = []
    for name in ("effective_date", "description", "reason"):
        f = form[name]
        items += [(f.id, f"{f.label.text}: {e}") for e in f.errors]
    for i, line in enumerate(form.lines):
        for f in line.form:
            items += [(f.id, f"Line {i + 1}, {f.label.text.lower()}: {e}") for e in f.errors]
    if problem is not None and not items:
        items.append((None, problem.message))
    return items


@bp.route("/books/manual-entries", methods=["POST"])
@requires("books.post")
def post_manual_entry():
    form = ManualEntryForm()
    valid = form.validate()
    lines, positions = _lines(form)
    if not valid or lines is None:
        return _manual_page(form, status=400)
    if not form.idempotency_key.data:
        form.idempotency_key.data = f"manual:web:{uuid.uuid4().hex}"
    session = get_session()
    draft = manual.ManualDraft(effective_date=form.effective_date.data, description=form.description.data,
                               reason=form.reason.data, idempotency_key=form.idempotency_key.data,
                               postings=tuple(lines))
    try:
        submitted = manual.submit_manual_entry(
            session, draft, actor_user_id=signed_in_user().id,
            second_approval_above_pence=settings().manual_entry_second_approval_above_pence,
            time_credit_floor_minutes=settings().time_credit_overdraft_minutes)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        _place_errors(form, error, positions)
        return _manual_page(form, problem=error, status=error.status)
    session.commit()
    if submitted.waiting:
        flash(f"Manual entry {submitted.record.id} is waiting for a second finance user: it is above "
              "the amount one person may post.", "info")
    else:
        flash(f"Entry {submitted.entry.id} is posted.", "info")
    return redirect(url_for("books.manual_entries"))


def _lines(form: ManualEntryForm) -> tuple[list[PostingLine] | None, list[int]]:
    """The lines typed (blank ones left out) in minor units, debits positive, and which form line each came from.

    None, with the errors beside their fields, when an amount is not a number of pounds or minutes.
    """
    lines: list[PostingLine] = []
    positions: list[int] = []
    ok = True
    for i, entry in enumerate(form.lines):
        line = entry.form
        account, amount = (line.account.data or "").strip(), (line.amount.data or "").strip()
        if not account and not amount:
            continue
        if not account:
            line.account.errors = [*line.account.errors, "Enter the account code."]
            ok = False
        minor = _minor_units(amount, line.unit.data)
        if minor is None:
            line.amount.errors = [*line.amount.errors, "Enter an amount more than zero, like 150.00 (pounds, to the "
                                  "penny) or 90 (whole minutes of time credits)."]
            ok = False
            continue
        lines.append(PostingLine(account, minor if line.side.data == "debit" else -minor, line.unit.data,
                                 None, line.kind.data or None))
        positions.append(i)
    return (lines if ok else None), positions


def _minor_units(text: str, unit: str) -> int | None:
    try:
        value = Decimal(text.replace(",", "").replace("£", ""))
    except InvalidOperation:
        return None
    minor = value * 100 if unit == "GBP" else value
    if not value.is_finite() or minor <= 0 or minor != minor.to_integral_value():
        return None
    return int(minor)


def _place_errors(form: ManualEntryForm, error: LedgerError, positions: list[int]) -> None:
    """Put a refusal's message next to the field it names (``reason``, ``postings.2.account``)."""
    for name in error.fields or {}:
        parts = name.split(".")
        if parts[0] == "postings" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(positions):
            line = form.lines[positions[int(parts[1])]].form
            target = line._fields.get(parts[2], line.account)
        elif name in ("effective_date", "description", "reason"):
            target = form[name]
        else:
            continue
        target.errors = [*target.errors, error.message]


@bp.route("/books/manual-entries/<int:manual_entry_id>/approve", methods=["POST"])
@requires("books.post")
def approve_manual_entry(manual_entry_id: int):
    if not FlaskForm().validate_on_submit():
        return _manual_page(_blank_form(), status=400)
    session = get_session()
    try:
        record = manual.approve_manual_entry(session, manual_entry_id, actor_user_id=signed_in_user().id,
                                             time_credit_floor_minutes=settings().time_credit_overdraft_minutes)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _manual_page(_blank_form(), problem=error, status=error.status)
    session.commit()
    flash(f"Manual entry {manual_entry_id} is approved: entry {record.entry_id} is posted.", "info")
    return redirect(url_for("books.manual_entries"))


@bp.route("/books/manual-entries/<int:manual_entry_id>/reject", methods=["POST"])
@requires("books.post")
def reject_manual_entry(manual_entry_id: int):
    form = RejectManualForm(prefix=f"reject-{manual_entry_id}")
    if not form.validate_on_submit():
        return _manual_page(_blank_form(), reject=(manual_entry_id, form), status=400)
    session = get_session()
    try:
        manual.reject_manual_entry(session, manual_entry_id, actor_user_id=signed_in_user().id,
                                   reason=form.reason.data)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _manual_page(_blank_form(), problem=error, status=error.status)
    session.commit()
    flash(f"Manual entry {manual_entry_id} is rejected; nothing was posted.", "info")
    return redirect(url_for("books.manual_entries"))


def _blank_form() -> ManualEntryForm:
    return ManualEntryForm(formdata=None, data={"effective_date": todays_date(),
                                                "idempotency_key": f"manual:web:{uuid.uuid4().hex}"})
