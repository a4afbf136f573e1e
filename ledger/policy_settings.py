"""Load the organisation's rulebook (package rules plus its override files) and policy settings once."""

from __future__ import annotations

from flask import Flask

from ledger.errors import ConfigurationError
from policies.errors import PolicyError
from policies.rulebook import load_rulebook
from policies.settings import PolicySettings


def init_app(app: Flask) -> None:
    try:
        app.extensions["rulebook"] = load_rulebook(app.config["POLICY_OVERRIDE_FILES"])
        app.extensions["policy_settings"] = PolicySettings(
            vouchers_count_as_earnings=app.config["VOUCHERS_COUNT_AS_EARNINGS"],
            on_warn=app.config["POLICY_ON_WARN"],
            on_breach=app.config["POLICY_ON_BREACH"],
        )
    except PolicyError as error:
        raise ConfigurationError(f"The benefit rules could not be loaded: {error}") from error
