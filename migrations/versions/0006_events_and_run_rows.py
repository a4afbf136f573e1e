"""One append-only events table for every state change; a payment run's findings kept in rows.

Revision ID: 0006_events_and_run_rows
Revises: 0005_balance_triggers
Create Date: 2026-12-01

- ``events`` replaces ``claim_events`` (whose rows are copied into it): who, when, what happened, to which
  record, status before and after, and why. UPDATE and DELETE are refused by triggers, as for postings.
- A payment run's batch benefit check, its left-out payees and its override reason were one JSON blob on
  the run, appended to as things happened. They become ``payment_run_benefit_checks`` (one row per
  participant checked), ``payment_run_exclusions`` (one row per payee left out, and why) and columns on
  the run; the JSON of existing runs is copied into them.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0006_events_and_run_rows"
down_revision = "0005_balance_triggers"
branch_labels = None
depends_on = None

PG_REFUSE = """
CREATE FUNCTION ledger_refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: record a new event instead' USING ERRCODE = 'restrict_violation';
END $$;
"""


def _events_table() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "events",
        sa.Column("id", big_id, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("subject_type", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("payment_run_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", big_id, nullable=True),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name=op.f("fk_events_actor_user_id_users")),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_events_participant_id_participants")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_events_claim_id_claims")),
        sa.ForeignKeyConstraint(["payment_run_id"], ["payment_runs.id"],
                                name=op.f("fk_events_payment_run_id_payment_runs")),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"],
                                name=op.f("fk_events_entry_id_journal_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_subject", "events", ["subject_type", "subject_id", "id"])
    op.create_index("ix_events_claim_id", "events", ["claim_id", "id"])
    op.create_index("ix_events_participant_id", "events", ["participant_id", "id"])
    op.create_index("ix_events_payment_run_id", "events", ["payment_run_id", "id"])
    op.create_index("ix_events_actor_user_id", "events", ["actor_user_id", "id"])
    op.create_index("ix_events_at", "events", ["at"])


def _copy_claim_events() -> None:
    text_id = "CAST(e.claim_id AS VARCHAR(40))"
    op.execute(
        "INSERT INTO events (at, actor_user_id, subject_type, subject_id, action, from_status, to_status, reason, "
        "note, participant_id, claim_id, payment_run_id) "
        f"SELECT e.at, e.user_id, 'claim', {text_id}, e.action, e.from_status, e.to_status, "
        "CASE WHEN e.action IN ('reject', 'return', 'cancel') THEN e.note END, "
        "CASE WHEN e.action IN ('reject', 'return', 'cancel') THEN NULL ELSE e.note END, "
        "c.participant_id, e.claim_id, CASE WHEN e.action = 'pay' THEN c.payment_run_id END "
        "FROM claim_events e JOIN claims c ON c.id = e.claim_id ORDER BY e.id"
    )
    op.drop_index(op.f("ix_claim_events_claim_id"), table_name="claim_events")
    op.drop_table("claim_events")


def _guard_events() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_REFUSE)
        op.execute("CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_event_change()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                       "BEGIN SELECT RAISE(ABORT, 'events are append-only: record a new event instead'); END")


def _run_tables() -> None:
    op.create_table(
        "payment_run_benefit_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("payee_kind", sa.String(length=12), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("fee_pence", sa.BigInteger(), nullable=False),
        sa.Column("fee_minutes", sa.Integer(), nullable=False),
        sa.Column("held_fee_pence", sa.BigInteger(), nullable=False),
        sa.Column("benefit_check", sa.JSON(), nullable=False),
        sa.CheckConstraint("payee_kind IN ('participant','group')",
                           name=op.f("ck_payment_run_benefit_checks_payee_kind")),
        sa.ForeignKeyConstraint(["run_id"], ["payment_runs.id"], ondelete="CASCADE",
                                name=op.f("fk_payment_run_benefit_checks_run_id_payment_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_run_benefit_checks")),
        sa.UniqueConstraint("run_id", "payee_kind", "payee_id",
                            name=op.f("uq_payment_run_benefit_checks_run_id_payee_kind_payee_id")),
    )
    op.create_index(op.f("ix_payment_run_benefit_checks_run_id"), "payment_run_benefit_checks", ["run_id"])
    op.create_table(
        "payment_run_exclusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("payee_kind", sa.String(length=12), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("claim_ids", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("excluded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("payee_kind IN ('participant','group')", name=op.f("ck_payment_run_exclusions_payee_kind")),
        sa.CheckConstraint("reason IN ('no_bank_details','benefit_block','removed')",
                           name=op.f("ck_payment_run_exclusions_reason")),
        sa.ForeignKeyConstraint(["run_id"], ["payment_runs.id"], ondelete="CASCADE",
                                name=op.f("fk_payment_run_exclusions_run_id_payment_runs")),
        sa.ForeignKeyConstraint(["excluded_by_user_id"], ["users.id"],
                                name=op.f("fk_payment_run_exclusions_excluded_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_run_exclusions")),
    )
    op.create_index(op.f("ix_payment_run_exclusions_run_id"), "payment_run_exclusions", ["run_id"])
    op.add_column("payment_runs", sa.Column("requested_payment_date", sa.Date(), nullable=True))
    op.add_column("payment_runs", sa.Column("benefit_checked_on", sa.Date(), nullable=True))
    op.add_column("payment_runs", sa.Column("override_reason", sa.Text(), nullable=True))
    op.add_column("payment_runs", sa.Column("override_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its foreign key in place; rebuilding the table instead would fail while
        # claims and payments refer to it.
        op.execute("ALTER TABLE payment_runs ADD COLUMN override_by_user_id INTEGER "
                   "CONSTRAINT fk_payment_runs_override_by_user_id_users REFERENCES users (id)")
    else:
        op.add_column("payment_runs", sa.Column("override_by_user_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_payment_runs_override_by_user_id_users"), "payment_runs", "users",
                              ["override_by_user_id"], ["id"])


def _pounds(pence):
    return None if pence is None else f"{pence // 100}.{pence % 100:02d}"


def _check_json(entry: dict) -> dict:
    """An old run's per-payee check (only the benefits it affected, explanations joined) in the stored shape."""
    error = None
    staff = entry.get("explanation_for_staff") or ""
    if entry.get("outcome") == "error":
        error = staff.removeprefix("The declared benefits could not be checked: ")
    benefits = []
    for i, a in enumerate(entry.get("affected") or []):
        period = ({"start": a["period_start"], "end": a["period_end"]}
                  if a.get("period_start") and a.get("period_end") else None)
        benefits.append({
            "name": a["benefit"], "period": period, "counted": _pounds(a.get("counted_pence")),
            "limit": _pounds(a.get("limit_pence")), "headroom": _pounds(a.get("headroom_pence")),
            "effect": a["effect"], "reduction": _pounds(a.get("reduction_pence")),
            "explanation": (entry.get("explanation") or "") if i == 0 else "",
            "explanation_for_staff": staff if i == 0 else "", "rule": "", "source": "",
            "confidence": a.get("confidence") or "", "source_ids": [], "hours": None,
            "unverified_or_uncertain": a.get("effect") == "none", "notes": [],
            "safe_amount": _pounds(a.get("safe_amount_pence")),
        })
    data = {"outcome": entry.get("outcome") or "ok", "benefits": benefits, "alternatives": [], "notes": [],
            "confidence": None, "required_action": entry.get("action") or "none"}
    if error is not None:
        data["error"] = error
    return data


def _copy_run_reports() -> None:
    bind = op.get_bind()
    runs = sa.table("payment_runs", sa.column("id", sa.Integer), sa.column("benefit_check", sa.JSON),
                    sa.column("payment_date", sa.Date), sa.column("created_by_user_id", sa.Integer),
                    sa.column("created_at", sa.DateTime(timezone=True)))
    checks = sa.table("payment_run_benefit_checks", *(sa.column(c) for c in (
        "run_id", "payee_kind", "payee_id", "fee_pence", "fee_minutes", "held_fee_pence")),
        sa.column("benefit_check", sa.JSON))
    exclusions = sa.table("payment_run_exclusions", *(sa.column(c) for c in (
        "run_id", "payee_kind", "payee_id", "name", "amount_pence", "reason", "message", "excluded_by_user_id",
        "excluded_at")), sa.column("claim_ids", sa.JSON))
    for run in bind.execute(sa.select(runs)).all():
        report = run.benefit_check if not isinstance(run.benefit_check, str) else json.loads(run.benefit_check)
        if not report:
            continue
        override = report.get("override") or {}
        bind.execute(sa.text(
            "UPDATE payment_runs SET requested_payment_date = :requested, benefit_checked_on = :checked, "
            "override_reason = :reason, override_by_user_id = :user, override_at = :at WHERE id = :id"
        ), {"requested": report.get("requested_payment_date") or run.payment_date,
            "checked": report.get("checked_on"), "reason": override.get("reason"), "user": override.get("user_id"),
            "at": override.get("at"), "id": run.id})
        for key, entry in (report.get("payees") or {}).items():
            kind, payee_id = key.split(":")
            bind.execute(sa.insert(checks).values(
                run_id=run.id, payee_kind=kind, payee_id=int(payee_id), fee_pence=entry.get("fee_pence") or 0,
                fee_minutes=entry.get("fee_minutes") or 0, held_fee_pence=entry.get("held_fee_pence") or 0,
                benefit_check=_check_json(entry)))
        for x in report.get("left_out") or []:
            bind.execute(sa.insert(exclusions).values(
                run_id=run.id, payee_kind=x["payee_kind"], payee_id=x["payee_id"], name=x["name"][:200],
                amount_pence=x["amount_pence"], claim_ids=x["claim_ids"], reason=x["reason"], message=x["message"],
                excluded_by_user_id=run.created_by_user_id, excluded_at=run.created_at))
    # SQLite 3.35 and later drop a column in place (it is in no index or constraint).
    op.execute("ALTER TABLE payment_runs DROP COLUMN benefit_check")


def upgrade() -> None:
    _events_table()
    _copy_claim_events()
    _guard_events()
    _run_tables()
    _copy_run_reports()


def _restore_claim_events() -> None:
    op.create_table(
        "claim_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_events_claim_id_claims"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_claim_events_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_events")),
    )
    op.create_index(op.f("ix_claim_events_claim_id"), "claim_events", ["claim_id"], unique=False)
    op.execute(
        "INSERT INTO claim_events (claim_id, action, from_status, to_status, user_id, at, note) "
        "SELECT claim_id, action, from_status, COALESCE(to_status, ''), actor_user_id, at, COALESCE(reason, note) "
        "FROM events WHERE subject_type = 'claim' AND claim_id IS NOT NULL ORDER BY id"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_event_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    op.drop_table("events")


def _entry_json(check: dict, row) -> dict:
    """A stored check back in the old per-payee shape (the benefits it affects, explanations joined)."""
    affected = [b for b in check.get("benefits") or [] if b.get("effect") != "none" or b.get("unverified_or_uncertain")]

    def pence(text):
        if text is None:
            return None
        pounds, _, pennies = text.partition(".")
        return int(pounds) * 100 + int((pennies + "00")[:2])

    staff = " ".join(b.get("explanation_for_staff") or "" for b in affected)
    if check.get("error") is not None:
        staff = f"The declared benefits could not be checked: {check['error']}"
    entry = {
        "outcome": check.get("outcome"), "action": check.get("required_action"), "fee_pence": row.fee_pence,
        "fee_minutes": row.fee_minutes,
        "affected": [{
            "benefit": b["name"], "name": b["name"], "effect": b["effect"],
            "period_start": (b.get("period") or {}).get("start"), "period_end": (b.get("period") or {}).get("end"),
            "counted_pence": pence(b.get("counted")), "limit_pence": pence(b.get("limit")),
            "headroom_pence": pence(b.get("headroom")), "reduction_pence": pence(b.get("reduction")),
            "safe_amount_pence": pence(b.get("safe_amount")), "confidence": b.get("confidence"),
        } for b in affected],
        "explanation_for_staff": staff,
        "explanation": " ".join(b.get("explanation") or "" for b in affected),
    }
    if row.held_fee_pence:
        entry["held_fee_pence"] = row.held_fee_pence
    return entry


def _restore_run_reports() -> None:
    bind = op.get_bind()
    op.add_column("payment_runs", sa.Column("benefit_check", sa.JSON(), nullable=True))
    runs = sa.table("payment_runs", sa.column("id", sa.Integer), sa.column("benefit_check", sa.JSON))
    for run in bind.execute(sa.text(
            "SELECT id, requested_payment_date, benefit_checked_on, payment_date, override_reason, "
            "override_by_user_id, override_at FROM payment_runs")).all():
        checks = bind.execute(sa.text(
            "SELECT payee_kind, payee_id, fee_pence, fee_minutes, held_fee_pence, benefit_check "
            "FROM payment_run_benefit_checks WHERE run_id = :id"), {"id": run.id}).all()
        left = bind.execute(sa.text(
            "SELECT payee_kind, payee_id, name, amount_pence, claim_ids, reason, message "
            "FROM payment_run_exclusions WHERE run_id = :id ORDER BY id"), {"id": run.id}).all()

        def loaded(value):
            return json.loads(value) if isinstance(value, str) else value

        report = {
            "checked_on": str(run.benefit_checked_on) if run.benefit_checked_on else None,
            "requested_payment_date": str(run.requested_payment_date or run.payment_date),
            "payment_date": str(run.payment_date),
            "payees": {f"{c.payee_kind}:{c.payee_id}": _entry_json(loaded(c.benefit_check), c) for c in checks},
            "left_out": [{"payee_kind": x.payee_kind, "payee_id": x.payee_id, "name": x.name,
                          "amount_pence": x.amount_pence, "claim_ids": loaded(x.claim_ids), "reason": x.reason,
                          "message": x.message} for x in left],
            "override": ({"reason": run.override_reason, "user_id": run.override_by_user_id,
                          "at": str(run.override_at)} if run.override_reason else None),
        }
        bind.execute(sa.update(runs).where(runs.c.id == run.id).values(benefit_check=report))
    op.drop_table("payment_run_exclusions")
    op.drop_table("payment_run_benefit_checks")
    for column in ("requested_payment_date", "benefit_checked_on", "override_reason", "override_at"):
        op.execute(f"ALTER TABLE payment_runs DROP COLUMN {column}")
    if bind.dialect.name == "postgresql":
        op.drop_constraint(op.f("fk_payment_runs_override_by_user_id_users"), "payment_runs", type_="foreignkey")
        op.drop_column("payment_runs", "override_by_user_id")
    # On SQLite override_by_user_id stays: a column with a foreign key can only go by rebuilding payment_runs,
    # which claims and payments refer to. Nothing before 0006 reads it.


def downgrade() -> None:
    _restore_run_reports()
    _restore_claim_events()
