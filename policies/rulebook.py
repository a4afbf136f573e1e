"""The rulebook: dated parameters read from TOML files, looked up by key and date.

Invariants kept here:
- a parameter is found only by its key and a date inside one of its ranges; any other date, or an unknown
  key, raises `RuleNotFound` (never a silent default);
- within one file the ranges of one key never overlap; a later file (an organisation's override) wins
  where its ranges overlap those loaded before it, and the earlier ranges are cut around it;
- a file that cannot be read as a rulebook raises `RulebookError` naming the file and the line;
- a value in a numeric unit (pounds, hours, a fraction, years, miles) is a number and never negative;
- an organisation's override file may only give values for rules the engine knows (those loaded before it,
  or the few an organisation defines itself: `wage.organisation.hourly`, its regional variants and extra
  National Minimum Wage age bands), in the unit that rule has: a misspelt key or a monthly figure given for
  a weekly limit would otherwise be loaded and silently never used, or used wrongly;
- amounts are read as Decimal (TOML decimals are parsed exactly, never as binary floats).
"""

from __future__ import annotations

import difflib
import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from policies.errors import RulebookError, RuleNotFound

ParamValue = Decimal | int | str | bool

CONFIDENCE_LEVELS = ("low", "medium", "high")
STATUSES = ("verified", "unverified")
SUPPORTED_SCHEMA_VERSIONS = (1, 2)
BUILT_IN_NAME = "policies/data/uk-rules.toml"

_REQUIRED_FIELDS = ("key", "value", "unit", "effective_from", "source", "confidence")
_OPTIONAL_FIELDS = (
    "effective_to",
    "status",
    "date_confidence",
    "mandatory_by",
    "stale_after",
    "age_from",
    "age_to",
    "note",
)
_TOP_LEVEL = ("schema_version", "generated_on", "currency", "notes", "title", "sources", "param")
_KEY_PATTERN = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
# Units whose values are not amounts; every other unit (GBP_per_week, fraction, hours_per_week, years, ...)
# holds a non-negative number.
NON_NUMERIC_UNITS = ("text", "flag", "date", "month-day")
# Rules an organisation may define although the built-in file does not (the engine looks them up when
# present): its own hourly rate, optionally per region, and National Minimum Wage age bands for years the
# built-in file does not cover. Each with the unit the engine reads it in.
_REGIONS = ("uk", "london", "england", "wales", "scotland", "northern_ireland")  # as policies.pay.REGIONS
ORGANISATION_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"^wage\.organisation\.hourly(\.({'|'.join(_REGIONS)}))?$"), "GBP_per_hour"),
    (re.compile(r"^wage\.nmw\.[a-z0-9_]+$"), "GBP_per_hour"),
)
_PARAM_HEADER = re.compile(r"^\s*\[\[\s*param\s*\]\]")
_ANY_HEADER = re.compile(r"^\s*\[")


def confidence_rank(level: str) -> int:
    """Order confidence levels: low < medium < high."""
    return CONFIDENCE_LEVELS.index(level)


def lowest_confidence(levels: Iterable[str]) -> str:
    """Return the lowest of some confidence levels ('high' when there are none)."""
    return min(levels, key=confidence_rank, default="high")


@dataclass(frozen=True)
class Source:
    """A document a parameter cites."""

    id: str
    title: str
    url: str = ""


@dataclass(frozen=True)
class Parameter:
    """One value of one rule over one date range (both ends inclusive; no end means open-ended)."""

    key: str
    value: ParamValue
    unit: str
    effective_from: date
    effective_to: date | None
    sources: tuple[str, ...]
    confidence: str
    status: str = "verified"
    date_confidence: str | None = None
    mandatory_by: date | None = None
    stale_after: date | None = None
    age_from: int | None = None
    age_to: int | None = None
    note: str = ""
    origin: str = ""

    @property
    def verified(self) -> bool:
        """Whether the sources were found to state this value (not an extrapolation or a guess)."""
        return self.status == "verified"

    def covers(self, on: date) -> bool:
        """Whether this value is in force on a date."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def is_stale_on(self, on: date) -> bool:
        """Whether the value was probably replaced by a newer one by that date (see `stale_after`)."""
        return self.stale_after is not None and on > self.stale_after

    def is_reliable_on(self, on: date) -> bool:
        """Whether a decision may rest on this value without a warning."""
        return self.verified and self.confidence != "low" and not self.is_stale_on(on)

    @property
    def decimal(self) -> Decimal:
        """The value as a Decimal; raises if the value is not a number."""
        if isinstance(self.value, bool) or not isinstance(self.value, Decimal | int):
            raise RuleNotFound(f"rule {self.key!r} holds {self.value!r}, not a number")
        return Decimal(self.value)

    @property
    def range_text(self) -> str:
        """The date range as text: '2025-04-07 to 2026-04-05' or '2026-04-06 onwards'."""
        if self.effective_to is None:
            return f"{self.effective_from.isoformat()} onwards"
        return f"{self.effective_from.isoformat()} to {self.effective_to.isoformat()}"

    def caveat(self, on: date) -> str | None:
        """Say why a decision resting on this value needs care on that date, or None if it does not."""
        reasons = []
        if not self.verified:
            reasons.append(f"is {self.status}")
        if self.confidence == "low":
            reasons.append("has low confidence")
        if self.is_stale_on(on):
            reasons.append(f"may be out of date after {self.stale_after.isoformat()}")  # type: ignore[union-attr]
        if not reasons:
            return None
        text = f"The figure {self.key} = {self.value} ({self.range_text}) {' and '.join(reasons)}"
        if self.note:
            text += f": {self.note}"
        return text if text.endswith(".") else text + "."


@dataclass(frozen=True)
class Rulebook:
    """Every parameter loaded, by key, with the sources they cite and the files they came from."""

    parameters: dict[str, tuple[Parameter, ...]]
    sources: dict[str, Source]
    files: tuple[str, ...] = field(default=())

    def keys(self) -> tuple[str, ...]:
        """Every key the rulebook holds, sorted."""
        return tuple(sorted(self.parameters))

    def has(self, key: str) -> bool:
        """Whether any value is held for a key (on any date)."""
        return key in self.parameters

    def history(self, key: str) -> tuple[Parameter, ...]:
        """Every value held for a key, oldest first."""
        self._known(key)
        return self.parameters[key]

    def get(self, key: str, on: date) -> Parameter:
        """Return the value of a rule in force on a date; raise `RuleNotFound` if there is none."""
        for param in self._known(key):
            if param.covers(on):
                return param
        ranges = "; ".join(p.range_text for p in self.parameters[key])
        raise RuleNotFound(
            f"No value for rule {key!r} on {on.isoformat()}: the rulebook holds it for {ranges}. "
            "Add the figure for that date in an organisation override file."
        )

    def in_force(self, prefix: str, on: date) -> tuple[Parameter, ...]:
        """Return every parameter whose key starts with a prefix and that is in force on a date."""
        found: list[Parameter] = []
        for key, params in sorted(self.parameters.items()):
            if key.startswith(prefix):
                found.extend(p for p in params if p.covers(on))
        return tuple(found)

    def source_titles(self, param: Parameter) -> str:
        """Name the sources of a parameter as text."""
        return "; ".join(self.sources[s].title if s in self.sources else s for s in param.sources)

    def _known(self, key: str) -> tuple[Parameter, ...]:
        if key not in self.parameters:
            close = difflib.get_close_matches(key, list(self.parameters), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise RuleNotFound(f"Unknown rule {key!r}: no file in the rulebook defines it.{hint}")
        return self.parameters[key]


# ---------------------------------------------------------------- loading


def built_in_path() -> Path:
    """Return the path of the UK rules shipped with the package."""
    return Path(str(resources.files("policies").joinpath("data", "uk-rules.toml")))


def load_rulebook(extra_paths: Sequence[str | Path] = ()) -> Rulebook:
    """Load the built-in UK rules, then each organisation override file in order (later files win)."""
    paths = [built_in_path(), *(Path(p) for p in extra_paths)]
    parameters: dict[str, list[Parameter]] = {}
    sources: dict[str, Source] = {}
    names = []
    for index, path in enumerate(paths):
        name = BUILT_IN_NAME if index == 0 else str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RulebookError(f"cannot read the file ({exc.strerror or exc})", path=name) from None
        except UnicodeDecodeError:
            raise RulebookError("cannot read the file: it is not UTF-8 text", path=name) from None
        # The built-in file defines the rules; each override may only give values for known ones.
        known = None if index == 0 else {k: tuple(v) for k, v in parameters.items()}
        file_params, file_sources = parse_rules_text(text, name, known_sources=sources, known_rules=known)
        sources.update(file_sources)
        for param in file_params:
            parameters[param.key] = _override(parameters.get(param.key, []), param)
        names.append(name)
    return Rulebook(
        parameters={k: tuple(sorted(v, key=lambda p: p.effective_from)) for k, v in parameters.items()},
        sources=sources,
        files=tuple(names),
    )


def _override(existing: list[Parameter], new: Parameter) -> list[Parameter]:
    """Cut the ranges held so far around a new parameter's range, then add it."""
    kept = []
    for old in existing:
        old_end = old.effective_to or date.max
        new_end = new.effective_to or date.max
        if old_end < new.effective_from or new_end < old.effective_from:
            kept.append(old)
            continue
        if old.effective_from < new.effective_from:
            kept.append(replace(old, effective_to=new.effective_from - timedelta(days=1)))
        if new_end < old_end:
            kept.append(replace(old, effective_from=new_end + timedelta(days=1)))
    kept.append(new)
    return kept


def parse_rules_text(
    text: str,
    name: str,
    known_sources: dict[str, Source] | None = None,
    known_rules: Mapping[str, Sequence[Parameter]] | None = None,
) -> tuple[list[Parameter], dict[str, Source]]:
    """Parse one rules file; raise `RulebookError` naming the file and line of the first problem.

    With `known_rules` (the rules loaded before an override file), each key must be one of them or one an
    organisation may define (`ORGANISATION_RULES`), in the same unit.
    """
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        message = getattr(exc, "msg", None) or re.sub(r"\s*\(at line.*\)$", "", str(exc))
        raise RulebookError(f"not valid TOML: {message}", path=name, line=line) from None
    lines = text.splitlines()
    locate = _Locator(lines)

    for top in data:
        if top not in _TOP_LEVEL:
            raise RulebookError(
                f"unknown top-level entry {top!r} (expected one of {', '.join(_TOP_LEVEL)})",
                path=name,
                line=locate.top_level(top),
            )
    version = data.get("schema_version")
    if version is not None and version not in SUPPORTED_SCHEMA_VERSIONS:
        raise RulebookError(
            f"schema_version {version!r} is not supported", path=name, line=locate.top_level("schema_version")
        )

    sources = _parse_sources(data.get("sources", {}), name, locate)
    all_sources = {**(known_sources or {}), **sources}
    raw_params = data.get("param", [])
    if not isinstance(raw_params, list):
        raise RulebookError("'param' must be an array of tables ([[param]])", path=name, line=None)
    params = [_parse_param(raw, i, name, locate, all_sources) for i, raw in enumerate(raw_params)]
    if known_rules is not None:
        _refuse_unknown_rules_and_units(params, known_rules, name, locate)
    _refuse_overlaps(params, name, locate)
    return params, sources


def _refuse_unknown_rules_and_units(
    params: list[Parameter], known: Mapping[str, Sequence[Parameter]], name: str, locate: _Locator
) -> None:
    """An override's keys must name rules the engine uses, each in that rule's unit."""
    units: dict[str, tuple[str, str]] = {
        key: (history[0].unit, f"as in {history[0].origin}") for key, history in known.items() if history
    }
    for index, param in enumerate(params):
        label = f"[[param]] {param.key!r}"
        if param.key not in units:
            organisation_unit = next((unit for pattern, unit in ORGANISATION_RULES if pattern.match(param.key)), None)
            if organisation_unit is None:
                close = difflib.get_close_matches(param.key, list(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise RulebookError(
                    f"{label}: unknown rule: no rule of the engine has this key, so the value would never be "
                    f"used{hint}",
                    path=name,
                    line=locate.param_field(index, "key"),
                )
            units[param.key] = (organisation_unit, "the unit the engine reads it in")
        expected, where = units[param.key]
        if param.unit != expected:
            raise RulebookError(
                f"{label}: unit {param.unit!r} does not match the rule's unit {expected!r} ({where})",
                path=name,
                line=locate.param_field(index, "unit"),
            )


def _parse_sources(raw: Any, name: str, locate: _Locator) -> dict[str, Source]:
    if not isinstance(raw, dict):
        raise RulebookError("[sources] must be a table", path=name, line=locate.top_level("sources"))
    sources = {}
    for source_id, entry in raw.items():
        line = locate.source(source_id)
        if isinstance(entry, str):
            entry = {"title": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("title"), str) or not entry["title"]:
            raise RulebookError(f"source {source_id!r} needs a title", path=name, line=line)
        unknown = set(entry) - {"title", "url"}
        if unknown:
            raise RulebookError(
                f"source {source_id!r} has unknown field(s) {', '.join(sorted(unknown))}", path=name, line=line
            )
        sources[source_id] = Source(id=source_id, title=entry["title"], url=str(entry.get("url", "")))
    return sources


@dataclass(frozen=True)
class _RawParam:
    """One ``[[param]]`` table as read from the file, with where it is, for errors that point at the line."""

    raw: Any
    index: int
    name: str
    locate: _Locator

    def fail(self, message: str, field_name: str | None = None) -> RulebookError:
        line = self.locate.param_field(self.index, field_name) if field_name else self.locate.param(self.index)
        key = self.raw.get("key") if isinstance(self.raw, dict) else None
        label = f"[[param]] {key!r}" if isinstance(key, str) else f"[[param]] number {self.index + 1}"
        return RulebookError(f"{label}: {message}", path=self.name, line=line)

    def a_date(self, field_name: str, required: bool) -> date | None:
        found = self.raw.get(field_name)
        if found is None and not required:
            return None
        if isinstance(found, datetime) or not isinstance(found, date):
            raise self.fail(f"{field_name} must be a date written as YYYY-MM-DD (no quotes), not {found!r}", field_name)
        return found


def _parse_param(raw: Any, index: int, name: str, locate: _Locator, sources: dict[str, Source]) -> Parameter:
    """Check one ``[[param]]`` table field by field, in the file's order, and build its Parameter."""
    param = _RawParam(raw, index, name, locate)
    _check_fields(param)
    key, value, unit = _check_value(param)
    effective_from, effective_to = _check_dates(param)
    cited = _check_sources(param, sources)
    confidence, date_confidence, status = _check_grading(param)
    ages = _check_ages(param)
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise param.fail("note must be a string", "note")
    header = locate.param(index)
    return Parameter(
        key=key,
        value=value,
        unit=unit,
        effective_from=effective_from,
        effective_to=effective_to,
        sources=cited,
        confidence=confidence,
        status=status,
        date_confidence=date_confidence,
        mandatory_by=param.a_date("mandatory_by", False),
        stale_after=param.a_date("stale_after", False),
        age_from=ages["age_from"],
        age_to=ages["age_to"],
        note=note,
        origin=f"{name}, line {header}" if header else name,
    )


def _check_fields(param: _RawParam) -> None:
    """A table, with every required field and no field the rulebook does not know."""
    raw = param.raw
    if not isinstance(raw, dict):
        raise param.fail("must be a table")
    for required in _REQUIRED_FIELDS:
        if required not in raw:
            raise param.fail(f"missing required field {required!r}")
    unknown = set(raw) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS)
    if unknown:
        first = sorted(unknown)[0]
        raise param.fail(f"unknown field(s) {', '.join(sorted(unknown))}", first)


def _check_value(param: _RawParam) -> tuple[str, Any, str]:
    """The key, the value and its unit, and a value that makes sense for the unit."""
    raw, fail = param.raw, param.fail
    key = raw["key"]
    if not isinstance(key, str) or not _KEY_PATTERN.match(key):
        raise fail(f"key must be dotted lower-case words such as 'wage.organisation.hourly', not {key!r}", "key")
    value = raw["value"]
    if isinstance(value, datetime | date | list | dict):
        raise fail("value must be a number, a string or true/false", "value")
    if isinstance(value, Decimal) and not value.is_finite():
        raise fail("value must be a finite number", "value")
    unit = raw["unit"]
    if not isinstance(unit, str) or not unit:
        raise fail("unit must be a non-empty string", "unit")
    if unit == "flag" and not isinstance(value, bool):
        raise fail(f"value must be true or false for unit 'flag', not {value!r}", "value")
    if unit not in NON_NUMERIC_UNITS:
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise fail(f"value must be a number for unit {unit!r}, not {value!r}", "value")
        if value < 0:
            raise fail(f"value cannot be negative for unit {unit!r} (got {value})", "value")
        if unit == "fraction" and value > 1:
            raise fail(f"a fraction must be between 0 and 1, not {value}", "value")
    return key, value, unit


def _check_dates(param: _RawParam) -> tuple[date, date | None]:
    """When the figure is in force: from a date, and to one no earlier."""
    effective_from = param.a_date("effective_from", True)
    assert effective_from is not None
    effective_to = param.a_date("effective_to", False)
    if effective_to is not None and effective_to < effective_from:
        raise param.fail(f"effective_to {effective_to} is before effective_from {effective_from}", "effective_to")
    return effective_from, effective_to


def _check_sources(param: _RawParam, sources: dict[str, Source]) -> tuple[str, ...]:
    """One source ID or a list of them, each declared in a [sources] table."""
    cited = param.raw["source"]
    if isinstance(cited, str):
        cited = [cited]
    if not isinstance(cited, list) or not cited or not all(isinstance(s, str) and s for s in cited):
        raise param.fail("source must be a source ID or a non-empty list of them", "source")
    missing = [s for s in cited if s not in sources]
    if missing:
        raise param.fail(f"source {missing[0]!r} is not declared in a [sources] table", "source")
    return tuple(cited)


def _check_grading(param: _RawParam) -> tuple[str, str | None, str]:
    """How sure the figure is (and its dates), and whether it has been verified."""
    raw, fail = param.raw, param.fail
    confidence = raw["confidence"]
    if confidence not in CONFIDENCE_LEVELS:
        raise fail(f"confidence must be one of high, medium, low, not {confidence!r}", "confidence")
    date_confidence = raw.get("date_confidence")
    if date_confidence is not None and date_confidence not in CONFIDENCE_LEVELS:
        raise fail(f"date_confidence must be one of high, medium, low, not {date_confidence!r}", "date_confidence")
    status = raw.get("status", "verified")
    if status not in STATUSES:
        raise fail(f"status must be one of {', '.join(STATUSES)}, not {status!r}", "status")
    return confidence, date_confidence, status


def _check_ages(param: _RawParam) -> dict[str, int | None]:
    """The ages the figure applies to, in whole years, the upper no lower than the lower."""
    ages: dict[str, int | None] = {}
    for age_field in ("age_from", "age_to"):
        age = param.raw.get(age_field)
        if age is not None and (isinstance(age, bool) or not isinstance(age, int) or age < 0):
            raise param.fail(f"{age_field} must be a whole number of years", age_field)
        ages[age_field] = age
    age_from, age_to = ages["age_from"], ages["age_to"]
    if age_from is not None and age_to is not None and age_to < age_from:
        raise param.fail("age_to is below age_from", "age_to")
    return ages


def _refuse_overlaps(params: list[Parameter], name: str, locate: _Locator) -> None:
    by_key: dict[str, list[tuple[int, Parameter]]] = {}
    for index, param in enumerate(params):
        by_key.setdefault(param.key, []).append((index, param))
    for key, entries in by_key.items():
        entries.sort(key=lambda e: e[1].effective_from)
        for (_, earlier), (index, later) in itertools.pairwise(entries):
            if earlier.effective_to is None or later.effective_from <= earlier.effective_to:
                raise RulebookError(
                    f"[[param]] {key!r}: the range {later.range_text} overlaps {earlier.range_text} ({earlier.origin})",
                    path=name,
                    line=locate.param(index),
                )


def _line_from_message(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


class _Locator:
    """Find the line (1-based) of a [[param]] block, one of its fields, a source or a top-level entry."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.param_lines = [n for n, line in enumerate(lines, start=1) if _PARAM_HEADER.match(line)]

    def param(self, index: int) -> int | None:
        return self.param_lines[index] if index < len(self.param_lines) else None

    def param_field(self, index: int, field_name: str) -> int | None:
        start = self.param(index)
        if start is None:
            return None
        pattern = re.compile(rf"^\s*{re.escape(field_name)}\s*=")
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if _ANY_HEADER.match(line):
                break
            if pattern.match(line):
                return number
        return start

    def source(self, source_id: str) -> int | None:
        pattern = re.compile(rf"^\s*(\[sources\.)?\"?{re.escape(source_id)}\"?\s*[=\]]")
        return next((n for n, line in enumerate(self.lines, start=1) if pattern.match(line)), None)

    def top_level(self, entry: str) -> int | None:
        pattern = re.compile(rf"^\s*\[*\s*{re.escape(entry)}\b")
        return next((n for n, line in enumerate(self.lines, start=1) if pattern.match(line)), None)
