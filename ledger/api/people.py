"""Participants, their benefit declarations and bank details, user-led groups and partners over JSON.

Bank details go in through their own endpoints and never come out except masked (``**-**-56``,
``****1234``). Benefits are special-category data: only finance, administrators and the participant
themself see them, and only at ``/participants/<id>/benefits``. Project managers see a directory of
names and preferred formats, enough to arrange activities and record attendance.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger import bounds, paging
from ledger.api.dates import PlausibleDate
from ledger.api.paging import LINK_HEADER, link_headers
from ledger.auth.access import current_actor, requires
from ledger.context import get_session, settings, todays_date
from ledger.events.views import record_view
from ledger.people import services
from ledger.people.models import PREFERRED_FORMATS, REWARD_CHOICES
from ledger.projects import assignments

blp = Blueprint("people_api", __name__, url_prefix="/api/v1",
                description="Participants, user-led groups and partner organisations")


# ---------------------------------------------------------------- schemas


class MaskedBankDetailsSchema(Schema):
    sort_code = fields.Str(metadata={"example": "**-**-56"})
    account_number = fields.Str(metadata={"example": "****1234"})
    set_at = fields.DateTime(allow_none=True)
    returned_on = PlausibleDate(allow_none=True, metadata={
        "description": "A payment to these details came back from the bank on this day: change them to pay again."})
    returned_reason = fields.Str(allow_none=True, metadata={"description": "account_closed, details_wrong or other"})


class BankDetailsInSchema(Schema):
    sort_code = fields.Str(required=True, validate=validate.Length(1, 20), metadata={"example": "12-34-56"})
    account_number = fields.Str(required=True, validate=validate.Length(1, 20), metadata={"example": "12345678"})
    account_name = fields.Str(required=True, validate=validate.Length(1, 70))
    roll_number = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=18))


class ParticipantAccountsSchema(Schema):
    owed = fields.Str()
    advance = fields.Str()
    time_credits = fields.Str()


class ParticipantFieldsSchema(Schema):
    preferred_name = fields.Str(allow_none=True, validate=validate.Length(max=200))
    email = fields.Email(allow_none=True)
    phone = fields.Str(allow_none=True, validate=validate.Length(max=40))
    postal_address = fields.Str(allow_none=True, validate=validate.Length(max=500))
    preferred_format = fields.Str(allow_none=True, validate=validate.OneOf(PREFERRED_FORMATS))
    date_of_birth = PlausibleDate(allow_none=True, earliest=bounds.EARLIEST_BIRTH_DATE)
    default_reward = fields.Str(validate=validate.OneOf(REWARD_CHOICES))
    default_group_id = fields.Int(strict=True, allow_none=True)
    access_needs = fields.Str(allow_none=True, validate=validate.Length(max=2000), metadata={
        "description": "What they need to take part (a hearing loop, step-free access, a supporter); encrypted."})


class ParticipantInSchema(ParticipantFieldsSchema):
    name = fields.Str(required=True, validate=validate.Length(1, 200))


class ParticipantChangesSchema(ParticipantFieldsSchema):
    name = fields.Str(validate=validate.Length(1, 200))
    is_active = fields.Bool()
    national_insurance_number = fields.Str(
        allow_none=True, validate=validate.Length(max=20),
        metadata={"description": "Optional, for the benefits evidence pack; stored encrypted, answered masked. "
                                 "null or \"\" removes it.", "example": "AB 12 34 56 C"})


class ParticipantSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    preferred_name = fields.Str(allow_none=True)
    email = fields.Str(allow_none=True)
    phone = fields.Str(allow_none=True)
    postal_address = fields.Str(allow_none=True)
    preferred_format = fields.Str()
    date_of_birth = PlausibleDate(allow_none=True, earliest=bounds.EARLIEST_BIRTH_DATE)
    default_reward = fields.Str()
    default_group_id = fields.Int(allow_none=True)
    is_active = fields.Bool()
    bank_details = fields.Nested(MaskedBankDetailsSchema, allow_none=True)
    accounts = fields.Nested(ParticipantAccountsSchema)
    created_at = fields.DateTime(allow_none=True)
    access_needs = fields.Str(allow_none=True)
    erased_at = fields.DateTime(allow_none=True, metadata={"description": "Their details were erased on this day."})
    updated_at = fields.DateTime(allow_none=True)
    national_insurance_number = fields.Str(allow_none=True, metadata={
        "description": "Masked: only the letters show. The full number is printed on the evidence pack only.",
        "example": "AB •• •• •• C"})


class ParticipantSummarySchema(Schema):
    id = fields.Int()
    name = fields.Str()
    preferred_name = fields.Str(allow_none=True)
    preferred_format = fields.Str()
    is_active = fields.Bool()


class DirectoryArgsSchema(Schema):
    include_inactive = fields.Bool(load_default=False)
    search = fields.Str(load_default=None, validate=validate.Length(max=200))
    limit = fields.Int(load_default=500, validate=validate.Range(1, 1000))
    cursor = fields.Str(load_default=None, validate=validate.Length(max=400),
                        metadata={"description": "From the Link header's next page; leave out for the first"})


PARTICIPANTS_CURSOR = "pa1:"


class BenefitsInSchema(Schema):
    declared_on = PlausibleDate(load_default=None, metadata={"description": "Defaults to today."})
    benefits = fields.List(
        fields.Dict(keys=fields.Str()),
        required=True,
        metadata={"description": "Shaped like the public calculator's benefits items; [] for none.",
                  "example": [{"name": "universal_credit", "work_allowance": "with_housing",
                               "assessment_period_start_day": 10}]},
    )
    circumstances = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class BenefitDeclarationSchema(Schema):
    id = fields.Int()
    participant_id = fields.Int()
    declared_on = PlausibleDate()
    benefits = fields.List(fields.Dict(keys=fields.Str()))
    circumstances = fields.Str(allow_none=True)
    recorded_at = fields.DateTime(allow_none=True)
    recorded_by_user_id = fields.Int(allow_none=True)


class ContactFieldsSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(1, 200))
    contact_name = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=200))
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    postal_address = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500))


class GroupInSchema(ContactFieldsSchema):
    charity_number = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=20))


class GroupAccountsSchema(Schema):
    owed = fields.Str()


class GroupSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    contact_name = fields.Str(allow_none=True)
    email = fields.Str(allow_none=True)
    phone = fields.Str(allow_none=True)
    postal_address = fields.Str(allow_none=True)
    charity_number = fields.Str(allow_none=True)
    is_active = fields.Bool()
    bank_details = fields.Nested(MaskedBankDetailsSchema, allow_none=True)
    accounts = fields.Nested(GroupAccountsSchema)
    created_at = fields.DateTime(allow_none=True)


class PartnerInSchema(ContactFieldsSchema):
    description = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PartnerAccountsSchema(Schema):
    time_credits = fields.Str()


class PartnerSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    description = fields.Str(allow_none=True)
    contact_name = fields.Str(allow_none=True)
    email = fields.Str(allow_none=True)
    phone = fields.Str(allow_none=True)
    postal_address = fields.Str(allow_none=True)
    is_active = fields.Bool()
    accounts = fields.Nested(PartnerAccountsSchema)
    created_at = fields.DateTime(allow_none=True)


class IncludeInactiveSchema(Schema):
    include_inactive = fields.Bool(load_default=False)


# ---------------------------------------------------------------- participants


@blp.route("/participants")
class Participants(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(DirectoryArgsSchema, location="query")
    @blp.response(200, ParticipantSummarySchema(many=True), headers=LINK_HEADER)
    @requires("participants.directory")
    def get(self, args):
        """The participant directory by name: names and preferred formats; a page at a time, the next in ``Link``."""
        after = paging.decode_cursor(PARTICIPANTS_CURSOR, args["cursor"], (str, int))
        found = assignments.participant_directory(
            get_session(), current_actor(), include_inactive=args["include_inactive"], search=args["search"],
            after=None if after is None else (after[0], after[1]), limit=args["limit"] + 1)
        shown, next_cursor = paging.page_of(found, args["limit"], PARTICIPANTS_CURSOR,
                                            lambda p: (p.name, p.id))
        return shown, 200, link_headers(next_cursor)

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(ParticipantInSchema)
    @blp.response(201, ParticipantSchema)
    @requires("participants.write")
    def post(self, data):
        """Record a participant; their accounts in the books are opened at the same time."""
        session = get_session()
        record = services.create_participant(session, **data, today=todays_date())
        session.commit()
        return record


@blp.route("/participants/<int:participant_id>")
class ParticipantView(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, ParticipantSchema)
    @requires("participants.read", own_participant="participant_id")
    def get(self, participant_id):
        """One participant's record, bank details masked (participants may read their own); the view is kept."""
        session = get_session()
        record = services.get_participant(session, participant_id)
        if record.bank_details is not None:
            record_view(session, participant_id=participant_id, what="bank_details", channel="api",
                        actor_user_id=current_actor().id)
            session.commit()
        return record

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(ParticipantChangesSchema)
    @blp.response(200, ParticipantSchema)
    @requires("participants.write")
    def patch(self, data, participant_id):
        """Change some of a participant's details."""
        session = get_session()
        record = services.update_participant(session, participant_id, data, today=todays_date(),
                                             cipher=settings().bank_cipher, actor_user_id=current_actor().id)
        session.commit()
        return record


@blp.route("/participants/<int:participant_id>/bank-details", methods=["PUT"])
@blp.doc(security=[{"bearer": []}])
@blp.arguments(BankDetailsInSchema)
@blp.response(200, ParticipantSchema)
@requires("participants.write")
def put_participant_bank_details(data, participant_id):
    """Set a participant's bank details (stored encrypted; answered masked)."""
    session = get_session()
    record = services.set_bank_details(session, settings().bank_cipher, participant_id, **data,
                                       actor_user_id=current_actor().id)
    session.commit()
    return record


@blp.route("/participants/<int:participant_id>/benefits")
class Benefits(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.response(200, BenefitDeclarationSchema(many=True))
    @requires("participants.read", own_participant="participant_id")
    def get(self, participant_id):
        """Every benefits declaration, the one in force first; the view is kept."""
        session = get_session()
        history = services.benefit_history(session, participant_id)
        record_view(session, participant_id=participant_id, what="benefits", channel="api",
                    actor_user_id=current_actor().id)
        session.commit()
        return history

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(BenefitsInSchema)
    @blp.response(201, BenefitDeclarationSchema)
    @requires("participants.write", own_participant="participant_id")
    def post(self, data, participant_id):
        """Declare benefits and circumstances (finance, or the participant themself); earlier ones are kept."""
        session = get_session()
        today = todays_date()
        record = services.declare_benefits(session, participant_id, benefits=data["benefits"],
                                           declared_on=data["declared_on"] or today,
                                           circumstances=data["circumstances"],
                                           actor_user_id=current_actor().id, today=today)
        session.commit()
        return record


# ---------------------------------------------------------------- user-led groups


@blp.route("/groups")
class Groups(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(IncludeInactiveSchema, location="query")
    @blp.response(200, GroupSchema(many=True))
    @requires("participants.directory")
    def get(self, args):
        """User-led groups that fees can be paid to."""
        return services.list_groups(get_session(), include_inactive=args["include_inactive"])

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(GroupInSchema)
    @blp.response(201, GroupSchema)
    @requires("participants.write")
    def post(self, data):
        """Record a user-led group; its account in the books is opened at the same time."""
        session = get_session()
        record = services.create_group(session, **data)
        session.commit()
        return record


@blp.route("/groups/<int:group_id>")
@blp.doc(security=[{"bearer": []}])
@blp.response(200, GroupSchema)
@requires("participants.directory")
def get_group(group_id):
    """One user-led group, bank details masked."""
    return services.get_group(get_session(), group_id)


@blp.route("/groups/<int:group_id>/bank-details", methods=["PUT"])
@blp.doc(security=[{"bearer": []}])
@blp.arguments(BankDetailsInSchema)
@blp.response(200, GroupSchema)
@requires("participants.write")
def put_group_bank_details(data, group_id):
    """Set a user-led group's bank details (stored encrypted; answered masked)."""
    session = get_session()
    record = services.set_group_bank_details(session, settings().bank_cipher, group_id, **data,
                                             actor_user_id=current_actor().id)
    session.commit()
    return record


# ---------------------------------------------------------------- partner organisations


@blp.route("/partners")
class Partners(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(IncludeInactiveSchema, location="query")
    @blp.response(200, PartnerSchema(many=True))
    @requires("participants.directory")
    def get(self, args):
        """Partner organisations where time credits are spent."""
        return services.list_partners(get_session(), include_inactive=args["include_inactive"])

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(PartnerInSchema)
    @blp.response(201, PartnerSchema)
    @requires("participants.write")
    def post(self, data):
        """Record a partner organisation; its time-credit account is opened at the same time."""
        session = get_session()
        record = services.create_partner(session, **data)
        session.commit()
        return record


@blp.route("/partners/<int:partner_id>")
@blp.doc(security=[{"bearer": []}])
@blp.response(200, PartnerSchema)
@requires("participants.directory")
def get_partner(partner_id):
    """One partner organisation."""
    return services.get_partner(get_session(), partner_id)
