"""Passwords are kept as argon2id hashes, never as themselves."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from ledger.auth import passwords
from ledger.auth.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from ledger.errors import ValidationError


def test_stored_password_is_an_argon2id_hash_not_the_password():
    stored = hash_password("tea and biscuits at the panel")
    assert stored.startswith("$argon2id$")
    assert "$m=65536,t=3,p=4$" in stored  # argon2-cffi's recommended cost, as in production
    assert "tea and biscuits" not in stored


def test_the_same_password_hashes_differently_each_time():
    assert hash_password("tea and biscuits at the panel") != hash_password("tea and biscuits at the panel")


def test_right_password_verifies_and_wrong_one_does_not():
    stored = hash_password("tea and biscuits at the panel")
    assert verify_password(stored, "tea and biscuits at the panel")
    assert not verify_password(stored, "tea and biscuits at the panel!")
    assert not verify_password(stored, "")


def test_a_corrupt_stored_hash_refuses_rather_than_crashes():
    assert not verify_password("not-a-hash", "tea and biscuits at the panel")


def test_short_password_is_refused_with_the_minimum_length():
    with pytest.raises(ValidationError, match=f"at least {MIN_LENGTH} characters") as refused:
        hash_password("x" * (MIN_LENGTH - 1))
    assert refused.value.fields == {"password": ["too short"]}


def test_hash_made_with_weaker_parameters_is_flagged_for_rehashing():
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash("tea and biscuits at the panel")
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("tea and biscuits at the panel"))


@pytest.fixture(autouse=True)
def real_password_hashing(monkeypatch):
    """These tests check the real argon2 parameters, not the cheap ones the rest of the suite uses."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())
