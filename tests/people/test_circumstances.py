"""Changes in benefits a participant reports, finance's review, their own contact details, their own expenses
and giving time credits by email: the services behind the participant's journeys and their API."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from ledger.claims.own_expenses import ReceiptUpload, activities_to_claim_for, claim_own_expenses
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.events.models import Event
from ledger.people import services as people
from ledger.people.circumstances import circumstance_reports, report_circumstances, review_circumstance_report
from ledger.people.contact import change_contact_details
from ledger.people.models import CircumstanceReport
from ledger.timebank.own import give_own_time_credits
from tests.factories import (
    MEETING_DAY,
    RECEIPT_PDF,
    RULES,
    TODAY,
    api_token_for,
    bearer,
    claims_world,
    count_rows,
    database,
)


@pytest.fixture
def world(session):
    return claims_world(session)


def _report(session, world, **values):
    fields = {"change": "started", "benefit": "universal_credit", "changed_on": dt.date(2025, 6, 1),
              "details": "My award letter came"}
    fields.update(values)
    return report_circumstances(session, world.carer, **fields, actor_user_id=world.carer_user, today=TODAY)


def test_a_report_is_kept_for_review_and_the_declaration_in_force_is_unchanged(session, world):
    report = _report(session, world)

    assert report.summary == "Started getting Universal Credit on 1 June 2025" and report.status == "waiting"
    assert [r.id for r in circumstance_reports(session)] == [report.id]
    assert [b["name"] for b in people.current_benefits(session, world.carer).benefits] == ["carers_allowance"]
    event = session.query(Event).filter_by(action="report_circumstances").one()
    assert event.participant_id == world.carer and event.details == {"report_id": report.id, "change": "started"}


@pytest.mark.parametrize(("values", "field"), [
    ({"change": "moved house"}, "change"),
    ({"benefit": None}, "benefit"),
    ({"benefit": "lottery"}, "benefit"),
    ({"changed_on": dt.date(2030, 1, 1)}, "changed_on"),
    ({"change": "other", "details": "  "}, "details"),
])
def test_a_report_that_cannot_be_understood_is_refused_naming_the_field(session, world, values, field):
    before = count_rows(session, CircumstanceReport), count_rows(session, Event)
    with pytest.raises(ValidationError) as refused:
        _report(session, world, **values)
    assert field in refused.value.fields
    assert (count_rows(session, CircumstanceReport), count_rows(session, Event)) == before


def test_accepting_a_report_declares_the_benefit_from_the_day_it_changed(session, world):
    report = _report(session, world)
    with pytest.raises(ValidationError) as missing:
        review_circumstance_report(session, report.id, accepted=True, actor_user_id=world.finance, today=TODAY)
    assert set(missing.value.fields) == {"work_allowance", "assessment_period_start_day"}

    reviewed = review_circumstance_report(
        session, report.id, accepted=True, actor_user_id=world.finance, today=TODAY,
        benefit_fields={"work_allowance": "none", "assessment_period_start_day": 14})

    declared = people.current_benefits(session, world.carer)
    assert reviewed.status == "accepted" and reviewed.declaration_id == declared.id
    assert declared.declared_on == dt.date(2025, 6, 1) and declared.circumstances == "My award letter came"
    assert {b["name"]: b for b in declared.benefits}["universal_credit"]["assessment_period_start_day"] == 14
    assert "carers_allowance" in {b["name"] for b in declared.benefits}
    with pytest.raises(Conflict):
        review_circumstance_report(session, report.id, accepted=False, note="again", actor_user_id=world.finance,
                                   today=TODAY)


def test_a_stopped_benefit_is_taken_out_and_a_refusal_needs_a_note(session, world):
    stopped = _report(session, world, change="stopped", benefit="carers_allowance")
    review_circumstance_report(session, stopped.id, accepted=True, actor_user_id=world.finance, today=TODAY)
    assert people.current_benefits(session, world.carer).benefits == ()

    other = _report(session, world, change="other", benefit=None, details="I moved in with my partner")
    with pytest.raises(ValidationError) as refused:
        review_circumstance_report(session, other.id, accepted=False, actor_user_id=world.finance, today=TODAY)
    assert "note" in refused.value.fields
    done = review_circumstance_report(session, other.id, accepted=False, note="No change to your benefits",
                                      actor_user_id=world.finance, today=TODAY)
    assert done.status == "not_accepted" and done.declaration_id is None


def test_a_change_in_the_future_is_accepted_on_its_day(session, world):
    report = _report(session, world, change="stopped", benefit="carers_allowance", changed_on=TODAY + dt.timedelta(7))
    with pytest.raises(Conflict) as early:
        review_circumstance_report(session, report.id, accepted=True, actor_user_id=world.finance, today=TODAY)
    assert "changed_on" in early.value.fields


def test_contact_details_change_only_contact_fields_and_record_which(session, world):
    with pytest.raises(ValidationError) as refused:
        change_contact_details(session, world.carer, {"name": "Someone else"}, actor_user_id=world.carer_user,
                               today=TODAY)
    assert "name" in refused.value.fields
    with pytest.raises(ValidationError) as bad:
        change_contact_details(session, world.carer, {"email": "not-an-email"}, actor_user_id=world.carer_user,
                               today=TODAY)
    assert "email" in bad.value.fields

    record = change_contact_details(session, world.carer, {"phone": "07700 900123", "email": "sian@example.org"},
                                    actor_user_id=world.carer_user, today=TODAY)

    assert record.phone == "07700 900123"
    event = session.query(Event).filter_by(action="change_contact_details").one()
    assert event.details == {"fields": ["phone"]}  # the email was the same


def test_own_expenses_need_an_attended_activity_and_receipts_named_per_line(session, world):
    rules = replace(RULES, receipt_required_above_pence=2500)
    assert [a.title for a in activities_to_claim_for(session, world.carer, TODAY)] == [
        "Film shoot", "Advisory group, London", "Advisory group"]
    lines = [{"category": "taxi", "description": "Taxi home", "incurred_on": MEETING_DAY, "amount": "30.00"}]
    with pytest.raises(ValidationError) as missing:
        claim_own_expenses(session, participant_id=world.carer, activity_id=world.activity_id, lines=lines,
                           receipts=[None], idempotency_key="k1", actor_user_id=world.carer_user, rules=rules,
                           today=TODAY)
    assert "lines.0.receipt" in missing.value.fields
    with pytest.raises(ValidationError) as wrong:  # the page rolls it all back (test_participant_journeys)
        claim_own_expenses(session, participant_id=world.carer, activity_id=world.activity_id, lines=lines,
                           receipts=[ReceiptUpload("r.png", b"GIF89a")], idempotency_key="k1",
                           actor_user_id=world.carer_user, rules=RULES, today=TODAY)
    assert wrong.value.fields == {"lines.0.receipt": ["Not a PDF, JPEG or PNG file."]}

    claim = claim_own_expenses(session, participant_id=world.carer, activity_id=world.activity_id, lines=lines,
                               receipts=[ReceiptUpload("r.pdf", RECEIPT_PDF)], idempotency_key="k2",
                               actor_user_id=world.carer_user, rules=RULES, today=TODAY)
    assert claim.status == "draft" and claim.amount_pence == 3000
    assert [r.content_type for r in claim.lines[0].receipts] == ["application/pdf"]


def test_time_credits_given_by_email_name_the_field_when_nobody_matches(session, world):
    with pytest.raises(NotFound) as unknown:
        give_own_time_credits(session, world.carer, to="person", email="nobody@example.org", minutes=30, on=TODAY,
                              note=None, idempotency_key="g1", actor_user_id=world.carer_user,
                              overdraft_limit_minutes=0, today=TODAY)
    assert "email" in unknown.value.fields
    with pytest.raises(ValidationError) as own:
        give_own_time_credits(session, world.carer, to="person", email="SIAN@example.org", minutes=30, on=TODAY,
                              note=None, idempotency_key="g1", actor_user_id=world.carer_user,
                              overdraft_limit_minutes=0, today=TODAY)
    assert "email" in own.value.fields


# ---------------------------------------------------------------- over JSON


def test_the_api_reports_a_change_patches_contact_details_and_finance_reviews(app, client):
    with database(app) as session:
        world = claims_world(session)
    sian = bearer(api_token_for(app, world.carer_user))
    finance = bearer(api_token_for(app, world.finance))

    bad = client.post(f"/api/v1/participants/{world.carer}/circumstance-reports", headers=sian,
                      json={"change": "started", "changed_on": "2025-06-01"})
    assert bad.status_code == 400 and "benefit" in bad.get_json()["error"]["fields"]
    made = client.post(f"/api/v1/participants/{world.carer}/circumstance-reports", headers=sian,
                       json={"change": "stopped", "benefit": "carers_allowance", "changed_on": "2025-06-01"})
    assert made.status_code == 201 and made.get_json()["summary"] == "Stopped getting Carer's Allowance on 1 June 2025"
    assert client.post(f"/api/v1/participants/{world.ann}/circumstance-reports", headers=sian,
                       json={"change": "other", "changed_on": "2025-06-01", "details": "x"}).status_code == 404
    assert client.get("/api/v1/circumstance-reports", headers=sian).status_code == 403

    patched = client.patch(f"/api/v1/participants/{world.carer}/contact-details", headers=sian,
                           json={"phone": "07700 900123", "preferred_format": "easy_read"})
    assert patched.status_code == 200 and patched.get_json()["preferred_format"] == "easy_read"
    refused = client.patch(f"/api/v1/participants/{world.carer}/contact-details", headers=sian,
                           json={"preferred_format": "braille"})
    assert refused.status_code == 400 and "preferred_format" in refused.get_json()["error"]["fields"]

    waiting = client.get("/api/v1/circumstance-reports", headers=finance).get_json()
    assert [r["participant_name"] for r in waiting] == ["Siân Evans"]
    no_note = client.post(f"/api/v1/circumstance-reports/{waiting[0]['id']}/review", headers=finance,
                          json={"accepted": False})
    assert no_note.status_code == 400 and "note" in no_note.get_json()["error"]["fields"]
    reviewed = client.post(f"/api/v1/circumstance-reports/{waiting[0]['id']}/review", headers=finance,
                           json={"accepted": True})
    assert reviewed.status_code == 200 and reviewed.get_json()["status"] == "accepted"
    benefits = client.get(f"/api/v1/participants/{world.carer}/benefits", headers=sian).get_json()
    assert benefits[0]["benefits"] == [] and benefits[0]["declared_on"] == "2025-06-01"
