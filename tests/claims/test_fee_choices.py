"""A fee taken in part, in the services: the rest paid later waits for its day in payment runs; the group's part
is paid to the group; rejecting or cancelling the fee takes its parts with it."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books.posting import load_entry
from ledger.books.queries import balance
from ledger.claims import services as claims
from ledger.claims.models import Claim
from ledger.payments import runs
from ledger.people import services as people
from tests.factories import CIPHER, RULEBOOK, RULES, TODAY, approve, draft_fee

LATER = dt.date(2025, 6, 23)


def chosen(session, world, claim_id, **choice):
    return claims.record_choice(session, claim_id, actor_user_id=world.carer_user, rules=RULES, today=TODAY,
                                **choice)


def submitted_split(session, world, **choice) -> int:
    claim_id = draft_fee(session, world, world.carer)
    chosen(session, world, claim_id, choice="take_less", amount="20.00", **choice)
    claims.submit_claim(session, claim_id, actor_user_id=world.manager)
    return claim_id


def with_bank_details(session, world):
    people.set_bank_details(session, CIPHER, world.carer, sort_code="20-00-00", account_number="12345678",
                            account_name="Siân Evans")
    people.set_group_bank_details(session, CIPHER, world.group_id, sort_code="40-00-00", account_number="87654321",
                                  account_name="Voices Together")


def draft_run(session, world, pay_on):
    return runs.draft_payment_run(session, cutoff_date=TODAY, payment_date=pay_on, actor_user_id=world.finance,
                                  rulebook=RULEBOOK, settings=RULES.policy, today=TODAY)


def test_the_rest_paid_later_is_not_paid_by_a_run_before_its_day_and_is_paid_after(session, world):
    with_bank_details(session, world)
    claim_id = submitted_split(session, world, rest="later", later_on=LATER)
    approve(session, world, claim_id)
    (later_id,) = claims.get_claim(session, claim_id).part_claim_ids
    approve(session, world, later_id, by=world.finance2)

    early = draft_run(session, world, dt.date(2025, 6, 12))
    claims_in_early = {c for p in early.payees for c in p.claim_ids}
    runs.cancel_payment_run(session, early.id, actor_user_id=world.finance, reason="Testing the dates")
    late = draft_run(session, world, LATER)
    claims_in_late = {c for p in late.payees for c in p.claim_ids}

    assert claims_in_early == {claim_id}
    assert claims_in_late == {claim_id, later_id}
    runs.confirm_payment_run(session, late.id, actor_user_id=world.finance, bank_reference="BACS-1")
    assert session.get(Claim, later_id).status == "paid" and session.get(Claim, later_id).paid_on == LATER


def test_the_group_is_paid_its_part_by_the_run(session, world):
    with_bank_details(session, world)
    claim_id = submitted_split(session, world, rest="redirect", group_id=world.group_id)
    approve(session, world, claim_id)

    run = draft_run(session, world, dt.date(2025, 6, 12))

    paid = {(p.payee_kind, p.payee_id): (p.amount_pence, p.claim_ids) for p in run.payees}
    (part_id,) = claims.get_claim(session, claim_id).part_claim_ids
    assert paid == {("participant", world.carer): (2000, (claim_id,)), ("group", world.group_id): (3040, (part_id,))}
    runs.confirm_payment_run(session, run.id, actor_user_id=world.finance, bank_reference="BACS-1")
    assert balance(session, f"owed:group:{world.group_id}") == 0


@pytest.mark.parametrize("how", ["reject", "cancel"])
def test_rejecting_or_cancelling_the_fee_takes_its_parts_with_it(session, world, how):
    claim_id = submitted_split(session, world, rest="time_credits")
    approve(session, world, claim_id)
    if how == "reject":
        claims.reject_claim(session, claim_id, reason="Not at the meeting", actor_user_id=world.finance,
                            today=TODAY, rules=RULES)
    else:
        claims.cancel_claim(session, claim_id, actor_user_id=world.finance, today=TODAY, rules=RULES)

    assert balance(session, f"time:participant:{world.carer}") == 0
    assert balance(session, f"owed:participant:{world.carer}") == 0


def test_the_groups_part_goes_with_the_fee_and_never_alone(session, world):
    claim_id = submitted_split(session, world, rest="redirect", group_id=world.group_id)
    approve(session, world, claim_id)
    (part_id,) = claims.get_claim(session, claim_id).part_claim_ids

    with pytest.raises(claims.Conflict):
        claims.cancel_claim(session, part_id, actor_user_id=world.finance, today=TODAY, rules=RULES)
    record = claims.reject_claim(session, claim_id, reason="Not at the meeting", actor_user_id=world.finance,
                                 today=TODAY, rules=RULES)

    part = session.get(Claim, part_id)
    assert part.status == "rejected" and part.reversal_entry_id == record.reversal_entry_id
    assert balance(session, f"owed:group:{world.group_id}") == 0
    assert load_entry(session, record.reversal_entry_id).reverses_entry_id == record.accrual_entry_id


def test_a_rest_paid_later_still_waiting_is_cancelled_with_the_fee(session, world):
    claim_id = submitted_split(session, world, rest="later", later_on=LATER)
    approve(session, world, claim_id)
    (later_id,) = claims.get_claim(session, claim_id).part_claim_ids

    claims.cancel_claim(session, claim_id, actor_user_id=world.finance, today=TODAY, rules=RULES)

    assert session.get(Claim, later_id).status == "cancelled"


def test_the_rest_paid_later_is_not_chosen_again(session, world):
    claim_id = submitted_split(session, world, rest="later", later_on=LATER)
    approve(session, world, claim_id)
    (later_id,) = claims.get_claim(session, claim_id).part_claim_ids

    with pytest.raises(claims.Conflict, match=f"This is the rest of claim {claim_id}"):
        chosen(session, world, later_id, choice="time_credits")
    assert claims.get_claim(session, later_id).choice_open is False


@pytest.mark.parametrize(("rest", "declined"), [("decline", [3040]), ("time_credits", []), ("later", [])])
def test_her_statement_shows_only_a_declined_rest_as_declined(session, world, rest, declined):
    from ledger.reports.records import EntryKind
    from ledger.reports.statements import participant_statement
    from tests.factories import ORGANISATION

    claim_id = submitted_split(session, world, rest=rest, later_on=LATER if rest == "later" else None)
    approve(session, world, claim_id)

    doc = participant_statement(session, world.carer, dt.date(2025, 6, 1), dt.date(2025, 6, 30),
                                organisation=ORGANISATION, issued=TODAY)
    assert [line.memo_amount for line in doc.money.lines if line.kind is EntryKind.DECLINED] == declined
