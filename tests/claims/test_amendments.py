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
    RECEIPT_PDF,
    RULES,
    TODAY,
    add_user,
    api_token_for,
    approve,
    bearer,
    claims_world,
    database,
    footprint,
    sign_in,
    submitted_fee,
    text_of,
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


def _expense_with_a_receipt(session, world) -> tuple[int, int, int]:
    """Ann's submitted expenses: a £18.40 taxi with its receipt, and 10 miles by car."""
    record, _ = services.create_expense_claim(
        session, participant_id=world.ann, activity_id=world.activity_id, idempotency_key="amend-lines",
        lines=[{"category": "taxi", "description": "Taxi home", "amount": "18.40"},
               {"category": "mileage", "description": "Drive there", "miles": "10", "vehicle": "car"}],
        actor_user_id=world.manager, rules=RULES)
    taxi, mileage = record.lines
    services.add_receipt(session, record.id, taxi.id, filename="taxi.pdf", data=RECEIPT_PDF,
                         actor_user_id=world.manager, max_bytes=10_000)
    services.submit_claim(session, record.id, actor_user_id=world.manager)
    return record.id, taxi.id, mileage.id


def test_an_expense_line_is_amended_in_place_keeping_its_receipt_and_every_version(world, session):
    claim, taxi, _mileage = _expense_with_a_receipt(session, world)
    total = services.get_claim(session, claim).amount_pence

    amended = services.amend_claim(session, claim, reason="The receipt says £16.20, and it was a bus",
                                   actor_user_id=world.finance, rules=RULES, lines=[
                                       {"line_id": taxi, "amount": "16.20", "category": "public_transport",
                                        "description": "Bus home"}])
    line = next(x for x in amended.lines if x.id == taxi)
    assert (line.amount_pence, line.category, line.description) == (1620, "public_transport", "Bus home")
    assert [r.filename for r in line.receipts] == ["taxi.pdf"]
    assert amended.amount_pence == amended.offered_pence == total - 220
    first, second = services.claim_versions(session, claim)
    assert first.values["lines"][0] == {"line_id": taxi, "category": "taxi", "description": "Taxi home",
                                        "amount_pence": 1840}
    assert second.values["lines"][0]["amount_pence"] == 1620 and second.values["amount_pence"] == total - 220
    assert second.changes["lines"] == [{"line_id": taxi, "changed": {
        "category": ["taxi", "public_transport"], "description": ["Taxi home", "Bus home"],
        "amount_pence": [1840, 1620]}}]
    assert second.changes["amount_pence"] == [total, total - 220]
    assert (second.changed_by_user_id, second.reason) == (world.finance, "The receipt says £16.20, and it was a bus")


@pytest.mark.parametrize(("change", "field"), [
    ({"line_id": 999_999, "amount": "1.00"}, "lines.0.line_id"),
    ({"line_id": "taxi", "amount": "0.00"}, "lines.0.amount"),
    ({"line_id": "taxi", "category": "rocket"}, "lines.0.category"),
    ({"line_id": "taxi", "description": "  "}, "lines.0.description"),
    ({"line_id": "mileage", "amount": "9.00"}, "lines.0.amount"),
])
def test_a_bad_line_change_names_the_field_and_changes_nothing(world, session, change, field):
    claim, taxi, mileage = _expense_with_a_receipt(session, world)
    change = {**change, "line_id": {"taxi": taxi, "mileage": mileage}.get(change["line_id"], change["line_id"])}
    before = footprint(session)
    with pytest.raises(ValidationError) as refused:
        services.amend_claim(session, claim, reason="Because", actor_user_id=world.finance, rules=RULES,
                             lines=[change])
    assert field in refused.value.fields
    assert footprint(session) == before


def test_expense_lines_amended_over_http_and_on_the_claim_page(app, client):
    with database(app) as session:
        world = claims_world(session)
        claim, taxi, _mileage = _expense_with_a_receipt(session, world)
    auth = bearer(api_token_for(app, add_user(app, "fiona@example.org", ["finance"])))
    amended = client.post(f"/api/v1/claims/{claim}/amend", headers=auth,
                          json={"reason": "Receipt says less", "lines": [{"line_id": taxi, "amount": "17.00"}]})
    assert amended.status_code == 200, amended.get_json()
    assert next(x for x in amended.get_json()["lines"] if x["id"] == taxi)["amount_pence"] == 1700
    bad = client.post(f"/api/v1/claims/{claim}/amend", headers=auth,
                      json={"reason": "Receipt says less", "lines": [{"line_id": taxi, "amount": "-1"}]})
    assert bad.status_code == 400 and "lines.0.amount" in bad.get_json()["error"]["fields"]

    assert sign_in(client, "fiona@example.org").status_code == 302
    page = client.post(f"/finance/claims/{claim}/lines/amend", follow_redirects=True, data={
        "line-line_id": str(taxi), "line-amount": "15.50", "line-reason": "Checked the receipt again"})
    assert page.status_code == 200 and "line is amended" in text_of(page) and "£15.50" in text_of(page)
    refused = client.post(f"/finance/claims/{claim}/lines/amend", data={
        "line-line_id": str(taxi), "line-amount": "lots", "line-reason": "Checked"})
    assert refused.status_code == 400 and 'id="line-amount-error"' in refused.get_data(as_text=True)
