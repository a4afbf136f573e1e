"""What approving, rejecting and cancelling a claim does to the books: one balanced entry each."""

from __future__ import annotations

import pytest

from ledger.books import queries
from ledger.books.posting import load_entry
from ledger.claims import services
from ledger.errors import PermissionDenied, ValidationError
from tests.factories import MEETING_DAY, TODAY, approve, draft_fee, footprint, submitted_fee


def postings(session, entry_id):
    entry = load_entry(session, entry_id)
    return {(p.account, p.unit): p.amount for p in entry.postings}, entry


def balance(session, code):
    return queries.balance(session, code)


def books_balance(session):
    assert all(total == 0 for total in queries.trial_balance(session).totals.values())


def test_an_approved_fee_is_owed_to_the_participant_against_the_projects_fees(session, world, rules):
    claim_id = submitted_fee(session, world, rules=rules)

    outcome = approve(session, world, claim_id, rules)

    lines, entry = postings(session, outcome.claim.accrual_entry_id)
    assert lines == {("fees:project:GUIDE", "GBP"): 5040, (f"owed:participant:{world.ann}", "GBP"): -5040}
    assert entry.kind == "fee_approved" and entry.effective_date == MEETING_DAY
    assert outcome.claim.status == "approved"
    books_balance(session)


def test_a_fee_redirected_to_a_group_is_owed_to_the_group(session, world, rules):
    claim_id = draft_fee(session, world, rules=rules)
    services.record_choice(session, claim_id, choice="redirect", group_id=world.group_id, actor_user_id=world.manager)
    services.submit_claim(session, claim_id, actor_user_id=world.manager)

    outcome = approve(session, world, claim_id, rules)

    lines, entry = postings(session, outcome.claim.accrual_entry_id)
    assert lines == {("fees:project:GUIDE", "GBP"): 5040, (f"owed:group:{world.group_id}", "GBP"): -5040}
    assert entry.kind == "fee_redirected"
    assert balance(session, f"owed:participant:{world.ann}") == 0


def test_a_declined_fee_posts_nothing_but_is_recorded_with_who_and_when(session, world, rules):
    claim_id = draft_fee(session, world, rules=rules)
    declined = services.record_choice(session, claim_id, choice="decline", actor_user_id=world.carer_user)
    services.submit_claim(session, claim_id, actor_user_id=world.manager)
    before = footprint(session)

    outcome = approve(session, world, claim_id, rules)

    assert outcome.claim.status == "approved" and outcome.claim.accrual_entry_id is None
    assert outcome.claim.amount_pence == 0 and outcome.claim.offered_pence == 5040
    assert declined.choice == "decline" and declined.choice_recorded_by_user_id == world.carer_user
    assert declined.choice_recorded_at is not None
    assert footprint(session)[2] == before[2]  # no journal entry
    assert [e.note for e in declined.events if e.action == "choose"] == ["Participant's choice: decline"]


def test_taking_less_accrues_only_what_the_participant_takes(session, world, rules):
    claim_id = draft_fee(session, world, rules=rules)
    services.record_choice(session, claim_id, choice="take_less", amount="30.00", actor_user_id=world.manager)
    services.submit_claim(session, claim_id, actor_user_id=world.manager)

    outcome = approve(session, world, claim_id, rules)

    assert outcome.claim.amount_pence == 3000 and outcome.claim.offered_pence == 5040
    assert balance(session, f"owed:participant:{world.ann}") == -3000
    assert balance(session, "fees:project:GUIDE") == 3000


@pytest.mark.parametrize("amount", ["0", "50.40", "60.00", "-1.00", "12.345", "ten pounds"])
def test_taking_less_must_be_an_amount_below_the_fee(session, world, rules, amount):
    claim_id = draft_fee(session, world, rules=rules)

    with pytest.raises(ValidationError) as refused:
        services.record_choice(session, claim_id, choice="take_less", amount=amount, actor_user_id=world.manager)

    assert "amount" in refused.value.fields


def test_a_fee_taken_as_time_credits_posts_hours_in_time_not_pounds(session, world, rules):
    claim_id = draft_fee(session, world, rules=rules)
    chosen = services.record_choice(session, claim_id, choice="time_credits", actor_user_id=world.manager)
    services.submit_claim(session, claim_id, actor_user_id=world.manager)

    outcome = approve(session, world, claim_id, rules)

    lines, entry = postings(session, outcome.claim.accrual_entry_id)
    assert chosen.time_minutes == 240 and chosen.amount_pence == 0
    assert lines == {("time:issued", "TIME"): 240, (f"time:participant:{world.ann}", "TIME"): -240}
    assert entry.kind == "time_credits_awarded"
    assert balance(session, f"owed:participant:{world.ann}") == 0 and balance(session, "fees:project:GUIDE") == 0


def test_a_time_credit_award_credits_the_participant_in_time(session, world, rules):
    award, created = services.award_time_credits(session, participant_id=world.ann, minutes=150,
                                                 idempotency_key="helped-set-up", project_code="guide",
                                                 actor_user_id=world.manager, description="Set up the room")
    again, created_again = services.award_time_credits(session, participant_id=world.ann, minutes=150,
                                                       idempotency_key="helped-set-up", project_code="GUIDE",
                                                       actor_user_id=world.manager)
    services.submit_claim(session, award.id, actor_user_id=world.manager)

    outcome = approve(session, world, award.id, rules)

    assert created and not created_again and again.id == award.id
    assert award.kind == "time_credit" and award.time_minutes == 150 and award.project_code == "GUIDE"
    lines, _ = postings(session, outcome.claim.accrual_entry_id)
    assert lines == {("time:issued", "TIME"): 150, (f"time:participant:{world.ann}", "TIME"): -150}
    assert outcome.claim.accrual_entry_id is not None and outcome.claim.amount_pence == 0


def test_rejecting_an_approved_fee_posts_a_linked_reversal_and_clears_what_is_owed(session, world, rules):
    claim_id = submitted_fee(session, world, rules=rules)
    accrual = approve(session, world, claim_id, rules).claim.accrual_entry_id

    rejected = services.reject_claim(session, claim_id, reason="Duplicate of a paper claim",
                                     actor_user_id=world.finance2, today=TODAY, rules=rules)

    reversal = load_entry(session, rejected.reversal_entry_id)
    assert rejected.status == "rejected" and rejected.reason == "Duplicate of a paper claim"
    assert reversal.reverses_entry_id == accrual
    assert balance(session, f"owed:participant:{world.ann}") == 0 and balance(session, "fees:project:GUIDE") == 0
    books_balance(session)


def test_cancelling_an_approved_fee_posts_a_linked_reversal_and_clears_what_is_owed(session, world, rules):
    claim_id = submitted_fee(session, world, rules=rules)
    accrual = approve(session, world, claim_id, rules).claim.accrual_entry_id

    cancelled = services.cancel_claim(session, claim_id, actor_user_id=world.finance, today=TODAY, rules=rules,
                                      reason="Attendance recorded against the wrong person")

    assert cancelled.status == "cancelled"
    assert load_entry(session, cancelled.reversal_entry_id).reverses_entry_id == accrual
    assert balance(session, f"owed:participant:{world.ann}") == 0 and balance(session, "fees:project:GUIDE") == 0


def test_cancelling_before_approval_posts_nothing(session, world, rules):
    claim_id = submitted_fee(session, world, rules=rules)
    before = footprint(session)

    cancelled = services.cancel_claim(session, claim_id, actor_user_id=world.manager, today=TODAY, rules=rules,
                                      may_reverse=False)

    assert cancelled.status == "cancelled" and cancelled.reversal_entry_id is None
    assert footprint(session)[2] == before[2]


def test_rejecting_before_approval_posts_nothing(session, world, rules):
    claim_id = submitted_fee(session, world, rules=rules)
    before = footprint(session)

    rejected = services.reject_claim(session, claim_id, reason="Not one of ours", actor_user_id=world.finance,
                                     today=TODAY, rules=rules)

    assert rejected.status == "rejected" and footprint(session)[2] == before[2]


def test_only_finance_may_cancel_an_approved_claim(session, world, rules):
    claim_id = submitted_fee(session, world, rules=rules)
    approve(session, world, claim_id, rules)

    with pytest.raises(PermissionDenied):
        services.cancel_claim(session, claim_id, actor_user_id=world.manager, today=TODAY, rules=rules,
                              may_reverse=False)

    assert balance(session, f"owed:participant:{world.ann}") == -5040
