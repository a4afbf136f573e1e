"""Project pages for project managers and finance: budget against spend, activities, attendance and fees.

The budget figures are read, never worked out here: what the books hold on the project's fees and expenses
accounts (``fees:project:<CODE>``, ``expenses:project:<CODE>``), and the budget by cost line (committed =
approved, unpaid claims; spent = paid): the same ``ProjectBudgetReport`` the budget report PDF prints
(``ledger.reports.budget_report``). The list of projects reads every listed project's position and accounts at
once (``budget_positions``, ``queries.balances``): a fixed number of statements however many projects there are.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ledger.auth.access import requires, signed_in_user, visible_project_ids
from ledger.auth.permissions import allowed
from ledger.books import queries
from ledger.claims import services as claims
from ledger.context import get_session, settings, todays_date
from ledger.documents import issuing
from ledger.errors import Conflict, LedgerError, NotFound, PermissionDenied, ValidationError
from ledger.labels import ACTIVITY_KIND_LABELS, REGION_LABELS
from ledger.projects import assignments
from ledger.projects import services as projects
from ledger.projects.models import ACTIVITY_KINDS
from ledger.reports.budget_report import project_budget_report
from ledger.web import durations
from ledger.web.date_inputs import DateInputsField
from ledger.web.issued import producer, send_issued
from policies.money import pounds_to_pence

bp = Blueprint("projects", __name__)

_SHOWN_ON_THE_FORM = (ValidationError, Conflict, NotFound)


class ActivityForm(FlaskForm):
    kind = SelectField("Kind of activity", choices=[SelectChoice(k, ACTIVITY_KIND_LABELS[k]) for k in ACTIVITY_KINDS])
    title = StringField("Title", validators=[Optional(), Length(max=200)])
    occurs_on = DateInputsField("Date", validators=[DataRequired("Enter the day of the activity.")])
    duration_hours = durations.hours_field("Hours")
    duration_minutes = durations.minutes_field("Minutes")
    preparation_hours = durations.hours_field("Preparation hours")
    preparation_minutes = durations.minutes_field("Preparation minutes")
    region = SelectField("Where it is paid from", choices=[SelectChoice(k, v) for k, v in REGION_LABELS.items()])
    location = StringField("Place", validators=[Optional(), Length(max=200)])
    flat_fee = StringField("Flat fee in pounds, if not paid by the hour", validators=[
        Optional(), Regexp(r"^\d{1,7}(\.\d{1,2})?$", message="Pounds and pence, like 150 or 150.00.")])
    submit = SubmitField("Schedule the activity")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return durations.require_length(self, "duration_hours", "duration_minutes",
                                        "Enter how long the activity lasts, in hours and minutes.") and valid


class NewProjectForm(FlaskForm):
    code = StringField("Project code", validators=[DataRequired("Enter a short code for the project."),
                                                   Length(max=32)])
    name = StringField("Project name", validators=[DataRequired("Enter the project's name."), Length(max=200)])
    cost_centre = StringField("Cost centre", validators=[DataRequired("Enter the cost centre it is charged to."),
                                                         Length(max=64)])
    budget = StringField("Co-production budget, in pounds", validators=[
        DataRequired("Enter the budget, for example 12000."),
        Regexp(r"^\d{1,9}(\.\d{1,2})?$", message="Pounds and pence, like 12000 or 12000.00.")])
    starts_on = DateInputsField("Start date", validators=[DataRequired("Enter the day the project starts.")])
    ends_on = DateInputsField("End date (optional)", validators=[Optional()])
    project_manager_user_id = SelectField("Project manager (optional)", coerce=lambda v: int(v) if v else None,
                                          validate_choice=False, validators=[Optional()])
    submit = SubmitField("Create the project")


class AttendanceForm(FlaskForm):
    participant_id = SelectField("Who attended", coerce=int)
    actual_hours = durations.hours_field("Hours attended")
    actual_minutes = durations.minutes_field("Minutes attended")
    with_supporter = BooleanField("Came with a supporter or personal assistant")
    submit = SubmitField("Record attendance")


class CorrectAttendanceForm(FlaskForm):
    """Correcting an attendance already recorded: the fees drafted from it follow (``correct_attendance``)."""

    participant_id = SelectField("Whose attendance", coerce=int)
    attended = RadioField("Did they attend?",
                          choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No: they did not come")],
                          validators=[DataRequired(message="Say whether they attended.")])
    minutes = IntegerField("Minutes they attended", validators=[Optional(), NumberRange(min=1, max=24 * 60)])
    reason = TextAreaField("Why is it corrected?", validators=[DataRequired(), Length(min=3, max=500)])
    submit = SubmitField("Correct the attendance")


class ManagerForm(FlaskForm):
    user_id = SelectField("Project manager to assign", coerce=int,
                          validators=[DataRequired(message="Choose a project manager.")])
    submit = SubmitField("Assign to this project")


class ActionForm(FlaskForm):
    """A button that changes something: a CSRF token and nothing else."""

    submit = SubmitField()


class SubmitClaimForm(FlaskForm):
    """Submitting a claim; a likely duplicate is submitted only when confirmed, with a reason."""

    confirm_duplicate = BooleanField("This is a separate claim, not a duplicate")
    duplicate_reason = TextAreaField("Why is it not a duplicate?", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Submit for approval")


def _books_balance(session, code: str) -> int | None:
    try:
        return queries.balance(session, code)
    except NotFound:
        return None  # the account was never opened: nothing is charged to it


@bp.route("/projects")
@requires("projects.read")
def list_projects():
    session = get_session()
    today = todays_date()
    listed = projects.list_projects(session, only_ids=visible_project_ids())
    positions = projects.budget_positions(session, [p.id for p in listed], as_at=today)
    held = queries.balances(session, [code for p in listed for code in (p.accounts.fees, p.accounts.expenses)])
    rows = [{"project": p, "budget": positions[p.id], "fees": held.get(p.accounts.fees),
             "expenses": held.get(p.accounts.expenses)} for p in listed]
    return render_template("projects/list.html", rows=rows, today=today, me=signed_in_user().id,
                           may_set_up=allowed(signed_in_user().role_names, "projects.write"))


def _assigns_managers() -> bool:
    """Finance and administrators choose a new project's manager; a project manager's project is their own."""
    return allowed(signed_in_user().role_names, "projects.assign")


def _new_project_page(form: NewProjectForm, *, problem: LedgerError | None = None, status: int = 200):
    """The form to set a project up, offering the active project managers by name to those who assign them."""
    assigns = _assigns_managers()
    if assigns:
        form.project_manager_user_id.choices = [SelectChoice("", "Nobody yet")] + [
            SelectChoice(u.id, u.display_name) for u in assignments.project_managers(get_session())]
    return render_template("projects/new.html", form=form, problem=problem, assigns_managers=assigns), status


@bp.route("/projects/new")
@requires("projects.write")
def new_project():
    return _new_project_page(NewProjectForm(formdata=None, starts_on=todays_date()))


@bp.route("/projects/new", methods=["POST"])
@requires("projects.write")
def create_project():
    form = NewProjectForm()
    if not _assigns_managers():
        del form.project_manager_user_id  # the project manager setting it up manages it
    if not form.validate_on_submit():
        return _new_project_page(form, status=400)
    session = get_session()
    try:
        record = projects.create_project(
            session, code=form.code.data, name=form.name.data, cost_centre=form.cost_centre.data,
            budget_pence=pounds_to_pence(form.budget.data), starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            project_manager_user_id=form.project_manager_user_id.data if _assigns_managers() else None,
            actor_user_id=signed_in_user().id)
    except (*_SHOWN_ON_THE_FORM, PermissionDenied) as error:
        session.rollback()
        return _new_project_page(form, problem=error, status=error.status)
    session.commit()
    flash(f"Project {record.code} is set up, with its fees and expenses accounts. Schedule its first activity below.",
          "info")
    return redirect(url_for("projects.project", code=record.code))


@bp.route("/projects/<code>")
@requires("projects.read", project="code")
def project(code: str):
    return _project_page(code)


def _project_page(code: str, *, form: ActivityForm | None = None, problem: LedgerError | None = None,
                  status: int = 200, manager_form: ManagerForm | None = None):
    session = get_session()
    record = projects.get_project(session, code)
    activities = projects.list_activities(session, record.code)
    user = signed_in_user()
    return render_template(
        "projects/project.html", project=record, today=todays_date(),
        budget=project_budget_report(session, record.code, organisation=settings().organisation,
                                     as_at=todays_date()),
        fees=_books_balance(session, record.accounts.fees), expenses=_books_balance(session, record.accounts.expenses),
        activities=activities,
        attended={a.id: len(projects.list_attendance(session, a.id)) for a in activities},
        form=form or ActivityForm(formdata=None, occurs_on=todays_date()), problem=problem,
        may_write=allowed(user.role_names, "projects.write"), may_read_books=allowed(user.role_names, "books.read"),
        **_managers_section(session, record.code, user, manager_form),
    ), status


def _managers_section(session, code: str, user, form: ManagerForm | None) -> dict:
    """Who manages the project, and for finance and administrators the form to assign another."""
    may_assign = allowed(user.role_names, "projects.assign")
    if form is None:
        form = ManagerForm(formdata=None)
    if may_assign:
        form.user_id.choices = [SelectChoice(u.id, f"{u.display_name} ({u.email})")
                                for u in assignments.assignable_managers(session, code, actor_user_id=user.id)]
    return {"managers": assignments.managers_of(session, code), "may_assign": may_assign, "manager_form": form,
            "remove_form": ActionForm(formdata=None)}


@bp.route("/projects/<code>/managers", methods=["POST"])
@requires("projects.assign")
def assign_manager(code: str):
    form = ManagerForm()
    session = get_session()
    form.user_id.choices = [SelectChoice(u.id, u.display_name) for u in assignments.assignable_managers(
        session, code, actor_user_id=signed_in_user().id)]
    if not form.validate_on_submit():
        return _project_page(code, manager_form=form, status=400)
    try:
        assignments.assign_manager(session, code, form.user_id.data, actor_user_id=signed_in_user().id)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _project_page(code, manager_form=form, problem=error, status=error.status)
    session.commit()
    flash("The project manager is assigned: they can now see and work on this project.", "info")
    return redirect(url_for("projects.project", code=code))


@bp.route("/projects/<code>/managers/<int:user_id>/remove", methods=["POST"])
@requires("projects.assign")
def unassign_manager(code: str, user_id: int):
    if ActionForm().validate_on_submit():
        session = get_session()
        assignments.unassign_manager(session, code, user_id, actor_user_id=signed_in_user().id)
        session.commit()
        flash("The project manager is taken off the project and no longer sees it.", "info")
    return redirect(url_for("projects.project", code=code))


@bp.route("/projects/<code>/activities", methods=["POST"])
@requires("projects.write", project="code")
def schedule_activity(code: str):
    form = ActivityForm()
    if not form.validate_on_submit():
        return _project_page(code, form=form, status=400)
    session = get_session()
    try:
        activity = projects.schedule_activity(
            session, code, kind=form.kind.data, occurs_on=form.occurs_on.given,
            duration_minutes=durations.total_minutes(form.duration_hours.data, form.duration_minutes.data) or 0,
            preparation_minutes=durations.total_minutes(form.preparation_hours.data,
                                                        form.preparation_minutes.data) or 0,
            region=form.region.data, title=form.title.data or None, location=form.location.data or None,
            flat_fee_pence=pounds_to_pence(form.flat_fee.data) if form.flat_fee.data else None,
            actor_user_id=signed_in_user().id)
    except ValidationError as error:
        session.rollback()
        return _project_page(code, form=form, problem=error, status=error.status)
    session.commit()
    flash(f"{activity.title} is scheduled for {activity.occurs_on:%d %B %Y}.", "info")
    return redirect(url_for("projects.activity", activity_id=activity.id))


@bp.route("/projects/<code>/budget-report.pdf")
@requires("reports.read", project="code")
def budget_report(code: str):
    as_at = todays_date()
    doc = project_budget_report(get_session(), code, as_at=as_at, organisation=settings().organisation)
    issued = issuing.issue_budget_report(get_session(), doc, producer=producer(), issued_on=as_at)
    return send_issued(issued, f"budget-{projects.normalise_code(code)}-{as_at}.pdf")


# ---------------------------------------------------------------- activities and attendance


@bp.route("/activities/<int:activity_id>")
@requires("projects.read", project="activity_id")
def activity(activity_id: int):
    return _activity_page(activity_id)


def _activity_page(activity_id: int, *, form: AttendanceForm | None = None, problem: LedgerError | None = None,
                   status: int = 200, duplicate: tuple[int, SubmitClaimForm] | None = None,
                   correct: CorrectAttendanceForm | None = None):
    session = get_session()
    record = projects.get_activity(session, activity_id)
    user = signed_in_user()
    if form is None:
        form = AttendanceForm(formdata=None)
    form.participant_id.choices = _participant_choices(session)
    attendance = projects.list_attendance(session, activity_id)
    if correct is None:
        correct = CorrectAttendanceForm(formdata=None, prefix="correct")
    correct.participant_id.choices = _attendee_choices(attendance)
    fees = {c.participant_id: c for c in claims.list_claims(session, project_code=record.project_code, limit=1000)
            if c.activity_id == activity_id and c.is_fee}
    return render_template(
        "projects/activity.html", activity=record, project=projects.get_project(session, record.project_code),
        attendance=attendance, fees=fees, form=form, problem=problem, correct=correct,
        action_form=ActionForm(formdata=None), today=todays_date(),
        duplicate_claim_id=duplicate[0] if duplicate and problem and (
            {"confirm_duplicate", "duplicate_reason"} & set(problem.fields)) else None,
        duplicate_form=duplicate[1] if duplicate else None,
        may_write=allowed(user.role_names, "projects.write"),
        may_claim=allowed(user.role_names, "claims.submit"),
    ), status


def _attendee_choices(attendance) -> list[SelectChoice]:
    return [SelectChoice(str(a.participant_id), a.participant_name) for a in attendance]


def _participant_choices(session) -> list[SelectChoice]:
    return [SelectChoice(str(p.id), p.name + (f" ({p.preferred_name})" if p.preferred_name else ""))
            for p in assignments.participant_directory(session, signed_in_user())]


@bp.route("/activities/<int:activity_id>/attendance", methods=["POST"])
@requires("projects.write", project="activity_id")
def record_attendance(activity_id: int):
    session = get_session()
    form = AttendanceForm()
    form.participant_id.choices = _participant_choices(session)
    if not form.validate_on_submit():
        return _activity_page(activity_id, form=form, status=400)
    try:
        record = projects.record_attendance(session, activity_id, form.participant_id.data,
                                            actual_minutes=durations.total_minutes(form.actual_hours.data,
                                                                                   form.actual_minutes.data) or None,
                                            with_supporter=form.with_supporter.data,
                                            actor_user_id=signed_in_user().id, today=todays_date())
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _activity_page(activity_id, form=form, problem=error, status=error.status)
    session.commit()
    flash(f"{record.participant_name}'s attendance is recorded.", "info")
    return redirect(url_for("projects.activity", activity_id=activity_id))


@bp.route("/activities/<int:activity_id>/attendance/correction", methods=["POST"])
@requires("projects.write", project="activity_id")
def correct_attendance(activity_id: int):
    """Correct who attended or for how long, with a reason: open fees drafted from it are priced again."""
    session = get_session()
    form = CorrectAttendanceForm(prefix="correct")
    form.participant_id.choices = _attendee_choices(projects.list_attendance(session, activity_id))
    if not form.validate_on_submit():
        return _activity_page(activity_id, correct=form, status=400)
    try:
        done = claims.correct_attendance(session, activity_id, form.participant_id.data,
                                         attended=form.attended.data == "yes", minutes=form.minutes.data,
                                         reason=form.reason.data, actor_user_id=signed_in_user().id,
                                         rules=settings().claim_rules)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        beside = type(error)(error.message, fields={f"correct-{k}": v for k, v in (error.fields or {}).items()})
        return _activity_page(activity_id, correct=form, problem=beside, status=error.status)
    session.commit()
    flash(_said_of(done), "info")
    return redirect(url_for("projects.activity", activity_id=activity_id))


def _said_of(done: claims.AttendanceCorrection) -> str:
    parts = ["The attendance is corrected."]
    parts += [f"Claim {c} is priced again." for c in done.repriced_claim_ids]
    parts += [f"Claim {c} is cancelled: they did not attend." for c in done.cancelled_claim_ids]
    parts += [f"Claim {c} is already approved or paid: finance must correct it." for c in done.flagged_claim_ids]
    return " ".join(parts)


@bp.route("/activities/<int:activity_id>/participants/<int:participant_id>/fee", methods=["POST"])
@requires("claims.submit", project="activity_id")
def draft_fee(activity_id: int, participant_id: int):
    if not ActionForm().validate_on_submit():
        return _activity_page(activity_id, status=400)
    session = get_session()
    try:
        record, _created = claims.draft_fee_claim(session, activity_id=activity_id, participant_id=participant_id,
                                                  actor_user_id=signed_in_user().id, rules=settings().claim_rules)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _activity_page(activity_id, problem=error, status=error.status)
    session.commit()
    flash(f"Fee claim {record.id} is drafted: {record.description}. Submit it for approval when it is right.", "info")
    return redirect(url_for("projects.activity", activity_id=activity_id))


@bp.route("/activities/<int:activity_id>/claims/<int:claim_id>/submit", methods=["POST"])
@requires("claims.submit", project="claim_id")
def submit_claim(activity_id: int, claim_id: int):
    form = SubmitClaimForm()
    if not form.validate_on_submit():
        return _activity_page(activity_id, status=400, duplicate=(claim_id, form))
    session, user = get_session(), signed_in_user()
    try:
        record = claims.submit_claim(session, claim_id, actor_user_id=user.id,
                                     actor_participant_id=user.participant_id,
                                     confirm_duplicate=bool(form.confirm_duplicate.data),
                                     duplicate_reason=form.duplicate_reason.data or None)
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return _activity_page(activity_id, problem=error, status=error.status, duplicate=(claim_id, form))
    session.commit()
    flash(f"Claim {record.id} is submitted for approval.", "info")
    return redirect(url_for("projects.activity", activity_id=activity_id))
