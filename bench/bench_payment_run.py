"""Benchmark of a payment run (issue 4, item 9), on SQLite and PostgreSQL: target under 10 s on a 2-core machine.

2,000 participants with bank details (a quarter of them with declared benefits: Carer's Allowance, Universal
Credit, ESA, Housing Benefit, PIP) are owed 10,000 approved claims (fees, expenses, and fees redirected to
twenty user-led groups), each with its accrual entry in the books. Timed, each in its own transaction as the
API would run it:

1. draft the run, with the batch benefit check;
2. write its Bacs Standard 18 file (decrypting every payee's bank details);
3. confirm it (one payment entry per payee through ``post_entry``, every claim marked paid).

The fixtures are bulk-loaded outside the timing: people and groups through the services (for their accounts),
then participants, claims, accrual entries and postings by executemany, with the stored balances and daily
totals filled by set-based SQL, as ``bench_books`` does. Afterwards the Bacs file is read back and the books
are checked to balance.

PostgreSQL runs in a database of its own (``bench_payment_run``, dropped and created; ``--postgresql-url``), its
id sequences reset after the bulk load so that the services' own inserts follow on; it is left out, saying so,
when the server cannot be reached. Both databases' figures are printed side by side at the end.

Run: ``python -m bench.bench_payment_run [--quick] [--profile] [--only sqlite|postgresql]``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import ledger.models  # noqa: F401  (registers every table, so foreign keys resolve)
from bench import bench_books
from ledger.auth.users import create_user
from ledger.books import queries
from ledger.books.models import Account, AccountBalance, JournalEntry, Posting
from ledger.claims.models import Claim
from ledger.config import DEV_BANK_DETAILS_KEY
from ledger.db import make_engine, make_session_factory, unit_of_work
from ledger.formatting import money
from ledger.migrate import upgrade
from ledger.organisation import open_organisation_accounts
from ledger.payments import bacs, calendar, runs
from ledger.people.accounts import participant_accounts
from ledger.people.bank import BankCipher, BankDetails
from ledger.people.models import BenefitDeclaration, Participant
from ledger.people.services import create_group, set_group_bank_details
from ledger.projects.services import create_project, schedule_activity
from policies.rulebook import load_rulebook
from policies.settings import DEFAULT_SETTINGS

TARGET_SECONDS = 10.0
PARTICIPANTS, ITEMS = 2_000, 10_000
QUICK_PARTICIPANTS, QUICK_ITEMS = 200, 1_000
GROUPS = 20
ACTIVITIES = 40
PROJECT = "BENCH"
CIPHER = BankCipher(DEV_BANK_DETAILS_KEY)
# A quarter of participants declare benefits, in this rotation.
DECLARATIONS = (
    [{"name": "carers_allowance"}],
    [{"name": "universal_credit", "work_allowance": "with_housing", "assessment_period_start_day": 9}],
    [{"name": "esa", "permitted_work": "higher", "weekly_hours": "4"}],
    [{"name": "housing_benefit"}, {"name": "pip"}],
)
def log(message: str) -> None:
    print(message, flush=True)


def _next_id(session: Session, column) -> int:
    return (session.execute(select(func.max(column))).scalar() or 0) + 1


def load_fixtures(session: Session, *, participants: int, items: int, today: dt.date) -> int:
    """Bulk-load payees and approved claims with their accruals; return the finance user's id."""
    open_organisation_accounts(session)
    finance = create_user(
        session,
        email="finance@example.org",
        display_name="Bench Finance",
        password="a long enough passphrase",
        roles=["finance"],
    ).id
    project = create_project(
        session,
        code=PROJECT,
        name="Benchmark project",
        cost_centre="CC-BENCH",
        budget_pence=10**10,
        starts_on=today - dt.timedelta(days=120),
    )
    activities = [
        schedule_activity(
            session,
            PROJECT,
            kind="advisory_meeting",
            occurs_on=today - dt.timedelta(days=1 + i % 28),
            duration_minutes=120,
            preparation_minutes=60,
            region="uk",
        ).id
        for i in range(ACTIVITIES)
    ]
    groups = []
    for g in range(GROUPS):
        group_id = create_group(session, name=f"User-led group {g + 1}").id
        set_group_bank_details(
            session,
            CIPHER,
            group_id,
            sort_code="400000",
            account_number=f"{70_000_000 + g:08d}",
            account_name=f"User-led group {g + 1}",
        )
        groups.append(group_id)
    session.flush()

    now = dt.datetime.now(dt.UTC)
    first_participant = _next_id(session, Participant.id)
    people = list(range(first_participant, first_participant + participants))
    session.execute(
        insert(Participant),
        [
            {
                "id": pid,
                "name": f"Participant {pid}",
                "email": f"p{pid}@example.org",
                "preferred_format": "email",
                "default_reward": "paid_to_me",
                "is_active": True,
                "bank_details_encrypted": CIPHER.encrypt(
                    BankDetails("200000", f"{10_000_000 + pid:08d}", f"Participant {pid}")
                ),
                "bank_sort_code_last2": "00",
                "bank_account_last4": f"{10_000_000 + pid:08d}"[-4:],
                "bank_details_set_at": now - dt.timedelta(days=60),
            }
            for pid in people
        ],
    )
    account_id = _next_id(session, Account.id)
    accounts, balances, owed_ids = [], [], {}
    for pid in people:
        codes = participant_accounts(pid)
        for code, type_, unit in (
            (codes.owed, "liability", "GBP"),
            (codes.advance, "asset", "GBP"),
            (codes.time_credits, "liability", "TIME"),
        ):
            accounts.append(
                {"id": account_id, "code": code, "name": code, "type": type_, "unit": unit, "is_open": True}
            )
            balances.append({"account_id": account_id, "unit": unit, "balance": 0, "postings_count": 0})
            if code == codes.owed:
                owed_ids[pid] = account_id
            account_id += 1
    session.execute(insert(Account), accounts)
    session.execute(insert(AccountBalance), balances)
    session.execute(
        insert(BenefitDeclaration),
        [
            {
                "participant_id": pid,
                "declared_on": today - dt.timedelta(days=30),
                "benefits": DECLARATIONS[i // 4 % 4],
                "recorded_by_user_id": finance,
            }
            for i, pid in enumerate(people)
            if i % 4 == 0
        ],
    )

    codes = {code: account_id for code, account_id in session.execute(select(Account.code, Account.id))}
    fees, expenses = codes[f"fees:project:{PROJECT}"], codes[f"expenses:project:{PROJECT}"]
    claim_id = _next_id(session, Claim.id)
    entry_id = _next_id(session, JournalEntry.id)
    posting_id = _next_id(session, Posting.id)
    accrued_on = today - dt.timedelta(days=1)
    claims, entries, postings = [], [], []
    for i in range(items):
        pid = people[i % participants]
        kind = "expense" if i % 5 == 4 else "fee"
        group = groups[i % GROUPS] if kind == "fee" and i % 37 == 0 else None
        pence = 300 + (i * 7919) % 2200 if kind == "expense" else 1200 + (i * 104_729) % 4800
        owed = codes[f"owed:group:{group}"] if group else owed_ids[pid]
        claims.append(
            {
                "id": claim_id,
                "participant_id": pid,
                "project_id": project.id,
                "activity_id": activities[i % ACTIVITIES],
                "kind": kind,
                "status": "approved",
                "idempotency_key": f"bench-claim:{claim_id}",
                "description": f"Bench {kind} {claim_id}",
                "worked_minutes": 180 if kind == "fee" else None,
                "rate_pence": 1260 if kind == "fee" else None,
                "offered_pence": pence,
                "amount_pence": pence,
                "time_minutes": 0,
                "choice": ("redirect" if group else "take") if kind == "fee" else None,
                "group_id": group,
                "assisted": False,
                "accrual_entry_id": entry_id,
                "decided_at": now,
            }
        )
        entries.append(
            {
                "id": entry_id,
                "effective_date": accrued_on,
                "recorded_at": now,
                "description": f"Accrual of claim {claim_id}",
                "kind": "accrual",
                "idempotency_key": f"claim-accrual:{claim_id}",
                "content_hash": f"{entry_id:064x}",
                "actor_user_id": finance,
            }
        )
        postings.append(
            {
                "id": posting_id,
                "entry_id": entry_id,
                "account_id": fees if kind == "fee" else expenses,
                "unit": "GBP",
                "amount": pence,
                "effective_date": accrued_on,
            }
        )
        postings.append(
            {
                "id": posting_id + 1,
                "entry_id": entry_id,
                "account_id": owed,
                "unit": "GBP",
                "amount": -pence,
                "effective_date": accrued_on,
            }
        )
        claim_id, entry_id, posting_id = claim_id + 1, entry_id + 1, posting_id + 2
    session.execute(insert(JournalEntry), entries)
    session.execute(insert(Posting), postings)  # the database's trigger keeps balances and daily totals
    session.execute(insert(Claim), claims)
    if session.get_bind().dialect.name == "postgresql":
        # The rows above carry their own ids: move each sequence past them, or the services' next insert collides.
        for table in ("participants", "accounts", "claims", "journal_entries", "postings"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))"))
    return finance


def timed(label: str, results: list, work, profiler: cProfile.Profile | None):
    """Run one step, logging its wall-clock and CPU seconds (CPU time shows what a busy machine hides)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    try:
        value = work()
    finally:
        if profiler is not None:
            profiler.disable()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    results.append((label, seconds, cpu))
    log(f"  {label:<46} {seconds:6.2f} s  (CPU {cpu:5.2f} s)")
    return value


POSTGRESQL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_payment_run"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_payment_run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PARTICIPANTS} participants, {QUICK_ITEMS} items")
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest functions of the timed steps")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database only")
    parser.add_argument("--postgresql-url", default=os.environ.get("BENCH_PAYMENT_RUN_URL", POSTGRESQL_URL))
    args = parser.parse_args(argv)
    participants, items = (QUICK_PARTICIPANTS, QUICK_ITEMS) if args.quick else (PARTICIPANTS, ITEMS)
    profiler = cProfile.Profile() if args.profile else None
    outcomes: dict[str, tuple[list[tuple[str, float, float]], list[str]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-payment-run-") as workdir:
        if args.only in (None, "sqlite"):
            engine = make_engine(f"sqlite:///{Path(workdir) / 'ledger.sqlite3'}")
            upgrade(engine)
            outcomes["SQLite"] = run_on(engine, "SQLite", participants, items, profiler)
            engine.dispose()
        if args.only in (None, "postgresql"):
            try:
                backend = bench_books.fresh_postgresql(args.postgresql_url, keep=False)
            except OperationalError as error:
                log(f"PostgreSQL left out: cannot reach {args.postgresql_url} ({error.orig})")
            else:
                try:
                    outcomes["PostgreSQL"] = run_on(backend.engine, "PostgreSQL", participants, items, profiler)
                finally:
                    backend.cleanup()
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    log(f"\nPayment run of {items:,} items for {participants:,} participants (seconds; target "
        f"{TARGET_SECONDS:.0f} s in all):")
    for label, (results, problems) in outcomes.items():
        steps = "  ".join(f"{name.split(',')[0].split(' (')[0]} {seconds:.2f}" for name, seconds, _ in results)
        total = sum(seconds for _, seconds, _ in results)
        log(f"  {label:<11} total {total:6.2f}  ({steps}){'  FAILED: ' + '; '.join(problems) if problems else ''}")
    return 1 if any(problems for _, problems in outcomes.values()) else 0


def run_on(engine, label: str, participants: int, items: int,
           profiler: cProfile.Profile | None) -> tuple[list[tuple[str, float, float]], list[str]]:
    """Load the fixtures into the migrated database behind ``engine``, then time the run's three steps."""
    today = dt.date.today()
    payment_date = calendar.earliest_payment_date(today)
    rulebook = load_rulebook()
    originator = bacs.Originator("123456", "Demo Council", "200000", "12345678")
    factory = make_session_factory(engine)
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        finance = load_fixtures(session, participants=participants, items=items, today=today)
    log(f"Loaded {participants:,} participants with bank details and {items:,} approved claims with their "
        f"accruals in {time.perf_counter() - started:.1f} s (not timed).")
    log(f"Payment run of {items:,} items for {participants:,} participants on {label}, paid "
        f"{payment_date.isoformat()}:")
    results: list[tuple[str, float, float]] = []

    def draft():
        with unit_of_work(factory) as session:
            return runs.draft_payment_run(session, cutoff_date=today, payment_date=payment_date,
                                          actor_user_id=finance, rulebook=rulebook, settings=DEFAULT_SETTINGS,
                                          today=today)

    def bacs_file():
        with unit_of_work(factory) as session:
            return runs.bacs_file(session, summary.id, originator, CIPHER, created_on=today)

    def confirm():
        with unit_of_work(factory) as session:
            return runs.confirm_payment_run(session, summary.id, actor_user_id=finance,
                                            bank_reference="BENCH-ACCEPTED",
                                            override_reason="Benchmark: each flagged participant has agreed.")

    summary = timed("draft, with the batch benefit check", results, draft, profiler)
    body = timed("Bacs Standard 18 file", results, bacs_file, profiler)
    confirmed = timed("confirm (one entry per payee, claims paid)", results, confirm, profiler)
    total = sum(seconds for _, seconds, _ in results)
    cpu_total = sum(cpu for _, _, cpu in results)
    verdict = "within" if total < TARGET_SECONDS else "OVER"
    log(f"  {'total':<46} {total:6.2f} s  (CPU {cpu_total:5.2f} s; {verdict} the {TARGET_SECONDS:.0f} s target; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    parsed = bacs.parse_standard18(body)
    with unit_of_work(factory) as session:
        paid = session.execute(select(func.count()).select_from(Claim).where(Claim.status == "paid")).scalar_one()
        totals = queries.trial_balance(session).totals
    log(f"  {summary.payee_count:,} payees, {summary.item_count:,} items, {money(summary.total_pence)}; "
        f"{summary.benefit_flags} benefit flags; {len(summary.left_out)} left out; {paid:,} claims paid; "
        f"trial balance {totals}")
    problems = []
    if parsed.total_pence != summary.total_pence or parsed.credit_count != summary.payee_count:
        problems.append("the Bacs file does not add up to the run")
    if confirmed.status != "confirmed" or paid != summary.item_count or any(totals.values()):
        problems.append("the run was not paid exactly once, or the books do not balance")
    return results, problems


if __name__ == "__main__":
    sys.exit(main())
