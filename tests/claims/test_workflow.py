"""The claim workflow: one transition table, no self-approval, a second approver above the set amount."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select, update

from ledger.books.models import JournalEntry
from ledger.claims import services, workflow
from ledger.claims.models import STATUSES, Claim, ClaimApproval
from ledger.db import unit_of_work
from ledger.errors import Conflict, PermissionDenied
from tests.factories import TODAY, all_at_once, approve, count_rows, draft_fee, footprint, submitted_fee

REFUSED = [(status, action) for status in STATUSES for action in sorted(workflow.ACTIONS)
           if (status, action) not in workflow.TRANSITIONS]


def test_the_table_is_the_documented_lifecycle():
    assert workflow.TRANSITIONS == {
        ("draft", "submit"): "submitted", ("returned", "submit"): "submitted",
        ("submitted", "approve"): "approved", ("submitted", "reject"): "rejected",
        ("approved", "reject"): "rejected", ("submitted", "return"): "returned", ("approved", "pay"): "paid",
        ("draft", "cancel"): "cancelled", ("submitted", "cancel"): "cancelled",
        ("returned", "cancel"): "cancelled", ("approved", "cancel"): "cancelled",
        # corrections: an amendment keeps the status; a paid claim reversed, or its payment returned by the bank
        ("draft", "amend"): "draft", ("submitted", "amend"): "submitted", ("returned", "amend"): "returned",
        ("paid", "reverse"): "rejected", ("paid", "payment_returned"): "approved",
    }
    assert len(REFUSED) == len(STATUSES) * len(workflow.ACTIONS) - len(workflow.TRANSITIONS)


def _act(session, world, rules, claim_id: int, action: str):
    if action == "submit":
        return services.submit_claim(session, claim_id, actor_user_id=world.manager)
    if action == "approve":
        return approve(session, world, claim_id, rules)
    if action == "reject":
        return services.reject_claim(session, claim_id, reason="Not eligible", actor_user_id=world.finance,
                                     today=TODAY, rules=rules)
    if action == "return":
        return services.return_claim(session, claim_id, reason="Which meeting?", actor_user_id=world.finance)
    if action == "cancel":
        return services.cancel_claim(session, claim_id, actor_user_id=world.finance, today=TODAY, rules=rules)
    # Paying is the payment run's: it asks the same table.
    return workflow.next_status(session.get(Claim, claim_id).status, action)


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=[f"{s}-{a}" for s, a in REFUSED])
def test_an_action_the_table_does_not_allow_is_refused_and_changes_nothing(session, world, rules, status, action):
    claim_id = draft_fee(session, world, rules=rules)
    session.execute(update(Claim).where(Claim.id == claim_id).values(status=status))
    session.commit()
    before = footprint(session)

    with pytest.raises(Conflict) as refused:
        _act(session, world, rules, claim_id, action)

    session.flush()  # anything the refused call had changed would be written now
    assert refused.value.status == 409 and refused.value.fields == {"status": [status]}
    assert session.execute(select(Claim.status).where(Claim.id == claim_id)).scalar_one() == status
    assert footprint(session) == before


def test_a_claim_submitted_twice_is_refused(session, world, rules):
    claim_id = submitted_fee(session, world, rules=rules)

    with pytest.raises(Conflict, match="waiting for approval"):
        services.submit_claim(session, claim_id, actor_user_id=world.manager)


def test_a_returned_claim_can_be_submitted_again(session, world, rules):
    claim_id = submitted_fee(session, world, rules=rules)
    services.return_claim(session, claim_id, reason="Please confirm the preparation time", actor_user_id=world.finance)

    again = services.submit_claim(session, claim_id, actor_user_id=world.manager)

    assert again.status == "submitted"
    assert [e.action for e in again.events] == ["draft", "submit", "return", "submit"]


def test_staff_submitting_for_a_participant_marks_the_claim_assisted(session, world, rules):
    assisted = services.submit_claim(session, draft_fee(session, world, rules=rules), actor_user_id=world.manager)
    own = services.submit_claim(session, draft_fee(session, world, world.carer, rules=rules),
                                actor_user_id=world.carer_user, actor_participant_id=world.carer)

    assert assisted.assisted and assisted.submitted_by_user_id == world.manager
    assert not own.assisted


# ---------------------------------------------------------------- who may approve


def test_the_submitter_cannot_approve_their_own_submission(session, world, rules):
    claim_id = draft_fee(session, world, rules=rules)
    services.submit_claim(session, claim_id, actor_user_id=world.finance)

    with pytest.raises(PermissionDenied):
        approve(session, world, claim_id, rules, by=world.finance)
    assert approve(session, world, claim_id, rules, by=world.finance2).claim.status == "approved"


def test_whoever_drafted_a_claim_cannot_approve_it(session, world, rules):
    claim, _ = services.draft_fee_claim(session, activity_id=world.activity_id, participant_id=world.ann,
                                        actor_user_id=world.finance, rules=rules)
    services.submit_claim(session, claim.id, actor_user_id=world.manager)

    with pytest.raises(PermissionDenied):
        approve(session, world, claim.id, rules, by=world.finance)


def test_a_finance_officer_cannot_approve_a_claim_that_pays_them(session, world, rules):
    claim_id = submitted_fee(session, world, world.ann, rules=rules)
    before = footprint(session)

    with pytest.raises(PermissionDenied, match="pays you"):
        services.approve_claim(session, claim_id, actor_user_id=world.finance_ann, actor_participant_id=world.ann,
                               rules=rules, today=TODAY)

    assert footprint(session) == before
    assert session.get(Claim, claim_id).status == "submitted"


# ---------------------------------------------------------------- two approvers


@pytest.fixture
def strict(rules):
    """Claims above £40 need two approvers (a £50.40 fee does)."""
    return replace(rules, second_approval_above_pence=4_000)


def test_a_claim_above_the_set_amount_stays_submitted_after_one_approval(session, world, strict):
    claim_id = submitted_fee(session, world, rules=strict)
    before = count_rows(session, JournalEntry)

    first = approve(session, world, claim_id, strict)

    assert (first.approvals, first.approvals_needed) == (1, 2)
    assert first.claim.status == "submitted" and first.claim.accrual_entry_id is None
    assert count_rows(session, JournalEntry) == before


def test_the_same_approver_twice_is_not_a_second_approval(session, world, strict):
    claim_id = submitted_fee(session, world, rules=strict)
    approve(session, world, claim_id, strict)

    with pytest.raises(Conflict, match="different second approver"):
        approve(session, world, claim_id, strict)


def test_two_different_approvers_approve_it_and_it_is_accrued_once(session, world, strict):
    claim_id = submitted_fee(session, world, rules=strict)
    before = count_rows(session, JournalEntry)

    approve(session, world, claim_id, strict, by=world.finance)
    second = approve(session, world, claim_id, strict, by=world.finance2)

    assert second.claim.status == "approved" and second.approvals == 2
    assert set(second.claim.approver_user_ids) == {world.finance, world.finance2}
    assert count_rows(session, JournalEntry) == before + 1


def test_a_claim_at_the_set_amount_needs_one_approver(session, world, rules):
    at_limit = replace(rules, second_approval_above_pence=5_040)
    claim_id = submitted_fee(session, world, rules=at_limit)

    assert approve(session, world, claim_id, at_limit).claim.status == "approved"


def test_returning_a_claim_clears_its_first_approval(session, world, strict):
    claim_id = submitted_fee(session, world, rules=strict)
    approve(session, world, claim_id, strict, by=world.finance)
    services.return_claim(session, claim_id, reason="Wrong preparation time", actor_user_id=world.finance2)
    services.submit_claim(session, claim_id, actor_user_id=world.manager)

    again = approve(session, world, claim_id, strict, by=world.finance)

    assert again.approvals == 1 and again.claim.status == "submitted"


def test_changing_the_choice_after_a_first_approval_needs_both_approvals_again(session, world, strict):
    claim_id = submitted_fee(session, world, rules=strict)
    approve(session, world, claim_id, strict, by=world.finance)

    services.record_choice(session, claim_id, choice="take_less", amount="45.00", actor_user_id=world.manager)

    assert count_rows(session, ClaimApproval) == 0


# ---------------------------------------------------------------- at the same moment (PostgreSQL)


def _together(session_factory, *calls):
    """Run each call in its own thread and transaction, released at once; return what each returned or raised."""
    def work(index, ready):
        ready()
        with unit_of_work(session_factory) as session:
            return calls[index](session)

    return all_at_once(len(calls), work)


@pytest.mark.postgres_only
def test_two_finance_officers_approving_at_the_same_moment_accrue_once(session_factory, session, world, rules):
    claim_id = submitted_fee(session, world, rules=rules)
    session.commit()

    results = _together(session_factory, *(
        lambda s, by=by: services.approve_claim(s, claim_id, actor_user_id=by, actor_participant_id=None,
                                                rules=rules, today=TODAY)
        for by in (world.finance, world.finance2)))

    session.expire_all()
    assert sorted(type(r).__name__ for r in results) == ["ApprovalOutcome", "Conflict"]
    assert session.get(Claim, claim_id).status == "approved"
    assert count_rows(session, ClaimApproval) == 1
    accruals = session.execute(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.idempotency_key == f"claim:{claim_id}:accrual")).scalar_one()
    assert accruals == 1 and session.get(Claim, claim_id).accrual_entry_id is not None


@pytest.mark.postgres_only
def test_two_requests_drafting_the_same_fee_at_once_make_one_claim(session_factory, session, world, rules):
    results = _together(session_factory, *(
        lambda s: services.draft_fee_claim(s, activity_id=world.activity_id, participant_id=world.ann,
                                           actor_user_id=world.manager, rules=rules)
        for _ in range(2)))

    session.expire_all()
    assert all(isinstance(r, tuple) for r in results), results
    assert {claim.id for claim, _ in results} == {session.execute(select(Claim.id)).scalar_one()}
    assert sorted(created for _, created in results) == [False, True]
    assert count_rows(session, Claim) == 1
