"""Project pages: budget against spend, scheduling an activity, recording attendance and drafting the fee."""

from __future__ import annotations

import re
from html import unescape

import pytest

from ledger.claims import services
from ledger.projects import services as projects
from tests.factories import ClaimsWorld, claims_world, database, sign_in


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def world(app) -> ClaimsWorld:
    with database(app) as session:
        return claims_world(session)


@pytest.fixture
def manager(client, world):
    assert sign_in(client, "pm@example.org").status_code == 302
    return client


ACTIVITY = {"kind": "interview_panel", "title": "Interview panel for the new director", "occurs_on": "2025-07-01",
            "duration_minutes": "120", "preparation_minutes": "30", "region": "london", "location": "Town hall"}


def test_projects_show_budget_against_spend(manager):
    page = manager.get("/projects")

    assert page.status_code == 200
    text = text_of(page)
    assert "GUIDE : Dementia guide You manage this project £10,000.00 £0.00 £0.00 £10,000.00 £0.00 £0.00 3" in text


def test_a_project_manager_schedules_an_activity_and_records_attendance(app, manager, world):
    scheduled = manager.post("/projects/GUIDE/activities", data=ACTIVITY)
    assert scheduled.status_code == 302
    activity_url = scheduled.headers["Location"]
    activity_id = int(activity_url.rsplit("/", 1)[1])
    page = text_of(manager.get(activity_url))
    assert "Interview panel for the new director" in page and "1 July 2025" in page
    assert "2 hours, with 0.5 hours of preparation" in page and "0 people attended" in page

    recorded = manager.post(f"{activity_url}/attendance", data={"participant_id": str(world.ann),
                                                                 "with_supporter": "y"}, follow_redirects=True)
    text = text_of(recorded)
    assert recorded.status_code == 200
    assert "Ann Jones's attendance is recorded." in text and "1 person attended" in text
    assert "Ann Jones 2 hours Yes" in text

    project_page = text_of(manager.get("/projects/GUIDE"))
    assert "Interview panel for the new director" in project_page and "Town hall" in project_page
    with database(app) as session:
        assert [a.participant_id for a in projects.list_attendance(session, activity_id)] == [world.ann]

    drafted = manager.post(f"{activity_url}/participants/{world.ann}/fee", follow_redirects=True)
    assert "Fee claim" in text_of(drafted) and "Draft, £34.63" in text_of(drafted)
    with database(app) as session:
        (claim,) = [c for c in services.list_claims(session, participant_id=world.ann) if c.activity_id == activity_id]
    submitted = manager.post(f"{activity_url}/claims/{claim.id}/submit", follow_redirects=True)
    assert f"Claim {claim.id} is submitted for approval." in text_of(submitted)
    assert f"Claim {claim.id}: Submitted" in text_of(submitted)


def test_an_activity_outside_the_project_dates_is_refused_on_the_form(manager):
    response = manager.post("/projects/GUIDE/activities", data={**ACTIVITY, "occurs_on": "2025-01-01"})

    assert response.status_code == 400
    text = text_of(response)
    assert "There is a problem" in text and "Project GUIDE runs from 2025-04-01 onwards." in text


def test_attendance_twice_is_refused_on_the_form(manager, world):
    path = f"/activities/{world.activity_id}/attendance"

    response = manager.post(path, data={"participant_id": str(world.ann)})

    assert response.status_code == 409
    assert "already recorded" in text_of(response)


def test_the_budget_report_is_a_pdf(manager):
    response = manager.get("/projects/GUIDE/budget-report.pdf")

    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_project_pages_are_closed_to_participants(client, world):
    sign_in(client, "sian@example.org")

    assert client.get("/projects").status_code == 403
    assert client.get(f"/activities/{world.activity_id}").status_code == 403


def test_a_likely_duplicate_fee_is_submitted_only_when_confirmed_with_a_reason(app, manager, world):
    from tests.factories import MEETING_DAY, RULES, make_activity

    with database(app) as session:
        ids = []
        for title in ("Morning panel", "Afternoon panel"):  # the same day, length and fee: a likely duplicate
            activity = make_activity(session, title=title, occurs_on=MEETING_DAY)
            projects.record_attendance(session, activity.id, world.ann, today=MEETING_DAY)
            record, _ = services.draft_fee_claim(session, activity_id=activity.id, participant_id=world.ann,
                                                 actor_user_id=world.manager, rules=RULES)
            ids.append((activity.id, record.id))
        services.submit_claim(session, ids[0][1], actor_user_id=world.manager)
    (activity_id, claim_id) = ids[1]
    url = f"/activities/{activity_id}/claims/{claim_id}/submit"

    refused = manager.post(url)
    text = text_of(refused)
    assert refused.status_code == 409
    assert "Warning: this looks like a duplicate." in text and f"Likely duplicate of claim {ids[0][1]}." in text
    assert "This is a separate claim, not a duplicate" in text
    no_reason = manager.post(url, data={"confirm_duplicate": "y"})
    assert no_reason.status_code == 400 and "Error: Required to confirm a likely duplicate." in text_of(no_reason)

    done = manager.post(url, data={"confirm_duplicate": "y", "duplicate_reason": "Two separate panels that day"},
                        follow_redirects=True)
    assert f"Claim {claim_id} is submitted for approval." in text_of(done)
