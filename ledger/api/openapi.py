"""The OpenAPI document as the API really answers: one error shape, every status a route can give, typed amounts.

flask-smorest documents its own error payload and a 422 for bad input; this API answers
``{"error": {"code", "message", "fields"}}`` (``ledger.errors``) with 400 for bad input. Every route can
answer 400 (``ledger.web.request_limits`` refuses unstorable input anywhere) and 413 when it takes a body;
a route behind a token also 401 and 403; a route with a record in its path 404; a route that changes
something 409; the public routes 429 with ``Retry-After``. ``ErrorResponses`` adds those to every operation
as it is registered, so a new route is documented the same way without anyone remembering to.

Amounts and hours travel as decimal strings ("12.50"): fields computed by a function carry no type of their
own, so ``decimal_string_type`` gives every field described as a decimal string ``type: string`` and its
pattern, and the money fields read by ``DecimalString`` their own pattern.

Each blueprint's routes are documented when the OpenAPI document is first wanted (``/api/v1/openapi.json``,
``flask openapi print``), not as the blueprint is registered: the app a command line builds to write a payment
run's remittances never serves the document, and building it was most of what ``create_app`` spent on the API.
The document is the same, built in the same order.
"""

from __future__ import annotations

import math
import threading
from decimal import Decimal
from typing import Any

from apispec import APISpec, BasePlugin
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_BODY_METHODS = frozenset({"post", "put", "patch"})
_CHANGING_METHODS = frozenset({"post", "put", "patch", "delete"})


class ErrorBodySchema(Schema):
    code = fields.Str(required=True, metadata={"description": "What went wrong, for a program: not_found, "
                                                              "validation_error, conflict, rate_limited…"})
    message = fields.Str(required=True, metadata={"description": "What went wrong and what to do, for a person"})
    fields_ = fields.Dict(data_key="fields", keys=fields.Str(), values=fields.List(fields.Str()),
                          metadata={"description": "Each field to put right (a dotted path: postings.0.amount) "
                                                   "and what is wrong with it"})


class ErrorSchema(Schema):
    """Every error the API answers, whatever its status."""

    error = fields.Nested(ErrorBodySchema, required=True)


class LedgerApi(Api):
    """flask-smorest's Api, documenting the ledger's error shape rather than its own, and documenting each
    blueprint's routes the first time ``spec`` is read rather than as the blueprint is registered."""

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._undocumented: list[tuple[Blueprint, str, list | None]] = []
        self._documenting = threading.RLock()  # two threads of a gunicorn worker may ask for the document at once
        self._busy = False  # documenting now (in the thread holding the lock)
        self._spec: Any = None  # an APISpec once the app is initialised (flask-smorest's own attribute is untyped)
        super().__init__(*args, **kwargs)

    @property
    def spec(self) -> Any:
        """The OpenAPI document, with every blueprint registered so far documented in it."""
        if self._undocumented:
            self._document()
        return self._spec

    @spec.setter
    def spec(self, value: APISpec) -> None:
        self._spec = value

    def register_blueprint(self, blp: Blueprint, *, parameters: list | None = None, **options: Any) -> None:
        """Register ``blp`` in the app now, as flask-smorest does, and document its routes when first wanted."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _document(self) -> None:
        """Document the blueprints not yet documented, in the order they were registered (flask-smorest's own
        ``register_blueprint`` does these two steps as it registers each)."""
        with self._documenting:
            if self._busy:  # asked for from within the documenting: the document as it is so far
                return
            self._busy = True
            try:
                while self._undocumented:
                    blp, name, parameters = self._undocumented[0]
                    blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
                    self._undocumented.pop(0)
            finally:
                self._busy = False


def _error(description: str, **extra: Any) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref":
                                                                                    "#/components/schemas/Error"}}},
            **extra}


#: The error responses, by status, shared by every operation (``#/components/responses/...``).
ERROR_RESPONSES: dict[str, tuple[str, dict]] = {
    "400": ("BadRequest", _error("The request is malformed or a field is wrong: ``fields`` names each one.")),
    "401": ("Unauthenticated", _error("No valid API token (or sign-in) was sent.",
                                      headers={"WWW-Authenticate": {"schema": {"type": "string"}}})),
    "403": ("Forbidden", _error("The token's user may not do this.")),
    "404": ("NotFound", _error("No such record, or not one this user may see.")),
    "409": ("Conflict", _error("The request clashes with the record's state (a double submission, a locked "
                               "month, a reused idempotency key).")),
    "413": ("TooLarge", _error("The body is larger than the API accepts.")),
    "429": ("RateLimited", _error("Too many requests: wait the seconds ``Retry-After`` says.",
                                  headers={"Retry-After": {"description": "Seconds to wait before trying again",
                                                           "schema": {"type": "integer", "minimum": 1}}})),
}


class ErrorResponses(BasePlugin):
    """Add to every operation the error statuses it can answer, in the one error shape."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            # Bad input answers 400 here (``ledger.web.setup``), never flask-smorest's 422.
            responses.pop(422, None)
            responses.pop("422", None)
            wanted = ["400"]
            if operation.get("security"):
                wanted += ["401", "403"]
            else:
                wanted.append("429")
            if path and ("{" in path or "<" in path):
                wanted.append("404")
            if method in _CHANGING_METHODS:
                wanted.append("409")
            if method in _BODY_METHODS:
                wanted.append("413")
            for status in wanted:
                if status not in responses and int(status) not in responses:
                    responses[status] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
            if not any(str(status).startswith(("2", "3")) for status in responses):
                # A route documenting no success of its own would have its 200 read against the error schema.
                responses["200"] = {"description": "OK"}


def _whole_bounds(ret: dict) -> dict:
    """A decimal field's bounds as whole numbers, never floats (amounts are never floats, here included).

    A whole bound is written as it is; a fractional one as the whole number just beyond it, exclusive
    (OpenAPI 3.0's ``exclusiveMinimum: true``): a minimum of 0.01 pounds is ``minimum: 0`` exclusive, which every
    amount of whole pence above it meets. The server checks the exact bound and names the field when it fails."""
    bounds: dict = {}
    for key, exclusive, whole in (("minimum", "exclusiveMinimum", math.floor),
                                  ("maximum", "exclusiveMaximum", math.ceil)):
        if not isinstance(ret.get(key), Decimal | str):
            continue
        value = Decimal(ret[key])
        bounds[key] = whole(value)
        if bounds[key] != value:
            bounds[exclusive] = True
    return bounds


def decimal_string_type(self, field: fields.Field, ret: dict) -> dict:
    """``type: string`` and a pattern for amounts and hours written as decimal strings ("12.50"); a decimal
    field's bounds as numbers (apispec writes ``Decimal("0.01")`` as the string "0.01", which is no bound)."""
    if isinstance(field, fields.Decimal):
        return _whole_bounds(ret)
    if any(key in ret for key in ("type", "$ref", "allOf", "oneOf", "anyOf")):
        return {}
    pattern = getattr(field, "pattern", None)
    if pattern is not None and hasattr(pattern, "pattern"):
        return {"type": "string", "pattern": pattern.pattern}
    if "decimal string" in str(field.metadata.get("description", "")):
        return {"type": "string", "pattern": DECIMAL_PATTERN}
    return {}


def init_spec(api: LedgerApi) -> None:
    """Register the error schema and responses, and the plugin that adds them to every operation."""
    spec = api.spec
    if "Error" not in spec.components.schemas:  # flask-smorest registers ERROR_SCHEMA itself
        spec.components.schema("Error", schema=ErrorSchema)
    for _status, (name, response) in ERROR_RESPONSES.items():
        spec.components.response(name, response)
    plugin = ErrorResponses()
    plugin.init_spec(spec)
    spec.plugins.append(plugin)
    api.ma_plugin.converter.add_attribute_function(decimal_string_type)
