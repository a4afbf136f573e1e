"""Idempotency over HTTP: a POST or DELETE sent again with the same ``Idempotency-Key`` gets the first answer.

Every API request that changes state is a POST or a DELETE (revoking a token, unassigning a project manager);
both take the header, with the same rules. A DELETE of another target (another path) with a used key is a 409.

A caller who lost an answer (a timeout, a dropped connection) sends the request again with the same key:

- the same key, the same method, path and body: the stored answer, status 200, ``Idempotent-Replayed: true``,
  and nothing happens a second time;
- the same key with anything different: 409 naming ``Idempotency-Key``, and nothing happens;
- keys are the caller's own (unique per user), so one user's key cannot block another user's request;
- keys the system uses itself (``ledger.books.kinds.SYSTEM_KEY_PREFIXES``) are refused with a 400.

How it is safe: before the view runs, a row for (user, key) is inserted in the request's own transaction.
The view's single commit commits it together with the change; a request that fails rolls both back, so an
answer is never stored for a failed request and the key is free to try again. A second identical request
arriving meanwhile waits on the unique index (PostgreSQL holds it until the first commits), then replays the
first answer. The answer itself is written just after the view's commit (``remember_answer``); a replay that
arrives in that instant waits briefly for it.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import cast

from flask import Response, g, request
from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from ledger.auth.access import current_actor
from ledger.auth.models import IdempotentRequest
from ledger.books.kinds import is_reserved_key
from ledger.context import get_session
from ledger.db import utcnow
from ledger.errors import Conflict, ValidationError

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY = 200
WAIT_SECONDS = 10.0
# Answers holding a secret shown once (a new API token) are stored without it: a replay says it was issued.
_SECRET_FIELDS = ("token",)
#: The methods that change state over the API.
CHANGING_METHODS = ("POST", "DELETE")


def _fingerprint() -> str:
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")) if raw else ""
    except ValueError:
        body = raw.decode("utf-8", "replace")
    text = "\n".join((request.method, request.path, request.query_string.decode("latin-1"), body))
    return hashlib.sha256(text.encode()).hexdigest()


def _checked_key() -> str:
    key = request.headers.get(HEADER, "").strip()
    if not key or len(key) > MAX_KEY:
        raise ValidationError(f"{HEADER} must be 1 to {MAX_KEY} characters.", fields={HEADER: ["invalid"]})
    if is_reserved_key(key):
        raise ValidationError(f"{HEADER} {key!r} starts with a prefix the system keeps for itself; choose another.",
                              fields={HEADER: ["reserved"]})
    return key


def _stored(user_id: int, key: str):
    """The row as committed, read afresh (columns, not the session's cached object: it may have changed since).

    In the request's session: SQLite's request already holds the write lock, and PostgreSQL's READ COMMITTED
    sees each statement's latest commits.
    """
    t = IdempotentRequest
    return get_session().execute(select(t.method, t.path, t.request_hash, t.response_status, t.response_body)
                                 .where(t.user_id == user_id, t.key == key)).one_or_none()


def _replay(user_id: int, key: str, fingerprint: str) -> Response | None:
    """The first answer again, a 409 if this is a different request, or None if the key is unused."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        row = _stored(user_id, key)
        if row is None:
            return None
        if row.request_hash != fingerprint:
            raise Conflict(f"This {HEADER} was used for a different request ({row.method} {row.path} with another "
                           "body): send a new key for a new request.", fields={HEADER: ["reused"]})
        if row.response_status is not None:
            replayed = Response(row.response_body or "", status=200, mimetype="application/json")
            replayed.headers[REPLAY_HEADER] = "true"
            return replayed
        if time.monotonic() > deadline:
            raise Conflict(f"A request with this {HEADER} is still being processed: try again shortly.",
                           fields={HEADER: ["in progress"]})
        get_session().rollback()  # end the transaction, so the next read sees the first request's answer
        time.sleep(0.05)


def claim_key():
    """Before an API POST or DELETE with the header: replay, refuse, or take the key in the request's transaction."""
    if request.method not in CHANGING_METHODS or not request.path.startswith("/api/") or HEADER not in request.headers:
        return None
    actor = current_actor()
    if actor is None:
        return None  # the view's permission check answers
    key, fingerprint = _checked_key(), _fingerprint()
    replayed = _replay(actor.id, key, fingerprint)
    if replayed is not None:
        return replayed
    session = get_session()
    try:
        with session.begin_nested():
            session.add(IdempotentRequest(user_id=actor.id, key=key, method=request.method, path=request.path[:500],
                                          request_hash=fingerprint, created_at=utcnow()))
    except IntegrityError:
        # Another request with this key committed first (PostgreSQL waited for it): answer as it did.
        session.rollback()
        replayed = _replay(actor.id, key, fingerprint)
        if replayed is not None:
            return replayed
        raise Conflict(f"A request with this {HEADER} is still being processed: try again shortly.",
                       fields={HEADER: ["in progress"]}) from None
    g.idempotency = (actor.id, key, fingerprint)
    return None


def _body_to_keep(response: Response) -> str:
    text = response.get_data(as_text=True)
    try:
        body = json.loads(text)
    except ValueError:
        return text
    if isinstance(body, dict) and any(name in body for name in _SECRET_FIELDS):
        body = {k: (None if k in _SECRET_FIELDS else v) for k, v in body.items()}
    return json.dumps(body)


def remember_answer(response: Response) -> Response:
    """After the view: keep a successful answer with its key; after a failure, free the key."""
    pending = g.pop("idempotency", None)
    if pending is None:
        return response
    user_id, key, fingerprint = pending
    session = get_session()
    where = (IdempotentRequest.user_id == user_id, IdempotentRequest.key == key)
    if 200 <= response.status_code < 300 and not response.is_streamed:
        done = cast(CursorResult, session.execute(update(IdempotentRequest).where(*where).values(
            response_status=response.status_code, response_body=_body_to_keep(response))))
        if done.rowcount == 0:  # the view rolled back its own transaction, and the key with it
            session.add(IdempotentRequest(
                user_id=user_id, key=key, method=request.method, path=request.path[:500], request_hash=fingerprint,
                response_status=response.status_code, response_body=_body_to_keep(response),
                created_at=utcnow()))
        session.commit()
        return response
    session.rollback()
    # Only a key taken and never answered: the failed request changed nothing, so the key may be used again.
    session.execute(delete(IdempotentRequest).where(*where, IdempotentRequest.response_status.is_(None)))
    session.commit()
    return response
