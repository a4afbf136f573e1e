"""Projects, their activities and attendance, and budgets by cost line, over JSON.

Money is integer pence (``budget_pence``, ``flat_fee_pence``) and time whole minutes; budget positions carry
pounds as decimal strings beside the pence. Project managers and finance manage projects and activities,
record who attended, and set a project's budget by cost line (or plan it from the formula).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.api.dates import PlausibleDate
from ledger.auth.access import current_actor, requires, visible_project_ids
from ledger.context import get_session, settings, todays_date
from ledger.formatting import pounds
from ledger.projects import assignments, services
from ledger.projects.budget import LINE_KINDS
from ledger.projects.models import ACTIVITY_KINDS, REGIONS

blp = Blueprint("projects_api", __name__, url_prefix="/api/v1",
                description="Projects, activities and attendance")


class ProjectFieldsSchema(Schema):
    cost_centre = fields.Str(validate=validate.Length(1, 40))
    budget_pence = fields.Int(strict=True, validate=validate.Range(min=0))
    project_manager_user_id = fields.Int(strict=True, allow_none=True)
    starts_on = PlausibleDate()
    ends_on = PlausibleDate(allow_none=True)


class ProjectInSchema(ProjectFieldsSchema):
    code = fields.Str(required=True, validate=validate.Length(1, 32), metadata={"example": "ADV-2025"})
    name = fields.Str(required=True, validate=validate.Length(1, 200))
    cost_centre = fields.Str(required=True, validate=validate.Length(1, 40))
    budget_pence = fields.Int(required=True, strict=True, validate=validate.Range(min=0))
    starts_on = PlausibleDate(required=True)


class ProjectChangesSchema(ProjectFieldsSchema):
    name = fields.Str(validate=validate.Length(1, 200))


class ProjectAccountsSchema(Schema):
    fees = fields.Str()
    expenses = fields.Str()


class ProjectSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()
    cost_centre = fields.Str()
    budget_pence = fields.Int()
    project_manager_user_id = fields.Int(allow_none=True)
    starts_on = PlausibleDate()
    ends_on = PlausibleDate(allow_none=True)
    accounts = fields.Nested(ProjectAccountsSchema)
    created_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)


class ProjectListArgsSchema(Schema):
    project_manager_user_id = fields.Int(load_default=None)


class ActivityInSchema(Schema):
    kind = fields.Str(required=True, validate=validate.OneOf(ACTIVITY_KINDS))
    title = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=200))
    occurs_on = PlausibleDate(required=True)
    duration_minutes = fields.Int(required=True, strict=True, validate=validate.Range(min=1))
    preparation_minutes = fields.Int(load_default=0, strict=True, validate=validate.Range(min=0))
    region = fields.Str(required=True, validate=validate.OneOf(REGIONS),
                        metadata={"description": "london or uk: which living-wage rate applies."})
    location = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=200))
    flat_fee_pence = fields.Int(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1),
                                metadata={"description": "A fee for the whole activity; omit to pay by the hour."})


class ActivitySchema(Schema):
    id = fields.Int()
    project_id = fields.Int()
    project_code = fields.Str()
    kind = fields.Str()
    title = fields.Str()
    occurs_on = PlausibleDate()
    duration_minutes = fields.Int()
    preparation_minutes = fields.Int()
    region = fields.Str()
    location = fields.Str(allow_none=True)
    flat_fee_pence = fields.Int(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    created_by_user_id = fields.Int(allow_none=True)


class ActivityListArgsSchema(Schema):
    start = PlausibleDate(load_default=None)
    end = PlausibleDate(load_default=None)


class AttendanceInSchema(Schema):
    participant_id = fields.Int(required=True, strict=True)
    actual_minutes = fields.Int(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1),
                                metadata={"description": "Only if different from the activity's duration."})
    with_supporter = fields.Bool(load_default=False)


class AttendanceSchema(Schema):
    id = fields.Int()
    activity_id = fields.Int()
    participant_id = fields.Int()
    participant_name = fields.Str()
    actual_minutes = fields.Int(allow_none=True)
    minutes_attended = fields.Int()
    preparation_minutes = fields.Int()
    with_supporter = fields.Bool()
    recorded_at = fields.DateTime(allow_none=True)
    recorded_by_user_id = fields.Int(allow_none=True)


# ---------------------------------------------------------------- projects


@blp.route("/projects")
class Projects(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(ProjectListArgsSchema, location="query")
    @blp.response(200, ProjectSchema(many=True))
    @requires("projects.read")
    def get(self, args):
        """Every project, by code (or those of one project manager)."""
        return services.list_projects(get_session(), project_manager_user_id=args["project_manager_user_id"],
                                      only_ids=visible_project_ids())

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(ProjectInSchema)
    @blp.response(201, ProjectSchema)
    @requires("projects.write")
    def post(self, data):
        """Record a project with its budget; its fees and expenses accounts are opened at the same time."""
        session = get_session()
        record = services.create_project(session, **data, actor_user_id=current_actor().id)
        session.commit()
        return record


@blp.route("/projects/<code>")
class ProjectView(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, ProjectSchema)
    @requires("projects.read", project="code")
    def get(self, code):
        """One project."""
        return services.get_project(get_session(), code)

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(ProjectChangesSchema)
    @blp.response(200, ProjectSchema)
    @requires("projects.write", project="code")
    def patch(self, data, code):
        """Change a project's name, cost centre, budget, manager or dates (never its code)."""
        session = get_session()
        record = services.update_project(session, code, data, actor_user_id=current_actor().id)
        session.commit()
        return record


# ---------------------------------------------------------------- activities


@blp.route("/projects/<code>/activities")
class Activities(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(ActivityListArgsSchema, location="query")
    @blp.response(200, ActivitySchema(many=True))
    @requires("projects.read", project="code")
    def get(self, args, code):
        """A project's activities by date, optionally between two dates."""
        return services.list_activities(get_session(), code, start=args["start"], end=args["end"])

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(ActivityInSchema)
    @blp.response(201, ActivitySchema)
    @requires("projects.write", project="code")
    def post(self, data, code):
        """Schedule an activity in a project."""
        session = get_session()
        record = services.schedule_activity(session, code, **data, actor_user_id=current_actor().id)
        session.commit()
        return record


@blp.route("/activities/<int:activity_id>")
@blp.doc(security=[{"bearer": []}])
@blp.response(200, ActivitySchema)
@requires("projects.read", project="activity_id")
def get_activity(activity_id):
    """One activity."""
    return services.get_activity(get_session(), activity_id)


@blp.route("/activities/<int:activity_id>/attendance")
class AttendanceList(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, AttendanceSchema(many=True))
    @requires("projects.read", project="activity_id")
    def get(self, activity_id):
        """Who attended an activity."""
        return services.list_attendance(get_session(), activity_id)

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(AttendanceInSchema)
    @blp.response(201, AttendanceSchema)
    @requires("projects.write", project="activity_id")
    def post(self, data, activity_id):
        """Record that a participant attended (once per activity)."""
        session = get_session()
        record = services.record_attendance(session, activity_id, data["participant_id"],
                                            actual_minutes=data["actual_minutes"],
                                            with_supporter=data["with_supporter"],
                                            actor_user_id=current_actor().id, today=todays_date())
        session.commit()
        return record


# ---------------------------------------------------------------- budget by cost line


def _pounds(attribute: str) -> fields.Function:
    return fields.Function(lambda obj: pounds(getattr(obj, attribute)),
                           metadata={"description": "pounds, as a decimal string", "example": "1234.50"})


class BudgetLineInSchema(Schema):
    kind = fields.Str(required=True, validate=validate.OneOf(LINE_KINDS))
    name = fields.Str(load_default=None, allow_none=True, validate=validate.Length(1, 200),
                      metadata={"description": "Defaults to the kind's usual name."})
    amount_pence = fields.Int(required=True, strict=True, validate=validate.Range(min=0))
    basis = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=1000),
                       metadata={"description": "How the amount was reached, in words."})


class BudgetLinesInSchema(Schema):
    lines = fields.List(fields.Nested(BudgetLineInSchema), required=True, validate=validate.Length(1, 4))


_HOURS = validate.Regexp(r"^\d{1,3}(\.\d{1,2})?$", error='Hours as a decimal string, like "2.5".')


class BudgetPlanInSchema(Schema):
    participants = fields.Int(required=True, strict=True, validate=validate.Range(min=0))
    meetings = fields.Int(required=True, strict=True, validate=validate.Range(min=0))
    meeting_hours = fields.Str(required=True, validate=_HOURS, metadata={"example": "3"})
    preparation_hours = fields.Str(load_default="0", validate=_HOURS, metadata={"example": "1"})
    expenses_per_person_per_meeting_pence = fields.Int(load_default=0, strict=True, validate=validate.Range(min=0),
                                                       metadata={"description": "Higher in rural areas."})
    access_costs_pence = fields.Int(load_default=0, strict=True, validate=validate.Range(min=0),
                                    metadata={"description": "Interpreters, supporters, accessible venues, "
                                                             "overnight stays."})
    contingency_percent = fields.Str(load_default="0", validate=validate.Regexp(
        r"^\d{1,3}(\.\d{1,2})?$", error='A percentage as a decimal string, like "10".'))
    region = fields.Str(load_default="uk", validate=validate.OneOf(REGIONS),
                        metadata={"description": "Which living-wage rate applies: london or uk."})
    rate_on = PlausibleDate(load_default=None, metadata={"description": "The date of the rate; defaults to the "
                                                                      "project's start."})


class BudgetPlanLineSchema(Schema):
    kind = fields.Str()
    name = fields.Str()
    amount_pence = fields.Int()
    amount = _pounds("amount_pence")
    basis = fields.Str()


class BudgetPlanSchema(Schema):
    project_code = fields.Str()
    budget_pence = fields.Int()
    budget = _pounds("budget_pence")
    lines = fields.List(fields.Nested(BudgetPlanLineSchema))
    set_at = fields.DateTime(allow_none=True)
    set_by_user_id = fields.Int(allow_none=True)


class BudgetPositionLineSchema(Schema):
    kind = fields.Str(allow_none=True, metadata={"description": "None for budget not split into cost lines."})
    name = fields.Str()
    budget_pence = fields.Int()
    committed_pence = fields.Int()
    spent_pence = fields.Int()
    remaining_pence = fields.Int()
    budget = _pounds("budget_pence")
    committed = _pounds("committed_pence")
    spent = _pounds("spent_pence")
    remaining = _pounds("remaining_pence")


class BudgetPositionSchema(BudgetPositionLineSchema):
    project_code = fields.Str()
    project_name = fields.Str()
    cost_centre = fields.Str()
    as_at = PlausibleDate()
    lines = fields.List(fields.Nested(BudgetPositionLineSchema))
    people_involved = fields.Int()
    activities_held = fields.Int()
    notes = fields.List(fields.Str())

    class Meta:
        exclude = ("kind", "name")


class BudgetArgsSchema(Schema):
    as_at = PlausibleDate(load_default=None, metadata={"description": "Defaults to today."})


@blp.route("/projects/<code>/budget")
class Budget(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(BudgetArgsSchema, location="query")
    @blp.response(200, BudgetPositionSchema)
    @requires("reports.read", project="code")
    def get(self, args, code):
        """The budget against what is committed (approved, not yet paid) and spent (paid), by cost line."""
        return services.budget_position(get_session(), code, as_at=args["as_at"] or todays_date())

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(BudgetLinesInSchema)
    @blp.response(200, BudgetPlanSchema)
    @requires("projects.write", project="code")
    def put(self, data, code):
        """Set the project's cost lines; its budget becomes their total."""
        session = get_session()
        plan = services.set_budget_plan(session, code, data["lines"], current_actor().id)
        session.commit()
        return plan


@blp.route("/projects/<code>/budget/plan", methods=["POST"])
@blp.doc(security=[{"bearer": []}])
@blp.arguments(BudgetPlanInSchema)
@blp.response(200, BudgetPlanSchema)
@requires("projects.write", project="code")
def plan_budget(data, code):
    """Plan the cost lines from participants x meetings x hours at the policy rate for the region, and store them.

    Fees: each person's fee for one meeting (meeting plus preparation hours at the hourly rate) is rounded once,
    half up, to the penny, as a claim's fee is, then multiplied by participants and meetings. Travel and
    expenses: participants x meetings x the amount per person per meeting. Contingency: the percentage of the
    other lines, rounded half up to the penny.
    """
    session = get_session()
    plan = services.plan_project_budget(
        session, code, rulebook=settings().rulebook,
        pay_basis=settings().pay_basis, actor_user_id=current_actor().id, **data)
    session.commit()
    return plan


# ---------------------------------------------------------------- project managers assigned


class ManagerSchema(Schema):
    user_id = fields.Int(attribute="id")
    display_name = fields.Str()
    email = fields.Str()


class ManagerInSchema(Schema):
    user_id = fields.Int(required=True, strict=True)


@blp.route("/projects/<code>/managers")
class Managers(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, ManagerSchema(many=True))
    @requires("projects.read", project="code")
    def get(self, code):
        """The project managers assigned to a project: they, finance and administrators see it."""
        return assignments.managers_of(get_session(), code)

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(ManagerInSchema)
    @blp.response(201, ManagerSchema(many=True))
    @requires("projects.assign")
    def post(self, data, code):
        """Assign a project manager to the project (finance or an administrator; never to yourself)."""
        session = get_session()
        managers = assignments.assign_manager(session, code, data["user_id"], actor_user_id=current_actor().id)
        session.commit()
        return managers


@blp.route("/projects/<code>/managers/<int:user_id>", methods=["DELETE"])
@blp.doc(security=[{"bearer": []}])
@blp.response(200, ManagerSchema(many=True))
@requires("projects.assign")
def unassign_manager(code, user_id):
    """Take a project manager off the project; they stop seeing it at once."""
    session = get_session()
    managers = assignments.unassign_manager(session, code, user_id, actor_user_id=current_actor().id)
    session.commit()
    return managers
