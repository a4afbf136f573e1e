"""The JSON API, under /api/v1: marshmallow schemas at the edge, OpenAPI generated from them."""

from __future__ import annotations

from flask import Flask

from ledger.api import (
    advances,
    bank_statements,
    books,
    budgets,
    chain,
    circumstances,
    claims,
    corrections,
    docs_page,
    documents,
    events,
    exports,
    holds,
    openapi,
    payments,
    people,
    policy_check,
    privacy,
    projects,
    reports,
    timebank,
    tokens,
    users,
    verify,
)
from ledger.auth import idempotency


def init_app(app: Flask) -> None:
    api = openapi.LedgerApi(app, spec_kwargs={"info": {"description": "Fees, expenses, time credits and benefit-safe "
                                                       "payments for co-production work."}})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    openapi.init_spec(api)
    app.extensions["api"] = api
    docs_page.init_app(app)
    csrf = app.extensions["csrf"]

    for blueprint in (books.blp, tokens.blp, policy_check.blp, people.blp, projects.blp, claims.blp, holds.blp,
                      payments.blp, timebank.blp, documents.blp, users.blp,
                      advances.blp, corrections.blp, events.blp, circumstances.blp, budgets.blp, reports.blp,
                      exports.blp, bank_statements.blp, chain.blp, verify.blp, privacy.blp):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    # Idempotency-Key on every API POST (after the permission check, which the web layer registered first).
    app.before_request(idempotency.claim_key)
    app.after_request(idempotency.remember_answer)
