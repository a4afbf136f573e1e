"""The organisation named in every document, and how it is read from the app's settings.

Plain data from a plain mapping: no database and no Flask. The app builds it once, into its settings
(``ledger.settings``), and the renderer, the CLI and the web pages all use that one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Organisation", "organisation_from_config"]


@dataclass(frozen=True, slots=True)
class Organisation:
    """The organisation that pays, named in every document's header."""

    name: str
    address: tuple[str, ...] = ()
    contact: tuple[str, ...] = ()  # e.g. ("Finance team", "020 7123 4567", "finance@example.org")
    charity_number: str | None = None
    # The public page where anyone can check a document's verification code, printed on every document.
    verify_url: str = "http://localhost:5000/verify"


def _lines_of(value: Any) -> tuple[str, ...]:
    """Lines of an address or contact: a sequence, or text split at new lines and semicolons."""
    if not value:
        return ()
    parts = value.replace(";", "\n").splitlines() if isinstance(value, str) else [str(v) for v in value]
    return tuple(part.strip() for part in parts if part.strip())


def organisation_from_config(config: Mapping[str, Any]) -> Organisation:
    """The organisation named in every document, from the app's settings.

    ``ORGANISATION_NAME``, ``ORGANISATION_ADDRESS``, ``ORGANISATION_CONTACT`` (lists, or text with one line per
    new line or semicolon), ``ORGANISATION_CHARITY_NUMBER`` and ``DOCUMENTS_VERIFY_URL``.
    """
    return Organisation(
        name=(config.get("ORGANISATION_NAME") or "").strip() or "The organisation",
        address=_lines_of(config.get("ORGANISATION_ADDRESS")),
        contact=_lines_of(config.get("ORGANISATION_CONTACT")),
        charity_number=(config.get("ORGANISATION_CHARITY_NUMBER") or "").strip() or None,
        verify_url=(config.get("DOCUMENTS_VERIFY_URL") or "").strip().rstrip("?") or "http://localhost:5000/verify",
    )


