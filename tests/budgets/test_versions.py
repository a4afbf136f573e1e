"""Saved budget versions: never overwritten, compared line by line, one approved as the baseline (an event), and
the baseline drawn down by approved claims with its warnings; the same over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from ledger.budgets import services
from ledger.budgets.models import BudgetVersion, BudgetVersionLine
from ledger.claims import services as claims
from ledger.errors import Conflict, ValidationError
from ledger.events.writer import events_of
from ledger.projects import services as projects
from policies.budget_rates import load_planning_defaults, with_planning_defaults
from policies.rulebook import load_rulebook
from tests.factories import (
    RULEBOOK,
    RULES,
    TODAY,
    add_user,
    api_token_for,
    assign_project,
    bearer,
    database,
    make_finance_user,
    make_participant,
    make_project,
    make_user,
)

PLANNER = with_planning_defaults(RULEBOOK, load_planning_defaults())
PRICING = {"rulebook": PLANNER, "pay_basis": "real_living_wage", "today": dt.date(2025, 5, 1)}


def _plan(members=1, meals=0):
    # Meal allowances at HMRC's £5 benchmark rate (away 5 hours or more).
    # One 3-hour meeting with an hour's preparation on 4 June 2025 at the Real Living Wage (£12.60): £50.40 each.
    return {"meetings": [{"title": "Panel", "on": "2025-06-04", "hours": "3", "preparation_hours": "1"}],
            "each_meeting": {"people": {"member": members}, "items": [{"kind": "meals_5_hours", "count": meals}]}}


def test_versions_are_kept_compared_line_by_line_and_one_approved_as_the_baseline(session):
    code = make_project(session).code
    manager = make_user(session, "pm@example.org", ["project_manager"]).id
    first = services.save_budget_version(session, code, _plan(members=4), label="Bid", actor_user_id=manager,
                                         **PRICING)
    second = services.save_budget_version(session, code, _plan(members=5, meals=5), label=None,
                                          actor_user_id=manager, **PRICING)
    assert (first.number, first.total_pence, second.number, second.total_pence) == (1, 4 * 5040, 2, 5 * 5040 + 2500)
    assert services.get_budget_version(session, code, 1).total_pence == 4 * 5040  # never overwritten

    compared = services.compare_budget_versions(session, code, 1, 2)
    assert [(line.description, line.before_pence, line.after_pence, line.difference_pence)
            for line in compared.lines] == [
        ("Panel (04 Jun 2025): Member", 4 * 5040, 5 * 5040, 5040),
        ("Panel (04 Jun 2025): Meal allowance (away 5 hours or more)", 0, 2500, 2500),  # HMRC £5
        ("Contingency: 0% of £277.00", 0, 0, 0),
    ]
    assert compared.difference_pence == 7_540

    services.approve_budget_baseline(session, code, 1, actor_user_id=manager)
    services.approve_budget_baseline(session, code, 2, actor_user_id=manager)
    assert [v.status for v in services.list_budget_versions(session, code)] == ["baseline", "superseded"]
    assert [(e.action, e.before, e.after) for e in events_of(session, "budget_version", first.id)] == [
        ("approve", "draft", "baseline"), ("supersede", "baseline", "superseded")]
    with pytest.raises(Conflict):
        services.approve_budget_baseline(session, code, 2, actor_user_id=manager)
    plan = projects.get_budget_plan(session, code)
    assert {line.kind: line.amount_pence for line in plan.lines} == {
        "fees": 5 * 5040, "travel_expenses": 2500, "contingency": 0}
    assert plan.budget_pence == 27_700


def test_the_database_refuses_to_overwrite_a_saved_version(session):
    code = make_project(session).code
    services.save_budget_version(session, code, _plan(), label=None, actor_user_id=None, **PRICING)
    session.commit()
    for change in (update(BudgetVersionLine).values(amount_pence=1), delete(BudgetVersionLine),
                   update(BudgetVersion).values(total_pence=1)):
        with pytest.raises(DBAPIError, match="never overwritten"):
            session.execute(change)
        session.rollback()
    session.execute(update(BudgetVersion).values(status="baseline"))  # only the status moves (by the workflow)


def test_a_bad_plan_saves_nothing(session):
    code = make_project(session).code
    with pytest.raises(ValidationError) as refused:
        services.save_budget_version(session, code, {"meetings": [{"on": "2025-06-04", "hours": "none"}]},
                                     label=None, actor_user_id=None, **PRICING)
    assert "meetings.0.hours" in refused.value.fields
    assert session.execute(select(func.count()).select_from(BudgetVersion)).scalar_one() == 0


def test_approved_claims_draw_down_the_baseline_with_warnings_and_a_rate_rise_is_foreseen(session, tmp_path):
    code = make_project(session).code
    finance = make_finance_user(session).id
    manager = make_user(session, "pm@example.org", ["project_manager"]).id
    services.save_budget_version(session, code, _plan(members=1), label=None, actor_user_id=manager, **PRICING)
    services.approve_budget_baseline(session, code, 1, actor_user_id=manager)
    activity = projects.schedule_activity(session, code, kind="advisory_meeting", occurs_on=dt.date(2025, 6, 4),
                                          duration_minutes=180, preparation_minutes=60, region="uk").id
    ann = make_participant(session, "Ann Jones", today=TODAY).id
    projects.record_attendance(session, activity, ann, today=TODAY)
    fee = claims.draft_fee_claim(session, activity_id=activity, participant_id=ann, actor_user_id=manager,
                                 rules=RULES)[0].id
    claims.submit_claim(session, fee, actor_user_id=manager)
    claims.approve_claim(session, fee, actor_user_id=finance, actor_participant_id=None, rules=RULES, today=TODAY)

    position, warnings = services.budget_against_reality(session, code, as_at=dt.date(2025, 6, 30), **PRICING)
    fees = next(line for line in position.lines if line.kind == "fees")
    assert (fees.budget_pence, fees.committed_pence, fees.remaining_pence) == (5040, 5040, 0)  # the plan = the claim
    assert [(w.level, w.message) for w in warnings] == [("over", "Fees: 100% used (£50.40 of £50.40).")]

    rise = tmp_path / "rise.toml"
    rise.write_text('[sources]\nlwf = { title = "An announced rise" }\n[[param]]\nkey = "wage.real_living_wage.uk"\n'
                    'value = 13.00\nunit = "GBP_per_hour"\neffective_from = 2025-06-01\nsource = ["lwf"]\n'
                    'confidence = "high"\n', encoding="utf-8")
    raised = with_planning_defaults(load_rulebook([rise]), load_planning_defaults())
    _, warnings = services.budget_against_reality(session, code, as_at=dt.date(2025, 6, 30),
                                                  **{**PRICING, "rulebook": raised})
    assert warnings[-1].message == ("Priced with the rates known today (1 lines at announced rates), the baseline "
                                    "plan comes to £52.00: £1.60 over its budget of £50.40.")


def test_the_planner_over_http(app, client):
    with database(app) as session:
        make_project(session, code="LDN", starts_on=dt.date(2025, 4, 1))
    manager, finance = add_user(app, "pm@example.org", ["project_manager"]), add_user(app, "f@example.org",
                                                                                       ["finance"])
    assign_project(app, "LDN", manager, by=finance)
    headers = bearer(api_token_for(app, manager))
    preview = client.post("/api/v1/projects/LDN/budget/preview", headers=headers, json=_plan(members=2))
    assert preview.status_code == 200, preview.json
    assert (preview.json["total_pence"], preview.json["lines"][0]["rule_key"]) == (2 * 5040, "wage.real_living_wage.uk")
    assert client.get("/api/v1/projects/LDN/budget/versions", headers=headers).json == []  # a preview saves nothing

    float_hours = client.post("/api/v1/projects/LDN/budget/versions", headers=headers,
                              json={"meetings": [{"on": "2025-06-04", "hours": 3.5}]})
    assert float_hours.status_code == 400 and "meetings.0.hours" in float_hours.json["error"]["fields"]
    no_rate = client.post("/api/v1/projects/LDN/budget/versions", headers=headers, json={
        "meetings": [{"on": "2025-06-04", "hours": "3"}], "project_items": [{"kind": "easy_read"}]})
    assert no_rate.status_code == 400 and "project_items.0.rate_pence" in no_rate.json["error"]["fields"]
    assert client.get("/api/v1/projects/LDN/budget/versions", headers=headers).json == []  # nothing half-written

    saved = client.post("/api/v1/projects/LDN/budget/versions", headers=headers,
                        json={"label": "Funding bid", **_plan(members=2)})
    assert saved.status_code == 201 and saved.json["number"] == 1 and saved.json["status"] == "draft"
    approved = client.post("/api/v1/projects/LDN/budget/versions/1/approve", headers=headers)
    assert approved.json["status"] == "baseline"
    baseline = client.get("/api/v1/projects/LDN/budget/baseline", headers=headers).json
    assert baseline["baseline"] == 1 and baseline["position"]["budget_pence"] == 2 * 5040
    assert client.get("/api/v1/projects/LDN/budget", headers=headers).json["budget_pence"] == 2 * 5040  # old API
