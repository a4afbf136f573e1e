"""Returned payments at the service layer, on SQLite and PostgreSQL: the entry putting the money back as owed,
the claims owed again, the bank details flagged, the payee left out of later runs until the details change."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.books import queries
from ledger.books.models import JournalEntry
from ledger.books.posting import load_entry
from ledger.claims import advances, corrections
from ledger.claims.models import Advance, Claim
from ledger.claims.received import received_by
from ledger.db import unit_of_work
from ledger.errors import Conflict, NotFound, NothingToPay, ValidationError
from ledger.events.models import Event
from ledger.events.writer import events_of
from ledger.organisation import BANK
from ledger.payments import returns, runs
from ledger.payments.models import PaymentReturn
from ledger.people import services as people
from ledger.people.models import Participant
from tests.factories import CIPHER, PAY_ON, PROJECT, TODAY, PaymentsWorld, all_at_once, footprint, make_finance_user

BACK_ON = PAY_ON + dt.timedelta(days=3)
LATER = BACK_ON + dt.timedelta(days=1)
SECOND_RUN = PAY_ON + dt.timedelta(days=7)
THIRD_RUN = PAY_ON + dt.timedelta(days=14)


@pytest.fixture
def world(session) -> PaymentsWorld:
    return PaymentsWorld(session)


def request(payee_id: int, pence: int, **changes) -> returns.ReturnRequest:
    values = {"payee_kind": "participant", "payee_id": payee_id, "amount_pence": pence, "returned_on": BACK_ON,
              "reason": "account_closed", "bank_reference": "RTN-1", "note": None, **changes}
    return returns.ReturnRequest(**values)


def paid_run(world: PaymentsWorld):
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    fee, expense, other = world.claim(ann, 4000), world.claim(ann, 1250, kind="expense"), world.claim(bob, 3000)
    run = world.draft()
    world.confirm(run.id)
    return run, ann, bob, (fee, expense, other)


def owed(session, participant_id: int) -> int:
    return -queries.balance(session, f"owed:participant:{participant_id}")


def test_a_returned_payment_is_owed_again_and_the_bank_details_are_flagged(world, session):
    run, ann, bob, (fee, expense, other) = paid_run(world)
    assert owed(session, ann) == 0

    done = returns.record_payment_return(session, run.id, request(ann, 5250), actor_user_id=world.finance_id,
                                         today=LATER)

    assert (done.amount_pence, done.claim_ids, done.reason) == (5250, (fee, expense), "account_closed")
    entry = session.get(JournalEntry, done.entry_id)
    assert (entry.kind, entry.effective_date) == ("payment_returned", BACK_ON)
    assert owed(session, ann) == 5250 and owed(session, bob) == 0
    assert queries.balance(session, BANK) == -3000
    assert queries.trial_balance(session).totals["GBP"] == 0
    statuses = dict(session.execute(select(Claim.id, Claim.status).where(Claim.id.in_([fee, expense, other]))).all())
    assert statuses == {fee: "approved", expense: "approved", other: "paid"}
    assert session.get(Claim, fee).paid_on is None and session.get(Claim, fee).payment_run_id is None
    person = session.get(Participant, ann)
    assert (person.bank_details_returned_on, person.bank_details_returned_reason) == (BACK_ON, "account_closed")
    assert people.get_participant(session, ann).bank_details.returned_on == BACK_ON
    actions = set(session.execute(select(Event.action).where(Event.claim_id == fee)).scalars())
    assert "payment_returned" in actions
    # what the participant received nets to nothing: the fee came back
    assert sum(r.amount for r in received_by(session, ann, PAY_ON, LATER)) == 0


def test_the_payee_is_left_out_of_later_runs_until_the_bank_details_change(world, session):
    run, ann, bob, _ = paid_run(world)
    returns.record_payment_return(session, run.id, request(ann, 5250), actor_user_id=world.finance_id, today=LATER)
    new_claim = world.claim(ann, 700)
    world.claim(bob, 100)

    later = world.draft(pay_on=PAY_ON + dt.timedelta(days=7))
    [left] = later.left_out
    assert (left.payee_id, left.reason, left.amount_pence) == (ann, "payment_returned", 5950)
    assert "returned by the bank on" in left.message
    runs.cancel_payment_run(session, later.id, actor_user_id=world.finance_id, reason="waiting for details")

    people.set_bank_details(session, CIPHER, ann, sort_code="30-00-00", account_number="22223333",
                            account_name="Ann Smith")
    assert session.get(Participant, ann).bank_details_returned_on is None
    assert session.execute(select(func.count()).select_from(Event)
                           .where(Event.action == "clear_returned_flag")).scalar_one() == 1
    again = world.draft(pay_on=PAY_ON + dt.timedelta(days=7))
    assert [(p.payee_id, p.amount_pence) for p in again.payees] == [(ann, 5950), (bob, 100)]
    assert again.left_out == ()
    world.confirm(again.id)
    assert owed(session, ann) == 0 and session.get(Claim, new_claim).status == "paid"
    assert queries.trial_balance(session).totals["GBP"] == 0


def _new_details(session, participant_id: int) -> None:
    people.set_bank_details(session, CIPHER, participant_id, sort_code="30-00-00", account_number="22223333",
                            account_name="New account")


def test_a_payment_netted_against_money_owed_back_comes_back_as_it_was_paid_and_is_netted_once(world, session):
    ann = world.participant("Ann Smith")
    first = world.claim(ann, 4000)
    world.confirm(world.draft().id)
    corrections.reverse_paid_claim(session, first, reason="Paid twice", actor_user_id=world.finance_id,
                                   today=BACK_ON)
    corrections.agree_netting(session, first, agreed_on=BACK_ON, agreed_how="phone", note="Ann agreed",
                              actor_user_id=world.finance_id, today=BACK_ON)
    later = world.claim(ann, 6000)
    second = world.confirm(world.draft(pay_on=SECOND_RUN).id)
    assert [p.amount_pence for p in second.payees] == [2000]  # £60 less the £40 owed back

    done = returns.record_payment_return(session, second.id, request(ann, 2000, returned_on=SECOND_RUN),
                                         actor_user_id=world.finance_id, today=SECOND_RUN)

    entry = load_entry(session, done.entry_id)
    assert sorted((p.account, p.amount) for p in entry.postings) == [
        (BANK, 2000), (f"owed:participant:{ann}", -2000)]
    assert owed(session, ann) == 2000 and session.get(Claim, later).status == "approved"
    assert queries.trial_balance(session).totals["GBP"] == 0
    _new_details(session, ann)
    third = world.confirm(world.draft(pay_on=THIRD_RUN).id)
    assert [p.amount_pence for p in third.payees] == [2000]
    assert owed(session, ann) == 0 and session.get(Claim, later).status == "paid"
    netted = [r.amount_pence for r in corrections.owed_back(session, first).recoveries if r.how == "netting"]
    assert netted == [None, 4000]  # the agreement, and the £40 netted once, not again by the third run
    # Ann received £60 for the later claim in all, and the first £40 went back
    assert sum(r.amount for r in received_by(session, ann, PAY_ON, THIRD_RUN)) == 6000


def test_a_returned_payment_that_paid_an_advance_leaves_the_advance_approved_for_a_later_run(world, session):
    ann = world.participant("Ann Smith")
    world.claim(ann, 3000)
    asked = advances.request_advance(session, participant_id=ann, project_code=PROJECT, amount="40.00",
                                     purpose="Train to the regional meeting", settle_by=PAY_ON + dt.timedelta(days=30),
                                     today=TODAY, actor_user_id=make_finance_user(session, "asker@example.org").id)
    advances.approve_advance(session, asked.id, actor_user_id=world.finance_id, actor_participant_id=None,
                             second_approval_above_pence=10**9, today=TODAY)
    run = world.confirm(world.draft().id)
    assert [p.amount_pence for p in run.payees] == [7000]

    done = returns.record_payment_return(session, run.id, request(ann, 7000), actor_user_id=world.finance_id,
                                         today=LATER)

    entry = load_entry(session, done.entry_id)
    assert sorted((p.account, p.amount) for p in entry.postings) == [
        (f"advance:participant:{ann}", -4000), (BANK, 7000), (f"owed:participant:{ann}", -3000)]
    advance = session.get(Advance, asked.id)
    assert (advance.status, advance.paid_on, advance.paid_entry_id, advance.payment_run_id) == (
        "approved", None, None, None)
    assert [(e.action, e.before, e.after) for e in events_of(session, "advance", asked.id)][-1] == (
        "payment_returned", "paid", "approved")
    assert advances.list_advances(session, overdue=True, today=PAY_ON + dt.timedelta(days=60)) == []
    assert queries.balance(session, f"advance:participant:{ann}") == 0
    with pytest.raises(NothingToPay) as waiting:  # neither the claim nor the advance goes to returned details
        world.draft(pay_on=SECOND_RUN)
    assert "£30.00 waits" in str(waiting.value) and "approved advance" in str(waiting.value)
    _new_details(session, ann)
    again = world.confirm(world.draft(pay_on=SECOND_RUN).id)
    assert [p.amount_pence for p in again.payees] == [7000]
    assert session.get(Advance, asked.id).status == "paid"
    assert queries.trial_balance(session).totals["GBP"] == 0


def test_a_draft_made_before_the_return_is_not_confirmed_for_that_payee(world, session):
    run, ann, _, _ = paid_run(world)
    world.claim(ann, 700)
    later = world.draft(pay_on=PAY_ON + dt.timedelta(days=7))
    returns.record_payment_return(session, run.id, request(ann, 5250), actor_user_id=world.finance_id, today=LATER)
    with pytest.raises(Conflict, match="returned by the bank"):
        world.confirm(later.id)


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount_pence": 5000}, "amount"),
    ({"amount_pence": 0}, "amount"),
    ({"returned_on": PAY_ON - dt.timedelta(days=1)}, "returned_on"),
    ({"returned_on": LATER + dt.timedelta(days=1)}, "returned_on"),
    ({"returned_on": "soon"}, "returned_on"),
    ({"reason": "lost"}, "reason"),
    ({"reason": "other"}, "note"),
    ({"bank_reference": " "}, "bank_reference"),
    ({"payee_kind": "person"}, "payee_kind"),
    ({"payee_id": 99999}, "payee_id"),
])
def test_bad_input_names_the_field_and_changes_nothing(world, session, changes, field):
    run, ann, _, _ = paid_run(world)
    before, changes = footprint(session), dict(changes)
    with pytest.raises((ValidationError, NotFound)) as caught:
        returns.record_payment_return(session, run.id, request(changes.pop("payee_id", ann), 5250, **changes),
                                      actor_user_id=world.finance_id, today=LATER)
    assert field in caught.value.fields
    assert footprint(session) == before


def test_a_payment_is_returned_once_and_only_from_a_confirmed_run(world, session):
    run, ann, _, _ = paid_run(world)
    returns.record_payment_return(session, run.id, request(ann, 5250), actor_user_id=world.finance_id, today=LATER)
    with pytest.raises(Conflict, match="already"):
        returns.record_payment_return(session, run.id, request(ann, 5250), actor_user_id=world.finance_id,
                                      today=LATER)
    world.claim(ann, 700)
    people.set_bank_details(session, CIPHER, ann, sort_code="30-00-00", account_number="22223333",
                            account_name="Ann Smith")
    draft = world.draft(pay_on=PAY_ON + dt.timedelta(days=7))
    with pytest.raises(Conflict, match="confirmed run"):
        returns.record_payment_return(session, draft.id, request(ann, 5950), actor_user_id=world.finance_id,
                                      today=LATER)


def test_a_bulk_file_is_all_or_nothing(world, session):
    run, ann, bob, _ = paid_run(world)
    before = footprint(session)
    lines = [returns.ReturnLine(1, run.reference, f"P{ann}", request(ann, 5250)),
             returns.ReturnLine(2, run.reference, f"P{bob}", request(bob, 1))]
    nested = session.begin_nested()  # the caller's transaction, rolled back on the error
    with pytest.raises(ValidationError, match="Line 2"):
        returns.record_returns(session, lines, actor_user_id=world.finance_id, today=LATER)
    nested.rollback()
    assert footprint(session) == before


# ---------------------------------------------------------------- at the same moment (PostgreSQL)


@pytest.mark.postgres_only
@pytest.mark.parametrize("first", ["return", "confirm"])
def test_a_return_racing_a_later_runs_confirmation_never_pays_flagged_details(session_factory, backend, first):
    with unit_of_work(session_factory) as session:
        world = PaymentsWorld(session)
        run, ann, _, _ = paid_run(world)
        world.claim(ann, 700)
        later = world.draft(pay_on=PAY_ON + dt.timedelta(days=7)).id
        finance, run_id = world.finance_id, run.id

    def work(i: int, ready):
        ready()
        if (i == 0) != (first == "return"):
            time.sleep(0.3)  # the other goes first; the lock, not the sleep, decides what each then sees
        with unit_of_work(session_factory) as session:
            if i == 0:
                return returns.record_payment_return(session, run_id, request(ann, 5250), actor_user_id=finance,
                                                     today=LATER).id
            return runs.confirm_payment_run(session, later, actor_user_id=finance, bank_reference="R2").status

    results = all_at_once(2, work)
    assert isinstance(results[0], int) and isinstance(results[1], str | Conflict), results
    with unit_of_work(session_factory) as session:
        paid_later = session.execute(select(func.count()).select_from(runs.Payment)
                                     .where(runs.Payment.run_id == later)).scalar_one()
        returned = session.execute(select(func.count()).select_from(PaymentReturn)).scalar_one()
        assert returned == 1
        flagged_at = session.get(Participant, ann).bank_details_returned_on
        assert flagged_at == BACK_ON
        assert isinstance(results[1], Conflict) == (first == "return"), results
        if isinstance(results[1], Conflict):
            assert paid_later == 0  # the return won: nothing sent to flagged details
            assert owed(session, ann) == 5950
        else:
            assert paid_later == 1  # the confirmation won: paid before anyone knew, the return still recorded
            assert owed(session, ann) == 5250
        assert queries.trial_balance(session).totals["GBP"] == 0


@pytest.mark.postgres_only
def test_two_people_recording_one_return_at_once_record_it_once(session_factory, backend):
    with unit_of_work(session_factory) as session:
        world = PaymentsWorld(session)
        run, ann, _, _ = paid_run(world)
        finance, run_id = world.finance_id, run.id

    def work(i: int, ready):
        ready()
        with unit_of_work(session_factory) as session:
            return returns.record_payment_return(session, run_id, request(ann, 5250, bank_reference=f"R{i}"),
                                                 actor_user_id=finance, today=LATER).id

    results = all_at_once(2, work)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"], results
    with unit_of_work(session_factory) as session:
        assert owed(session, ann) == 5250
        assert queries.balance(session, BANK) == -3000
