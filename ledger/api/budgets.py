"""The budget planner over JSON: price a plan (a preview), save versions, compare two, approve a baseline, and
read the baseline against what approved claims have committed and spent, with its warnings.

A plan is JSON (see ``ledger.budgets.plan``): money in whole pence, hours, miles and percentages as decimal
strings, dates as YYYY-MM-DD or a month as YYYY-MM. Marshmallow checks the shape here (422 naming the field);
what the figures mean (a rate the rules lack, a fee below the legal minimum) is checked by the service (400
naming the field). Every priced line carries its working and the rule and date its rate came from. The old
``/projects/<code>/budget`` and ``/budget/plan`` routes are unchanged.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.api.dates import PlausibleDate
from ledger.api.projects import BudgetPositionSchema
from ledger.auth.access import current_actor, requires
from ledger.budgets import services
from ledger.budgets.plan import COST_LINES, ITEM_KIND_KEYS, REGIONS, ROLES
from ledger.context import get_session, planner_rulebook, settings, todays_date
from ledger.formatting import pounds

blp = Blueprint("budgets_api", __name__, url_prefix="/api/v1", description="The budget planner")

_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
_NUMBER = validate.Regexp(r"^\d{1,6}(\.\d{1,2})?$", error='A number as a decimal string, like "2.5".')
_DATE = validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="A date as YYYY-MM-DD, like 2027-03-04.")
_MONTH = validate.Regexp(r"^\d{4}-\d{2}$", error="A month as YYYY-MM, like 2027-03.")
_PENCE = validate.Range(min=0, max=10_000_000)


class PlannerItemInSchema(Schema):
    kind = fields.Str(required=True, validate=validate.OneOf(ITEM_KIND_KEYS))
    count = fields.Int(strict=True, validate=validate.Range(min=0, max=10_000),
                       metadata={"description": "People (or units) it is for; 1 when not given."})
    quantity = fields.Str(validate=_NUMBER, metadata={"description": "Hours, miles, nights... each; 1 when not given."})
    rate_pence = fields.Int(strict=True, allow_none=True, validate=_PENCE,
                            metadata={"description": "The rate per unit; the rules' or planning default when not "
                                                     "given (some costs have none and must be given)."})
    description = fields.Str(allow_none=True, validate=validate.Length(max=200))
    cost_line = fields.Str(allow_none=True, validate=validate.OneOf(COST_LINES))


class PlannerRoleInSchema(Schema):
    role = fields.Str(required=True, validate=validate.OneOf(ROLES))
    name = fields.Str(allow_none=True, validate=validate.Length(max=200))
    hourly_rate_pence = fields.Int(strict=True, allow_none=True, validate=_PENCE,
                                   metadata={"description": "The role's own fee an hour; the organisation's pay "
                                                            "rate from the rules when not given."})


class PeopleField(fields.Dict):
    def __init__(self, **kwargs) -> None:
        super().__init__(keys=fields.Str(validate=validate.OneOf(ROLES)),
                         values=fields.Int(strict=True, validate=validate.Range(min=0, max=10_000)), **kwargs)


class PlannerMeetingInSchema(Schema):
    title = fields.Str(allow_none=True, validate=validate.Length(max=200))
    on = fields.Str(allow_none=True, validate=_DATE)
    month = fields.Str(allow_none=True, validate=_MONTH, metadata={"description": "When the day is not fixed yet."})
    hours = fields.Str(required=True, validate=_NUMBER)
    preparation_hours = fields.Str(validate=_NUMBER)
    people = PeopleField(allow_none=True, metadata={"description": "People per role; as at each meeting if not given."})
    items = fields.List(fields.Nested(PlannerItemInSchema), allow_none=True)


class PlannerEachMeetingInSchema(Schema):
    people = PeopleField()
    items = fields.List(fields.Nested(PlannerItemInSchema))


class PlannerPlanInSchema(Schema):
    region = fields.Str(validate=validate.OneOf(REGIONS))
    roles = fields.List(fields.Nested(PlannerRoleInSchema))
    meetings = fields.List(fields.Nested(PlannerMeetingInSchema), required=True)
    each_meeting = fields.Nested(PlannerEachMeetingInSchema)
    project_items = fields.List(fields.Nested(PlannerItemInSchema))
    contingency_percent = fields.Str(validate=_NUMBER)
    time_credit_hours = fields.Str(validate=_NUMBER)


class PlannerVersionInSchema(PlannerPlanInSchema):
    label = fields.Str(allow_none=True, validate=validate.Length(max=200),
                       metadata={"description": "A name for the version, like \"Funding bid\"."})


def _pounds(attribute: str) -> fields.Function:
    return fields.Function(lambda obj: pounds(getattr(obj, attribute)),
                           metadata={"description": "pounds, as a decimal string", "example": "1234.50"})


class PlannerPricedLineSchema(Schema):
    key = fields.Str()
    section = fields.Str()
    cost_line = fields.Str()
    description = fields.Str()
    priced_on = PlausibleDate(allow_none=True)
    count = fields.Int()
    quantity = fields.Decimal(as_string=True)
    unit = fields.Str()
    rate_pence = fields.Int()
    each_pence = fields.Int()
    amount_pence = fields.Int()
    amount = _pounds("amount_pence")
    rule_key = fields.Str(allow_none=True, metadata={"description": "None: the rate was entered."})
    rule_from = PlausibleDate(allow_none=True)
    announced = fields.Bool(metadata={"description": "The rate is in force only after the day it was priced."})
    notes = fields.List(fields.Str())
    working = fields.Str()
    source = fields.Str()


class PlannerPricedPlanSchema(Schema):
    priced_on = PlausibleDate()
    region = fields.Str()
    contingency_percent = fields.Decimal(as_string=True)
    time_credit_hours = fields.Decimal(as_string=True)
    total_pence = fields.Int()
    total = _pounds("total_pence")
    announced_lines = fields.Int()
    lines = fields.List(fields.Nested(PlannerPricedLineSchema))


class PlannerVersionSchema(Schema):
    project_code = fields.Str()
    number = fields.Int()
    label = fields.Str(allow_none=True)
    status = fields.Str()
    total_pence = fields.Int()
    total = _pounds("total_pence")
    created_at = fields.DateTime()
    approved_at = fields.DateTime(allow_none=True)
    plan = fields.Nested(PlannerPricedPlanSchema)
    inputs = fields.Dict()


class PlannerComparedLineSchema(Schema):
    key = fields.Str()
    description = fields.Str()
    before_pence = fields.Int(allow_none=True)
    after_pence = fields.Int(allow_none=True)
    difference_pence = fields.Int()
    before_working = fields.Str()
    after_working = fields.Str()


class PlannerVersionSummarySchema(Schema):
    project_code = fields.Str()
    number = fields.Int()
    label = fields.Str(allow_none=True)
    status = fields.Str()
    total_pence = fields.Int()
    total = _pounds("total_pence")
    created_at = fields.DateTime()
    approved_at = fields.DateTime(allow_none=True)


class PlannerComparisonSchema(Schema):
    before = fields.Function(lambda c: c.before.number, metadata={"type": "integer"})
    after = fields.Function(lambda c: c.after.number, metadata={"type": "integer"})
    difference_pence = fields.Int()
    lines = fields.List(fields.Nested(PlannerComparedLineSchema))


class PlannerCompareArgsSchema(Schema):
    before = fields.Int(required=True)
    after = fields.Int(required=True)


class PlannerWarningSchema(Schema):
    level = fields.Str()
    message = fields.Str()


class PlannerBaselineSchema(Schema):
    baseline = fields.Int(allow_none=True, metadata={"description": "The baseline version's number."})
    position = fields.Nested(BudgetPositionSchema)
    warnings = fields.List(fields.Nested(PlannerWarningSchema))


def _pricing() -> dict:
    return {"rulebook": planner_rulebook(), "pay_basis": settings().pay_basis, "today": todays_date()}


@blp.route("/projects/<code>/budget/preview", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(PlannerPlanInSchema)
@blp.response(200, PlannerPricedPlanSchema)
@requires("projects.write", project="code")
def preview(data, code):
    """Price a plan from the dated rules for each meeting's date, without saving it."""
    return services.preview_budget(get_session(), code, data, **_pricing())


@blp.route("/projects/<code>/budget/versions")
class Versions(MethodView):
    @blp.doc(security=_SECURITY)
    @blp.response(200, PlannerVersionSummarySchema(many=True))
    @requires("reports.read", project="code")
    def get(self, code):
        """Every saved version of the project's budget, newest first."""
        return services.list_budget_versions(get_session(), code)

    @blp.doc(security=_SECURITY)
    @blp.arguments(PlannerVersionInSchema)
    @blp.response(201, PlannerVersionSchema)
    @requires("projects.write", project="code")
    def post(self, data, code):
        """Price a plan (with an optional label) and save it as the project's next version; none is overwritten."""
        session = get_session()
        label = data.pop("label", None)
        version = services.save_budget_version(session, code, data, label=label,
                                               actor_user_id=current_actor().id, **_pricing())
        session.commit()
        return version


@blp.route("/projects/<code>/budget/versions/<int:number>")
@blp.doc(security=_SECURITY)
@blp.response(200, PlannerVersionSchema)
@requires("reports.read", project="code")
def version(code, number):
    """One saved version, every line with its working and the rule and date its rate came from."""
    return services.get_budget_version(get_session(), code, number)


@blp.route("/projects/<code>/budget/versions/<int:number>/approve", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.response(200, PlannerVersionSchema)
@requires("projects.write", project="code")
def approve(code, number):
    """Make this version the baseline: the project's budget by cost line becomes its totals."""
    session = get_session()
    record = services.approve_budget_baseline(session, code, number, actor_user_id=current_actor().id)
    session.commit()
    return record


@blp.route("/projects/<code>/budget/compare")
@blp.doc(security=_SECURITY)
@blp.arguments(PlannerCompareArgsSchema, location="query")
@blp.response(200, PlannerComparisonSchema)
@requires("reports.read", project="code")
def compare(args, code):
    """Two versions line by line (a line in one only has null on the other side)."""
    return services.compare_budget_versions(get_session(), code, args["before"], args["after"])


@blp.route("/projects/<code>/budget/baseline")
@blp.doc(security=_SECURITY)
@blp.response(200, PlannerBaselineSchema)
@requires("reports.read", project="code")
def baseline(code):
    """The baseline against what is committed and spent, with warnings at 80% and 100% of a line and when the
    rates known today (announced rises included) would take the plan over its budget."""
    session = get_session()
    position, warnings = services.budget_against_reality(session, code, as_at=todays_date(), **_pricing())
    found = services.baseline_version(session, code)
    return {"baseline": found.number if found else None, "position": position, "warnings": warnings}
