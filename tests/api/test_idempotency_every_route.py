"""Idempotency-Key on every API route that changes state, found by walking the application's URL map.

A new POST or DELETE route is covered the day it is added: nothing here lists routes by hand. Each test
sends one request to every such route, as a user whose roles pass every permission check (admin and
finance), so what answers is the key's check, which runs before the view:

- a key already used for another request is a 409 naming ``Idempotency-Key``, and the view never runs;
- a key already used for this very request replays its answer: status 200 and ``Idempotent-Replayed: true``;
- a key the system keeps for itself is a 400 naming the header, and nothing is stored;
- a key another user has used is no obstacle: the view answers, and a failed answer stores nothing.
"""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from ledger.auth import idempotency
from ledger.auth.models import IdempotentRequest
from ledger.db import utcnow
from tests.factories import add_user, api_token_for, bearer, database

HEADER, REPLAYED = "Idempotency-Key", "Idempotent-Replayed"
BODY = {"probe": "idempotency"}
STORED_ANSWER = {"stored": "the first answer"}


def changing_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, path) for every API route taking a changing method, its arguments filled with unknown ids."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<int:[^>]+>", "987654", re.sub(r"<(?:string:)?[a-z_]+>", "NO-SUCH-CODE", rule.rule))
        found += [(method, path) for method in sorted(rule.methods & {"POST", "DELETE"})]
    return sorted(found)


def test_the_walk_finds_every_kind_of_changing_route(app):
    routes = changing_routes(app)

    assert len(routes) > 60
    for expected in (("POST", "/api/v1/payment-runs/987654/confirm"), ("POST", "/api/v1/claims/987654/approve"),
                     ("POST", "/api/v1/entries"), ("DELETE", "/api/v1/tokens/987654"),
                     ("DELETE", "/api/v1/projects/NO-SUCH-CODE/managers/987654")):
        assert expected in routes


@pytest.fixture
def caller(app):
    """A user who passes every permission check, with a token."""
    user_id = add_user(app, "both@example.org", ["admin", "finance"])
    return user_id, bearer(api_token_for(app, user_id))


def _fingerprint(app: Flask, method: str, path: str) -> str:
    with app.test_request_context(path, method=method, json=BODY):
        return idempotency._fingerprint()


def _keep(app: Flask, user_id: int, key: str, method: str, path: str, request_hash: str) -> None:
    with database(app) as session:
        session.add(IdempotentRequest(user_id=user_id, key=key, method=method, path=path, request_hash=request_hash,
                                      response_status=201, response_body=json.dumps(STORED_ANSWER),
                                      created_at=utcnow()))


def _send(client, method: str, path: str, headers: dict, key: str):
    return client.open(path, method=method, json=BODY, headers={**headers, HEADER: key})


def _kept(app: Flask, user_id: int | None = None) -> int:
    query = select(func.count()).select_from(IdempotentRequest)
    if user_id is not None:
        query = query.where(IdempotentRequest.user_id == user_id)
    with database(app) as session:
        return session.execute(query).scalar_one()


def test_every_changing_route_refuses_a_key_used_for_another_request(app, client, caller):
    user_id, headers = caller
    routes = changing_routes(app)
    for n in range(len(routes)):
        _keep(app, user_id, f"used-{n}", "POST", "/api/v1/elsewhere", "another request")

    wrong = {}
    for n, (method, path) in enumerate(routes):
        answer = _send(client, method, path, headers, f"used-{n}")
        if answer.status_code != 409 or (answer.json or {}).get("error", {}).get("fields") != {HEADER: ["reused"]}:
            wrong[f"{method} {path}"] = answer.status_code
    assert wrong == {}


def test_every_changing_route_replays_the_answer_kept_for_the_same_request(app, client, caller):
    user_id, headers = caller
    routes = changing_routes(app)
    for n, (method, path) in enumerate(routes):
        _keep(app, user_id, f"sent-{n}", method, path, _fingerprint(app, method, path))

    wrong = {}
    for n, (method, path) in enumerate(routes):
        answer = _send(client, method, path, headers, f"sent-{n}")
        if (answer.status_code, answer.headers.get(REPLAYED), answer.json) != (200, "true", STORED_ANSWER):
            wrong[f"{method} {path}"] = answer.status_code
    assert wrong == {}


@pytest.mark.parametrize("key", ["payment-run:1", "claim:1"])
def test_every_changing_route_refuses_a_key_the_system_keeps_for_itself(app, client, caller, key):
    _user_id, headers = caller
    wrong = {}
    for method, path in changing_routes(app):
        answer = _send(client, method, path, headers, key)
        if answer.status_code != 400 or list((answer.json or {}).get("error", {}).get("fields", {})) != [HEADER]:
            wrong[f"{method} {path}"] = answer.status_code
    assert wrong == {}
    assert _kept(app) == 0


def test_on_every_changing_route_another_users_key_is_no_obstacle_and_a_failure_keeps_nothing(app, client, caller):
    user_id, headers = caller
    other = add_user(app, "other@example.org", ["finance"])
    routes = changing_routes(app)
    for n, (method, path) in enumerate(routes):
        _keep(app, other, f"theirs-{n}", method, path, _fingerprint(app, method, path))

    wrong = {}
    for n, (method, path) in enumerate(routes):
        before = _kept(app, user_id)
        answer = _send(client, method, path, headers, f"theirs-{n}")
        replayed_or_blocked = answer.headers.get(REPLAYED) or HEADER in str((answer.json or {}).get("error"))
        kept = _kept(app, user_id) - before
        if replayed_or_blocked or answer.status_code >= 500 or kept != (1 if answer.status_code < 300 else 0):
            wrong[f"{method} {path}"] = (answer.status_code, kept)
    assert wrong == {}
    assert _kept(app, other) == len(routes)
