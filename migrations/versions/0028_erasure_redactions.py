"""Erasure reaches the free text of the append-only records: ``redactions``, event digest version 2, and
triggers that allow exactly that one update.

Revision ID: 0028_erasure_redactions
Revises: 0026_encrypted_personal_data
Create Date: 2026-12-02

- ``redactions``: one row per free text an erasure emptied in an event, a journal entry or a posting (record
  type, record id, field, the sha256 the text had, the erasure event that did it). Append-only.
- ``events.digest_version``: 1 for the events already written (the chain covers their texts themselves), 2 for
  those written from now on (``ledger.events.writer`` sets it): the chain covers their reason, note and each
  value of their details by its sha256. Journal entries already carry ``fingerprint_version``: from now on 3,
  which takes the description and the memos by their sha256. Old rows keep their versions and are checked the
  old way, so no link changes; only rows of the new versions can be erased (``ledger.privacy.erasure``).
- The append-only triggers of ``events``, ``journal_entries`` and ``postings`` now let one update through: an
  event's reason, note or a value of its details, an entry's description or a posting's memo set to
  ``[erased]``, every other column unchanged, where a ``redactions`` row names that record and field. Every
  other UPDATE (one that changes nothing included), and every DELETE, is still refused.

SQLite: the triggers are dropped and made again with a WHEN clause; PostgreSQL: the trigger functions are
replaced (the triggers stay). ``events.digest_version`` is added in place on both (no table rebuild, so the
other triggers stay).
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_erasure_redactions"
down_revision = "0026_encrypted_personal_data"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ERASED = "[erased]"
EVENTS_MESSAGE = "events are append-only: record a new event instead"
EVENT_COLUMNS = ("id", "at", "actor_user_id", "subject_type", "subject_id", "action", "from_status", "to_status",
                 "participant_id", "claim_id", "payment_run_id", "entry_id", "digest_version")
ENTRY_COLUMNS = ("id", "effective_date", "recorded_at", "kind", "actor_user_id", "idempotency_key", "content_hash",
                 "reverses_entry_id", "fingerprint_version")
POSTING_COLUMNS = ("id", "entry_id", "account_id", "unit", "amount", "effective_date", "kind")

PG_FUNCTIONS = f"""
CREATE FUNCTION ledger_erased_or_same(p_type text, p_id bigint, p_field text, p_old jsonb, p_new jsonb)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT p_new IS NOT DISTINCT FROM p_old OR (p_old IS NOT NULL AND p_new = '"{ERASED}"'::jsonb AND EXISTS (
        SELECT 1 FROM redactions r WHERE r.record_type = p_type AND r.record_id = p_id AND r.field = p_field))
$$;

CREATE FUNCTION ledger_details_erased_or_same(p_id bigint, p_old jsonb, p_new jsonb)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT p_new IS NOT DISTINCT FROM p_old OR (
        jsonb_typeof(p_old) = 'object' AND jsonb_typeof(p_new) = 'object'
        AND ARRAY(SELECT jsonb_object_keys(p_old) ORDER BY 1) = ARRAY(SELECT jsonb_object_keys(p_new) ORDER BY 1)
        AND NOT EXISTS (SELECT 1 FROM jsonb_each(p_new) n WHERE NOT
            ledger_erased_or_same('event', p_id, 'details.' || n.key, p_old -> n.key, n.value)))
$$;

CREATE OR REPLACE FUNCTION ledger_refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND to_jsonb(NEW) <> to_jsonb(OLD)
       AND (to_jsonb(NEW) - 'reason' - 'note' - 'details') = (to_jsonb(OLD) - 'reason' - 'note' - 'details')
       AND ledger_erased_or_same('event', OLD.id, 'reason', to_jsonb(OLD.reason), to_jsonb(NEW.reason))
       AND ledger_erased_or_same('event', OLD.id, 'note', to_jsonb(OLD.note), to_jsonb(NEW.note))
       AND ledger_details_erased_or_same(OLD.id, OLD.details::jsonb, NEW.details::jsonb) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{EVENTS_MESSAGE}' USING ERRCODE = 'restrict_violation';
END $$;

CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_field text := CASE TG_TABLE_NAME WHEN 'journal_entries' THEN 'description' ELSE 'memo' END;
    v_type text := CASE TG_TABLE_NAME WHEN 'journal_entries' THEN 'entry' ELSE 'posting' END;
BEGIN
    IF TG_OP = 'UPDATE' AND to_jsonb(NEW) <> to_jsonb(OLD) AND (to_jsonb(NEW) - v_field) = (to_jsonb(OLD) - v_field)
       AND ledger_erased_or_same(v_type, OLD.id, v_field, to_jsonb(OLD) -> v_field, to_jsonb(NEW) -> v_field) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'posted % are immutable: post a reversal instead', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE FUNCTION ledger_refuse_redaction_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'redactions are append-only' USING ERRCODE = 'restrict_violation';
END $$;
"""

PG_RESTORE = f"""
CREATE OR REPLACE FUNCTION ledger_refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{EVENTS_MESSAGE}' USING ERRCODE = 'restrict_violation';
END $$;

CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'posted % are immutable: post a reversal instead', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;

DROP FUNCTION IF EXISTS ledger_details_erased_or_same(bigint, jsonb, jsonb);
DROP FUNCTION IF EXISTS ledger_erased_or_same(text, bigint, text, jsonb, jsonb);
"""


def _covered(record_type: str, field: str) -> str:
    return (f"EXISTS (SELECT 1 FROM redactions r WHERE r.record_type = '{record_type}' AND r.record_id = OLD.id "
            f"AND r.field = {field})")


def _text_erased(record_type: str, column: str) -> str:
    return (f"(NEW.{column} IS OLD.{column} OR (OLD.{column} IS NOT NULL AND NEW.{column} = '{ERASED}' "
            f"AND {_covered(record_type, repr(column))}))")


def _same(columns: tuple[str, ...]) -> str:
    return " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns)


# Each value of the new details is the old one, or the marker where a redaction covers that key; same keys.
SQLITE_DETAILS = f"""(NEW.details IS OLD.details OR (
    json_type(OLD.details) = 'object' AND json_type(NEW.details) = 'object'
    AND (SELECT count(*) FROM json_each(OLD.details)) = (SELECT count(*) FROM json_each(NEW.details))
    AND NOT EXISTS (SELECT 1 FROM json_each(NEW.details) n WHERE NOT (
        EXISTS (SELECT 1 FROM json_each(OLD.details) o WHERE o.key = n.key AND o.type = n.type AND o.value IS n.value)
        OR (n.type = 'text' AND n.value = '{ERASED}'
            AND EXISTS (SELECT 1 FROM json_each(OLD.details) o WHERE o.key = n.key)
            AND {_covered('event', "'details.' || n.key")})))))"""


def _sqlite_triggers() -> dict[str, tuple[str, str]]:
    """Each UPDATE trigger remade: its table, and the one update it lets through."""
    return {
        "events_no_update": ("events", f"{_same(EVENT_COLUMNS)} AND {_text_erased('event', 'reason')} AND "
                                       f"{_text_erased('event', 'note')} AND {SQLITE_DETAILS} AND NOT "
                                       f"({_same(('reason', 'note', 'details'))})"),
        "journal_entries_no_update": ("journal_entries", f"{_same(ENTRY_COLUMNS)} AND "
                                      f"{_text_erased('entry', 'description')} AND NOT ({_same(('description',))})"),
        "postings_no_update": ("postings", f"{_same(POSTING_COLUMNS)} AND {_text_erased('posting', 'memo')} AND "
                                           f"NOT ({_same(('memo',))})"),
    }


SQLITE_MESSAGES = {"events": EVENTS_MESSAGE, "journal_entries": "posted journal_entries are immutable: post a "
                   "reversal instead", "postings": "posted postings are immutable: post a reversal instead"}


def _redactions_table() -> None:
    op.create_table(
        "redactions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_type", sa.String(8), nullable=False),
        sa.Column("record_id", BIG_ID, nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("erasure_event_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(["erasure_event_id"], ["events.id"],
                                name=op.f("fk_redactions_erasure_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redactions")),
        sa.UniqueConstraint("record_type", "record_id", "field",
                            name=op.f("uq_redactions_record_type_record_id_field")),
    )
    op.create_index(op.f("ix_redactions_erasure_event_id"), "redactions", ["erasure_event_id"], unique=False)


def upgrade() -> None:
    _redactions_table()
    op.execute("ALTER TABLE events ADD COLUMN digest_version SMALLINT DEFAULT '1' NOT NULL")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTIONS)
        op.execute("CREATE TRIGGER redactions_append_only BEFORE UPDATE OR DELETE ON redactions "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_redaction_change()")
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER redactions_no_{action.lower()} BEFORE {action} ON redactions "
                   "BEGIN SELECT RAISE(ABORT, 'redactions are append-only'); END")
    for name, (table, allowed) in _sqlite_triggers().items():
        op.execute(f"DROP TRIGGER {name}")
        op.execute(f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} WHEN NOT ({allowed}) "
                   f"BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGES[table]}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS redactions_append_only ON redactions")
        op.execute(PG_RESTORE)
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_redaction_change()")
    else:
        for name, (table, _allowed) in _sqlite_triggers().items():
            op.execute(f"DROP TRIGGER {name}")
            op.execute(f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGES[table]}'); END")
    op.execute("ALTER TABLE events DROP COLUMN digest_version")
    op.drop_index(op.f("ix_redactions_erasure_event_id"), table_name="redactions")
    op.drop_table("redactions")
