"""The month of books every read model's test reads, committed so that each test sees it as the app would."""

from __future__ import annotations

import pytest

from tests.reports.month_of_books import Books, build_books


@pytest.fixture
def books(session) -> Books:
    built = build_books(session)
    session.commit()
    return built
