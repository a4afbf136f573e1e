"""Events as the rest of the system hands them around: one to be written, and one as read back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A state change to record. ``subject`` and ``subject_id`` name the record that changed."""

    subject: str
    subject_id: int | str
    action: str
    actor_user_id: int | None
    before: str | None = None
    after: str | None = None
    reason: str | None = None
    note: str | None = None
    details: dict[str, Any] | None = None
    participant_id: int | None = None
    claim_id: int | None = None
    payment_run_id: int | None = None
    entry_id: int | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    at: dt.datetime
    actor_user_id: int | None
    subject: str
    subject_id: str
    action: str
    before: str | None
    after: str | None
    reason: str | None
    note: str | None
    details: dict[str, Any] | None
    participant_id: int | None
    claim_id: int | None
    payment_run_id: int | None
    entry_id: int | None

    @property
    def kind(self) -> str:
        """What happened, as the audit log names it: ``claim.approve``, ``payment_run.confirm``."""
        return f"{self.subject}.{self.action}"
