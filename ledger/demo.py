"""Demo data: a year of co-production at a council, through the same service functions the app uses.

About 40 participants with varied benefits, user-led groups and partner organisations, five projects with
activities and attendance, fees, expenses, advances, time credits, monthly payment runs, a few rejected
and cancelled claims, and the older months locked. Deterministic for a given ``today``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ledger.auth.users import create_user
from ledger.books.posting import count_entries, lock_period, post_entry
from ledger.books.records import PostingLine
from ledger.claims import services as claims
from ledger.errors import LedgerError
from ledger.organisation import BANK, FUNDING, open_organisation_accounts
from ledger.payments import runs
from ledger.people import services as people
from ledger.people.bank import BankCipher
from ledger.projects import services as projects
from ledger.timebank import services as timebank
from policies.rulebook import Rulebook
from policies.settings import PolicySettings

DEMO_USERS = (
    # email, name, roles, password
    ("admin@demo.example", "Ada Admin", ("admin",), "demo-admin-2026"),
    ("finance@demo.example", "Femi Finance", ("finance",), "demo-finance-2026"),
    ("finance2@demo.example", "Grace Second-Approver", ("finance",), "demo-finance2-2026"),
    ("manager@demo.example", "Priya Project-Manager", ("project_manager",), "demo-manager-2026"),
    ("participant@demo.example", "Siân Evans", ("participant",), "demo-participant-2026"),
)

LOGIN_HELP = "Demo users (email / password):\n" + "\n".join(
    f"  {roles[0]:<16} {email:<28} {password}" for email, _name, roles, password in DEMO_USERS
)

NAMES = (
    "Siân Evans",
    "Ann O'Brien",
    "Dafydd ap Gwilym",
    "Zoë Clarke",
    "Mohammed Rahman",
    "Chloé Dubois",
    "Gwenllian Morgan",
    "Tomasz Wiśniewski",
    "Aoife Ní Bhriain",
    "Kwame Mensah",
    "Li Wei 李伟",
    "Priya Patel",
    "Olumide Adeyemi",
    "Ffion Hughes",
    "Seán Murphy",
    "Agnieszka Nowak",
    "Yusuf Demir",
    "Eilidh MacLeod",
    "Mary-Jane Watson",
    "Dmitri Иванов",
    "Fatima Begum",
    "Rhys Llewelyn",
    "Noémie Laurent",
    "Jack Thompson",
    "Amara Okafor",
    "Bethan Ŵyn Jones",
    "Ravi Sharma",
    "Hannah Goldberg",
    "Marcus Brown",
    "Ioana Popescu",
    "Nia Roberts",
    "Kofi Boateng",
    "Sophie Müller",
    "Aled Pryce",
    "Grace Kim",
    "Omar Farouk",
    "Ellie Whitfield",
    "Björn Andersson",
    "Tegan Price",
    "Joseph Nwosu",
)

BENEFIT_MIX: tuple[list[dict[str, Any]], ...] = (
    [],
    [{"name": "carers_allowance", "week_start": "monday"}],
    [{"name": "universal_credit", "work_allowance": "with_housing", "assessment_period_start_day": 10}],
    [{"name": "universal_credit", "work_allowance": "none", "assessment_period_start_day": 23}],
    [{"name": "esa", "permitted_work": "higher", "weekly_hours": "4"}, {"name": "pip"}],
    [{"name": "esa", "permitted_work": "lower", "weekly_hours": "0"}],
    [{"name": "housing_benefit", "disregard": "standard"}, {"name": "dla"}],
    [{"name": "pension_credit", "disregard": "standard"}, {"name": "state_pension"}],
    [{"name": "pip"}],
    [
        {"name": "universal_credit", "work_allowance": "without_housing", "assessment_period_start_day": 1},
        {"name": "pip"},
    ],
)

PROJECTS = (
    ("GUIDE", "Living well with dementia: a guide", "CC-ASC-110", "uk"),
    ("PANEL", "Recruiting social workers with people who use services", "CC-ASC-120", "london"),
    ("TRAIN", "Co-delivered safeguarding training", "CC-ASC-130", "london"),
    ("CARERS", "Carers' strategy co-production group", "CC-ASC-140", "uk"),
    ("YOUTH", "Care leavers' advisory board", "CC-CSC-210", "uk"),
)
ACTIVITY_KINDS = {
    "GUIDE": ("advisory_meeting", 150, 60),
    "PANEL": ("interview_panel", 360, 90),
    "TRAIN": ("training_delivery", 240, 120),
    "CARERS": ("advisory_meeting", 120, 30),
    "YOUTH": ("advisory_meeting", 120, 30),
}


@dataclass
class Summary:
    participants: int = 0
    projects: int = 0
    activities: int = 0
    claims: int = 0
    payment_runs: int = 0
    entries: int = 0
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = (
            f"Demo data: {self.participants} participants, {self.projects} projects, {self.activities} "
            f"activities, {self.claims} claims, {self.payment_runs} payment runs, {self.entries} journal entries."
        )
        return "\n".join([text, *self.notes])


def _sort_code(rng: random.Random) -> str:
    return f"{rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"


def load_demo(
    session: Session, *, today: dt.date, rulebook: Rulebook, policy: PolicySettings, cipher: BankCipher
) -> Summary:
    """Fill an empty database with a year of activity ending ``today``; the caller commits."""
    rng = random.Random(2026)
    summary = Summary()
    start = (today - dt.timedelta(days=365)).replace(day=1)
    rules = claims.ClaimRules(rulebook=rulebook, policy=policy, second_approval_above_pence=50_000)
    open_organisation_accounts(session)
    post_entry(
        session,
        effective_date=start,
        description="Co-production budget for the year",
        postings=[PostingLine(BANK, 5_000_000, "GBP"), PostingLine(FUNDING, -5_000_000, "GBP")],
        idempotency_key="demo:funding",
        kind="funding",
    )

    users = {}
    for email, name, roles, password in DEMO_USERS:
        if "participant" in roles:
            continue
        users[roles[0] if email != "finance2@demo.example" else "finance2"] = create_user(
            session, email=email, display_name=name, password=password, roles=roles
        )
    finance, finance2, manager = users["finance"].id, users["finance2"].id, users["project_manager"].id

    groups = [
        people.create_group(session, name=name, contact_name=contact, email=email).id
        for name, contact, email in (
            ("Voices Together", "Jo Bright", "hello@voices.example"),
            ("Carers' Circle Cymru", "Megan Rees", "post@carerscircle.example"),
            ("Recovery Café", "Sam Okoro", "team@recoverycafe.example"),
        )
    ]
    for group_id in groups:
        people.set_group_bank_details(
            session,
            cipher,
            group_id,
            sort_code=_sort_code(rng),
            account_number=f"{rng.randint(10_000_000, 99_999_999)}",
            account_name="Group account",
        )
    partners = [
        people.create_partner(session, name=name, description=description).id
        for name, description in (
            ("Hackney Leisure Centre", "Swimming and gym sessions, one credit an hour"),
            ("Brixton Pound", "Local currency scheme"),
            ("Theatre Royal", "Matinee tickets, two credits each"),
        )
    ]

    participant_ids = []
    for i, name in enumerate(NAMES):
        age = rng.choice((17, 19, 24, 31, 38, 45, 52, 60, 67, 74))
        born = dt.date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        reward = "paid_to_me"
        if i % 13 == 5:
            reward = "paid_to_group"
        elif i % 13 == 7:
            reward = "time_credits"
        elif i % 13 == 11:
            reward = "decline"
        preferred = ("email", "email", "post", "large_print", "easy_read")[i % 5]
        first = name.split()[0].lower().replace("'", "")
        email = None if preferred == "post" else f"{first}.{i}@people.example"
        record = people.create_participant(
            session,
            name=name,
            preferred_name=name.split()[0],
            email=email,
            postal_address=f"{rng.randint(1, 120)} High Street\nTown\nAB{rng.randint(1, 9)} {rng.randint(1, 9)}CD",
            preferred_format=preferred,
            date_of_birth=born,
            default_reward=reward,
            default_group_id=groups[i % len(groups)] if reward == "paid_to_group" else None,
            today=start,
        )
        participant_ids.append(record.id)
        benefits = BENEFIT_MIX[i % len(BENEFIT_MIX)]
        people.declare_benefits(
            session,
            record.id,
            benefits=benefits,
            declared_on=start,
            today=start,
            circumstances="Declared at the welcome meeting" if benefits else None,
        )
        if reward == "paid_to_me":
            people.set_bank_details(
                session,
                cipher,
                record.id,
                sort_code=_sort_code(rng),
                account_number=f"{rng.randint(10_000_000, 99_999_999)}",
                account_name=name,
            )
    summary.participants = len(participant_ids)
    for email, name, roles, password in DEMO_USERS:
        if "participant" in roles:
            create_user(
                session,
                email=email,
                display_name=name,
                password=password,
                roles=roles,
                participant_id=participant_ids[0],
            )

    activities = []
    for code, title, cost_centre, region in PROJECTS:
        projects.create_project(
            session,
            code=code,
            name=title,
            cost_centre=cost_centre,
            budget_pence=rng.choice((600_000, 900_000, 1_200_000, 1_500_000)),
            starts_on=start,
            project_manager_user_id=manager,
        )
        kind, minutes, prep = ACTIVITY_KINDS[code]
        members = rng.sample(participant_ids, 12)
        day = start + dt.timedelta(days=rng.randint(3, 20))
        while day < today - dt.timedelta(days=3):
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            activity = projects.schedule_activity(
                session,
                code,
                kind=kind,
                occurs_on=day,
                duration_minutes=minutes,
                preparation_minutes=prep,
                region=region,
                title=f"{title.split(':')[0]} ({day:%B})",
                location="Town Hall",
                flat_fee_pence=None,
            )
            attendees = rng.sample(members, rng.randint(5, 9))
            for pid in attendees:
                projects.record_attendance(session, activity.id, pid, today=day)
            activities.append((activity, attendees))
            day += dt.timedelta(days=rng.randint(35, 50))
    summary.projects = len(PROJECTS)
    summary.activities = len(activities)

    claim_count = 0
    for activity, attendees in activities:
        decided = activity.occurs_on + dt.timedelta(days=3)
        for n, pid in enumerate(attendees):
            fee, _ = claims.draft_fee_claim(
                session, activity_id=activity.id, participant_id=pid, actor_user_id=manager, rules=rules
            )
            claims.submit_claim(session, fee.id, actor_user_id=manager)
            claim_ids = [fee.id]
            if n % 3 == 0:
                lines = [
                    {
                        "category": "public_transport",
                        "description": "Bus and train, return",
                        "amount": f"{rng.randint(4, 28)}.{rng.randint(0, 99):02d}",
                        "incurred_on": activity.occurs_on,
                    }
                ]
                if n % 6 == 0:
                    lines.append(
                        {
                            "category": "mileage",
                            "description": "Drove to the venue",
                            "miles": str(rng.randint(8, 60)),
                            "vehicle": "car",
                            "incurred_on": activity.occurs_on,
                        }
                    )
                expense, _ = claims.create_expense_claim(
                    session,
                    participant_id=pid,
                    activity_id=activity.id,
                    lines=lines,
                    actor_user_id=manager,
                    idempotency_key=f"demo:{activity.id}:{pid}",
                    rules=rules,
                )
                claims.submit_claim(session, expense.id, actor_user_id=manager)
                claim_ids.append(expense.id)
            for claim_id in claim_ids:
                claim_count += 1
                if rng.random() < 0.03:
                    claims.return_claim(
                        session, claim_id, reason="Please add the receipt for the taxi.", actor_user_id=finance
                    )
                    continue
                try:
                    outcome = claims.approve_claim(
                        session,
                        claim_id,
                        actor_user_id=finance,
                        actor_participant_id=None,
                        rules=rules,
                        today=decided,
                        override_reason="Participant told about the effect on their benefit and "
                        "chose to be paid in full.",
                    )
                    if outcome.approvals < outcome.approvals_needed:
                        claims.approve_claim(
                            session,
                            claim_id,
                            actor_user_id=finance2,
                            actor_participant_id=None,
                            rules=rules,
                            today=decided,
                            override_reason="Second approval: participant told and agreed.",
                        )
                except LedgerError as error:
                    summary.notes.append(f"Claim {claim_id} not approved: {error.message}")
        if activity.id % 7 == 0 and attendees:
            award, _ = claims.award_time_credits(
                session,
                participant_id=attendees[0],
                minutes=120,
                idempotency_key=f"demo:tc:{activity.id}",
                activity_id=activity.id,
                actor_user_id=manager,
                description="Helped set up the room and greet people",
            )
            claims.submit_claim(session, award.id, actor_user_id=manager)
            claims.approve_claim(
                session, award.id, actor_user_id=finance, actor_participant_id=None, rules=rules, today=decided
            )
            claim_count += 1
    summary.claims = claim_count

    # One mistake corrected: an approved fee cancelled (its accrual reversed).
    mistakes = claims.list_claims(session, status="approved", limit=5)
    if mistakes:
        claims.cancel_claim(
            session,
            mistakes[-1].id,
            actor_user_id=finance,
            today=today, rules=rules,
            reason="Attendance recorded against the wrong person",
        )

    month = start
    while month < today.replace(day=1):
        next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        cutoff = next_month - dt.timedelta(days=1)
        try:
            run = runs.draft_payment_run(
                session,
                cutoff_date=cutoff,
                payment_date=next_month + dt.timedelta(days=7),
                actor_user_id=finance,
                rulebook=rulebook,
                settings=policy,
                today=next_month + dt.timedelta(days=1),
            )
            runs.confirm_payment_run(
                session,
                run.id,
                actor_user_id=finance2,
                bank_reference=f"BACS-{month:%Y%m}",
                override_reason="Participants told before the run; all chose to be paid.",
            )
            summary.payment_runs += 1
        except LedgerError as error:
            summary.notes.append(f"Payment run for {month:%B %Y}: {error.message}")
        month = next_month

    for i, pid in enumerate(participant_ids):
        balance = timebank.time_credit_balance(session, pid)
        if balance >= 60:
            timebank.spend_time_credits(
                session,
                pid,
                partners[i % len(partners)],
                60,
                today - dt.timedelta(days=5),
                "Swim session",
                f"demo:spend:{pid}",
                finance,
                0,
            )

    month = start
    while month < (today.replace(day=1) - dt.timedelta(days=62)).replace(day=1):
        lock_period(session, month, actor_user_id=finance)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    summary.entries = count_entries(session)
    return summary
