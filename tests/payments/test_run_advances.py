"""Approved advances paid by bank transfer in a payment run, beside the payee's claims, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.books.models import Account, Posting
from ledger.books.posting import load_entry
from ledger.claims import advances
from ledger.claims.models import Advance
from ledger.db import unit_of_work
from ledger.errors import Conflict, NothingToPay
from ledger.events.writer import events_of
from ledger.payments import bacs, holds, runs
from ledger.payments.models import Payment
from ledger.reports.records import RemittanceLineKind
from ledger.reports.remittances import remittance_advice
from policies.settings import DEFAULT_SETTINGS
from tests.factories import (
    CIPHER,
    ORGANISATION,
    PAY_ON,
    PROJECT,
    RULEBOOK,
    TODAY,
    PaymentsWorld,
    all_at_once,
    make_finance_user,
)

DUE = TODAY.replace(day=28)
ORIGINATOR = bacs.Originator(service_user_number="123456", name="Demo Council", sort_code="200000",
                             account_number="12345678")


@pytest.fixture
def world(session) -> PaymentsWorld:
    return PaymentsWorld(session)


def approved_advance(session, world: PaymentsWorld, participant_id: int, pounds: str = "40.00") -> int:
    """An advance asked for by one finance officer and approved by another (one approver)."""
    asker = make_finance_user(session, f"asker{participant_id}-{pounds}@example.org").id
    record = advances.request_advance(session, participant_id=participant_id, project_code=PROJECT, amount=pounds,
                                      purpose="Train to the regional meeting", settle_by=DUE, today=TODAY,
                                      actor_user_id=asker)
    advances.approve_advance(session, record.id, actor_user_id=world.finance_id, actor_participant_id=None,
                             second_approval_above_pence=10**9, today=TODAY)
    return record.id


def run_of(session, advance_id: int) -> int | None:
    return session.execute(select(Advance.payment_run_id).where(Advance.id == advance_id)).scalar_one()


def refused(session, error, call, *args, **kwargs):
    savepoint = session.begin_nested()
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    savepoint.rollback()
    return caught.value


def test_an_approved_advance_is_paid_in_the_run_with_the_payees_claims_in_one_entry(world, session):
    ann = world.participant("Ann Smith")
    world.claim(ann, 3000)
    advance_id = approved_advance(session, world, ann, "40.00")

    run = world.draft()
    line = run.payees[0]
    assert (run.total_pence, run.payee_count, line.amount_pence, line.advance_pence, line.advance_ids) == (
        7000, 1, 7000, 4000, (advance_id,))
    bank_file = bacs.parse_standard18(runs.bacs_file(session, run.id, ORIGINATOR, CIPHER, created_on=TODAY))
    assert [c.amount_pence for c in bank_file.payments] == [7000]

    paid = world.confirm(run.id)
    entry = load_entry(session, paid.payees[0].entry_id)
    assert sorted((p.account, p.amount) for p in entry.postings) == [
        (f"advance:participant:{ann}", 4000), ("bank:main", -7000), (f"owed:participant:{ann}", 3000)]
    advance = session.get(Advance, advance_id)
    assert (advance.status, advance.paid_on, advance.paid_entry_id, advance.paid_by, advance.payment_run_id) == (
        "paid", run.payment_date, entry.id, "transfer", run.id)
    assert advance.paid_reference == f"{run.reference} P{ann}"
    assert [(e.action, e.before, e.after) for e in events_of(session, "advance", advance_id)][-1] == (
        "pay", "approved", "paid")
    assert session.execute(select(func.sum(Payment.amount_pence))).scalar_one() == 7000
    advice = remittance_advice(session, run.id, "participant", ann, organisation=ORGANISATION)
    assert advice.total_paid == 7000 == sum(line.amount for line in advice.lines)
    assert [(line.kind, line.amount) for line in advice.lines if line.kind is RemittanceLineKind.ADJUSTMENT] == [
        (RemittanceLineKind.ADJUSTMENT, 4000)]


def test_an_advance_alone_is_paid_and_a_held_payees_or_one_without_bank_details_waits(world, session):
    ann, bob, cat = world.participant("Ann Smith"), world.participant("Bob Jones"), world.participant("Cat", bank=False)
    alone = approved_advance(session, world, ann, "25.00")
    held = approved_advance(session, world, bob, "30.00")
    unbanked = approved_advance(session, world, cat, "35.00")
    holds.create_hold(session, actor_user_id=world.finance_id, reason="Fraud alert", payee_kind="participant",
                      payee_id=bob)

    run = world.draft()

    assert [(p.payee_id, p.amount_pence, p.advance_ids) for p in run.payees] == [(ann, 2500, (alone,))]
    assert sorted((x.payee_id, x.reason, x.amount_pence) for x in run.left_out) == [
        (bob, "held", 3000), (cat, "no_bank_details", 3500)]
    assert f"advance {held}" in next(x.message for x in run.left_out if x.payee_id == bob)
    world.confirm(run.id)
    statuses = [session.execute(select(Advance.status).where(Advance.id == a)).scalar_one()
                for a in (alone, held, unbanked)]
    assert statuses == ["paid", "approved", "approved"]


def test_an_advance_in_a_draft_cannot_be_paid_another_way_and_waits_again_when_the_run_is_cancelled(world, session):
    ann = world.participant("Ann Smith")
    advance_id = approved_advance(session, world, ann)
    run = world.draft()

    error = refused(session, Conflict, advances.mark_advance_paid, session, advance_id, paid_by="cheque",
                    reference="CHQ 1", paid_on=TODAY, actor_user_id=world.finance_id, today=TODAY)
    assert "in draft payment run" in error.message and list(error.fields) == ["payment_run_id"]
    refused(session, Conflict, advances.reject_advance, session, advance_id, reason="Not needed",
            actor_user_id=world.finance_id, today=TODAY)

    runs.cancel_payment_run(session, run.id, actor_user_id=world.finance_id, reason="Wrong date")
    assert run_of(session, advance_id) is None
    again = world.draft()
    assert again.payees[0].advance_ids == (advance_id,)
    runs.remove_payee_from_run(session, again.id, payee_kind="participant", payee_id=ann,
                               actor_user_id=world.finance_id, reason="Asked to pay by cheque", hold=False)
    assert run_of(session, advance_id) is None
    assert refused(session, NothingToPay, world.confirm, again.id)


def test_a_payees_advance_counts_with_their_claims_against_the_second_approval_threshold(world, session):
    ann = world.participant("Ann Smith")
    world.claim(ann, 3000)
    approved_advance(session, world, ann, "30.00")  # £30 + £30 is over £50; each has one approver
    run = world.draft()

    error = refused(session, Conflict, world.confirm, run.id, second_approval_above_pence=5000)
    assert error.fields == {"second_approval": [f"participant:{ann}"]}


def test_asking_twice_with_the_same_key_asks_once(world, session):
    ann = world.participant("Ann Smith")
    asked = [advances.request_advance(session, participant_id=ann, project_code=PROJECT, amount="40.00",
                                      purpose="Train fare", settle_by=DUE, today=TODAY,
                                      actor_user_id=world.finance_id, request_key="page:abc")
             for _ in range(2)]
    assert asked[0].id == asked[1].id
    assert session.execute(select(func.count()).select_from(Advance)).scalar_one() == 1


@pytest.mark.postgres_only
def test_an_advance_approved_while_runs_are_drafted_and_confirmed_is_paid_exactly_once(session_factory, backend):
    with unit_of_work(session_factory) as session:
        world = PaymentsWorld(session)
        people = [world.participant(f"Person {n}") for n in range(6)]
        for pid in people:
            world.claim(pid, 1000 + pid)
        asker = make_finance_user(session, "asker@example.org").id
        target = advances.request_advance(session, participant_id=people[3], project_code=PROJECT, amount="40.00",
                                          purpose="Train fare", settle_by=DUE, today=TODAY, actor_user_id=asker).id
        finance = world.finance_id

    def act(i: int, ready):
        ready()
        with unit_of_work(session_factory) as session:
            if i == 0:
                return advances.approve_advance(session, target, actor_user_id=finance, actor_participant_id=None,
                                                second_approval_above_pence=10**9, today=TODAY)[0].status
            run = runs.draft_payment_run(session, cutoff_date=TODAY, payment_date=PAY_ON, actor_user_id=finance,
                                         rulebook=RULEBOOK, settings=DEFAULT_SETTINGS, today=TODAY)
            return runs.confirm_payment_run(session, run.id, actor_user_id=finance, bank_reference="REF-1").id

    results = all_at_once(3, act)
    assert results[0] == "approved", results
    for _ in range(2):  # whatever the race left, the next runs pay what is still approved, once
        with unit_of_work(session_factory) as session:
            try:
                run = runs.draft_payment_run(session, cutoff_date=TODAY, payment_date=PAY_ON, actor_user_id=finance,
                                             rulebook=RULEBOOK, settings=DEFAULT_SETTINGS, today=TODAY)
                runs.confirm_payment_run(session, run.id, actor_user_id=finance, bank_reference="REF-2")
            except NothingToPay:
                pass
    with unit_of_work(session_factory) as session:
        advance = session.get(Advance, target)
        assert advance.status == "paid"
        postings = session.execute(select(func.count()).select_from(Posting).join(Account, Account.id ==
                                   Posting.account_id).where(Account.code == f"advance:participant:{people[3]}")
                                   ).scalar_one()
        assert postings == 1
        assert load_entry(session, advance.paid_entry_id).kind == "payment"
