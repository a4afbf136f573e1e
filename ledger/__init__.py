"""Co-production payments ledger: the Flask application factory."""

from __future__ import annotations

import os

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the application; nothing happens at import time.

    The app's parts are imported here, as in Flask's tutorial, so that importing the books or the
    policy engine on their own (a script, a benchmark, the migrations) never loads the web layer.
    """
    from ledger import api, cli, context, proxies
    from ledger import models as _models  # noqa: F401  (register every table)
    from ledger.config import from_environment
    from ledger.web import setup as web

    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates",
                static_folder="web/static")
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(from_environment(app.instance_path, config))
    # Settings first: an invalid rules file or key stops the app before anything is served.
    context.init_app(app)
    web.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    proxies.init_app(app)
    return app

