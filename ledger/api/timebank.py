"""The time bank over JSON: a participant's balance and history; spending and giving credits.

Finance may record spends and gifts for anyone. A participant may see their own balance and history and
spend or give their own credits: they are theirs, no money moves, and the same limits apply (never below
zero, or below the organisation's overdraft limit). Anyone else's participant id answers 404.

Time is given as whole minutes and, for reading, as hours in a decimal string ("1.50"). A movement is
asked for in either ``hours`` (a decimal string that is a whole number of minutes, e.g. "1.25") or
``minutes``. Each needs an ``idempotency_key``: sending the same request twice moves the credits once.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from ledger.api.dates import PlausibleDate
from ledger.auth.access import current_actor, requires
from ledger.context import get_session, settings, todays_date
from ledger.formatting import decimal_hours
from ledger.timebank import services

blp = Blueprint("timebank_api", __name__, url_prefix="/api/v1", description="The time bank")

_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


def _hours(attribute: str) -> fields.Function:
    return fields.Function(lambda obj: decimal_hours(getattr(obj, attribute)),
                           metadata={"description": "hours, as a decimal string", "example": "1.50"})


def _overdraft() -> int:
    return settings().time_credit_overdraft_minutes


# ---------------------------------------------------------------- schemas


class TimeCreditMovementInSchema(Schema):
    hours = fields.Str(load_default=None, validate=validate.Regexp(r"^\d{1,4}(\.\d{1,4})?$",
                                                                   error="Hours as a decimal string, e.g. \"1.5\"."))
    minutes = fields.Int(load_default=None, strict=True, validate=validate.Range(min=1))
    on = PlausibleDate(load_default=None, metadata={"description": "Defaults to today."})
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=services.MAX_NOTE))
    idempotency_key = fields.Str(required=True, validate=validate.Length(1, services.MAX_KEY))

    @validates_schema
    def _one_amount(self, data, **kwargs):
        if (data.get("hours") is None) == (data.get("minutes") is None):
            raise ValidationError("Give either hours or minutes.", field_name="hours")
        if data.get("hours") is not None:
            try:
                minutes = Decimal(data["hours"]) * 60
            except InvalidOperation:
                raise ValidationError("Not a number.", field_name="hours") from None
            if minutes != minutes.to_integral_value() or minutes <= 0:
                raise ValidationError("Must be more than zero and a whole number of minutes.", field_name="hours")

    @post_load
    def _to_minutes(self, data, **kwargs):
        hours = data.pop("hours")
        if hours is not None:
            data["minutes"] = int(Decimal(hours) * 60)
        return data


class TimeCreditSpendInSchema(TimeCreditMovementInSchema):
    partner_id = fields.Int(required=True, strict=True)


class TimeCreditGiveInSchema(TimeCreditMovementInSchema):
    to_participant_id = fields.Int(load_default=None, strict=True)
    to_group_id = fields.Int(load_default=None, strict=True)


class TimeCreditTransferSchema(Schema):
    id = fields.Int()
    participant_id = fields.Int()
    kind = fields.Str()
    partner_id = fields.Int(allow_none=True)
    to_participant_id = fields.Int(allow_none=True)
    to_group_id = fields.Int(allow_none=True)
    minutes = fields.Int()
    hours = _hours("minutes")
    effective_date = PlausibleDate()
    note = fields.Str(allow_none=True)
    idempotency_key = fields.Str()
    entry_id = fields.Int()
    balance_minutes = fields.Int()
    balance_hours = _hours("balance_minutes")


class TimeCreditHistoryLineSchema(Schema):
    entry_id = fields.Int()
    effective_date = PlausibleDate()
    description = fields.Str()
    kind = fields.Str()
    minutes = fields.Int()
    hours = _hours("minutes")
    running_minutes = fields.Int()
    transfer_kind = fields.Str(allow_none=True)
    partner_id = fields.Int(allow_none=True)
    to_participant_id = fields.Int(allow_none=True)
    to_group_id = fields.Int(allow_none=True)
    from_participant_id = fields.Int(allow_none=True)


class TimeCreditBalanceSchema(Schema):
    participant_id = fields.Int()
    balance_minutes = fields.Int()
    balance_hours = _hours("balance_minutes")
    overdraft_limit_minutes = fields.Int()
    history = fields.List(fields.Nested(TimeCreditHistoryLineSchema), attribute="lines")


class _Balance:
    def __init__(self, history: services.TimeCreditHistory, overdraft: int):
        self.participant_id = history.participant_id
        self.balance_minutes = history.balance_minutes
        self.overdraft_limit_minutes = overdraft
        self.lines = history.lines


# ---------------------------------------------------------------- routes


@blp.route("/participants/<int:participant_id>/time-credits")
@blp.doc(security=_SECURITY)
@blp.response(200, TimeCreditBalanceSchema)
@requires("participants.read", own_participant="participant_id")
def get_time_credits(participant_id):
    """A participant's time-credit balance and every movement (participants may see their own)."""
    return _Balance(services.time_credit_history(get_session(), participant_id), _overdraft())


@blp.route("/participants/<int:participant_id>/time-credits/spend", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(TimeCreditSpendInSchema)
@blp.response(201, TimeCreditTransferSchema)
@requires("payments.manage", own_participant="participant_id")
def spend_time_credits(data, participant_id):
    """Spend time credits at a partner organisation (finance, or the participant themself)."""
    session = get_session()
    today = todays_date()
    record = services.spend_time_credits(
        session, participant_id, data["partner_id"], data["minutes"], data["on"] or today, data["note"],
        data["idempotency_key"], current_actor().id, _overdraft(), today=today,
        by_participant=current_actor().participant_id == participant_id)
    session.commit()
    return record


@blp.route("/participants/<int:participant_id>/time-credits/give", methods=["POST"])
@blp.doc(security=_SECURITY)
@blp.arguments(TimeCreditGiveInSchema)
@blp.response(201, TimeCreditTransferSchema)
@requires("payments.manage", own_participant="participant_id")
def give_time_credits(data, participant_id):
    """Give time credits to another participant or a user-led group (finance, or the participant themself)."""
    session = get_session()
    today = todays_date()
    record = services.give_time_credits(
        session, participant_id, to_participant_id=data["to_participant_id"], to_group_id=data["to_group_id"],
        minutes=data["minutes"], on=data["on"] or today, note=data["note"], idempotency_key=data["idempotency_key"],
        actor_user_id=current_actor().id, overdraft_limit_minutes=_overdraft(), today=today,
        by_participant=current_actor().participant_id == participant_id)
    session.commit()
    return record
