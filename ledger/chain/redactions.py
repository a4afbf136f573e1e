"""The free texts erasure emptied, read back for the checks that recompute digests and fingerprints.

An erased text holds ``ERASED``; the sha256 it had is in ``redactions``. Whoever recomputes a digest or an
entry's fingerprint asks here for the shas of a record's erased fields (``committed`` then stands the sha in for
the marker), so that an erased record still matches its link and a marker nobody erased does not.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.chain.models import Redaction

_redactions = Redaction.__table__
EVENT, ENTRY, POSTING = "event", "entry", "posting"

Erased = dict[int, dict[str, str]]  # record id -> field -> sha256 of the text it had


def erased_fields(session: Session) -> dict[str, Erased]:
    """Every erased field, by record type then record id (erasures are few, so all of them at once)."""
    found: dict[str, Erased] = {EVENT: defaultdict(dict), ENTRY: defaultdict(dict), POSTING: defaultdict(dict)}
    for record_type, record_id, field, sha in session.execute(
            select(_redactions.c.record_type, _redactions.c.record_id, _redactions.c.field, _redactions.c.sha256)):
        found.setdefault(record_type, defaultdict(dict))[record_id][field] = sha
    return found


def redactions_sha(rows: Sequence[tuple[str, int, str, str]]) -> str:
    """One sha256 over a set of redactions (record type, id, field, sha256), in a fixed order: what the erasure
    event keeps, so that a redaction row edited, forged or removed afterwards no longer matches it."""
    body = sorted([str(t), int(i), str(f), str(s)] for t, i, f, s in rows)
    return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()
