"""Holds at the service layer, on SQLite and PostgreSQL: held claims and payees stay out of payment runs,
listed as held with the reason, until released with a note; a hold racing a draft never lets a claim be paid."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.claims.models import Claim
from ledger.db import unit_of_work
from ledger.errors import Conflict, NotFound, NothingToPay, ValidationError
from ledger.events.models import Event
from ledger.payments import hold_actions, holds, runs
from ledger.payments.models import Hold
from policies.settings import DEFAULT_SETTINGS
from tests.factories import PAY_ON, RULEBOOK, TODAY, PaymentsWorld, all_at_once


@pytest.fixture
def world(session) -> PaymentsWorld:
    return PaymentsWorld(session)


def test_a_held_claim_is_left_out_of_the_draft_and_listed_with_the_reason(world, session):
    ann = world.participant("Ann Smith")
    paid, held = world.claim(ann, 4000), world.claim(ann, 1500, kind="expense")

    record = hold_actions.hold_claim(session, held, actor_user_id=world.finance_id, reason="Receipt looks altered")
    summary = world.draft()

    assert (record.status, record.subject, record.claim_id, record.name) == ("held", "claim", held, "Ann Smith")
    assert summary.payees[0].claim_ids == (paid,)
    [left] = summary.left_out
    assert (left.reason, left.claim_ids, left.amount_pence) == ("held", (held,), 1500)
    assert "Receipt looks altered" in left.message and "held by Fran" in left.message
    event = session.execute(select(Event).where(Event.subject_type == "hold")).scalar_one()
    assert (event.action, event.to_status, event.reason, event.claim_id) == ("hold", "held",
                                                                            "Receipt looks altered", held)


def test_releasing_a_hold_needs_a_note_and_puts_the_claim_into_the_next_draft(world, session):
    ann = world.participant("Ann Smith")
    claim = world.claim(ann, 4000)
    hold_actions.hold_claim(session, claim, actor_user_id=world.finance_id, reason="Checking the hours")
    with pytest.raises(NothingToPay):
        world.draft()
    with pytest.raises(ValidationError) as refused:
        hold_actions.release_claim(session, claim, actor_user_id=world.finance_id, note="  ")
    assert refused.value.fields == {"note": ["Required."]}

    released = hold_actions.release_claim(session, claim, actor_user_id=world.finance_id, note="Hours confirmed")

    assert (released.status, released.release_note, released.released_by) == ("released", "Hours confirmed", "Fran")
    assert world.draft().payees[0].claim_ids == (claim,)
    with pytest.raises(Conflict, match="not on hold"):
        hold_actions.release_claim(session, claim, actor_user_id=world.finance_id, note="again")


def test_holding_a_payee_holds_all_their_claims_including_later_ones(world, session):
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    world.claim(ann, 4000)
    bobs = world.claim(bob, 3000)
    hold_actions.hold_payee(session, "participant", ann, actor_user_id=world.finance_id, reason="Bank details query")
    world.claim(ann, 999)

    summary = world.draft()

    assert [p.payee_id for p in summary.payees] == [bob] and summary.payees[0].claim_ids == (bobs,)
    [left] = summary.left_out
    assert (left.payee_id, left.reason, left.amount_pence) == (ann, "held", 4999)
    assert "every claim of Ann Smith" in left.message


def test_holding_a_claim_in_a_draft_takes_it_out_of_the_draft(world, session):
    ann = world.participant("Ann Smith")
    kept, held = world.claim(ann, 4000), world.claim(ann, 2000)
    summary = world.draft()

    hold_actions.hold_claim(session, held, actor_user_id=world.finance_id, reason="Duplicate of a paper claim")

    after = runs.payment_run_summary(session, summary.id)
    assert (after.total_pence, after.item_count) == (4000, 1) and after.payees[0].claim_ids == (kept,)
    assert [(x.reason, x.claim_ids) for x in after.left_out] == [("held", (held,))]
    assert session.get(Claim, held).payment_run_id is None
    world.confirm(summary.id)
    assert session.get(Claim, held).status == "approved"


def test_holding_a_payee_takes_them_out_of_a_draft(world, session):
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    world.claim(ann, 4000)
    world.claim(bob, 3000)
    summary = world.draft()

    hold_actions.hold_payee(session, "participant", bob, actor_user_id=world.finance_id, reason="Query")

    after = runs.payment_run_summary(session, summary.id)
    assert [p.payee_id for p in after.payees] == [ann] and after.total_pence == 4000


def test_a_payee_taken_out_of_a_draft_is_held_and_not_in_the_next_draft(world, session):
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    world.claim(ann, 4000)
    world.claim(bob, 3000)
    first = world.draft()
    runs.remove_payee_from_run(session, first.id, payee_kind="participant", payee_id=bob,
                               actor_user_id=world.finance_id, reason="Bank details being checked")
    runs.cancel_payment_run(session, first.id, actor_user_id=world.finance_id, reason="Start again")

    second = world.draft()

    assert [p.payee_id for p in second.payees] == [ann]
    assert [(x.payee_id, x.reason) for x in second.left_out] == [(bob, "held")]
    [hold] = holds.list_holds(session)
    assert (hold.payee_id, hold.reason) == (bob, "Bank details being checked")


def test_a_payee_taken_out_without_a_hold_goes_into_the_next_draft(world, session):
    bob = world.participant("Bob Jones")
    world.claim(bob, 3000)
    first = world.draft()
    runs.remove_payee_from_run(session, first.id, payee_kind="participant", payee_id=bob,
                               actor_user_id=world.finance_id, reason="Wrong date", hold=False)
    assert holds.list_holds(session) == []
    assert [p.payee_id for p in world.draft().payees] == [bob]


def test_bad_holds_are_refused_naming_the_field_and_write_nothing(world, session):
    ann = world.participant("Ann Smith")
    claim = world.claim(ann, 4000)
    with pytest.raises(ValidationError) as refused:
        hold_actions.hold_claim(session, claim, actor_user_id=world.finance_id, reason="")
    assert refused.value.fields == {"reason": ["Required."]}
    with pytest.raises(NotFound):
        hold_actions.hold_claim(session, claim + 999, actor_user_id=world.finance_id, reason="x")
    with pytest.raises(ValidationError) as refused:
        hold_actions.hold_payee(session, "person", ann, actor_user_id=world.finance_id, reason="x")
    assert "payee_kind" in refused.value.fields
    with pytest.raises(NotFound):
        hold_actions.hold_payee(session, "group", 999_999, actor_user_id=world.finance_id, reason="x")
    assert session.execute(select(Hold)).first() is None
    hold_actions.hold_claim(session, claim, actor_user_id=world.finance_id, reason="First")
    with pytest.raises(Conflict, match="already on hold"):
        hold_actions.hold_claim(session, claim, actor_user_id=world.finance_id, reason="Second")


def test_a_paid_claim_cannot_be_held(world, session):
    claim = world.claim(world.participant("Ann Smith"), 4000)
    world.confirm(world.draft().id)
    with pytest.raises(Conflict, match="already paid"):
        hold_actions.hold_claim(session, claim, actor_user_id=world.finance_id, reason="Too late")


@pytest.mark.postgres_only
def test_a_hold_racing_a_draft_never_lets_the_held_claim_be_paid(session_factory, backend):
    with unit_of_work(session_factory) as session:
        world = PaymentsWorld(session)
        claims = [world.claim(world.participant(f"Person {n}"), 1000 + n) for n in range(30)]
        finance = world.finance_id
    target = claims[15]

    def act(i: int, ready):
        ready()
        with unit_of_work(session_factory) as session:
            if i == 0:
                return hold_actions.hold_claim(session, target, actor_user_id=finance, reason="Stop").status
            return runs.draft_payment_run(session, cutoff_date=TODAY, payment_date=PAY_ON, actor_user_id=finance,
                                          rulebook=RULEBOOK, settings=DEFAULT_SETTINGS, today=TODAY).id

    results = all_at_once(2, act)

    assert results[0] == "held", results
    assert isinstance(results[1], int), results
    with unit_of_work(session_factory) as session:
        try:
            runs.confirm_payment_run(session, results[1], actor_user_id=finance, bank_reference="REF-1")
        except Conflict as refused:
            assert "on hold" in refused.message
    with unit_of_work(session_factory) as session:
        claim = session.get(Claim, target)
        assert (claim.status, claim.paid_on) == ("approved", None)



def test_a_hold_made_while_a_run_was_drafted_stops_the_run_being_confirmed(world, session):
    """A payee held at the moment another transaction drafted them in: the run cannot be confirmed until they
    are taken out of it or the hold is released (the hold is written directly, as the race leaves it)."""
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    world.claim(ann, 4000)
    bobs = world.claim(bob, 3000)
    run = world.draft()
    holds.create_hold(session, actor_user_id=world.finance_id, reason="Fraud alert", payee_kind="participant",
                      payee_id=bob)

    savepoint = session.begin_nested()
    with pytest.raises(Conflict) as refused:
        world.confirm(run.id)
    savepoint.rollback()
    assert refused.value.fields == {"claims": [str(bobs)]} and "Fraud alert" in refused.value.message

    runs.remove_payee_from_run(session, run.id, payee_kind="participant", payee_id=bob,
                               actor_user_id=world.finance_id, reason="Held for the fraud alert")
    assert world.confirm(run.id).total_pence == 4000
    assert session.get(Claim, bobs).paid_on is None
