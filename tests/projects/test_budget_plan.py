"""Budgeting co-production at the start of a project: the plan's formula and rounding, the stored cost lines, the
budget against what is committed and spent by line, and the same over HTTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ledger.claims import advances
from ledger.claims import services as claims
from ledger.errors import NotFound, ValidationError
from ledger.projects import services
from ledger.projects.budget import LINE_NAMES, BudgetPlanLine, plan_budget
from ledger.projects.models import Project, ProjectBudgetLine
from policies import pay
from policies.money import round_to_penny
from tests.factories import (
    RULEBOOK,
    RULES,
    add_user,
    api_token_for,
    assign_project,
    bearer,
    database,
    make_finance_user,
    make_participant,
    make_user,
)

TODAY = dt.date(2025, 6, 20)


def _plan(**changes):
    figures = dict(participants=6, meetings=4, meeting_hours="3", preparation_hours="1", hourly_rate_pence=1260,
                   expenses_per_person_per_meeting_pence=1500, access_costs_pence=50_000, contingency_percent="10")
    figures.update(changes)
    return {line.kind: line for line in plan_budget(**figures)}


# ---------------------------------------------------------------- the formula


def test_plan_is_people_times_meetings_times_hours_at_the_rate_plus_expenses_access_and_contingency():
    lines = _plan()
    assert list(lines) == ["fees", "travel_expenses", "access", "contingency"]
    assert lines["fees"].amount_pence == 6 * 4 * 5040  # 4 hours at £12.60 = £50.40 each time
    assert lines["travel_expenses"].amount_pence == 6 * 4 * 1500
    assert lines["access"].amount_pence == 50_000
    assert lines["contingency"].amount_pence == 20_696  # 10% of £2,069.60
    assert lines["fees"].basis == ("6 people x 4 meetings x 4 hours (3 hours meeting + 1 hour preparation) at "
                                   "£12.60 an hour = £50.40 each")
    assert lines["fees"].name == LINE_NAMES["fees"]


def test_each_fee_is_rounded_once_half_up_as_a_claim_is():
    # 2.75 hours at £12.85 is 3,533.75p: 3,534p each time, then times people and meetings (never re-rounded).
    lines = _plan(participants=3, meetings=2, meeting_hours="2.5", preparation_hours="0.25", hourly_rate_pence=1285)
    assert pay.fee_pence("2.75", "12.85") == 3534
    assert lines["fees"].amount_pence == 6 * 3534


def test_contingency_is_rounded_half_up_to_the_penny():
    lines = _plan(participants=0, meetings=0, access_costs_pence=1060, contingency_percent="2.5")
    assert lines["contingency"].amount_pence == 27  # 26.5p, half up (not to even)
    assert _plan(participants=0, meetings=0, access_costs_pence=1000, contingency_percent="0")["contingency"] \
        .amount_pence == 0


@given(people=st.integers(0, 200), meetings=st.integers(0, 50), hours=st.integers(0, 1000),
       preparation=st.integers(0, 1000), rate=st.integers(1, 5000), expenses=st.integers(0, 20_000),
       access=st.integers(0, 10**7), percent=st.integers(0, 10_000))
def test_any_plan_is_whole_pence_and_the_fees_are_whole_fees(people, meetings, hours, preparation, rate, expenses,
                                                              access, percent):
    meeting_hours, preparation_hours = Decimal(hours) / 100, Decimal(preparation) / 100  # two places at most
    lines = _plan(participants=people, meetings=meetings, meeting_hours=str(meeting_hours),
                  preparation_hours=str(preparation_hours), hourly_rate_pence=rate,
                  expenses_per_person_per_meeting_pence=expenses, access_costs_pence=access,
                  contingency_percent=str(Decimal(percent) / 100))
    one = pay.fee_pence(meeting_hours + preparation_hours, Decimal(rate) / 100)
    assert lines["fees"].amount_pence == people * meetings * one
    assert lines["travel_expenses"].amount_pence == people * meetings * expenses
    subtotal = lines["fees"].amount_pence + lines["travel_expenses"].amount_pence + access
    exact = Decimal(subtotal) * percent / 10_000
    assert abs(lines["contingency"].amount_pence - exact) <= Decimal("0.5")
    assert all(type(line.amount_pence) is int and line.amount_pence >= 0 for line in lines.values())


@pytest.mark.parametrize(("field", "value"), [
    ("meeting_hours", 2.5), ("meeting_hours", "2.555"), ("meeting_hours", "-1"), ("participants", -1),
    ("participants", True), ("hourly_rate_pence", 0), ("contingency_percent", "101"), ("access_costs_pence", 1.5),
])
def test_a_plan_refuses_floats_negatives_and_nonsense(field, value):
    with pytest.raises(ValidationError) as raised:
        _plan(**{field: value})
    assert field in raised.value.fields


# ---------------------------------------------------------------- stored cost lines


def _project(session, code: str = "PLAN-1") -> str:
    services.create_project(session, code=code, name="Carers' strategy", cost_centre="ASC-1", budget_pence=0,
                            starts_on=dt.date(2025, 4, 1))
    return code


def test_setting_the_lines_makes_the_budget_their_total(session):
    code = _project(session)
    manager = make_user(session, "pm@example.org", ["project_manager"]).id
    plan = services.set_budget_plan(session, code, list(_plan().values()), manager)
    assert plan.budget_pence == 120_960 + 36_000 + 50_000 + 20_696
    assert session.get(Project, session.execute(select(Project.id).where(Project.code == code)).scalar_one()) \
        .budget_pence == plan.budget_pence
    assert [line.kind for line in plan.lines] == ["fees", "travel_expenses", "access", "contingency"]
    assert plan.set_by_user_id == manager and plan.set_at is not None

    revised = services.set_budget_plan(session, code.lower(), [
        {"kind": "contingency", "amount_pence": 1_000}, {"kind": "fees", "name": "Fees at the London rate",
                                                         "amount_pence": 90_000}], manager)
    assert [(line.kind, line.name, line.amount_pence) for line in revised.lines] == [
        ("fees", "Fees at the London rate", 90_000), ("contingency", "Contingency", 1_000)]
    assert services.get_project(session, code).budget_pence == 91_000
    assert len(session.execute(select(ProjectBudgetLine)).scalars().all()) == 2


def test_bad_lines_change_nothing(session):
    code = _project(session)
    services.set_budget_plan(session, code, [BudgetPlanLine("fees", "Fees", 5_000)], None)
    for lines in ([{"kind": "fees", "amount_pence": 1}, {"kind": "fees", "amount_pence": 2}],
                  [{"kind": "lunch", "amount_pence": 1}], [{"kind": "fees", "amount_pence": -1}],
                  [{"kind": "fees", "amount_pence": 1.5}], []):
        with pytest.raises(ValidationError):
            services.set_budget_plan(session, code, lines, None)
    assert services.get_budget_plan(session, code).budget_pence == 5_000
    with pytest.raises(NotFound):
        services.set_budget_plan(session, "NOPE", [BudgetPlanLine("fees", "Fees", 1)], None)


def test_budget_position_splits_committed_and_spent_by_cost_line(session):
    code = _project(session)
    finance = make_finance_user(session).id
    manager = make_user(session, "pm@example.org", ["project_manager"]).id
    activity = services.schedule_activity(session, code, kind="advisory_meeting", occurs_on=dt.date(2025, 6, 4),
                                          duration_minutes=180, preparation_minutes=60, region="uk").id
    ann = make_participant(session, "Ann Jones", today=TODAY).id
    services.record_attendance(session, activity, ann, today=TODAY)
    services.set_budget_plan(session, code, [BudgetPlanLine("fees", "Fees", 10_000),
                                             BudgetPlanLine("travel_expenses", "Travel", 1_000),
                                             BudgetPlanLine("access", "Access", 20_000)], manager)

    def approved(claim_id: int) -> int:
        claims.submit_claim(session, claim_id, actor_user_id=manager)
        claims.approve_claim(session, claim_id, actor_user_id=finance, actor_participant_id=None, rules=RULES,
                             today=TODAY)
        return claim_id

    approved(claims.draft_fee_claim(session, activity_id=activity, participant_id=ann, actor_user_id=manager,
                                    rules=RULES)[0].id)
    approved(claims.create_expense_claim(
        session, participant_id=ann, activity_id=activity, idempotency_key="overnight", actor_user_id=manager,
        rules=RULES, lines=[{"category": "taxi", "description": "Taxi", "amount": "10.00"},
                            {"category": "support_worker", "description": "Support worker", "amount": "40.00"},
                            {"category": "accommodation", "description": "Hotel, the night before",
                             "amount": "60.00"}])[0].id)
    cancelled = approved(claims.create_expense_claim(
        session, participant_id=ann, activity_id=activity, idempotency_key="twice", actor_user_id=manager,
        rules=RULES, lines=[{"category": "taxi", "description": "Taxi (entered twice)", "amount": "10.00"}])[0].id)
    claims.cancel_claim(session, cancelled, actor_user_id=finance, today=dt.date(2025, 6, 21), rules=RULES)

    position = services.budget_position(session, code, as_at=dt.date(2025, 6, 30))
    lines = {line.kind: line for line in position.lines}
    assert (lines["fees"].committed_pence, lines["fees"].spent_pence) == (5040, 0)
    assert (lines["travel_expenses"].committed_pence, lines["travel_expenses"].remaining_pence) == (1_000, 0)
    assert (lines["access"].committed_pence, lines["access"].remaining_pence) == (10_000, 10_000)
    assert (position.budget_pence, position.committed_pence, position.people_involved) == (31_000, 16_040, 1)
    # On 20 June the duplicate taxi had not yet been reversed: the books then owed it too.
    then = services.budget_position(session, code, as_at=dt.date(2025, 6, 20))
    assert {line.kind: line.committed_pence for line in then.lines}["travel_expenses"] == 2_000
    assert services.budget_position(session, code, as_at=dt.date(2025, 6, 3)).committed_pence == 0


def test_the_positions_of_several_projects_read_together_are_each_ones_own_position(session):
    """The projects list reads every project's position at once: the same figures, project by project, as one
    project's position, however the claims, advances, activities and cost lines fall between them."""
    finance = make_finance_user(session).id
    asker = make_finance_user(session, "asker@example.org").id
    manager = make_user(session, "pm@example.org", ["project_manager"]).id
    ann = make_participant(session, "Ann Jones", today=TODAY).id
    bea = make_participant(session, "Bea Smith", email="bea@example.org", today=TODAY).id
    planned, whole, idle = _project(session, "PLANNED"), _project(session, "WHOLE"), _project(session, "IDLE")
    services.update_project(session, whole, {"budget_pence": 25_000}, actor_user_id=manager)
    services.set_budget_plan(session, planned, [BudgetPlanLine("fees", "Fees", 10_000),
                                                BudgetPlanLine("access", "Access", 20_000)], manager)

    def held(code: str, day: dt.date, *who: int) -> int:
        activity = services.schedule_activity(session, code, kind="advisory_meeting", occurs_on=day,
                                              duration_minutes=120, preparation_minutes=30, region="uk").id
        for participant in who:
            services.record_attendance(session, activity, participant, today=max(day, TODAY))
        return activity

    def approved(claim_id: int) -> int:
        claims.submit_claim(session, claim_id, actor_user_id=manager)
        claims.approve_claim(session, claim_id, actor_user_id=finance, actor_participant_id=None, rules=RULES,
                             today=TODAY)
        return claim_id

    def fee(activity: int, participant: int) -> int:
        return approved(claims.draft_fee_claim(session, activity_id=activity, participant_id=participant,
                                               actor_user_id=manager, rules=RULES)[0].id)

    def expenses(activity: int, key: str, *lines: tuple[str, str]) -> int:
        return approved(claims.create_expense_claim(
            session, participant_id=ann, activity_id=activity, idempotency_key=key, actor_user_id=manager,
            rules=RULES, lines=[{"category": c, "description": c, "amount": a} for c, a in lines])[0].id)

    early, later = held(planned, dt.date(2025, 6, 4), ann, bea), held(planned, dt.date(2025, 6, 18), ann)
    fee(early, ann), fee(early, bea), fee(later, ann)
    expenses(early, "taxi", ("taxi", "12.00"), ("support_worker", "30.00"))
    twice = expenses(later, "twice", ("taxi", "12.00"))
    claims.cancel_claim(session, twice, actor_user_id=finance, today=dt.date(2025, 6, 21), rules=RULES)
    film = held(whole, dt.date(2025, 6, 10), bea)
    fee(film, bea)
    expenses(film, "hotel", ("accommodation", "80.00"))
    held(whole, dt.date(2025, 7, 1), ann)  # after every date asked about but the last
    for pounds, paid_on in (("40.00", dt.date(2025, 6, 5)), ("15.00", dt.date(2025, 6, 19))):
        advance = advances.request_advance(session, participant_id=bea, project_code=whole, amount=pounds,
                                           purpose="Train to the film shoot", settle_by=dt.date(2025, 8, 1),
                                           today=TODAY, actor_user_id=asker).id
        advances.approve_advance(session, advance, actor_user_id=finance, actor_participant_id=None,
                                 second_approval_above_pence=10**9, today=TODAY)
        advances.mark_advance_paid(session, advance, paid_by="cheque", reference=f"CHQ {pounds}", paid_on=paid_on,
                                   actor_user_id=finance, today=dt.date(2025, 6, 30))
    codes = {p.id: p.code for p in services.list_projects(session)}

    for as_at in (dt.date(2025, 6, 3), dt.date(2025, 6, 20), dt.date(2025, 6, 30), dt.date(2025, 7, 2)):
        together = services.budget_positions(session, list(codes), as_at=as_at)
        one_by_one = {i: services.budget_position(session, code, as_at=as_at) for i, code in codes.items()}
        assert together == one_by_one, as_at
    by_code = {position.project_code: position for position in together.values()}
    assert by_code[planned].committed_pence > 0 and by_code[whole].spent_pence == 5_500
    assert (by_code[whole].activities_held, by_code[whole].people_involved) == (2, 2)
    assert by_code[idle].committed_pence == by_code[idle].spent_pence == by_code[idle].people_involved == 0
    assert services.budget_positions(session, [], as_at=TODAY) == {}
    assert services.budget_positions(session, [max(codes) + 1], as_at=TODAY) == {}


def test_a_project_without_cost_lines_shows_its_whole_budget(session):
    services.create_project(session, code="WHOLE", name="Film", cost_centre="CC", budget_pence=80_000,
                            starts_on=dt.date(2025, 4, 1))
    position = services.budget_position(session, "WHOLE", as_at=TODAY)
    assert [(line.kind, line.budget_pence) for line in position.lines] == [(None, 80_000)]
    assert position.notes and position.remaining_pence == 80_000


# ---------------------------------------------------------------- over HTTP


def test_managers_set_plan_and_read_a_budget_over_http(app, client):
    with database(app) as session:
        services.create_project(session, code="LDN", name="London panel", cost_centre="CC9", budget_pence=0,
                                starts_on=dt.date(2025, 6, 1))
        ann = make_participant(session, "Ann Jones", today=TODAY).id
    users = {"manager": add_user(app, "manager@example.org", ["project_manager"]),
             "finance": add_user(app, "finance@example.org", ["finance"]),
             "admin": add_user(app, "admin@example.org", ["admin"]),
             "participant": add_user(app, "ann.user@example.org", ["participant"], participant_id=ann)}
    tokens = {who: bearer(api_token_for(app, user_id, "budget tests")) for who, user_id in users.items()}
    assign_project(app, "LDN", users["manager"], by=users["finance"])

    put = client.put("/api/v1/projects/ldn/budget", headers=tokens["finance"], json={"lines": [
        {"kind": "fees", "amount_pence": 100_000}, {"kind": "access", "name": "BSL interpreters",
                                                    "amount_pence": 45_000}]})
    assert put.status_code == 200, put.json
    assert (put.json["budget_pence"], put.json["budget"]) == (145_000, "1450.00")
    assert client.get("/api/v1/projects/LDN", headers=tokens["manager"]).json["budget_pence"] == 145_000

    planned = client.post("/api/v1/projects/LDN/budget/plan", headers=tokens["manager"], json={
        "participants": 8, "meetings": 6, "meeting_hours": "2.5", "preparation_hours": "1",
        "expenses_per_person_per_meeting_pence": 2_000, "access_costs_pence": 60_000,
        "contingency_percent": "5", "region": "london"})
    assert planned.status_code == 200, planned.json
    rate = pay.hourly_rate(RULEBOOK, dt.date(2025, 6, 1), basis="real_living_wage", region="london").per_hour
    fees = 8 * 6 * pay.fee_pence("3.5", rate)
    subtotal = fees + 8 * 6 * 2_000 + 60_000
    amounts = {line["kind"]: line["amount_pence"] for line in planned.json["lines"]}
    assert amounts == {"fees": fees, "travel_expenses": 96_000, "access": 60_000,
                       "contingency": round_to_penny(Decimal(subtotal) * 5 / 100)}
    assert planned.json["budget_pence"] == sum(amounts.values())
    assert "at £13.85 an hour" in planned.json["lines"][0]["basis"]

    position = client.get("/api/v1/projects/LDN/budget?as_at=2025-06-30", headers=tokens["admin"])
    assert position.status_code == 200, position.json
    assert position.json["budget_pence"] == planned.json["budget_pence"]
    assert [(line["kind"], line["committed"], line["spent"]) for line in position.json["lines"]] == [
        ("fees", "0.00", "0.00"), ("travel_expenses", "0.00", "0.00"), ("access", "0.00", "0.00"),
        ("contingency", "0.00", "0.00")]

    assert client.put("/api/v1/projects/LDN/budget", headers=tokens["participant"],
                      json={"lines": []}).status_code == 403
    assert client.get("/api/v1/projects/LDN/budget", headers=tokens["participant"]).status_code == 403
    assert client.put("/api/v1/projects/LDN/budget", headers=tokens["admin"],
                      json={"lines": [{"kind": "fees", "amount_pence": 1}]}).status_code == 403
    floats = client.post("/api/v1/projects/LDN/budget/plan", headers=tokens["manager"], json={
        "participants": 8, "meetings": 6, "meeting_hours": 2.5})
    assert floats.status_code == 400 and "meeting_hours" in str(floats.json)
    duplicate = client.put("/api/v1/projects/LDN/budget", headers=tokens["manager"], json={"lines": [
        {"kind": "fees", "amount_pence": 1}, {"kind": "fees", "amount_pence": 2}]})
    assert duplicate.status_code == 400
    assert client.get("/api/v1/projects/LDN", headers=tokens["manager"]).json["budget_pence"] == \
        planned.json["budget_pence"]
    assert client.post("/api/v1/projects/NOPE/budget/plan", headers=tokens["manager"], json={
        "participants": 1, "meetings": 1, "meeting_hours": "1"}).status_code == 404
