"""The design system's styles and scripts, served by the app itself at ``/assets/`` (never from a CDN).

``make`` builds them from the pinned npm packages into ``ledger/web/frontend/build/`` (``npm ci`` then
``frontend/build.mjs``); that folder is not kept in git. The Jinja port of the design system's macros
(``govuk-frontend-jinja``, pinned to match) is found under the ``govuk_frontend_jinja/`` prefix.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask
from jinja2 import BaseLoader, ChoiceLoader, PackageLoader, PrefixLoader

BUILD = Path(__file__).parent / "frontend" / "build"

bp = Blueprint("assets", __name__, static_folder=str(BUILD), static_url_path="/assets")


def init_app(app: Flask) -> None:
    """Serve the built assets and let templates import the design system's macros."""
    app.register_blueprint(bp)
    own: BaseLoader | None = app.jinja_loader
    loaders: list[BaseLoader] = [own] if own is not None else []
    app.jinja_loader = ChoiceLoader(
        [*loaders, PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})])
