"""Processes to kill: a forked child confirms payment runs, or writes statements, and SIGKILLs itself.

The child is forked from the test's process (everything already imported, the app already built: no start-up
to pay for each kill) and drops the connections it inherited. The kill comes from inside, at a point a seeded
random choice makes (the N-th SQL statement of a confirmation, or half-way through writing the N-th file), so
a test is as quick as the work itself and fails the same way twice.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import traceback
from collections.abc import Callable

from flask import Flask
from sqlalchemy import event, select

from ledger.db import unit_of_work
from ledger.errors import Conflict
from ledger.payments import runs
from ledger.payments.models import PaymentRun

# About the number of SQL statements confirming a run of one payee runs: kills land anywhere among them.
STATEMENTS_PER_CONFIRMATION = 60


def in_child(app: Flask, work: Callable[[], None]) -> int:
    """Run ``work`` in a forked process on fresh connections; return its exit status, or minus the signal."""
    pid = os.fork()
    if pid == 0:  # the child
        status = 0
        try:
            app.extensions["engine"].dispose(close=False)  # the parent's connections stay the parent's
            work()
        except BaseException:
            traceback.print_exc()
            status = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def confirm_all(app: Flask, seed: int, rate: float) -> None:
    """Confirm every draft run in id order; with probability ``rate`` per run, die at a random statement of it."""
    rng = random.Random(seed)
    armed: dict[str, int | None] = {"left": None}

    def count(*_args) -> None:
        if armed["left"] is not None:
            armed["left"] -= 1
            if armed["left"] <= 0:
                die()

    event.listen(app.extensions["engine"], "before_cursor_execute", count)
    factory = app.extensions["session_factory"]
    with unit_of_work(factory) as session:
        drafts = session.execute(select(PaymentRun.id).where(PaymentRun.status == "draft")
                                 .order_by(PaymentRun.id)).scalars().all()
        actor = session.execute(select(PaymentRun.created_by_user_id).limit(1)).scalar()
    for run_id in drafts:
        armed["left"] = rng.randint(1, STATEMENTS_PER_CONFIRMATION) if rng.random() < rate else None
        try:
            with unit_of_work(factory) as session:
                runs.confirm_payment_run(session, run_id, actor_user_id=actor, bank_reference=f"BACS-{run_id}")
        except Conflict:
            pass  # confirmed already (by a process killed after its commit): paid once, not again
        armed["left"] = None


def write_statements(app: Flask, out: str, month: str, kill_at: int) -> None:
    """Write a month's statements through the command, dying half-way through writing the ``kill_at``-th file."""
    real_fdopen = os.fdopen
    written = {"n": 0}

    class Dying:
        def __init__(self, stream):
            self.stream = stream

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.stream.__exit__(*exc)

        def write(self, data):
            written["n"] += 1
            if written["n"] == kill_at:
                self.stream.write(data[: len(data) // 2])
                self.stream.flush()
                die()
            return self.stream.write(data)

        def __getattr__(self, name):
            return getattr(self.stream, name)

    os.fdopen = lambda *a, **k: Dying(real_fdopen(*a, **k))  # type: ignore[assignment]
    result = app.test_cli_runner().invoke(args=["documents", "statements", "--month", month, "--out", out])
    if result.exit_code != 0:
        raise SystemExit(f"statements failed: {result.output}")
