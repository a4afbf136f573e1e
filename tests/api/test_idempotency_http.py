"""Idempotency-Key over HTTP: a replay gets the first answer, a different request a 409, per caller."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ledger.auth import users
from ledger.auth.models import ApiToken, IdempotentRequest
from ledger.books.models import LockedPeriod
from tests.factories import add_user, all_at_once, api_token_for, bearer, database, entry_count


def _count(app, model) -> int:
    with database(app) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def fin(app):
    return bearer(api_token_for(app, add_user(app, "fin@example.org", ["finance"])))


def _post(client, path, body, headers, key):
    return client.post(f"/api/v1{path}", json=body, headers={**headers, "Idempotency-Key": key})


def test_a_replay_gets_the_first_answer_with_200_and_changes_nothing(app, client, fin):
    first = _post(client, "/periods/locks", {"month": "2025-04", "reason": "April done"}, fin, "lock-april")
    assert first.status_code == 201, first.json
    assert "Idempotent-Replayed" not in first.headers
    again = _post(client, "/periods/locks", {"reason": "April done", "month": "2025-04"}, fin, "lock-april")

    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert _count(app, LockedPeriod) == 1


def test_a_manual_entry_replayed_is_posted_once(app, client, fin):
    for code, kind in (("bank", "asset"), ("costs", "expense")):
        client.post("/api/v1/accounts", json={"code": code, "name": code, "type": kind, "unit": "GBP"}, headers=fin)
    body = {"effective_date": "2025-05-06", "description": "Room hire", "idempotency_key": "room-hire-6-may",
            "reason": "Paid by card", "postings": [{"account": "costs", "amount": 3000, "unit": "GBP"},
                                                   {"account": "bank", "amount": -3000, "unit": "GBP"}]}
    first = _post(client, "/entries", body, fin, "entry-1")
    again = _post(client, "/entries", body, fin, "entry-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    assert entry_count(app) == 1


def test_the_same_key_with_another_body_is_a_409_naming_the_header(app, client, fin):
    _post(client, "/periods/locks", {"month": "2025-04", "reason": "April done"}, fin, "k1")
    other = _post(client, "/periods/locks", {"month": "2025-05", "reason": "May done"}, fin, "k1")
    elsewhere = _post(client, "/accounts", {"code": "bank", "name": "Bank", "type": "asset", "unit": "GBP"}, fin,
                      "k1")

    for refused in (other, elsewhere):
        assert refused.status_code == 409
        assert refused.json["error"]["fields"] == {"Idempotency-Key": ["reused"]}
    assert _count(app, LockedPeriod) == 1


def test_keys_are_each_callers_own(app, client, fin):
    other = bearer(api_token_for(app, add_user(app, "fin2@example.org", ["finance"])))
    mine = _post(client, "/periods/locks", {"month": "2025-04", "reason": "April done"}, fin, "shared-key")
    theirs = _post(client, "/periods/locks", {"month": "2025-05", "reason": "May done"}, other, "shared-key")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert _count(app, LockedPeriod) == 2


@pytest.mark.parametrize("key", ["claim:17", "payment-run:3", "reversal-of:9", "demo:x", "", "x" * 201])
def test_system_keys_and_bad_keys_are_refused(app, client, fin, key):
    refused = _post(client, "/periods/locks", {"month": "2025-04", "reason": "April done"}, fin, key)

    assert refused.status_code == 400
    assert list(refused.json["error"]["fields"]) == ["Idempotency-Key"]
    assert _count(app, LockedPeriod) == 0 and _count(app, IdempotentRequest) == 0


def test_a_failed_request_stores_nothing_and_frees_its_key(app, client, fin):
    refused = _post(client, "/periods/locks", {"month": "2025-04"}, fin, "retry-me")
    assert refused.status_code == 400
    assert _count(app, IdempotentRequest) == 0

    fixed = _post(client, "/periods/locks", {"month": "2025-04", "reason": "April done"}, fin, "retry-me")
    assert fixed.status_code == 201


def test_a_request_without_a_key_is_unchanged(app, client, fin):
    body = {"month": "2025-04", "reason": "April done"}
    assert client.post("/api/v1/periods/locks", json=body, headers=fin).status_code == 201
    assert _count(app, IdempotentRequest) == 0


@pytest.mark.postgres_only
def test_identical_requests_at_once_make_one_change(app, fin):
    def work(i, ready):
        client = app.test_client()
        ready()
        answer = _post(client, "/periods/locks", {"month": "2025-04", "reason": "at once"}, fin, "race-key")
        return answer.status_code, answer.headers.get("Idempotent-Replayed"), answer.json["month"]

    results = all_at_once(4, work)

    assert sorted(r[0] for r in results) == [200, 200, 200, 201], results
    assert {r[2] for r in results} == {results[0][2]}
    assert [r[1] for r in results if r[0] == 200] == ["true"] * 3
    assert _count(app, LockedPeriod) == 1


def test_a_delete_takes_a_key_too_a_replay_gets_200_and_another_target_a_409(app, client, fin):
    with database(app) as session:
        holder = session.execute(select(ApiToken.user_id)).scalar_one()
        first, second = (users.issue_token(session, holder, name).id for name in "ab")

    def revoke(token_id: int):
        return client.delete(f"/api/v1/tokens/{token_id}", headers={**fin, "Idempotency-Key": "revoke-1"})

    done = revoke(first)
    again = revoke(first)
    other = revoke(second)

    assert done.status_code == 204 and "Idempotent-Replayed" not in done.headers
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409 and other.json["error"]["fields"] == {"Idempotency-Key": ["reused"]}
    with database(app) as session:
        revoked = dict(session.execute(select(ApiToken.id, ApiToken.revoked_at).where(
            ApiToken.id.in_([first, second]))).all())
    assert revoked[first] is not None and revoked[second] is None
