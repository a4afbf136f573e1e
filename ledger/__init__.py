"""Co-production payments ledger: the Flask application factory."""

from __future__ import annotations

import os

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the application; nothing happens at import time."""
    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates",
                static_folder="web/static")
    os.makedirs(app.instance_path, exist_ok=True)

    from ledger.config import from_environment

    app.config.from_mapping(from_environment(app.instance_path, config))

    from ledger import models  # noqa: F401  (register every table)
    from ledger.policy_settings import init_app as init_policies

    init_policies(app)

    from ledger.people.bank import BankCipher

    # Built once: a malformed key stops the app at start, not when finance first saves bank details.
    app.extensions["bank_cipher"] = BankCipher(app.config["BANK_DETAILS_KEY"])

    from ledger.web import database

    database.init_app(app)

    from ledger.web.setup import init_app as init_web

    init_web(app)

    from ledger.api import init_app as init_api

    init_api(app)

    from ledger.cli import init_app as init_cli

    init_cli(app)
    return app
