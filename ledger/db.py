"""Database plumbing shared by every part of the ledger: the declarative base, engines, sessions.

Nothing here imports Flask. SQLite connections run in WAL mode with foreign keys on and take the
write lock when a transaction begins (BEGIN IMMEDIATE), so that two processes writing the same balances
queue instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Integer,
    MetaData,
    Table,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import NullType, TypeDecorator

from ledger.chain import links as chain_links

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, INTEGER (rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A moment in time, stored in UTC and always read back as an aware UTC datetime.

    PostgreSQL's ``timestamptz`` keeps the zone but SQLite hands back naive datetimes; this one type
    makes both backends give the same answer, so no reader needs to guess what a naive value meant.
    The column underneath is still ``DateTime(timezone=True)``, so no migration is involved.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else as_utc(value)


def utcnow() -> dt.datetime:
    """Now, aware in UTC: the one clock every stored moment is taken from (``UTCDateTime`` reads back the same)."""
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """The same moment in UTC; a naive value is one the database wrote in UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        # Every model here is mapped to one Table (SQLAlchemy types it as any FromClause).
        __table__: ClassVar[Table]


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """How many PostgreSQL connections one process keeps and may open, and how long a statement may run.

    Each gunicorn worker has its own pool: ``size`` plus ``max_overflow`` times the number of workers must
    stay below the server's ``max_connections``. A statement running past ``statement_timeout_ms`` is
    cancelled by the server, so that one runaway query cannot hold a worker until gunicorn kills it; a
    transaction left open and idle past ``idle_in_transaction_ms`` is ended, so it cannot hold its locks.
    """

    size: int = 5
    max_overflow: int = 10
    timeout_seconds: int = 30
    statement_timeout_ms: int = 30_000
    idle_in_transaction_ms: int = 60_000


def make_engine(url: str, pool: PoolSettings | None = None, **kwargs) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    pool = pool or PoolSettings()
    # Custom plans: psycopg prepares statements after five runs, and a generic plan for a
    # date-range statement query is ten times slower (see PERFORMANCE-NOTES). No JIT: this application's
    # queries are short, and a plan whose cost estimate crosses jit_above_cost spent a second compiling itself
    # to run in two milliseconds (what the finance queue's people received, at a million postings; issue 12).
    options = "-c plan_cache_mode=force_custom_plan -c timezone=UTC -c jit=off"
    if pool.statement_timeout_ms > 0:
        options += f" -c statement_timeout={pool.statement_timeout_ms}"
    if pool.idle_in_transaction_ms > 0:
        options += f" -c idle_in_transaction_session_timeout={pool.idle_in_transaction_ms}"
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", pool.size)
    kwargs.setdefault("max_overflow", pool.max_overflow)
    kwargs.setdefault("pool_timeout", pool.timeout_seconds)
    return create_engine(url, connect_args={"options": options}, **kwargs)


def count_statements(engine: Engine, counter: Callable[[], None]) -> None:
    """Call ``counter`` before every SQL statement the engine runs (the HTTP benchmark's statements per request)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _counted(*_args):
        counter()


def _configure_sqlite(engine: Engine) -> None:
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (savepoints need it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine, chain_key: str | None = None, *,
                         limits: dict | None = None) -> sessionmaker[Session]:
    """Sessions on ``engine`` that link the entries and events they write into the keyed chain as they commit.

    ``chain_key`` is ``LEDGER_CHAIN_KEY``; without one (tests, benchmarks) the open development key is used.
    ``limits`` (the posting writer's ``MAX_POSTINGS_KEY``) ride in ``Session.info``, so the writer of postings
    reads the configured bound from the unit of work it is handed, not from Flask.
    """
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False, info=dict(limits or {}))
    chain_links.install(factory, chain_key or chain_links.DEV_CHAIN_KEY, Base.metadata)
    return factory


@contextmanager
def unit_of_work(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One database transaction: commit when the block ends cleanly, roll back on any error."""
    session = session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgresql(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


# ---------------------------------------------------------------- many rows at once

#: From how many rows ``insert_rows`` sends PostgreSQL arrays rather than a multi-row VALUES list.
ARRAYS_FROM = 50


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``table`` and give each row's new id, in the order given.

    A payment run writes ten thousand events and thousands of entries and postings at once. Sent as SQLAlchemy's
    multi-row ``VALUES`` (15,000 parameters a statement), psycopg and PostgreSQL spent a third of a millisecond a
    row parsing them; on PostgreSQL, from ``ARRAYS_FROM`` rows, the ids are taken from the table's sequence first
    and the rows go as one array per column (``INSERT ... SELECT * FROM unnest(...)``): two statements, whatever
    the number of rows, with each value bound as any insert binds it. SQLite, and a few rows, take the usual way.
    Every row must name the same columns.
    """
    if not rows:
        return []
    if connection.dialect.name != "postgresql" or len(rows) < ARRAYS_FROM:
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return list(connection.execute(statement, list(rows)).scalars())
    ids, _ = _insert_arrays(connection, table, rows, skip_conflicts=False)
    return ids


def insert_rows_skipping_conflicts(connection: Connection, table: Table,
                                   rows: Sequence[Mapping[str, Any]]) -> list[int | None]:
    """``insert_rows``, leaving out (``ON CONFLICT DO NOTHING``) a row that would break a unique index: its id is
    None. For keys another writer may have taken since they were looked up."""
    if not rows:
        return []
    if connection.dialect.name != "postgresql" or len(rows) < ARRAYS_FROM:
        # Skipped rows return nothing, so the ids cannot be matched up by order: one row at a time.
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        insert_one = dialect.insert(table).on_conflict_do_nothing().returning(table.c.id)
        return [connection.execute(insert_one, dict(row)).scalar() for row in rows]
    ids, written = _insert_arrays(connection, table, rows, skip_conflicts=True)
    return [i if i in written else None for i in ids]


def _column_type(column: Any) -> Any:
    """A column's type; a foreign key's declared without one takes its target's (as the table's DDL did)."""
    if isinstance(column.type, NullType) and column.foreign_keys:
        return next(iter(column.foreign_keys)).column.type
    return column.type


def _insert_arrays(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *,
                   skip_conflicts: bool) -> tuple[list[int], set[int]]:
    ids = list(connection.execute(
        text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)"),
        {"n": len(rows)}).scalars())
    names = ["id", *(name for name in rows[0] if name != "id")]
    arrays: dict[str, list[Any]] = {name: [row[name] for row in rows] for name in names[1:]}
    arrays["id"] = ids
    types = {name: _column_type(table.c[name]) for name in names}
    casts = ", ".join(f"CAST(:{name} AS {types[name].compile(dialect=connection.dialect)}[])" for name in names)
    statement = text(
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({casts})"
        + (" ON CONFLICT DO NOTHING RETURNING id" if skip_conflicts else "")
    ).bindparams(*(bindparam(name, type_=postgresql.ARRAY(types[name])) for name in names))
    result = connection.execute(statement, arrays)
    return ids, (set(result.scalars()) if skip_conflicts else set(ids))
