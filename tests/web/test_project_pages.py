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
    assert "2 hours, with 30 minutes of preparation" in page and "0 people attended" in page

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


def test_a_project_manager_corrects_an_attendance_and_the_drafted_fee_follows(app, manager, world):
    from tests.factories import footprint

    url = f"/activities/{world.activity_id}"
    drafted = manager.post(f"{url}/participants/{world.ann}/fee", follow_redirects=True)
    [before] = re.findall(r"Claim (\d+): Draft, (£[\d.,]+)", text_of(drafted))
    assert "Correct an attendance" in text_of(drafted)

    with database(app) as session:
        unchanged = footprint(session)
        first = services.get_claim(session, int(before[0]))
        whole = projects.get_activity(session, world.activity_id).duration_minutes
    refused = manager.post(f"{url}/attendance/correction", data={
        "correct-participant_id": str(world.ann), "correct-attended": "yes", "correct-reason": "Left early"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="correct-minutes-error"' in html and "1 to 1440" in html
    no_reason = manager.post(f"{url}/attendance/correction", data={
        "correct-participant_id": str(world.ann), "correct-attended": "yes", "correct-minutes": "60"})
    assert no_reason.status_code == 400 and 'id="correct-reason-error"' in no_reason.get_data(as_text=True)
    with database(app) as session:
        assert footprint(session) == unchanged

    corrected = manager.post(f"{url}/attendance/correction", follow_redirects=True, data={
        "correct-participant_id": str(world.ann), "correct-attended": "yes", "correct-minutes": "60",
        "correct-reason": "Left at the break"})
    page = text_of(corrected)
    assert f"The attendance is corrected. Claim {before[0]} is priced again." in page
    assert "Ann Jones 1 hour (part of the activity)" in page
    with database(app) as session:
        claim = services.get_claim(session, int(before[0]))
        assert (claim.status, claim.worked_minutes) == ("draft", first.worked_minutes - (whole - 60))
        assert 0 < claim.amount_pence < first.amount_pence
        assert len(services.claim_versions(session, claim.id)) == 2

    gone = manager.post(f"{url}/attendance/correction", follow_redirects=True, data={
        "correct-participant_id": str(world.ann), "correct-attended": "no", "correct-reason": "Not there at all"})
    assert f"Claim {before[0]} is cancelled: they did not attend." in text_of(gone)
    with database(app) as session:
        assert services.get_claim(session, int(before[0])).status == "cancelled"
        assert world.ann not in [a.participant_id for a in projects.list_attendance(session, world.activity_id)]


def test_attendances_are_corrected_in_bulk_from_a_file_all_or_nothing(app, runner, world, tmp_path):
    from tests.factories import add_user, draft_fee, footprint

    add_user(app, "fiona@example.org", ["finance"])
    with database(app) as session:
        claim = draft_fee(session, world, world.ann, world.activity_id)
        before = services.get_claim(session, claim).worked_minutes
        whole = projects.get_activity(session, world.activity_id).duration_minutes
        unchanged = footprint(session)
    path = tmp_path / "corrections.csv"
    header = "activity_id,participant_id,attended,minutes,reason\n"
    path.write_text(header + f"{world.activity_id},{world.ann},yes,60,Left at the break\n"
                    f"{world.activity_id},{world.ann},maybe,,Unsure\n", encoding="utf-8")
    refused = runner.invoke(args=["ledger", "correct-attendance", str(path), "--as-user", "fiona@example.org"])
    assert refused.exit_code == 1 and "Row 3 (attended)" in refused.output and "Nothing was corrected" in refused.output
    with database(app) as session:
        assert footprint(session) == unchanged

    path.write_text(header + f"{world.activity_id},{world.ann},yes,60,Left at the break\n", encoding="utf-8")
    done = runner.invoke(args=["ledger", "correct-attendance", str(path), "--as-user", "fiona@example.org"])
    assert done.exit_code == 0, done.output
    assert f"attended 60 minutes; repriced [{claim}]" in done.output
    with database(app) as session:
        assert services.get_claim(session, claim).worked_minutes == before - (whole - 60)
    listed = runner.invoke(args=["ledger", "benefit-rechecks", "--as-user", "fiona@example.org"])
    assert listed.exit_code == 0 and "No re-check shows a problem." in listed.output
