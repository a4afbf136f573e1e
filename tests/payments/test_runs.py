"""Payment runs at the service layer, on SQLite and PostgreSQL: drafting, the batch benefit check, the bank
files, confirming (once only) and cancelling.

Approved claims are made directly (a claim row and its accrual entry: ``tests.factories.approved_claim``, what
approval leaves behind), so that these tests do not depend on the claims workflow.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.books import queries
from ledger.books.posting import lock_period, reverse_entry
from ledger.claims.models import Claim
from ledger.db import unit_of_work
from ledger.errors import Conflict, NotFound, PeriodLocked, ValidationError
from ledger.events.models import Event
from ledger.organisation import BANK
from ledger.payments import bacs, runs
from ledger.payments.models import Payment, PaymentRun, PaymentRunItem
from ledger.people.services import declare_benefits
from policies.settings import DEFAULT_SETTINGS, PolicySettings
from tests.factories import CIPHER, PAY_ON, RULEBOOK, TODAY, PaymentsWorld, all_at_once

ORIGINATOR = bacs.Originator(service_user_number="123456", name="Demo Council", sort_code="200000",
                             account_number="12345678")
# Payment runs are drafted on TODAY, Thursday 5 June 2025, to be paid on PAY_ON; a Carer's Allowance week
# starts on Monday 9 June.


@pytest.fixture
def world(session) -> PaymentsWorld:
    return PaymentsWorld(session)


def owed(session: Session, kind: str, payee_id: int) -> int:
    return -queries.balance(session, f"owed:{kind}:{payee_id}")


def payee(summary: runs.PaymentRunSummary, kind: str, payee_id: int) -> runs.PayeeTotal:
    return next(p for p in summary.payees if (p.payee_kind, p.payee_id) == (kind, payee_id))


# ---------------------------------------------------------------- drafting


def test_a_run_totals_each_payee_and_pays_a_redirected_fee_to_the_group(world, session):
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    group = world.group("Voices Together")
    a1, a2, a3 = world.claim(ann, 4000), world.claim(ann, 1250, kind="expense"), world.claim(ann, 2500)
    b1 = world.claim(bob, 3000)
    g1 = world.claim(bob, 5000, group_id=group)
    later = world.claim(bob, 999, activity_id=world.activity_on(TODAY + dt.timedelta(days=1)))

    summary = world.draft()

    assert summary.status == "draft" and summary.reference == f"PR{summary.id:06d}"
    assert (summary.total_pence, summary.item_count, summary.payee_count) == (15750, 5, 3)
    a = payee(summary, "participant", ann)
    assert (a.amount_pence, a.fee_pence, a.expense_pence, a.item_count) == (7750, 6500, 1250, 3)
    assert a.claim_ids == tuple(sorted((a1, a2, a3)))
    assert (a.sort_code, a.account_number) == ("**-**-00", "****" + f"{10_000_000 + ann:08d}"[-4:])
    assert payee(summary, "participant", bob).amount_pence == 3000
    g = payee(summary, "group", group)
    assert (g.amount_pence, g.claim_ids, g.benefit_check.outcome) == (5000, (g1,), "not_applicable")
    assert g.reference == f"{summary.reference} G{group}"
    # Taken claims are marked with the run; the one dated after the cut-off waits.
    marked = dict(session.execute(select(Claim.id, Claim.payment_run_id)).all())
    assert {marked[c] for c in (a1, a2, a3, b1, g1)} == {summary.id} and marked[later] is None


def test_the_payment_date_skips_a_weekend_and_a_bank_holiday(world):
    ann = world.participant("Ann Smith")
    world.claim(ann, 4000)
    # Saturday 23 August 2025; Monday 25 August is the summer bank holiday.
    summary = world.draft(pay_on=dt.date(2025, 8, 23), today=dt.date(2025, 8, 1), cutoff=dt.date(2025, 8, 1))
    assert summary.requested_payment_date == dt.date(2025, 8, 23)
    assert summary.payment_date == dt.date(2025, 8, 26)
    assert summary.bacs_submit_by == dt.date(2025, 8, 21)


def test_the_batch_check_flags_a_carer_the_run_takes_over_the_weekly_limit(world, session):
    carer, other = world.participant("Cara Carer"), world.participant("Olly Other")
    declare_benefits(session, carer, benefits=[{"name": "carers_allowance"}], declared_on=TODAY, today=TODAY)
    declare_benefits(session, other, benefits=[{"name": "carers_allowance"}], declared_on=TODAY, today=TODAY)
    # £120 + £80 of fees is £200, over £196 a week (2025-26), in the week the run is received; each alone is not.
    world.claim(carer, 12000)
    world.claim(carer, 8000)
    world.claim(carer, 5000, kind="expense")  # expenses are not earnings
    world.claim(other, 9000)
    world.claim(other, 9000, kind="expense")

    summary = world.draft()

    flagged = payee(summary, "participant", carer).benefit_check
    assert (flagged.outcome, flagged.action) == ("breach", "override")
    [affected] = flagged.affected
    assert (affected.benefit, affected.effect, affected.limit_pence, affected.counted_pence) == (
        "carers_allowance", "lost", 19600, 20000)
    assert affected.period_start == dt.date(2025, 6, 9) and affected.period_end == dt.date(2025, 6, 15)
    assert "19600" not in flagged.explanation and "£196" in flagged.explanation
    assert payee(summary, "participant", other).benefit_check.outcome == "ok"
    assert summary.benefit_flags == 1 and summary.needs_override == (f"participant:{carer}",)


def test_a_run_needing_an_override_is_confirmed_only_with_a_reason(world, session):
    carer = world.participant("Cara Carer")
    declare_benefits(session, carer, benefits=[{"name": "carers_allowance"}], declared_on=TODAY, today=TODAY)
    world.claim(carer, 25000)
    summary = world.draft()
    with pytest.raises(ValidationError) as refused, session.begin_nested():
        world.confirm(summary.id)
    assert f"participant:{carer}" in refused.value.message and "override_reason" in refused.value.fields

    confirmed = world.confirm(summary.id, override_reason="Cara was told on 4 June and wants the fee now.")
    assert confirmed.status == "confirmed"
    assert confirmed.override.reason.startswith("Cara was told") and confirmed.override.user_id == world.finance_id


def test_when_the_organisation_blocks_breaches_the_fees_wait_and_the_expenses_are_paid(world, session):
    carer = world.participant("Cara Carer")
    declare_benefits(session, carer, benefits=[{"name": "carers_allowance"}], declared_on=TODAY, today=TODAY)
    fee = world.claim(carer, 25000)
    expense = world.claim(carer, 1800, kind="expense")

    summary = world.draft(settings=PolicySettings(on_breach="block"))

    assert payee(summary, "participant", carer).amount_pence == 1800
    [held] = summary.left_out
    assert (held.reason, held.claim_ids, held.amount_pence) == ("benefit_block", (fee,), 25000)
    assert session.get(Claim, fee).payment_run_id is None
    assert session.get(Claim, expense).payment_run_id == summary.id


def test_payees_without_bank_details_are_left_out_and_listed(world, session):
    ann, nobank = world.participant("Ann Smith"), world.participant("Ned Nobank", bank=False)
    world.claim(ann, 4000)
    waiting = world.claim(nobank, 3000)

    summary = world.draft()

    assert [p.payee_id for p in summary.payees] == [ann]
    [left] = summary.left_out
    assert (left.payee_id, left.reason, left.amount_pence, left.claim_ids) == (nobank, "no_bank_details", 3000,
                                                                               (waiting,))
    assert "Ned Nobank has no bank details" in left.message
    assert session.get(Claim, waiting).payment_run_id is None


def test_a_draft_with_nothing_to_pay_is_refused_and_saves_nothing(world, session):
    with pytest.raises(runs.NothingToPay, match="nothing to pay"):
        world.draft()
    nobank = world.participant("Ned Nobank", bank=False)
    world.claim(nobank, 3000)
    with pytest.raises(runs.NothingToPay, match="Ned Nobank has no bank details"):
        world.draft()
    assert session.execute(select(func.count()).select_from(PaymentRun)).scalar_one() == 0


def test_a_payment_date_in_a_locked_month_is_refused(world):
    world.claim(world.participant("Ann Smith"), 4000)
    lock_period(world.session, dt.date(2025, 6, 1))
    with pytest.raises(PeriodLocked, match=r"June 2025 is locked: .* The books are open from July 2025"):
        world.draft()


@pytest.mark.parametrize(("pay_on", "field"), [(TODAY - dt.timedelta(days=1), "payment_date"),
                                               (TODAY + dt.timedelta(days=400), "payment_date"),
                                               ("2025-06-12", "payment_date")])
def test_absurd_payment_dates_are_refused(world, pay_on, field):
    world.claim(world.participant("Ann Smith"), 4000)
    with pytest.raises(ValidationError) as refused:
        world.draft(pay_on=pay_on)
    assert field in refused.value.fields


# ---------------------------------------------------------------- bank files


def test_the_bacs_file_reads_back_to_the_run_totals(world):
    ann, bob = world.participant("Siân Öztürk"), world.participant("Bob O'Brien")
    group = world.group("Voices Together")
    world.claim(ann, 4000)
    world.claim(ann, 1234, kind="expense")
    world.claim(bob, 3000, group_id=group)
    summary = world.draft()

    parsed = bacs.parse_standard18(runs.bacs_file(world.session, summary.id, ORIGINATOR, CIPHER, created_on=TODAY))

    assert parsed.total_pence == parsed.contra_pence == summary.total_pence == 8234
    assert parsed.credit_count == summary.payee_count == 2
    assert parsed.payment_date == summary.payment_date
    by_reference = {p.reference: p for p in parsed.payments}
    assert by_reference[f"{summary.reference} P{ann}"].amount_pence == 5234
    assert by_reference[f"{summary.reference} P{ann}"].account_name == "SIAN OZTURK"
    assert by_reference[f"{summary.reference} G{group}"].account_number == "87654321"


def test_the_bank_csv_has_one_row_per_payee(world):
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    world.claim(ann, 4000)
    world.claim(ann, 50, kind="expense")
    world.claim(bob, 3000)
    summary = world.draft()

    lines = runs.bank_csv(world.session, summary.id, CIPHER).splitlines()

    assert lines[0] == "Payee name,Sort code,Account number,Amount,Reference,Payment date"
    assert lines[1:] == [
        f"ANN SMITH,200000,{10_000_000 + ann:08d},40.50,{summary.reference} P{ann},2025-06-12",
        f"BOB JONES,200000,{10_000_000 + bob:08d},30.00,{summary.reference} P{bob},2025-06-12",
    ]


def test_no_bank_file_once_a_run_is_confirmed(world):
    world.claim(world.participant("Ann Smith"), 4000)
    summary = world.draft()
    world.confirm(summary.id)
    with pytest.raises(Conflict, match="confirmed"):
        runs.bank_csv(world.session, summary.id, CIPHER)


# ---------------------------------------------------------------- confirming


def test_confirming_pays_each_payee_once_on_the_payment_date(world, session):
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    group = world.group("Voices Together")
    claims = [world.claim(ann, 4000), world.claim(ann, 1250, kind="expense"), world.claim(bob, 3000),
              world.claim(bob, 5000, group_id=group)]
    world.claim(bob, 700, activity_id=world.activity_on(TODAY + dt.timedelta(days=1)))  # after the cut-off
    summary = world.draft()

    confirmed = world.confirm(summary.id, bank_reference="BANK-REF-42")

    assert (confirmed.status, confirmed.bank_reference, confirmed.confirmed_by_user_id) == (
        "confirmed", "BANK-REF-42", world.finance_id)
    assert (owed(session, "participant", ann), owed(session, "participant", bob), owed(session, "group", group)) == (
        0, 700, 0)
    assert queries.balance(session, BANK) == -13250
    assert queries.balance(session, BANK, as_of=PAY_ON - dt.timedelta(days=1)) == 0
    payments = session.execute(select(Payment).order_by(Payment.payee_kind, Payment.payee_id)).scalars().all()
    assert [(p.payee_kind, p.payee_id, p.amount_pence) for p in payments] == [
        ("group", group, 5000), ("participant", ann, 5250), ("participant", bob, 3000)]
    assert all(p.entry_id == payee(confirmed, p.payee_kind, p.payee_id).entry_id for p in payments)
    entry = queries.statement(session, BANK, PAY_ON, PAY_ON).lines[0]
    assert entry.effective_date == PAY_ON and entry.kind == "payment"
    for claim_id in claims:
        claim = session.get(Claim, claim_id)
        assert (claim.status, claim.paid_on) == ("paid", PAY_ON)
    events = session.execute(select(Event.claim_id, Event.to_status).where(Event.subject_type == "claim")).all()
    assert sorted(events) == sorted((c, "paid") for c in claims)
    assert queries.trial_balance(session).totals == {"GBP": 0, "TIME": 0}


def test_confirming_twice_pays_once_and_says_who_confirmed(world, session):
    world.claim(world.participant("Ann Smith"), 4000)
    summary = world.draft()
    world.confirm(summary.id)
    with pytest.raises(Conflict, match=r"already confirmed by Fran at .* \(bank reference BACS-ACCEPTED-1\)"):
        world.confirm(summary.id, bank_reference="AGAIN")
    assert session.execute(select(func.count()).select_from(Payment)).scalar_one() == 1
    assert queries.balance(session, BANK) == -4000


def test_a_confirmed_or_cancelled_run_cannot_be_cancelled_or_confirmed_again(world):
    ann = world.participant("Ann Smith")
    world.claim(ann, 4000)
    first = world.draft()
    world.confirm(first.id)
    with pytest.raises(Conflict, match="cannot be cancelled"):
        runs.cancel_payment_run(world.session, first.id, actor_user_id=world.finance_id, reason="oops")

    world.claim(ann, 3000)
    second = world.draft()
    runs.cancel_payment_run(world.session, second.id, actor_user_id=world.finance_id, reason="Wrong date")
    with pytest.raises(Conflict, match="was cancelled by Fran"):
        world.confirm(second.id)
    with pytest.raises(Conflict, match="was cancelled"):
        runs.cancel_payment_run(world.session, second.id, actor_user_id=world.finance_id, reason="again")


def test_cancelling_releases_the_claims_for_a_new_run(world, session):
    ann = world.participant("Ann Smith")
    claim = world.claim(ann, 4000)
    first = world.draft()
    with pytest.raises(runs.NothingToPay):
        world.draft()  # the claim is in the first run

    cancelled = runs.cancel_payment_run(session, first.id, actor_user_id=world.finance_id, reason="Wrong date")
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Wrong date")
    assert session.get(Claim, claim).payment_run_id is None

    second = world.draft()
    assert payee(second, "participant", ann).claim_ids == (claim,)
    world.confirm(second.id)
    assert owed(session, "participant", ann) == 0


def test_a_run_is_not_paid_beyond_what_the_books_say_is_owed(world, session):
    ann = world.participant("Ann Smith")
    claim = world.claim(ann, 4000)
    summary = world.draft()
    reverse_entry(session, session.get(Claim, claim).accrual_entry_id, effective_date=TODAY)
    with pytest.raises(Conflict, match="pays more than the books say is owed"):
        world.confirm(summary.id)


def test_removing_a_payee_from_a_draft_releases_their_claims(world, session):
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    world.claim(ann, 4000)
    bobs = world.claim(bob, 3000)
    summary = world.draft()

    changed = runs.remove_payee_from_run(session, summary.id, payee_kind="participant", payee_id=bob,
                                         actor_user_id=world.finance_id, reason="Bank details being checked")

    assert (changed.total_pence, changed.item_count, changed.payee_count) == (4000, 1, 1)
    assert changed.left_out[0].reason == "removed" and "Bank details being checked" in changed.left_out[0].message
    assert session.get(Claim, bobs).payment_run_id is None
    with pytest.raises(NotFound):
        runs.remove_payee_from_run(session, summary.id, payee_kind="participant", payee_id=bob,
                                   actor_user_id=world.finance_id, reason="again")


def test_confirming_needs_a_bank_reference(world):
    world.claim(world.participant("Ann Smith"), 4000)
    summary = world.draft()
    with pytest.raises(ValidationError):
        world.confirm(summary.id, bank_reference="  ")
    with pytest.raises(NotFound):
        world.confirm(summary.id + 1)


def test_a_confirmation_into_a_month_locked_since_drafting_is_refused(world, session):
    world.claim(world.participant("Ann Smith"), 4000)
    summary = world.draft()
    lock_period(session, PAY_ON)
    with pytest.raises(PeriodLocked):
        world.confirm(summary.id)


# ---------------------------------------------------------------- concurrency (PostgreSQL)


@pytest.mark.postgres_only
def test_two_finance_users_confirming_at_once_pay_once(session_factory, backend):
    with unit_of_work(session_factory) as session:
        world = PaymentsWorld(session)
        for n in range(20):
            world.claim(world.participant(f"Person {n}"), 1000 + n)
        run_id = world.draft().id
        finance = world.finance_id

    def confirm(i: int, ready):
        ready()
        with unit_of_work(session_factory) as session:
            return runs.confirm_payment_run(session, run_id, actor_user_id=finance, bank_reference=f"REF-{i}").status

    results = all_at_once(2, confirm)

    assert sorted(type(r).__name__ for r in results) == ["Conflict", "str"], results
    with unit_of_work(session_factory) as session:
        assert session.execute(select(func.count()).select_from(Payment)).scalar_one() == 20
        assert queries.balance(session, BANK) == -sum(1000 + n for n in range(20))
        assert queries.trial_balance(session).totals["GBP"] == 0


@pytest.mark.postgres_only
def test_two_drafts_at_once_never_share_a_claim(session_factory, backend):
    with unit_of_work(session_factory) as session:
        world = PaymentsWorld(session)
        for n in range(60):
            pid = world.participant(f"Person {n}")
            world.claim(pid, 1000)
            world.claim(pid, 500, kind="expense")
        finance = world.finance_id

    def draft(i: int, ready):
        ready()
        with unit_of_work(session_factory) as session:
            return runs.draft_payment_run(session, cutoff_date=TODAY, payment_date=PAY_ON, actor_user_id=finance,
                                          rulebook=RULEBOOK, settings=DEFAULT_SETTINGS, today=TODAY).id

    results = all_at_once(3, draft)

    assert all(isinstance(r, int | runs.NothingToPay) for r in results), results
    with unit_of_work(session_factory) as session:
        items = session.execute(select(PaymentRunItem.claim_id, PaymentRunItem.run_id)).all()
        assert len(items) == len({claim_id for claim_id, _ in items}) == 120
        marked = dict(session.execute(select(Claim.id, Claim.payment_run_id)).all())
        assert all(marked[claim_id] == run_id for claim_id, run_id in items)
