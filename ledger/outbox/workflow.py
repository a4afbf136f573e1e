"""The one table of outbox message transitions. Anything not listed here is refused.

    pending ──claim──▶ sending ──sent──▶ sent
       ▲                │  ▲ └──fail──▶ failed ──requeue──▶ pending
       └────retry───────┘  └─reclaim (its lease ran out: the worker may have died after sending)

``claim`` takes a lease; ``reclaim`` is another worker taking over a message whose lease ran out without the
message being marked sent (the first worker may have sent it and died before saying so, so the message is
sent again with the same Message-ID: at least once, never lost). ``drop`` is for a message that is no longer
true when its turn comes (a fee "waiting for your decision" already decided): it is not sent.
"""

from __future__ import annotations

from ledger.workflow import Workflow

TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending", "claim"): "sending",
    ("sending", "reclaim"): "sending",
    ("sending", "sent"): "sent",
    ("sending", "retry"): "pending",
    ("sending", "fail"): "failed",
    ("sending", "drop"): "dropped",
    ("failed", "requeue"): "pending",
}

DESCRIBE = {
    "pending": "waiting to be sent",
    "sending": "being sent",
    "sent": "sent",
    "failed": "not sent (given up)",
    "dropped": "not sent (no longer true)",
}

MESSAGE = Workflow("message", TRANSITIONS, DESCRIBE)
