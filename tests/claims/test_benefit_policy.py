"""Approval applies the policy engine's decision and the organisation's setting (warn, override, block).

Siân gets Carer's Allowance: £196 a week in 2025-26, and a penny over loses the whole week's allowance.
Her £50.40 meeting fee is safe; the £150 film fee in the same week would take her to £200.40.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.claims import services
from ledger.claims.models import Claim
from ledger.errors import Conflict, ValidationError
from tests.factories import TODAY, approve, draft_fee, footprint, submitted_fee, with_policy

REASON = "Siân was told she would lose this week's Carer's Allowance and chose to be paid in full."


@pytest.fixture
def film_fee(session, world, rules):
    """The meeting fee approved, and the film fee that crosses the limit waiting for approval."""
    approve(session, world, submitted_fee(session, world, world.carer, rules=rules), rules)
    claim_id = submitted_fee(session, world, world.carer, world.flat_fee_activity_id, rules=rules)
    session.commit()
    return claim_id


def test_the_preview_shows_the_breach_before_anyone_approves(session, world, rules, film_fee):
    preview = services.preview_approval(session, film_fee, rules=rules, today=TODAY)

    assert preview.policy.outcome == "breach" and preview.required_action == "override"
    carers = preview.policy.effects[0]
    assert carers.benefit == "carers_allowance" and carers.effect == "lost"
    assert carers.counted_pence == 20040 and carers.limit_pence == 19600
    assert {a.kind for a in preview.policy.alternatives} >= {"pay_up_to_headroom", "decline"}


def test_a_participant_without_declared_benefits_has_nothing_to_check(session, world, rules):
    preview = services.preview_approval(session, submitted_fee(session, world, rules=rules), rules=rules, today=TODAY)

    assert preview.policy is None and preview.required_action == "none"


def test_override_setting_refuses_approval_without_a_reason_and_changes_nothing(session, world, rules, film_fee):
    before = footprint(session)

    with pytest.raises(ValidationError) as refused:
        approve(session, world, film_fee, rules, override_reason="ok")

    session.flush()
    assert "override_reason" in refused.value.fields
    assert footprint(session) == before
    assert session.execute(select(Claim.status, Claim.policy_outcome).where(Claim.id == film_fee)).one() == (
        "submitted", None)


def test_override_setting_approves_with_a_reason_and_records_it(session, world, rules, film_fee):
    outcome = approve(session, world, film_fee, rules, override_reason=REASON)

    assert outcome.required_action == "override" and outcome.claim.status == "approved"
    assert outcome.claim.override_reason == REASON and outcome.claim.policy_outcome == "breach"
    assert outcome.claim.policy_decision.effects[0].effect == "lost"
    assert outcome.claim.events[-1].action == "approve" and outcome.claim.events[-1].note == REASON
    assert outcome.claim.accrual_entry_id is not None


def test_block_setting_refuses_the_approval_and_posts_nothing(session, world, rules, film_fee):
    blocking = with_policy(rules, on_breach="block")
    before = footprint(session)

    with pytest.raises(Conflict) as refused:
        approve(session, world, film_fee, blocking, override_reason=REASON)

    session.flush()
    assert "policy" in refused.value.fields and "alternatives" in refused.value.message
    assert footprint(session) == before
    claim = session.get(Claim, film_fee)
    assert (claim.status, claim.accrual_entry_id, claim.policy_decision) == ("submitted", None, None)


def test_warn_setting_approves_and_keeps_the_decision(session, world, rules, film_fee):
    warning = with_policy(rules, on_breach="warn")

    outcome = approve(session, world, film_fee, warning)

    assert outcome.required_action == "warn" and outcome.claim.status == "approved"
    assert outcome.claim.policy_outcome == "breach" and outcome.claim.override_reason is None
    assert session.get(Claim, film_fee).policy_decision["outcome"] == "breach"


def test_taking_less_up_to_the_headroom_keeps_the_allowance_safe(session, world, rules, film_fee):
    services.record_choice(session, film_fee, choice="take_less", amount="145.60", actor_user_id=world.carer_user)

    outcome = approve(session, world, film_fee, with_policy(rules, on_breach="block"))

    assert outcome.claim.policy_outcome == "ok" and outcome.claim.amount_pence == 14_560


@pytest.mark.parametrize("choice", ["decline", "redirect", "time_credits"])
def test_a_fee_not_received_as_earnings_is_safe_for_the_allowance(session, world, rules, film_fee, choice):
    services.record_choice(session, film_fee, choice=choice, group_id=world.group_id, actor_user_id=world.manager)

    outcome = approve(session, world, film_fee, with_policy(rules, on_breach="block"))

    assert outcome.claim.status == "approved" and outcome.claim.policy_outcome == "ok"


def test_expenses_are_not_earnings(session, world, rules, film_fee):
    claim, _ = services.create_expense_claim(
        session, participant_id=world.carer, activity_id=world.activity_id, idempotency_key="taxi",
        lines=[{"category": "taxi", "description": "Taxi to the meeting", "amount": "300.00"}],
        actor_user_id=world.manager, rules=rules)
    services.submit_claim(session, claim.id, actor_user_id=world.manager)

    outcome = approve(session, world, claim.id, with_policy(rules, on_breach="block"))

    assert outcome.claim.status == "approved" and outcome.claim.policy_outcome == "ok"


def test_the_first_of_two_fees_in_the_week_is_safe(session, world, rules):
    claim_id = draft_fee(session, world, world.carer, rules=rules)
    services.submit_claim(session, claim_id, actor_user_id=world.manager)

    outcome = approve(session, world, claim_id, with_policy(rules, on_breach="block"))

    assert outcome.claim.policy_outcome == "ok" and outcome.required_action == "none"


def test_expenses_are_repaid_even_in_a_week_already_over_the_limit(session, world, rules, film_fee):
    approve(session, world, film_fee, with_policy(rules, on_breach="warn"))  # the week's allowance is lost
    claim, _ = services.create_expense_claim(
        session, participant_id=world.carer, activity_id=world.flat_fee_activity_id, idempotency_key="bus",
        lines=[{"category": "public_transport", "description": "Bus to the shoot", "amount": "4.80"}],
        actor_user_id=world.manager, rules=rules)
    services.submit_claim(session, claim.id, actor_user_id=world.manager)

    outcome = approve(session, world, claim.id, with_policy(rules, on_breach="block"))

    assert outcome.claim.status == "approved" and outcome.required_action == "none"
    assert outcome.claim.policy_outcome == "breach"  # the week is over the limit; this payment does not add to it
