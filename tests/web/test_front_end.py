"""The design system is served by the app itself, in the organisation's own look: no crown, no GOV.UK logo,
no GDS Transport font, and no inline script (so a later ``script-src 'self'`` policy needs no exception)."""

from __future__ import annotations

import os
import re

import pytest

from ledger.web.assets import BUILD

pytestmark = pytest.mark.skipif(not (BUILD / "application.css").exists() and os.environ.get("CI") != "true",
                                reason="run `make assets` to build the design system's styles")


def fetch(client, path: str) -> tuple[int, str]:
    """A file's status and text, its response closed (a static file is streamed from disk)."""
    response = client.get(path)
    try:
        return response.status_code, response.get_data(as_text=True)
    finally:
        response.close()


def test_the_pages_styles_and_scripts_come_from_the_app(client):
    html = client.get("/login").get_data(as_text=True)
    for asset in ("/assets/application.css", "/assets/application.js"):
        assert asset in html
        assert fetch(client, asset)[0] == 200
    assert '<script type="module" src="/assets/application.js"></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script"
    assert "import { initAll }" in fetch(client, "/assets/application.js")[1]
    assert fetch(client, "/assets/govuk-frontend.min.js")[0] == 200


def test_no_crown_no_gov_uk_logo_and_no_gds_transport(client, app):
    html = client.get("/login").get_data(as_text=True)
    assert f'<span class="app-header__organisation">{app.config["ORGANISATION_NAME"]}</span>' in html
    assert "govuk-logo" not in html and "crown" not in html.lower() and "GOV.UK" not in html
    status, css = fetch(client, "/assets/application.css")
    assert status == 200
    assert "GDS Transport" not in css and "@font-face" not in css
    assert "system-ui" in css
