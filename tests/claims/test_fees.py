"""Drafting a fee from attendance: the rate for the date and place, flat fees, once only."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from ledger.claims import services
from ledger.claims.models import Claim
from ledger.errors import Conflict
from ledger.people.services import create_participant, update_participant
from ledger.projects.services import record_attendance, schedule_activity
from policies.rulebook import load_rulebook
from tests.factories import MEETING_DAY, count_rows, footprint

ORGANISATION_RATE = """
[sources]
our_policy = { title = "Our involvement payment policy" }

[[param]]
key = "wage.organisation.hourly"
value = 7.00
unit = "GBP_per_hour"
effective_from = 2025-04-01
source = ["our_policy"]
confidence = "high"
"""


def draft(session, world, rules, participant, activity=None):
    claim, created = services.draft_fee_claim(session, activity_id=activity or world.activity_id,
                                              participant_id=participant, actor_user_id=world.manager, rules=rules)
    return claim, created


def test_fee_is_the_hours_and_preparation_at_the_real_living_wage(session, world, rules):
    claim, created = draft(session, world, rules, world.ann)

    assert created
    assert claim.worked_minutes == 240  # three hours' meeting and an hour's preparation
    assert claim.rate_pence == 1260  # Real Living Wage (UK), June 2025
    assert claim.offered_pence == 5040 and claim.amount_pence == 5040
    assert claim.choice == "take" and claim.status == "draft" and claim.kind == "fee"
    assert claim.choice_recorded_by_user_id == world.manager and claim.choice_recorded_at is not None


def test_fee_for_a_london_activity_is_at_the_london_living_wage(session, world, rules):
    claim, _ = draft(session, world, rules, world.ann, world.london_activity_id)

    assert claim.rate_pence == 1385
    assert claim.offered_pence == 4 * 1385


def test_fee_after_the_october_uprating_uses_the_new_rate(session, world, rules):
    later = schedule_activity(session, "GUIDE", kind="review", occurs_on=dt.date(2025, 11, 5), duration_minutes=60,
                              region="uk")
    record_attendance(session, later.id, world.ann, today=dt.date(2025, 11, 6))

    claim, _ = draft(session, world, rules, world.ann, later.id)

    assert claim.rate_pence == 1345 and claim.offered_pence == 1345


def test_a_seventeen_year_old_on_the_real_living_wage_basis_gets_the_full_rate(session, world, rules):
    claim, _ = draft(session, world, rules, world.teen)

    assert claim.rate_pence == 1260  # pay.hourly_rate does not cut the Real Living Wage for under-18s
    assert "raised" not in claim.rate_basis


def test_an_organisation_rate_below_the_legal_minimum_is_raised_to_it_for_the_persons_age(
        session, world, rules, tmp_path):
    override = tmp_path / "org.toml"
    override.write_text(ORGANISATION_RATE, encoding="utf-8")
    own_rate = replace(rules, rulebook=load_rulebook([override]), pay_basis="organisation")

    teen, _ = draft(session, world, own_rate, world.teen)
    adult, _ = draft(session, world, own_rate, world.ann)

    assert teen.rate_pence == 755 and "raised to the legal minimum" in teen.rate_basis  # under-18 NMW 2025-26
    assert adult.rate_pence == 1221 and "raised to the legal minimum" in adult.rate_basis  # National Living Wage
    assert teen.offered_pence == 4 * 755


def test_a_flat_fee_activity_pays_its_flat_fee_whatever_the_hours(session, world, rules):
    claim, _ = draft(session, world, rules, world.ann, world.flat_fee_activity_id)

    assert claim.offered_pence == 15_000 and claim.amount_pence == 15_000
    assert claim.rate_pence is None and claim.rate_basis == "flat fee for the activity"


def test_a_fee_cannot_be_drafted_twice_the_first_claim_comes_back(session, world, rules):
    first, created = draft(session, world, rules, world.ann)
    again, created_again = draft(session, world, rules, world.ann)

    assert created and not created_again
    assert again.id == first.id
    assert count_rows(session, Claim) == 1


def test_a_participant_who_did_not_attend_cannot_be_paid_a_fee(session, world, rules):
    absent = create_participant(session, name="Not There", email="nt@example.org", today=MEETING_DAY)
    before = footprint(session)

    with pytest.raises(Conflict) as refused:
        draft(session, world, rules, absent.id)

    assert refused.value.status == 409 and "participant_id" in refused.value.fields
    assert footprint(session) == before


def test_a_participant_who_prefers_a_group_has_the_fee_redirected_from_the_start(session, world, rules):
    update_participant(session, world.ann, {"default_reward": "paid_to_group", "default_group_id": world.group_id},
                       today=MEETING_DAY)

    claim, _ = draft(session, world, rules, world.ann)

    assert claim.choice == "redirect" and claim.group_id == world.group_id and claim.amount_pence == 5040
