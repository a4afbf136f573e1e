"""The OpenAPI document is built when it is first asked for, not while the app is built, and is the same."""

from __future__ import annotations

from flask_smorest import Api, Blueprint

from ledger import create_app
from ledger.api import openapi


def _config(database_url: str) -> dict:
    return {"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret-key-test-secret-key-0123456789"}


def test_the_api_is_documented_when_its_document_is_first_asked_for_and_as_flask_smorest_would(database_url,
                                                                                                monkeypatch):
    documented: list[str] = []
    real = Blueprint.register_views_in_doc

    def counted(self, api, app, spec, *, name, parameters):
        documented.append(name)
        return real(self, api, app, spec, name=name, parameters=parameters)

    monkeypatch.setattr(Blueprint, "register_views_in_doc", counted)
    lazy = create_app(_config(database_url))
    assert documented == []  # building the app (as every command does) documents nothing
    registered = list(lazy.extensions["flask-smorest"]["blp_name_to_api"])
    document = lazy.test_client().get("/api/v1/openapi.json").get_json()
    assert documented == registered  # each blueprint once, in the order registered
    assert lazy.test_client().get("/api/v1/openapi.json").get_json() == document
    assert documented == registered
    assert "/api/v1/entries" in document["paths"] and len(document["tags"]) == len(registered)

    monkeypatch.setattr(openapi.LedgerApi, "register_blueprint", Api.register_blueprint)  # flask-smorest's own
    eager = create_app(_config(database_url))
    assert len(documented) == 2 * len(registered)  # documented as each blueprint was registered
    assert eager.test_client().get("/api/v1/openapi.json").get_json() == document
    for app in (lazy, eager):
        app.extensions["engine"].dispose()
