"""Fixtures of the books' tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

import ledger.models  # noqa: F401  (the books' tables refer to users: map every table before flushing)
from tests.factories import open_chart


@pytest.fixture
def books(session: Session) -> Session:
    """A session on books holding the chart of accounts and nothing else."""
    open_chart(session)
    session.commit()
    return session
