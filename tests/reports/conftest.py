"""The month of books every read model's test reads, committed so that each test sees it as the app would."""

from __future__ import annotations

import pytest

from tests.factories import MonthOfBooks, month_of_books


@pytest.fixture
def books(session) -> MonthOfBooks:
    built = month_of_books(session)
    session.commit()
    return built
