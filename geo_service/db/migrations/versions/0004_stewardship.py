"""Stewardship: accounts, API keys, an append-only audit log, import batches, problem reports, login
throttling, and soft delete / verification / batch link on facility.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

The value lists of the CHECK constraints are written out (not imported), as in 0001, so this migration
keeps meaning what it meant when it was written.

Facility gains its columns with plain ALTER TABLE on SQLite, never with Alembic's batch mode: batch
mode copies the table, which would drop the data_revision triggers (0002) and SpatiaLite's geometry
triggers and R*Tree link. A column-level REFERENCES clause can be added and dropped in place.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
ROLES = ("viewer", "editor", "admin")
ENTITIES = ("facility", "app_user", "api_key", "import_batch", "problem_report")
FORMATS = ("csv", "xlsx", "geojson", "gpkg", "shapefile", "kml")
REPORT_KINDS = ("closed", "locked", "moved", "no_water", "no_power", "dirty", "other")
REPORT_STATUSES = ("open", "resolved", "dismissed")
RESOLUTIONS = ("confirmed_fine", "fixed", "closed", "moved", "dismissed")
APPEND_ONLY_MESSAGE = "audit_event is append-only (审计记录不可修改或删除)"


def _in(column: str, values: tuple[str, ...], nullable: bool = False) -> str:
    listed = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {listed}" if nullable else listed


def _now() -> sa.Column[datetime]:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _accounts() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("districts", JSONType, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_app_user"),
        sa.UniqueConstraint("username", name="uq_app_user_username"),
        sa.CheckConstraint(_in("role", ROLES), name="ck_app_user_role"),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("districts", JSONType, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        _now(),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_api_key"),
        sa.UniqueConstraint("key_hash", name="uq_api_key_key_hash"),
        sa.CheckConstraint(_in("role", ROLES), name="ck_api_key_role"),
        sa.CheckConstraint("revoked = (revoked_at IS NOT NULL)", name="ck_api_key_revoked_at"),
    )


def _login_failure() -> None:
    op.create_table(
        "login_failure",
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("scope", "key_hash", name="pk_login_failure"),
        sa.CheckConstraint("scope IN ('account', 'address')", name="ck_login_failure_scope"),
        sa.CheckConstraint("count >= 1", name="ck_login_failure_count"),
    )
    op.create_index("ix_login_failure_window_start", "login_failure", ["window_start"])


def _audit() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("before", JSONType),
        sa.Column("after", JSONType),
        sa.Column("request_id", sa.String(64)),
        sa.Column("address", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_audit_event"),
        sa.CheckConstraint(_in("entity", ENTITIES), name="ck_audit_event_entity"),
        sa.CheckConstraint(_in("role", ROLES, nullable=True), name="ck_audit_event_role"),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_actor", "audit_event", ["actor"])
    op.create_index("ix_audit_event_entity_entity_id", "audit_event", ["entity", "entity_id"])
    _append_only()


def _append_only() -> None:
    """Refuse UPDATE and DELETE of audit rows (and TRUNCATE on PostgreSQL) whoever sends them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )


def _import_batch() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("crs", sa.String(32), nullable=False),
        sa.Column("counts", JSONType, nullable=False),
        sa.Column("report", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_batch"),
        sa.CheckConstraint(_in("format", FORMATS), name="ck_import_batch_format"),
        sa.CheckConstraint("length(checksum) = 64", name="ck_import_batch_checksum"),
    )


def _problem_report() -> None:
    op.create_table(
        "problem_report",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("facility_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
        sa.Column("address_hash", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolution", sa.String(16)),
        sa.Column("resolution_note", sa.String(500)),
        sa.Column("resolved_by", sa.String(100)),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        _now(),
        sa.PrimaryKeyConstraint("id", name="pk_problem_report"),
        sa.ForeignKeyConstraint(["facility_id"], ["facility.id"], name="fk_problem_report_facility_id_facility"),
        sa.CheckConstraint(_in("kind", REPORT_KINDS), name="ck_problem_report_kind"),
        sa.CheckConstraint(_in("status", REPORT_STATUSES), name="ck_problem_report_status"),
        sa.CheckConstraint(_in("resolution", RESOLUTIONS, nullable=True), name="ck_problem_report_resolution"),
        sa.CheckConstraint(
            "(status = 'open' AND resolution IS NULL AND resolved_at IS NULL AND resolved_by IS NULL) OR "
            "(status <> 'open' AND resolution IS NOT NULL AND resolved_at IS NOT NULL AND resolved_by IS NOT NULL)",
            name="ck_problem_report_resolved",
        ),
        sa.CheckConstraint("note IS NULL OR length(note) <= 500", name="ck_problem_report_note"),
        sa.CheckConstraint(
            "(lon IS NULL AND lat IS NULL) OR "
            "(lon IS NOT NULL AND lat IS NOT NULL AND lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90)",
            name="ck_problem_report_position",
        ),
    )
    op.create_index("ix_problem_report_status_facility_id", "problem_report", ["status", "facility_id"])
    op.create_index("ix_problem_report_address_hash_created_at", "problem_report", ["address_hash", "created_at"])


def _facility_columns() -> None:
    op.add_column("facility", sa.Column("deleted_at", sa.DateTime(timezone=True)))
    op.add_column("facility", sa.Column("last_verified_by", sa.String(100)))
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("facility", sa.Column("import_batch_id", sa.Integer))
        op.create_foreign_key(
            "fk_facility_import_batch_id_import_batch", "facility", "import_batch", ["import_batch_id"], ["id"]
        )
    else:
        op.execute("ALTER TABLE facility ADD COLUMN import_batch_id INTEGER REFERENCES import_batch (id)")
    op.create_index("ix_facility_import_batch_id", "facility", ["import_batch_id"])


def upgrade() -> None:
    _accounts()
    _login_failure()
    _audit()
    _import_batch()
    _problem_report()
    _facility_columns()


def _drop_facility_columns() -> None:
    op.drop_index("ix_facility_import_batch_id", table_name="facility")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_facility_import_batch_id_import_batch", "facility", type_="foreignkey")
    for column in ("import_batch_id", "last_verified_by", "deleted_at"):
        op.execute(f"ALTER TABLE facility DROP COLUMN {column}")


def downgrade() -> None:
    _drop_facility_columns()
    op.drop_index("ix_problem_report_address_hash_created_at", table_name="problem_report")
    op.drop_index("ix_problem_report_status_facility_id", table_name="problem_report")
    op.drop_table("problem_report")
    op.drop_table("import_batch")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_event")  # its triggers go with it
        op.execute("DROP FUNCTION audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.drop_table("audit_event")
    op.drop_table("login_failure")
    op.drop_table("api_key")
    op.drop_table("app_user")
