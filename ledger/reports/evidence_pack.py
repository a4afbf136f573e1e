"""A benefits evidence pack: a letter for DWP or the Jobcentre, payments per benefit period and the rules relied on.

For each declared benefit with an earnings rule, the payments the participant received are placed in the
benefit's own periods (a week from the declared weekday; a Universal Credit assessment period from its start
day), earnings apart from expenses, with offers declined or paid to a group shown as not paid. Every rule
quoted comes from the rulebook with its source and confidence; notes written for the research team stay out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.books.kinds import PostingKind
from ledger.claims.benefit_check import check_participant_payment
from ledger.claims.models import Claim
from ledger.errors import ValidationError
from ledger.formatting import count, listing, long_date, money
from ledger.labels import ACTIVITY_KIND_LABELS, BENEFIT_NAMES
from ledger.payments.calendar import earliest_payment_date
from ledger.people.models import Participant
from ledger.people.services import current_benefits, national_insurance_number
from ledger.projects.models import Activity, Attendance, Project
from ledger.reports.claim_facts import DECIDED, claim_facts
from ledger.reports.organisation import Organisation
from ledger.reports.payees import participant_payee, participant_row
from ledger.reports.receipts import received_lines
from ledger.reports.records import (
    BenefitEvidence,
    BenefitsEvidencePack,
    EvidenceItem,
    EvidenceKind,
    EvidencePeriod,
    PeriodCheck,
    RuleRelied,
)
from ledger.settings import Settings
from policies.benefits import DISREGARD_KEYS, Period, assessment_period_containing, week_containing
from policies.errors import PolicyError, RuleNotFound
from policies.money import HUNDRED, round_to_penny
from policies.payments import Payment, PaymentKind
from policies.rulebook import Parameter, Rulebook
from policies.settings import PolicySettings

__all__ = ["benefits_evidence_pack", "evidence_pack_letter"]

_DISREGARD_KEYS = DISREGARD_KEYS  # the rules the benefit check itself relies on
_RESEARCH_NOTE = re.compile(r"\bQ\d+\b")  # "(Q14: the date is inferred)": for staff, not for DWP
_WEEKLY = ("carers_allowance", "esa", "housing_benefit", "pension_credit", "income_related_esa")


@dataclass(frozen=True, slots=True)
class _Received:
    """A payment received (or an offer not taken), as the evidence pack places it."""

    date: dt.date
    description: str
    kind: EvidenceKind
    amount: int
    paid_minutes: int = 0  # hours of paid work it stands for (ESA's hours test counts paid work only)


def _rule_amount(param: Parameter) -> str:
    """A rule's amount in pounds (the rulebook holds pounds; ``money`` takes pence)."""
    return money(round_to_penny(param.decimal * HUNDRED))


def _rule(rulebook: Rulebook, key: str, on: dt.date, title: str,
          explain: Callable[[Parameter], str]) -> RuleRelied | None:
    try:
        param = rulebook.get(key, on)
    except RuleNotFound:
        return None
    confidence = param.confidence if param.verified else f"{param.confidence} (not yet verified)"
    explanation = explain(param)
    if param.note and not _RESEARCH_NOTE.search(param.note):  # notes citing the research's open questions stay in
        explanation += f" {param.note}"
    return RuleRelied(title, explanation, rulebook.source_titles(param) or "the organisation's rules", confidence)


def _expenses_rule(rulebook: Rulebook, on: dt.date) -> RuleRelied | None:
    return _rule(rulebook, "carers_allowance.rule.service_user_expenses_disregarded", on,
                 "Service users' expenses are not earnings",
                 lambda _p: "Expenses paid back to a service user or carer for the actual cost of taking part in "
                            "involvement work are not counted as earnings.")


def _rules_for(rulebook: Rulebook, name: str, declared: Mapping[str, Any], on: dt.date) -> tuple[RuleRelied, ...]:
    rules: list[RuleRelied | None] = []
    if name == "carers_allowance":
        rules += [
            _rule(rulebook, "carers_allowance.earnings_limit", on, "Carer's Allowance earnings limit",
                  lambda p: f"Net earnings of up to {_rule_amount(p)} a week are allowed. Earnings over the limit in a "
                            "week mean no Carer's Allowance for that week."),
            _expenses_rule(rulebook, on),
            _rule(rulebook, "carers_allowance.rule.fluctuating_average", on, "The week a payment counts in",
                  lambda _p: "Each payment is shown in the week it was received. DWP may average earnings that "
                             "go up and down."),
        ]
    elif name == "esa":
        level = declared.get("permitted_work", "lower")
        if level in ("higher", "supported"):
            rules.append(_rule(rulebook, "esa.permitted_work.higher_limit", on, "Permitted work earnings limit",
                               lambda p: f"Earnings of up to {_rule_amount(p)} a week are allowed under permitted "
                                         "work."))
        elif level == "lower":
            rules.append(_rule(rulebook, "esa.permitted_work.lower_limit", on, "Permitted work earnings limit",
                               lambda p: f"Earnings of up to {_rule_amount(p)} a week are allowed under permitted "
                                         "work."))
        rules += [
            _rule(rulebook, "esa.permitted_work.max_hours_exclusive", on, "Permitted work hours",
                  lambda p: f"Permitted work must be under {p.value} hours a week. The hours shown are those of "
                            "paid work; hours given for a declined fee, or one paid to a group, are voluntary."),
            _expenses_rule(rulebook, on),
        ]
    elif name == "universal_credit":
        allowance = declared.get("work_allowance", "none")
        rules += [
            _rule(rulebook, "uc.rule.earnings_counted_when", on, "Payments count when they are received",
                  lambda _p: "Earnings are counted in the assessment period in which they are received, so each "
                             "payment is shown by the date it reached the bank."),
            _rule(rulebook, "uc.rule.assessment_period", on, "Assessment periods",
                  lambda _p: "An assessment period is a month, starting on the same day each month."),
        ]
        if allowance != "none":
            rules.append(_rule(rulebook, f"uc.work_allowance.{allowance}", on, "Work allowance",
                               lambda p: f"The first {_rule_amount(p)} earned in an assessment period does not reduce "
                                         "Universal Credit."))
        rules += [
            _rule(rulebook, "uc.rule.service_user_expenses_disregarded", on, "Service users' expenses are not earnings",
                  lambda _p: "Expenses paid back for the actual cost of taking part in involvement work are not "
                             "counted as earnings."),
            _rule(rulebook, "uc.rule.notional_earnings_exempt_service_user", on,
                  "Fees declined or paid to a group are not earnings",
                  lambda _p: "A service user who declines a fee, or asks for it to be paid to a group, is not "
                             "treated as having been paid it."),
        ]
    elif name in _DISREGARD_KEYS:
        keys = _DISREGARD_KEYS[name]
        key = keys.get(declared.get("disregard", "standard"), keys["standard"])
        rules += [
            _rule(rulebook, key, on, "Earnings disregard",
                  lambda p: f"The first {_rule_amount(p)} of earnings each week is ignored."),
            _expenses_rule(rulebook, on),
        ]
    return tuple(rule for rule in rules if rule is not None)


def _periods(name: str, declared: Mapping[str, Any], start: dt.date, end: dt.date) -> list[Period]:
    """Every benefit period that overlaps ``start`` to ``end``."""
    def containing(day: dt.date) -> Period:
        if name == "universal_credit":
            return assessment_period_containing(day, int(declared.get("assessment_period_start_day", 1)))
        return week_containing(day, declared.get("week_start", "monday"))

    periods = [containing(start)]
    while periods[-1].end < end:
        periods.append(containing(periods[-1].end + dt.timedelta(days=1)))
    return periods


# Keyed by the kind as the books store it (a plain string; a PostingKind is equal to and hashes as its value).
_EVIDENCE_OF: dict[str, EvidenceKind] = {  # what each kind of receipt in the books is to the letter
    PostingKind.FEE: EvidenceKind.EARNINGS,
    PostingKind.FLAT_RATE_ALLOWANCE: EvidenceKind.EARNINGS,
    PostingKind.VOUCHER: EvidenceKind.EARNINGS,
    PostingKind.ADVANCE_SURPLUS_KEPT: EvidenceKind.EARNINGS,  # counts in the period it is written off
    PostingKind.EXPENSE: EvidenceKind.EXPENSE,
    PostingKind.ADVANCE: EvidenceKind.ADVANCE,  # not earnings: to be settled with receipts
    PostingKind.TIME_CREDITS: EvidenceKind.TIME_CREDITS,
}


def _from_the_books(session: Session, participant_id: int, start: dt.date, end: dt.date) -> list[_Received]:
    """Every payment, advance, surplus kept and time credit the books say reached them, net of returns."""
    return [_Received(line.on, line.description, _EVIDENCE_OF[line.kind], line.amount, line.paid_minutes)
            for line in received_lines(session, participant_id, start, end) if line.kind in _EVIDENCE_OF]


def _choices(claim: Claim, fact, due_on: dt.date) -> list[_Received]:
    """What a fee claim offered and was not paid to them, and an approved fee still to be paid."""
    found = []
    if claim.status == "approved" and claim.choice in (None, "take", "take_less") and claim.amount_pence > 0:
        found.append(_Received(due_on, f"{claim.description}. {fact.fee_detail()}. Approved, to be paid on "
                               f"{long_date(due_on)}", EvidenceKind.DUE, claim.amount_pence, claim.worked_minutes or 0))
    if claim.choice == "decline" and claim.offered_pence > 0:
        found.append(_Received(fact.day, f"{claim.description}: fee offered and declined", EvidenceKind.DECLINED,
                               claim.offered_pence))
    if claim.choice == "time_credits" and claim.offered_pence > 0:
        found.append(_Received(fact.day, f"{claim.description}: fee offered; they chose time credits instead",
                               EvidenceKind.DECLINED, claim.offered_pence))
    if claim.choice == "take_less" and claim.offered_pence > claim.amount_pence:
        found.append(_Received(fact.day, f"{claim.description}: the part of the fee they chose not to take",
                               EvidenceKind.DECLINED, claim.offered_pence - claim.amount_pence))
    if claim.choice == "redirect" and claim.amount_pence > 0:
        found.append(_Received(claim.paid_on or fact.day,
                               f"{claim.description}: paid to {fact.group_name or 'a user-led group'} at their "
                               "request", EvidenceKind.REDIRECTED, claim.amount_pence))
    return found


def _received(session: Session, participant_id: int, start: dt.date, end: dt.date, *,
              due_on: dt.date) -> list[_Received]:
    """What the books say they received between two dates, approved fees due, and offers not taken."""
    found = _from_the_books(session, participant_id, start, end)
    claims = session.execute(
        select(Claim).where(Claim.participant_id == participant_id, Claim.kind == "fee",
                            Claim.status.in_(DECIDED), Claim.reversal_entry_id.is_(None))
        .order_by(Claim.id)
    ).scalars().all()
    facts = claim_facts(session, claims)
    for claim in claims:
        found.extend(_choices(claim, facts[claim.id], due_on))
    return sorted((r for r in found if start <= r.date <= end), key=lambda r: r.date)


def _period_check(session: Session, rulebook: Rulebook, policy: PolicySettings, participant_id: int, name: str,
                  period: Period, due_on: dt.date) -> PeriodCheck | None:
    """What the benefit check counts in one period: the same payments, rules and settings it uses at approval."""
    try:
        decision = check_participant_payment(session, rulebook, policy, participant_id,
                                             Payment(received_on=period.start, amount_pence=0, kind=PaymentKind.FEE),
                                             expected_payment_date=due_on)
    except PolicyError:
        return None  # the rules have no figure for these dates: the letter shows the payments only
    result = next((r for r in decision.results if r.name == name), None) if decision else None
    if result is None or result.counted_pence is None:
        return None
    return PeriodCheck(counted=result.counted_pence, limit=result.limit_pence, effect=str(result.effect),
                       explanation=result.explanation)


def _involvement(session: Session, participant: Participant, start: dt.date, end: dt.date) -> tuple[str, ...]:
    rows = session.execute(
        select(Activity.kind, Project.name).join(Attendance, Attendance.activity_id == Activity.id)
        .join(Project, Project.id == Activity.project_id)
        .where(Attendance.participant_id == participant.id, Activity.occurs_on.between(start, end))
        .order_by(Activity.occurs_on, Activity.id)
    ).all()
    who = participant.name
    if rows:
        projects = listing([project for _kind, project in rows], limit=5)
        kinds = listing([ACTIVITY_KIND_LABELS.get(kind, "Activity").lower() for kind, _project in rows], limit=5)
        first = (f"{who} is one of the people with lived experience of services who work with us. Between "
                 f"{long_date(start)} and {long_date(end)} they took part in "
                 f"{count(len(rows), 'activity', 'activities')} ({kinds}) in our projects: {projects}.")
    else:
        first = (f"{who} is one of the people with lived experience of services who work with us. We have no "
                 f"record of them taking part in an activity between {long_date(start)} and {long_date(end)}.")
    return (
        first,
        "Taking part is voluntary: they choose which activities to attend. We offer a fee for their time; they "
        "may take it, take less, decline it, or ask us to pay it to a user-led group instead.",
        "We pay back expenses for actual costs only (against receipts, or at HMRC's approved mileage rates).",
    )


def _benefit_evidence(session: Session, participant_id: int, declared: Mapping[str, Any], received: list[_Received],
                      start: dt.date, end: dt.date, checks: _Checks) -> BenefitEvidence:
    name = declared["name"]
    periods = []
    for period in _periods(name, declared, start, end):
        inside = [r for r in received if period.start <= r.date <= period.end]
        periods.append(EvidencePeriod(
            period.start, period.end,
            tuple(EvidenceItem(r.date, r.description, r.kind, r.amount) for r in inside),
            minutes_worked=sum(r.paid_minutes for r in inside) if name == "esa" else None,
            check=_period_check(session, checks.rulebook, checks.policy, participant_id, name, period,
                                checks.due_on),
        ))
    return BenefitEvidence(
        benefit=BENEFIT_NAMES.get(name, name),
        period_name="assessment period" if name == "universal_credit" else "week",
        periods=tuple(periods),
        rules=_rules_for(checks.rulebook, name, declared, end),
    )


@dataclass(frozen=True, slots=True)
class _Checks:
    rulebook: Rulebook
    policy: PolicySettings
    due_on: dt.date  # when fees approved and not yet paid are expected to be received


def benefits_evidence_pack(
    session: Session,
    participant_id: int,
    start: dt.date,
    end: dt.date,
    *,
    organisation: Organisation,
    rulebook: Rulebook,
    signatory_name: str,
    signatory_role: str,
    issued: dt.date,
    policy: PolicySettings | None = None,
    national_insurance_number: str | None = None,
    signed_on: dt.date | None = None,
) -> BenefitsEvidencePack:
    """A letter for DWP: payments per benefit period of each declared benefit with an earnings rule.

    Weekly benefits (Carer's Allowance, ESA, Housing Benefit, Pension Credit, income-related ESA) use the week
    starting on the declared weekday; Universal Credit the assessment period from the declared start day. A
    period that runs past the letter's dates is shown whole, with every payment in it, so the figures for it
    are those the benefit check counts. Money is placed by the date the books say it was received; fees
    approved and not yet paid on the next payment date (as the check counts them); declined offers by the
    activity's date, redirected fees by the date paid to the group. ESA periods show hours of paid work.
    """
    if end < start:
        raise ValidationError("The period ends before it starts.", fields={"end": ["Before start."]})
    participant = participant_row(session, participant_id)
    declaration = current_benefits(session, participant_id, as_of=end) or current_benefits(session, participant_id)
    declared = [d for d in (declaration.benefits if declaration else ())
                if d.get("name") in _WEEKLY or d.get("name") == "universal_credit"]  # others: no earnings rule
    spans = [p for d in declared for p in _periods(d["name"], d, start, end)]
    shown_start, shown_end = min([start, *(p.start for p in spans)]), max([end, *(p.end for p in spans)])
    checks = _Checks(rulebook, policy or PolicySettings(), earliest_payment_date(issued))
    received = _received(session, participant_id, shown_start, shown_end, due_on=checks.due_on)
    benefits = tuple(_benefit_evidence(session, participant_id, d, received, start, end, checks) for d in declared)
    payments = tuple(EvidenceItem(r.date, r.description, r.kind, r.amount) for r in received
                     if start <= r.date <= end)
    return BenefitsEvidencePack(
        organisation=organisation, participant=participant_payee(participant), issued=issued, period_start=start,
        period_end=end, involvement=_involvement(session, participant, start, end), benefits=benefits,
        signatory_name=signatory_name, signatory_role=signatory_role,
        national_insurance_number=national_insurance_number, signed_on=signed_on or issued, payments=payments,
    )


MAX_DAYS = 366  # a letter covers at most a year
MAX_SIGNATORY = 120


def _check_letter(start: dt.date, end: dt.date, signed_by: str | None, role: str | None) -> tuple[str, str]:
    """The dates and the signatory of a letter, each problem named by its field; nothing is read before."""
    problems: dict[str, list[str]] = {}
    if end < start:
        problems["end"] = ["The last day must not be before the first day."]
    elif (end - start).days >= MAX_DAYS:
        problems["end"] = ["A letter covers at most one year: choose a last day within a year of the first."]
    name, job = " ".join((signed_by or "").split()), " ".join((role or "").split())
    if not name or len(name) > MAX_SIGNATORY:
        problems["signed_by"] = [f"Give the name of the officer who signs the letter (up to {MAX_SIGNATORY} "
                                 "characters)."]
    if not job or len(job) > MAX_SIGNATORY:
        problems["role"] = [f"Give the signing officer's role (up to {MAX_SIGNATORY} characters)."]
    if problems:
        raise ValidationError(" ".join(message for messages in problems.values() for message in messages),
                              fields=problems)
    return name, job


def evidence_pack_letter(
    session: Session,
    participant_id: int,
    start: dt.date,
    end: dt.date,
    *,
    settings: Settings,
    issued: dt.date,
    signed_by: str | None,
    role: str | None,
) -> BenefitsEvidencePack:
    """The letter as the API, the pages and the command line make it: dates and signatory checked, the rules
    and settings the benefit check uses, and the participant's National Insurance number if they gave one."""
    name, job = _check_letter(start, end, signed_by, role)
    number = national_insurance_number(session, settings.bank_cipher, participant_id)
    return benefits_evidence_pack(
        session, participant_id, start, end, organisation=settings.organisation, rulebook=settings.rulebook,
        policy=settings.policy, signatory_name=name, signatory_role=job, issued=issued,
        national_insurance_number=number)
