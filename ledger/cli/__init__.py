"""The command line: ``flask --app wsgi ledger|payments|timebank|documents|bank ...``.

Commands parse their options, call one service in one transaction (``unit_of_work``) and print what
happened; like the web routes, they read settings and sessions from ``ledger.context`` only.
"""

from __future__ import annotations

from flask import Flask

from ledger.cli import (
    advances,  # noqa: F401  (adds ``ledger overdue-advances`` to the ledger group)
    audit,  # noqa: F401  (adds events-csv and lock-month to the ledger group)
    chain,  # noqa: F401  (adds seal, checkpoint, checkpoint-check, backup and restore to the ledger group)
    corrections,  # noqa: F401  (adds correct-attendance and benefit-rechecks to the ledger group)
    outbox,  # noqa: F401  (adds send-email and print-pack to the ledger group)
    privacy,  # noqa: F401  (adds rotate-keys, subject-access, erase and erase-expired to the ledger group)
    reports,  # noqa: F401  (adds ``ledger report``: co-production reports as CSV or PDF)
)
from ledger.cli import users as _users  # noqa: F401  (adds the user commands to ledger_cli)
from ledger.cli.bank import bank_cli
from ledger.cli.books import ledger_cli
from ledger.cli.holds import holds_cli
from ledger.cli.payments import payments_cli, timebank_cli
from ledger.cli.returns import record_returns_command  # noqa: F401  (adds ``ledger record-returns``)
from ledger.documents.cli import documents_cli

COMMAND_GROUPS = (ledger_cli, payments_cli, timebank_cli, documents_cli, bank_cli)


ledger_cli.add_command(holds_cli)


def init_app(app: Flask) -> None:
    for group in COMMAND_GROUPS:
        app.cli.add_command(group)
