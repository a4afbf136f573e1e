"""Controls at confirmation, on SQLite and PostgreSQL: the second-approval threshold per payee per run, and a
run past its Bacs submission day."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.claims.models import Claim, ClaimApproval
from ledger.errors import Conflict, ValidationError
from ledger.events.models import Event
from ledger.payments import bacs, calendar, runs
from ledger.payments.models import PaymentRun
from tests.factories import CIPHER, PAY_ON, TODAY, PaymentsWorld, make_finance_user

THRESHOLD = 5000


@pytest.fixture
def world(session) -> PaymentsWorld:
    return PaymentsWorld(session)


def refused(session, error, call, *args, **kwargs):
    """The error the call raises, rolled back as a route rolls back a refused request."""
    savepoint = session.begin_nested()
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    savepoint.rollback()
    return caught.value


def approve_by(session, claim_id: int, *user_ids: int) -> None:
    for user_id in user_ids:
        session.add(ClaimApproval(claim_id=claim_id, user_id=user_id, approved_at=dt.datetime.now(dt.UTC)))
    session.flush()


def test_a_split_claim_over_the_threshold_needs_a_second_finance_user_to_confirm(world, session):
    ann = world.participant("Ann Smith")
    parts = [world.claim(ann, 3000), world.claim(ann, 3000)]  # each under £50, £60 together
    for claim in parts:
        approve_by(session, claim, world.finance_id)
    run = world.draft()

    error = refused(session, Conflict, world.confirm, run.id, second_approval_above_pence=THRESHOLD)
    assert error.fields == {"second_approval": [f"participant:{ann}"]}
    assert "A second finance user" in error.message

    second = make_finance_user(session, "second@example.org").id
    paid = runs.confirm_payment_run(session, run.id, actor_user_id=second, bank_reference="BACS-2",
                                    second_approval_above_pence=THRESHOLD)
    assert paid.status == "confirmed"
    event = session.execute(select(Event).where(Event.subject_type == "payment_run",
                                                Event.action == "confirm")).scalar_one()
    assert event.details["second_approval"] == [f"participant:{ann}"]


def test_a_payee_whose_claims_were_all_approved_twice_or_under_the_threshold_needs_no_one_else(world, session):
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    other = make_finance_user(session, "other@example.org").id
    big = world.claim(ann, 9000)
    approve_by(session, big, world.finance_id, other)
    world.claim(bob, 4999)
    run = world.draft()
    assert world.confirm(run.id, second_approval_above_pence=THRESHOLD).status == "confirmed"


def test_a_run_past_its_bacs_submission_day_needs_a_new_payment_date(world, session):
    world.claim(world.participant("Ann Smith"), 4000)
    run = world.draft()
    late = calendar.bacs_input_day(PAY_ON) + dt.timedelta(days=1)

    error = refused(session, ValidationError, world.confirm, run.id, today=late)
    assert list(error.fields) == ["new_payment_date"] and "has passed" in error.message
    saturday = next(late + dt.timedelta(days=n) for n in range(7, 14) if (late + dt.timedelta(days=n)).weekday() == 5)
    for bad in (saturday, late, "tomorrow"):
        error = refused(session, ValidationError, world.confirm, run.id, today=late, new_payment_date=bad)
        assert list(error.fields) == ["new_payment_date"]
    assert session.get(PaymentRun, run.id).status == "draft"

    new_date = calendar.earliest_payment_date(late)
    paid = world.confirm(run.id, today=late, new_payment_date=new_date)

    assert (paid.status, paid.payment_date) == ("confirmed", new_date)
    assert {c.paid_on for c in session.execute(select(Claim)).scalars()} == {new_date}
    moved = session.execute(select(Event).where(Event.action == "reschedule")).scalar_one()
    assert moved.details == {"from": PAY_ON.isoformat(), "to": new_date.isoformat()}


def test_a_new_payment_date_is_refused_when_the_run_is_on_time(world, session):
    world.claim(world.participant("Ann Smith"), 4000)
    run = world.draft()
    error = refused(session, ValidationError, world.confirm, run.id, today=TODAY,
                    new_payment_date=PAY_ON + dt.timedelta(days=7))
    assert list(error.fields) == ["new_payment_date"]
    assert world.confirm(run.id, today=TODAY).payment_date == PAY_ON


def test_a_late_run_is_moved_to_its_new_date_before_its_bacs_file_is_made_and_the_file_carries_it(world, session):
    world.claim(world.participant("Ann Smith"), 4000)
    run = world.draft()
    late = calendar.bacs_input_day(PAY_ON) + dt.timedelta(days=1)
    originator = bacs.Originator(service_user_number="123456", name="Demo Council", sort_code="200000",
                                 account_number="12345678")

    error = refused(session, ValidationError, runs.bacs_file, session, run.id, originator, CIPHER, created_on=late)
    assert list(error.fields) == ["new_payment_date"] and "Choose the new payment date" in error.message
    refused(session, ValidationError, runs.reschedule_payment_run, session, run.id, new_payment_date=None,
            today=late, actor_user_id=world.finance_id)

    new_date = calendar.earliest_payment_date(late)
    moved = runs.reschedule_payment_run(session, run.id, new_payment_date=new_date, today=late,
                                        actor_user_id=world.finance_id)
    assert (moved.status, moved.payment_date) == ("draft", new_date)
    file = bacs.parse_standard18(runs.bacs_file(session, run.id, originator, CIPHER, created_on=late))
    assert file.payment_date == new_date
    assert world.confirm(run.id, today=late).payment_date == new_date  # no second date needed
    event = session.execute(select(Event).where(Event.action == "reschedule")).scalar_one()
    assert (event.details, event.actor_user_id) == ({"from": PAY_ON.isoformat(), "to": new_date.isoformat()},
                                                    world.finance_id)
