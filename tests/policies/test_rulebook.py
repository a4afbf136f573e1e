"""The rulebook: dated parameters, strict lookups, override files and invalid files named by line."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from policies.errors import PolicyError, RulebookError, RuleNotFound
from policies.rulebook import load_rulebook, parse_rules_text

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "uk-rules.toml"
GOOD_PARAM = """
[[param]]
key = "wage.organisation.hourly"
value = 15.00
unit = "GBP_per_hour"
effective_from = 2025-04-01
source = ["org_policy"]
confidence = "high"
"""


def test_every_reference_value_is_kept_with_its_dates_sources_and_confidence(rulebook):
    if not REFERENCE.exists():
        pytest.skip("shared/reference is not beside the repository")
    reference = tomllib.loads(REFERENCE.read_text(encoding="utf-8"), parse_float=Decimal)
    for raw in reference["param"]:
        history = rulebook.history(raw["key"])
        on = raw.get("effective_from") or raw.get("effective_to") or history[0].effective_from
        param = rulebook.get(raw["key"], on)
        assert param.value == raw["value"], raw["key"]
        assert param.sources == tuple(raw["source"]), raw["key"]
        assert param.confidence == raw["confidence"], raw["key"]
        assert param.status == raw.get("status", "verified"), raw["key"]
        assert param.date_confidence == raw.get("date_confidence"), raw["key"]
        if "effective_from" in raw:
            assert param.effective_from == raw["effective_from"], raw["key"]
        if "effective_to" in raw:
            assert param.effective_to == raw["effective_to"], raw["key"]
        assert param in history


@pytest.mark.parametrize(
    ("key", "on", "value"),
    [
        ("carers_allowance.earnings_limit", date(2025, 4, 6), Decimal("151.00")),
        ("carers_allowance.earnings_limit", date(2025, 4, 7), Decimal("196.00")),
        ("carers_allowance.earnings_limit", date(2026, 4, 5), Decimal("196.00")),
        ("carers_allowance.earnings_limit", date(2026, 4, 6), Decimal("204.00")),
        ("uc.work_allowance.with_housing", date(2026, 4, 12), Decimal("411.00")),
        ("uc.work_allowance.with_housing", date(2026, 4, 13), Decimal("427.00")),
        ("wage.nmw.age_21_plus", date(2025, 3, 31), Decimal("11.44")),
        ("wage.nmw.age_21_plus", date(2025, 4, 1), Decimal("12.21")),
        ("tax.trading_allowance", date(2025, 4, 6), Decimal("1000.00")),
    ],
)
def test_a_parameter_is_looked_up_by_key_and_date(rulebook, key, on, value):
    assert rulebook.get(key, on).value == value


def test_values_are_exact_decimals_never_binary_floats(rulebook):
    assert type(rulebook.get("uc.taper", date(2025, 6, 1)).value) is Decimal
    assert rulebook.get("esa.permitted_work.higher_limit", date(2025, 6, 1)).value == Decimal("195.50")


def test_a_date_outside_every_range_is_an_error_naming_the_ranges(rulebook):
    with pytest.raises(RuleNotFound, match=r"2024-04-07.*2024-04-08 to 2025-04-06"):
        rulebook.get("carers_allowance.earnings_limit", date(2024, 4, 7))
    with pytest.raises(RuleNotFound, match="2027-04-12"):
        rulebook.get("carers_allowance.earnings_limit", date(2027, 4, 12))


def test_an_unknown_key_is_an_error_with_a_suggestion(rulebook):
    with pytest.raises(RuleNotFound, match=r"Did you mean 'carers_allowance\.earnings_limit'"):
        rulebook.get("carers_allowance.earning_limit", date(2025, 6, 1))
    assert issubclass(RuleNotFound, PolicyError)
    assert issubclass(RulebookError, PolicyError)


def test_unverified_and_low_confidence_values_carry_a_caveat(rulebook):
    esa_2026 = rulebook.get("esa.permitted_work.higher_limit", date(2026, 6, 1))
    assert not esa_2026.verified
    assert "unverified" in esa_2026.caveat(date(2026, 6, 1))
    surplus = rulebook.get("uc.surplus_earnings.relevant_threshold", date(2026, 6, 1))
    assert surplus.confidence == "low" and not surplus.is_reliable_on(date(2026, 6, 1))
    assert rulebook.get("carers_allowance.earnings_limit", date(2025, 6, 1)).caveat(date(2025, 6, 1)) is None


def test_the_real_living_wage_is_flagged_as_possibly_out_of_date_after_the_usual_announcement(rulebook):
    rlw = rulebook.get("wage.real_living_wage.uk", date(2026, 11, 1))
    assert rlw.is_reliable_on(date(2026, 10, 31))
    assert not rlw.is_reliable_on(date(2026, 11, 1))
    assert "out of date" in rlw.caveat(date(2026, 11, 1))


# ---------------------------------------------------------------- override files


def test_an_organisation_adds_its_own_rate(override):
    rules = override(GOOD_PARAM)
    assert rules.get("wage.organisation.hourly", date(2025, 6, 1)).value == Decimal("15.00")
    assert rules.files[-1].endswith("override-0.toml")
    with pytest.raises(RuleNotFound):
        rules.get("wage.organisation.hourly", date(2025, 3, 31))


def test_a_newly_announced_real_living_wage_cuts_the_old_range(override):
    rules = override(
        """
[[param]]
key = "wage.real_living_wage.uk"
value = 14.10
unit = "GBP_per_hour"
effective_from = 2026-10-28
source = ["org_policy"]
confidence = "high"
"""
    )
    assert rules.get("wage.real_living_wage.uk", date(2026, 10, 27)).value == Decimal("13.45")
    assert rules.get("wage.real_living_wage.uk", date(2026, 10, 28)).value == Decimal("14.10")
    assert rules.get("wage.real_living_wage.uk", date(2030, 1, 1)).value == Decimal("14.10")
    assert rules.get("wage.real_living_wage.uk", date(2026, 10, 27)).effective_to == date(2026, 10, 27)


def test_a_corrected_limit_in_the_middle_of_a_range_splits_it(override):
    rules = override(
        """
[[param]]
key = "esa.permitted_work.higher_limit"
value = 203.50
unit = "GBP_per_week_net"
effective_from = 2026-04-06
effective_to = 2026-12-31
source = ["org_policy"]
confidence = "high"
status = "verified"
"""
    )
    corrected = rules.get("esa.permitted_work.higher_limit", date(2026, 6, 1))
    assert corrected.verified and corrected.sources == ("org_policy",)
    after = rules.get("esa.permitted_work.higher_limit", date(2027, 1, 1))
    assert not after.verified and after.effective_from == date(2027, 1, 1)
    assert rules.get("esa.permitted_work.higher_limit", date(2026, 4, 5)).value == Decimal("195.50")


def test_a_later_override_file_wins_over_an_earlier_one(override):
    later = GOOD_PARAM.replace("15.00", "16.00")
    rules = override(GOOD_PARAM, later)
    assert rules.get("wage.organisation.hourly", date(2025, 6, 1)).value == Decimal("16.00")


def test_the_built_in_rules_are_unchanged_by_an_override_loaded_elsewhere(override, rulebook):
    override(GOOD_PARAM)
    assert not rulebook.has("wage.organisation.hourly")


# ---------------------------------------------------------------- invalid files


def _error_for(tmp_path: Path, text: str) -> RulebookError:
    path = tmp_path / "org.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulebookError) as caught:
        load_rulebook([path])
    assert str(path) in str(caught.value)
    return caught.value


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


SOURCES = '[sources]\norg_policy = "Our policy"\n'


def test_a_toml_syntax_error_names_the_file_and_line(tmp_path):
    text = SOURCES + GOOD_PARAM.replace("value = 15.00", "value = 15.00.0")
    error = _error_for(tmp_path, text)
    assert error.line == _line_of(text, "value = 15.00.0")
    assert f"line {error.line}" in str(error)


@pytest.mark.parametrize(
    ("broken", "fragment", "message"),
    [
        ('confidence = "high"', 'confidence = "certain"', "confidence must be one of"),
        ("effective_from = 2025-04-01", 'effective_from = "1 April 2025"', "effective_from must be a date"),
        ('source = ["org_policy"]', 'source = ["nobody"]', "not declared"),
        ('unit = "GBP_per_hour"', 'unit = "GBP_per_hour"\nvalu = 3', "unknown field"),
        ("effective_from = 2025-04-01", "effective_from = 2025-04-01\neffective_to = 2025-03-01", "before"),
        ('key = "wage.organisation.hourly"', 'key = "Wage Organisation"', "dotted lower-case"),
    ],
)
def test_a_bad_field_names_the_line_of_that_field(tmp_path, broken, fragment, message):
    text = SOURCES + GOOD_PARAM.replace(broken, fragment)
    error = _error_for(tmp_path, text)
    assert message in str(error)
    last_line_of_fragment = fragment.splitlines()[-1]
    assert error.line == _line_of(text, last_line_of_fragment)


# What an organisation's override file may not do: each refusal names the file, the line and the problem.
_LIMIT = """
[[param]]
key = "carers_allowance.earnings_limit"
value = 210.00
unit = "GBP_per_week_net"
effective_from = 2027-04-12
source = ["org_policy"]
confidence = "high"
"""


@pytest.mark.parametrize(
    ("param", "broken", "fragment", "message"),
    [
        (_LIMIT, "value = 210.00", "value = -210.00", "value cannot be negative for unit 'GBP_per_week_net'"),
        (_LIMIT, "value = 210.00", 'value = "210"', "value must be a number for unit 'GBP_per_week_net', not '210'"),
        (_LIMIT, "value = 210.00", "value = true", "value must be a number"),
        (GOOD_PARAM, "value = 15.00", "value = -0.01", "value cannot be negative for unit 'GBP_per_hour'"),
        (
            _LIMIT,
            'unit = "GBP_per_week_net"',
            'unit = "GBP_per_month"',
            "unit 'GBP_per_month' does not match the rule's unit 'GBP_per_week_net' (as in "
            "policies/data/uk-rules.toml, line",
        ),
        (GOOD_PARAM, 'unit = "GBP_per_hour"', 'unit = "GBP_per_day"', "does not match the rule's unit 'GBP_per_hour'"),
        (
            _LIMIT,
            'key = "carers_allowance.earnings_limit"',
            'key = "carers_allowance.earnings_limt"',
            "unknown rule: no rule of the engine has this key, so the value would never be used; did you mean "
            "'carers_allowance.earnings_limit'?",
        ),
        (GOOD_PARAM, 'key = "wage.organisation.hourly"', 'key = "wage.organisation.hourly.londn"', "unknown rule"),
        (GOOD_PARAM, 'key = "wage.organisation.hourly"', 'key = "our.own.rule"', "unknown rule"),
    ],
)
def test_an_override_with_a_bad_value_unit_or_key_is_refused_at_its_line(tmp_path, param, broken, fragment, message):
    text = SOURCES + param.replace(broken, fragment)
    error = _error_for(tmp_path, text)
    assert message in str(error)
    assert error.line == _line_of(text, fragment) and f"org.toml, line {error.line}: " in str(error)
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("key", "unit", "value", "message"),
    [
        ("uc.taper", "fraction", "1.5", "a fraction must be between 0 and 1"),
        ("carers_allowance.rule.service_user_expenses_disregarded", "flag", "1", "must be true or false"),
        ("esa.permitted_work.max_hours_exclusive", "hours_per_week", "-16", "cannot be negative"),
    ],
)
def test_other_numeric_units_are_checked_too(tmp_path, key, unit, value, message):
    text = SOURCES + GOOD_PARAM.replace("wage.organisation.hourly", key).replace("GBP_per_hour", unit).replace(
        "15.00", value
    )
    assert message in str(_error_for(tmp_path, text))


@pytest.mark.parametrize(
    "key", ["wage.organisation.hourly", "wage.organisation.hourly.london", "wage.organisation.hourly.wales"]
)
def test_an_organisation_may_define_its_own_rates_which_the_built_in_file_does_not(override, key):
    rules = override(GOOD_PARAM.replace("wage.organisation.hourly", key))
    assert rules.get(key, date(2025, 6, 1)).value == Decimal("15.00")


def test_an_override_may_add_a_minimum_wage_age_band_for_earlier_years(override):
    rules = override(GOOD_PARAM.replace("wage.organisation.hourly", "wage.nmw.age_23_plus").replace(
        "effective_from = 2025-04-01", "effective_from = 2023-04-01\neffective_to = 2024-03-31\nage_from = 23"
    ))
    assert rules.get("wage.nmw.age_23_plus", date(2023, 6, 1)).age_from == 23


def test_the_regions_an_organisation_rate_may_name_are_the_engines():
    from policies.pay import REGIONS
    from policies.rulebook import _REGIONS

    assert _REGIONS == REGIONS


def test_a_missing_field_names_the_line_of_its_param(tmp_path):
    text = SOURCES + GOOD_PARAM + GOOD_PARAM.replace('unit = "GBP_per_hour"\n', "").replace("2025-04-01", "2026-04-01")
    error = _error_for(tmp_path, text)
    assert "missing required field 'unit'" in str(error)
    headers = [n for n, line in enumerate(text.splitlines(), start=1) if line == "[[param]]"]
    assert error.line == headers[1]


def test_overlapping_ranges_for_one_key_in_one_file_are_refused(tmp_path):
    second = GOOD_PARAM.replace("2025-04-01", "2025-09-01")
    text = SOURCES + GOOD_PARAM + second
    error = _error_for(tmp_path, text)
    assert "overlaps" in str(error)
    headers = [n for n, line in enumerate(text.splitlines(), start=1) if line == "[[param]]"]
    assert error.line == headers[1]


def test_an_unknown_top_level_entry_is_refused(tmp_path):
    text = SOURCES + "parameters = 3\n" + GOOD_PARAM
    error = _error_for(tmp_path, text)
    assert error.line == _line_of(text, "parameters = 3")


def test_a_missing_file_is_refused_by_name(tmp_path):
    with pytest.raises(RulebookError, match="cannot read"):
        load_rulebook([tmp_path / "nowhere.toml"])


def test_the_built_in_file_parses_on_its_own():
    from policies.rulebook import built_in_path

    params, sources = parse_rules_text(built_in_path().read_text(encoding="utf-8"), "uk-rules.toml")
    assert len(params) > 80
    assert all(s in sources for p in params for s in p.sources)
