"""People who reach a wrong address or a page not for them get a friendly page; API clients get JSON."""

from __future__ import annotations

import re

import pytest

from ledger.auth.access import public
from ledger.context import reload_settings
from tests.factories import add_user, sign_in


def _is_friendly_page(response) -> str:
    assert response.content_type.startswith("text/html")
    html = response.get_data(as_text=True)
    assert '<html lang="en-GB" class="govuk-template">' in html
    assert re.search(r'<a href="#main" class="govuk-skip-link"[^>]*>Skip to main content</a>', html)
    assert 'href="/">Go to the home page</a>' in html
    assert "Traceback" not in html
    return html


def test_unknown_address_gets_a_friendly_not_found_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = _is_friendly_page(response)
    assert "<h1 class=\"govuk-heading-l\">Not found</h1>" in html


def test_page_not_for_your_role_gets_a_friendly_not_allowed_page(app, client):
    add_user(app, "pm@example.org", ["project_manager"])
    sign_in(client, "pm@example.org")
    response = client.get("/books/trial-balance")
    assert response.status_code == 403
    html = _is_friendly_page(response)
    assert "<h1 class=\"govuk-heading-l\">Not allowed</h1>" in html
    assert "Your role does not allow this." in html
    assert "Sign out Pm" in html  # still signed in, with the menu


def test_wrong_method_gets_a_friendly_page(client):
    response = client.get("/books/periods/lock")
    assert response.status_code == 405
    _is_friendly_page(response)


def test_too_many_sign_in_attempts_gets_a_please_wait_page(app, client):
    app.config["LOGIN_MAX_FAILURES"] = 1
    reload_settings(app)
    sign_in(client, "fin@example.org", "wrong password!")
    response = sign_in(client, "fin@example.org", "wrong password!")
    assert response.status_code == 429
    assert "<h1 class=\"govuk-heading-l\">Please wait</h1>" in _is_friendly_page(response)


def test_unexpected_failure_gets_a_calm_page_that_says_nothing_changed(app, client, caplog):
    @public
    def broken():
        raise RuntimeError("database exploded: secret detail")

    app.add_url_rule("/test/broken", view_func=broken)
    app.add_url_rule("/api/v1/test-broken", "api_broken", view_func=broken)
    response = client.get("/test/broken")
    assert response.status_code == 500
    html = _is_friendly_page(response)
    assert "Something went wrong on our side. Nothing was changed; please try again." in html
    assert "secret detail" not in html
    api = client.get("/api/v1/test-broken")
    assert api.status_code == 500
    assert api.json == {"error": {"code": "internal_error", "message":
                                  "Something went wrong on our side. Nothing was changed; please try again."}}
    assert "database exploded" in caplog.text


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/api/v1/no-such-thing", 404, "not_found"),
    ("DELETE", "/api/v1/trial-balance", 405, "method_not_allowed"),
])
def test_api_errors_keep_the_one_json_shape(client, method, path, status, code):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert set(response.json) == {"error"}
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]


def test_page_request_too_large_gets_a_friendly_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/login", data={"email": "x" * 200, "password": "y"})
    assert response.status_code == 413
    _is_friendly_page(response)
