"""Faults (issue 16, item 10): processes killed mid-confirmation, many confirmations at once, a bulk PDF run killed.

The kills come from inside forked processes (``tests/chain/faults.py``) at points chosen with a seeded random
generator, so that the test costs what the work costs, not sleeps, and fails the same way each time it fails.
"""

from __future__ import annotations

import shutil
import signal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

from ledger import create_app
from ledger.books.models import JournalEntry
from ledger.books.verify import verify_books
from ledger.chain import audit
from ledger.claims.models import Claim
from ledger.db import make_engine, make_session_factory, unit_of_work
from ledger.errors import Conflict
from ledger.payments import runs
from ledger.payments.models import Payment, PaymentRun
from tests.chain.faults import confirm_all, in_child, write_statements
from tests.factories import PaymentsWorld, all_at_once, database, make_participant

KILLED_RUNS = 200
CONCURRENT_TRIALS = 100
CONFIRMERS = 20


def _draft_runs(session, count: int) -> tuple[PaymentsWorld, list[int]]:
    """``count`` draft runs, each paying one participant one approved fee."""
    world = PaymentsWorld(session)
    people = [world.participant(f"Payee {i}") for i in range(4)]
    drafted = []
    for i in range(count):
        world.claim(people[i % len(people)], 1000 + i)
        drafted.append(world.draft().id)
    session.commit()
    return world, drafted


def _paid_once(session, run_ids: list[int]) -> None:
    """Every run confirmed, with one payment and one entry, and each of its claims paid by it."""
    statuses = dict(session.execute(select(PaymentRun.id, PaymentRun.status)
                                    .where(PaymentRun.id.in_(run_ids))).all())
    assert set(statuses.values()) == {"confirmed"}, {k: v for k, v in statuses.items() if v != "confirmed"}
    payments = dict(session.execute(select(Payment.run_id, func.count()).group_by(Payment.run_id)).all())
    assert payments == {run_id: 1 for run_id in run_ids}
    entries = session.execute(select(func.count()).select_from(JournalEntry)
                              .where(JournalEntry.kind == "payment")).scalar_one()
    assert entries == len(run_ids)
    assert session.execute(select(func.count()).select_from(Claim).where(Claim.status != "paid")).scalar_one() == 0
    report = verify_books(session, audit.VERIFY_CHECKS)
    assert report.ok, report.describe()


@pytest.mark.postgres_only
def test_confirmations_killed_at_random_points_pay_each_run_exactly_once(app, session):
    _, run_ids = _draft_runs(session, KILLED_RUNS)
    kills = 0
    for attempt in range(60):
        status = in_child(app, lambda seed=1000 + attempt: confirm_all(app, seed, 0.06))
        if status == 0:
            break
        assert status == -signal.SIGKILL
        kills += 1
        # Killed mid-transaction: nothing of the unfinished confirmation may be left behind.
        with unit_of_work(make_session_factory(session.get_bind())) as check:
            half = check.execute(text(
                "SELECT count(*) FROM journal_entries e WHERE NOT EXISTS "
                "(SELECT 1 FROM postings p WHERE p.entry_id = e.id)")).scalar_one()
            assert half == 0
    else:
        pytest.fail("the confirmations never finished")
    assert kills >= 5  # the seeds kill often enough to mean something
    session.expire_all()
    _paid_once(session, run_ids)


@pytest.mark.postgres_only
def test_twenty_confirmations_at_once_pay_exactly_once_in_a_hundred_trials(database_url, session):
    world, run_ids = _draft_runs(session, CONCURRENT_TRIALS)
    engine = make_engine(database_url, pool_size=CONFIRMERS + 1, max_overflow=0)
    factory = make_session_factory(engine)

    def confirm(run_id: int):
        def attempt(_i: int, ready) -> str:
            ready()
            try:
                with unit_of_work(factory) as s:
                    runs.confirm_payment_run(s, run_id, actor_user_id=world.finance_id, bank_reference="BACS-1")
            except Conflict:
                return "refused"
            return "paid"
        return attempt

    try:
        for run_id in run_ids:
            outcomes = all_at_once(CONFIRMERS, confirm(run_id), timeout=60)
            assert sorted(outcomes) == ["paid"] + ["refused"] * (CONFIRMERS - 1), outcomes
    finally:
        engine.dispose()
    session.expire_all()
    _paid_once(session, run_ids)


@pytest.fixture
def sqlite_app(sqlite_template, tmp_path):
    """An app on a SQLite database of its own: files, not the database, are what is at stake here."""
    path = tmp_path / "ledger.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "TESTING": True})
    yield app
    app.extensions["engine"].dispose()


def test_a_bulk_pdf_run_killed_mid_file_leaves_no_half_written_file(sqlite_app, tmp_path):
    app = sqlite_app
    with database(app) as session:
        for name in ("Ann", "Bea", "Cal"):
            make_participant(session, name, email=f"{name.lower()}@example.org")
    out = tmp_path / "june"

    assert in_child(app, lambda: write_statements(app, str(out), "2025-06", 2)) == -signal.SIGKILL
    assert len(list(out.glob("statement-*.pdf"))) == 1  # one written, the second killed half-way
    for pdf in out.glob("statement-*.pdf"):
        assert len(PdfReader(pdf).pages) >= 1
    assert len(list(out.glob(".partial-*"))) == 1  # the half-written one, under no document's name

    assert in_child(app, lambda: write_statements(app, str(out), "2025-06", 0)) == 0
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    files = list(out.glob("statement-*.pdf"))
    assert len(files) == 3
    for pdf in files:
        assert len(PdfReader(pdf).pages) >= 1
