"""The command line: ``flask --app wsgi ledger|payments|timebank|documents ...``.

Commands parse their options, call one service in one transaction (``unit_of_work``) and print what
happened; like the web routes, they read settings and sessions from ``ledger.context`` only.
"""

from __future__ import annotations

from flask import Flask

from ledger.cli import audit  # noqa: F401  (adds events-csv and lock-month to the ledger group)
from ledger.cli.books import ledger_cli
from ledger.cli.payments import payments_cli, timebank_cli
from ledger.documents.cli import documents_cli

COMMAND_GROUPS = (ledger_cli, payments_cli, timebank_cli, documents_cli)


def init_app(app: Flask) -> None:
    for group in COMMAND_GROUPS:
        app.cli.add_command(group)
