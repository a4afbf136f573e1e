"""Builders for people tests: participants, groups and a cipher with a throwaway key."""

from __future__ import annotations

import datetime as dt

from cryptography.fernet import Fernet

from ledger.people import services
from ledger.people.bank import BankCipher

TODAY = dt.date(2025, 6, 4)


def cipher() -> BankCipher:
    return BankCipher(Fernet.generate_key().decode())


def participant(session, name: str = "Ann Example", **kwargs):
    kwargs.setdefault("email", f"{name.split()[0].lower()}@example.org")
    return services.create_participant(session, name=name, today=TODAY, **kwargs)


def group(session, name: str = "Voices Together", **kwargs):
    return services.create_group(session, name=name, **kwargs)
