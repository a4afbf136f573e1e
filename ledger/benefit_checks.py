"""A benefit check as the ledger keeps it: one frozen record, stored on claims and on payment runs.

The policy engine answers with a ``policies.benefits.Decision``. What the ledger stores (on a claim at
approval, on each payee of a payment run) and shows (finance's approval page, the participant's page, the
run, the documents) is this record, made from the decision once and kept as JSON with ``to_json`` /
``from_json``. The JSON is the calculator's public answer (``policies.calculator.decision_json``), plus
fields added to it, so the claim API's ``policy_decision`` keeps its published shape.

Outcomes beyond the engine's ``ok``, ``warn`` and ``breach``: ``no_benefits_declared``, ``no_earnings``
(expenses only), ``not_applicable`` (a user-led group) and ``error`` (the declaration could not be
checked, ``error`` says why).

Nothing here touches the database or Flask: documents render it as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from policies.benefits import DISPLAY_NAMES, Decision
from policies.money import pence_to_str, pounds_to_pence
from policies.settings import PolicySettings, required_action

#: Outcomes the engine gives; the others say why nothing was checked.
CHECKED = ("ok", "warn", "breach")
NOT_CHECKED = ("no_benefits_declared", "no_earnings", "not_applicable", "error")


def _money(pence: int | None) -> str | None:
    return None if pence is None else pence_to_str(pence)


def _pence(text: str | None) -> int | None:
    return None if text is None else pounds_to_pence(text, "amount")


def _day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the payment does under one reading of a limit not yet confirmed (the unverified or last confirmed)."""

    reading: str  # unverified | last_confirmed
    rule: str
    effective: str
    limit_pence: int
    headroom_pence: int
    effect: str

    def to_json(self) -> dict[str, Any]:
        return {"reading": self.reading, "rule": self.rule, "effective": self.effective,
                "limit": pence_to_str(self.limit_pence), "headroom": pence_to_str(self.headroom_pence),
                "effect": self.effect}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reading:
        return cls(reading=data["reading"], rule=data.get("rule") or "", effective=data.get("effective") or "",
                   limit_pence=pounds_to_pence(data["limit"], "limit"),
                   headroom_pence=pounds_to_pence(data["headroom"], "headroom"), effect=data["effect"])


@dataclass(frozen=True, slots=True)
class BenefitEffect:
    """What the payment does to one declared benefit, and the rule and figures behind it."""

    benefit: str  # the rule key, e.g. carers_allowance
    effect: str  # none, reduced, lost, over_limit, ...
    period_start: dt.date | None
    period_end: dt.date | None
    counted_pence: int | None
    limit_pence: int | None
    headroom_pence: int | None
    reduction_pence: int | None
    safe_amount_pence: int | None
    hours: Decimal | None
    explanation: str
    explanation_for_staff: str
    rule: str
    source: str
    confidence: str
    source_ids: tuple[str, ...] = ()
    caution: bool = False  # rests on a figure that is unverified or uncertain
    notes: tuple[str, ...] = ()
    readings: tuple[Reading, ...] = ()
    # Lost or over a limit only under the cautious reading of an unverified figure: a warning, not a breach.
    breach_depends_on_unverified: bool = False

    @property
    def name(self) -> str:
        """The benefit as people call it: "Carer's Allowance"."""
        return DISPLAY_NAMES.get(self.benefit, self.benefit)

    @property
    def matters(self) -> bool:
        """Whether finance and the participant need to hear about it: an effect, or a figure to be careful of."""
        return self.effect != "none" or self.caution

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.benefit,
            "period": (None if self.period_start is None or self.period_end is None
                       else {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()}),
            "counted": _money(self.counted_pence),
            "limit": _money(self.limit_pence),
            "headroom": _money(self.headroom_pence),
            "effect": self.effect,
            "reduction": _money(self.reduction_pence),
            "explanation": self.explanation,
            "explanation_for_staff": self.explanation_for_staff,
            "rule": self.rule,
            "source": self.source,
            "confidence": self.confidence,
            "source_ids": list(self.source_ids),
            "hours": None if self.hours is None else f"{self.hours.normalize():f}",
            "unverified_or_uncertain": self.caution,
            "notes": list(self.notes),
            "readings": [r.to_json() for r in self.readings],
            "breach_depends_on_unverified": self.breach_depends_on_unverified,
            "safe_amount": _money(self.safe_amount_pence),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenefitEffect:
        period = data.get("period") or {}
        return cls(
            benefit=data["name"], effect=data["effect"], period_start=_day(period.get("start")),
            period_end=_day(period.get("end")), counted_pence=_pence(data.get("counted")),
            limit_pence=_pence(data.get("limit")), headroom_pence=_pence(data.get("headroom")),
            reduction_pence=_pence(data.get("reduction")), safe_amount_pence=_pence(data.get("safe_amount")),
            hours=None if data.get("hours") is None else Decimal(data["hours"]),
            explanation=data.get("explanation") or "", explanation_for_staff=data.get("explanation_for_staff") or "",
            rule=data.get("rule") or "", source=data.get("source") or "", confidence=data.get("confidence") or "",
            source_ids=tuple(data.get("source_ids") or ()), caution=bool(data.get("unverified_or_uncertain")),
            notes=tuple(data.get("notes") or ()),
            readings=tuple(Reading.from_json(r) for r in data.get("readings") or ()),
            breach_depends_on_unverified=bool(data.get("breach_depends_on_unverified")),
        )


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another way to reward the participant that keeps their benefits safe."""

    kind: str  # pay_up_to_headroom | time_credits | redirect_to_group | decline | split_across_periods
    amount_pence: int
    explanation: str


@dataclass(frozen=True, slots=True)
class BenefitCheck:
    """The benefit check of one payment (a claim, or a payee's share of a run), as stored and shown."""

    outcome: str
    required_action: str  # none | warn | override | block
    effects: tuple[BenefitEffect, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    notes: tuple[str, ...] = ()
    confidence: str | None = None
    error: str | None = None

    # ------------------------------------------------------------ made from

    @classmethod
    def from_decision(cls, decision: Decision, settings: PolicySettings) -> BenefitCheck:
        return cls(
            outcome=decision.outcome.value,
            required_action=required_action(decision, settings),
            effects=tuple(
                BenefitEffect(
                    benefit=r.name, effect=r.effect.value,
                    period_start=r.period.start if r.period else None, period_end=r.period.end if r.period else None,
                    counted_pence=r.counted_pence, limit_pence=r.limit_pence, headroom_pence=r.headroom_pence,
                    reduction_pence=r.reduction_pence, safe_amount_pence=r.safe_amount_pence, hours=r.hours,
                    explanation=r.explanation, explanation_for_staff=r.explanation_for_staff, rule=r.rule,
                    source=r.source, confidence=r.confidence, source_ids=tuple(r.sources), caution=r.caution,
                    notes=tuple(r.notes),
                    readings=tuple(Reading(reading=x.kind, rule=x.rule, effective=x.range_text,
                                           limit_pence=x.limit_pence, headroom_pence=x.headroom_pence,
                                           effect=x.effect.value) for x in r.readings),
                    breach_depends_on_unverified=r.breach_depends_on_unverified,
                )
                for r in decision.results
            ),
            alternatives=tuple(Alternative(kind=a.kind, amount_pence=a.amount_pence, explanation=a.explanation)
                               for a in decision.alternatives),
            notes=tuple(decision.notes),
            confidence=decision.confidence,
        )

    @classmethod
    def not_checked(cls, outcome: str, *, required_action: str = "none", error: str | None = None) -> BenefitCheck:
        """A check that did not run, and why (``NOT_CHECKED``)."""
        if outcome not in NOT_CHECKED:
            raise ValueError(f"{outcome!r} is not one of {', '.join(NOT_CHECKED)}")
        return cls(outcome=outcome, required_action=required_action, error=error)

    def requiring(self, action: str) -> BenefitCheck:
        """The same check with what the organisation requires changed (a payment that adds no earnings)."""
        return replace(self, required_action=action)

    # ------------------------------------------------------------ stored as

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "outcome": self.outcome,
            "benefits": [e.to_json() for e in self.effects],
            "alternatives": [{"kind": a.kind, "amount": pence_to_str(a.amount_pence), "explanation": a.explanation}
                             for a in self.alternatives],
            "notes": list(self.notes),
            "confidence": self.confidence,
            "required_action": self.required_action,
        }
        if self.error is not None:
            data["error"] = self.error
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenefitCheck:
        return cls(
            outcome=data["outcome"],
            required_action=data.get("required_action") or "none",
            effects=tuple(BenefitEffect.from_json(b) for b in data.get("benefits") or ()),
            alternatives=tuple(Alternative(kind=a["kind"], amount_pence=pounds_to_pence(a["amount"], "amount"),
                                           explanation=a.get("explanation") or "")
                               for a in data.get("alternatives") or ()),
            notes=tuple(data.get("notes") or ()),
            confidence=data.get("confidence"),
            error=data.get("error"),
        )

    # ------------------------------------------------------------ read as

    @property
    def action(self) -> str:
        return self.required_action

    @property
    def checked(self) -> bool:
        return self.outcome in CHECKED

    @property
    def flagged(self) -> bool:
        """Finance must do something before paying: warn the participant, give an override reason, or not pay."""
        return self.required_action != "none"

    @property
    def affected(self) -> tuple[BenefitEffect, ...]:
        """The benefits the payment affects, or whose figures call for caution."""
        return tuple(e for e in self.effects if e.matters)

    @property
    def explanation(self) -> str:
        """In plain English, for the participant."""
        return " ".join(e.explanation for e in self.affected)

    @property
    def explanation_for_staff(self) -> str:
        if self.error is not None:
            return f"The declared benefits could not be checked: {self.error}"
        return " ".join(e.explanation_for_staff for e in self.affected)

    @property
    def benefits(self) -> tuple[BenefitEffect, ...]:
        """Every declared benefit checked (templates list them all)."""
        return self.effects
