"""Use cases for participants, user-led groups and partner organisations.

Every function takes the session, the acting user's id and any dates or keys as arguments, works in the
caller's transaction and never commits. Creating a payee opens its accounts in the books in the same
transaction (see ``ledger.people.accounts``). Bank details are encrypted with the ``BankCipher`` the
caller passes, and leave this module in clear only through ``bank_details_for_bank_file``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from ledger import models as _every_table  # noqa: F401  (foreign keys to users resolve at flush)
from ledger.db import utcnow
from ledger.errors import ConfigurationError, Conflict, NotFound, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from ledger.people import checks
from ledger.people.accounts import (
    group_accounts,
    open_group_accounts,
    open_participant_accounts,
    open_partner_accounts,
    participant_accounts,
    partner_accounts,
)
from ledger.people.bank import (
    BankCipher,
    BankDetails,
    MaskedBankDetails,
    check_bank_details,
    mask_account_number,
    mask_sort_code,
)
from ledger.people.benefits import check_benefits
from ledger.people.models import (
    PREFERRED_FORMATS,
    REWARD_CHOICES,
    BankDetailChange,
    BenefitDeclaration,
    Participant,
    PartnerOrganisation,
    UserLedGroup,
)
from ledger.people.national_insurance import FIELD as NI_FIELD
from ledger.people.national_insurance import masked as masked_ni
from ledger.people.national_insurance import normalise_national_insurance_number, spaced
from ledger.people.records import (
    BankDetailChangeRecord,
    BenefitDeclarationRecord,
    GroupRecord,
    ParticipantRecord,
    ParticipantSummary,
    PartnerRecord,
)

PARTICIPANT_FIELDS = (
    "name",
    "preferred_name",
    "email",
    "phone",
    "postal_address",
    "preferred_format",
    "date_of_birth",
    "default_reward",
    "default_group_id",
    "access_needs",
)
UPDATABLE_PARTICIPANT_FIELDS = (*PARTICIPANT_FIELDS, "is_active", "national_insurance_number")
MAX_ADDRESS = 500
MAX_CIRCUMSTANCES = 4000
MAX_ACCESS_NEEDS = 2000



def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Age in whole years on a day (someone born on 29 February turns a year older on 1 March)."""
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


# ---------------------------------------------------------------- participants


def _masked(row: Participant | UserLedGroup) -> MaskedBankDetails | None:
    if row.bank_details_encrypted is None:
        return None
    return MaskedBankDetails(
        sort_code=mask_sort_code(row.bank_sort_code_last2 or ""),
        account_number=mask_account_number(row.bank_account_last4 or ""),
        set_at=row.bank_details_set_at,
        returned_on=row.bank_details_returned_on,
        returned_reason=row.bank_details_returned_reason,
    )


def participant_record(row: Participant) -> ParticipantRecord:
    return ParticipantRecord(
        id=row.id,
        name=row.name,
        preferred_name=row.preferred_name,
        email=row.email,
        phone=row.phone,
        postal_address=row.postal_address,
        preferred_format=row.preferred_format,
        date_of_birth=row.date_of_birth,
        default_reward=row.default_reward,
        default_group_id=row.default_group_id,
        is_active=bool(row.is_active),
        bank_details=_masked(row),
        accounts=participant_accounts(row.id),
        created_at=row.created_at,
        updated_at=row.updated_at,
        national_insurance_number=row.national_insurance_number_masked,
        access_needs=row.access_needs,
        erased_at=row.erased_at,
    )


def _load_participant(session: Session, participant_id: int) -> Participant:
    row = session.get(Participant, participant_id)
    if row is None:
        raise NotFound(f"There is no participant {participant_id}.")
    return row


def _check_participant(session: Session, values: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """Check a participant's complete set of fields and return them cleaned."""
    problems = checks.Problems()
    clean: dict[str, Any] = {
        "name": checks.text(problems, "name", values.get("name"), max_length=200, required=True),
        "preferred_name": checks.text(problems, "preferred_name", values.get("preferred_name"), max_length=200),
        "email": checks.email(problems, "email", values.get("email")),
        "phone": checks.phone(problems, "phone", values.get("phone")),
        "postal_address": checks.text(problems, "postal_address", values.get("postal_address"),
                                      max_length=MAX_ADDRESS),
        "date_of_birth": checks.date(problems, "date_of_birth", values.get("date_of_birth")),
        "default_group_id": values.get("default_group_id"),
        # Health data, encrypted at rest by its column type (``ledger.encryption``).
        "access_needs": checks.text(problems, "access_needs", values.get("access_needs"), max_length=MAX_ACCESS_NEEDS),
    }
    fmt = values.get("preferred_format")
    if fmt is None:
        fmt = "post" if clean["email"] is None and clean["postal_address"] is not None else "email"
    clean["preferred_format"] = checks.choice(problems, "preferred_format", fmt, PREFERRED_FORMATS)
    clean["default_reward"] = checks.choice(
        problems, "default_reward", values.get("default_reward") or "paid_to_me", REWARD_CHOICES
    )

    born = clean["date_of_birth"]
    if born is not None and not checks.EARLIEST_BIRTH_DATE <= born <= today:
        problems.add("date_of_birth", "Must be a date in the past.")
    if clean["email"] is None and clean["postal_address"] is None:
        problems.add("email", "Give an email address or a postal address, so that remittance advice can reach them.")
    elif clean["preferred_format"] == "email" and clean["email"] is None:
        problems.add("email", "Required when the preferred format is email.")
    elif clean["preferred_format"] == "post" and clean["postal_address"] is None:
        problems.add("postal_address", "Required when the preferred format is post.")

    group_id = clean["default_group_id"]
    if clean["default_reward"] == "paid_to_group":
        if group_id is None:
            problems.add("default_group_id", "Say which group to pay.")
        elif type(group_id) is not int:
            problems.add("default_group_id", "Must be a group's id.")
        else:
            group = session.get(UserLedGroup, group_id)
            if group is None:
                problems.add("default_group_id", f"There is no user-led group {group_id}.")
            elif not group.is_active:
                problems.add("default_group_id", f"{group.name} is no longer active.")
    elif group_id is not None:
        problems.add("default_group_id", "Only when the default reward is paid_to_group.")
    problems.raise_if_any()
    return clean


def _refuse_duplicate(session: Session, name: str, born: dt.date | None, *, except_id: int | None = None) -> None:
    """Two records with the same name and date of birth are the same person: paying both pays twice."""
    if born is None:
        return
    # Dates of birth are encrypted (``ledger.encryption``): read the few records with this name, compare here.
    query = select(Participant.id, Participant.date_of_birth).where(func.lower(Participant.name) == name.lower())
    if except_id is not None:
        query = query.where(Participant.id != except_id)
    existing = next((row.id for row in session.execute(query.order_by(Participant.id))
                     if row.date_of_birth == born), None)
    if existing is not None:
        raise Conflict(f"Participant {existing} already has this name and date of birth.",
                       fields={"name": ["A participant with this name and date of birth exists."]})


def create_participant(
    session: Session,
    *,
    name: str,
    preferred_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    postal_address: str | None = None,
    preferred_format: str | None = None,
    date_of_birth: dt.date | None = None,
    default_reward: str = "paid_to_me",
    default_group_id: int | None = None,
    access_needs: str | None = None,
    today: dt.date | None = None,
) -> ParticipantRecord:
    """Record a participant and open their accounts (owed, advance, time credits).

    Without a preferred format, it is email when an email address is given, otherwise post.
    """
    values = {"name": name, "preferred_name": preferred_name, "email": email, "phone": phone,
              "postal_address": postal_address, "preferred_format": preferred_format,
              "date_of_birth": date_of_birth, "default_reward": default_reward,
              "default_group_id": default_group_id, "access_needs": access_needs}
    clean = _check_participant(session, values, today or dt.date.today())
    _refuse_duplicate(session, clean["name"], clean["date_of_birth"])
    row = Participant(**clean, is_active=True)
    session.add(row)
    session.flush()
    open_participant_accounts(session, row.id)
    return participant_record(row)


def update_participant(
    session: Session,
    participant_id: int,
    changes: Mapping[str, Any],
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    cipher: BankCipher | None = None,
    actor_user_id: int | None = None,
    action: str | None = "update_details",
) -> ParticipantRecord:
    """Change some of a participant's details (those named in ``changes``); the rest stay as they are.

    Moving the default reward away from ``paid_to_group`` forgets the group unless another is named. A
    National Insurance number (``None`` or "" removes it) is encrypted with ``cipher``. The change is an
    event, ``action`` (``update_details``; ``change_contact_details`` when a participant changes their own),
    naming the fields changed, never their values, so the audit log says who changed a person's details and
    everything kept on what they were (the finance queue's benefit checks) is worked out again. A caller that
    records the change in an event of another shape passes ``action=None``.
    """
    unknown = sorted(set(changes) - set(UPDATABLE_PARTICIPANT_FIELDS))
    if unknown:
        raise ValidationError(f"These cannot be changed here: {', '.join(unknown)}.",
                              fields={k: ["Unknown field."] for k in unknown})
    row = _load_participant(session, participant_id)
    if row.erased_at is not None:
        raise Conflict(f"Participant {participant_id}'s details were erased: they cannot be changed.",
                       fields={"participant_id": ["Their details were erased."]})
    # checked first: a wrong number changes nothing
    ni_change = _national_insurance_change(changes[NI_FIELD], cipher) if NI_FIELD in changes else None
    values = {field: getattr(row, field) for field in PARTICIPANT_FIELDS}
    values.update({k: v for k, v in changes.items() if k not in ("is_active", NI_FIELD)})
    if values["default_reward"] != "paid_to_group" and "default_group_id" not in changes:
        values["default_group_id"] = None
    clean = _check_participant(session, values, today or dt.date.today())
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            raise ValidationError("is_active must be true or false.", fields={"is_active": ["Must be a boolean."]})
        clean["is_active"] = changes["is_active"]
    _refuse_duplicate(session, clean["name"], clean["date_of_birth"], except_id=row.id)
    changed = sorted(f for f, value in clean.items() if getattr(row, f) != value)
    for field, value in clean.items():
        setattr(row, field, value)
    row.updated_at = now or utcnow()
    if ni_change is not None:
        ni_cipher, number = ni_change
        _store_national_insurance_number(session, row, ni_cipher, number, actor_user_id, row.updated_at)
    if action is not None and changed:
        record_event(session, NewEvent(
            subject="participant", subject_id=row.id, participant_id=row.id, actor_user_id=actor_user_id,
            action=action, details={"fields": changed}), at=now)
    session.flush()
    return participant_record(row)


def change_preferred_format(
    session: Session,
    participant_id: int,
    preferred_format: str,
    *,
    actor_user_id: int | None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ParticipantRecord:
    """Record how the participant wants their pages and documents (large print, easy read, email or post).

    A participant changes this themselves, from their own pages, so the change is an event in the audit log
    (who changed it, from what to what) as well as the new value on their record.
    """
    before = _load_participant(session, participant_id).preferred_format
    record = update_participant(session, participant_id, {"preferred_format": preferred_format}, today=today,
                                now=now, actor_user_id=actor_user_id, action=None)
    if record.preferred_format != before:
        record_event(session, NewEvent(
            subject="participant", subject_id=participant_id, participant_id=participant_id,
            actor_user_id=actor_user_id, action="change_preferred_format", before=before,
            after=record.preferred_format), at=now)
    return record


def _national_insurance_change(value: object, cipher: BankCipher | None) -> tuple[BankCipher, str | None]:
    """The number to keep (None to forget it) and the key to keep it with, refusing before anything changes."""
    number = normalise_national_insurance_number(value)
    if cipher is None:
        raise ConfigurationError("A National Insurance number needs the key that encrypts personal details.")
    return cipher, number


def _store_national_insurance_number(session: Session, row: Participant, cipher: BankCipher, number: str | None,
                                     actor_user_id: int | None, now: dt.datetime) -> None:
    """Encrypt and keep the number (or forget it), with an event saying it changed but not what it is."""
    before = row.national_insurance_number_encrypted
    if before is not None and number is not None and cipher.decrypt_text(before) == number:
        return  # the same number again: nothing changes
    if before is None and number is None:
        return
    row.national_insurance_number_encrypted = cipher.encrypt_text(number) if number else None
    row.national_insurance_number_masked = masked_ni(number) if number else None
    record_event(session, NewEvent(
        subject="participant", subject_id=row.id, participant_id=row.id, actor_user_id=actor_user_id,
        action="set_national_insurance_number" if number else "remove_national_insurance_number",
        details={"had_one_before": before is not None}), at=now)


def national_insurance_number(session: Session, cipher: BankCipher, participant_id: int) -> str | None:
    """The participant's number in full (``AB 12 34 56 C``), for the evidence pack only; None if not given."""
    token = _load_participant(session, participant_id).national_insurance_number_encrypted
    return spaced(cipher.decrypt_text(token)) if token else None


def get_participant(session: Session, participant_id: int) -> ParticipantRecord:
    return participant_record(_load_participant(session, participant_id))


def participant_summary(session: Session, participant_id: int) -> ParticipantSummary:
    """A participant's name and preferred format, all their own pages show of them: five columns, where the
    whole record (loaded as an object, its date of birth decrypted) cost "My money" more than the page's
    payments (issue 12)."""
    row = session.execute(
        select(Participant.id, Participant.name, Participant.preferred_name, Participant.preferred_format,
               Participant.is_active).where(Participant.id == participant_id)
    ).first() if type(participant_id) is int else None
    if row is None:
        raise NotFound(f"There is no participant {participant_id}.")
    return ParticipantSummary(id=row.id, name=row.name, preferred_name=row.preferred_name,
                              preferred_format=row.preferred_format, is_active=bool(row.is_active))


def list_participants(
    session: Session, *, include_inactive: bool = False, search: str | None = None, within: Any = None,
    after: tuple[str, int] | None = None, limit: int | None = None,
) -> list[ParticipantSummary]:
    """The participant directory, by name; ``search`` matches part of a name or preferred name.

    ``within`` (a query of participant ids) limits it, as a project manager's directory is limited;
    ``after`` (the last name and id shown) and ``limit`` read it a keyset page at a time.
    """
    query = select(Participant.id, Participant.name, Participant.preferred_name, Participant.preferred_format,
                   Participant.is_active).order_by(func.lower(Participant.name), Participant.id)
    if within is not None:
        query = query.where(Participant.id.in_(within))
    if not include_inactive:
        query = query.where(Participant.is_active)
    if after is not None:
        # Lower-cased by the database on both sides, so the page boundary sorts exactly as the list does.
        name, last_id = func.lower(literal(after[0])), after[1]
        query = query.where(or_(func.lower(Participant.name) > name,
                                and_(func.lower(Participant.name) == name, Participant.id > last_id)))
    if limit is not None:
        query = query.limit(limit)
    if search and search.strip():
        term = search.strip().lower()
        query = query.where(func.lower(Participant.name).contains(term, autoescape=True)
                            | func.lower(func.coalesce(Participant.preferred_name, "")).contains(term, autoescape=True))
    return [ParticipantSummary(id=r.id, name=r.name, preferred_name=r.preferred_name,
                               preferred_format=r.preferred_format, is_active=bool(r.is_active))
            for r in session.execute(query)]


# ---------------------------------------------------------------- bank details


def _store_bank_details(session: Session, row: Participant | UserLedGroup, cipher: BankCipher,
                        details: BankDetails, actor_user_id: int | None, now: dt.datetime | None) -> None:
    now = now or utcnow()
    row.bank_details_encrypted = cipher.encrypt(details)
    row.bank_sort_code_last2 = details.sort_code[-2:]
    row.bank_account_last4 = details.account_number[-4:]
    row.bank_details_set_at = now
    session.add(BankDetailChange(
        participant_id=row.id if isinstance(row, Participant) else None,
        group_id=row.id if isinstance(row, UserLedGroup) else None,
        sort_code_last2=row.bank_sort_code_last2,
        account_last4=row.bank_account_last4,
        changed_at=now,
        changed_by_user_id=actor_user_id,
    ))
    # Only the masked digits: the event log is read far more widely than the bank file.
    participant = isinstance(row, Participant)
    record_event(session, NewEvent(
        subject="participant" if participant else "group", subject_id=row.id, action="set_bank_details",
        actor_user_id=actor_user_id, participant_id=row.id if participant else None,
        details={"sort_code": mask_sort_code(row.bank_sort_code_last2),
                 "account_number": mask_account_number(row.bank_account_last4)}), at=now)
    _clear_returned_flag(session, row, actor_user_id, now)


def _clear_returned_flag(session: Session, row: Participant | UserLedGroup, actor_user_id: int | None,
                         now: dt.datetime) -> None:
    """New bank details end the wait a returned payment started: the payee can be paid in runs again."""
    if row.bank_details_returned_on is None:
        return
    participant = isinstance(row, Participant)
    record_event(session, NewEvent(
        subject="participant" if participant else "group", subject_id=row.id, action="clear_returned_flag",
        actor_user_id=actor_user_id, participant_id=row.id if participant else None,
        note=f"New bank details replace those a payment was returned from on {row.bank_details_returned_on:%d %B %Y}.",
        details={"returned_on": row.bank_details_returned_on.isoformat(),
                 "reason": row.bank_details_returned_reason}), at=now)
    row.bank_details_returned_on = None
    row.bank_details_returned_reason = None


def set_bank_details(
    session: Session,
    cipher: BankCipher,
    participant_id: int,
    *,
    sort_code: str,
    account_number: str,
    account_name: str,
    roll_number: str | None = None,
    actor_user_id: int | None = None,
    now: dt.datetime | None = None,
) -> ParticipantRecord:
    """Check, encrypt and store a participant's bank details (replacing any before)."""
    details = check_bank_details(sort_code, account_number, account_name, roll_number)
    row = _load_participant(session, participant_id)
    _store_bank_details(session, row, cipher, details, actor_user_id, now)
    session.flush()
    return participant_record(row)


def set_group_bank_details(
    session: Session,
    cipher: BankCipher,
    group_id: int,
    *,
    sort_code: str,
    account_number: str,
    account_name: str,
    roll_number: str | None = None,
    actor_user_id: int | None = None,
    now: dt.datetime | None = None,
) -> GroupRecord:
    """Check, encrypt and store a user-led group's bank details (replacing any before)."""
    details = check_bank_details(sort_code, account_number, account_name, roll_number)
    row = _load_group(session, group_id)
    _store_bank_details(session, row, cipher, details, actor_user_id, now)
    session.flush()
    return group_record(row)


def bank_detail_changes(
    session: Session, *, participant_id: int | None = None, group_id: int | None = None
) -> list[BankDetailChangeRecord]:
    """When a payee's bank details were set and by whom, newest first (masked digits only)."""
    if (participant_id is None) == (group_id is None):
        raise ValueError("name exactly one payee: participant_id or group_id")
    if participant_id is not None:
        _load_participant(session, participant_id)
        where = BankDetailChange.participant_id == participant_id
    elif group_id is not None:
        _load_group(session, group_id)
        where = BankDetailChange.group_id == group_id
    rows = session.execute(
        select(BankDetailChange).where(where).order_by(BankDetailChange.changed_at.desc(), BankDetailChange.id.desc())
    ).scalars()
    return [BankDetailChangeRecord(
        changed_at=r.changed_at,
        changed_by_user_id=r.changed_by_user_id,
        sort_code=mask_sort_code(r.sort_code_last2),
        account_number=mask_account_number(r.account_last4),
    ) for r in rows]


def bank_details_for_bank_file(
    session: Session,
    cipher: BankCipher,
    *,
    participant_ids: Iterable[int] = (),
    group_ids: Iterable[int] = (),
) -> dict[tuple[str, int], BankDetails]:
    """Bank details in clear, for writing the bank file and nothing else.

    Keys are ``("participant", id)`` and ``("group", id)``; a payee with no bank details is left out,
    so the caller can see who cannot be paid by transfer.
    """
    found: dict[tuple[str, int], BankDetails] = {}
    for kind, model, ids in (("participant", Participant, participant_ids), ("group", UserLedGroup, group_ids)):
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 500):
            rows = session.execute(
                select(model.id, model.bank_details_encrypted).where(
                    model.id.in_(wanted[start:start + 500]), model.bank_details_encrypted.is_not(None)
                )
            )
            for row_id, token in rows:
                if token is not None:  # the query asks only for rows that have bank details
                    found[(kind, row_id)] = cipher.decrypt(token)
    return found


# ---------------------------------------------------------------- benefits


def _declaration_record(row: BenefitDeclaration) -> BenefitDeclarationRecord:
    return BenefitDeclarationRecord(
        id=row.id,
        participant_id=row.participant_id,
        declared_on=row.declared_on,
        benefits=tuple(dict(item) for item in row.benefits),
        circumstances=row.circumstances,
        recorded_at=row.recorded_at,
        recorded_by_user_id=row.recorded_by_user_id,
    )


def declare_benefits(
    session: Session,
    participant_id: int,
    *,
    benefits: Any,
    declared_on: dt.date,
    circumstances: str | None = None,
    actor_user_id: int | None = None,
    today: dt.date | None = None,
) -> BenefitDeclarationRecord:
    """Record what a participant has declared about their benefits, as a new declaration.

    An empty list declares that they receive none. Earlier declarations are kept: payments made while
    they were in force are checked against them.
    """
    _load_participant(session, participant_id)
    clean = check_benefits(benefits)
    problems = checks.Problems()
    declared = checks.date(problems, "declared_on", declared_on, required=True)
    if declared is not None and declared > (today or dt.date.today()):
        problems.add("declared_on", "Cannot be in the future.")
    note = checks.text(problems, "circumstances", circumstances, max_length=MAX_CIRCUMSTANCES)
    problems.raise_if_any()
    row = BenefitDeclaration(participant_id=participant_id, declared_on=declared, benefits=clean,
                             circumstances=note, recorded_by_user_id=actor_user_id)
    session.add(row)
    session.flush()
    # Which benefits stays in the declaration (special-category data, shown only to those who need it).
    record_event(session, NewEvent(
        subject="participant", subject_id=participant_id, action="declare_benefits", actor_user_id=actor_user_id,
        participant_id=participant_id, details={"declaration_id": row.id, "declared_on": declared_on.isoformat()}))
    return _declaration_record(row)


def benefit_history(session: Session, participant_id: int) -> list[BenefitDeclarationRecord]:
    """Every declaration a participant has made, the one in force now first."""
    _load_participant(session, participant_id)
    rows = session.execute(
        select(BenefitDeclaration).where(BenefitDeclaration.participant_id == participant_id)
        .order_by(BenefitDeclaration.declared_on.desc(), BenefitDeclaration.id.desc())
    ).scalars()
    return [_declaration_record(r) for r in rows]


def current_benefits(
    session: Session, participant_id: int, *, as_of: dt.date | None = None
) -> BenefitDeclarationRecord | None:
    """The declaration in force: the latest, or the latest declared on or before ``as_of``."""
    _load_participant(session, participant_id)
    query = select(BenefitDeclaration).where(BenefitDeclaration.participant_id == participant_id)
    if as_of is not None:
        query = query.where(BenefitDeclaration.declared_on <= as_of)
    row = session.execute(
        query.order_by(BenefitDeclaration.declared_on.desc(), BenefitDeclaration.id.desc()).limit(1)
    ).scalar_one_or_none()
    return None if row is None else _declaration_record(row)


def declarations_of(session: Session, participant_ids: Iterable[int]) -> dict[int, list[BenefitDeclarationRecord]]:
    """Every declaration of each participant, latest first, in one query (for checks of many claims at once)."""
    found: dict[int, list[BenefitDeclarationRecord]] = {participant_id: [] for participant_id in participant_ids}
    rows = session.execute(
        select(BenefitDeclaration).where(BenefitDeclaration.participant_id.in_(sorted(found)))
        .order_by(BenefitDeclaration.declared_on.desc(), BenefitDeclaration.id.desc())
    ).scalars()
    for row in rows:
        found[row.participant_id].append(_declaration_record(row))
    return found


def declaration_in_force(declarations: Iterable[BenefitDeclarationRecord],
                         as_of: dt.date | None = None) -> BenefitDeclarationRecord | None:
    """Of declarations latest first, the one in force on ``as_of`` (as ``current_benefits`` picks it)."""
    return next((d for d in declarations if as_of is None or d.declared_on <= as_of), None)


# ---------------------------------------------------------------- user-led groups


def group_record(row: UserLedGroup) -> GroupRecord:
    return GroupRecord(
        id=row.id,
        name=row.name,
        contact_name=row.contact_name,
        email=row.email,
        phone=row.phone,
        postal_address=row.postal_address,
        charity_number=row.charity_number,
        is_active=bool(row.is_active),
        bank_details=_masked(row),
        accounts=group_accounts(row.id),
        created_at=row.created_at,
    )


def _load_group(session: Session, group_id: int) -> UserLedGroup:
    row = session.get(UserLedGroup, group_id)
    if row is None:
        raise NotFound(f"There is no user-led group {group_id}.")
    return row


_Named = type[Participant] | type[UserLedGroup] | type[PartnerOrganisation]


def _refuse_same_name(session: Session, model: _Named, name: str, what: str) -> None:
    if session.execute(select(model.id).where(func.lower(model.name) == name.lower())).first():
        raise Conflict(f"There is already a {what} called {name}.", fields={"name": ["Already exists."]})


def create_group(
    session: Session,
    *,
    name: str,
    contact_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    postal_address: str | None = None,
    charity_number: str | None = None,
) -> GroupRecord:
    """Record a user-led group that fees can be paid to, and open its account."""
    problems = checks.Problems()
    row = UserLedGroup(
        name=checks.text(problems, "name", name, max_length=200, required=True),
        contact_name=checks.text(problems, "contact_name", contact_name, max_length=200),
        email=checks.email(problems, "email", email),
        phone=checks.phone(problems, "phone", phone),
        postal_address=checks.text(problems, "postal_address", postal_address, max_length=MAX_ADDRESS),
        charity_number=checks.text(problems, "charity_number", charity_number, max_length=20),
        is_active=True,
    )
    problems.raise_if_any()
    _refuse_same_name(session, UserLedGroup, row.name, "user-led group")
    checks.add_unique(session, row, message=f"There is already a user-led group called {row.name}.", field="name")
    open_group_accounts(session, row.id)
    return group_record(row)


def get_group(session: Session, group_id: int) -> GroupRecord:
    return group_record(_load_group(session, group_id))


def list_groups(session: Session, *, include_inactive: bool = False) -> list[GroupRecord]:
    query = select(UserLedGroup).order_by(func.lower(UserLedGroup.name), UserLedGroup.id)
    if not include_inactive:
        query = query.where(UserLedGroup.is_active)
    return [group_record(r) for r in session.execute(query).scalars()]


# ---------------------------------------------------------------- partner organisations


def partner_record(row: PartnerOrganisation) -> PartnerRecord:
    return PartnerRecord(
        id=row.id,
        name=row.name,
        description=row.description,
        contact_name=row.contact_name,
        email=row.email,
        phone=row.phone,
        postal_address=row.postal_address,
        is_active=bool(row.is_active),
        accounts=partner_accounts(row.id),
        created_at=row.created_at,
    )


def create_partner(
    session: Session,
    *,
    name: str,
    description: str | None = None,
    contact_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    postal_address: str | None = None,
) -> PartnerRecord:
    """Record a partner organisation where time credits are spent, and open its time-credit account."""
    problems = checks.Problems()
    row = PartnerOrganisation(
        name=checks.text(problems, "name", name, max_length=200, required=True),
        description=checks.text(problems, "description", description, max_length=2000),
        contact_name=checks.text(problems, "contact_name", contact_name, max_length=200),
        email=checks.email(problems, "email", email),
        phone=checks.phone(problems, "phone", phone),
        postal_address=checks.text(problems, "postal_address", postal_address, max_length=MAX_ADDRESS),
        is_active=True,
    )
    problems.raise_if_any()
    _refuse_same_name(session, PartnerOrganisation, row.name, "partner organisation")
    checks.add_unique(session, row, message=f"There is already a partner organisation called {row.name}.",
                      field="name")
    open_partner_accounts(session, row.id)
    return partner_record(row)


def get_partner(session: Session, partner_id: int) -> PartnerRecord:
    row = session.get(PartnerOrganisation, partner_id)
    if row is None:
        raise NotFound(f"There is no partner organisation {partner_id}.")
    return partner_record(row)


def list_partners(session: Session, *, include_inactive: bool = False) -> list[PartnerRecord]:
    query = select(PartnerOrganisation).order_by(func.lower(PartnerOrganisation.name), PartnerOrganisation.id)
    if not include_inactive:
        query = query.where(PartnerOrganisation.is_active)
    return [partner_record(r) for r in session.execute(query).scalars()]
