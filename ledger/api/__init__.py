"""The JSON API, under /api/v1: marshmallow schemas at the edge, OpenAPI generated from them."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from ledger.api import (
    advances,
    books,
    budgets,
    circumstances,
    claims,
    corrections,
    documents,
    events,
    holds,
    payments,
    people,
    policy_check,
    privacy,
    projects,
    reports,
    timebank,
    tokens,
    users,
)
from ledger.auth import idempotency


def init_app(app: Flask) -> None:
    api = Api(app, spec_kwargs={"info": {"description": "Fees, expenses, time credits and benefit-safe "
                                                       "payments for co-production work."}})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    app.extensions["api"] = api
    csrf = app.extensions["csrf"]

    for blueprint in (books.blp, tokens.blp, policy_check.blp, people.blp, projects.blp, claims.blp, holds.blp,
                      payments.blp, timebank.blp, documents.blp, users.blp,
                      advances.blp, corrections.blp, events.blp, circumstances.blp, budgets.blp, reports.blp,
                      privacy.blp):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    # Idempotency-Key on every API POST (after the permission check, which the web layer registered first).
    app.before_request(idempotency.claim_key)
    app.after_request(idempotency.remember_answer)
