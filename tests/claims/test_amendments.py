"""Amending a submitted or returned claim (a new version, the first approval cleared) and redrafting a rejected
fee, through the services and over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.claims import services
from ledger.claims.models import ClaimApproval
from ledger.errors import Conflict, ValidationError
from tests.factories import (
    RULES,
    TODAY,
    add_user,
    api_token_for,
    approve,
    bearer,
    claims_world,
    database,
    footprint,
    submitted_fee,
)


@pytest.fixture
def world(session):
    return claims_world(session)


def test_an_amended_claim_keeps_every_version_and_clears_the_first_approval(world, session):
    claim = submitted_fee(session, world, world.ann)
    first = services.get_claim(session, claim)
    session.add(ClaimApproval(claim_id=claim, user_id=world.finance, approved_at=dt.datetime.now(dt.UTC)))
    session.flush()

    amended = services.amend_claim(session, claim, reason="She left an hour early", worked_minutes=180,
                                   actor_user_id=world.finance, rules=RULES)
    assert amended.worked_minutes == 180 and amended.offered_pence == first.offered_pence * 180 // 240
    assert amended.status == "submitted"
    assert session.execute(select(ClaimApproval).where(ClaimApproval.claim_id == claim)).first() is None
    versions = services.claim_versions(session, claim)
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].values["worked_minutes"] == 240 and versions[1].values["worked_minutes"] == 180
    assert versions[1].changes["worked_minutes"] == [240, 180]
    assert (versions[1].reason, versions[1].changed_by_user_id) == ("She left an hour early", world.finance)

    services.amend_claim(session, claim, reason="Typo", description="Fee for the advisory group (corrected)",
                         actor_user_id=world.finance, rules=RULES)
    assert [v.version for v in services.claim_versions(session, claim)] == [1, 2, 3]
    history = [e.action for e in services.get_claim(session, claim).events]
    assert history.count("amend") == 2


def test_only_submitted_or_returned_claims_are_amended_and_bad_input_names_the_field(world, session):
    claim = submitted_fee(session, world, world.ann)
    before = footprint(session)
    for kwargs, field in (({"worked_minutes": 0}, "worked_minutes"), ({"description": "x"}, "description"),
                          ({}, "description")):
        with pytest.raises(ValidationError) as caught:
            services.amend_claim(session, claim, reason="Because", actor_user_id=world.finance, rules=RULES,
                                 **kwargs)
        assert field in caught.value.fields
    assert footprint(session) == before
    approve(session, world, claim)
    with pytest.raises(Conflict):
        services.amend_claim(session, claim, reason="Too late", worked_minutes=60, actor_user_id=world.finance,
                             rules=RULES)


def test_a_rejected_fee_is_redrafted_once_linked_to_the_rejected_one(world, session):
    claim = submitted_fee(session, world, world.ann)
    services.reject_claim(session, claim, reason="Wrong meeting", actor_user_id=world.finance, today=TODAY,
                          rules=RULES)
    redraft = services.redraft_fee(session, claim, actor_user_id=world.finance, rules=RULES)
    assert redraft.status == "draft" and redraft.id != claim
    [version] = services.claim_versions(session, redraft.id)
    assert version.redraft_of_claim_id == claim
    with pytest.raises(Conflict, match="already redrafted"):
        services.redraft_fee(session, claim, actor_user_id=world.finance, rules=RULES)
    with pytest.raises(Conflict):
        services.redraft_fee(session, redraft.id, actor_user_id=world.finance, rules=RULES)


def test_amend_and_redraft_over_http(app, client):
    with database(app) as session:
        world = claims_world(session)
        claim = submitted_fee(session, world, world.ann)
    auth = bearer(api_token_for(app, add_user(app, "fiona@example.org", ["finance"])))
    amended = client.post(f"/api/v1/claims/{claim}/amend", json={"reason": "Left early", "hours": "3"},
                          headers=auth)
    assert amended.status_code == 200, amended.get_json()
    assert amended.get_json()["worked_minutes"] == 180
    versions = client.get(f"/api/v1/claims/{claim}/versions", headers=auth).get_json()
    assert [v["version"] for v in versions] == [1, 2] and versions[1]["changes"]["worked_minutes"] == [240, 180]
    bad = client.post(f"/api/v1/claims/{claim}/amend", json={"reason": "Left early", "hours": "0.001"},
                      headers=auth)
    assert bad.status_code in (400, 422) and "hours" in bad.get_json()["error"]["fields"]
    with database(app) as session:
        services.reject_claim(session, claim, reason="Wrong meeting", actor_user_id=world.finance, today=TODAY,
                              rules=RULES)
    redraft = client.post(f"/api/v1/claims/{claim}/redraft", headers=auth)
    assert redraft.status_code == 201 and redraft.get_json()["status"] == "draft"
    assert client.post(f"/api/v1/claims/{claim}/redraft", headers=auth).status_code == 409


def test_a_corrected_attendance_reprices_open_fees_and_flags_approved_ones(world, session):
    open_fee = submitted_fee(session, world, world.ann)
    approved = submitted_fee(session, world, world.ann, world.london_activity_id)
    approve(session, world, approved)
    before = services.get_claim(session, open_fee)

    done = services.correct_attendance(session, world.activity_id, world.ann, attended=True, minutes=120,
                                       reason="Left after two hours", actor_user_id=world.finance, rules=RULES)
    assert (done.repriced_claim_ids, done.flagged_claim_ids) == ((open_fee,), ())
    after = services.get_claim(session, open_fee)
    assert after.worked_minutes == 180 and after.offered_pence == before.offered_pence * 180 // 240

    flagged = services.correct_attendance(session, world.london_activity_id, world.ann, attended=False,
                                          minutes=None, reason="Recorded at the wrong meeting",
                                          actor_user_id=world.finance, rules=RULES)
    assert flagged.flagged_claim_ids == (approved,)
    assert "flagged_for_correction" in [e.action for e in services.get_claim(session, approved).events]
    assert services.get_claim(session, approved).status == "approved"
    with pytest.raises(ValidationError) as caught:
        services.correct_attendance(session, world.activity_id, world.ann, attended=True, minutes=0,
                                    reason="Oops", actor_user_id=world.finance, rules=RULES)
    assert "minutes" in caught.value.fields
