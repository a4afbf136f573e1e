"""Benchmark of a bank statement import (issue 14, item 1), on SQLite: 10,000 lines imported and matched in
under 2 s.

The books hold 3,000 entries on ``bank:main`` over a quarter (posted through ``post_entry`` outside the timing),
with amounts drawn from fifty common sums, so that many lines share an amount with many entries as a month of
fees does. The statement is a Barclays CSV export of 10,000 lines: 3,000 of them are those entries, dated up to
three days later as the bank clears them, and 7,000 are other money in and out. Timed, each in its own
transaction as the page or API would run it:

1. import the file: parse, fingerprint, store the new lines, and suggest a match for every unmatched line;
2. import it again: every line is found already stored and nothing is added.

Run: ``python -m bench bank-import [--quick]`` (``--quick``: 1,000 lines).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

import ledger.models  # noqa: F401  (registers every table, so foreign keys resolve)
from ledger.auth.users import create_user
from ledger.banking import reconciliation, services
from ledger.banking.models import BankStatementLine
from ledger.books.posting import open_account, post_entry
from ledger.books.records import PostingLine
from ledger.db import make_engine, make_session_factory, unit_of_work
from ledger.migrate import upgrade
from ledger.organisation import BANK, FUNDING, open_organisation_accounts

TARGET_SECONDS = 2.0
LINES, ENTRIES = 10_000, 3_000
QUICK_LINES, QUICK_ENTRIES = 1_000, 300
START = dt.date(2026, 7, 1)
DAYS = 90
SUMS = [p * 250 for p in range(8, 58)]  # £20.00 to £142.50, fifty common sums


def log(message: str) -> None:
    print(message, flush=True)


def _books(factory, entries: int, rng: random.Random) -> list[tuple[dt.date, int]]:
    """Post the entries (Cr the bank for payments out, Dr for money in) and return their (day, bank amount)."""
    posted = []
    with unit_of_work(factory) as session:
        open_organisation_accounts(session)
        open_account(session, code="expense:bench", name="Bench costs", type="expense", unit="GBP")
        create_user(session, email="bench@example.org", display_name="Bench", password="bench-password-1",
                    roles=["finance"])
        for n in range(entries):
            day = START + dt.timedelta(days=rng.randrange(DAYS))
            amount = rng.choice(SUMS) * (1 if n % 10 == 0 else -1)
            other = FUNDING if amount > 0 else "expense:bench"
            post_entry(session, effective_date=day, description=f"Bench entry {n}", idempotency_key=f"bench:{n}",
                       postings=[PostingLine(BANK, amount, "GBP"), PostingLine(other, -amount, "GBP")])
            posted.append((day, amount))
    return posted


def _statement(posted: list[tuple[dt.date, int]], lines: int, rng: random.Random) -> bytes:
    rows = ["Number,Date,Account,Amount,Subcategory,Memo"]
    for n, (day, amount) in enumerate(posted):
        cleared = day + dt.timedelta(days=rng.randrange(4))
        rows.append(f",{cleared:%d/%m/%Y},20-00-00 12345678,{_pounds(amount)},PAYMENT,BACS {n}")
    for n in range(lines - len(posted)):
        day = START + dt.timedelta(days=rng.randrange(DAYS))
        amount = rng.randrange(-90_000, 90_000) or 1
        rows.append(f",{day:%d/%m/%Y},20-00-00 12345678,{_pounds(amount)},PAYMENT,OTHER {n}")
    return ("\n".join(rows) + "\n").encode()


def _pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    return f"{sign}{abs(pence) // 100}.{abs(pence) % 100:02d}"


def _timed(factory, data: bytes) -> tuple[float, float, services.ImportResult]:
    """Wall-clock and CPU seconds of one import in its own transaction (CPU too: on a shared machine the wall
    clock counts the other processes' turns)."""
    started, cpu = time.perf_counter(), time.process_time()
    with unit_of_work(factory) as session:
        result = services.import_statement(session, data, filename="bench.csv", preset="barclays",
                                           actor_user_id=None, opening_balance_pence=0)
    return time.perf_counter() - started, time.process_time() - cpu, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 lines")
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    lines, entries = (QUICK_LINES, QUICK_ENTRIES) if quick else (LINES, ENTRIES)
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        factory = make_session_factory(engine)
        log(f"Posting {entries:,} entries on the bank account (not timed)...")
        posted = _books(factory, entries, rng)
        data = _statement(posted, lines, rng)
        log(f"Importing a Barclays CSV of {lines:,} lines ({len(data) / 1024:.0f} KiB)...")
        first, first_cpu, result = _timed(factory, data)
        again, _again_cpu, repeat = _timed(factory, data)
        with unit_of_work(factory) as session:
            stored = session.execute(select(func.count()).select_from(BankStatementLine)).scalar_one()
            report = reconciliation.reconcile(session, START + dt.timedelta(days=DAYS + 5))
        engine.dispose()
    ok = first < TARGET_SECONDS
    log(f"  import and match {lines:,} lines: {first:6.2f} s (target under {TARGET_SECONDS:.0f} s) "
        f"{'OK' if ok else 'TOO SLOW'}; {first_cpu:.2f} s of CPU; {result.added:,} added, "
        f"{result.suggested:,} suggested; load average {os.getloadavg()[0]:.1f}")
    log(f"  the same file again:        {again:6.2f} s; {repeat.added} added ({repeat.message})")
    log(f"  lines stored: {stored:,}; reconciliation: {len(report.differences):,} differences, "
        f"unexplained {report.unexplained_pence} pence")
    if stored != lines or repeat.added or result.suggested < entries * 9 // 10 or report.unexplained_pence:
        log("  FAILED: the import did not store each line once, or missed matches, or the report does not add up")
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
