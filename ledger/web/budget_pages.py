"""The budget planner's pages for project managers: plan, preview, save versions, compare two, approve a baseline,
see the baseline against what is committed and spent, and download a version as a PDF for a funding bid.

The form is only a way of writing the plan the API takes (``ledger.budgets.plan``): the same meetings, people
per role and costs at each meeting, so the pages and the API price identically. Nothing is worked out here:
the service prices, the page shows each line's working. A problem the service finds in the plan (a rate the
rules lack, a date with no pay rate) is shown on the form field it came from.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, Regexp

from ledger.auth.access import requires, signed_in_user
from ledger.auth.permissions import allowed
from ledger.budgets import services
from ledger.budgets.pricing import ITEM_KINDS, SECTIONS
from ledger.context import get_session, planner_rulebook, settings, todays_date
from ledger.documents import issuing
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.formatting import pounds
from ledger.projects import services as projects
from ledger.web.issued import producer, send_issued
from policies.money import pounds_to_pence

bp = Blueprint("budgets", __name__)

_POUNDS = Regexp(r"^\d{1,7}(\.\d{1,2})?$", message="Pounds and pence, like 45 or 45.00.")
_NUMBER = Regexp(r"^\d{1,6}(\.\d{1,2})?$", message='A number, like 2 or 2.5.')
_WHEN = Regexp(r"^\d{4}-\d{2}(-\d{2})?$", message="A date like 2027-03-04, or a month like 2027-03.")
_SHOWN_ON_THE_FORM = (ValidationError, Conflict, NotFound)


def _count(label: str) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=10_000)])


def _pounds(label: str) -> StringField:
    return StringField(label, validators=[Optional(), _POUNDS])


def _number(label: str) -> StringField:
    return StringField(label, validators=[Optional(), _NUMBER])


class MeetingRow(Form):
    title = StringField("Title", validators=[Optional(), Length(max=200)])
    when = StringField("Date or month", validators=[Optional(), _WHEN])
    hours = _number("Length in hours")
    preparation_hours = _number("Preparation hours")


class CustomRow(Form):
    what_for = StringField("What it is for", validators=[Optional(), Length(max=200)])
    amount = _pounds("Amount in pounds")


class PlannerForm(FlaskForm):
    label = StringField("Name of this version", validators=[Optional(), Length(max=200)])
    region = SelectField("Pay rates for", choices=[SelectChoice("uk", "The UK outside London"),
                                                   SelectChoice("london", "London")])
    member_rate = _pounds("Member: own fee per hour, in pounds")
    co_chair_rate = _pounds("Co-chair: own fee per hour, in pounds")
    trainer_rate = _pounds("Trainer: own fee per hour, in pounds")
    reviewer_rate = _pounds("Reviewer: own fee per hour, in pounds")
    meetings = FieldList(FormField(MeetingRow), min_entries=6, max_entries=60)
    people_member, people_co_chair = _count("Members"), _count("Co-chairs")
    people_trainer, people_reviewer = _count("Trainers"), _count("Reviewers")
    travel_uk, travel_uk_rate = _count("Travelling in the UK"), _pounds("Return fare each, in pounds")
    travel_london, travel_london_rate = _count("Travelling in London"), _pounds("Return fare each, in pounds")
    travel_rural, travel_rural_rate = _count("Travelling from rural areas"), _pounds("Return fare each, in pounds")
    car_drivers, miles_each = _count("Driving"), _number("Miles each, there and back")
    meals_5_hours = _count("Away 5 hours or more (HMRC meal rate)")
    meals_10_hours = _count("Away 10 hours or more (HMRC meal rate)")
    meals_15_hours = _count("Away 15 hours or more (HMRC meal rate)")
    early_breakfast = _count("Leaving home before 7am (breakfast)")
    meals, meals_rate = _count("Other meals"), _pounds("Per meal, in pounds")
    london_people, london_nights = _count("Staying overnight in London"), _number("Nights each")
    overnight_people, overnight_nights = _count("Staying overnight outside London"), _number("Nights each")
    overnight_rate = _pounds("Per night outside London, in pounds")
    pa_people, pa_hours = _count("Bringing a personal assistant or supporter"), _number("Hours each")
    bsl_count, bsl_hours, bsl_rate = _count("BSL interpreters"), _number("Hours each"), _pounds("Per hour")
    interpreter_count, interpreter_hours, interpreter_rate = _count("Other interpreters"), _number("Hours each"), \
        _pounds("Per hour")
    care_people, care_hours, care_rate = _count("Needing replacement care"), _number("Hours each"), \
        _pounds("Per hour")
    childcare_people, childcare_hours, childcare_rate = _count("Needing childcare"), _number("Hours each"), \
        _pounds("Per hour")
    venue_rate, hearing_loop_rate = _pounds("Accessible venue, per meeting"), _pounds("Hearing loop, per meeting")
    catering_people, catering_rate = _count("Catering for"), _pounds("Per person")
    easy_read_documents, easy_read_rate = _count("Easy-read documents"), _pounds("Per document")
    large_print_copies, large_print_rate = _count("Large-print copies"), _pounds("Per copy")
    remote_people, remote_rate = _count("Remote-access devices or data for"), _pounds("Per person")
    custom = FieldList(FormField(CustomRow), min_entries=3, max_entries=20)
    contingency_percent = _number("Contingency, as a percentage")
    time_credit_hours = _number("Time-credit budget, in hours")
    add_meeting = SubmitField("Add another meeting")
    add_custom = SubmitField("Add another cost")
    preview = SubmitField("Preview the budget")
    save = SubmitField("Save as a new version")

    def add_rows(self, meetings: int = 0, custom: int = 0) -> None:
        """More empty rows (up to the lists' limits): the "add another" buttons work without a script."""
        for rows, wanted in ((self.meetings, meetings), (self.custom, custom)):
            while wanted > 0 and len(rows) < (rows.max_entries or 0):
                rows.append_entry()
                wanted -= 1


class ActionForm(FlaskForm):
    submit = SubmitField()


# (kind, people or units field, quantity field, rate field): the form's costs at each meeting, in the plan's words.
EACH_MEETING_FIELDS = (
    ("travel_uk", "travel_uk", None, "travel_uk_rate"), ("travel_london", "travel_london", None, "travel_london_rate"),
    ("travel_rural", "travel_rural", None, "travel_rural_rate"), ("mileage", "car_drivers", "miles_each", None),
    ("meals_5_hours", "meals_5_hours", None, None), ("meals_10_hours", "meals_10_hours", None, None),
    ("meals_15_hours", "meals_15_hours", None, None), ("early_breakfast", "early_breakfast", None, None),
    ("meals", "meals", None, "meals_rate"), ("overnight_london", "london_people", "london_nights", None),
    ("overnight", "overnight_people", "overnight_nights", "overnight_rate"),
    ("personal_assistant", "pa_people", "pa_hours", None), ("bsl_interpreter", "bsl_count", "bsl_hours", "bsl_rate"),
    ("interpreter", "interpreter_count", "interpreter_hours", "interpreter_rate"),
    ("replacement_care", "care_people", "care_hours", "care_rate"),
    ("childcare", "childcare_people", "childcare_hours", "childcare_rate"),
    ("accessible_venue", None, None, "venue_rate"), ("hearing_loop", None, None, "hearing_loop_rate"),
    ("catering", "catering_people", None, "catering_rate"),
)
PROJECT_FIELDS = (
    ("easy_read", "easy_read_documents", None, "easy_read_rate"),
    ("large_print", "large_print_copies", None, "large_print_rate"),
    ("remote_access", "remote_people", None, "remote_rate"),
)
ROLE_FIELDS = (("member", "member_rate", "people_member"), ("co_chair", "co_chair_rate", "people_co_chair"),
               ("trainer", "trainer_rate", "people_trainer"), ("reviewer", "reviewer_rate", "people_reviewer"))


def _items(form: PlannerForm, specs, path: str, where: dict[str, str]) -> list[dict[str, Any]]:
    """The costs the form gives, as plan items; ``where`` learns which form field each item's problems belong to."""
    items: list[dict[str, Any]] = []
    for kind, count_field, quantity_field, rate_field in specs:
        count = form[count_field].data if count_field else None
        rate = form[rate_field].data if rate_field else None
        if not (count or (count_field is None and rate)):
            continue
        item: dict[str, Any] = {"kind": kind, "count": count or 1}
        if quantity_field and form[quantity_field].data:
            item["quantity"] = form[quantity_field].data
        if rate:
            item["rate_pence"] = pounds_to_pence(rate)
        prefix = f"{path}.{len(items)}"
        where[f"{prefix}.rate_pence"] = form[rate_field or count_field].id
        where[f"{prefix}.quantity"] = form[quantity_field or count_field or rate_field].id
        items.append(item)
    return items


def plan_from_form(form: PlannerForm) -> tuple[dict[str, Any], dict[str, str]]:
    """The plan a filled-in form describes, and which form field each of the plan's fields came from."""
    where: dict[str, str] = {}
    roles = [{"role": role, **({"hourly_rate_pence": pounds_to_pence(form[rate].data)} if form[rate].data else {})}
             for role, rate, _people in ROLE_FIELDS]
    where.update({f"roles.{i}.hourly_rate_pence": form[rate].id for i, (_r, rate, _p) in enumerate(ROLE_FIELDS)})
    meetings = []
    for row in form.meetings:
        if not (row.when.data or row.hours.data or row.title.data):
            continue
        when = row.when.data or ""
        meetings.append({"title": row.title.data or None, **({"month": when} if len(when) == 7 else {"on": when}),
                         "hours": row.hours.data or "", "preparation_hours": row.preparation_hours.data or "0"})
        index = len(meetings) - 1
        where.update({f"meetings.{index}.on": row.when.id, f"meetings.{index}.hours": row.hours.id,
                      f"meetings.{index}.preparation_hours": row.preparation_hours.id})
    custom = [{"kind": "custom", "description": row.what_for.data, "rate_pence": pounds_to_pence(row.amount.data)}
              for row in form.custom if row.what_for.data and row.amount.data]
    plan = {
        "region": form.region.data, "roles": roles, "meetings": meetings,
        "each_meeting": {"people": {role: form[people].data or 0 for role, _rate, people in ROLE_FIELDS},
                         "items": _items(form, EACH_MEETING_FIELDS, "each_meeting.items", where)},
        "project_items": _items(form, PROJECT_FIELDS, "project_items", where) + custom,
        "contingency_percent": form.contingency_percent.data or "0",
        "time_credit_hours": form.time_credit_hours.data or "0",
    }
    where.update({"contingency_percent": form.contingency_percent.id, "time_credit_hours": form.time_credit_hours.id,
                  "meetings": form.meetings[0].when.id})
    return plan, where


def _pounds_text(pence: Any) -> str | None:
    return None if pence is None else pounds(int(pence))


def _fill(data: dict[str, Any], specs, items: list[dict[str, Any]]) -> None:
    for kind, count_field, quantity_field, rate_field in specs:
        item = next((i for i in items if i.get("kind") == kind), None)
        if item is None:
            continue
        if count_field:
            data[count_field] = item.get("count", 1)
        if quantity_field:
            data[quantity_field] = item.get("quantity")
        if rate_field:
            data[rate_field] = _pounds_text(item.get("rate_pence"))


def form_data_from_plan(inputs: dict[str, Any]) -> dict[str, Any]:
    """A saved version's plan as the planner form's data, to edit as a new version (the reverse of
    ``plan_from_form``). A plan written through the API with different people or costs per meeting is copied
    with the costs every meeting shares."""
    each = inputs.get("each_meeting") or {}
    people = each.get("people") or {}
    roles = {role.get("role"): role for role in inputs.get("roles") or []}
    data: dict[str, Any] = {
        "region": inputs.get("region") or "uk",
        "contingency_percent": inputs.get("contingency_percent"), "time_credit_hours": inputs.get("time_credit_hours"),
        "meetings": [{"title": m.get("title"), "when": m.get("on") or m.get("month"), "hours": m.get("hours"),
                      "preparation_hours": m.get("preparation_hours")} for m in inputs.get("meetings") or []],
        "custom": [{"what_for": i.get("description"), "amount": _pounds_text(i.get("rate_pence"))}
                   for i in inputs.get("project_items") or [] if i.get("kind") == "custom"],
    }
    for role, rate_field, people_field in ROLE_FIELDS:
        data[rate_field] = _pounds_text((roles.get(role) or {}).get("hourly_rate_pence"))
        data[people_field] = people.get(role) or None
    _fill(data, EACH_MEETING_FIELDS, list(each.get("items") or []))
    _fill(data, PROJECT_FIELDS, list(inputs.get("project_items") or []))
    return data


def _on_the_form(error: ValidationError | Conflict | NotFound, where: dict[str, str]) -> ValidationError:
    """The service's problems, named by the form fields they came from (so each shows beside its field)."""
    fields: dict[str, list[str]] = {}
    for path, messages in (error.fields or {}).items():
        fields.setdefault(where.get(path, path), []).extend(messages)
    said = [message for messages in fields.values() for message in messages]
    return ValidationError(" ".join(said) if said else error.message, fields=fields)


def _pricing() -> dict[str, Any]:
    return {"rulebook": planner_rulebook(), "pay_basis": settings().pay_basis, "today": todays_date()}


@bp.route("/projects/<code>/budget/planner", methods=["GET", "POST"])
@requires("projects.write", project="code")
def planner(code: str):
    session = get_session()
    project = projects.get_project(session, code)
    copied = request.args.get("copy", type=int) if request.method == "GET" else None
    form = PlannerForm(data=form_data_from_plan(services.get_budget_version(session, code, copied).inputs)
                       if copied else None)
    if request.method == "GET":  # ?rows=N opens the planner with N meeting rows; ?copy=N with version N's plan
        form.add_rows(meetings=request.args.get("rows", 0, type=int) - len(form.meetings))
    elif form.add_meeting.data or form.add_custom.data:  # an "add another" button: a row more, nothing checked
        form.add_rows(meetings=int(bool(form.add_meeting.data)), custom=int(bool(form.add_custom.data)))
        return render_template("budgets/planner.html", project=project, form=form, preview=None,
                               problem=None, sections=SECTIONS), 200
    if request.method == "GET" or not form.validate_on_submit():
        status = 200 if request.method == "GET" else 400
        return render_template("budgets/planner.html", project=project, form=form, preview=None,
                               problem=None, sections=SECTIONS), status
    plan, where = plan_from_form(form)
    try:
        if form.save.data:
            version = services.save_budget_version(session, code, plan, label=form.label.data or None,
                                                   actor_user_id=signed_in_user().id, **_pricing())
        else:
            preview = services.preview_budget(session, code, plan, **_pricing())
    except _SHOWN_ON_THE_FORM as error:
        session.rollback()
        return render_template("budgets/planner.html", project=project, form=form, preview=None,
                               problem=_on_the_form(error, where), sections=SECTIONS), error.status
    if not form.save.data:
        return render_template("budgets/planner.html", project=project, form=form, preview=preview, problem=None,
                               sections=SECTIONS)
    session.commit()
    flash(f"Version {version.number} of the budget is saved. Approve it as the baseline when it is agreed.", "info")
    return redirect(url_for("budgets.version", code=project.code, number=version.number))


@bp.route("/projects/<code>/budget/versions")
@requires("reports.read", project="code")
def versions(code: str):
    session = get_session()
    project = projects.get_project(session, code)
    position, warnings = services.budget_against_reality(session, code, as_at=todays_date(), **_pricing())
    return render_template("budgets/versions.html", project=project, versions=services.list_budget_versions(
        session, code), position=position, warnings=warnings, baseline=services.baseline_version(session, code),
        may_write=allowed(signed_in_user().role_names, "projects.write"))


@bp.route("/projects/<code>/budget/versions/<int:number>")
@requires("reports.read", project="code")
def version(code: str, number: int):
    session = get_session()
    record = services.get_budget_version(session, code, number)
    return render_template("budgets/version.html", project=projects.get_project(session, code), version=record,
                           sections=SECTIONS, kinds=ITEM_KINDS, action_form=ActionForm(formdata=None),
                           may_write=allowed(signed_in_user().role_names, "projects.write"))


@bp.route("/projects/<code>/budget/versions/<int:number>/approve", methods=["POST"])
@requires("projects.write", project="code")
def approve(code: str, number: int):
    if ActionForm().validate_on_submit():
        session = get_session()
        try:
            services.approve_budget_baseline(session, code, number, actor_user_id=signed_in_user().id)
        except Conflict as error:
            session.rollback()
            flash(error.message, "error")
            return redirect(url_for("budgets.version", code=code, number=number))
        session.commit()
        flash(f"Version {number} is the project's baseline: claims are now counted against it.", "info")
    return redirect(url_for("budgets.versions", code=code))


@bp.route("/projects/<code>/budget/compare")
@requires("reports.read", project="code")
def compare(code: str):
    before, after = request.args.get("before", type=int), request.args.get("after", type=int)
    if before is None or after is None:
        raise ValidationError("Choose two versions to compare.", fields={"before": ["Choose a version."]})
    session = get_session()
    return render_template("budgets/compare.html", project=projects.get_project(session, code),
                           comparison=services.compare_budget_versions(session, code, before, after))


@bp.route("/projects/<code>/budget/versions/<int:number>/bid.pdf")
@requires("reports.read", project="code")
def bid_pdf(code: str, number: int):
    record = services.get_budget_version(get_session(), code, number)
    issued = issuing.issue_budget_plan(get_session(), record, organisation=settings().organisation,
                                       producer=producer(), issued_on=todays_date())
    return send_issued(issued, f"budget-{record.project_code}-v{record.number}.pdf")
