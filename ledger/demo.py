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
from ledger.books.periods import close_month
from ledger.books.posting import count_entries, post_entry
from ledger.books.records import PostingLine
from ledger.budgets import services as budgets
from ledger.claims import advances, corrections
from ledger.claims import services as claims
from ledger.db import utcnow
from ledger.demo_tasks import NEWCOMER, leave_tasks_for_participants
from ledger.errors import LedgerError
from ledger.organisation import BANK, FUNDING, open_organisation_accounts
from ledger.payments import runs
from ledger.people import services as people
from ledger.people.bank import BankCipher
from ledger.projects import services as projects
from ledger.projects.records import ActivityRecord
from ledger.timebank import services as timebank
from policies.budget_rates import load_planning_defaults, with_planning_defaults
from policies.rulebook import Rulebook
from policies.settings import PolicySettings

DEMO_USERS = (
    # email, name, roles, password
    ("admin@demo.example", "Ada Admin", ("admin",), "demo-admin-2026"),
    ("finance@demo.example", "Femi Finance", ("finance",), "demo-finance-2026"),
    ("finance2@demo.example", "Grace Second-Approver", ("finance",), "demo-finance2-2026"),
    ("manager@demo.example", "Priya Project-Manager", ("project_manager",), "demo-manager-2026"),
    ("participant@demo.example", "Siân Evans", ("participant",), "demo-participant-2026"),
    NEWCOMER,  # no bank details yet: created with the tasks left at the end of the year (ledger.demo_tasks)
)

#: Participant logins that show each benefit and format at work: (participant's place in NAMES, email, password,
#: who they are). Their benefits and preferred format follow from their place (BENEFIT_MIX, the formats cycle).
DEMO_PERSONAS = (
    (1, "carer@demo.example", "demo-carer-2026", "a carer on Carer's Allowance (email)"),
    (2, "universal-credit@demo.example", "demo-uc-2026", "a Universal Credit claimant (post)"),
    (15, "esa@demo.example", "demo-esa-2026", "an ESA claimant (email)"),
    (9, "easy-read@demo.example", "demo-easy-read-2026", "an easy-read reader"),
    (3, "large-print@demo.example", "demo-large-print-2026", "a large-print reader"),
)

LOGIN_HELP = "Demo users (email / password):\n" + "\n".join(
    f"  {roles[0]:<16} {email:<28} {password}" for email, _name, roles, password in DEMO_USERS
) + "\nParticipants to sign in as:\n" + "\n".join(
    f"  {who:<38} {email:<32} {password}" for _i, email, password, who in DEMO_PERSONAS
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


@dataclass
class _Year:
    """What every step of the demo year needs: the session, the dice, the dates, the rules and who acts."""

    session: Session
    rng: random.Random
    today: dt.date
    start: dt.date
    rulebook: Rulebook
    policy: PolicySettings
    cipher: BankCipher
    rules: claims.ClaimRules
    summary: Summary
    finance: int = 0
    finance2: int = 0
    manager: int = 0


def load_demo(
    session: Session, *, today: dt.date, rulebook: Rulebook, policy: PolicySettings, cipher: BankCipher
) -> Summary:
    """Fill an empty database with a year of activity ending ``today``; the caller commits.

    The steps run in a fixed order from one seeded random generator, so a given ``today`` always
    gives the same year.
    """
    start = (today - dt.timedelta(days=365)).replace(day=1)
    year = _Year(
        session=session, rng=random.Random(2026), today=today, start=start, rulebook=rulebook, policy=policy,
        cipher=cipher, summary=Summary(),
        rules=claims.ClaimRules(rulebook=rulebook, policy=policy, second_approval_above_pence=50_000),
    )
    _fund_the_year(year)
    _create_staff(year)
    groups = _create_groups(year)
    partners = _create_partners(year)
    participant_ids = [_enrol_participant(year, i, name, groups) for i, name in enumerate(NAMES)]
    year.summary.participants = len(participant_ids)
    _create_participant_login(year, participant_ids[0])
    _create_persona_logins(year, participant_ids)
    activities = [activity for project in PROJECTS for activity in _run_project(year, *project, participant_ids)]
    year.summary.projects = len(PROJECTS)
    year.summary.activities = len(activities)
    year.summary.claims = sum(_claim_for_activity(year, activity, attendees) for activity, attendees in activities)
    _correct_a_mistake(year)
    _pay_monthly_runs(year)
    _correct_after_payment(year)
    _spend_time_credits(year, participant_ids, partners)
    _leave_work_waiting(year, participant_ids)
    _lock_old_months(year)
    leave_tasks_for_participants(session, today=today, participant_id=participant_ids[0], finance=year.finance,
                                 manager=year.manager, rules=year.rules)
    _plan_a_budget(year)
    _approve_an_advance_for_the_next_run(year, participant_ids[0])
    year.summary.entries = count_entries(session)
    return year.summary


def _fund_the_year(year: _Year) -> None:
    open_organisation_accounts(year.session)
    post_entry(
        year.session,
        effective_date=year.start,
        description="Co-production budget for the year",
        postings=[PostingLine(BANK, 5_000_000, "GBP"), PostingLine(FUNDING, -5_000_000, "GBP")],
        idempotency_key="demo:funding",
        kind="funding",
    )


def _create_staff(year: _Year) -> None:
    """The staff users (the participant's login comes later, once there is a participant to link)."""
    users = {}
    for email, name, roles, password in DEMO_USERS:
        if "participant" in roles:
            continue
        users[roles[0] if email != "finance2@demo.example" else "finance2"] = create_user(
            year.session, email=email, display_name=name, password=password, roles=roles
        )
    year.finance, year.finance2 = users["finance"].id, users["finance2"].id
    year.manager = users["project_manager"].id


def _create_groups(year: _Year) -> list[int]:
    """User-led groups, each with bank details so fees given to them can be paid."""
    groups = [
        people.create_group(year.session, name=name, contact_name=contact, email=email).id
        for name, contact, email in (
            ("Voices Together", "Jo Bright", "hello@voices.example"),
            ("Carers' Circle Cymru", "Megan Rees", "post@carerscircle.example"),
            ("Recovery Café", "Sam Okoro", "team@recoverycafe.example"),
        )
    ]
    for group_id in groups:
        people.set_group_bank_details(
            year.session,
            year.cipher,
            group_id,
            sort_code=_sort_code(year.rng),
            account_number=f"{year.rng.randint(10_000_000, 99_999_999)}",
            account_name="Group account",
        )
    return groups


def _create_partners(year: _Year) -> list[int]:
    """Partner organisations where time credits are spent."""
    return [
        people.create_partner(year.session, name=name, description=description).id
        for name, description in (
            ("Hackney Leisure Centre", "Swimming and gym sessions, one credit an hour"),
            ("Brixton Pound", "Local currency scheme"),
            ("Theatre Royal", "Matinee tickets, two credits each"),
        )
    ]


def _default_reward(i: int) -> str:
    """Most participants are paid themselves; a few give fees to a group, take time credits or decline."""
    return {5: "paid_to_group", 7: "time_credits", 11: "decline"}.get(i % 13, "paid_to_me")


def _enrol_participant(year: _Year, i: int, name: str, groups: list[int]) -> int:
    """One participant: their details, the benefits they declared and (if paid) their bank details."""
    session, rng, start = year.session, year.rng, year.start
    age = rng.choice((17, 19, 24, 31, 38, 45, 52, 60, 67, 74))
    born = dt.date(year.today.year - age, rng.randint(1, 12), rng.randint(1, 28))
    reward = _default_reward(i)
    preferred = ("email", "email", "post", "large_print", "easy_read")[i % 5]
    first = name.split()[0].lower().replace("'", "")
    record = people.create_participant(
        session,
        name=name,
        preferred_name=name.split()[0],
        email=None if preferred == "post" else f"{first}.{i}@people.example",
        postal_address=f"{rng.randint(1, 120)} High Street\nTown\nAB{rng.randint(1, 9)} {rng.randint(1, 9)}CD",
        preferred_format=preferred,
        date_of_birth=born,
        default_reward=reward,
        default_group_id=groups[i % len(groups)] if reward == "paid_to_group" else None,
        today=start,
    )
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
            year.cipher,
            record.id,
            sort_code=_sort_code(rng),
            account_number=f"{rng.randint(10_000_000, 99_999_999)}",
            account_name=name,
        )
    return record.id


def _create_participant_login(year: _Year, participant_id: int) -> None:
    for email, name, roles, password in DEMO_USERS:
        if email == "participant@demo.example":
            create_user(
                year.session,
                email=email,
                display_name=name,
                password=password,
                roles=roles,
                participant_id=participant_id,
            )


def _create_persona_logins(year: _Year, participant_ids: list[int]) -> None:
    """A login for each persona, so that every benefit warning and format can be seen as the participant."""
    for place, email, password, _who in DEMO_PERSONAS:
        create_user(year.session, email=email, display_name=NAMES[place], password=password,
                    roles=("participant",), participant_id=participant_ids[place])


def _run_project(
    year: _Year, code: str, title: str, cost_centre: str, region: str, participant_ids: list[int]
) -> list[tuple[ActivityRecord, list[int]]]:
    """A project for the year: a dozen members, a weekday meeting every five to seven weeks, who came."""
    session, rng = year.session, year.rng
    projects.create_project(
        session,
        code=code,
        name=title,
        cost_centre=cost_centre,
        budget_pence=rng.choice((600_000, 900_000, 1_200_000, 1_500_000)),
        starts_on=year.start,
        project_manager_user_id=year.manager,
    )
    kind, minutes, prep = ACTIVITY_KINDS[code]
    members = rng.sample(participant_ids, 12)
    activities = []
    day = year.start + dt.timedelta(days=rng.randint(3, 20))
    while day < year.today - dt.timedelta(days=3):
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
    return activities


def _claim_for_activity(year: _Year, activity: ActivityRecord, attendees: list[int]) -> int:
    """Every attendee's fee (and some expenses) submitted and decided, and now and then a time credit award.

    Returns how many claims were made.
    """
    decided = activity.occurs_on + dt.timedelta(days=3)
    claim_count = 0
    for n, pid in enumerate(attendees):
        for claim_id in _claims_for_attendee(year, activity, n, pid):
            claim_count += 1
            _decide_claim(year, claim_id, decided)
    if activity.id % 7 == 0 and attendees:
        _award_time_credits(year, activity, attendees[0], decided)
        claim_count += 1
    return claim_count


#: Some attendees come to two sessions of the same fee on one day: the project manager confirms each is its own.
_SEPARATE_SESSION: dict[str, Any] = {"confirm_duplicate": True,
                                     "duplicate_reason": "A separate session on the same day"}


def _arrived(day: dt.date) -> dt.datetime:
    """When a claim for the work of ``day`` reached finance: the next morning (never later than now), so
    that the demonstration's claim-to-payment times are the year's, not the moment the demo was loaded."""
    return min(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(10), tzinfo=dt.UTC), utcnow())


def _claims_for_attendee(year: _Year, activity: ActivityRecord, n: int, pid: int) -> list[int]:
    """The attendee's fee, and for every third attendee an expense claim (every sixth also drove)."""
    session, rng, manager = year.session, year.rng, year.manager
    fee, _ = claims.draft_fee_claim(
        session, activity_id=activity.id, participant_id=pid, actor_user_id=manager, rules=year.rules
    )
    claims.submit_claim(session, fee.id, actor_user_id=manager, submitted_at=_arrived(activity.occurs_on),
                        **_SEPARATE_SESSION)
    if n % 3 != 0:
        return [fee.id]
    lines: list[dict[str, Any]] = [
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
        rules=year.rules,
    )
    claims.submit_claim(session, expense.id, actor_user_id=manager, submitted_at=_arrived(activity.occurs_on),
                        **_SEPARATE_SESSION)
    return [fee.id, expense.id]


def _decide_claim(year: _Year, claim_id: int, decided: dt.date) -> None:
    """A few claims go back for a receipt; the rest are approved (twice when the amount needs it)."""
    session = year.session
    if year.rng.random() < 0.03:
        claims.return_claim(
            session, claim_id, reason="Please add the receipt for the taxi.", actor_user_id=year.finance
        )
        return
    try:
        outcome = claims.approve_claim(
            session,
            claim_id,
            actor_user_id=year.finance,
            actor_participant_id=None,
            rules=year.rules,
            today=decided,
            override_reason="Participant told about the effect on their benefit and chose to be paid in full.",
        )
        if outcome.approvals < outcome.approvals_needed:
            claims.approve_claim(
                session,
                claim_id,
                actor_user_id=year.finance2,
                actor_participant_id=None,
                rules=year.rules,
                today=decided,
                override_reason="Second approval: participant told and agreed.",
            )
    except LedgerError as error:
        year.summary.notes.append(f"Claim {claim_id} not approved: {error.message}")


def _award_time_credits(year: _Year, activity: ActivityRecord, participant_id: int, decided: dt.date) -> None:
    session = year.session
    award, _ = claims.award_time_credits(
        session,
        participant_id=participant_id,
        minutes=120,
        idempotency_key=f"demo:tc:{activity.id}",
        activity_id=activity.id,
        actor_user_id=year.manager,
        description="Helped set up the room and greet people",
    )
    claims.submit_claim(session, award.id, actor_user_id=year.manager, submitted_at=_arrived(activity.occurs_on))
    claims.approve_claim(
        session, award.id, actor_user_id=year.finance, actor_participant_id=None, rules=year.rules, today=decided
    )


def _correct_a_mistake(year: _Year) -> None:
    """One mistake corrected: an approved fee cancelled (its accrual reversed)."""
    mistakes = claims.list_claims(year.session, status="approved", limit=5)
    if mistakes:
        claims.cancel_claim(
            year.session,
            mistakes[-1].id,
            actor_user_id=year.finance,
            today=year.today, rules=year.rules,
            reason="Attendance recorded against the wrong person",
        )


def _correct_after_payment(year: _Year) -> None:
    """One fee paid in error, reversed and repaid in full: the benefit check re-run for the week it was paid."""
    paid = [c for c in claims.list_claims(year.session, status="paid", limit=50)
            if c.is_fee and c.choice == "take" and c.paid_on is not None and c.paid_on <= year.today]
    if not paid:
        return
    claim = paid[0]
    corrections.reverse_paid_claim(year.session, claim.id, reason="Paid twice: the same meeting was claimed again",
                                   actor_user_id=year.finance, today=year.today)
    corrections.record_repayment(year.session, claim.id, amount_pence=claim.amount_pence, received_on=year.today,
                                 reference=f"BGC REFUND {claim.id}", actor_user_id=year.finance, today=year.today,
                                 rules=year.rules)


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _pay_monthly_runs(year: _Year) -> None:
    """A payment run for each finished month, drafted by one finance officer and confirmed by another."""
    month = year.start
    while month < year.today.replace(day=1):
        next_month = _next_month(month)
        cutoff = next_month - dt.timedelta(days=1)
        try:
            run = runs.draft_payment_run(
                year.session,
                cutoff_date=cutoff,
                payment_date=next_month + dt.timedelta(days=7),
                actor_user_id=year.finance,
                rulebook=year.rulebook,
                settings=year.policy,
                today=next_month + dt.timedelta(days=1),
            )
            runs.confirm_payment_run(
                year.session,
                run.id,
                actor_user_id=year.finance2,
                bank_reference=f"BACS-{month:%Y%m}",
                override_reason="Participants told before the run; all chose to be paid.",
            )
            year.summary.payment_runs += 1
        except LedgerError as error:
            year.summary.notes.append(f"Payment run for {month:%B %Y}: {error.message}")
        month = next_month


def _last_weekday_before(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _leave_work_waiting(year: _Year, participant_ids: list[int]) -> None:
    """This week's training day (a £220 flat fee): fees waiting for the personas' choices, and claims waiting
    for approval, so that every benefit warning can be seen: over the Carer's Allowance limit, Universal Credit
    reduced, over ESA's permitted-work limit."""
    session, manager = year.session, year.manager
    day = _last_weekday_before(year.today)
    activity = projects.schedule_activity(
        session, "TRAIN", kind="training_delivery", occurs_on=day, duration_minutes=360, preparation_minutes=60,
        region="london", title=f"Safeguarding training day ({day:%d %B})", location="Town Hall",
        flat_fee_pence=22_000)
    people_waiting = [participant_ids[0], *(participant_ids[place] for place, *_rest in DEMO_PERSONAS)]
    for pid in people_waiting:
        projects.record_attendance(session, activity.id, pid, today=day)
    fees = {pid: claims.draft_fee_claim(session, activity_id=activity.id, participant_id=pid, actor_user_id=manager,
                                        rules=year.rules)[0].id for pid in people_waiting}
    # The carer and the Universal Credit claimant have chosen (their standing choice): waiting for approval.
    for place in (1, 2):
        claims.submit_claim(session, fees[participant_ids[place]], actor_user_id=manager,
                            submitted_at=_arrived(day), **_SEPARATE_SESSION)
    expense, _ = claims.create_expense_claim(
        session, participant_id=participant_ids[15], activity_id=activity.id, actor_user_id=manager,
        lines=[{"category": "public_transport", "description": "Train to the training day", "amount": "18.40",
                "incurred_on": day}], idempotency_key=f"demo:waiting:{activity.id}", rules=year.rules)
    claims.submit_claim(session, expense.id, actor_user_id=manager, submitted_at=_arrived(day),
                        **_SEPARATE_SESSION)
    year.summary.claims += len(fees) + 1


def _approve_an_advance_for_the_next_run(year: _Year, participant_id: int) -> None:
    """An advance asked for and approved this week: the next payment run pays it by bank transfer."""
    try:
        asked = advances.request_advance(
            year.session, participant_id=participant_id, project_code=PROJECTS[0][0], amount="45.00",
            purpose="Train tickets to the regional advisory meeting", settle_by=year.today + dt.timedelta(days=21),
            today=year.today, actor_user_id=year.manager, request_key="demo:advance-for-next-run")
        advances.approve_advance(year.session, asked.id, actor_user_id=year.finance, actor_participant_id=None,
                                 second_approval_above_pence=year.rules.second_approval_above_pence, today=year.today)
    except LedgerError as error:
        year.summary.notes.append(f"Advance for the next run: {error.message}")


def _spend_time_credits(year: _Year, participant_ids: list[int], partners: list[int]) -> None:
    """Everyone with an hour of credits spends it at a partner."""
    for i, pid in enumerate(participant_ids):
        balance = timebank.time_credit_balance(year.session, pid)
        if balance >= 60:
            timebank.spend_time_credits(
                year.session,
                pid,
                partners[i % len(partners)],
                60,
                year.today - dt.timedelta(days=5),
                "Swim session",
                f"demo:spend:{pid}",
                year.finance,
                0,
            )


def _lock_old_months(year: _Year) -> None:
    """Months more than two months back are locked, as a finance team closes them: in order, with a reason."""
    month = year.start
    while month < (year.today.replace(day=1) - dt.timedelta(days=62)).replace(day=1):
        close_month(year.session, month, reason="Month end: the bank statement reconciled and every run confirmed",
                    actor_user_id=year.finance, today=year.today)
        month = _next_month(month)


def _demo_plan(year: _Year, *, bsl: bool) -> dict[str, Any]:
    """Four sessions over the next four months: a co-chair, members, travel, support and access."""
    first = _next_month(year.today)
    meetings = [{"title": "Peer researchers' session", "on": (first + dt.timedelta(days=9 + 28 * i)).isoformat(),
                 "hours": "3", "preparation_hours": "1"} for i in range(3)]
    meetings.append({"title": "Findings event", "month": _next_month(_next_month(first)).strftime("%Y-%m"),
                     "hours": "4", "preparation_hours": "2"})
    items: list[dict[str, Any]] = [
        # Fares have no published figure: the demo manager enters the ones they looked up for their own bid.
        {"kind": "travel_uk", "count": 5, "rate_pence": 1_260},
        {"kind": "travel_rural", "count": 2, "rate_pence": 2_340},
        {"kind": "mileage", "count": 1, "quantity": "36"}, {"kind": "meals_5_hours", "count": 9},
        {"kind": "personal_assistant", "count": 1, "quantity": "4"},
        {"kind": "accessible_venue", "rate_pence": 18_000},
    ]
    if bsl:
        items.append({"kind": "bsl_interpreter", "count": 2, "quantity": "4", "rate_pence": 4_500})
    return {"region": "uk", "roles": [{"role": "member"}, {"role": "co_chair", "hourly_rate_pence": 2_000}],
            "meetings": meetings, "each_meeting": {"people": {"member": 7, "co_chair": 1}, "items": items},
            "project_items": [{"kind": "easy_read", "count": 1, "rate_pence": 45_000}] if bsl else [],
            "contingency_percent": "10", "time_credit_hours": "60"}


def _plan_a_budget(year: _Year) -> None:
    """A project not yet started, planned for a funding bid: version 1 approved as the baseline, version 2 a draft."""
    session = year.session
    projects.create_project(session, code="PEER", name="Peer research on housing (planned)", cost_centre="CC-HSG-310",
                            budget_pence=0, starts_on=_next_month(year.today), project_manager_user_id=year.manager)
    pricing: dict[str, Any] = {"rulebook": with_planning_defaults(year.rulebook, load_planning_defaults()),
               "pay_basis": year.rules.pay_basis, "today": year.today, "actor_user_id": year.manager}
    try:
        budgets.save_budget_version(session, "PEER", _demo_plan(year, bsl=False), label="Funding bid", **pricing)
        budgets.approve_budget_baseline(session, "PEER", 1, actor_user_id=year.manager)
        budgets.save_budget_version(session, "PEER", _demo_plan(year, bsl=True), label="With BSL and easy read",
                                    **pricing)
    except LedgerError as error:  # the rules hold no pay rate yet for the months ahead
        year.summary.notes.append(f"The PEER budget plan was not priced: {error.message}")
