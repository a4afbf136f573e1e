"""How many SQL statements the busiest pages run (issue 12): a fixed number, however many rows they show.

The finance queue once ran five statements per claim waiting (1,010 for 200 rows); the participant's page
and the statement API a few more than they needed for the user and their roles. Each count here is a
ceiling a regression would cross: adding rows must not add statements.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from ledger import create_app
from ledger.books import queries
from ledger.claims import services
from ledger.people import services as people
from ledger.projects import services as projects
from tests.factories import (
    MEETING_DAY,
    RULES,
    TODAY,
    ClaimsWorld,
    api_token_for,
    bearer,
    claims_world,
    database,
    make_activity,
    make_participant,
    make_project,
    sign_in,
    submitted_fee,
)

# Ceilings: what each request runs today, which rows must not raise. "My money" runs 6 on SQLite (its BEGIN
# counted; 5 on PostgreSQL), within issue 12's at most 10: the user, a page of claims with their groups' names,
# what is owed with the last payments (``ledger.reports.my_money``), the participant, the time credits (one
# statement even for someone with none yet).
QUEUE_STATEMENTS = 25  # with the filter form (projects listed), the benefit re-checks to follow up, the cache's stamp
QUEUE_KEPT_STATEMENTS = 19  # looked at again with nothing changed: the benefit checks' six reads are skipped
MY_MONEY_STATEMENTS = 6
STATEMENT_API_STATEMENTS = 4  # the token, the account with its opening balance, the lines; SQLite's BEGIN
BALANCE_API_STATEMENTS = 3  # the token, the account with its balance; SQLite's BEGIN
PARTICIPANT_STATEMENT_STATEMENTS = 11  # 10 on PostgreSQL; SQLite counts its BEGIN
PROJECTS_LIST_STATEMENTS = 11  # the projects, their positions (seven kinds of row), the books' accounts; BEGIN


@contextmanager
def statements(app) -> Iterator[list[int]]:
    """Count the SQL statements the app's engine runs inside the block."""
    counted = [0]

    def one_more(*_args) -> None:
        counted[0] += 1

    engine = app.extensions["engine"]
    event.listen(engine, "before_cursor_execute", one_more)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", one_more)


@pytest.fixture
def world(app) -> ClaimsWorld:
    with database(app) as session:
        return claims_world(session)


def waiting_claims(app, world: ClaimsWorld, how_many: int, first: int = 0) -> None:
    """``how_many`` participants on benefits, each with a fee waiting for approval (a second one now and then)."""
    with database(app) as session:
        activity = make_activity(session, title="Panel", occurs_on=MEETING_DAY - dt.timedelta(days=7)).id
        for n in range(first, first + how_many):
            person = make_participant(session, f"Person{n} Waiting", email=f"person{n}@example.org")
            people.declare_benefits(session, person.id, declared_on=dt.date(2025, 4, 1), today=MEETING_DAY,
                                    benefits=[{"name": "carers_allowance", "week_start": "monday"}]
                                    if n % 2 else [{"name": "universal_credit", "work_allowance": "none",
                                                    "assessment_period_start_day": 10}])
            for activity_id in (world.activity_id, activity) if n % 3 == 0 else (world.activity_id,):
                projects.record_attendance(session, activity_id, person.id, today=MEETING_DAY)
                submitted_fee(session, world, person.id, activity_id)


def page_statements(app, client, path: str) -> tuple[int, str]:
    """The SQL statements one page runs, and the page."""
    with statements(app) as counted:
        page = client.get(path)
    assert page.status_code == 200
    return counted[0], page.get_data(as_text=True)


def test_the_claims_queue_runs_as_many_statements_for_50_claims_as_for_5(app, client, world):
    assert sign_in(client, "fin@example.org").status_code == 302
    waiting_claims(app, world, 4)
    few, page = page_statements(app, client, "/finance/claims")
    assert page.count('href="/finance/claims/') >= 5

    waiting_claims(app, world, 33, first=4)
    many, page = page_statements(app, client, "/finance/claims")

    assert page.count('href="/finance/claims/') >= 50
    assert many == few <= QUEUE_STATEMENTS


def test_the_claims_queue_looked_at_again_skips_the_benefit_checks_reads(app, client, world):
    """Nothing changed since the last look: the checks are kept (``ledger.claims.preview_cache``), and the page
    is the same. Writes elsewhere on the server (other test runs) leave this database's chain head, and the
    kept checks, alone."""
    assert sign_in(client, "fin@example.org").status_code == 302
    waiting_claims(app, world, 6)
    first, page = page_statements(app, client, "/finance/claims")
    again, page_again = page_statements(app, client, "/finance/claims")
    assert page_again == page
    assert again <= QUEUE_KEPT_STATEMENTS < first


def test_the_queue_checks_each_claim_as_approving_it_would(app, world):
    """The set-based previews say what one claim's preview says, claim by claim."""
    waiting_claims(app, world, 6)
    with database(app) as session:
        ids = [c.id for c in services.list_claims(session, status="submitted")]
        together = services.preview_approvals(session, ids, rules=RULES, today=MEETING_DAY)
        one_by_one = {claim_id: services.preview_approval(session, claim_id, rules=RULES, today=MEETING_DAY)
                      for claim_id in ids}
    assert together == one_by_one
    assert {p.policy.outcome for p in together.values() if p.policy} >= {"ok"}


def test_my_money_pages_the_claims_in_a_fixed_number_of_statements(app, client, world):
    waiting_claims(app, world, 1)
    with database(app) as session:
        for n in range(27):
            activity = make_activity(session, title=f"Meeting {n}", occurs_on=MEETING_DAY - dt.timedelta(days=n + 1)).id
            projects.record_attendance(session, activity, world.carer, today=MEETING_DAY)
            submitted_fee(session, world, world.carer, activity)
    assert sign_in(client, "sian@example.org").status_code == 302

    with statements(app) as counted:
        first = client.get("/my/money")
    second = client.get("/my/money?page=2")

    assert first.status_code == 200 and counted[0] <= MY_MONEY_STATEMENTS
    html = first.get_data(as_text=True)
    assert html.count('href="/my/claims/') >= 25 and "?page=2" in html and 'rel="prev"' not in html
    older = second.get_data(as_text=True)
    assert "?page=1" in older and 'rel="next"' not in older and "Meeting 0" in older
    assert client.get("/my/money?page=none").status_code == 400


def projects_with_claims(app, world: ClaimsWorld, codes: list[str], first: int = 0) -> None:
    """A project for each code, with a meeting Ann and Siân attended (one day apart, so that no fee looks like
    another's duplicate): Ann's fee approved, an expense claim of Siân's approved and a fee of hers waiting."""
    with database(app) as session:
        for n, code in enumerate(codes, start=first):
            make_project(session, code, name=f"Project {code}")
            activity = make_activity(session, code, title=f"Meeting of {code}",
                                     occurs_on=MEETING_DAY - dt.timedelta(days=n + 1)).id
            for person in (world.ann, world.carer):
                projects.record_attendance(session, activity, person, today=MEETING_DAY)
            _approve_fees(session, world, (activity,))
            expense, _ = services.create_expense_claim(
                session, participant_id=world.carer, activity_id=activity, idempotency_key=f"taxi-{code}",
                actor_user_id=world.manager, rules=RULES,
                lines=[{"category": "taxi", "description": "Taxi home", "amount": "12.50"}])
            services.submit_claim(session, expense.id, actor_user_id=world.manager)
            services.approve_claim(session, expense.id, actor_user_id=world.finance, actor_participant_id=None,
                                   rules=RULES, today=TODAY)
            submitted_fee(session, world, world.carer, activity)


def test_the_projects_list_runs_as_many_statements_for_eight_projects_as_for_two(app, client, world):
    """Each project's budget, commitments and books balances are read for all the projects listed at once."""
    assert sign_in(client, "fin@example.org").status_code == 302
    projects_with_claims(app, world, ["NORTH"])
    few, page = page_statements(app, client, "/projects")
    assert re.findall(r'href="/projects/([A-Z]+)"', page) == ["GUIDE", "NORTH"]

    projects_with_claims(app, world, ["EAST", "SOUTH", "WEST", "CITY", "COAST", "HILLS"], first=1)
    many, page = page_statements(app, client, "/projects")

    assert len(re.findall(r'href="/projects/([A-Z]+)"', page)) == 8
    assert page.count("£62.90") == page.count("£12.50") == 7  # each new project's commitments; its expenses
    assert many == few <= PROJECTS_LIST_STATEMENTS


def _approve_fees(session, world: ClaimsWorld, activity_ids) -> None:
    """A fee of Ann's for each activity, submitted and approved."""
    for activity_id in activity_ids:
        claim_id = submitted_fee(session, world, world.ann, activity_id)
        services.approve_claim(session, claim_id, actor_user_id=world.finance, actor_participant_id=None,
                               rules=RULES, today=MEETING_DAY)


def _counted_api_get(app, client, world: ClaimsWorld, path: str):
    """Finance's API answer to ``path`` and the statements it ran, counted on the second request: the token's
    first use is noted in a transaction of its own."""
    token = bearer(api_token_for(app, world.finance))
    client.get(path, headers=token)
    with statements(app) as counted:
        answer = client.get(path, headers=token)
    return answer, counted[0]


def test_the_statement_api_reads_the_token_user_and_roles_in_one_statement(app, client, world):
    with database(app) as session:
        _approve_fees(session, world, (world.activity_id, world.london_activity_id, world.flat_fee_activity_id))

    answer, counted = _counted_api_get(
        app, client, world,
        f"/api/v1/accounts/owed:participant:{world.ann}/statement?start=2025-01-01&end=2027-01-01&limit=100")

    assert answer.status_code == 200 and len(answer.get_json()["lines"]) == 3
    assert counted <= STATEMENT_API_STATEMENTS


def test_the_balance_api_reads_the_account_and_its_balance_in_one_statement(app, client, world):
    with database(app) as session:
        _approve_fees(session, world, (world.activity_id, world.london_activity_id))
    code = f"owed:participant:{world.ann}"

    with database(app) as session:  # the postings themselves, not the stored balance the API reads
        posted = queries.statement(session, code, dt.date(2000, 1, 1), dt.date(2100, 1, 1)).closing_balance

    now, counted = _counted_api_get(app, client, world, f"/api/v1/accounts/{code}/balance")
    assert now.status_code == 200 and counted <= BALANCE_API_STATEMENTS
    assert now.get_json()["balance"] == posted != 0 and now.get_json()["unit"] == "GBP"
    before, counted = _counted_api_get(app, client, world, f"/api/v1/accounts/{code}/balance?as_of=2000-01-01")
    assert before.get_json()["balance"] == 0 and counted <= BALANCE_API_STATEMENTS
    assert client.get("/api/v1/accounts/nobody/balance", headers=bearer(api_token_for(app, world.finance))
                      ).status_code == 404


def test_a_participants_statement_reads_their_three_accounts_in_a_fixed_number_of_statements(app, client, world):
    with database(app) as session:
        activities = [make_activity(session, title=f"Meeting {n}",
                                    occurs_on=MEETING_DAY - dt.timedelta(days=n + 1)).id for n in range(6)]
        for activity in activities:
            projects.record_attendance(session, activity, world.ann, today=MEETING_DAY)
        _approve_fees(session, world, activities)

    answer, counted = _counted_api_get(
        app, client, world, f"/api/v1/participants/{world.ann}/statement?start=2025-01-01&end=2027-01-01")

    assert answer.status_code == 200, answer.get_json()
    assert len(answer.get_json()["money"]["lines"]) >= 6
    assert counted <= PARTICIPANT_STATEMENT_STATEMENTS


def test_each_response_says_how_many_statements_it_ran_when_the_benchmark_asks(database_url, world, app):
    token = bearer(api_token_for(app, world.finance))
    counting = create_app({"DATABASE_URL": database_url, "TESTING": True, "COUNT_SQL_STATEMENTS": True,
                           "SECRET_KEY": "test-secret-key-test-secret-key-0123456789"})
    try:
        client = counting.test_client()
        client.get("/api/v1/trial-balance", headers=token)
        with statements(counting) as counted:
            answer = client.get("/api/v1/trial-balance", headers=token)
        assert answer.headers["X-SQL-Statements"] == str(counted[0]) and counted[0] >= 2
        assert "X-SQL-Statements" not in app.test_client().get("/api/v1/trial-balance", headers=token).headers
    finally:
        counting.extensions["engine"].dispose()
