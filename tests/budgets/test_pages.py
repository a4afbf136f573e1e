"""The planner's pages: a form filled in is previewed, refused naming the field, saved, approved and printed."""

from __future__ import annotations

import datetime as dt
import re

from ledger.budgets import services
from tests.factories import add_user, assign_project, database, make_project, sign_in

FORM = {"region": "uk", "meetings-0-title": "Panel", "meetings-0-when": "2025-06-04", "meetings-0-hours": "3",
        "meetings-0-preparation_hours": "1", "people_member": "2", "bsl_count": "1", "bsl_hours": "3"}


def test_a_manager_previews_is_told_which_field_and_saves_a_version(app, client):
    with database(app) as session:
        make_project(session, code="LDN", starts_on=dt.date(2025, 4, 1))
    manager, finance = add_user(app, "pm@example.org", ["project_manager"]), add_user(app, "f@example.org",
                                                                                       ["finance"])
    assign_project(app, "LDN", manager, by=finance)
    sign_in(client, "pm@example.org")

    refused = client.post("/projects/LDN/budget/planner", data={**FORM, "preview": "Preview the budget"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert 'id="bsl_rate-error"' in page and "Enter the cost of BSL interpreters per hour" in page

    preview = client.post("/projects/LDN/budget/planner", data={**FORM, "bsl_rate": "45", "preview": "Preview"})
    # 2 x (4 hours at £12.60 = £50.40), and 1 x (3 hours at £45.00): £235.80 in all.
    assert preview.status_code == 200 and "Preview: £235.80" in preview.get_data(as_text=True)
    with database(app) as session:
        assert services.list_budget_versions(session, "LDN") == []

    saved = client.post("/projects/LDN/budget/planner", data={**FORM, "bsl_rate": "45", "label": "Bid",
                                                              "save": "Save"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/projects/LDN/budget/versions/1")
    page = client.get("/projects/LDN/budget/versions/1").get_data(as_text=True)
    assert "2 x (4 hours at £12.60 = £50.40)" in page and "wage.real_living_wage.uk, in force from 23 October 2024" \
        in page
    assert client.post("/projects/LDN/budget/versions/1/approve").status_code == 302
    assert "Baseline: version 1 (Bid), £235.80." in client.get("/projects/LDN/budget/versions").get_data(as_text=True)
    pdf = client.get("/projects/LDN/budget/versions/1/bid.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_more_meeting_and_cost_rows_without_a_script(app, client):
    with database(app) as session:
        make_project(session, code="LDN", starts_on=dt.date(2025, 4, 1))
    manager, finance = add_user(app, "pm@example.org", ["project_manager"]), add_user(app, "f@example.org",
                                                                                       ["finance"])
    assign_project(app, "LDN", manager, by=finance)
    sign_in(client, "pm@example.org")
    assert 'name="meetings-11-when"' in client.get("/projects/LDN/budget/planner?rows=12").get_data(as_text=True)
    page = client.get("/projects/LDN/budget/planner").get_data(as_text=True)
    assert 'name="meetings-5-when"' in page and 'name="meetings-6-when"' not in page
    more = client.post("/projects/LDN/budget/planner", data={**FORM, "add_meeting": "Add another meeting"})
    html = more.get_data(as_text=True)
    assert more.status_code == 200 and 'name="meetings-6-when"' in html and 'value="2025-06-04"' in html
    more = client.post("/projects/LDN/budget/planner", data={**FORM, "add_custom": "Add another cost"})
    assert 'name="custom-3-what_for"' in more.get_data(as_text=True)


def test_a_saved_version_is_copied_into_the_planner_to_edit_as_a_new_version(app, client):
    with database(app) as session:
        make_project(session, code="LDN", starts_on=dt.date(2025, 4, 1))
    manager, finance = add_user(app, "pm@example.org", ["project_manager"]), add_user(app, "f@example.org",
                                                                                       ["finance"])
    assign_project(app, "LDN", manager, by=finance)
    sign_in(client, "pm@example.org")
    saved = client.post("/projects/LDN/budget/planner", data={**FORM, "bsl_rate": "45", "save": "Save"})
    assert saved.status_code == 302
    assert "budget/planner?copy=1" in client.get("/projects/LDN/budget/versions/1").get_data(as_text=True)
    copied = client.get("/projects/LDN/budget/planner?copy=1").get_data(as_text=True)
    assert 'value="2025-06-04"' in copied

    def input_named(name):
        return re.search(rf'<input[^>]*name="{name}"[^>]*>', copied).group(0)

    assert 'value="2"' in input_named("people_member") and 'value="45.00"' in input_named("bsl_rate")
    assert 'value="3"' in input_named("bsl_hours") and 'value="Panel"' in input_named("meetings-0-title")
    again = client.post("/projects/LDN/budget/planner", data={**FORM, "bsl_rate": "45.00", "save": "Save"})
    assert again.headers["Location"].endswith("/projects/LDN/budget/versions/2")
