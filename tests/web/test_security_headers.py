"""Every response carries the security headers: a page, an API call, an asset and an error page; answers to a
signed-in user or a token are never stored; HSTS only in production."""

from __future__ import annotations

import pytest

from ledger.web.headers import CONTENT_SECURITY_POLICY, security_headers
from tests.factories import add_user, api_token_for, bearer, sign_in

CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'"


@pytest.fixture
def finance(app) -> int:
    return add_user(app, "fin@example.org", ["finance"])


def _common(response) -> None:
    response.close()  # an asset is a file sent as it is read: close it (warnings are errors)
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # not in development


def test_pages_api_assets_and_errors_all_carry_the_headers(app, client, finance):
    token = api_token_for(app, finance)
    anonymous = {"login page": client.get("/login"), "asset": client.get("/assets/application.css"),
                 "missing page": client.get("/no-such-page"), "public API": client.get("/api/v1/openapi.json")}
    for name, response in anonymous.items():
        _common(response)
        assert "no-store" not in response.headers.get("Cache-Control", ""), name

    api = client.get("/api/v1/accounts", headers=bearer(token))
    api_refused = client.get("/api/v1/claims/999999", headers=bearer(token))
    sign_in(client, "fin@example.org")
    signed_in = {"page": client.get("/books/trial-balance"), "error page": client.get("/no-such-page"),
                 "api": api, "api error": api_refused}
    for name, response in signed_in.items():
        _common(response)
        assert response.headers["Cache-Control"] == "no-store", name
    assert [r.status_code for r in signed_in.values()] == [200, 404, 200, 404]
    asset = client.get("/assets/application.css")
    _common(asset)
    assert "no-store" not in asset.headers.get("Cache-Control", "")  # the same for everyone, nothing personal


def test_hsts_is_sent_in_production_only():
    assert security_headers(production=True, personal=False)["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains")
    assert "Strict-Transport-Security" not in security_headers(production=False, personal=True)
    assert CONTENT_SECURITY_POLICY == CSP
