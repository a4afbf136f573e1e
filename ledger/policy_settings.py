"""Load the organisation's rulebook (package rules plus its override files) and policy settings once.

Loaded when the app starts, so a bad override file (a negative or non-numeric value, a unit that does
not match the rule, an unknown key, a TOML error) stops start-up with its file, line and a one-line
message, instead of surfacing when finance first approves a claim.
"""

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
        # One line, file and line first ("org.toml, line 4: ..."): it is printed as is by the CLI.
        message = " ".join(str(error).split())
        raise ConfigurationError(f"{message} (the benefit rules could not be loaded)") from error
