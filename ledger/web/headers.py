"""The security headers every response carries: pages, the JSON API, assets and error pages alike.

- ``Content-Security-Policy``: scripts, styles, images and forms from this site only, never inside a frame.
  The pages have no inline script, no inline event handler and no ``style=""`` (GOV.UK Frontend's script is
  a module file), so the policy needs no ``'unsafe-inline'``.
- ``Strict-Transport-Security`` in production only: development runs on plain HTTP on a laptop.
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.
- ``Cache-Control: no-store`` on every answer to a signed-in user or a bearer token: pages name people, their
  money and their benefits, and must not be kept by a shared computer's browser or a proxy. The built
  assets are the same for everyone and hold nothing personal, so they stay cacheable.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

from ledger.context import settings

CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
#: The API's documentation page (``/api/docs``): Swagger UI's stylesheet draws its icons as ``data:`` images.
API_DOCS_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
HSTS = "max-age=31536000; includeSubDomains"
#: The endpoints serving files that are the same for everyone (the design system's build and site.css).
ASSET_ENDPOINTS = frozenset({"static", "assets.static"})


def security_headers(*, production: bool, personal: bool) -> dict[str, str]:
    """The headers for one answer: ``personal`` when it goes to a signed-in user or a token's holder."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if production:
        headers["Strict-Transport-Security"] = HSTS
    if personal:
        headers["Cache-Control"] = "no-store"
    return headers


def _is_personal() -> bool:
    if request.endpoint in ASSET_ENDPOINTS:
        return False
    return request.headers.get("Authorization", "").startswith("Bearer ") or current_user.is_authenticated


def add_security_headers(response: Response) -> Response:
    """Put the security headers on the response (an ``after_request`` hook: error pages get them too)."""
    headers = security_headers(production=settings().production, personal=_is_personal())
    if request.endpoint == "api_docs":
        headers["Content-Security-Policy"] = API_DOCS_POLICY
    cache = response.headers.get("Cache-Control", "")
    if "Cache-Control" in headers and "no-store" in cache:
        headers.pop("Cache-Control")  # a download's own "private, no-store" already says it
    response.headers.update(headers)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
