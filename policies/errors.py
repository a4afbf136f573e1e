"""The exceptions the policy engine raises.

Every error the engine raises on purpose is a `PolicyError`, so a caller can catch the family in one place.
"""

from __future__ import annotations


class PolicyError(Exception):
    """Raised when the policy engine cannot give a safe answer; the base of every error it raises."""


class RulebookError(PolicyError):
    """Raised when a rules file cannot be loaded; the message names the file and the line."""

    def __init__(self, message: str, *, path: str = "", line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = path if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {message}" if where else message)


class RuleNotFound(PolicyError):
    """Raised when a rule is asked for by an unknown key, or for a date outside every range it covers."""


class InvalidInput(PolicyError, ValueError):
    """Raised when a function is given a value it cannot work with (a negative amount, an unknown kind)."""
