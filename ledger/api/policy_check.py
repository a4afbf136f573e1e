"""The public benefit-safety calculator: ``POST /api/v1/policy/check`` (no login; rate limited by the app).

Syntax is checked here, at the edge, by marshmallow; the meaning is the policy engine's
(`policies.calculator.check_request`). The request and answer shapes are a public contract: fields may be
added, never renamed. Malformed input gets a 400 in the application's one error shape, naming each bad
field by its path (``benefits.0.work_allowance``, ``proposed.amount``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from ledger.api.dates import PlausibleDate
from ledger.auth.access import public, rate_limited
from ledger.context import settings
from ledger.errors import LedgerError, PolicyRuleMissing
from policies.benefits import ESA, WEEKDAYS, UniversalCredit
from policies.calculator import BENEFIT_FIELDS, BENEFIT_NAMES, DISREGARD_LEVELS, check_request
from policies.errors import PolicyError, RuleNotFound
from policies.pay import REGIONS
from policies.payments import PaymentKind

blp = Blueprint(
    "policy_check",
    __name__,
    url_prefix="/api/v1",
    description="Public calculator: would a payment affect someone's benefits? No login needed.",
)

MAX_PAYMENTS = 1000
_MONEY = re.compile(r"^\d{1,7}(\.\d{1,2})?$")
_HOURS = re.compile(r"^\d{1,3}(\.\d{1,2})?$")
_FIELDS_FOR = {name: set(fields_) for name, fields_ in BENEFIT_FIELDS.items()}
_REQUIRED_FOR = {
    name: tuple(f for f, required in fields_.items() if required) for name, fields_ in BENEFIT_FIELDS.items()
}


class DecimalString(fields.Field):
    """A non-negative decimal written as a JSON string (or whole number), read exactly as a Decimal."""

    def __init__(self, pattern: re.Pattern[str], example: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pattern = pattern
        self.example = example

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            value = str(value)
        if not isinstance(value, str) or not self.pattern.match(value.strip()):
            raise SchemaError(f'Must be a decimal string with at most 2 decimal places, such as "{self.example}".')
        return Decimal(value.strip())

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


def Money(**kwargs: Any) -> DecimalString:
    return DecimalString(_MONEY, "40.00", **kwargs)


def Hours(**kwargs: Any) -> DecimalString:
    return DecimalString(_HOURS, "2.5", **kwargs)


class BenefitInSchema(Schema):
    name = fields.Str(required=True, validate=validate.OneOf(BENEFIT_NAMES))
    week_start = fields.Str(validate=validate.OneOf(WEEKDAYS))
    other_weekly_net_earnings = Money()
    work_allowance = fields.Str(validate=validate.OneOf(UniversalCredit.ALLOWANCES))
    assessment_period_start_day = fields.Int(strict=True, validate=validate.Range(1, 31))
    other_monthly_net_earnings = Money()
    permitted_work = fields.Str(validate=validate.OneOf(ESA.LEVELS))
    weekly_hours = Hours(validate=validate.Range(min=0, max=168))
    disregard = fields.Str(validate=validate.OneOf(sorted({d for levels in DISREGARD_LEVELS.values() for d in levels})))

    @validates_schema
    def _fits_the_benefit(self, data: dict[str, Any], **kwargs: Any) -> None:
        name = data.get("name")
        if name not in _FIELDS_FOR:
            return
        errors: dict[str, list[str]] = {}
        for given in set(data) - {"name"} - _FIELDS_FOR[name]:
            errors[given] = [f"Not used for {name}."]
        for needed in _REQUIRED_FOR.get(name, ()):
            if needed not in data:
                errors[needed] = [f"Required for {name}."]
        levels = DISREGARD_LEVELS.get(name)
        if levels and data.get("disregard") is not None and data["disregard"] not in levels:
            errors["disregard"] = [f"For {name}, must be one of: {', '.join(levels)}."]
        if errors:
            raise SchemaError(errors)


class PaymentInSchema(Schema):
    date = PlausibleDate(required=True)
    amount = Money(required=True)
    kind = fields.Str(required=True, validate=validate.OneOf([k.value for k in PaymentKind]))
    hours = Hours(load_default=None, allow_none=True, validate=validate.Range(min=0, max=168))
    worked_on = PlausibleDate(
        load_default=None, allow_none=True,
        metadata={"description": "The day the work was done, if not the payment date: ESA's 16-hour test counts "
                                 "hours in the week worked, earnings in the week received."},
    )


class PolicyCheckRequestSchema(Schema):
    benefits = fields.List(fields.Nested(BenefitInSchema), required=True, validate=validate.Length(max=20))
    region = fields.Str(load_default="uk", validate=validate.OneOf(REGIONS))
    already_paid = fields.List(
        fields.Nested(PaymentInSchema), load_default=list, validate=validate.Length(max=MAX_PAYMENTS)
    )
    proposed = fields.Nested(PaymentInSchema, required=True)
    vouchers_count_as_earnings = fields.Bool(load_default=None, allow_none=True)

    @validates_schema
    def _each_benefit_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        names = [b.get("name") for b in data.get("benefits", [])]
        repeated = sorted({n for n in names if n and names.count(n) > 1})
        if repeated:
            raise SchemaError({"benefits": [f"Each benefit may be listed once; repeated: {', '.join(repeated)}."]})


class PeriodSchema(Schema):
    start = fields.Str()
    end = fields.Str()


class ReadingSchema(Schema):
    reading = fields.Str(metadata={"enum": ["unverified", "last_confirmed"]})
    rule = fields.Str()
    effective = fields.Str()
    limit = fields.Str()
    headroom = fields.Str()
    effect = fields.Str(metadata={"enum": ["none", "reduced", "lost", "over_limit"]})


class BenefitResultSchema(Schema):
    name = fields.Str()
    period = fields.Nested(PeriodSchema, allow_none=True)
    counted = fields.Str(allow_none=True)
    limit = fields.Str(allow_none=True)
    headroom = fields.Str(allow_none=True)
    effect = fields.Str(metadata={"enum": ["none", "reduced", "lost", "over_limit"]})
    reduction = fields.Str(allow_none=True, metadata={"description": "null where the benefit amount is not known"})
    explanation = fields.Str()
    explanation_for_staff = fields.Str()
    rule = fields.Str()
    source = fields.Str()
    confidence = fields.Str(metadata={"enum": ["high", "medium", "low"]})
    source_ids = fields.List(fields.Str())
    hours = fields.Str(allow_none=True)
    unverified_or_uncertain = fields.Bool()
    notes = fields.List(fields.Str())
    readings = fields.List(fields.Nested(ReadingSchema))
    breach_depends_on_unverified = fields.Bool(
        metadata={"description": "lost or over_limit only under the cautious reading of an unverified figure: "
                                 "the outcome is then warn, not breach"}
    )


class AlternativeSchema(Schema):
    kind = fields.Str()
    amount = fields.Str()
    explanation = fields.Str()


class PolicyCheckResponseSchema(Schema):
    outcome = fields.Str(metadata={"enum": ["ok", "warn", "breach"]})
    benefits = fields.List(fields.Nested(BenefitResultSchema))
    alternatives = fields.List(fields.Nested(AlternativeSchema))
    notes = fields.List(fields.Str())
    confidence = fields.Str()
    required_action = fields.Str(metadata={"enum": ["none", "warn", "override", "block"]})


@blp.route("/policy/check", methods=["POST"])
@public
@rate_limited("policy-check")
@blp.arguments(PolicyCheckRequestSchema)
@blp.response(200, PolicyCheckResponseSchema)
def check(data: dict[str, Any]) -> dict[str, Any]:
    """Check a proposed payment against the benefits someone declares

    No stored participant and no login. Amounts are decimal strings in pounds, hours decimal strings,
    dates ISO 8601. See the README for a worked example.
    """
    try:
        return check_request(data, settings().rulebook)
    except RuleNotFound as error:
        raise PolicyRuleMissing(str(error)) from None
    except PolicyError as error:
        raise LedgerError(str(error)) from None
