"""Benchmark of the books (issue 2, item 8), on SQLite and PostgreSQL in one run.

(a) entries per second through ``post_entry``, one transaction per entry, next to a raw SQLAlchemy Core
    insert of the same rows (entry row and its postings, one transaction per entry) on the same database;
    the two run in alternating rounds so that drift in the machine's load hits both alike.
(b) with a million postings loaded: one account's balance (current and as of a date) and a 100-line
    statement page (first page and a later page through the cursor), for a typical participant account
    and for the bank account that a quarter of all entries touch. The first five calls and the later ones
    are reported apart: psycopg prepares a statement on its sixth run.
(c) the trial balance from stored balances, next to a GROUP BY over every posting and ``hledger bal`` on
    the exported journal.

The million postings are bulk-loaded (COPY on PostgreSQL, executemany on SQLite) with the non-unique
indexes, foreign keys and the balance triggers (PostgreSQL's deferred check, and the one keeping stored
balances) set aside and restored afterwards; the stored balances and daily totals are then filled by
set-based SQL and the loaded books are checked to balance. Reads run before the posting-rate rounds.
The raw inserts fire the same database trigger that keeps stored balances as post_entry's do: what
they leave out is the checks and the idempotency.
Run: ``python -m bench.bench_books [--quick]``; ``--help`` lists the other options. PostgreSQL comes from
``BENCH_DATABASE_URL`` (default: a database ``bench_ledger`` on the local server, dropped and created
afresh); SQLite lives in a temporary directory.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import hashlib
import importlib.util
import io
import itertools
import os
import pstats
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

import ledger.models  # noqa: F401  (registers every table, so foreign keys resolve)
from ledger.books import queries
from ledger.books.models import Account, JournalEntry, Posting
from ledger.books.posting import post_entry
from ledger.books.queries import encode_cursor
from ledger.books.records import PostingLine
from ledger.books.units import UNITS
from ledger.db import make_engine, make_session_factory, normalise_url, unit_of_work
from ledger.migrate import upgrade

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_ledger"
YEAR = 2025
YEAR_START = dt.date(YEAR, 1, 1)
YEAR_END = dt.date(YEAR, 12, 31)
MID_YEAR = dt.date(YEAR, 6, 30)
PARTICIPANTS = 1000
PROJECTS = 5
CLAIM_CATEGORIES = 60
BANK = "assets:bank:current"

TARGET_RATIO = 0.5
TARGET_BALANCE_MS = 1.0
TARGET_PAGE_MS = 5.0
TARGET_TRIAL_MS = 100.0

_entries = JournalEntry.__table__
_postings = Posting.__table__
_accounts = Account.__table__


def log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Phases:
    """Log how long each step of a long job took."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.last = time.perf_counter()

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        log(f"{self.what}: {step} in {now - self.last:.1f} s")
        self.last = now


# ------------------------------------------------------------------ the chart and the entries


def chart_of_accounts() -> list[tuple[str, str, str, str]]:
    """About 2,000 accounts as (code, name, type, unit): two per participant, a few per project."""
    chart = []
    for n in range(1, PARTICIPANTS + 1):
        chart.append((f"participants:p{n:04d}:gbp", f"Participant {n} (money owed)", "liability", "GBP"))
        chart.append((f"participants:p{n:04d}:time", f"Participant {n} (time credits)", "liability", "TIME"))
    for k in range(1, PROJECTS + 1):
        chart.append((f"projects:proj{k}:fees", f"Project {k} fees", "expense", "GBP"))
        chart.append((f"projects:proj{k}:expenses", f"Project {k} expenses", "expense", "GBP"))
        chart.append((f"projects:proj{k}:time", f"Project {k} time credits", "expense", "TIME"))
        chart.append((f"income:grants:proj{k}", f"Grant for project {k}", "income", "GBP"))
    chart.append((BANK, "Current account", "asset", "GBP"))
    chart.append(("assets:bank:savings", "Savings account", "asset", "GBP"))
    chart.append(("income:donations", "Donations", "income", "GBP"))
    chart.append(("equity:opening", "Opening balances", "equity", "GBP"))
    for c in range(1, CLAIM_CATEGORIES + 1):
        chart.append((f"expenses:claims:c{c:02d}", f"Claimed expense category {c}", "expense", "GBP"))
    return chart


@dataclass(frozen=True, slots=True)
class EntrySpec:
    day: dt.date
    description: str
    kind: str
    lines: tuple[tuple[str, int, str], ...]  # (account code, amount in minor units, unit)


def entry_specs(seed: int, count: int, first_day: dt.date, days: int) -> Iterator[EntrySpec]:
    """A year of co-production activity, in date order: 2.2 postings per entry on average.

    35 % fees, 20 % payments from the bank, 25 % time credits, 15 % three-line expense claims,
    5 % grant receipts split over two income accounts; a quarter of the entries touch the bank.
    """
    uniform = random.Random(seed).random  # randrange is five times slower, and a million calls add up

    def pick(low: int, high: int) -> int:
        return low + int(uniform() * (high - low))

    dates = [first_day + dt.timedelta(days=d) for d in range(days)]
    for i in range(count):
        day = dates[i * days // count]
        p = pick(1, PARTICIPANTS + 1)
        k = pick(1, PROJECTS + 1)
        participant = f"participants:p{p:04d}"
        roll = uniform()
        if roll < 0.35:
            pence = pick(1000, 15000)
            lines = ((f"projects:proj{k}:fees", pence, "GBP"), (f"{participant}:gbp", -pence, "GBP"))
            yield EntrySpec(day, f"Fee for a co-production session, project {k}, participant {p}", "fee", lines)
        elif roll < 0.55:
            pence = pick(1000, 40000)
            lines = ((f"{participant}:gbp", pence, "GBP"), (BANK, -pence, "GBP"))
            yield EntrySpec(day, f"Payment to participant {p}", "payment", lines)
        elif roll < 0.80:
            minutes = pick(1, 17) * 15
            lines = ((f"projects:proj{k}:time", minutes, "TIME"), (f"{participant}:time", -minutes, "TIME"))
            yield EntrySpec(day, f"Time credits earned, project {k}, participant {p}", "time_credit", lines)
        elif roll < 0.95:
            travel = pick(200, 3000)
            other = pick(100, 2000)
            c = pick(1, CLAIM_CATEGORIES + 1)
            lines = (
                (f"projects:proj{k}:expenses", travel, "GBP"),
                (f"expenses:claims:c{c:02d}", other, "GBP"),
                (f"{participant}:gbp", -(travel + other), "GBP"),
            )
            yield EntrySpec(day, f"Expenses claimed by participant {p}, project {k}", "expense_claim", lines)
        else:
            grant = pick(100_000, 2_000_000)
            share = grant * pick(50, 95) // 100
            lines = (
                (BANK, grant, "GBP"),
                (f"income:grants:proj{k}", -share, "GBP"),
                ("income:donations", share - grant, "GBP"),
            )
            yield EntrySpec(day, f"Grant instalment received for project {k}", "grant", lines)


POSTINGS_PER_ENTRY = 0.35 * 2 + 0.20 * 2 + 0.25 * 2 + 0.15 * 3 + 0.05 * 3


# ------------------------------------------------------------------ databases


@dataclass
class Backend:
    name: str  # "sqlite" or "postgresql"
    label: str
    engine: Engine
    factory: sessionmaker[Session]
    version: str
    cleanup: Callable[[], None]
    account_ids: dict[str, int] = field(default_factory=dict)


def fresh_sqlite(directory: Path) -> Backend:
    path = directory / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return Backend(
        "sqlite", "SQLite", engine, make_session_factory(engine), f"SQLite {sqlite3.sqlite_version}", engine.dispose
    )


def fresh_postgresql(url: str, *, keep: bool) -> Backend:
    """Drop and create the benchmark's own database (through the ``postgres`` maintenance database)."""
    url = make_url(normalise_url(url))
    if url.database in (None, "", "test", "postgres", "template0", "template1"):
        raise SystemExit(f"Refusing to use database {url.database!r} for the benchmark: name one of its own.")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))

    phase = Phases("PostgreSQL setup")
    drop()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    phase(f"database {url.database} dropped and created")
    engine = make_engine(url.render_as_string(hide_password=False))
    upgrade(engine)
    phase("migrations applied")
    with engine.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar_one().split()[0]

    def cleanup() -> None:
        engine.dispose()
        if keep:
            log(f"PostgreSQL: database {url.database} kept")
        else:
            drop()
        admin.dispose()

    return Backend("postgresql", "PostgreSQL", engine, make_session_factory(engine), f"PostgreSQL {version}", cleanup)


def open_chart(backend: Backend) -> None:
    """Open the accounts as ``open_account`` would (with a zero stored balance each), but in two statements."""
    with unit_of_work(backend.factory) as session:
        session.execute(
            _accounts.insert(),
            [{"code": c, "name": n, "type": t, "unit": u, "is_open": True} for c, n, t, u in chart_of_accounts()],
        )
        session.execute(
            text(
                "INSERT INTO account_balances (account_id, unit, balance, postings_count) "
                "SELECT id, unit, 0, 0 FROM accounts"
            )
        )
        backend.account_ids.update(session.execute(select(_accounts.c.code, _accounts.c.id)).all())


# ------------------------------------------------------------------ bulk load


@dataclass
class Loaded:
    entries: int = 0
    postings: int = 0
    seconds: float = 0.0


def _load_rows(backend: Backend, target_postings: int, chunk: int = 20_000) -> Iterator[tuple[list, list]]:
    """Entry and posting rows for the load, in chunks, with explicit ids.

    The content hash is a stand-in (the entry id in hex): these keys are never replayed.
    """
    count = max(1, round(target_postings / POSTINGS_PER_ENTRY))
    ids = backend.account_ids
    nine_am = {}
    seconds = [dt.timedelta(seconds=s) for s in range(0, 28_800, 7)]
    entries: list = []
    postings: list = []
    posting_id = 0
    for entry_id, spec in enumerate(entry_specs(2025, count, YEAR_START, 365), start=1):
        day = spec.day
        if day not in nine_am:
            nine_am[day] = dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC)
        entries.append(
            (
                entry_id,
                day,
                nine_am[day] + seconds[entry_id % len(seconds)],
                spec.description,
                spec.kind,
                f"load-{entry_id:09d}",
                f"{entry_id:064x}",
            )
        )
        for code, amount, unit in spec.lines:
            posting_id += 1
            postings.append((posting_id, entry_id, ids[code], unit, amount, day))
        if len(entries) >= chunk:
            yield entries, postings
            entries, postings = [], []
    if entries:
        yield entries, postings


RECOMPUTE = (
    "INSERT INTO account_daily_totals (account_id, day, amount) "
    "SELECT account_id, effective_date, sum(amount) FROM postings GROUP BY account_id, effective_date",
    "UPDATE account_balances SET balance = s.total, postings_count = s.n "
    "FROM (SELECT account_id, sum(amount) AS total, count(*) AS n FROM postings GROUP BY account_id) AS s "
    "WHERE account_balances.account_id = s.account_id",
)
UNBALANCED = (
    "SELECT count(*) FROM (SELECT entry_id FROM postings GROUP BY entry_id, unit HAVING sum(amount) <> 0) AS bad"
)
LOADED_TABLES = ("journal_entries", "postings", "account_daily_totals")


def bulk_load(backend: Backend, target_postings: int) -> Loaded:
    loaded = Loaded()
    started = time.perf_counter()
    if backend.name == "sqlite":
        _bulk_load_sqlite(backend, target_postings, loaded)
    else:
        _bulk_load_postgresql(backend, target_postings, loaded)
    loaded.seconds = time.perf_counter() - started
    return loaded


def _bulk_load_sqlite(backend: Backend, target_postings: int, loaded: Loaded) -> None:
    dialect = backend.engine.dialect
    as_datetime = _entries.c.recorded_at.type.dialect_impl(dialect).bind_processor(dialect)
    raw = backend.engine.raw_connection()
    try:
        db = raw.driver_connection
        tables = ",".join(f"'{t}'" for t in LOADED_TABLES)
        indexes = db.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({tables}) "
            "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'"
        ).fetchall()
        phase = Phases(f"{backend.label} load")
        db.execute("PRAGMA foreign_keys=OFF")  # checked once, after the load, by foreign_key_check
        db.execute("BEGIN IMMEDIATE")
        for name, _ in indexes:
            db.execute(f'DROP INDEX "{name}"')
        # The trigger that keeps stored balances as postings are written: the load computes them set-based.
        keep_balances = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'postings_keep_balances'"
        ).fetchone()
        if keep_balances:
            db.execute("DROP TRIGGER postings_keep_balances")
        iso = {YEAR_START + dt.timedelta(days=d): (YEAR_START + dt.timedelta(days=d)).isoformat() for d in range(366)}
        for entries, postings in _load_rows(backend, target_postings):
            db.executemany(
                "INSERT INTO journal_entries (id, effective_date, recorded_at, description, kind, idempotency_key, "
                "content_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(e[0], iso[e[1]], as_datetime(e[2]), *e[3:]) for e in entries],
            )
            db.executemany(
                "INSERT INTO postings (id, entry_id, account_id, unit, amount, effective_date) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(*p[:5], iso[p[5]]) for p in postings],
            )
            loaded.entries += len(entries)
            loaded.postings += len(postings)
        phase("rows inserted")
        for sql in RECOMPUTE:
            db.execute(sql)
        phase("stored balances and daily totals computed")
        for _, sql in indexes:
            db.execute(sql)
        if keep_balances:
            db.execute(keep_balances[0])
        phase("indexes built")
        db.execute("COMMIT")
        db.execute("PRAGMA foreign_keys=ON")
        broken = db.execute("PRAGMA foreign_key_check(postings)").fetchmany(5)
        unbalanced = db.execute(UNBALANCED).fetchone()[0]
        phase("foreign keys and balance checked")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        phase("checkpointed")
    finally:
        raw.close()
    if broken or unbalanced:
        raise SystemExit(f"The bulk load is inconsistent: {broken} {unbalanced} unbalanced entries")


def _bulk_load_postgresql(backend: Backend, target_postings: int, loaded: Loaded) -> None:
    raw = backend.engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            tables = ", ".join(f"'{t}'::regclass" for t in LOADED_TABLES)
            cur.execute(
                f"SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                f"WHERE indrelid IN ({tables}) AND NOT indisunique AND NOT indisprimary"
            )
            indexes = cur.fetchall()
            cur.execute(
                f"SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
                f"WHERE contype = 'f' AND conrelid IN ({tables})"
            )
            foreign_keys = cur.fetchall()
            # The deferred "entry balances" constraint triggers would run two queries per loaded row at commit,
            # and the trigger keeping stored balances one update per row: the same work runs once, set-based,
            # below.
            cur.execute(
                f"SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
                f"WHERE NOT tgisinternal AND (tgconstraint <> 0 OR tgname = 'postings_keep_balances') "
                f"AND tgrelid IN ({tables})"
            )
            triggers = cur.fetchall()
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            phase = Phases(f"{backend.label} load")
            for name, table in triggers:
                cur.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"')
            for name, table, _ in foreign_keys:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cur.execute(f"DROP INDEX {name}")
            for entries, postings in _load_rows(backend, target_postings):
                with cur.copy(
                    "COPY journal_entries (id, effective_date, recorded_at, description, kind, "
                    "idempotency_key, content_hash) FROM STDIN"
                ) as copy:
                    for row in entries:
                        copy.write_row(row)
                with cur.copy(
                    "COPY postings (id, entry_id, account_id, unit, amount, effective_date) FROM STDIN"
                ) as copy:
                    for row in postings:
                        copy.write_row(row)
                loaded.entries += len(entries)
                loaded.postings += len(postings)
            phase("rows copied")
            for sql in RECOMPUTE:
                cur.execute(sql)
            phase("stored balances and daily totals computed")
            for _, sql in indexes:
                cur.execute(sql)
            phase("indexes built")
            for name, table, definition in foreign_keys:
                cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            phase("foreign keys restored")
            for name, table in triggers:
                cur.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{name}"')
            for table in ("journal_entries", "postings"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cur.execute(UNBALANCED)
            unbalanced = cur.fetchone()[0]
            if unbalanced:
                raise SystemExit(f"The bulk load is inconsistent: {unbalanced} unbalanced entries")
            phase("balance checked")
        conn.commit()
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                # What autovacuum would have done by the time a real ledger held a million postings.
                for table in ("journal_entries", "postings", "account_daily_totals", "account_balances"):
                    cur.execute(f"VACUUM (ANALYZE) {table}")
            phase("vacuumed and analysed")
        finally:
            conn.autocommit = False
    finally:
        raw.close()


# ------------------------------------------------------------------ timing


@dataclass
class Timing:
    seconds: list[float]

    @property
    def first_five_ms(self) -> float:
        return statistics.median(self.seconds[:5]) * 1000

    @property
    def later_ms(self) -> float:
        return statistics.median(self.seconds[5:]) * 1000

    @property
    def p95_later_ms(self) -> float:
        later = sorted(self.seconds[5:])
        return later[int(0.95 * (len(later) - 1))] * 1000


def time_calls(
    backend: Backend,
    calls: int,
    call: Callable[[Session, int], object],
    *,
    own_transaction: bool = False,
    budget: float = 5.0,
) -> Timing:
    """Time ``call(session, i)`` up to ``calls`` times (at least 25, then as many as ``budget`` seconds allow).

    The calls run in one open session (one connection, so psycopg's prepared statements come into play
    after five), or each in a unit of work of its own.
    """
    seconds: list[float] = []
    clock = time.perf_counter
    deadline = clock() + budget
    if own_transaction:
        for i in range(calls):
            started = clock()
            with unit_of_work(backend.factory) as session:
                call(session, i)
            seconds.append(clock() - started)
            if i >= 24 and started > deadline:
                break
    else:
        with unit_of_work(backend.factory) as session:
            for i in range(calls):
                started = clock()
                call(session, i)
                seconds.append(clock() - started)
                if i >= 24 and started > deadline:
                    break
    return Timing(seconds)


# ------------------------------------------------------------------ the report


@dataclass
class Cell:
    text: str
    ok: bool | None = None


class Report:
    def __init__(self) -> None:
        self.sections: dict[str, list[tuple[str, str]]] = {}
        self.cells: dict[tuple[str, str], dict[str, Cell]] = defaultdict(dict)
        self.backends: list[str] = []
        self.notes: list[str] = []

    def row(self, section: str, label: str, target: str = "") -> None:
        rows = self.sections.setdefault(section, [])
        if all(r[0] != label for r in rows):
            rows.append((label, target))

    def put(self, section: str, label: str, backend: str, cell: Cell, target: str = "") -> None:
        self.row(section, label, target)
        self.cells[(section, label)][backend] = cell
        if backend not in self.backends:
            self.backends.append(backend)

    def misses(self) -> list[str]:
        return [
            f"{label} on {backend}"
            for (_, label), cells in self.cells.items()
            for backend, cell in cells.items()
            if cell.ok is False
        ]

    def render(self, title: str) -> str:
        width_label = max([len(r[0]) for rows in self.sections.values() for r in rows] + [20]) + 4
        width_cell = max([len(self._cell(c)) for cells in self.cells.values() for c in cells.values()] + [12]) + 2
        out = io.StringIO()
        out.write(f"\n{title}\n")
        header = f"{'':<{width_label}}{'target':<12}" + "".join(f"{b:<{width_cell}}" for b in self.backends)
        out.write(header.rstrip() + "\n" + "-" * len(header.rstrip()) + "\n")
        for section, rows in self.sections.items():
            out.write(section + "\n")
            for label, target in rows:
                cells = self.cells[(section, label)]
                line = f"  {label:<{width_label - 2}}{target:<12}" + "".join(
                    f"{self._cell(cells.get(b, Cell('-'))):<{width_cell}}" for b in self.backends
                )
                out.write(line.rstrip() + "\n")
        for note in self.notes:
            out.write(f"  * {note}\n")
        return out.getvalue()

    @staticmethod
    def _cell(cell: Cell) -> str:
        verdict = "" if cell.ok is None else ("  PASS" if cell.ok else "  MISS")
        return cell.text + verdict


def ms(value: float) -> str:
    return f"{value:,.2f} ms" if value < 100 else f"{value:,.0f} ms"


# ------------------------------------------------------------------ (b) reads


def bench_reads(backend: Backend, report: Report, calls: int, section: str) -> None:
    ids = backend.account_ids
    rng = random.Random(7)
    typical = [f"participants:p{n:04d}:gbp" for n in rng.sample(range(1, PARTICIPANTS + 1), 20)]
    typical_ids = [ids[c] for c in typical]
    bank_id = ids[BANK]

    with unit_of_work(backend.factory) as session:
        counts = dict(session.execute(text("SELECT account_id, postings_count FROM account_balances")).all())
        second_page = {}
        for code in typical:
            first = queries.statement(session, code, YEAR_START, YEAR_END, limit=100)
            second_page[code] = first.next_cursor
        mid = session.execute(
            select(_postings.c.effective_date, _postings.c.id)
            .where(_postings.c.account_id == bank_id, _postings.c.effective_date <= MID_YEAR)
            .order_by(_postings.c.effective_date.desc(), _postings.c.id.desc())
            .limit(1)
        ).one()
    bank_mid_cursor = encode_cursor(mid.effective_date, mid.id)
    typical_count = int(statistics.median(counts[i] for i in typical_ids))
    report.notes.append(
        f"{backend.label}: typical account = 20 participant accounts in turn (median {typical_count:,} postings "
        f"a year); bank account = {BANK} ({counts[bank_id]:,} postings)"
    )

    def pick(i: int) -> str:
        return typical[i % len(typical)]

    cases: list[tuple[str, float, Callable[[Session, int], object], int]] = [
        (
            "balance_by_id, current",
            TARGET_BALANCE_MS,
            lambda s, i: queries.balance_by_id(s, typical_ids[i % 20]),
            calls,
        ),
        (
            "balance_by_id, as of 30 June",
            TARGET_BALANCE_MS,
            lambda s, i: queries.balance_by_id(s, typical_ids[i % 20], MID_YEAR),
            calls,
        ),
        (
            "balance_by_id, bank, as of 30 June",
            TARGET_BALANCE_MS,
            lambda s, i: queries.balance_by_id(s, bank_id, MID_YEAR),
            calls,
        ),
        (
            "statement page 1 (100 lines)",
            TARGET_PAGE_MS,
            lambda s, i: queries.statement(s, pick(i), YEAR_START, YEAR_END, limit=100),
            max(12, calls // 4),
        ),
        (
            "statement page 2 via cursor",
            TARGET_PAGE_MS,
            lambda s, i: queries.statement(s, pick(i), YEAR_START, YEAR_END, after=second_page[pick(i)], limit=100),
            max(12, calls // 4),
        ),
        (
            "statement, bank, page 1",
            TARGET_PAGE_MS,
            lambda s, i: queries.statement(s, BANK, YEAR_START, YEAR_END, limit=100),
            max(12, calls // 4),
        ),
        (
            "statement, bank, mid-year page via cursor",
            TARGET_PAGE_MS,
            lambda s, i: queries.statement(s, BANK, YEAR_START, YEAR_END, after=bank_mid_cursor, limit=100),
            max(12, calls // 4),
        ),
    ]
    for label, target, call, n in cases:
        if label == "statement page 2 via cursor" and not all(second_page.values()):
            report.put(
                section,
                label,
                backend.label,
                Cell("n/a: these accounts hold fewer than 101 lines"),
                target=f"< {target:g} ms",
            )
            continue
        timing = time_calls(backend, n, call)
        ok = timing.later_ms < target
        report.put(
            section,
            label,
            backend.label,
            Cell(f"{ms(timing.later_ms)} (p95 {timing.p95_later_ms:.2f}; calls 1-5 {timing.first_five_ms:.2f})", ok),
            target=f"< {target:g} ms",
        )
        log(
            f"{backend.label}: {label}: median {timing.later_ms:.3f} ms after five calls, "
            f"{timing.first_five_ms:.3f} ms for the first five ({len(timing.seconds)} calls)"
        )
    # What a request pays on top: a transaction of its own (SQLite takes the write lock at BEGIN IMMEDIATE).
    timing = time_calls(
        backend, calls, lambda s, i: queries.balance_by_id(s, typical_ids[i % 20]), own_transaction=True
    )
    report.put(
        section,
        "balance_by_id in a transaction of its own",
        backend.label,
        Cell(f"{ms(timing.later_ms)} (p95 {timing.p95_later_ms:.2f})"),
        target="(info)",
    )


# ------------------------------------------------------------------ (c) trial balance, GROUP BY, hledger


def bench_trial_balance(backend: Backend, report: Report, section: str, hledger: HledgerRun | None) -> None:
    timing = time_calls(backend, 30, lambda s, i: queries.trial_balance(s))
    report.put(
        section,
        "trial_balance (stored balances)",
        backend.label,
        Cell(f"{ms(timing.later_ms)} (calls 1-5 {timing.first_five_ms:.1f})", timing.later_ms < TARGET_TRIAL_MS),
        target=f"< {TARGET_TRIAL_MS:g} ms",
    )
    log(f"{backend.label}: trial balance {timing.later_ms:.2f} ms")

    timing = time_calls(backend, 8, lambda s, i: queries.trial_balance(s, MID_YEAR))
    report.put(
        section,
        "trial_balance as of 30 June (daily totals)",
        backend.label,
        Cell(f"{ms(statistics.median(timing.seconds) * 1000)}"),
        target="(info)",
    )

    group_by = text("SELECT account_id, unit, sum(amount) FROM postings GROUP BY account_id, unit")
    timing = time_calls(backend, 3, lambda s, i: s.execute(group_by).all())
    report.put(
        section,
        "GROUP BY over every posting",
        backend.label,
        Cell(ms(statistics.median(timing.seconds) * 1000)),
        target="(compare)",
    )
    log(f"{backend.label}: GROUP BY over every posting {statistics.median(timing.seconds):.2f} s")

    if hledger is not None:
        same = f" (as on {hledger.backend}: same books)" if hledger.reused else ""
        report.put(
            section,
            "export of the journal for hledger",
            backend.label,
            Cell(f"{hledger.export_seconds:,.1f} s{same or f' ({hledger.exporter})'}"),
            target="(info)",
        )
        if hledger.error:
            report.put(
                section, "hledger bal on the exported journal", backend.label, Cell(hledger.error), target="(compare)"
            )
        else:
            report.put(
                section,
                "hledger bal on the exported journal",
                backend.label,
                Cell(f"{hledger.seconds * 1000:,.0f} ms, {hledger.max_rss_gb:.1f} GB{same}"),
                target="(compare)",
            )
            report.put(
                section, "hledger's balances = trial balance", backend.label, Cell(hledger.agrees), target="(check)"
            )


@dataclass
class HledgerRun:
    backend: str
    exporter: str
    export_seconds: float
    books: tuple
    seconds: float = 0.0
    max_rss_gb: float = 0.0
    balances: dict[str, list[Decimal]] = field(default_factory=dict)
    agrees: str = ""
    error: str = ""
    reused: bool = False


def books_signature(backend: Backend) -> tuple:
    with unit_of_work(backend.factory) as session:
        trial = queries.trial_balance(session)
    return tuple((row.account.code, row.balance) for row in trial.rows)


def export_journal(backend: Backend, path: Path) -> tuple[str, float]:
    started = time.perf_counter()
    with unit_of_work(backend.factory) as session, path.open("w", encoding="utf-8") as stream:
        if importlib.util.find_spec("ledger.books.export") is not None:
            from ledger.books.export import export_journal as export

            export(session, "hledger", stream)
            exporter = "ledger.books.export"
        else:
            write_minimal_journal(session, stream)
            exporter = "minimal journal written by the benchmark"
    return exporter, time.perf_counter() - started


def write_minimal_journal(session: Session, stream) -> None:
    """An hledger journal of every entry, for when ``ledger.books.export`` is not there yet."""
    query = (
        select(
            _entries.c.id,
            _entries.c.effective_date,
            _entries.c.description,
            _accounts.c.code,
            _postings.c.amount,
            _postings.c.unit,
        )
        .join(_entries, _entries.c.id == _postings.c.entry_id)
        .join(_accounts, _accounts.c.id == _postings.c.account_id)
        .order_by(_postings.c.entry_id, _postings.c.id)
        .execution_options(yield_per=20_000)
    )
    current = None
    for row in session.execute(query):
        if row.id != current:
            current = row.id
            stream.write(f"\n{row.effective_date.isoformat()} {row.description.replace(';', ',')}\n")
        stream.write(f"    {row.code}  {_hledger_amount(row.amount, row.unit)}\n")


def _hledger_amount(minor: int, unit_code: str) -> str:
    unit = UNITS[unit_code]
    places = len(str(unit.minor_per_major)) - 1
    if unit.minor_per_major == 10**places and places > 0:
        sign = "-" if minor < 0 else ""
        whole, part = divmod(abs(minor), unit.minor_per_major)
        return f"{sign}{whole}.{part:0{places}d} {unit.export_commodity}"
    return f"{minor} {unit.export_commodity}"


_AMOUNT = re.compile(r"^\s*(?P<pre>[^-+\d.\s]*)\s*(?P<num>[-+]?[\d,]*\.?\d+)\s*(?P<post>[^\d\s]*)\s*$")


def run_hledger(journal: Path, run: HledgerRun) -> None:
    if shutil.which("hledger") is None:
        run.error = "hledger is not installed"
        return
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(["hledger", "-f", str(journal), "bal", "-O", "csv", "-E"], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        run.seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        run.max_rss_gb = usage.ru_maxrss / 1024 / 1024
        if proc.returncode != 0:
            err.seek(0)
            run.error = f"hledger failed: {err.read().decode(errors='replace').strip()[:200]}"
            return
        out.seek(0)
        lines = out.read().decode().splitlines()
    for line in lines[1:]:
        account, _, amounts = line.partition(",")
        if account.strip('"') == "total":
            continue
        for amount in amounts.strip('"').split(", "):
            match = _AMOUNT.match(amount)
            if match is None or Decimal(match["num"].replace(",", "")) == 0:
                continue
            commodity = match["pre"] or match["post"]
            run.balances.setdefault(commodity, []).append(Decimal(match["num"].replace(",", "")))


def compare_with_trial_balance(backend: Backend, run: HledgerRun) -> None:
    """Do hledger's non-zero balances, per commodity, match the trial balance's (names set aside)?"""
    with unit_of_work(backend.factory) as session:
        trial = queries.trial_balance(session)
    ours: dict[str, list[int]] = defaultdict(list)
    for row in trial.rows:
        if row.balance:
            ours[row.account.unit].append(row.balance)
    unmatched = []
    for commodity, amounts in run.balances.items():
        theirs = sorted(amounts)
        if not any(
            sorted(Decimal(b) / scale for b in balances) == theirs
            for unit, balances in ours.items()
            for scale in (1, UNITS[unit].minor_per_major)
        ):
            unmatched.append(commodity)
    accounts = sum(len(v) for v in run.balances.values())
    run.agrees = (
        f"yes, {accounts:,} non-zero balances"
        if not unmatched and run.balances
        else f"NO: {', '.join(unmatched) or 'nothing parsed'} differ"
    )


# ------------------------------------------------------------------ (a) posting rate

_RUNS = itertools.count()


def bench_posting(backend: Backend, report: Report, entries: int, section: str, profile: bool) -> None:
    rounds = 5 if entries >= 500 else 2
    per_round = max(1, entries // rounds)
    days = 300
    specs_post = list(entry_specs(11, per_round * rounds, dt.date(YEAR + 1, 1, 1), days))
    specs_raw = list(entry_specs(13, per_round * rounds, dt.date(YEAR + 1, 1, 1), days))
    ids = backend.account_ids
    hashes = [hashlib.sha256(f"raw-{i}".encode()).hexdigest() for i in range(len(specs_raw))]
    entry_insert = _entries.insert().returning(_entries.c.id)
    posting_insert = _postings.insert()
    engine = backend.engine
    factory = backend.factory
    run = next(_RUNS)  # keys of their own, should the rounds run twice against one database

    def post(i: int) -> None:
        spec = specs_post[i]
        with unit_of_work(factory) as session:
            post_entry(
                session,
                effective_date=spec.day,
                description=spec.description,
                kind=spec.kind,
                postings=[PostingLine(code, amount, unit) for code, amount, unit in spec.lines],
                idempotency_key=f"bench-post-{run}-{i}",
            )

    def raw(i: int) -> None:
        spec = specs_raw[i]
        with engine.begin() as connection:
            entry_id = connection.execute(
                entry_insert,
                {
                    "effective_date": spec.day,
                    "recorded_at": dt.datetime.now(dt.UTC),
                    "description": spec.description,
                    "kind": spec.kind,
                    "idempotency_key": f"bench-raw-{run}-{i}",
                    "content_hash": hashes[i],
                },
            ).scalar_one()
            connection.execute(
                posting_insert,
                [
                    {
                        "entry_id": entry_id,
                        "account_id": ids[code],
                        "unit": unit,
                        "amount": amount,
                        "effective_date": spec.day,
                        "memo": None,
                    }
                    for code, amount, unit in spec.lines
                ],
            )

    # Warm both paths (statement caches, connection pool) on entries of their own.
    warm = list(entry_specs(17, 20, dt.date(YEAR + 1, 12, 1), 20))
    for i, spec in enumerate(warm):
        with unit_of_work(factory) as session:
            post_entry(
                session,
                effective_date=spec.day,
                description=spec.description,
                postings=[PostingLine(*line) for line in spec.lines],
                idempotency_key=f"bench-warm-{run}-{i}",
            )
        specs_raw.append(spec)
        hashes.append("0" * 64)
        raw(len(specs_raw) - 1)

    clock = time.perf_counter
    spent = {"post": 0.0, "raw": 0.0}
    latencies: dict[str, list[float]] = {"post": [], "raw": []}
    profiler = cProfile.Profile() if profile else None
    for r in range(rounds):
        order = ("raw", "post") if r % 2 == 0 else ("post", "raw")
        for method in order:
            fn = post if method == "post" else raw
            if method == "post" and profiler is not None:
                profiler.enable()
            started = clock()
            for i in range(r * per_round, (r + 1) * per_round):
                t0 = clock()
                fn(i)
                latencies[method].append(clock() - t0)
            spent[method] += clock() - started
            if method == "post" and profiler is not None:
                profiler.disable()
    done = per_round * rounds
    rate_post, rate_raw = done / spent["post"], done / spent["raw"]
    ratio = rate_post / rate_raw
    label_raw = "raw SQLAlchemy Core insert, entries/s"
    report.put(
        section,
        label_raw,
        backend.label,
        Cell(f"{rate_raw:,.0f}/s ({statistics.median(latencies['raw']) * 1000:.2f} ms each)"),
    )
    report.put(
        section,
        "post_entry, entries/s",
        backend.label,
        Cell(f"{rate_post:,.0f}/s ({statistics.median(latencies['post']) * 1000:.2f} ms each)"),
    )
    report.put(
        section,
        "post_entry rate / raw rate",
        backend.label,
        Cell(f"{ratio:.2f}", ratio >= TARGET_RATIO),
        target=f">= {TARGET_RATIO:.2f}",
    )
    log(f"{backend.label}: post_entry {rate_post:,.0f}/s, raw {rate_raw:,.0f}/s, ratio {ratio:.2f}")
    if profiler is not None:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(30)
        print(f"\ncProfile of post_entry on {backend.label}, {done} entries:\n{stream.getvalue()}", file=sys.stderr)


# ------------------------------------------------------------------ main


def run_backend(backend: Backend, args, report: Report, workdir: Path, hledger_runs: list[HledgerRun]) -> None:
    section_a = f"(a) posting, one transaction per entry ({args.entries:,} entries per method)"
    log(f"{backend.label}: opening {len(chart_of_accounts()):,} accounts")
    open_chart(backend)
    log(f"{backend.label}: loading about {args.postings:,} postings")
    loaded = bulk_load(backend, args.postings)
    log(f"{backend.label}: loaded {loaded.entries:,} entries, {loaded.postings:,} postings in {loaded.seconds:.1f} s")
    section_b = f"(b) reads with {loaded.postings:,} postings; median after five calls (p95; first five)"
    section_c = f"(c) trial balance over {loaded.postings:,} postings"
    report.put(
        "setup",
        "bulk load incl. indexes and stored balances",
        backend.label,
        Cell(f"{loaded.seconds:,.1f} s ({loaded.entries:,} entries)"),
        target="(info)",
    )
    report.row(section_a, "raw SQLAlchemy Core insert, entries/s")  # (a) runs last but is shown first

    bench_reads(backend, report, args.calls, section_b)

    hledger = None
    if not args.no_hledger:
        books = books_signature(backend)
        previous = next((h for h in hledger_runs if h.books == books and not h.error), None)
        if previous is not None:
            # The same seed loads the same books everywhere: hledger's answer is the same too.
            hledger = dataclasses.replace(previous, reused=True)
            log(f"{backend.label}: same books as {previous.backend}'s; the journal is not exported again")
        else:
            journal = workdir / f"{backend.name}.journal"
            log(f"{backend.label}: exporting the journal")
            exporter, seconds = export_journal(backend, journal)
            hledger = HledgerRun(backend.label, exporter, seconds, books)
            log(
                f"{backend.label}: exported in {seconds:.1f} s; hledger bal on "
                f"{journal.stat().st_size / 1e6:,.0f} MB of journal"
            )
            run_hledger(journal, hledger)
            log(f"{backend.label}: hledger took {hledger.seconds:.1f} s, {hledger.max_rss_gb:.1f} GB")
            if not hledger.error:
                compare_with_trial_balance(backend, hledger)
            journal.unlink()
            hledger_runs.append(hledger)
    bench_trial_balance(backend, report, section_c, hledger)

    bench_posting(backend, report, args.entries, section_a, args.profile)


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(prog="python -m bench.bench_books", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="100,000 postings for (b) and (c) and 1,000 entries for (a) (instead of 1,000,000 and 2,000)",
    )
    parser.add_argument("--postings", type=int, help="postings to load for (b) and (c)")
    parser.add_argument("--entries", type=int, help="entries per method for (a)")
    parser.add_argument("--calls", type=int, help="calls per read figure (statement pages take a quarter)")
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgresql"],
        action="append",
        help="run on this database only (may be repeated)",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL),
        help="PostgreSQL database to drop and create (default: %(default)s)",
    )
    parser.add_argument("--no-hledger", action="store_true", help="skip the export and hledger")
    parser.add_argument("--keep", action="store_true", help="keep both databases afterwards, to look into them")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the post_entry rounds")
    args = parser.parse_args(argv)
    quick = args.quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    args.postings = args.postings or (100_000 if quick else 1_000_000)
    args.entries = args.entries or (1_000 if quick else 2_000)
    args.calls = args.calls or (800 if quick else 2_000)
    args.backend = args.backend or ["sqlite", "postgresql"]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    report = Report()
    versions = []
    hledger_runs: list[HledgerRun] = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-books-"))
    try:
        for name in args.backend:
            log(f"{name}: creating a fresh database")
            try:
                backend = fresh_sqlite(workdir) if name == "sqlite" else fresh_postgresql(args.pg_url, keep=args.keep)
            except Exception as error:  # an unreachable server: say so and carry on with SQLite
                if name == "sqlite":
                    raise
                report.notes.append(f"PostgreSQL skipped: {str(error).splitlines()[0]}")
                log(report.notes[-1])
                continue
            versions.append(backend.version)
            try:
                run_backend(backend, args, report, workdir, hledger_runs)
            finally:
                backend.cleanup()
    finally:
        if args.keep:
            log(f"SQLite: database kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - started
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        report.notes.append(
            f"The machine was busy: load average {load:.1f} on {os.cpu_count()} cores at the end "
            f"({load_at_start:.1f} at the start); absolute figures are pessimistic, ratios less so."
        )
    title = (
        f"Books benchmark: {args.postings:,} postings asked for (b) and (c){' (--quick)' if args.quick else ''}; "
        f"{', '.join(versions)}; SQLite in WAL mode with synchronous=FULL as make_engine sets it; "
        f"{os.cpu_count()} cores; {elapsed:,.0f} s in all"
    )
    print(report.render(title))
    misses = report.misses()
    print(f"Targets missed: {', '.join(misses)}" if misses else "Every target met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
