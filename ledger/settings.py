"""The organisation's settings as one frozen record, built once when the app starts.

Configuration arrives as a flat mapping (``ledger.config.from_environment``: the environment, then any
overrides a test passes). ``build_settings`` turns it into typed values once, so that a mistyped key, an
invalid rules file or a malformed bank-details key stops the app at start instead of failing the first
person who needs it, and so that the API, the web pages and the CLI all read the same values from one
place (``ledger.context.settings()``). Services never read it themselves: their callers hand them the
parts they need (``settings.claim_rules``, ``settings.bank_cipher``...).

Nothing here imports Flask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.claims.services import FLAT_FEE_BELOW_MINIMUM, ClaimRules
from ledger.encryption import PersonalDataCipher
from ledger.errors import ConfigurationError
from ledger.outbox.sending import MailSettings
from ledger.payments.bacs import Originator
from ledger.people.bank import BankCipher
from ledger.reports.organisation import Organisation, organisation_from_config
from policies.errors import PolicyError
from policies.rulebook import Rulebook, load_rulebook
from policies.settings import PolicySettings


@dataclass(frozen=True, slots=True)
class Signatory:
    """Who signs letters such as the benefits evidence pack, when the organisation names one."""

    name: str | None
    role: str | None


@dataclass(frozen=True, slots=True)
class NamedContact:
    """The organisation's named person for questions about benefits, shown beside every benefit warning."""

    name: str | None = None
    role: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """How many wrong passwords before sign-in waits, per account and (higher: an office shares one address) per
    address; the first wait, doubling with each further failure up to ``window_seconds``, which is also how long
    without a failure before the count starts afresh. Never a lockout: an attacker cannot shut someone out."""

    max_failures: int
    window_seconds: int
    address_max_failures: int = 50
    first_delay_seconds: int = 30


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """How long a sign-in lasts: ended after ``idle_minutes`` without a request, and ``absolute_hours`` after
    signing in whatever happens, so a browser left open on a shared computer does not stay signed in."""

    idle_minutes: int = 30
    absolute_hours: int = 12


@dataclass(frozen=True, slots=True)
class PublicRateLimit:
    """Calls per client address to the public endpoints (the benefit calculator) per window."""

    limit: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the organisation has configured, typed and checked."""

    env_name: str
    rulebook: Rulebook
    policy: PolicySettings
    claim_rules: ClaimRules
    originator: Originator
    organisation: Organisation
    bank_cipher: BankCipher
    signatory: Signatory
    login: LoginLimits
    public_rate_limit: PublicRateLimit
    time_credit_overdraft_minutes: int
    # WELFARE_RIGHTS_ADVICE: independent advice to name, with the organisation's contact, when a check is unsure.
    welfare_rights_advice: str = "Citizens Advice, 0800 144 8848, citizensadvice.org.uk"
    fixed_today: dt.date | None = None  # LEDGER_TODAY: the day taken as today, for a demonstration or a test
    # A manual journal entry with more than this in pounds of debits waits for a second finance user.
    manual_entry_second_approval_above_pence: int = 50_000
    # ORGANISATION_CONTACT_NAME, _ROLE, _PHONE, _EMAIL: who a participant asks about a benefit warning.
    named_contact: NamedContact = NamedContact()
    # SMTP_* and MAIL_FROM: how the outbox worker sends email.
    mail: MailSettings = field(default_factory=MailSettings)
    # SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS: when a sign-in ends.
    sessions: SessionLimits = SessionLimits()
    # NOMINAL_MAP_PATH: the mapping file (TOML) of ledger accounts to nominal codes for the Xero and Sage exports.
    nominal_map_path: str | None = None
    # TOTP_REQUIRED: finance and administrators must sign in with a code from an authenticator app (by default on
    # in production and off elsewhere, so that the demo's printed logins work with a password alone).
    totp_required: bool = False
    # PERSONAL_DATA_KEY (else BANK_DETAILS_KEY): the keys of every encrypted special-category column.
    personal_data_keys: str = ""
    # BANK_DETAILS_KEY as given (several keys, comma-separated), for ``ledger rotate-keys``.
    bank_details_keys: str = ""
    # RETENTION_YEARS: financial records kept this many years after the tax year of a person's last entry.
    retention_years: int = 6

    @property
    def pay_basis(self) -> str:
        return self.claim_rules.pay_basis

    @property
    def production(self) -> bool:
        return self.env_name == "production"


def _rules(config: Mapping[str, Any]) -> tuple[Rulebook, PolicySettings]:
    try:
        rulebook = load_rulebook(config.get("POLICY_OVERRIDE_FILES") or ())
        policy = PolicySettings(
            vouchers_count_as_earnings=config["VOUCHERS_COUNT_AS_EARNINGS"],
            on_warn=config["POLICY_ON_WARN"],
            on_breach=config["POLICY_ON_BREACH"],
        )
    except PolicyError as error:
        # One line, file and line first ("org.toml, line 4: ..."): the flask command prints it as it is.
        message = " ".join(str(error).split())
        raise ConfigurationError(f"{message} (the benefit rules could not be loaded)") from error
    return rulebook, policy


def _flat_fee_below_minimum(config: Mapping[str, Any]) -> str:
    """The organisation's choice for a flat fee below the legal minimum; a typo stops the app at start."""
    value = config.get("FLAT_FEE_BELOW_MINIMUM") or "refuse"
    if value not in FLAT_FEE_BELOW_MINIMUM:
        raise ConfigurationError(f"FLAT_FEE_BELOW_MINIMUM must be one of {', '.join(FLAT_FEE_BELOW_MINIMUM)}, "
                                 f"not {value!r}.")
    return value


def build_settings(config: Mapping[str, Any]) -> Settings:
    """Check and type the app's configuration; raise ConfigurationError naming what is wrong."""
    rulebook, policy = _rules(config)
    return Settings(
        env_name=config["ENV_NAME"],
        rulebook=rulebook,
        policy=policy,
        claim_rules=ClaimRules(
            rulebook=rulebook,
            policy=policy,
            pay_basis=config.get("PAY_BASIS") or "real_living_wage",
            second_approval_above_pence=int(config["SECOND_APPROVAL_ABOVE_PENCE"]),
            receipt_max_bytes=int(config["RECEIPT_MAX_BYTES"]),
            receipt_required_above_pence=_not_negative(config, "RECEIPT_REQUIRED_ABOVE_PENCE", 2500),
            flat_fee_below_minimum=_flat_fee_below_minimum(config),
        ),
        originator=Originator(
            service_user_number=config["BACS_SERVICE_USER_NUMBER"],
            name=config["BACS_ORIGINATOR_NAME"],
            sort_code=config["BACS_ORIGINATOR_SORT_CODE"],
            account_number=config["BACS_ORIGINATOR_ACCOUNT"],
        ),
        organisation=organisation_from_config(config),
        # Built once: a malformed key stops the app at start, not when finance first saves bank details.
        bank_cipher=BankCipher(config["BANK_DETAILS_KEY"]),
        signatory=Signatory(
            name=config.get("EVIDENCE_SIGNED_BY_NAME") or config.get("EVIDENCE_SIGNATORY_NAME") or None,
            role=config.get("EVIDENCE_SIGNED_BY_ROLE") or config.get("EVIDENCE_SIGNATORY_ROLE") or None),
        login=_login_limits(config),
        totp_required=_true_or_false(config, "TOTP_REQUIRED", False),
        public_rate_limit=PublicRateLimit(limit=int(config["PUBLIC_API_RATE_LIMIT"]),
                                          window_seconds=int(config["PUBLIC_API_RATE_WINDOW_SECONDS"])),
        time_credit_overdraft_minutes=int(config.get("TIME_CREDIT_OVERDRAFT_MINUTES") or 0),
        fixed_today=_fixed_today(config.get("LEDGER_TODAY")),
        manual_entry_second_approval_above_pence=_not_negative(config, "MANUAL_ENTRY_SECOND_APPROVAL_ABOVE_PENCE",
                                                               50_000),
        named_contact=_named_contact(config),
        welfare_rights_advice=(config.get("WELFARE_RIGHTS_ADVICE") or "").strip()
        or "Citizens Advice, 0800 144 8848, citizensadvice.org.uk",
        mail=_mail(config),
        sessions=_session_limits(config),
        nominal_map_path=(config.get("NOMINAL_MAP_PATH") or "").strip() or None,
        personal_data_keys=_personal_data_keys(config),
        bank_details_keys=config["BANK_DETAILS_KEY"],
        retention_years=_retention_years(config),
    )


def _login_limits(config: Mapping[str, Any]) -> LoginLimits:
    """The sign-in limits; an address limit below the account limit would let one person shut out an office."""
    numbers = {}
    for name, default in (("LOGIN_MAX_FAILURES", 5), ("LOGIN_WINDOW_SECONDS", 900),
                          ("LOGIN_ADDRESS_MAX_FAILURES", 50), ("LOGIN_FIRST_DELAY_SECONDS", 30)):
        value = config.get(name, default)
        try:
            numbers[name] = int(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{name} must be a whole number above zero, not {value!r}.") from None
        if numbers[name] <= 0:
            raise ConfigurationError(f"{name} must be a whole number above zero, not {numbers[name]}.")
    if numbers["LOGIN_ADDRESS_MAX_FAILURES"] < numbers["LOGIN_MAX_FAILURES"]:
        raise ConfigurationError("LOGIN_ADDRESS_MAX_FAILURES must be at least LOGIN_MAX_FAILURES: many people can "
                                 "share one address, so its limit is the higher.")
    return LoginLimits(max_failures=numbers["LOGIN_MAX_FAILURES"], window_seconds=numbers["LOGIN_WINDOW_SECONDS"],
                       address_max_failures=numbers["LOGIN_ADDRESS_MAX_FAILURES"],
                       first_delay_seconds=numbers["LOGIN_FIRST_DELAY_SECONDS"])


def _true_or_false(config: Mapping[str, Any], name: str, default: bool) -> bool:
    value = config.get(name, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false", "1", "0"):
        raise ConfigurationError(f"{name} must be true or false, not {value!r}.")
    return text in ("true", "1")


def _personal_data_keys(config: Mapping[str, Any]) -> str:
    """The special-category data keys, checked now: a malformed key stops the app at start."""
    keys = config.get("PERSONAL_DATA_KEY") or config["BANK_DETAILS_KEY"]
    PersonalDataCipher(keys, setting="PERSONAL_DATA_KEY" if config.get("PERSONAL_DATA_KEY") else "BANK_DETAILS_KEY")
    return keys


def _retention_years(config: Mapping[str, Any]) -> int:
    """Years financial records are kept after the tax year of a person's last entry (HMRC asks for six)."""
    value = config.get("RETENTION_YEARS", 6)
    try:
        years = int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"RETENTION_YEARS must be a whole number of years, not {value!r}.") from None
    if years < 0:
        raise ConfigurationError(f"RETENTION_YEARS must be zero or more, not {years}.")
    return years


def _session_limits(config: Mapping[str, Any]) -> SessionLimits:
    """The sign-in limits; anything but a whole number above zero stops the app at start."""
    limits = {}
    for name, default in (("SESSION_IDLE_MINUTES", 30), ("SESSION_ABSOLUTE_HOURS", 12)):
        value = config.get(name, default)
        try:
            limits[name] = int(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{name} must be a whole number above zero, not {value!r}.") from None
        if limits[name] <= 0:
            raise ConfigurationError(f"{name} must be a whole number above zero, not {limits[name]}.")
    return SessionLimits(idle_minutes=limits["SESSION_IDLE_MINUTES"],
                         absolute_hours=limits["SESSION_ABSOLUTE_HOURS"])


def _named_contact(config: Mapping[str, Any]) -> NamedContact:
    """The named contact; each part left out when blank (the organisation's general contact is shown then)."""
    def part(name: str) -> str | None:
        return str(config.get(f"ORGANISATION_CONTACT_{name}") or "").strip() or None
    return NamedContact(name=part("NAME"), role=part("ROLE"), phone=part("PHONE"), email=part("EMAIL"))


def _mail(config: Mapping[str, Any]) -> MailSettings:
    """The SMTP settings; a port that is not a number, or STARTTLS neither true nor false, stops the app."""
    port, starttls = str(config.get("SMTP_PORT") or "587"), str(config.get("SMTP_STARTTLS") or "true").lower()
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(f"SMTP_PORT must be a port number such as 587, not {port!r}.")
    if starttls not in ("true", "false"):
        raise ConfigurationError(f"SMTP_STARTTLS must be true or false, not {starttls!r}.")
    return MailSettings(host=config.get("SMTP_HOST") or None, port=int(port),
                        username=config.get("SMTP_USERNAME") or None, password=config.get("SMTP_PASSWORD") or None,
                        starttls=starttls == "true", mail_from=config.get("MAIL_FROM") or "payments@localhost")


def _not_negative(config: Mapping[str, Any], name: str, default: int) -> int:
    """A whole number setting of zero or more; a typo stops the app at start."""
    value = config.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be a whole number of pence, not {value!r}.") from None
    if number < 0:
        raise ConfigurationError(f"{name} must be zero or more, not {number}.")
    return number


def _fixed_today(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigurationError(f"LEDGER_TODAY must be a date like 2026-10-31, not {value!r}.") from None
