"""The stored benefit check: one record, kept as the calculator's JSON answer and read back unchanged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledger.benefit_checks import BenefitCheck
from policies.benefits import ESA, CarersAllowance, UniversalCredit, check_payment
from policies.calculator import decision_json
from policies.payments import Payment, PaymentKind
from policies.rulebook import load_rulebook
from policies.settings import PolicySettings

RULES = load_rulebook()
SETTINGS = PolicySettings()
FRIDAY = dt.date(2025, 6, 6)

CASES = {
    "a lost week of Carer's Allowance": ([CarersAllowance()], 20040, Decimal(4)),
    "ESA over the permitted-work limit": ([ESA(permitted_work="lower")], 3000, Decimal(2)),
    "Universal Credit's taper": ([UniversalCredit(work_allowance="none", assessment_period_start_day=10)], 5000, None),
    "nothing affected": ([CarersAllowance()], 1000, Decimal(1)),
}


@pytest.fixture(params=CASES)
def decision(request):
    benefits, pence, hours = CASES[request.param]
    proposed = Payment(received_on=FRIDAY, amount_pence=pence, kind=PaymentKind.FEE, hours=hours)
    return check_payment(RULES, benefits, [], proposed, SETTINGS)


def test_stored_as_the_calculators_answer_with_fields_only_added(decision):
    published = decision_json(decision, SETTINGS)
    stored = BenefitCheck.from_decision(decision, SETTINGS).to_json()

    assert {k: v for k, v in stored.items() if k != "benefits"} == {k: v for k, v in published.items()
                                                                    if k != "benefits"}
    for mine, theirs in zip(stored["benefits"], published["benefits"], strict=True):
        assert {k: mine[k] for k in theirs} == theirs


def test_read_back_exactly_as_it_was_made(decision):
    check = BenefitCheck.from_decision(decision, SETTINGS)

    assert BenefitCheck.from_json(check.to_json()) == check


def test_what_the_check_says_to_finance_and_to_the_participant(decision):
    check = BenefitCheck.from_decision(decision, SETTINGS)

    assert check.flagged == (check.required_action != "none")
    assert all(e.effect != "none" or e.caution for e in check.affected)
    assert check.explanation == " ".join(e.explanation for e in check.affected)


def test_a_check_that_did_not_run_says_why():
    check = BenefitCheck.not_checked("error", required_action="warn", error="no limit for 2031")

    assert not check.checked and check.flagged
    assert check.explanation_for_staff == "The declared benefits could not be checked: no limit for 2031"
    assert BenefitCheck.from_json(check.to_json()) == check
    with pytest.raises(ValueError):
        BenefitCheck.not_checked("ok")
