"""Production refuses to start with development secrets; development starts with safe defaults."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from ledger import create_app
from ledger.config import DEV_BANK_DETAILS_KEY, DEV_SECRET_KEY
from ledger.errors import ConfigurationError
from ledger.people.bank import BankCipher, BankDetails

STRONG_SECRET = "k7Qm2vX9pL4sT8wZ1nB6cR3yH5jD0fGa-strong-and-random"
POSTGRES = "postgresql+psycopg://ledger@db.internal:5432/ledger"  # never connected to: engines are lazy
DETAILS = BankDetails(sort_code="200000", account_number="12345678", account_name="Ann Example")


def production(**changes) -> dict:
    settings = {"ENV_NAME": "production", "SECRET_KEY": STRONG_SECRET,
                "BANK_DETAILS_KEY": Fernet.generate_key().decode(), "DATABASE_URL": POSTGRES,
                "LEDGER_CHAIN_KEY": "a-real-chain-key-of-more-than-thirty-two-characters"}
    settings.update(changes)
    return settings


def test_production_starts_with_a_strong_secret_a_bank_key_and_postgresql():
    app = create_app(production())
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
        assert app.extensions["engine"].dialect.name == "postgresql"
    finally:
        app.extensions["engine"].dispose()


def test_while_rotating_bank_keys_production_encrypts_with_the_new_key_and_still_reads_the_old():
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    saved_before = BankCipher(old).encrypt(DETAILS)
    app = create_app(production(BANK_DETAILS_KEY=f"{new},{old}"))
    try:
        cipher = app.extensions["ledger.settings"].bank_cipher
        assert cipher.decrypt(saved_before) == DETAILS
        saved_now = cipher.encrypt(DETAILS)
        assert BankCipher(new).decrypt(saved_now) == DETAILS
        with pytest.raises(ConfigurationError, match="cannot be decrypted"):
            BankCipher(old).decrypt(saved_now)
    finally:
        app.extensions["engine"].dispose()


@pytest.mark.parametrize("secret", [DEV_SECRET_KEY, "", "short-secret", "x" * 31])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be set to a random value of at least 32"):
        create_app(production(SECRET_KEY=secret))


def test_production_refuses_when_no_secret_key_is_set_at_all(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LEDGER_ENV", "production")
    settings = production()
    del settings["SECRET_KEY"], settings["ENV_NAME"]
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app(settings)


@pytest.mark.parametrize("key", [
    pytest.param(DEV_BANK_DETAILS_KEY, id="development key"),
    pytest.param("", id="empty"),
    pytest.param(None, id="unset"),
    pytest.param("not-a-fernet-key", id="not a Fernet key"),
    pytest.param(f"{Fernet.generate_key().decode()},{DEV_BANK_DETAILS_KEY}", id="a real key and the development key"),
])
def test_production_refuses_without_a_real_bank_details_key(key):
    with pytest.raises(ConfigurationError, match="BANK_DETAILS_KEY"):
        create_app(production(BANK_DETAILS_KEY=key))


def test_production_refuses_sqlite():
    with pytest.raises(ConfigurationError, match="Production needs PostgreSQL"):
        create_app(production(DATABASE_URL="sqlite:////tmp/ledger.sqlite3"))


def test_production_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("LEDGER_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be set"):
        create_app({"DATABASE_URL": POSTGRES})


def test_development_starts_with_its_defaults(monkeypatch, tmp_path):
    for name in ("LEDGER_ENV", "SECRET_KEY", "BANK_DETAILS_KEY", "LOGIN_MAX_FAILURES"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/dev.sqlite3"})
    try:
        assert app.config["ENV_NAME"] == "development"
        assert (app.config["SECRET_KEY"], app.config["BANK_DETAILS_KEY"]) == (DEV_SECRET_KEY, DEV_BANK_DETAILS_KEY)
        assert app.config["SESSION_COOKIE_SECURE"] is False
        assert app.config["LOGIN_MAX_FAILURES"] == 5
    finally:
        app.extensions["engine"].dispose()
