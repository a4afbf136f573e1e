"""Finance's claims queue filters: project, person (by name), status and benefit flag, read from the query string.

The filter form is a GET form (nothing changes, so no CSRF token), and the queue keeps only the claims that match
every filter given. A person is found by any part of their name, as finance knows people by name, not number;
the benefit flag is what approving would need (``ApprovalPreview.required_action``), worded as on the claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from ledger.claims.records import ApprovalPreview, ClaimRecord
from ledger.labels import ACTION_LABELS, CLAIM_STATUS_FOR_YOU
from ledger.people import services as people

#: The queue shows claims waiting for approval unless finance asks for another status.
DEFAULT_STATUS = "submitted"
#: Benefit flag choices: every claim, any flag at all, or one required action (``ACTION_LABELS``).
FLAGGED = "flagged"
BENEFIT_FLAG_CHOICES = [SelectChoice("", "Any"), SelectChoice(FLAGGED, "Any warning, override or block"),
                        *(SelectChoice(key, label) for key, label in ACTION_LABELS.items()),
                        SelectChoice("cannot_check", "The rules cannot check it")]

Preview = tuple[ApprovalPreview | None, str | None]


class QueueFilterForm(Form):
    """The filters above the queue; every one is optional, and an unknown value is refused beside its field."""

    project = SelectField("Project", choices=[SelectChoice("", "All projects")], validators=[Optional()])
    person = StringField("Name, or part of it", validators=[Optional(), Length(max=200)])
    status = SelectField("Status", default=DEFAULT_STATUS, validators=[Optional()],
                         choices=[SelectChoice(s, label) for s, label in CLAIM_STATUS_FOR_YOU.items()])
    benefit_flag = SelectField("Benefit check", choices=BENEFIT_FLAG_CHOICES, validators=[Optional()])


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """What the queue is filtered by, once the form has checked it."""

    project_code: str | None = None
    person: str = ""
    status: str = DEFAULT_STATUS
    benefit_flag: str = ""

    @property
    def narrowed(self) -> bool:
        """Any filter other than the default status: the page offers to clear them."""
        return bool(self.project_code or self.person or self.benefit_flag or self.status != DEFAULT_STATUS)


def filter_form(args: Mapping[str, str], projects: Iterable[tuple[str, str]]) -> QueueFilterForm:
    """The filter form over ``args``, offering ``projects`` as (code, name)."""
    form = QueueFilterForm(args)
    form.project.choices = [SelectChoice("", "All projects"),
                            *(SelectChoice(code, f"{name} ({code})") for code, name in projects)]
    if not args.get("status"):
        form.status.data = DEFAULT_STATUS
    return form


def filters_of(form: QueueFilterForm) -> QueueFilters:
    """The checked filters (call after ``form.validate()``)."""
    return QueueFilters(project_code=form.project.data or None, person=(form.person.data or "").strip(),
                        status=form.status.data or DEFAULT_STATUS, benefit_flag=form.benefit_flag.data or "")


def people_named(session: Session, person: str) -> set[int] | None:
    """Ids of the participants whose name (or preferred name) contains ``person``; None when none was asked for."""
    if not person:
        return None
    return {p.id for p in people.list_participants(session, include_inactive=True, search=person)}


def _flag_matches(preview: Preview, flag: str) -> bool:
    found, problem = preview
    if not flag:
        return True
    if flag == "cannot_check":
        return found is None and problem is not None
    if found is None:
        return False
    return found.required_action != "none" if flag == FLAGGED else found.required_action == flag


def with_benefit_flag(claims: Iterable[ClaimRecord], previews: Mapping[int, Preview],
                      flag: str) -> list[ClaimRecord]:
    """The claims whose benefit check matches ``flag``."""
    return [c for c in claims if _flag_matches(previews.get(c.id, (None, None)), flag)]
