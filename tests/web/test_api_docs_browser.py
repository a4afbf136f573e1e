"""In chromium: the API's documentation page renders Swagger UI from the app's own assets under the page's
Content-Security-Policy, passes axe and reflows at 320 px.

Needs /usr/bin/chromium: skipped without it, except under CI=true, where it fails instead.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.browser import check_page
from tests.web.test_browser import live_app, page  # noqa: F401  (the shared chromium and live-server fixtures)

pytestmark = pytest.mark.browser


def test_the_api_documentation_page_renders_the_openapi_document(live_app, page):  # noqa: F811
    base = live_app.config["BASE_URL"]
    said: list[str] = []
    page.on("console", lambda message: said.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: said.append(f"pageerror: {error}"))
    answer = page.goto(f"{base}/api/docs")
    assert answer.status == 200
    expect(page.get_by_text("/api/v1/entries", exact=True).first).to_be_visible(timeout=20_000)
    check_page(page, "admin")
    violations = [line for line in said if re.search(r"Content.Security.Policy|Refused to", line, re.I)]
    assert violations == [], violations
