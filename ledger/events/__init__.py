"""The audit trail: every state change in the system, written by one function into one append-only table."""
