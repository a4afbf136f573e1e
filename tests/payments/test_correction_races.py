"""A hold, a returned payment and a reversal, each racing a payment run's draft and its confirmation (PostgreSQL).

Whichever commits first, a claim is either in the run and paid once, or out of it: never paid twice, never
held and paid, never sent to bank details a payment came back from, never paid over what the person owes
back. Each race runs both ways round (``first``); a short sleep lets one start first, and the locks decide
what the other then sees. After each race finance tries to confirm the run, as they would.
(A hold racing a draft: ``tests/payments/test_holds.py``; a return and a reversal racing a *later* run's
confirmation: ``test_returns.py`` and ``tests/claims/test_corrections.py``.)
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.books import queries
from ledger.claims import corrections
from ledger.claims.models import Claim
from ledger.db import unit_of_work
from ledger.errors import Conflict
from ledger.payments import hold_actions, holds, returns, runs
from ledger.payments.models import Payment, PaymentRunItem
from tests.factories import DEFAULT_SETTINGS, PAY_ON, RULEBOOK, TODAY, PaymentsWorld, all_at_once

pytestmark = pytest.mark.postgres_only
NEXT_RUN = PAY_ON + dt.timedelta(days=7)
BACK_ON = PAY_ON + dt.timedelta(days=2)
LATER = PAY_ON + dt.timedelta(days=3)
ORDERS = ["correction first", "run first"]


def _race(first: str, correction, run_step) -> list:
    """The correction (thread 0) and the run's step (thread 1) at once, one given a head start."""
    def work(i: int, ready):
        ready()
        if (i == 0) != (first == "correction first"):
            time.sleep(0.3)
        return correction() if i == 0 else run_step()
    return all_at_once(2, work)


def _try_to_confirm(session_factory, run_id: int, finance: int) -> str | Conflict:
    try:
        with unit_of_work(session_factory) as session:
            return runs.confirm_payment_run(session, run_id, actor_user_id=finance, bank_reference="BACS-2").status
    except Conflict as refused:
        return refused


def _times_paid(session, claim_id: int) -> int:
    """In how many confirmed runs the claim was paid (a run pays its items when its payment entry is posted)."""
    return session.execute(
        select(func.count()).select_from(PaymentRunItem)
        .join(Payment, (Payment.run_id == PaymentRunItem.run_id) & (Payment.payee_id == PaymentRunItem.payee_id)
              & (Payment.payee_kind == PaymentRunItem.payee_kind))
        .where(PaymentRunItem.claim_id == claim_id)).scalar_one()


def _draft(session_factory, finance: int, pay_on: dt.date) -> int:
    with unit_of_work(session_factory) as session:
        return runs.draft_payment_run(session, cutoff_date=TODAY, payment_date=pay_on, actor_user_id=finance,
                                      rulebook=RULEBOOK, settings=DEFAULT_SETTINGS, today=TODAY).id


@pytest.mark.parametrize("first", ORDERS)
def test_a_hold_racing_a_confirmation_is_either_too_late_or_keeps_the_claim_unpaid(session_factory, backend, first):
    with unit_of_work(session_factory) as session:
        world = PaymentsWorld(session)
        target = world.claim(world.participant("Ann Smith"), 4000)
        world.claim(world.participant("Bob Jones"), 3000)
        run_id, finance = world.draft().id, world.finance_id

    def hold():
        with unit_of_work(session_factory) as session:
            return hold_actions.hold_claim(session, target, actor_user_id=finance, reason="Fraud alert").status

    def confirm():
        with unit_of_work(session_factory) as session:
            return runs.confirm_payment_run(session, run_id, actor_user_id=finance, bank_reference="BACS-1").status

    held, confirmed = _race(first, hold, confirm)
    assert (held == "held") == (first == "correction first"), (held, confirmed)
    with unit_of_work(session_factory) as session:
        claim = session.get(Claim, target)
        in_force = holds.list_holds(session, status="held", claim_id=target)
        assert not (in_force and claim.status == "paid")  # never held and paid
        assert _times_paid(session, target) == (1 if claim.status == "paid" else 0)
        if held == "held":  # the hold won: the claim is out of the draft, which pays the others (or is refused)
            assert claim.status == "approved" and claim.payment_run_id is None, confirmed
            assert confirmed == "confirmed" or isinstance(confirmed, Conflict), confirmed
        else:  # the confirmation won: too late to hold what is paid
            assert isinstance(held, Conflict) and "already paid" in held.message, held
            assert claim.status == "paid"
        assert queries.trial_balance(session).totals["GBP"] == 0


@pytest.mark.parametrize("first", ORDERS)
def test_a_return_racing_a_draft_never_sends_money_to_the_details_it_came_back_from(session_factory, backend,
                                                                                     first):
    with unit_of_work(session_factory) as session:
        world = PaymentsWorld(session)
        ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
        paid = world.claim(ann, 4000)
        world.confirm(world.draft().id)
        later, bobs = world.claim(ann, 2500), world.claim(bob, 3000)
        finance = world.finance_id
    paid_run = _paid_run_of(session_factory, paid)

    def give_back():
        with unit_of_work(session_factory) as session:
            return returns.record_payment_return(session, paid_run, returns.ReturnRequest(
                payee_kind="participant", payee_id=ann, amount_pence=4000, returned_on=BACK_ON,
                reason="account_closed", bank_reference="RTN-1", note=None), actor_user_id=finance, today=LATER).id

    recorded, drafted = _race(first, give_back, lambda: _draft(session_factory, finance, NEXT_RUN))
    assert isinstance(recorded, int) and isinstance(drafted, int), (recorded, drafted)
    confirmed = _try_to_confirm(session_factory, drafted, finance)
    assert (confirmed == "confirmed") == (first == "correction first"), confirmed
    with unit_of_work(session_factory) as session:
        anns = session.execute(select(func.count()).select_from(Payment).where(
            Payment.run_id == drafted, Payment.payee_id == ann, Payment.payee_kind == "participant")).scalar_one()
        assert anns == 0  # never paid to the details the money came back from
        assert session.get(Claim, later).status == "approved" and _times_paid(session, later) == 0
        assert session.get(Claim, paid).status == "approved"  # put back as owed, paid once (and returned)
        if confirmed == "confirmed":  # the draft left Ann out: Bob is paid
            assert session.get(Claim, bobs).status == "paid" and _times_paid(session, bobs) == 1
        else:  # drafted before the return: the run is refused whole, nobody paid twice later
            assert isinstance(confirmed, Conflict) and _times_paid(session, bobs) == 0
        assert -queries.balance(session, f"owed:participant:{ann}") == 4000 + 2500
        assert queries.trial_balance(session).totals["GBP"] == 0


@pytest.mark.parametrize("first", ORDERS)
def test_a_reversal_racing_a_draft_never_pays_over_what_is_owed_back(session_factory, backend, first):
    with unit_of_work(session_factory) as session:
        world = PaymentsWorld(session)
        ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
        paid = world.claim(ann, 4000)
        world.confirm(world.draft().id)
        later, bobs = world.claim(ann, 6000), world.claim(bob, 3000)
        finance = world.finance_id

    def reverse():
        with unit_of_work(session_factory) as session:
            return corrections.reverse_paid_claim(session, paid, reason="Paid in error", actor_user_id=finance,
                                                  today=LATER).owed_back_pence

    owed_back, drafted = _race(first, reverse, lambda: _draft(session_factory, finance, NEXT_RUN))
    assert owed_back == 4000 and isinstance(drafted, int), (owed_back, drafted)
    confirmed = _try_to_confirm(session_factory, drafted, finance)
    assert (confirmed == "confirmed") == (first == "correction first"), confirmed
    with unit_of_work(session_factory) as session:
        assert _times_paid(session, paid) == 1  # paid once; reversal is not a second payment
        assert session.get(Claim, later).status == "approved" and _times_paid(session, later) == 0  # no netting agreed
        if confirmed == "confirmed":
            assert _times_paid(session, bobs) == 1  # the draft left Ann out (she owes money back)
        else:
            assert isinstance(confirmed, Conflict) and _times_paid(session, bobs) == 0
        assert queries.balance(session, f"owed:participant:{ann}") == 4000 - 6000  # her debt, less her claim
        assert queries.trial_balance(session).totals["GBP"] == 0


def _paid_run_of(session_factory, claim_id: int) -> int:
    with unit_of_work(session_factory) as session:
        return session.execute(select(PaymentRunItem.run_id).where(PaymentRunItem.claim_id == claim_id)).scalar_one()
