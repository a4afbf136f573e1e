"""Benchmark of issuing documents from the database (issue 15, item 6), on a 2-core machine.

(a) every remittance advice of a confirmed 2,000-payee payment run, as finance makes them:
    ``flask --app wsgi documents remittances --run RUN --out DIR --workers 2``, a process of its own, reading the
    run from the database, drawing each advice with its number, verification code and QR code, writing each file
    and its row in the document register, and committing; its progress bar shows on the terminal.
    Target: under 10 s, including the command's own start-up. Then the register is checked: one row per file,
    every file's hash found, one file with a changed byte not.
(b) a 1,000-line participant statement in every format (standard, large print, easy read), issued through the
    register as a page or the API would (read from plain data, drawn with its stamp, row written): median of
    five after a warm-up. Target: under 0.5 s each.

The run is built as ``bench_payment_run`` builds it (bulk-loaded payees and claims, then drafted and confirmed
through the services), outside the timing, on SQLite, and on PostgreSQL when it can be reached
(``--postgresql-url``; a database of its own, dropped afterwards). Wall-clock and CPU seconds are both printed:
on a shared machine the wall clock also counts waiting for a core.

Run as part of ``python -m bench documents [--quick]`` (sections d and e), or alone:
``python -m bench.register_bench [--quick] [--only sqlite|postgresql]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import ledger.models  # noqa: F401  (registers every table)
from bench import bench_books, bench_payment_run
from ledger.db import make_engine, make_session_factory, unit_of_work
from ledger.documents import examples, issuing, register
from ledger.documents.models import IssuedDocument
from ledger.migrate import upgrade
from ledger.payments import calendar, runs
from ledger.reports.organisation import Organisation
from policies.rulebook import load_rulebook
from policies.settings import DEFAULT_SETTINGS

RUN_TARGET = 10.0
STATEMENT_TARGET = 0.5
ROOT = Path(__file__).resolve().parent.parent
ORGANISATION = Organisation("Demo Council Adult Social Care", ("Town Hall", "Upper Street", "London N1 2UD"),
                            ("Co-production payments team", "020 7946 0000", "payments@council.example"))
POSTGRESQL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_document_register"


def log(message: str) -> None:
    print(message, flush=True)


def confirmed_run(factory, participants: int, items: int) -> tuple[str, int]:
    """Load the payees and claims, then draft and confirm their run; return its reference and payee count."""
    today = dt.date.today()
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        finance = bench_payment_run.load_fixtures(session, participants=participants, items=items, today=today)
    with unit_of_work(factory) as session:
        summary = runs.draft_payment_run(session, cutoff_date=today,
                                         payment_date=calendar.earliest_payment_date(today), actor_user_id=finance,
                                         rulebook=load_rulebook(), settings=DEFAULT_SETTINGS, today=today)
    with unit_of_work(factory) as session:
        runs.confirm_payment_run(session, summary.id, actor_user_id=finance, bank_reference="BENCH-ACCEPTED",
                                 override_reason="Benchmark: each flagged participant has agreed.")
    log(f"  a confirmed run of {summary.payee_count:,} payees and {summary.item_count:,} items built in "
        f"{time.perf_counter() - started:.1f} s (not timed)")
    return summary.reference, summary.payee_count


def bench_run(url: str, factory, participants: int, items: int, workers: int, workdir: Path) -> list[str]:
    reference, payees = confirmed_run(factory, participants, items)
    out = workdir / "remittances"
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    flask = str(Path(sys.executable).with_name("flask"))
    command = [flask, "--app", "wsgi", "documents", "remittances", "--run", reference, "--out", str(out),
               "--workers", str(workers)]
    wall, cpu = time.perf_counter(), os.times()
    finished = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)  # the bar: stderr
    after = os.times()
    seconds = time.perf_counter() - wall
    child_cpu = (after.children_user - cpu.children_user) + (after.children_system - cpu.children_system)
    problems = [] if finished.returncode == 0 else [f"the command failed ({finished.returncode})"]
    if seconds >= RUN_TARGET:
        problems.append(f"the run's remittances took {seconds:.1f} s")
    files = sorted(out.glob("*.pdf")) if out.exists() else []
    verdict = "PASS" if seconds < RUN_TARGET and not problems else "MISS"
    log(f"\n  remittances of {payees:,} payees, {workers} processes, from the database with the register: "
        f"{seconds:6.2f} s wall  {child_cpu:6.2f} s CPU  {len(files) / seconds:6.1f} documents/s   "
        f"target < {RUN_TARGET:.0f} s: {verdict}")
    log(f"  {finished.stdout.strip()}")
    with unit_of_work(factory) as session:
        rows = session.execute(select(func.count()).select_from(IssuedDocument)
                               .where(IssuedDocument.kind == "remittance")).scalar_one()
        hashes = set(session.execute(select(IssuedDocument.sha256)).scalars())
        on_disk = {hashlib.sha256(path.read_bytes()).hexdigest() for path in files}
        changed = bytearray(files[0].read_bytes()) if files else bytearray(b"%PDF")
        changed[len(changed) // 2] ^= 1
        caught = not register.verify_file(session, bytes(changed)).genuine
    if not (rows == len(files) == payees):
        problems.append(f"{rows:,} register rows and {len(files):,} files for {payees:,} payees")
    if not on_disk <= hashes:
        problems.append("a file written is not in the register")
    if not caught:
        problems.append("a changed file was taken as genuine")
    log(f"  register: {rows:,} rows, every file's hash found: {on_disk <= hashes}, a changed byte caught: {caught}")
    return problems


def bench_statement(factory, lines: int, repeats: int) -> list[str]:
    example = examples.statement(lines)
    # The example's payee is made up: make it the run's first participant, whom the register can name.
    statement = dataclasses.replace(example, participant=dataclasses.replace(example.participant, reference="P00001"))
    producer = register.Producer("cli", "benchmark")
    problems = []
    for label, options in (("standard", {}), ("large print", {"large_print": True}),
                           ("easy read", {"easy_read": True})):
        def issue(opts=options):
            with unit_of_work(factory) as session:
                return issuing.issue_statement(session, statement, producer=producer, **opts)

        issue()  # fonts registered, caches warm
        results = []
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            issue()
            results.append((time.perf_counter() - wall, time.process_time() - cpu))
        seconds, cpu = statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)
        verdict = "PASS" if seconds < STATEMENT_TARGET else "MISS"
        log(f"  statement, {lines:,} lines, {label:<11} issued with the register  {seconds:6.3f} s wall  "
            f"{cpu:6.3f} s CPU   target < {STATEMENT_TARGET} s: {verdict}")
        if seconds >= STATEMENT_TARGET:
            problems.append(f"the {label} statement took {seconds:.3f} s")
    return problems


def run_on(label: str, url: str, engine, args, workdir: Path) -> list[str]:
    log(f"{label}:")
    factory = make_session_factory(engine)
    participants, items = ((bench_payment_run.QUICK_PARTICIPANTS, bench_payment_run.QUICK_ITEMS) if args.quick
                           else (bench_payment_run.PARTICIPANTS, bench_payment_run.ITEMS))
    problems = bench_run(url, factory, participants, items, args.workers, workdir)
    problems += bench_statement(factory, args.lines, 3 if args.quick else 5)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.register_bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 payees and fewer repeats, for a first look")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database only")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes drawing remittances")
    parser.add_argument("--lines", type=int, default=1000, help="lines in the statement (default 1,000)")
    parser.add_argument("--postgresql-url", default=os.environ.get("BENCH_DOCUMENTS_URL", POSTGRESQL_URL))
    args = parser.parse_args(argv)
    if os.environ.get("BENCH_QUICK") == "1":
        args.quick = True
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    log(f"Issuing documents from the database: {os.cpu_count()} cores, load average {load}")
    problems: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as workdir:
        if args.only in (None, "sqlite"):
            url = f"sqlite:///{Path(workdir) / 'ledger.sqlite3'}"
            engine = make_engine(url)
            upgrade(engine)
            problems["SQLite"] = run_on("SQLite", url, engine, args, Path(workdir) / "sqlite")
            engine.dispose()
        if args.only in (None, "postgresql"):
            try:
                backend = bench_books.fresh_postgresql(args.postgresql_url, keep=False)
            except OperationalError as error:
                log(f"PostgreSQL left out: cannot reach {args.postgresql_url} ({error.orig})")
            else:
                try:
                    url = backend.engine.url.render_as_string(hide_password=False)
                    problems["PostgreSQL"] = run_on("PostgreSQL", url, backend.engine, args, Path(workdir) / "pg")
                finally:
                    backend.cleanup()
    for label, found in problems.items():
        log(f"{label}: {'; '.join(found) if found else 'all within target, register checked'}")
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
