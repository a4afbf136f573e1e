"""The books are the one record of what a person received: the benefit check counts every payment in them.

Siân gets Carer's Allowance (2025-26 weekly limit £196). A £150 fee reaches her on Monday 9 June 2025,
then a £60 fee is approved on Thursday 5 June for the earliest payment date, also 9 June: together £210 in
the week of 9 June, a lost week. The check must see the first £150 however it was paid: by a payment run,
or by finance with a manual journal entry.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books.kinds import PostingKind
from ledger.books.posting import post_entry
from ledger.books.records import PostingLine
from ledger.claims import services
from ledger.claims.received import received_by
from ledger.errors import ValidationError
from ledger.organisation import BANK, open_organisation_accounts
from ledger.payments import runs
from ledger.people.accounts import participant_accounts
from ledger.people.services import set_bank_details
from ledger.projects.accounts import project_accounts
from ledger.projects.services import record_attendance
from tests.factories import CIPHER, PROJECT, RULEBOOK, RULES, TODAY, approve, claims_world, make_activity, submitted_fee

WEEK_PAID = dt.date(2025, 6, 9)  # Monday: the earliest payment date for approvals on TODAY
LATER_IN_THE_WEEK = dt.date(2025, 6, 11)


@pytest.fixture
def world(session):
    built = claims_world(session)
    set_bank_details(session, CIPHER, built.carer, sort_code="20-00-00", account_number="12345678",
                     account_name="S Evans")
    return built


@pytest.fixture
def sixty(session, world) -> int:
    """A £60 reading panel the same week, which Siân attended."""
    activity = make_activity(session, title="Reading panel", flat_fee_pence=6_000).id
    record_attendance(session, activity, world.carer, today=TODAY)
    return activity


def _paid_by_a_run(session, world) -> None:
    approve(session, world, submitted_fee(session, world, world.carer, world.flat_fee_activity_id))
    run = runs.draft_payment_run(session, cutoff_date=TODAY, payment_date=WEEK_PAID, actor_user_id=world.finance,
                                 rulebook=RULEBOOK, settings=RULES.policy, today=TODAY)
    runs.confirm_payment_run(session, run.id, actor_user_id=world.finance2, bank_reference="BACS-1")


def _paid_by_hand(session, world) -> None:
    """Finance paid £150 outside any run and recorded it: the fee, owed and paid, in one entry."""
    open_organisation_accounts(session)
    owed = participant_accounts(world.carer).owed
    post_entry(session, effective_date=WEEK_PAID, description="Fee for the film shoot, paid by cheque",
               idempotency_key="manual:cheque-1", actor_user_id=world.finance, postings=[
                   PostingLine(project_accounts(PROJECT).fees, 15_000, "GBP"),
                   PostingLine(owed, -15_000, "GBP", kind=PostingKind.FEE),
                   PostingLine(owed, 15_000, "GBP", kind=PostingKind.FEE),
                   PostingLine(BANK, -15_000, "GBP"),
               ])


PAID = {"by a payment run": _paid_by_a_run, "by a manual journal entry": _paid_by_hand}


@pytest.mark.parametrize("how", PAID)
def test_the_books_say_what_she_received(session, world, how):
    PAID[how](session, world)

    received = received_by(session, world.carer, WEEK_PAID, WEEK_PAID)
    assert [(r.on, r.kind, r.amount) for r in received] == [(WEEK_PAID, "fee", 15_000)]


@pytest.mark.parametrize("how", PAID)
def test_a_second_fee_in_the_same_week_is_a_breach_at_approval(session, world, sixty, how):
    PAID[how](session, world)
    second = submitted_fee(session, world, world.carer, sixty)

    preview = services.preview_approval(session, second, rules=RULES, today=TODAY)

    assert preview.expected_payment_date == WEEK_PAID
    assert preview.policy.outcome == "breach" and preview.required_action == "override"
    carers = preview.policy.effects[0]
    assert (carers.benefit, carers.effect, carers.counted_pence) == ("carers_allowance", "lost", 21_000)


@pytest.mark.parametrize("how", PAID)
def test_the_next_run_in_the_same_week_flags_it_too(session, world, sixty, how):
    PAID[how](session, world)
    second = submitted_fee(session, world, world.carer, sixty)
    approve(session, world, second, override_reason="Siân was told and chose to be paid in full.")

    run = runs.draft_payment_run(session, cutoff_date=TODAY, payment_date=LATER_IN_THE_WEEK,
                                 actor_user_id=world.finance, rulebook=RULEBOOK, settings=RULES.policy, today=TODAY)

    (payee,) = [p for p in run.payees if p.payee_id == world.carer]
    assert payee.amount_pence == 6_000
    assert payee.benefit_check.outcome == "breach" and payee.benefit_check.action == "override"
    assert run.needs_override == (f"participant:{world.carer}",)


def test_an_unspent_advance_is_not_earnings_until_what_is_left_is_kept(session, world):
    advance = services.pay_advance(session, participant_id=world.carer, project_code=PROJECT, amount="30.00",
                                   paid_on=dt.date(2025, 6, 2), idempotency_key="taxi-fares",
                                   actor_user_id=world.finance)
    assert [(r.kind, r.amount) for r in received_by(session, world.carer, dt.date(2025, 6, 1), LATER_IN_THE_WEEK)] \
        == [("advance", 3000)]
    assert services.preview_approval(session, submitted_fee(session, world, world.carer, world.flat_fee_activity_id),
                                     rules=RULES, today=TODAY).policy.outcome == "ok"  # the advance is not earnings

    with pytest.raises(ValidationError) as refused:
        services.settle_advance_surplus(session, advance.id, how="kept", on=WEEK_PAID, actor_user_id=world.finance)
    assert "reason" in refused.value.fields
    kept = services.settle_advance_surplus(session, advance.id, how="kept", on=WEEK_PAID, actor_user_id=world.finance,
                                           reason="The event was cancelled on the day; fares were not refundable.")

    assert kept.status == "settled"
    received = received_by(session, world.carer, WEEK_PAID, WEEK_PAID)
    assert [(r.kind, r.amount) for r in received] == [("advance_surplus_kept", 3000)]
    # Kept, the £30 is earnings in the week written off: with a £50.40 fee due that week, £80.40 is counted.
    carers = services.preview_approval(session, submitted_fee(session, world, world.carer, world.activity_id),
                                       rules=RULES, today=TODAY).policy.effects[0]
    assert carers.counted_pence == 3000 + 5040
