"""Published planning figures for co-production budgets, read from their own dated file beside the rules.

The rules file holds what the law and published guidance say (living wages, mileage rates). A budget also
needs a few unit costs published elsewhere (HMRC's meal allowances, what CQC pays for a London hotel): those
live in ``policies/data/budget-rates.toml``, dated and sourced like any rule, so no figure is written in code
and a plan priced from one says which figure, from which date, it used. Costs nobody publishes (fares, most
stays) are not there: the planner asks the manager for them. ``with_planning_defaults`` gives a
rulebook holding both; the organisation's own rules win where both hold a key.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from policies.rulebook import Rulebook, parse_rules_text

BUDGET_RATES_NAME = "policies/data/budget-rates.toml"


def budget_rates_path() -> Path:
    """Return the path of the planning defaults shipped with the package."""
    return Path(str(resources.files("policies").joinpath("data", "budget-rates.toml")))


def load_planning_defaults() -> Rulebook:
    """Read the planning defaults (a file that cannot be read raises ``RulebookError`` naming its line)."""
    params, sources = parse_rules_text(budget_rates_path().read_text(encoding="utf-8"), BUDGET_RATES_NAME)
    by_key: dict = {}
    for param in params:
        by_key.setdefault(param.key, []).append(param)
    return Rulebook(parameters={k: tuple(sorted(v, key=lambda p: p.effective_from)) for k, v in by_key.items()},
                    sources=sources, files=(BUDGET_RATES_NAME,))


def with_planning_defaults(rulebook: Rulebook, defaults: Rulebook) -> Rulebook:
    """One rulebook holding the rules and the planning defaults; the rules win where both hold a key."""
    return Rulebook(parameters={**defaults.parameters, **rulebook.parameters},
                    sources={**defaults.sources, **rulebook.sources}, files=(*rulebook.files, *defaults.files))
