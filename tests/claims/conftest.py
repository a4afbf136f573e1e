"""Fixtures of the claim tests: the claims world (``tests.factories.claims_world``), the rules, and the API."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ledger.claims.services import ClaimRules
from tests.factories import RULES, ClaimsWorld, api_token_for, claims_world, database, make_user


@pytest.fixture
def rules() -> ClaimRules:
    return RULES


@pytest.fixture
def world(session) -> ClaimsWorld:
    built = claims_world(session)
    session.commit()
    return built


@dataclass
class Api:
    world: ClaimsWorld
    tokens: dict[str, str]  # role name -> bearer token

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def api(app) -> Api:
    """The claims world in the app's own database, and a bearer token for each kind of user."""
    with database(app) as session:
        built = claims_world(session)
        teen_user = make_user(session, "kai@example.org", ["participant"], display_name="Kai",
                              participant_id=built.teen).id
    users = {"finance": built.finance, "finance2": built.finance2, "manager": built.manager,
             "carer": built.carer_user, "teen": teen_user}
    return Api(built, {who: api_token_for(app, user_id, "claims tests") for who, user_id in users.items()})
