"""Records the claim tests stand on: a project, its meetings, participants who attended, staff users.

The meetings are in the week of Monday 2 June 2025 (2025-26: Real Living Wage £12.60 in the UK and £13.85 in
London; Carer's Allowance earnings limit £196 a week). Approving on ``TODAY`` means payment on the earliest
Bacs date after it, so every fee approved that day is tested in the same benefit week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.auth.users import create_user, issue_token
from ledger.books.models import JournalEntry
from ledger.claims import services
from ledger.claims.models import Claim
from ledger.claims.services import ClaimRules
from ledger.db import unit_of_work
from ledger.events.models import Event
from ledger.people.services import create_group, create_participant, declare_benefits
from ledger.projects.services import create_project, record_attendance, schedule_activity
from policies.rulebook import load_rulebook
from policies.settings import PolicySettings

MEETING_DAY = dt.date(2025, 6, 4)  # a Wednesday
TODAY = dt.date(2025, 6, 5)


@dataclass
class World:
    project_code: str
    activity_id: int  # 3 hours + 1 hour preparation, paid by the hour, outside London
    london_activity_id: int  # the same in London
    flat_fee_activity_id: int  # a £150 flat fee, the same week
    ann: int  # declares no benefits
    carer: int  # gets Carer's Allowance
    teen: int  # 17 on the meeting day
    group_id: int
    finance: int
    finance2: int
    finance_ann: int  # a finance officer who is also participant Ann
    manager: int
    carer_user: int  # the carer's own participant login


@pytest.fixture(scope="session")
def rulebook():
    return load_rulebook()


@pytest.fixture
def rules(rulebook) -> ClaimRules:
    return ClaimRules(rulebook=rulebook, policy=PolicySettings(), second_approval_above_pence=50_000)


def build_world(session: Session) -> World:
    finance = create_user(session, email="fin@example.org", display_name="Fin", password="finance-pass-1",
                          roles=["finance"])
    finance2 = create_user(session, email="fin2@example.org", display_name="Fin Two", password="finance-pass-2",
                           roles=["finance"])
    manager = create_user(session, email="pm@example.org", display_name="Pam", password="manager-pass-1",
                          roles=["project_manager"])
    create_project(session, code="GUIDE", name="Dementia guide", cost_centre="CC100", budget_pence=1_000_000,
                   starts_on=dt.date(2025, 4, 1))

    def meeting(region: str, title: str, flat_fee_pence: int | None = None) -> int:
        return schedule_activity(session, "GUIDE", kind="advisory_meeting", occurs_on=MEETING_DAY,
                                 duration_minutes=180, preparation_minutes=60, region=region, title=title,
                                 flat_fee_pence=flat_fee_pence).id

    activity = meeting("uk", "Advisory group")
    london = meeting("london", "Advisory group, London")
    flat = meeting("uk", "Film shoot", flat_fee_pence=15_000)
    ann = create_participant(session, name="Ann Jones", email="ann@example.org", date_of_birth=dt.date(1970, 1, 1),
                             today=MEETING_DAY)
    carer = create_participant(session, name="Siân Evans", email="sian@example.org",
                               date_of_birth=dt.date(1965, 5, 5), today=MEETING_DAY)
    teen = create_participant(session, name="Kai Brown", email="kai@example.org",
                              date_of_birth=dt.date(2008, 1, 15), today=MEETING_DAY)
    declare_benefits(session, carer.id, benefits=[{"name": "carers_allowance", "week_start": "monday"}],
                     declared_on=dt.date(2025, 4, 1), today=MEETING_DAY)
    group = create_group(session, name="Voices Together")
    for activity_id in (activity, london, flat):
        for pid in (ann.id, carer.id, teen.id):
            record_attendance(session, activity_id, pid, today=MEETING_DAY)
    finance_ann = create_user(session, email="ann.fin@example.org", display_name="Ann (finance)",
                              password="finance-pass-3", roles=["finance"], participant_id=ann.id)
    carer_user = create_user(session, email="sian@example.org", display_name="Siân", password="participant-1",
                             roles=["participant"], participant_id=carer.id)
    return World("GUIDE", activity, london, flat, ann.id, carer.id, teen.id, group.id, finance.id, finance2.id,
                 finance_ann.id, manager.id, carer_user.id)


@pytest.fixture
def world(session) -> World:
    built = build_world(session)
    session.commit()
    return built


# ---------------------------------------------------------------- helpers


def fee(session, world: World, participant: int | None = None, activity: int | None = None, *, rules) -> int:
    """Draft a fee (by the project manager) and return its claim id."""
    claim, _ = services.draft_fee_claim(session, activity_id=activity or world.activity_id,
                                        participant_id=participant or world.ann, actor_user_id=world.manager,
                                        rules=rules)
    return claim.id


def submitted_fee(session, world: World, participant: int | None = None, activity: int | None = None, *,
                  rules) -> int:
    claim_id = fee(session, world, participant, activity, rules=rules)
    services.submit_claim(session, claim_id, actor_user_id=world.manager)
    return claim_id


def approve(session, world: World, claim_id: int, rules, *, by: int | None = None, **kwargs):
    return services.approve_claim(session, claim_id, actor_user_id=by or world.finance, actor_participant_id=None,
                                  rules=rules, today=TODAY, **kwargs)


def count_rows(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def footprint(session) -> tuple[int, int, int]:
    """How many claims, events and journal entries there are: what a refused request must not change."""
    return count_rows(session, Claim), count_rows(session, Event), count_rows(session, JournalEntry)


def with_policy(rules: ClaimRules, **settings) -> ClaimRules:
    return replace(rules, policy=PolicySettings(**settings))


# ---------------------------------------------------------------- over HTTP


@dataclass
class Api:
    world: World
    tokens: dict[str, str]  # role name -> bearer token

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def api(app) -> Api:
    """The same records in the app's own database, and a bearer token for each kind of user."""
    with unit_of_work(app.extensions["session_factory"]) as session:
        built = build_world(session)
        tokens = {who: issue_token(session, user_id, "claims tests").token for who, user_id in (
            ("finance", built.finance), ("finance2", built.finance2), ("manager", built.manager),
            ("carer", built.carer_user))}
        teen_user = create_user(session, email="kai@example.org", display_name="Kai", password="participant-2",
                                roles=["participant"], participant_id=built.teen)
        tokens["teen"] = issue_token(session, teen_user.id, "claims tests").token
    return Api(built, tokens)


def app_footprint(app) -> tuple[int, int, int]:
    with unit_of_work(app.extensions["session_factory"]) as session:
        return footprint(session)
