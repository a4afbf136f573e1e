import pytest

from tests.auth.helpers import cheap_password_hashing


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    cheap_password_hashing(monkeypatch)
