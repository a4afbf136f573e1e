"""The records tests stand on, built through the real services, in one place shared by every test package.

A function taking a ``session`` writes in the caller's transaction: the caller commits, or the test's
rollback throws it all away. A function taking the ``app`` opens its own short unit of work on the app's
database, so that no transaction is left open while a request runs (SQLite takes its write lock when a
transaction begins).

Their dates are fixed, so what they build does not depend on the day the tests run. The meetings are in the
week of Monday 2 June 2025 (2025-26: Real Living Wage £12.60 in the UK and £13.85 in London; Carer's
Allowance earnings limit £196 a week); claims are approved and payment runs drafted on ``TODAY``, the
Thursday after. Every user's password is ``PASSWORD``.

Sections: the app's database (sign-in, tokens, counts), users and people, projects, claims (the claims
world), payment runs (the payments world), time credits, the books (a small chart, a realistic year), a
month of co-production for the documents, the policy engine's inputs, and running work all at once.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from html import unescape

from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.auth import users
from ledger.auth.models import User
from ledger.books import posting, queries
from ledger.books.kinds import PostingKind
from ledger.books.models import AccountBalance, AccountDailyTotal, JournalEntry, LockedPeriod, Posting
from ledger.books.records import Entry, PostingLine
from ledger.claims import advances
from ledger.claims import services as claims
from ledger.claims.models import Claim
from ledger.config import DEV_BANK_DETAILS_KEY
from ledger.context import reload_settings
from ledger.db import unit_of_work
from ledger.events.models import Event
from ledger.organisation import BANK, TIME_ISSUED, open_organisation_accounts
from ledger.payments import runs
from ledger.people import services as people
from ledger.people.accounts import participant_accounts
from ledger.people.bank import BankCipher
from ledger.projects import assignments
from ledger.projects import services as projects
from ledger.projects.accounts import project_accounts
from ledger.reports.organisation import Organisation
from ledger.timebank.services import spend_time_credits
from policies.payments import Payment
from policies.rulebook import load_rulebook
from policies.settings import DEFAULT_SETTINGS, PolicySettings

PASSWORD = "a long enough passphrase"
MEETING_DAY = dt.date(2025, 6, 4)  # a Wednesday
TODAY = dt.date(2025, 6, 5)  # approvals and payment-run drafts
PAY_ON = dt.date(2025, 6, 12)  # the payment date of the payments world's runs
PROJECT = "GUIDE"
RULEBOOK = load_rulebook()
RULES = claims.ClaimRules(rulebook=RULEBOOK, policy=PolicySettings(), second_approval_above_pence=50_000)
CIPHER = BankCipher(DEV_BANK_DETAILS_KEY)  # the key the app has in tests

_numbers = itertools.count(1)


# ---------------------------------------------------------------- the app's own database (HTTP tests)


def database(app: Flask):
    """A unit of work on the app's own database."""
    return unit_of_work(app.extensions["session_factory"])


def add_user(app: Flask, email: str, roles: Iterable[str], *, password: str = PASSWORD,
             participant_id: int | None = None, active: bool = True) -> int:
    """Create a user with these roles in the app's database and return their id.

    A participant user without a ``participant_id`` gets a participant record of their own.
    """
    with database(app) as session:
        return make_user(session, email, roles, password=password, participant_id=participant_id,
                         active=active).id


def api_token_for(app: Flask, user_id: int, name: str = "test script") -> str:
    """Issue an API token for the user and return it (shown once, as the tokens page does)."""
    with database(app) as session:
        return users.issue_token(session, user_id, name).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs):
    """Sign in through the login form (CSRF is off in the default ``app`` fixture)."""
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def csrf_token_in(html: str) -> str:
    """The CSRF token of the first form in a rendered page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def participant_of(app: Flask, user_id: int) -> int:
    """The participant record a participant user is linked to."""
    with database(app) as session:
        return session.get(User, user_id).participant_id


def entry_count(app: Flask) -> int:
    with database(app) as session:
        return count_rows(session, JournalEntry)


def app_footprint(app: Flask) -> tuple[int, int, int]:
    """``footprint`` of the app's database."""
    with database(app) as session:
        return footprint(session)


# ---------------------------------------------------------------- what a refusal must not change


def count_rows(session: Session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def footprint(session: Session) -> tuple[int, int, int]:
    """How many claims, claim events and journal entries there are: what a refused request must not change."""
    return count_rows(session, Claim), count_rows(session, Event), count_rows(session, JournalEntry)


def books_state(session: Session) -> tuple:
    """Everything the posting code writes, to show that a refusal wrote nothing."""
    return (
        count_rows(session, JournalEntry),
        count_rows(session, Posting),
        tuple(session.execute(select(AccountBalance.account_id, AccountBalance.balance, AccountBalance.postings_count)
                              .order_by(AccountBalance.account_id)).all()),
        tuple(session.execute(select(AccountDailyTotal.account_id, AccountDailyTotal.day, AccountDailyTotal.amount)
                              .order_by(AccountDailyTotal.account_id, AccountDailyTotal.day)).all()),
        count_rows(session, LockedPeriod),
    )


# ---------------------------------------------------------------- users and people


def make_user(session: Session, email: str = "user@example.org", roles: Iterable[str] = ("finance",), *,
              password: str = PASSWORD, display_name: str | None = None, participant_id: int | None = None,
              active: bool = True) -> User:
    """A user with these roles, named after their email unless ``display_name`` says otherwise.

    A participant user without a ``participant_id`` gets a participant record of their own.
    """
    roles = list(roles)
    local_part = email.split("@")[0]
    if "participant" in roles and participant_id is None:
        participant_id = make_participant(session, local_part, email=email).id
    user = users.create_user(session, email=email, display_name=display_name or local_part.title(),
                             password=password, roles=roles, participant_id=participant_id)
    user.is_active = active  # no service switches a user off yet
    session.flush()
    return user


def make_finance_user(session: Session, email: str = "fin@example.org", **overrides) -> User:
    return make_user(session, email, ["finance"], **overrides)


def make_participant(session: Session, name: str = "Ann Example", **overrides) -> people.ParticipantRecord:
    """A participant (emailed at their first name @example.org), recorded on ``TODAY``; their accounts open."""
    overrides.setdefault("email", f"{name.split()[0].lower()}@example.org")
    overrides.setdefault("today", TODAY)
    return people.create_participant(session, name=name, **overrides)


def make_group(session: Session, name: str = "Voices Together", **overrides) -> people.GroupRecord:
    return people.create_group(session, name=name, **overrides)


def make_partner(session: Session, name: str = "Leisure Centre", **overrides) -> people.PartnerRecord:
    return people.create_partner(session, name=name, **overrides)


def throwaway_cipher() -> BankCipher:
    """A bank details cipher with a key of its own, made for one test."""
    return BankCipher(Fernet.generate_key().decode())


# ---------------------------------------------------------------- projects and activities


def make_project(session: Session, code: str = PROJECT, **overrides) -> projects.ProjectRecord:
    """A project starting 1 April 2025, with a £10,000 budget; its fees and expenses accounts open."""
    fields = {"name": "Dementia guide", "cost_centre": "CC100", "budget_pence": 1_000_000,
              "starts_on": dt.date(2025, 4, 1), **overrides}
    return projects.create_project(session, code=code, **fields)


def make_activity(session: Session, project_code: str = PROJECT, **overrides) -> projects.ActivityRecord:
    """An advisory meeting on ``MEETING_DAY`` outside London: 3 hours, and 1 hour of preparation."""
    fields = {"kind": "advisory_meeting", "occurs_on": MEETING_DAY, "duration_minutes": 180,
              "preparation_minutes": 60, "region": "uk", **overrides}
    return projects.schedule_activity(session, project_code, **fields)


# ---------------------------------------------------------------- claims


@dataclass
class ClaimsWorld:
    """The ids of what ``claims_world`` recorded. Every user's password is ``PASSWORD``."""

    project_code: str
    activity_id: int  # 3 hours + 1 hour preparation, paid by the hour, outside London
    london_activity_id: int  # the same in London
    flat_fee_activity_id: int  # a £150 flat fee, the same week
    ann: int  # declares no benefits
    carer: int  # gets Carer's Allowance; signs in as sian@example.org
    teen: int  # 17 on the meeting day
    group_id: int
    finance: int  # fin@example.org
    finance2: int  # fin2@example.org
    finance_ann: int  # a finance officer who is also participant Ann
    manager: int  # pm@example.org, a project manager
    carer_user: int  # the carer's own participant login


def claims_world(session: Session) -> ClaimsWorld:
    """A project with three meetings on ``MEETING_DAY`` that three participants attended, and staff users.

    The project manager (Pam) manages the project, so is assigned to it and sees it.
    """
    finance = make_finance_user(session, "fin@example.org", display_name="Fin")
    finance2 = make_finance_user(session, "fin2@example.org", display_name="Fin Two")
    manager = make_user(session, "pm@example.org", ["project_manager"], display_name="Pam")
    make_project(session, PROJECT, project_manager_user_id=manager.id)  # Pam manages it, so is assigned to it
    activity = make_activity(session, title="Advisory group").id
    london = make_activity(session, region="london", title="Advisory group, London").id
    flat = make_activity(session, title="Film shoot", flat_fee_pence=15_000).id
    ann = make_participant(session, "Ann Jones", date_of_birth=dt.date(1970, 1, 1), today=MEETING_DAY)
    carer = make_participant(session, "Siân Evans", email="sian@example.org", date_of_birth=dt.date(1965, 5, 5),
                             today=MEETING_DAY)
    teen = make_participant(session, "Kai Brown", date_of_birth=dt.date(2008, 1, 15), today=MEETING_DAY)
    people.declare_benefits(session, carer.id, benefits=[{"name": "carers_allowance", "week_start": "monday"}],
                            declared_on=dt.date(2025, 4, 1), today=MEETING_DAY)
    group = make_group(session, "Voices Together")
    for activity_id in (activity, london, flat):
        for participant_id in (ann.id, carer.id, teen.id):
            projects.record_attendance(session, activity_id, participant_id, today=MEETING_DAY)
    finance_ann = make_finance_user(session, "ann.fin@example.org", display_name="Ann (finance)",
                                    participant_id=ann.id)
    carer_user = make_user(session, "sian@example.org", ["participant"], display_name="Siân", participant_id=carer.id)
    return ClaimsWorld(PROJECT, activity, london, flat, ann.id, carer.id, teen.id, group.id, finance.id, finance2.id,
                       finance_ann.id, manager.id, carer_user.id)


def draft_fee(session: Session, world: ClaimsWorld, participant: int | None = None, activity: int | None = None, *,
              rules: claims.ClaimRules = RULES) -> int:
    """Draft a fee (by the project manager; Ann's for the advisory group unless told) and return its claim id."""
    claim, _ = claims.draft_fee_claim(session, activity_id=activity or world.activity_id,
                                      participant_id=participant or world.ann, actor_user_id=world.manager,
                                      rules=rules)
    return claim.id


def submitted_fee(session: Session, world: ClaimsWorld, participant: int | None = None, activity: int | None = None,
                  *, rules: claims.ClaimRules = RULES) -> int:
    claim_id = draft_fee(session, world, participant, activity, rules=rules)
    claims.submit_claim(session, claim_id, actor_user_id=world.manager)
    return claim_id


def approve(session: Session, world: ClaimsWorld, claim_id: int, rules: claims.ClaimRules = RULES, *,
            by: int | None = None, **kwargs) -> claims.ApprovalOutcome:
    """Approve on ``TODAY``, as the first finance officer unless ``by`` says who."""
    return claims.approve_claim(session, claim_id, actor_user_id=by or world.finance, actor_participant_id=None,
                                rules=rules, today=TODAY, **kwargs)


def approved_fee_claim(session: Session, world: ClaimsWorld, participant: int | None = None,
                       activity: int | None = None, *, rules: claims.ClaimRules = RULES, **approval) -> int:
    """A fee drafted, submitted and approved through the claims workflow; its accrual is in the books."""
    claim_id = submitted_fee(session, world, participant, activity, rules=rules)
    approve(session, world, claim_id, rules, **approval)
    return claim_id


def with_policy(rules: claims.ClaimRules, **settings) -> claims.ClaimRules:
    return replace(rules, policy=PolicySettings(**settings))


# Receipts: real files, since receipts are opened, not only sniffed. The JPEG is a phone photo with the
# metadata a phone writes (maker, model, turned on its side, and where it was taken: GPS in London).
def _receipt_pdf(*, password: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=300)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _receipt_image(fmt: str, size: tuple[int, int] = (12, 8), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 190, 180)).save(out, format=fmt, **save)
    return out.getvalue()


def _phone_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Phonemaker", "Phone 12", 6  # maker, model, orientation
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 32.0, 10.0), 3: "W", 4: (0.0, 7.0, 30.0)})  # GPS
    return exif.tobytes()


RECEIPT_PDF = _receipt_pdf()
RECEIPT_PDF_ENCRYPTED = _receipt_pdf(password="secret")
RECEIPT_JPEG = _receipt_image("JPEG", exif=_phone_exif())
RECEIPT_PNG = _receipt_image("PNG")


# ---------------------------------------------------------------- payment runs


class PaymentsWorld:
    """A finance user (Fran), a project with an activity, and ways to add payees and approved claims."""

    def __init__(self, session: Session, today: dt.date = TODAY):
        self.session = session
        open_organisation_accounts(session)
        self.finance_id = make_finance_user(session, f"finance{next(_numbers)}@example.org", display_name="Fran").id
        self.project = make_project(session, PROJECT, name="Guide", cost_centre="CC1", budget_pence=10**7,
                                    starts_on=today - dt.timedelta(days=90))
        self.activity = make_activity(session, PROJECT, occurs_on=today - dt.timedelta(days=3), duration_minutes=120,
                                      preparation_minutes=0)

    def participant(self, name: str, *, bank: bool = True) -> int:
        """A participant, with bank details unless ``bank`` is false."""
        record = make_participant(self.session, name, email=f"p{next(_numbers)}@example.org")
        if bank:
            people.set_bank_details(self.session, CIPHER, record.id, sort_code="20-00-00",
                                    account_number=f"{10_000_000 + record.id:08d}", account_name=name)
        return record.id

    def group(self, name: str, *, bank: bool = True) -> int:
        record = make_group(self.session, name)
        if bank:
            people.set_group_bank_details(self.session, CIPHER, record.id, sort_code="40-00-00",
                                          account_number="87654321", account_name=name)
        return record.id

    def activity_on(self, day: dt.date) -> int:
        return make_activity(self.session, PROJECT, kind="review", occurs_on=day, duration_minutes=60,
                             preparation_minutes=0).id

    def claim(self, participant_id: int, pence: int, *, kind: str = "fee", group_id: int | None = None,
              activity_id: int | None = None, minutes: int = 120) -> int:
        return approved_claim(self.session, participant_id, pence, kind=kind, group_id=group_id,
                              activity_id=activity_id or self.activity.id, project_id=self.project.id,
                              minutes=minutes)

    def draft(self, *, cutoff: dt.date = TODAY, pay_on: dt.date = PAY_ON, today: dt.date = TODAY,
              settings: PolicySettings = DEFAULT_SETTINGS) -> runs.PaymentRunSummary:
        return runs.draft_payment_run(self.session, cutoff_date=cutoff, payment_date=pay_on,
                                      actor_user_id=self.finance_id, rulebook=RULEBOOK, settings=settings,
                                      today=today)

    def confirm(self, run_id: int, **kwargs) -> runs.PaymentRunSummary:
        kwargs.setdefault("bank_reference", "BACS-ACCEPTED-1")
        return runs.confirm_payment_run(self.session, run_id, actor_user_id=self.finance_id, **kwargs)


@dataclass(frozen=True)
class PaidOnAPage:
    """Ann's £40 fee paid in a confirmed run, in the app's own database, and finance (Fiona) signed in."""

    app: Flask
    ann: int
    claim: int
    run: int
    today: dt.date


def paid_and_signed_in(app: Flask, client: FlaskClient, *, today: dt.date, pence: int = 4000) -> PaidOnAPage:
    """The world of finance's correction pages: one fee paid by a run, and a finance user signed in."""
    app.config["LEDGER_TODAY"] = today.isoformat()
    reload_settings(app)
    with database(app) as session:
        world = PaymentsWorld(session)
        ann = world.participant("Ann Smith")
        claim = world.claim(ann, pence)
        run = world.draft()
        world.confirm(run.id)
    add_user(app, "fiona@example.org", ["finance"])
    assert sign_in(client, "fiona@example.org").status_code == 302
    return PaidOnAPage(app, ann, claim, run.id, today)


def text_of(response) -> str:
    """A page's words without its markup, spaces collapsed: what a person reads."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def approved_claim(session: Session, participant_id: int, pence: int, *, kind: str = "fee",
                   group_id: int | None = None, activity_id: int | None, project_id: int, minutes: int = 120,
                   project_code: str = PROJECT) -> int:
    """An approved claim of any amount and its accrual entry: what approving a claim leaves behind.

    Written directly, not through the claims workflow (whose fees are the hours at the rate), so that payment
    runs are tested with the amounts they need and apart from the workflow; the accrual is posted by the books.
    """
    n = next(_numbers)
    claim = Claim(
        participant_id=participant_id, project_id=project_id, activity_id=activity_id, kind=kind, status="approved",
        idempotency_key=f"test-claim:{n}", description=f"Test {kind} {n}",
        worked_minutes=minutes if kind == "fee" else None, offered_pence=pence, amount_pence=pence,
        choice=("redirect" if group_id else "take") if kind == "fee" else None, group_id=group_id,
    )
    session.add(claim)
    session.flush()
    owed = f"owed:group:{group_id}" if group_id else f"owed:participant:{participant_id}"
    side = "fees" if kind == "fee" else "expenses"
    entry = posting.post_entry(session, effective_date=dt.date(2025, 6, 1), description=f"Accrual of claim {claim.id}",
                               postings=[PostingLine(f"{side}:project:{project_code}", pence, "GBP"),
                                         PostingLine(owed, -pence, "GBP", kind="redirected" if group_id else kind)],
                               idempotency_key=f"claim-accrual:{claim.id}", kind="accrual")
    claim.accrual_entry_id = entry.id
    session.flush()
    return claim.id


# ---------------------------------------------------------------- time credits


def post_time_credits(session: Session, participant_id: int, minutes: int, on: dt.date = TODAY) -> Entry:
    """Time credits earned, posted as an approved time-credit claim posts them."""
    return posting.post_entry(session, effective_date=on, description=f"Time credits for participant {participant_id}",
                              postings=[PostingLine(TIME_ISSUED, minutes, "TIME"),
                                        PostingLine(f"time:participant:{participant_id}", -minutes, "TIME",
                                                    kind="time_credits")],
                              idempotency_key=f"award:{next(_numbers)}", kind="time_credits_awarded")


# ---------------------------------------------------------------- the books: a small chart of accounts

# code: (name, type, unit)
CHART = {
    "bank": ("Bank current account", "asset", "GBP"),
    "advance:participant:1": ("Advance held by Ann", "asset", "GBP"),
    "owed:participant:1": ("Owed to Ann", "liability", "GBP"),
    "owed:participant:2": ("Owed to Bilal", "liability", "GBP"),
    "owed:group:1": ("Owed to Carers Voice (user-led group)", "liability", "GBP"),
    "fees:project:guide": ("Co-production fees, dementia guide", "expense", "GBP"),
    "expenses:project:guide": ("Co-production expenses, dementia guide", "expense", "GBP"),
    "grant:council": ("Council co-production grant", "income", "GBP"),
    "equity:opening": ("Opening balances", "equity", "GBP"),
    "time:issued": ("Time credits issued", "equity", "TIME"),
    "time:participant:1": ("Ann's time credits", "liability", "TIME"),
    "time:partner:1": ("Time credits spent at the leisure centre", "liability", "TIME"),
}
JUNE_1 = dt.date(2025, 6, 1)


def open_chart(session: Session) -> None:
    """Open every account of ``CHART``, and nothing else: the books without participants or projects."""
    for code, (name, type_, unit) in CHART.items():
        posting.open_account(session, code=code, name=name, type=type_, unit=unit)


# What a line to a person's account is, when a test does not say: the books require every such line to say.
PERSON_KINDS = {"owed:participant:": "fee", "owed:group:": "redirected", "advance:participant:": "advance",
                "time:participant:": "time_credits"}


def kind_for(code: str) -> str | None:
    return next((kind for prefix, kind in PERSON_KINDS.items() if code.startswith(prefix)), None)


def line(code: str, amount: int, unit: str, memo: str | None = None) -> PostingLine:
    """A posting line, saying what it is when the account holds a person's money or time."""
    return PostingLine(code, amount, unit, memo, kind_for(code))


def post(session: Session, key: str, day: dt.date, *lines: tuple, description: str = "Fee for the advisory group",
         kind: str = "fee") -> Entry:
    """Post ``(code, amount)`` or ``(code, amount, memo)`` lines to ``CHART``, each in its account's unit."""
    postings = [line(x[0], x[1], CHART[x[0]][2], x[2] if len(x) > 2 else None) for x in lines]
    return posting.post_entry(session, effective_date=day, description=description, postings=postings,
                              idempotency_key=key, kind=kind)


def fee_entry(session: Session, key: str, day: dt.date, pence: int, payee: str = "owed:participant:1") -> Entry:
    """A fee approved: the project's fees (debit) against what is owed to the payee (credit)."""
    return post(session, key, day, ("fees:project:guide", pence), (payee, -pence))


# ---------------------------------------------------------------- the books: a realistic year

YEAR_START = dt.date(2025, 4, 1)
_YEAR_PARTICIPANTS = range(1, 9)
_YEAR_PROJECTS = ("dementia-guide", "panel2025", "Training_Course")
_YEAR_PARTNERS = (1, 2)
_HOURLY = 1360  # pence: a living-wage hourly fee
_TRICKY = (
    'Fee for "Experts by Experience" panel',
    "Travel: Brixton \\ Stockwell return; bus & tube",
    "Meeting notes:\nsecond line\r\nthird\tline",
    "(postponed) session; paid anyway",
    "*starred* and !banged! description ",
    "  Zoë's café, £4.50 ☕",
)
_YEAR_ACCOUNTS = [
    ("bank", "Bank current account", "asset", "GBP"),
    ("cash:petty", "Petty cash", "asset", "GBP"),
    ("equity:opening", "Opening balances", "equity", "GBP"),
    ("equity:reserves", "Reserves", "equity", "GBP"),
    ("grant:council", "Council co-production grant", "income", "GBP"),
    ("grant:lottery", "Lottery community fund", "income", "GBP"),
    ("owed:group:1", "Owed to Carers Voice", "liability", "GBP"),
    ("owed:group:2", "Owed to Speak Up Together", "liability", "GBP"),
    ("time:issued", "Time credits issued", "equity", "TIME"),
    ("time:lapsed", "Time credits lapsed", "income", "TIME"),
    ("time:bonus", "Time credits given as a welcome bonus", "expense", "TIME"),
    ("time:reserve", "Time credits held for partners", "asset", "TIME"),
    ("time:partner:1", "Time credits spent at the leisure centre", "liability", "TIME"),
    ("time:partner:2", "Time credits spent at the theatre", "liability", "TIME"),
    ("owed:participant:9", "Owed to a participant who left", "liability", "GBP"),
    *(account for p in _YEAR_PARTICIPANTS for account in (
        (f"owed:participant:{p}", f"Owed to participant {p}", "liability", "GBP"),
        (f"advance:participant:{p}", f"Advance held by participant {p}", "asset", "GBP"),
        (f"time:participant:{p}", f"Time credits of participant {p}", "liability", "TIME"),
    )),
    *(account for code in _YEAR_PROJECTS for account in (
        (f"fees:project:{code}", f"Co-production fees, project {code}", "expense", "GBP"),
        (f"expenses:project:{code}", f"Co-production expenses, project {code}", "expense", "GBP"),
    )),
]


@dataclass(frozen=True)
class Year:
    entries: int
    reversals: int
    locked: tuple[dt.date, ...]


def record_a_year(session: Session, seed: int = 2025) -> Year:
    """Post a realistic year of books (a few hundred entries) through the posting code; the caller commits.

    Three projects with meetings most weeks; fees, travel expenses, advances and their settlement; fees paid
    to a user-led group; monthly payment runs; time credits awarded and spent; grants; a handful of mistakes
    corrected by reversal; an account closed; months locked as the year goes on. Accounts of every type in
    pounds and in time credits, some with codes that need spelling out, and descriptions full of quotes,
    backslashes, semicolons and line breaks: what an export must reproduce.
    """
    rng = random.Random(seed)
    for code, name, type_, unit in _YEAR_ACCOUNTS:
        posting.open_account(session, code=code, name=name, type=type_, unit=unit)
    counter = iter(range(1, 100_000))
    posted = []

    def post(day, description, kind, *lines):
        postings = [line(code, amount, unit, memo) for code, amount, unit, memo in
                    ((*x, None) if len(x) == 3 else x for x in lines)]
        entry = posting.post_entry(session, effective_date=day, description=description, postings=postings,
                                   idempotency_key=f"year-{seed}-{next(counter)}", kind=kind)
        posted.append(entry)
        return entry

    post(YEAR_START, "Opening balance brought forward", "opening",
         ("bank", 2_500_000, "GBP"), ("cash:petty", 20_000, "GBP"), ("equity:opening", -2_520_000, "GBP"))
    post(YEAR_START, "Partners' time credit float", "time_credits",
         ("time:reserve", 6000, "TIME"), ("time:issued", -6000, "TIME"))
    # A participant who is paid once, then leaves: their account is closed.
    post(YEAR_START + dt.timedelta(days=3), "Fee for the launch event", "fee",
         ("fees:project:dementia-guide", 4080, "GBP"), ("owed:participant:9", -4080, "GBP"))
    post(YEAR_START + dt.timedelta(days=10), "Payment run: launch event", "payment",
         ("owed:participant:9", 4080, "GBP"), ("bank", -4080, "GBP"))
    posting.close_account(session, "owed:participant:9")

    locked = []
    reversed_ids: set[int] = set()
    day = YEAR_START
    while day < YEAR_START + dt.timedelta(days=364):
        if day.month in (4, 7, 10, 1) and day.day <= 7:
            source, grant = rng.choice(["grant:council", "grant:lottery"]), rng.randint(8, 20) * 100_000
            post(day, f"Quarterly grant from the {source.split(':')[1]}", "grant",
                 ("bank", grant, "GBP"), (source, -grant, "GBP"))
        for project in rng.sample(_YEAR_PROJECTS, rng.choice([0, 1, 1, 2])):
            meeting = day + dt.timedelta(days=rng.randint(0, 4))
            attended = rng.sample(list(_YEAR_PARTICIPANTS), rng.randint(2, 4))
            hours = rng.choice([2, 3, 4])
            for p in attended:
                description = rng.choice(_TRICKY) if rng.random() < 0.08 else f"Fee: {project} meeting, {hours}h + prep"
                if p in (3, 7) and rng.random() < 0.5:  # asked for the fee to go to their group
                    post(meeting, f"Fee redirected to a user-led group ({project})", "fee",
                         (f"fees:project:{project}", _HOURLY * (hours + 1), "GBP"),
                         (f"owed:group:{1 if p == 3 else 2}", -_HOURLY * (hours + 1), "GBP"))
                else:
                    post(meeting, description, "fee",
                         (f"fees:project:{project}", _HOURLY * (hours + 1), "GBP"),
                         (f"owed:participant:{p}", -_HOURLY * (hours + 1), "GBP",
                          f"{hours}h meeting + 1h preparation"))
                if rng.random() < 0.5:
                    fare = rng.randint(180, 2400)
                    if rng.random() < 0.3:  # paid in advance, settled by receipts a few days later
                        post(meeting - dt.timedelta(days=3), "Travel advance", "advance",
                             (f"advance:participant:{p}", fare, "GBP"), ("bank", -fare, "GBP"))
                        post(meeting + dt.timedelta(days=2), "Travel advance settled by receipts", "expense",
                             (f"expenses:project:{project}", fare, "GBP"), (f"advance:participant:{p}", -fare, "GBP"))
                    else:
                        post(meeting, "Travel expenses (receipted)", "expense",
                             (f"expenses:project:{project}", fare, "GBP"), (f"owed:participant:{p}", -fare, "GBP"))
                if rng.random() < 0.4:
                    post(meeting, f"Time credits for {project}", "time_credits",
                         ("time:issued", 60 * hours, "TIME"), (f"time:participant:{p}", -60 * hours, "TIME"))
        if rng.random() < 0.3:
            p = rng.choice(list(_YEAR_PARTICIPANTS))
            credits = -queries.balance(session, f"time:participant:{p}")
            if credits >= 60:
                partner = rng.choice(_YEAR_PARTNERS)
                post(day + dt.timedelta(days=5), "Time credits spent at a partner", "time_credits",
                     (f"time:participant:{p}", 60, "TIME"), (f"time:partner:{partner}", -60, "TIME"))
        if rng.random() < 0.1:
            post(day + dt.timedelta(days=1), "Welcome bonus and lapsed credits", "time_credits",
                 ("time:bonus", 30, "TIME"), ("time:lapsed", -20, "TIME"), ("time:issued", -10, "TIME"))
        candidates = [e for e in posted[-12:] if e.reverses_entry_id is None and e.id not in reversed_ids
                      and e.kind in ("fee", "expense")]
        if rng.random() < 0.15 and candidates:
            mistake = rng.choice(candidates)
            reversed_ids.add(mistake.id)
            posted.append(posting.reverse_entry(session, mistake.id, effective_date=day + dt.timedelta(days=6),
                                                description=f'Correction: "{mistake.description}" was wrong'[:500]))
        next_day = day + dt.timedelta(days=7)
        if next_day.month != day.month:
            # Month end: pay everyone what they are owed, then lock the month before last.
            run = []
            for code in [f"owed:participant:{p}" for p in _YEAR_PARTICIPANTS] + ["owed:group:1", "owed:group:2"]:
                owed = -queries.balance(session, code)
                if owed > 0:
                    run.append((code, owed, "GBP"))
            if run:
                post(next_day.replace(day=1) - dt.timedelta(days=1), f"Payment run {day:%B %Y}", "payment",
                     *run, ("bank", -sum(amount for _, amount, _ in run), "GBP"))
            month_before = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            if month_before >= YEAR_START:
                locked.append(posting.lock_period(session, month_before))
        day = next_day

    # The year's surplus moved to reserves.
    post(day, "Transfer to reserves", "transfer",
         ("equity:opening", 100_000, "GBP"), ("equity:reserves", -100_000, "GBP"))
    return Year(entries=len(posted), reversals=sum(1 for e in posted if e.reverses_entry_id is not None),
                locked=tuple(locked))


# ---------------------------------------------------------------- a month of co-production (documents)

JUNE = (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
JUNE_MEETINGS = (dt.date(2025, 6, 4), dt.date(2025, 6, 11), dt.date(2025, 6, 18))  # Wednesdays
JUNE_APPROVALS = dt.date(2025, 6, 20)  # approvals and the run's draft
JUNE_PAY_DAY = dt.date(2025, 6, 25)  # the run's payment date: Wednesday, in the Carer's Allowance week from 23 June
JUNE_OVERRIDE = "Told the participant; they want to be paid in full."
ORGANISATION = Organisation(name="Cyngor Sir Ynys Môn: Adult Social Care", address=("Llangefni", "LL77 7TW"),
                            contact=("Finance team", "finance@example.org"))


@dataclass
class MonthOfBooks:
    """The ids of what ``month_of_books`` recorded."""

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


def month_of_books(session: Session, *, confirm: bool = True) -> MonthOfBooks:
    """June 2025 on one project, through the services, the way people would record it.

    Three meetings and three participants; claims drafted, submitted and approved on ``JUNE_APPROVALS``; an
    advance; time credits earned and spent; a payment run for ``JUNE_PAY_DAY`` drafted and (unless told not
    to) confirmed.
    """
    finance = make_finance_user(session, "fin@example.org", display_name="Fran Finance").id
    manager = make_user(session, "pm@example.org", ["project_manager"], display_name="Pam Manager").id
    make_project(session, PROJECT, budget_pence=500_000)
    meetings = tuple(make_activity(session, PROJECT, occurs_on=day, title=f"Advisory group {n}").id
                     for n, day in enumerate(JUNE_MEETINGS, start=1))
    group = make_group(session, "Voices Together", postal_address="1 High Street\nLlangefni")
    people.set_group_bank_details(session, CIPHER, group.id, sort_code="40-00-00", account_number="87654321",
                                  account_name="Voices Together")
    partner = make_partner(session, "Plas Arthur Leisure Centre")
    ann = make_participant(session, "Siân O'Brien", email="sian@example.org", postal_address="2 Heol y Dŵr\nCaerdydd",
                           date_of_birth=dt.date(1970, 1, 1), today=JUNE_APPROVALS)
    bea = make_participant(session, "Bea Ng", preferred_format="large_print", date_of_birth=dt.date(1980, 2, 2),
                           today=JUNE_APPROVALS)
    cai = make_participant(session, "Cai Jones", date_of_birth=dt.date(1990, 3, 3), today=JUNE_APPROVALS)
    people.set_bank_details(session, CIPHER, ann.id, sort_code="20-00-00", account_number="11112222",
                            account_name="S O'Brien")
    people.set_bank_details(session, CIPHER, bea.id, sort_code="20-00-00", account_number="33334444",
                            account_name="B Ng")
    people.declare_benefits(session, ann.id, declared_on=dt.date(2025, 4, 1), today=JUNE_APPROVALS, benefits=[
        {"name": "carers_allowance", "week_start": "monday", "other_weekly_net_earnings": "150.00"}])
    people.declare_benefits(session, bea.id, declared_on=dt.date(2025, 4, 1), today=JUNE_APPROVALS, benefits=[
        {"name": "universal_credit", "work_allowance": "with_housing", "assessment_period_start_day": 10},
        {"name": "esa", "permitted_work": "lower"}])
    for activity in meetings:
        for person in (ann.id, bea.id, cai.id):
            projects.record_attendance(session, activity, person, today=JUNE_APPROVALS)

    def approve_with_reason(claim_id: int) -> None:
        claims.approve_claim(session, claim_id, actor_user_id=finance, actor_participant_id=None, rules=RULES,
                             today=JUNE_APPROVALS, override_reason=JUNE_OVERRIDE)

    def fee(activity: int, participant: int, *, choice: str | None = None, amount: str | None = None,
            group: int | None = None) -> int:
        record, _ = claims.draft_fee_claim(session, activity_id=activity, participant_id=participant,
                                           actor_user_id=manager, rules=RULES)
        if choice:
            claims.record_choice(session, record.id, choice=choice, amount=amount, group_id=group,
                                 actor_user_id=manager)
        claims.submit_claim(session, record.id, actor_user_id=manager)
        approve_with_reason(record.id)
        return record.id

    def expense(participant: int, activity: int, key: str, category: str, what: str, amount: str,
                advance_id: int | None = None) -> int:
        record, _ = claims.create_expense_claim(
            session, participant_id=participant, activity_id=activity, idempotency_key=key,
            lines=[{"category": category, "description": what, "amount": amount}], actor_user_id=manager,
            rules=RULES, advance_id=advance_id)
        claims.submit_claim(session, record.id, actor_user_id=manager)
        approve_with_reason(record.id)
        return record.id

    # Ann: a fee taken, a smaller fee, one approved then cancelled (reversed); bus fare; an advance; time credits.
    fee(meetings[0], ann.id)
    fee(meetings[1], ann.id, choice="take_less", amount="20.00")
    cancelled = fee(meetings[2], ann.id)
    claims.cancel_claim(session, cancelled, actor_user_id=finance, today=JUNE_APPROVALS, rules=RULES,
                        reason="Recorded twice")
    expense(ann.id, meetings[0], "ann-bus", "public_transport", "Return bus fare", "8.40")
    advance = claims.pay_advance(session, participant_id=ann.id, project_code=PROJECT, amount="30.00",
                                 paid_on=dt.date(2025, 6, 9), idempotency_key="ann-taxi", actor_user_id=finance,
                                 activity_id=meetings[1])
    expense(ann.id, meetings[1], "ann-taxi-receipt", "taxi", "Taxi to the meeting", "25.00", advance_id=advance.id)
    claims.settle_advance_surplus(session, advance.id, how="returned", on=dt.date(2025, 6, 16), actor_user_id=finance)
    award, _ = claims.award_time_credits(session, participant_id=ann.id, minutes=150, idempotency_key="ann-time",
                                         actor_user_id=manager, project_code=PROJECT, description="Reading group")
    claims.submit_claim(session, award.id, actor_user_id=manager)
    approve_with_reason(award.id)
    spend_time_credits(session, ann.id, partner.id, 60, dt.date(2025, 6, 21), "Swimming", "ann-swim", finance,
                       today=dt.date(2025, 6, 21))

    # Bea: declines the first fee, gives the second to a group, takes the third; bus fare.
    fee(meetings[0], bea.id, choice="decline")
    fee(meetings[1], bea.id, choice="redirect", group=group.id)
    fee(meetings[2], bea.id)
    expense(bea.id, meetings[0], "bea-bus", "public_transport", "Bus fare", "4.20")
    # Cai: a fee, but no bank details, so it waits for a later run.
    fee(meetings[0], cai.id)

    run = runs.draft_payment_run(session, cutoff_date=JUNE_APPROVALS, payment_date=JUNE_PAY_DAY,
                                 actor_user_id=finance, rulebook=RULEBOOK, settings=RULES.policy,
                                 today=JUNE_APPROVALS)
    if confirm:
        runs.confirm_payment_run(session, run.id, actor_user_id=finance, bank_reference="BACS-1",
                                 override_reason="Each payee has been told and agrees.")
    ann_user = make_user(session, "sian.user@example.org", ["participant"], display_name="Siân",
                         participant_id=ann.id).id
    bea_user = make_user(session, "bea.user@example.org", ["participant"], display_name="Bea",
                         participant_id=bea.id).id
    return MonthOfBooks(finance, manager, ann.id, bea.id, cai.id, ann_user, bea_user, group.id, partner.id, meetings,
                        run.id)


# ---------------------------------------------------------------- what the policy engine and its API are given


def payment(day: str, pounds: str, hours: str | None = None, kind: str = "fee") -> Payment:
    """A payment received on an ISO date, for an amount in pounds: the policy engine's input."""
    return Payment(received_on=dt.date.fromisoformat(day), amount_pence=int(Decimal(pounds) * 100), kind=kind,
                   hours=None if hours is None else Decimal(hours))


# The public calculator's worked example: a request to POST /api/v1/policy/check.
CONTRACT_EXAMPLE = {
    "benefits": [
        {"name": "carers_allowance", "week_start": "monday", "other_weekly_net_earnings": "0.00"},
        {
            "name": "universal_credit",
            "work_allowance": "with_housing",
            "assessment_period_start_day": 10,
            "other_monthly_net_earnings": "0.00",
        },
        {"name": "esa", "permitted_work": "higher", "weekly_hours": "6"},
        {"name": "housing_benefit", "disregard": "standard"},
        {"name": "pension_credit", "disregard": "standard"},
        {"name": "pip"},
    ],
    "region": "uk",
    "already_paid": [{"date": "2025-06-02", "amount": "40.00", "kind": "fee", "hours": "2"}],
    "proposed": {"date": "2025-06-04", "amount": "60.00", "kind": "fee", "hours": "3"},
}


# ---------------------------------------------------------------- at the same moment (PostgreSQL)


def all_at_once(count: int, work: Callable[[int, Callable[[], None]], object], *, timeout: float = 120) -> list:
    """Run ``work(i, ready)`` in ``count`` threads; ``ready()`` holds each thread until every one has called it.

    Returns what each returned or the exception it raised. Fails, instead of hanging or carrying on with a
    thread still running, when the threads have not all finished within ``timeout`` seconds.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            results[i] = work(i, lambda: barrier.wait(timeout=timeout))
        except Exception as error:  # collected for the test to inspect
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,), name=f"all-at-once-{i}", daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"still running after {timeout} s: {stuck}"
    return results


# ---------------------------------------------------------------- a fee paid by a run, or by hand (the books)

FEE_WEEK_PAID = dt.date(2025, 6, 9)  # Monday: the earliest payment date for approvals on TODAY


def pay_film_fee_by_a_run(session: Session, world: ClaimsWorld, *, payment_date: dt.date = FEE_WEEK_PAID) -> None:
    """The carer's £150 film-shoot fee approved and paid in a confirmed payment run."""
    approve(session, world, submitted_fee(session, world, world.carer, world.flat_fee_activity_id))
    run = runs.draft_payment_run(session, cutoff_date=TODAY, payment_date=payment_date, actor_user_id=world.finance,
                                 rulebook=RULEBOOK, settings=RULES.policy, today=TODAY)
    runs.confirm_payment_run(session, run.id, actor_user_id=world.finance2, bank_reference="BACS-1")


def pay_film_fee_by_hand(session: Session, world: ClaimsWorld, *, on: dt.date = FEE_WEEK_PAID) -> None:
    """Finance paid the carer £150 outside any run and recorded it: the fee, owed and paid, in one entry."""
    open_organisation_accounts(session)
    owed = participant_accounts(world.carer).owed
    posting.post_entry(session, effective_date=on, description="Fee for the film shoot, paid by cheque",
                       idempotency_key="manual:cheque-1", actor_user_id=world.finance, postings=[
                           PostingLine(project_accounts(PROJECT).fees, 15_000, "GBP"),
                           PostingLine(owed, -15_000, "GBP", kind=PostingKind.FEE),
                           PostingLine(owed, 15_000, "GBP", kind=PostingKind.FEE),
                           PostingLine(BANK, -15_000, "GBP"),
                       ])


FILM_FEE_PAID = {"by a payment run": pay_film_fee_by_a_run, "by a manual journal entry": pay_film_fee_by_hand}


# ---------------------------------------------------------------- users and access


def invitation_path(url: str) -> str:
    """The path of an invitation link (``/invitations/inv_...``), to open with the test client."""
    return url[url.index("/invitations/"):]


def invite_by_api(client: FlaskClient, admin_token: str, email: str, roles: Iterable[str] = ("finance",),
                  name: str = "New Person") -> dict:
    """Invite a user through the API and return its answer (the user and their one-time link)."""
    answer = client.post("/api/v1/users", json={"email": email, "display_name": name, "roles": list(roles)},
                         headers=bearer(admin_token))
    assert answer.status_code == 201, answer.json
    return answer.json


def accept_invitation(client: FlaskClient, url: str, password: str = PASSWORD):
    """Set a password through an invitation link, as the invitee does."""
    return client.post(invitation_path(url), data={"password": password, "confirm": password})


def assign_project(app: Flask, code: str, manager_id: int, *, by: int) -> None:
    """Assign a project manager to a project, as finance or an administrator (``by``) does."""
    with database(app) as session:
        assignments.assign_manager(session, code, manager_id, actor_user_id=by)


# ---------------------------------------------------------------- advances through approval


def set_today(app: Flask, day: dt.date) -> None:
    """Make the app's today ``day`` (``LEDGER_TODAY``), so settlement dates and overdue listings are fixed."""
    app.config["LEDGER_TODAY"] = day.isoformat()
    reload_settings(app)


def requested_advance(session: Session, world: ClaimsWorld, *, amount: str = "40.00", by: int | None = None,
                      participant: int | None = None, settle_by: dt.date = TODAY + dt.timedelta(days=14),
                      today: dt.date = TODAY):
    """An advance asked for by the project manager (unless ``by``) for Ann (unless ``participant``)."""
    return advances.request_advance(session, participant_id=participant or world.ann, project_code=world.project_code,
                                    amount=amount, purpose="Train to the regional meeting", settle_by=settle_by,
                                    today=today, actor_user_id=by or world.manager)
