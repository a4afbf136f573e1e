"""In chromium: a project manager plans a co-production budget on the planner's pages, previews it, and saves it
as a version; every page visited passes ``check_page`` (axe-core, no sideways scroll at 320 px)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, add_user, assign_project, database, make_project
from tests.web.browser import check_page
from tests.web.test_browser import live_app, page  # noqa: F401  (the browser and the served app)

pytestmark = pytest.mark.browser


def test_a_manager_plans_a_budget_and_saves_a_version(live_app, page):  # noqa: F811
    with database(live_app) as session:
        make_project(session, code="LDN", starts_on=dt.date(2025, 4, 1))
    manager = add_user(live_app, "pm@example.org", ["project_manager"])
    assign_project(live_app, "LDN", manager, by=add_user(live_app, "f@example.org", ["finance"]))
    base = live_app.config["BASE_URL"]
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("pm@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/projects")  # a project manager lands on their projects
    check_page(page, "manager")

    page.goto(f"{base}/projects/LDN/budget/planner")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan the co-production budget")
    check_page(page, "manager")
    page.get_by_label("Name of this version").fill("Bid")
    meeting = page.get_by_role("group", name="Meeting 1")
    meeting.get_by_label("Title").fill("Panel")
    meeting.get_by_label("Date or month").fill("2025-06-04")
    meeting.get_by_label("Length in hours").fill("3")
    meeting.get_by_label("Preparation hours").fill("1")
    page.get_by_label("Members", exact=True).fill("2")
    page.locator("#bsl_count").fill("1")
    page.locator("#bsl_hours").fill("3")
    page.locator("#bsl_rate").fill("45")
    page.get_by_role("button", name="Preview the budget").click()
    # 2 x (4 hours at £12.60 = £50.40), and 1 x (3 hours at £45.00): £235.80 in all.
    expect(page.locator("main")).to_contain_text("Preview: £235.80")
    check_page(page, "manager")

    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_url(f"{base}/projects/LDN/budget/versions/1")
    expect(page.locator("main")).to_contain_text("2 x (4 hours at £12.60 = £50.40)")
    check_page(page, "manager")

    page.goto(f"{base}/projects/LDN/report")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Co-production report")
    check_page(page, "manager")  # the charts and the tables of the same figures

    # A project manager sets up a project of their own at the start of the work, and manages it.
    page.goto(f"{base}/projects")
    page.get_by_role("link", name="Set up a project").click()
    expect(page.locator("main")).to_contain_text("You will manage this project")
    check_page(page, "manager")
    page.get_by_label("Project name").fill("Peer research panel")
    page.get_by_label("Project code").fill("PEER")
    page.get_by_label("Cost centre").fill("CC-4420")
    page.get_by_label("Co-production budget, in pounds").fill("8000")
    start = page.get_by_role("group", name="Start date")
    start.get_by_label("Day").fill("1")
    start.get_by_label("Month").fill("10")
    start.get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Create the project").click()
    page.wait_for_url(f"{base}/projects/PEER")
    expect(page.locator("main")).to_contain_text("Peer research panel")
