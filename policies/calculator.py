"""The public calculator: one JSON request in, one JSON answer out (the contract of `POST /api/v1/policy/check`).

The request is assumed already validated at the edge (ledger/api/policy_check.py); amounts may arrive
as decimal strings or Decimals, dates as ISO strings or dates. The answer gives amounts as decimal
strings with 2 places, `reduction` null where the amount of benefit is not known, and `period` null for
benefits with no earnings test. Fields may be added to the contract, never renamed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from policies.benefits import (
    ESA,
    NO_EARNINGS_TEST,
    Benefit,
    BenefitResult,
    CarersAllowance,
    Decision,
    HousingBenefit,
    IncomeRelatedESA,
    NoEarningsTest,
    PensionCredit,
    UniversalCredit,
    check_payment,
)
from policies.errors import InvalidInput
from policies.money import pence_to_str, pounds_to_pence, to_decimal
from policies.payments import Payment
from policies.rulebook import Rulebook
from policies.settings import DEFAULT_SETTINGS, PolicySettings, required_action

_LEGACY = {"disregard": False, "week_start": False, "other_weekly_net_earnings": False}
# The public shape of a declared benefit: the fields each one takes, and whether a field must be given.
# The calculator's request schema and participants' stored declarations are both checked against this.
BENEFIT_FIELDS: dict[str, dict[str, bool]] = {
    "carers_allowance": {"week_start": False, "other_weekly_net_earnings": False},
    "universal_credit": {"work_allowance": True, "assessment_period_start_day": True,
                         "other_monthly_net_earnings": False},
    "esa": {"permitted_work": True, "weekly_hours": False, "week_start": False, "other_weekly_net_earnings": False},
    "housing_benefit": _LEGACY,
    "pension_credit": _LEGACY,
    "income_related_esa": _LEGACY,
    **{name: {} for name in NO_EARNINGS_TEST},
}
BENEFIT_NAMES = tuple(BENEFIT_FIELDS)
# The disregards each benefit with a weekly disregard accepts (income-related ESA only its own £20), for the
# calculator's schema and participants' declarations; the engine refuses any other (InvalidInput).
DISREGARD_LEVELS: dict[str, tuple[str, ...]] = {
    "housing_benefit": HousingBenefit.LEVELS,
    "pension_credit": PensionCredit.LEVELS,
    "income_related_esa": IncomeRelatedESA.LEVELS,
}
REGION_NOTES = {
    "scotland": (
        "In Scotland, Carer's Allowance, PIP and DLA are replaced for new claims by Carer Support Payment and "
        "Adult or Child Disability Payment; the figures here are for DWP benefits in Great Britain."
    ),
    "northern_ireland": (
        "Northern Ireland runs its own parallel benefits (nidirect); the figures here are for Great Britain."
    ),
}
_WEEKLY_DISREGARD: dict[str, type[HousingBenefit] | type[PensionCredit] | type[IncomeRelatedESA]] = {
    "housing_benefit": HousingBenefit,
    "pension_credit": PensionCredit,
    "income_related_esa": IncomeRelatedESA,
}


def _date(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"not an ISO 8601 date: {value!r}") from None


def _pence(value: Any, what: str) -> int:
    return pounds_to_pence(value if value is not None else "0", what)


def benefit_from_json(item: dict[str, Any]) -> Benefit:
    """A declared benefit from its JSON shape (the calculator's `benefits` items, as participants declare them)."""
    name = item["name"]
    if name == "carers_allowance":
        return CarersAllowance(
            week_start=item.get("week_start") or "monday",
            other_weekly_net_earnings_pence=_pence(item.get("other_weekly_net_earnings"), "other_weekly_net_earnings"),
        )
    if name == "universal_credit":
        return UniversalCredit(
            work_allowance=item["work_allowance"],
            assessment_period_start_day=int(item["assessment_period_start_day"]),
            other_monthly_net_earnings_pence=_pence(
                item.get("other_monthly_net_earnings"), "other_monthly_net_earnings"
            ),
        )
    if name == "esa":
        return ESA(
            permitted_work=item["permitted_work"],
            weekly_hours=to_decimal(item.get("weekly_hours") or "0", "weekly_hours"),
            other_weekly_net_earnings_pence=_pence(item.get("other_weekly_net_earnings"), "other_weekly_net_earnings"),
            week_start=item.get("week_start") or "monday",
        )
    if name in _WEEKLY_DISREGARD:
        return _WEEKLY_DISREGARD[name](
            disregard=item.get("disregard") or "standard",
            week_start=item.get("week_start") or "monday",
            other_weekly_net_earnings_pence=_pence(item.get("other_weekly_net_earnings"), "other_weekly_net_earnings"),
        )
    if name in NO_EARNINGS_TEST:
        return NoEarningsTest(name)
    raise InvalidInput(f"unknown benefit {name!r}; expected one of {', '.join(BENEFIT_NAMES)}")


def _payment(item: dict[str, Any]) -> Payment:
    """A payment item: `date` received, `amount`, `kind`, optional `hours` and `worked_on` (the day worked)."""
    hours = item.get("hours")
    worked_on = item.get("worked_on")
    return Payment(
        received_on=_date(item["date"]),
        amount_pence=pounds_to_pence(item["amount"], "amount"),
        kind=item["kind"],
        hours=None if hours is None else to_decimal(hours, "hours"),
        worked_on=None if worked_on is None else _date(worked_on),
    )


def _money(pence: int | None) -> str | None:
    return None if pence is None else pence_to_str(pence)


def _result_json(result: BenefitResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "period": (
            None
            if result.period is None
            else {"start": result.period.start.isoformat(), "end": result.period.end.isoformat()}
        ),
        "counted": _money(result.counted_pence),
        "limit": _money(result.limit_pence),
        "headroom": _money(result.headroom_pence),
        "effect": result.effect.value,
        "reduction": _money(result.reduction_pence),
        "explanation": result.explanation,
        "explanation_for_staff": result.explanation_for_staff,
        "rule": result.rule,
        "source": result.source,
        "confidence": result.confidence,
        # Added fields (the contract allows additions, never renames):
        "source_ids": list(result.sources),
        "hours": None if result.hours is None else f"{result.hours.normalize():f}",
        "unverified_or_uncertain": result.caution,
        "notes": list(result.notes),
        # The effect under each reading of a limit not yet confirmed ([] when nothing turns on it), and
        # whether a 'lost' or 'over_limit' effect holds under the cautious reading only (then the outcome
        # is 'warn', not 'breach').
        "readings": [
            {
                "reading": r.kind,
                "rule": r.rule,
                "effective": r.range_text,
                "limit": pence_to_str(r.limit_pence),
                "headroom": pence_to_str(r.headroom_pence),
                "effect": r.effect.value,
            }
            for r in result.readings
        ],
        "breach_depends_on_unverified": result.breach_depends_on_unverified,
    }


def decision_json(decision: Decision, settings: PolicySettings = DEFAULT_SETTINGS) -> dict[str, Any]:
    """Render a decision as the calculator's JSON answer."""
    return {
        "outcome": decision.outcome.value,
        "benefits": [_result_json(r) for r in decision.results],
        "alternatives": [
            {"kind": a.kind, "amount": pence_to_str(a.amount_pence), "explanation": a.explanation}
            for a in decision.alternatives
        ],
        "notes": list(decision.notes),
        "confidence": decision.confidence,
        "required_action": required_action(decision, settings),
    }


def check_request(data: dict[str, Any], rulebook: Rulebook, settings: PolicySettings | None = None) -> dict[str, Any]:
    """Answer a calculator request (already validated): check the proposed payment against each benefit."""
    settings = settings or DEFAULT_SETTINGS
    if data.get("vouchers_count_as_earnings") is not None:
        settings = replace(settings, vouchers_count_as_earnings=bool(data["vouchers_count_as_earnings"]))
    benefits = [benefit_from_json(item) for item in data.get("benefits", [])]
    already = [_payment(item) for item in data.get("already_paid", [])]
    proposed = _payment(data["proposed"])
    decision = check_payment(rulebook, benefits, already, proposed, settings)
    answer = decision_json(decision, settings)
    region_note = REGION_NOTES.get(data.get("region") or "uk")
    if region_note:
        answer["notes"].append(region_note)
    if not benefits:
        answer["notes"].append("No benefits were declared, so no benefit was checked.")
    return answer


__all__ = ["BENEFIT_FIELDS", "BENEFIT_NAMES", "DISREGARD_LEVELS", "check_request", "decision_json"]
