"""A paid claim reversed, and what the participant owes back recovered: netting agreed (the next run pays the
later claim less what is owed back), a repayment, or a write-off approved by a second finance user."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.books import queries
from ledger.claims import corrections
from ledger.claims.models import Claim
from ledger.db import unit_of_work
from ledger.errors import Conflict, PermissionDenied, ValidationError
from ledger.events.models import Event
from ledger.organisation import BANK
from ledger.payments import runs
from ledger.payments.models import Payment
from tests.factories import PAY_ON, RULES, PaymentsWorld, all_at_once, footprint, make_finance_user

LATER = PAY_ON + dt.timedelta(days=4)
NEXT_RUN = PAY_ON + dt.timedelta(days=7)


@pytest.fixture
def world(session) -> PaymentsWorld:
    return PaymentsWorld(session)


def paid_fee(world: PaymentsWorld, pence: int = 4000) -> tuple[int, int]:
    ann = world.participant("Ann Smith")
    claim = world.claim(ann, pence)
    world.confirm(world.draft().id)
    return ann, claim


def owes(session, participant_id: int) -> int:
    """What the participant owes the organisation: the owed account's debit balance."""
    return queries.balance(session, f"owed:participant:{participant_id}")


def test_a_reversed_paid_claim_shows_what_is_owed_back(world, session):
    ann, claim = paid_fee(world)
    state = corrections.reverse_paid_claim(session, claim, reason="Paid twice for the same meeting",
                                           actor_user_id=world.finance_id, today=LATER)
    assert (state.status, state.reversed_pence, state.owed_back_pence) == ("rejected", 4000, 4000)
    assert owes(session, ann) == 4000
    assert queries.trial_balance(session).totals["GBP"] == 0
    assert session.get(Claim, claim).paid_on == PAY_ON  # it was paid: the day stays on the record
    with pytest.raises(Conflict):
        corrections.reverse_paid_claim(session, claim, reason="Again", actor_user_id=world.finance_id, today=LATER)


def test_without_agreement_the_payee_waits_and_with_it_the_next_run_nets_what_is_owed_back(world, session):
    ann, claim = paid_fee(world)
    corrections.reverse_paid_claim(session, claim, reason="Paid in error", actor_user_id=world.finance_id,
                                   today=LATER)
    later = world.claim(ann, 6000)
    bob = world.participant("Bob Jones")
    world.claim(bob, 1000)

    waiting = world.draft(pay_on=NEXT_RUN)
    [left] = waiting.left_out
    assert (left.payee_id, left.reason, left.amount_pence) == (ann, "owes_back", 6000)
    assert "£40.00 back" in left.message
    runs.cancel_payment_run(session, waiting.id, actor_user_id=world.finance_id, reason="Agreeing netting first")

    with pytest.raises(ValidationError) as caught:
        corrections.agree_netting(session, claim, agreed_on=LATER, agreed_how="telepathy", note="Agreed",
                                  actor_user_id=world.finance_id, today=LATER)
    assert "agreed_how" in caught.value.fields
    state = corrections.agree_netting(session, claim, agreed_on=LATER, agreed_how="phone",
                                      note="Ann agreed on the phone; letter sent", actor_user_id=world.finance_id,
                                      today=LATER)
    assert state.netting_agreed and state.recoveries[0].agreed_how == "phone"

    run = world.draft(pay_on=NEXT_RUN)
    ann_pays = next(p for p in run.payees if p.payee_id == ann)
    assert (ann_pays.amount_pence, ann_pays.netted_pence, run.total_pence) == (2000, 4000, 3000)
    world.confirm(run.id)
    paid = session.execute(select(Payment.amount_pence).where(Payment.run_id == run.id, Payment.payee_id == ann))
    assert paid.scalar_one() == 2000
    assert owes(session, ann) == 0 and session.get(Claim, later).status == "paid"
    assert corrections.owed_back(session, claim).owed_back_pence == 0
    assert queries.balance(session, BANK) == -(4000 + 2000 + 1000)
    assert queries.trial_balance(session).totals["GBP"] == 0


def test_a_repayment_comes_back_into_the_bank_and_re_runs_the_benefit_check(world, session):
    ann, claim = paid_fee(world)
    corrections.reverse_paid_claim(session, claim, reason="Paid in error", actor_user_id=world.finance_id,
                                   today=LATER)
    with pytest.raises(ValidationError) as caught:
        corrections.record_repayment(session, claim, amount_pence=4001, received_on=LATER, reference="BGC 1",
                                     actor_user_id=world.finance_id, today=LATER, rules=RULES)
    assert "amount" in caught.value.fields
    state = corrections.record_repayment(session, claim, amount_pence=1500, received_on=LATER, reference="BGC 1",
                                         actor_user_id=world.finance_id, today=LATER, rules=RULES)
    assert state.owed_back_pence == 2500 and owes(session, ann) == 2500
    assert queries.balance(session, BANK) == -4000 + 1500
    event = session.execute(select(Event).where(Event.claim_id == claim, Event.action == "repaid")).scalar_one()
    assert event.details["benefit_check"]["outcome"] == "no_benefits_declared"
    state = corrections.record_repayment(session, claim, amount_pence=2500, received_on=LATER, reference="BGC 2",
                                         actor_user_id=world.finance_id, today=LATER, rules=RULES)
    assert state.owed_back_pence == 0 and owes(session, ann) == 0
    assert queries.trial_balance(session).totals["GBP"] == 0


def test_a_write_off_needs_a_second_finance_user(world, session):
    ann, claim = paid_fee(world)
    corrections.reverse_paid_claim(session, claim, reason="Paid in error", actor_user_id=world.finance_id,
                                   today=LATER)
    corrections.request_write_off(session, claim, reason="Ann has moved abroad; not worth pursuing",
                                  actor_user_id=world.finance_id, today=LATER)
    with pytest.raises(PermissionDenied):
        corrections.approve_write_off(session, claim, actor_user_id=world.finance_id, today=LATER)
    second = make_finance_user(session, "second@example.org").id
    state = corrections.approve_write_off(session, claim, actor_user_id=second, today=LATER)
    assert state.owed_back_pence == 0 and owes(session, ann) == 0
    [row] = state.recoveries
    assert (row.how, row.amount_pence, row.approved_by_user_id) == ("write_off", 4000, second)
    assert queries.trial_balance(session).totals["GBP"] == 0


@pytest.mark.parametrize(("doing", "field"), [
    (lambda s, w, c: corrections.reverse_paid_claim(s, c, reason="", actor_user_id=w.finance_id, today=LATER),
     "reason"),
    (lambda s, w, c: corrections.record_repayment(s, c, amount_pence=100, received_on="x", reference="R",
                                                  actor_user_id=w.finance_id, today=LATER, rules=RULES), "status"),
])
def test_bad_input_names_the_field_and_changes_nothing(world, session, doing, field):
    _, claim = paid_fee(world)
    before = footprint(session)
    with pytest.raises((ValidationError, Conflict)) as caught:
        doing(session, world, claim)
    assert field in caught.value.fields
    assert footprint(session) == before


@pytest.mark.postgres_only
@pytest.mark.parametrize("first", ["reversal", "confirm"])
def test_a_reversal_racing_a_later_runs_confirmation_never_overpays(session_factory, backend, first):
    import time

    with unit_of_work(session_factory) as session:
        world = PaymentsWorld(session)
        ann, claim = paid_fee(world)
        world.claim(ann, 6000)
        run_id, finance = world.draft(pay_on=NEXT_RUN).id, world.finance_id

    def work(i: int, ready):
        ready()
        if (i == 0) != (first == "reversal"):
            time.sleep(0.3)
        with unit_of_work(session_factory) as session:
            if i == 0:
                return corrections.reverse_paid_claim(session, claim, reason="Paid in error", actor_user_id=finance,
                                                      today=LATER).owed_back_pence
            return runs.confirm_payment_run(session, run_id, actor_user_id=finance, bank_reference="R2").status

    results = all_at_once(2, work)
    assert results[0] == 4000, results
    with unit_of_work(session_factory) as session:
        paid = session.execute(select(Payment.amount_pence).where(Payment.run_id == run_id)).scalars().all()
        if first == "reversal":
            assert isinstance(results[1], Conflict) and paid == []  # no agreement: not paid over the debt
            assert owes(session, ann) == 4000 - 6000
        else:
            assert results[1] == "confirmed" and paid == [6000]  # paid before the reversal; the debt stands
            assert owes(session, ann) == 4000
        assert queries.trial_balance(session).totals["GBP"] == 0


def test_a_fee_given_to_a_group_is_reversed_and_the_group_owes_it_back(world, session):
    ann, carers = world.participant("Ann Smith"), world.group("Carers Voice")
    given = world.claim(ann, 5000, group_id=carers)
    world.confirm(world.draft().id)
    group_owed = f"owed:group:{carers}"
    assert queries.balance(session, group_owed) == 0

    state = corrections.reverse_paid_claim(session, given, reason="The group was paid for a meeting it missed",
                                           actor_user_id=world.finance_id, today=LATER)
    assert (state.status, state.owed_back_pence, state.group_id) == ("rejected", 5000, carers)
    assert queries.balance(session, group_owed) == 5000 and owes(session, ann) == 0  # the group owes, not Ann
    with pytest.raises(Conflict) as refused:
        corrections.agree_netting(session, given, agreed_on=LATER, agreed_how="email", note="Ann agreed",
                                  actor_user_id=world.finance_id, today=LATER)
    assert "how" in refused.value.fields

    world.claim(ann, 2000, group_id=carers)  # a later fee for the group waits while it owes
    world.claim(world.participant("Bob Jones"), 1000)
    [left] = world.draft(pay_on=NEXT_RUN).left_out
    assert (left.payee_kind, left.payee_id, left.reason) == ("group", carers, "owes_back")

    state = corrections.record_repayment(session, given, amount_pence=2000, received_on=LATER, reference="CHQ 1",
                                         actor_user_id=world.finance_id, today=LATER, rules=RULES)
    assert state.owed_back_pence == 3000 and state.rechecks == ()  # not Ann's income: nothing to re-check
    corrections.request_write_off(session, given, reason="The group has closed", actor_user_id=world.finance_id,
                                  today=LATER)
    second = make_finance_user(session, "second@example.org").id
    state = corrections.approve_write_off(session, given, actor_user_id=second, today=LATER, rules=RULES)
    assert state.owed_back_pence == 0 and queries.balance(session, group_owed) == -2000  # owed the later fee
    assert queries.balance(session, BANK) == -5000 + 2000
    assert queries.trial_balance(session).totals["GBP"] == 0
