"""Optimistic concurrency for facility edits, and problem reports in the data revision.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

`facility.version` starts at 1 and grows by one with every UPDATE of the row: the editing API sends it
in the ETag and writes with `… WHERE id = :id AND version = :expected`, so two editors holding the same
ETag cannot both succeed. A trigger bumps the version when an UPDATE does not (a bulk import, plain
SQL), so an ETag never survives a change made by another path either.

Problem reports change the `open_reports` count that the nearest index and the maps show, so inserting,
resolving or deleting one bumps `data_revision` (migration 0002) like a facility write. Reports are
rate-limited per address, so this adds at most a handful of index rebuilds a minute.

The column is added with plain ALTER TABLE, never Alembic's batch mode (see 0004).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BUMP = "UPDATE data_revision SET revision = revision + 1 WHERE id = 1"


def _postgresql_triggers() -> None:
    op.execute(
        "CREATE FUNCTION facility_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF NEW.version = OLD.version THEN NEW.version := OLD.version + 1; END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER facility_bump_version BEFORE UPDATE ON facility "
        "FOR EACH ROW EXECUTE FUNCTION facility_bump_version()"
    )
    op.execute(
        "CREATE TRIGGER problem_report_bump_revision AFTER INSERT OR UPDATE OF status OR DELETE ON problem_report "
        "FOR EACH STATEMENT EXECUTE FUNCTION bump_data_revision()"
    )


def _sqlite_triggers() -> None:
    # AFTER + a second UPDATE: SQLite triggers cannot assign NEW. recursive_triggers is off, so the inner
    # UPDATE does not fire this trigger again.
    op.execute(
        "CREATE TRIGGER facility_bump_version AFTER UPDATE ON facility WHEN NEW.version = OLD.version "
        "BEGIN UPDATE facility SET version = OLD.version + 1 WHERE id = NEW.id; END"
    )
    op.execute(f"CREATE TRIGGER problem_report_bump_revision_insert AFTER INSERT ON problem_report BEGIN {_BUMP}; END")
    op.execute(
        "CREATE TRIGGER problem_report_bump_revision_update AFTER UPDATE OF status ON problem_report "
        f"WHEN NEW.status IS NOT OLD.status BEGIN {_BUMP}; END"
    )
    op.execute(f"CREATE TRIGGER problem_report_bump_revision_delete AFTER DELETE ON problem_report BEGIN {_BUMP}; END")


def upgrade() -> None:
    op.add_column("facility", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS problem_report_bump_revision ON problem_report")
        op.execute("DROP TRIGGER IF EXISTS facility_bump_version ON facility")
        op.execute("DROP FUNCTION IF EXISTS facility_bump_version()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS problem_report_bump_revision_{event}")
        op.execute("DROP TRIGGER IF EXISTS facility_bump_version")
    op.execute("ALTER TABLE facility DROP COLUMN version")
