"""Schemathesis against the API's own OpenAPI document, in-process (WSGI), as each role: no answer is a server
error, and every answer matches the schema its status documents (the error shape included).

One app and one database for the module, each operation tried with a few generated requests per role; the
roles are finance, admin, a project manager and a participant (each with an API token) and no token at all.
The bounds that only PostgreSQL enforces (an id past ``integer``, a NUL byte) are tested on both databases in
``test_input_bounds``; here the point is every operation, so one database (SQLite) keeps the module quick.
"""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.factories import add_user, api_token_for, bearer

ROLES = ("finance", "admin", "project_manager", "participant", None)
#: Generated requests per operation: finance reaches the most operations; the others are mostly refused early.
EXAMPLES = {"finance": 2}


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory, request):
    from ledger import create_app

    path = tmp_path_factory.mktemp("fuzz") / "ledger.sqlite3"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "test-secret-key-test-secret-key-0123456789",
                      "PUBLIC_API_RATE_LIMIT": 100_000})
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture(scope="module")
def api_schema(fuzzed_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)


@pytest.fixture(scope="module")
def headers_by_role(fuzzed_app) -> dict[str | None, dict[str, str]]:
    found: dict[str | None, dict[str, str]] = {None: {}}
    for role in ROLES:
        if role is not None:
            user = add_user(fuzzed_app, f"{role}@example.org", [role])
            found[role] = bearer(api_token_for(fuzzed_app, user))
    return found


def _try(operation, headers: dict[str, str], examples: int, answered: Counter, failures: list[str], *,
         malformed: bool = False) -> None:
    """Send ``examples`` generated requests to one operation, recording each answer and each failure;
    ``malformed``: requests that break the schema on purpose, where only a server error is a failure."""
    name = f"{operation.method.upper()} {operation.path}"
    seen = len(failures)
    mode = GenerationMode.NEGATIVE if malformed else GenerationMode.POSITIVE
    checks = [not_a_server_error] if malformed else [not_a_server_error, response_schema_conformance]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(headers=headers)
        answered[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks)
        except Exception as error:
            failures.append(f"{name} {response.status_code}: {str(error)[:600]}")
            raise

    try:
        run()
    except Unsatisfiable:
        if not malformed:
            raise
        # An operation with nothing that can be made malformed (no body, no parameter with a constraint).
    except Exception as error:
        if len(failures) == seen:  # the examples could not be made or sent at all
            failures.append(f"{name}: {type(error).__name__}: {str(error)[:600]}")


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_no_operation_answers_a_server_error_or_breaks_its_schema(api_schema, headers_by_role, role):
    answered: Counter = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:
        _try(operation, headers_by_role[role], EXAMPLES.get(role, 1), answered, failures)
    assert sum(answered.values()) >= len(operations), "some operations were never called"
    assert not failures, "\n".join(dict.fromkeys(failures))


@pytest.mark.slow
def test_no_operation_answers_a_server_error_to_malformed_input(api_schema, headers_by_role):
    answered: Counter = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:
        _try(operation, headers_by_role["finance"], 1, answered, failures, malformed=True)
    assert answered, "no malformed request was sent"
    assert not failures, "\n".join(dict.fromkeys(failures))
