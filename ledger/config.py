"""Configuration from the environment, with safe development defaults.

Production (``LEDGER_ENV=production``) refuses to start without a real secret key and an
encryption key for bank details, so a forgotten setting cannot leak sessions or account numbers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet

from ledger.chain.links import DEV_CHAIN_KEY
from ledger.errors import ConfigurationError

DEV_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"
# The key of the tamper-evident chain for development and tests: derived in the open, so it protects nothing.
MIN_CHAIN_KEY = 32
# A Fernet key (urlsafe base64 of 32 bytes) for development and tests only.
DEV_BANK_DETAILS_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE="


#: Settings that are text or unset: the charity number, and the named officer who signs the benefits evidence
#: pack and their role (``EVIDENCE_SIGNED_BY_*``; the older ``EVIDENCE_SIGNATORY_*`` names still work).
OPTIONAL_TEXT_SETTINGS = ("ORGANISATION_CHARITY_NUMBER", "EVIDENCE_SIGNATORY_NAME", "EVIDENCE_SIGNATORY_ROLE",
                          "EVIDENCE_SIGNED_BY_NAME", "EVIDENCE_SIGNED_BY_ROLE")


def default_sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "ledger.sqlite3")


#: Settings no environment changes: cookies, CSRF and the API's description.
FIXED_SETTINGS: dict = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "API_TITLE": "Co-production payments ledger",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}


def _organisation_settings(env: Mapping[str, str]) -> dict:
    """Who the organisation is, as printed on letters and statements, and who else a person can ask."""
    return {
        "ORGANISATION_NAME": env.get("ORGANISATION_NAME", "Demo Council Adult Social Care"),
        # Printed on letters and statements: lines separated by ";".
        "ORGANISATION_ADDRESS": env.get("ORGANISATION_ADDRESS", "Town Hall;Upper Street;London N1 2UD"),
        "ORGANISATION_CONTACT": env.get("ORGANISATION_CONTACT",
                                        "Co-production payments team;020 7946 0000;payments@council.example"),
        # The public page printed on every document (and in its QR code) where anyone can check it is genuine.
        "DOCUMENTS_VERIFY_URL": env.get("DOCUMENTS_VERIFY_URL", "http://localhost:5000/verify"),
        **{name: env.get(name) or None for name in OPTIONAL_TEXT_SETTINGS},
        # The named person a participant can ask about a benefit warning ("who to contact"), beside every one.
        "ORGANISATION_CONTACT_NAME": env.get("ORGANISATION_CONTACT_NAME", "Priya Shah"),
        "ORGANISATION_CONTACT_ROLE": env.get("ORGANISATION_CONTACT_ROLE", "Co-production payments officer"),
        "ORGANISATION_CONTACT_PHONE": env.get("ORGANISATION_CONTACT_PHONE", "020 7946 0000"),
        "ORGANISATION_CONTACT_EMAIL": env.get("ORGANISATION_CONTACT_EMAIL", "payments@council.example"),
        # Who else a participant (and finance) can ask when a benefit check relies on a figure not verified:
        # independent welfare-rights advice, named on the choice pages beside the organisation's contact.
        "WELFARE_RIGHTS_ADVICE": env.get("WELFARE_RIGHTS_ADVICE",
                                         "Citizens Advice, 0800 144 8848, citizensadvice.org.uk"),
        # The accounting exports' mapping of ledger accounts to nominal codes (ledger/books/examples/ has one).
        "NOMINAL_MAP_PATH": env.get("NOMINAL_MAP_PATH", ""),
    }


def _mail_settings(env: Mapping[str, str]) -> dict:
    """The SMTP relay the outbox worker (``ledger send-email``) sends through, and the sender's address."""
    return {
        "SMTP_HOST": env.get("SMTP_HOST") or None,
        "SMTP_PORT": env.get("SMTP_PORT", "587"),
        "SMTP_USERNAME": env.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": env.get("SMTP_STARTTLS", "true"),
        "MAIL_FROM": env.get("MAIL_FROM", "payments@council.example"),
    }


def _limit_settings(env: Mapping[str, str]) -> dict:
    """How much one request may carry and hold: its size, a JSON body's size, an entry's postings, and how long
    PostgreSQL lets a transaction sit idle (holding its locks) before ending it."""
    return {
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(12 * 1024 * 1024))),
        # A JSON body larger than this answers 413 (receipts, the only large uploads, are multipart).
        "JSON_MAX_BYTES": int(env.get("JSON_MAX_BYTES", str(1024 * 1024))),
        # At most this many postings in one journal entry (a payment to one payee has a handful; a manual entry more).
        "MAX_POSTINGS_PER_ENTRY": int(env.get("MAX_POSTINGS_PER_ENTRY", "5000")),
        "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": int(env.get("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "60000")),
    }


def _secret_settings(env: Mapping[str, str]) -> dict:
    """The secrets: production refuses the development values of each (``check_production``)."""
    return {
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "BANK_DETAILS_KEY": env.get("BANK_DETAILS_KEY", DEV_BANK_DETAILS_KEY),
        # The secret the chain of entries and events is keyed with (``ledger verify``, ``ledger checkpoint``):
        # kept out of the database, so that database access alone cannot rewrite the books unnoticed.
        "LEDGER_CHAIN_KEY": env.get("LEDGER_CHAIN_KEY") or DEV_CHAIN_KEY,
    }


def _sign_in_settings(env: Mapping[str, str]) -> dict:
    """How sign-in attempts are spaced, the proxies trusted for the client's address, and the second factor."""
    return {
        "LOGIN_MAX_FAILURES": int(env.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_WINDOW_SECONDS": int(env.get("LOGIN_WINDOW_SECONDS", "900")),
        # Wrong passwords from one address before it waits: above the per-account limit (an office shares one).
        "LOGIN_ADDRESS_MAX_FAILURES": int(env.get("LOGIN_ADDRESS_MAX_FAILURES", "50")),
        # The first wait after too many wrong passwords, in seconds; it doubles with each further one.
        "LOGIN_FIRST_DELAY_SECONDS": int(env.get("LOGIN_FIRST_DELAY_SECONDS", "30")),
        # How many reverse proxies (load balancer, nginx) stand in front of the app: their X-Forwarded-For
        # entries are trusted for the client's address, no more. 0: the connection's own address.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        # Finance and administrators must sign in with an authenticator app's code too (ledger.auth.totp): on by
        # default in production, off elsewhere, so the demo's printed logins work with a password alone.
        "TOTP_REQUIRED": env.get("TOTP_REQUIRED") or None,
    }


def _privacy_settings(env: Mapping[str, str]) -> dict:
    """The keys of special-category data (bank details' key is a secret above), and how long records are kept."""
    return {
        # Special-category data (benefits, circumstances, dates of birth, access needs, receipts): Fernet keys,
        # comma-separated, the first encrypting (``ledger rotate-keys``); unset, the bank-details key is used.
        "PERSONAL_DATA_KEY": env.get("PERSONAL_DATA_KEY") or None,
        # Financial records are kept this many years after the end of the tax year of a person's last entry;
        # only then may their details be erased (``ledger erase``, ``ledger erase-expired``).
        "RETENTION_YEARS": env.get("RETENTION_YEARS", "6"),
    }


def from_environment(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the app's settings: environment first, then explicit overrides (tests)."""
    env = os.environ
    settings = {
        "ENV_NAME": env.get("LEDGER_ENV", "development"),
        **_secret_settings(env),
        "DATABASE_URL": env.get("DATABASE_URL") or default_sqlite_url(instance_path),
        # PostgreSQL's connection pool per process, and how long one statement may run before the server stops it.
        "DB_POOL_SIZE": int(env.get("DB_POOL_SIZE", "5")),
        "DB_MAX_OVERFLOW": int(env.get("DB_MAX_OVERFLOW", "10")),
        "DB_POOL_TIMEOUT_SECONDS": int(env.get("DB_POOL_TIMEOUT_SECONDS", "30")),
        "DB_STATEMENT_TIMEOUT_MS": int(env.get("DB_STATEMENT_TIMEOUT_MS", "30000")),
        # The HTTP benchmark's switch: each response says how many SQL statements it ran (X-SQL-Statements).
        "COUNT_SQL_STATEMENTS": env.get("LEDGER_COUNT_SQL_STATEMENTS", "") == "1",
        **_privacy_settings(env),
        "POLICY_OVERRIDE_FILES": [p for p in env.get("POLICY_OVERRIDE_FILES", "").split(os.pathsep) if p],
        # What happens when a payment would reduce a benefit (warn) or lose / breach one (breach):
        # "warn" only, require an "override" with a recorded reason, or "block".
        "POLICY_ON_WARN": env.get("POLICY_ON_WARN", "warn"),
        "POLICY_ON_BREACH": env.get("POLICY_ON_BREACH", "override"),
        "VOUCHERS_COUNT_AS_EARNINGS": env.get("VOUCHERS_COUNT_AS_EARNINGS", "true").lower() != "false",
        # Claims above this many pence need a second finance approver.
        "SECOND_APPROVAL_ABOVE_PENCE": int(env.get("SECOND_APPROVAL_ABOVE_PENCE", "50000")),
        # Manual journal entries whose debits in pounds are above this many pence wait for a second finance user.
        "MANUAL_ENTRY_SECOND_APPROVAL_ABOVE_PENCE": int(env.get("MANUAL_ENTRY_SECOND_APPROVAL_ABOVE_PENCE", "50000")),
        "TIME_CREDIT_OVERDRAFT_MINUTES": int(env.get("TIME_CREDIT_OVERDRAFT_MINUTES", "0")),
        "RECEIPT_MAX_BYTES": int(env.get("RECEIPT_MAX_BYTES", str(5 * 1024 * 1024))),
        # Expense lines above this many pence need a receipt before the claim is approved (mileage excepted).
        "RECEIPT_REQUIRED_ABOVE_PENCE": int(env.get("RECEIPT_REQUIRED_ABOVE_PENCE", "2500")),
        "BACS_SERVICE_USER_NUMBER": env.get("BACS_SERVICE_USER_NUMBER", "123456"),
        "BACS_ORIGINATOR_NAME": env.get("BACS_ORIGINATOR_NAME", "DEMO COUNCIL"),
        "BACS_ORIGINATOR_SORT_CODE": env.get("BACS_ORIGINATOR_SORT_CODE", "200000"),
        "BACS_ORIGINATOR_ACCOUNT": env.get("BACS_ORIGINATOR_ACCOUNT", "12345678"),
        **_organisation_settings(env),
        **_mail_settings(env),
        # The organisation's chosen basis for hourly fees: real_living_wage, national_living_wage, organisation.
        "PAY_BASIS": env.get("PAY_BASIS", "real_living_wage"),
        # The day the app takes as today (an ISO date), for a demonstration of a past month or a test; unset in
        # production, where today is the calendar's.
        "LEDGER_TODAY": env.get("LEDGER_TODAY") or None,
        # A flat fee below the legal minimum wage for its hours and the person's age: "refuse" to draft it,
        # or draft it flagged and approve it only with an "override" reason.
        "FLAT_FEE_BELOW_MINIMUM": env.get("FLAT_FEE_BELOW_MINIMUM", "refuse"),
        # A sign-in ends after this many minutes without a request, and this many hours after signing in.
        "SESSION_IDLE_MINUTES": env.get("SESSION_IDLE_MINUTES", "30"),
        "SESSION_ABSOLUTE_HOURS": env.get("SESSION_ABSOLUTE_HOURS", "12"),
        **_sign_in_settings(env),
        "PUBLIC_API_RATE_LIMIT": int(env.get("PUBLIC_API_RATE_LIMIT", "60")),
        "PUBLIC_API_RATE_WINDOW_SECONDS": int(env.get("PUBLIC_API_RATE_WINDOW_SECONDS", "60")),
        **_limit_settings(env),
        **FIXED_SETTINGS,
    }
    if overrides:
        settings.update(overrides)
    production = settings["ENV_NAME"] == "production"
    settings["SESSION_COOKIE_SECURE"] = production
    settings["TOTP_REQUIRED"] = production if settings.get("TOTP_REQUIRED") is None else settings["TOTP_REQUIRED"]
    if production:
        check_production(settings)
    return settings


def check_production(settings: dict) -> None:
    """Refuse to run production with development secrets."""
    secret = settings.get("SECRET_KEY") or ""
    if secret == DEV_SECRET_KEY or len(secret) < 32:
        raise ConfigurationError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    if not _real_fernet_keys(settings.get("BANK_DETAILS_KEY")):
        raise ConfigurationError(
            "BANK_DETAILS_KEY must be set in production to one or more comma-separated Fernet keys, none of "
            "them the development key (make one with: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        )
    chain_key = settings.get("LEDGER_CHAIN_KEY") or ""
    if chain_key == DEV_CHAIN_KEY or len(chain_key) < MIN_CHAIN_KEY:
        raise ConfigurationError(
            f"LEDGER_CHAIN_KEY must be set in production to a random value of at least {MIN_CHAIN_KEY} characters, "
            "kept outside the database and backed up with the other secrets: without it nobody can verify the "
            "books' chain (make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    if settings.get("PERSONAL_DATA_KEY") and not _real_fernet_keys(settings["PERSONAL_DATA_KEY"]):
        raise ConfigurationError(
            "PERSONAL_DATA_KEY must be one or more comma-separated Fernet keys, none of them the development key "
            "(or leave it unset to use BANK_DETAILS_KEY)."
        )
    if settings["DATABASE_URL"].startswith("sqlite"):
        raise ConfigurationError("Production needs PostgreSQL: set DATABASE_URL to a postgresql+psycopg:// URL.")


def _real_fernet_keys(value) -> bool:
    """True when ``value`` is one or more comma-separated Fernet keys, none of them the development key.

    Checked at start-up, so that a mistyped key stops the app at once rather than when finance first
    saves someone's bank details.
    """
    if not isinstance(value, str):
        return False
    keys = [k.strip() for k in value.split(",")]
    if not keys or any(not k or k == DEV_BANK_DETAILS_KEY for k in keys):
        return False
    try:
        for key in keys:
            Fernet(key)
    except (ValueError, TypeError):
        return False
    return True
