"""Pay rules on claims: a flat fee below the legal minimum, a rate past its stale date, and mileage repriced
when an earlier claim that counted towards HMRC's 10,000-mile band is rejected or cancelled."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from ledger.books import queries
from ledger.claims import services
from ledger.claims.models import ClaimApproval
from ledger.config import DEV_BANK_DETAILS_KEY
from ledger.errors import Conflict, ValidationError
from ledger.events.writer import events_of
from ledger.organisation import open_organisation_accounts
from ledger.payments import runs
from ledger.people.bank import BankCipher
from ledger.people.services import create_participant, set_bank_details
from ledger.projects.services import record_attendance, schedule_activity
from policies.rulebook import load_rulebook
from tests.claims.test_expenses import expenses, miles
from tests.factories import MEETING_DAY, TODAY, approve, count_rows, footprint

REASON = "Agreed honorarium for a short film; the participant asked for the flat sum."
# The Real Living Wage for 2025-26 is marked as probably replaced after 31 October 2026.
WORK_AFTER_STALE = dt.date(2026, 11, 5)
WORK_BEFORE_STALE = dt.date(2026, 10, 25)
APPROVED_ON = dt.date(2026, 12, 1)
NEW_RATE = """
[sources]
lwf_2026 = { title = "Living Wage Foundation announcement, October 2026" }

[[param]]
key = "wage.real_living_wage.uk"
value = 14.10
unit = "GBP_per_hour"
effective_from = 2026-10-28
source = ["lwf_2026"]
confidence = "high"
"""


def activity(session, world, *, on=MEETING_DAY, flat_fee_pence=None, people=None) -> int:
    """A 3-hour activity with an hour's preparation, attended by Ann, Siân and Kai (or those named)."""
    made = schedule_activity(session, world.project_code, kind="advisory_meeting", occurs_on=on,
                             duration_minutes=180, preparation_minutes=60, region="uk", title="Short film",
                             flat_fee_pence=flat_fee_pence)
    for pid in people or (world.ann, world.carer, world.teen):
        record_attendance(session, made.id, pid, today=on)
    return made.id


def draft(session, world, rules, activity_id, participant=None):
    return services.draft_fee_claim(session, activity_id=activity_id, participant_id=participant or world.ann,
                                    actor_user_id=world.manager, rules=rules)[0]


def approve_on(session, world, claim_id, rules, today, **kwargs):
    return services.approve_claim(session, claim_id, actor_user_id=world.finance, actor_participant_id=None,
                                  rules=rules, today=today, **kwargs)


@pytest.fixture
def overriding(rules):
    return replace(rules, flat_fee_below_minimum="override")


# ---------------------------------------------------------------- a flat fee below the legal minimum


def test_a_flat_fee_below_the_legal_minimum_is_refused_by_default_saying_what_would_put_it_right(
        session, world, rules):
    low = activity(session, world, flat_fee_pence=2000)
    before = footprint(session)

    with pytest.raises(Conflict) as refused:
        draft(session, world, rules, low)

    message = refused.value.message
    assert refused.value.status == 409 and "flat_fee" in refused.value.fields
    assert "£20.00" in message and "4 hours" in message and "£48.84" in message  # 4 h x £12.21 (NLW, 2025-26)
    assert "aged 21 or over" in message and "by the hour" in message and "at least £48.84" in message
    assert footprint(session) == before


def test_the_minimum_follows_the_persons_age_so_a_fee_fine_for_a_teenager_is_refused_for_an_adult(
        session, world, rules):
    fee = activity(session, world, flat_fee_pence=3500)  # £8.75 an hour

    teen = draft(session, world, rules, fee, world.teen)  # under 18: £7.55 an hour, £30.20 for 4 hours

    assert teen.offered_pence == 3500 and teen.legal_minimum_pence is None
    with pytest.raises(Conflict, match="aged 21 or over"):
        draft(session, world, rules, fee, world.ann)


def test_without_a_date_of_birth_the_adult_rate_is_the_minimum_and_the_refusal_says_so(session, world, rules):
    unknown = create_participant(session, name="No Birthday", email="nb@example.org", today=MEETING_DAY)
    fee = activity(session, world, flat_fee_pence=3500, people=[unknown.id])

    with pytest.raises(Conflict) as refused:
        draft(session, world, rules, fee, unknown.id)

    assert "£48.84" in refused.value.message and "date of birth is not recorded" in refused.value.message
    assert "adult rate" in refused.value.fields["flat_fee"][0]


def test_with_override_the_fee_is_drafted_flagged_with_the_minimum_and_why(session, world, overriding):
    claim = draft(session, world, overriding, activity(session, world, flat_fee_pence=2000))

    assert claim.offered_pence == claim.amount_pence == 2000
    assert claim.legal_minimum_pence == 4884 and claim.below_minimum_pence == 2884
    assert "aged 21 or over" in claim.minimum_note and "below the legal minimum" in claim.rate_basis
    assert "Pay rules" in claim.events[0].note


def test_approving_a_fee_below_the_minimum_needs_a_reason_and_without_one_nothing_changes(
        session, world, overriding):
    claim = draft(session, world, overriding, activity(session, world, flat_fee_pence=2000))
    services.submit_claim(session, claim.id, actor_user_id=world.manager)
    preview = services.preview_approval(session, claim.id, rules=overriding, today=TODAY)
    before = footprint(session)

    with pytest.raises(ValidationError) as refused:
        approve(session, world, claim.id, overriding, below_minimum_reason="too short")

    assert preview.below_minimum_reason_required and "£48.84" in preview.pay_warnings[0]
    assert "below_minimum_reason" in refused.value.fields and refused.value.status == 400
    assert footprint(session) == before and count_rows(session, ClaimApproval) == 0


def test_the_reason_for_paying_below_the_minimum_is_recorded_in_the_approval_event(session, world, overriding):
    claim = draft(session, world, overriding, activity(session, world, flat_fee_pence=2000))
    services.submit_claim(session, claim.id, actor_user_id=world.manager)

    outcome = approve(session, world, claim.id, overriding, below_minimum_reason=REASON)

    assert outcome.claim.status == "approved" and outcome.pay_warnings
    approval = [e for e in events_of(session, "claim", claim.id) if e.action == "approve"][-1]
    assert REASON in approval.note and "£48.84" in approval.note
    assert approval.details["below_minimum"] == {"legal_minimum_pence": 4884, "fee_pence": 2000, "reason": REASON}
    assert -queries.balance(session, f"owed:participant:{world.ann}") == 2000


def test_a_declined_fee_below_the_minimum_is_approved_without_a_reason(session, world, overriding):
    claim = draft(session, world, overriding, activity(session, world, flat_fee_pence=2000))
    services.record_choice(session, claim.id, choice="decline", actor_user_id=world.manager)
    services.submit_claim(session, claim.id, actor_user_id=world.manager)

    assert approve(session, world, claim.id, overriding).claim.status == "approved"


# ---------------------------------------------------------------- a rate past its stale date


def test_a_fee_for_work_after_the_rates_stale_date_is_flagged_when_drafted(session, world, rules):
    claim = draft(session, world, rules, activity(session, world, on=WORK_AFTER_STALE))

    assert claim.rate_pence == 1345 and claim.offered_pence == 4 * 1345  # still paid: a warning, not a refusal
    assert claim.rate_stale_since == dt.date(2026, 10, 31)
    assert "31 October 2026" in claim.rate_warning and "5 November 2026" in claim.rate_warning


def test_a_fee_before_the_stale_date_is_not_flagged_until_approved_after_it_with_no_newer_rate(
        session, world, rules):
    claim = draft(session, world, rules, activity(session, world, on=WORK_BEFORE_STALE))
    services.submit_claim(session, claim.id, actor_user_id=world.manager)

    early = services.preview_approval(session, claim.id, rules=rules, today=dt.date(2026, 10, 28))
    late = services.preview_approval(session, claim.id, rules=rules, today=APPROVED_ON)
    outcome = approve_on(session, world, claim.id, rules, APPROVED_ON)

    assert claim.rate_stale_since is None and early.pay_warnings == ()
    assert late.rate_stale_since == dt.date(2026, 10, 31) and "no newer figure" in late.pay_warnings[0]
    assert outcome.claim.status == "approved" and outcome.claim.rate_stale_since == dt.date(2026, 10, 31)
    approval = [e for e in outcome.claim.events if e.action == "approve"][-1]
    assert "Rate warning" in approval.note


def test_a_newer_rate_added_after_drafting_is_shown_at_approval_with_what_the_fee_falls_short(
        session, world, rules, tmp_path):
    claim = draft(session, world, rules, activity(session, world, on=dt.date(2026, 10, 30)))
    services.submit_claim(session, claim.id, actor_user_id=world.manager)
    override = tmp_path / "org.toml"
    override.write_text(NEW_RATE, encoding="utf-8")
    updated = replace(rules, rulebook=load_rulebook([override]))

    preview = services.preview_approval(session, claim.id, rules=updated, today=APPROVED_ON)

    assert claim.rate_stale_since is None and claim.rate_pence == 1345
    (warning,) = preview.pay_warnings
    assert "£14.10 an hour" in warning and "£13.45 an hour" in warning and "£2.60 less" in warning  # 4 h x 65p


def test_a_stale_rate_is_flagged_in_the_payment_run_for_its_payee(session, world, rules):
    stale = draft(session, world, rules, activity(session, world, on=WORK_AFTER_STALE))
    fresh = draft(session, world, rules, world.activity_id)
    for claim in (stale, fresh):
        services.submit_claim(session, claim.id, actor_user_id=world.manager)
        approve_on(session, world, claim.id, rules, APPROVED_ON)
    open_organisation_accounts(session)
    set_bank_details(session, BankCipher(DEV_BANK_DETAILS_KEY), world.ann, sort_code="20-00-00",
                     account_number="12345678", account_name="A JONES")

    run = runs.draft_payment_run(session, cutoff_date=APPROVED_ON, payment_date=dt.date(2026, 12, 3),
                                 actor_user_id=world.finance, rulebook=rules.rulebook, settings=rules.policy,
                                 today=APPROVED_ON)

    (ann,) = run.payees
    assert set(ann.claim_ids) == {stale.id, fresh.id} and ann.stale_rate_claim_ids == (stale.id,)
    assert run.stale_rate_claim_count == 1
    assert runs.payment_run_summary(session, run.id).payees[0].stale_rate_claim_ids == (stale.id,)


# ---------------------------------------------------------------- mileage repriced after a claim stops counting


@pytest.fixture
def band(session, world, rules):
    """Ann's 2025-26 car mileage: 9,950 miles in spring, then a claim crossing 10,000, then 10.5 more miles."""
    spring = expenses(session, world, rules, *[miles(1990, dt.date(2025, 4, 7 + n)) for n in range(5)],
                      key="spring")
    crossing = expenses(session, world, rules, miles(100, MEETING_DAY), key="crossing")
    later = expenses(session, world, rules, miles("10.5", MEETING_DAY), key="later")
    assert crossing.amount_pence == 50 * 45 + 50 * 25 and later.amount_pence == 263  # 10.5 x 25p = 262.5p, half up
    return spring, crossing, later


def test_cancelling_the_claim_that_crossed_10000_miles_moves_the_later_line_back_to_the_higher_rate(
        session, world, rules, band):
    _, crossing, later = band

    services.cancel_claim(session, crossing.id, actor_user_id=world.manager, today=TODAY, rules=rules)

    repriced = services.get_claim(session, later.id)
    assert repriced.lines[0].amount_pence == 473  # 10.5 x 45p = 472.5p, half up: to the penny
    assert repriced.offered_pence == repriced.amount_pence == 473
    (event,) = [e for e in repriced.events if e.action == "reprice"]
    assert f"Claim {crossing.id} was cancelled" in event.note and "£2.63 to £4.73" in event.note


def test_cancelling_an_earlier_claim_reprices_every_later_claim_it_pushed_into_the_lower_band(
        session, world, rules, band):
    spring, crossing, later = band

    services.cancel_claim(session, spring.id, actor_user_id=world.manager, today=TODAY, rules=rules)

    assert services.get_claim(session, crossing.id).amount_pence == 100 * 45
    assert services.get_claim(session, later.id).amount_pence == 473
    assert services.get_claim(session, spring.id).amount_pence == 9950 * 45  # the cancelled claim is left alone


def test_rejecting_a_claim_reprices_later_mileage_and_clears_a_first_approval(session, world, rules, band):
    _, crossing, later = band
    two_approvals = replace(rules, second_approval_above_pence=100)
    services.submit_claim(session, crossing.id, actor_user_id=world.manager)
    services.submit_claim(session, later.id, actor_user_id=world.manager)
    approve(session, world, later.id, two_approvals)  # the first of two

    services.reject_claim(session, crossing.id, reason="Drove for another organisation",
                          actor_user_id=world.finance2, today=TODAY, rules=rules)

    repriced = services.get_claim(session, later.id)
    assert repriced.amount_pence == 473 and repriced.status == "submitted" and repriced.approver_user_ids == ()
    assert "first approval is cleared" in next(e for e in repriced.events if e.action == "reprice").note


def test_an_approved_later_claim_is_flagged_with_what_it_was_underpaid_and_the_books_are_not_changed(
        session, world, rules, band):
    _, crossing, later = band
    for claim in (crossing, later):
        services.submit_claim(session, claim.id, actor_user_id=world.manager)
    approve(session, world, later.id, rules)
    owed = -queries.balance(session, f"owed:participant:{world.ann}")

    services.cancel_claim(session, crossing.id, actor_user_id=world.finance, today=TODAY, rules=rules)

    flagged = services.get_claim(session, later.id)
    assert flagged.lines[0].amount_pence == 263 and flagged.amount_pence == 263  # as approved
    assert flagged.repricing_owed_pence == 210 and flagged.repricing_outstanding_pence == 210
    assert -queries.balance(session, f"owed:participant:{world.ann}") == owed
    (event,) = [e for e in events_of(session, "claim", later.id) if e.action == "reprice_owed"]
    assert event.details["owed_pence"] == 210 and event.details["cause_claim_id"] == crossing.id


def test_a_top_up_claim_pays_the_mileage_owed_once(session, world, rules, band):
    _, crossing, later = band
    services.submit_claim(session, later.id, actor_user_id=world.manager)
    approve(session, world, later.id, rules)
    services.cancel_claim(session, crossing.id, actor_user_id=world.finance, today=TODAY, rules=rules)

    top_up, created = services.draft_mileage_top_up(session, later.id, actor_user_id=world.finance)
    again, created_again = services.draft_mileage_top_up(session, later.id, actor_user_id=world.finance)

    assert created and not created_again and again.id == top_up.id
    assert top_up.kind == "expense" and top_up.amount_pence == 210 and top_up.tops_up_claim_id == later.id
    assert [(x.category, x.amount_pence) for x in top_up.lines] == [("other", 210)]
    original = services.get_claim(session, later.id)
    assert original.top_up_claim_ids == (top_up.id,) and original.repricing_outstanding_pence == 0
    services.submit_claim(session, top_up.id, actor_user_id=world.finance)
    services.approve_claim(session, top_up.id, actor_user_id=world.finance2, actor_participant_id=None,
                           rules=rules, today=TODAY)
    assert -queries.balance(session, f"owed:participant:{world.ann}") == 263 + 210


def test_a_top_up_cancelled_leaves_the_mileage_owed_again_and_an_open_claim_has_none(session, world, rules, band):
    _, crossing, later = band
    services.submit_claim(session, later.id, actor_user_id=world.manager)
    approve(session, world, later.id, rules)
    services.cancel_claim(session, crossing.id, actor_user_id=world.finance, today=TODAY, rules=rules)
    top_up, _ = services.draft_mileage_top_up(session, later.id, actor_user_id=world.finance)

    services.cancel_claim(session, top_up.id, actor_user_id=world.finance, today=TODAY, rules=rules)

    assert services.get_claim(session, later.id).repricing_outstanding_pence == 210
    second, created = services.draft_mileage_top_up(session, later.id, actor_user_id=world.finance)
    assert created and second.id != top_up.id
    with pytest.raises(Conflict):
        services.draft_mileage_top_up(session, band[0].id, actor_user_id=world.finance)  # a draft: nothing owed


def test_only_lines_in_the_same_tax_year_and_vehicle_band_are_repriced(session, world, rules, band):
    _, crossing, _ = band
    mixed = expenses(session, world, rules, miles(10, dt.date(2026, 5, 1)), miles(10, MEETING_DAY, "motorcycle"),
                     key="mixed")

    services.cancel_claim(session, crossing.id, actor_user_id=world.manager, today=TODAY, rules=rules)

    assert [x.amount_pence for x in services.get_claim(session, mixed.id).lines] == [450, 240]
    assert not [e for e in services.get_claim(session, mixed.id).events if e.action == "reprice"]


def test_cancelling_a_claim_without_mileage_reprices_nothing(session, world, rules, band):
    fee = draft(session, world, rules, world.activity_id)
    later = band[2]
    history = len(events_of(session, "claim", later.id))

    services.cancel_claim(session, fee.id, actor_user_id=world.manager, today=TODAY, rules=rules)

    assert [x.amount_pence for x in services.get_claim(session, later.id).lines] == [263]
    assert len(events_of(session, "claim", later.id)) == history
