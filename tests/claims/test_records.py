"""The rules pages test about a claim are the claim record's properties, and they agree with the workflow."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ledger.claims.models import CHOICES, STATUSES
from ledger.claims.records import ApprovalPreview, ClaimRecord
from ledger.claims.workflow import TRANSITIONS


def claim(**changes) -> ClaimRecord:
    """A fee claim with nothing chosen yet, changed as asked."""
    fields = {f.name: None for f in dataclasses.fields(ClaimRecord)}
    fields.update(id=1, participant_id=1, project_code="GUIDE", kind="fee", status="draft", description="Fee",
                  offered_pence=5040, amount_pence=5040, time_minutes=0, assisted=False, approver_user_ids=(),
                  lines=(), events=())
    return ClaimRecord(**(fields | changes))


def test_a_fee_taken_as_time_credits_and_a_time_credit_claim_pay_no_money():
    assert claim(choice="time_credits").paid_in_time_credits
    assert claim(kind="time_credit").paid_in_time_credits
    assert not claim(choice="take_less").paid_in_time_credits and not claim(kind="expense").paid_in_time_credits


@pytest.mark.parametrize("choice", [None, *CHOICES])
def test_only_taking_the_fee_as_offered_is_not_an_alternative(choice):
    assert claim(choice=choice).chose_an_alternative is (choice not in (None, "take"))
    assert claim(choice=choice).redirected is (choice == "redirect")


@pytest.mark.parametrize("status", STATUSES)
def test_the_choice_is_open_on_a_fee_until_it_is_decided(status):
    undecided = status in ("draft", "submitted", "returned")
    assert claim(status=status).before_approval is undecided
    assert claim(status=status).choice_open is undecided
    assert claim(status=status, kind="expense").choice_open is False


@pytest.mark.parametrize("status", STATUSES)
def test_what_may_be_done_next_is_the_workflows_table(status):
    record = claim(status=status)
    assert record.can_be_submitted is ((status, "submit") in TRANSITIONS) is (status in ("draft", "returned"))
    assert record.can_be_rejected is ((status, "reject") in TRANSITIONS) is (status in ("submitted", "approved"))
    assert record.awaiting_approval is (status == "submitted")
    assert record.awaiting_payment is (status == "approved")
    assert record.returned_or_rejected is (status in ("returned", "rejected"))


@pytest.mark.parametrize(("action", "needed"), [("none", False), ("warn", False), ("override", True),
                                                ("block", False)])
def test_an_override_is_needed_only_when_the_policy_says_so(action, needed):
    preview = ApprovalPreview(claim_id=1, expected_payment_date=dt.date(2025, 6, 25), required_action=action,
                              policy=None, approvals=0, approvals_needed=1)
    assert preview.needs_override is needed
