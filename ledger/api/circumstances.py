"""A participant's own contact details, and the changes in benefits they report for finance to review, over JSON.

The same services as the participant's pages (``ledger.people.contact``, ``ledger.people.circumstances``): a
participant may change their own contact details and report a change; finance lists the reports waiting and
reviews each (accepting one records a new benefits declaration from the day it changed).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.api.dates import PlausibleDate
from ledger.api.people import ParticipantSchema
from ledger.auth.access import current_actor, requires
from ledger.context import get_session, todays_date
from ledger.people.benefits import PERMITTED_WORK, WORK_ALLOWANCES
from ledger.people.circumstances import circumstance_reports, report_circumstances, review_circumstance_report
from ledger.people.contact import change_contact_details
from ledger.people.models import CIRCUMSTANCE_CHANGES, PREFERRED_FORMATS, REPORT_STATUSES

blp = Blueprint("circumstances_api", __name__, url_prefix="/api/v1",
                description="A participant's own contact details, and changes in benefits reported for review")


class ContactDetailsSchema(Schema):
    email = fields.Email(allow_none=True)
    phone = fields.Str(allow_none=True, validate=validate.Length(max=40))
    postal_address = fields.Str(allow_none=True, validate=validate.Length(max=500))
    preferred_format = fields.Str(validate=validate.OneOf(PREFERRED_FORMATS))


class ReportInSchema(Schema):
    change = fields.Str(required=True, validate=validate.OneOf(CIRCUMSTANCE_CHANGES), metadata={
        "description": "started (a benefit started), stopped (a benefit stopped) or other"})
    benefit = fields.Str(load_default=None, allow_none=True, metadata={
        "description": "The benefit's name, as in the benefit calculator (universal_credit...); for started "
                       "and stopped"})
    changed_on = PlausibleDate(required=True)
    details = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ReportSchema(Schema):
    id = fields.Int()
    participant_id = fields.Int()
    participant_name = fields.Str()
    change = fields.Str()
    benefit = fields.Str(allow_none=True)
    changed_on = PlausibleDate()
    details = fields.Str(allow_none=True)
    summary = fields.Str()
    status = fields.Str(metadata={"description": "waiting, accepted or not_accepted"})
    reported_at = fields.DateTime()
    reviewed_at = fields.DateTime(allow_none=True)
    review_note = fields.Str(allow_none=True)
    declaration_id = fields.Int(allow_none=True)


class ReportArgsSchema(Schema):
    status = fields.Str(load_default="waiting", validate=validate.OneOf((*REPORT_STATUSES, "all")))


class BenefitDetailsSchema(Schema):
    work_allowance = fields.Str(allow_none=True, validate=validate.OneOf(WORK_ALLOWANCES))
    assessment_period_start_day = fields.Int(strict=True, allow_none=True, validate=validate.Range(1, 31))
    permitted_work = fields.Str(allow_none=True, validate=validate.OneOf(PERMITTED_WORK))


class ReviewInSchema(Schema):
    accepted = fields.Bool(required=True)
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    benefit = fields.Nested(BenefitDetailsSchema, load_default=dict, metadata={
        "description": "For a benefit that started: the details the rules need (Universal Credit's work "
                       "allowance and assessment period, ESA's permitted work)"})


@blp.route("/participants/<int:participant_id>/contact-details", methods=["PATCH"])
@blp.doc(security=[{"bearer": []}])
@blp.arguments(ContactDetailsSchema)
@blp.response(200, ParticipantSchema)
@requires("participants.write", own_participant="participant_id")
def patch_contact_details(data, participant_id):
    """Change contact details or preferred format (finance, or the participant themself)."""
    session = get_session()
    record = change_contact_details(session, participant_id, data, actor_user_id=current_actor().id,
                                    today=todays_date())
    session.commit()
    return record


@blp.route("/participants/<int:participant_id>/circumstance-reports")
class ParticipantReports(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, ReportSchema(many=True))
    @requires("participants.read", own_participant="participant_id")
    def get(self, participant_id):
        """Every change the participant has reported, oldest first, with its review."""
        return circumstance_reports(get_session(), status=None, participant_id=participant_id)

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(ReportInSchema)
    @blp.response(201, ReportSchema)
    @requires("participants.write", own_participant="participant_id")
    def post(self, data, participant_id):
        """Report a change in benefits or circumstances, for finance to review (no declaration yet)."""
        session = get_session()
        record = report_circumstances(session, participant_id, **data, actor_user_id=current_actor().id,
                                      today=todays_date())
        session.commit()
        return record


@blp.route("/circumstance-reports")
@blp.doc(security=[{"bearer": []}])
@blp.arguments(ReportArgsSchema, location="query")
@blp.response(200, ReportSchema(many=True))
@requires("participants.write")
def list_reports(args):
    """Reports by status (waiting by default; ``all`` for every one), the longest waiting first."""
    status = None if args["status"] == "all" else args["status"]
    return circumstance_reports(get_session(), status=status)


@blp.route("/circumstance-reports/<int:report_id>/review", methods=["POST"])
@blp.doc(security=[{"bearer": []}])
@blp.arguments(ReviewInSchema)
@blp.response(200, ReportSchema)
@requires("participants.write")
def review_report(data, report_id):
    """Accept a report (a new declaration from the day it changed) or not (a note is needed)."""
    session = get_session()
    record = review_circumstance_report(session, report_id, accepted=data["accepted"], note=data["note"],
                                        benefit_fields=data["benefit"], actor_user_id=current_actor().id,
                                        today=todays_date())
    session.commit()
    return record
