"""A month of co-production through the services, to read documents back against what the books say.

``build_books`` makes one project's June 2025 the way people would (claims drafted, submitted and approved; an
advance; time credits; a payment run drafted and confirmed), so that the read models' tests, the documents CLI's
and the documents API's all check one set of books, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger.auth.users import create_user
from ledger.claims import services as claims
from ledger.config import DEV_BANK_DETAILS_KEY
from ledger.payments import runs
from ledger.people import services as people
from ledger.people.bank import BankCipher
from ledger.projects import services as projects
from ledger.reports.organisation import Organisation
from ledger.timebank.services import spend_time_credits
from policies.rulebook import load_rulebook
from policies.settings import PolicySettings

RULEBOOK = load_rulebook()
RULES = claims.ClaimRules(rulebook=RULEBOOK, policy=PolicySettings(), second_approval_above_pence=50_000)
CIPHER = BankCipher(DEV_BANK_DETAILS_KEY)
ORGANISATION = Organisation(name="Cyngor Sir Ynys Môn: Adult Social Care", address=("Llangefni", "LL77 7TW"),
                            contact=("Finance team", "finance@example.org"))
PROJECT = "GUIDE"
MEETING_1 = dt.date(2025, 6, 4)  # Wednesday
MEETING_2 = dt.date(2025, 6, 11)
MEETING_3 = dt.date(2025, 6, 18)
TODAY = dt.date(2025, 6, 20)  # approvals and the run's draft
PAY_ON = dt.date(2025, 6, 25)  # the run's payment date: Wednesday, in the Carer's Allowance week from 23 June
JUNE = (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
OVERRIDE = "Told the participant; they want to be paid in full."


@dataclass
class Books:
    finance: int
    manager: int
    ann: int  # Siân O'Brien: Carer's Allowance; fees, a smaller fee, expenses, an advance, time credits
    bea: int  # Bea: large print; Universal Credit and ESA; declines one fee, gives one to a group, claims bus fare
    cai: int  # no bank details: nothing paid
    ann_user: int
    bea_user: int
    group: int
    partner: int
    meetings: tuple[int, int, int]
    run_id: int
    draft_run_id: int | None = None


def _fee(session: Session, books_so_far: dict, activity: int, participant: int, *, choice: str | None = None,
         amount: str | None = None, group: int | None = None, approve: bool = True) -> int:
    record, _ = claims.draft_fee_claim(session, activity_id=activity, participant_id=participant,
                                       actor_user_id=books_so_far["manager"], rules=RULES)
    if choice:
        claims.record_choice(session, record.id, choice=choice, amount=amount, group_id=group,
                             actor_user_id=books_so_far["manager"])
    claims.submit_claim(session, record.id, actor_user_id=books_so_far["manager"])
    if approve:
        _approve(session, books_so_far, record.id)
    return record.id


def _approve(session: Session, books_so_far: dict, claim_id: int) -> None:
    claims.approve_claim(session, claim_id, actor_user_id=books_so_far["finance"], actor_participant_id=None,
                         rules=RULES, today=TODAY, override_reason=OVERRIDE)


def _expense(session: Session, books_so_far: dict, participant: int, activity: int, key: str, category: str,
             what: str, amount: str, advance_id: int | None = None) -> int:
    record, _ = claims.create_expense_claim(
        session, participant_id=participant, activity_id=activity, idempotency_key=key,
        lines=[{"category": category, "description": what, "amount": amount}],
        actor_user_id=books_so_far["manager"], rules=RULES, advance_id=advance_id)
    claims.submit_claim(session, record.id, actor_user_id=books_so_far["manager"])
    _approve(session, books_so_far, record.id)
    return record.id


def build_books(session: Session, *, confirm: bool = True) -> Books:
    """A month of one project: three meetings, three participants, a confirmed payment run on 25 June 2025."""
    ids: dict = {}
    ids["finance"] = create_user(session, email="fin@example.org", display_name="Fran Finance",
                                 password="finance-pass-1", roles=["finance"]).id
    ids["manager"] = create_user(session, email="pm@example.org", display_name="Pam Manager",
                                 password="manager-pass-1", roles=["project_manager"]).id
    projects.create_project(session, code=PROJECT, name="Dementia guide", cost_centre="CC100",
                            budget_pence=500_000, starts_on=dt.date(2025, 4, 1))
    meetings = tuple(
        projects.schedule_activity(session, PROJECT, kind="advisory_meeting", occurs_on=day_, duration_minutes=180,
                                   preparation_minutes=60, region="uk", title=f"Advisory group {n}").id
        for n, day_ in enumerate((MEETING_1, MEETING_2, MEETING_3), start=1)
    )
    group = people.create_group(session, name="Voices Together", postal_address="1 High Street\nLlangefni")
    people.set_group_bank_details(session, CIPHER, group.id, sort_code="40-00-00", account_number="87654321",
                                  account_name="Voices Together")
    partner = people.create_partner(session, name="Plas Arthur Leisure Centre")
    ann = people.create_participant(session, name="Siân O'Brien", email="sian@example.org",
                                    postal_address="2 Heol y Dŵr\nCaerdydd", date_of_birth=dt.date(1970, 1, 1),
                                    today=TODAY)
    bea = people.create_participant(session, name="Bea Ng", email="bea@example.org", preferred_format="large_print",
                                    date_of_birth=dt.date(1980, 2, 2), today=TODAY)
    cai = people.create_participant(session, name="Cai Jones", email="cai@example.org",
                                    date_of_birth=dt.date(1990, 3, 3), today=TODAY)
    people.set_bank_details(session, CIPHER, ann.id, sort_code="20-00-00", account_number="11112222",
                            account_name="S O'Brien")
    people.set_bank_details(session, CIPHER, bea.id, sort_code="20-00-00", account_number="33334444",
                            account_name="B Ng")
    people.declare_benefits(session, ann.id, declared_on=dt.date(2025, 4, 1), today=TODAY, benefits=[
        {"name": "carers_allowance", "week_start": "monday", "other_weekly_net_earnings": "150.00"}])
    people.declare_benefits(session, bea.id, declared_on=dt.date(2025, 4, 1), today=TODAY, benefits=[
        {"name": "universal_credit", "work_allowance": "with_housing", "assessment_period_start_day": 10},
        {"name": "esa", "permitted_work": "lower"}])
    for activity in meetings:
        for person in (ann.id, bea.id, cai.id):
            projects.record_attendance(session, activity, person, today=TODAY)

    # Ann: a fee taken, a smaller fee, one approved then cancelled (reversed); bus fare; an advance; time credits.
    _fee(session, ids, meetings[0], ann.id)
    _fee(session, ids, meetings[1], ann.id, choice="take_less", amount="20.00")
    cancelled = _fee(session, ids, meetings[2], ann.id)
    claims.cancel_claim(session, cancelled, actor_user_id=ids["finance"], today=TODAY, reason="Recorded twice")
    _expense(session, ids, ann.id, meetings[0], "ann-bus", "public_transport", "Return bus fare", "8.40")
    advance = claims.pay_advance(session, participant_id=ann.id, project_code=PROJECT, amount="30.00",
                                 paid_on=dt.date(2025, 6, 9), idempotency_key="ann-taxi", actor_user_id=ids["finance"],
                                 activity_id=meetings[1])
    _expense(session, ids, ann.id, meetings[1], "ann-taxi-receipt", "taxi", "Taxi to the meeting", "25.00",
             advance_id=advance.id)
    claims.settle_advance_surplus(session, advance.id, how="returned", on=dt.date(2025, 6, 16),
                                  actor_user_id=ids["finance"])
    award, _ = claims.award_time_credits(session, participant_id=ann.id, minutes=150, idempotency_key="ann-time",
                                         actor_user_id=ids["manager"], project_code=PROJECT,
                                         description="Reading group")
    claims.submit_claim(session, award.id, actor_user_id=ids["manager"])
    _approve(session, ids, award.id)
    spend_time_credits(session, ann.id, partner.id, 60, dt.date(2025, 6, 21), "Swimming", "ann-swim",
                       ids["finance"], today=dt.date(2025, 6, 21))

    # Bea: declines the first fee, gives the second to a group, takes the third; bus fare.
    _fee(session, ids, meetings[0], bea.id, choice="decline")
    _fee(session, ids, meetings[1], bea.id, choice="redirect", group=group.id)
    _fee(session, ids, meetings[2], bea.id)
    _expense(session, ids, bea.id, meetings[0], "bea-bus", "public_transport", "Bus fare", "4.20")
    # Cai: a fee, but no bank details, so it waits for a later run.
    _fee(session, ids, meetings[0], cai.id)

    run = runs.draft_payment_run(session, cutoff_date=TODAY, payment_date=PAY_ON, actor_user_id=ids["finance"],
                                 rulebook=RULEBOOK, settings=RULES.policy, today=TODAY)
    if confirm:
        runs.confirm_payment_run(session, run.id, actor_user_id=ids["finance"], bank_reference="BACS-1",
                                 override_reason="Each payee has been told and agrees.")
    ann_user = create_user(session, email="sian.user@example.org", display_name="Siân", password="participant-1",
                           roles=["participant"], participant_id=ann.id).id
    bea_user = create_user(session, email="bea.user@example.org", display_name="Bea", password="participant-2",
                           roles=["participant"], participant_id=bea.id).id
    session.flush()
    return Books(ids["finance"], ids["manager"], ann.id, bea.id, cai.id, ann_user, bea_user, group.id, partner.id,
                 meetings, run.id)
