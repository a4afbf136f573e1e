"""Back the database up to one file, and restore such a file into an empty database.

SQLite: the online backup API (``sqlite3.Connection.backup``), a consistent copy while the app runs, with
nothing else installed. PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore`` (the client tools of the
server's major version or newer must be on the PATH; Debian: ``apt install postgresql-client``).

A backup is written to a temporary name beside the target and renamed into place, so a crash mid-way never
leaves a file that looks like a backup but is not. A restore goes only into an empty database (no tables at
all): restoring over live books would mix two histories. The chain's links travel with the rows, so
``ledger verify`` checks a restored copy exactly as it checked the original (with the same LEDGER_CHAIN_KEY).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from ledger.db import normalise_url
from ledger.errors import ConfigurationError, Conflict, ValidationError


def _sqlite_path(url: str) -> str | None:
    parsed = make_url(url)
    return (parsed.database or ":memory:") if parsed.get_backend_name() == "sqlite" else None


def _libpq_url(url: str) -> str:
    """The URL as pg_dump and pg_restore read it (no SQLAlchemy driver name)."""
    parsed = make_url(normalise_url(url)).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ConfigurationError(f"{name} is not installed: PostgreSQL backups need the PostgreSQL client tools "
                                 "(for example `apt install postgresql-client`) on the PATH.")
    return found


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise Conflict(f"{what} failed: {done.stderr.strip() or done.stdout.strip()}")


def backup_database(url: str, path: str) -> int:
    """Write a consistent backup of the database at ``url`` to ``path``; return its size in bytes."""
    target = Path(path)
    if target.exists():
        raise ValidationError(f"{path} already exists: choose a new file name for the backup.",
                              fields={"path": ["exists"]})
    if not target.parent.is_dir():
        raise ValidationError(f"There is no folder {target.parent} to write the backup into.",
                              fields={"path": ["no such folder"]})
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        source = _sqlite_path(url)
        if source is not None:
            with sqlite3.connect(source) as live, sqlite3.connect(partial) as copy:
                live.backup(copy)
            live.close()
            copy.close()
        else:
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}",
                  f"--dbname={_libpq_url(url)}"], "pg_dump")
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def _tables(url: str) -> list[str]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            return inspect(connection).get_table_names()
    finally:
        engine.dispose()


def restore_database(url: str, path: str) -> None:
    """Restore the backup at ``path`` into the empty database at ``url``; refuse a database holding any table."""
    source = Path(path)
    if not source.is_file():
        raise ValidationError(f"There is no backup file {path}.", fields={"path": ["no such file"]})
    target = _sqlite_path(url)
    if target is not None and target != ":memory:" and not Path(target).exists():
        present: list[str] = []
    else:
        present = _tables(url)
    if present:
        raise Conflict(f"The database to restore into is not empty (it has {len(present)} tables, such as "
                       f"{sorted(present)[0]}): restore only into a new, empty database.",
                       fields={"DATABASE_URL": ["not empty"]})
    if target is not None:
        with open(source, "rb") as header:
            if header.read(16) != b"SQLite format 3\x00":
                raise ValidationError(f"{path} is not a SQLite backup (was it made from PostgreSQL?).",
                                      fields={"path": ["not a SQLite backup"]})
        with sqlite3.connect(source) as backup, sqlite3.connect(target) as restored:
            backup.backup(restored)
        backup.close()
        restored.close()
        return
    _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={_libpq_url(url)}", str(source)], "pg_restore")
