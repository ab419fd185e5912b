"""A log of which facilities changed at which data revision, filled by the revision triggers.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02

The data revision tells a worker *that* something changed; this log tells it *what*, so it can patch its
in-memory nearest index (replace, add or drop a handful of rows) instead of reading every facility again.
The same trigger that bumps the revision writes the log, in the same transaction, whatever wrote the
row: the API, an import or plain SQL. A row with no facility id means "everything may have changed"
(a TRUNCATE, or a district write: district names are part of every indexed row) and forces a full
rebuild. The log keeps the last KEEP_REVISIONS revisions; `data_revision.changes_from` says from which
revision on it is complete, so a worker further behind rebuilds in full.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None

KEEP_REVISIONS = 100_000
_PRUNE = (
    f"UPDATE data_revision SET changes_from = revision - {KEEP_REVISIONS} "
    f"WHERE id = 1 AND changes_from < revision - {KEEP_REVISIONS}; "
    f"DELETE FROM facility_change WHERE revision < (SELECT changes_from FROM data_revision WHERE id = 1)"
)
_CURRENT = "(SELECT revision FROM data_revision WHERE id = 1)"
_BUMP = "UPDATE data_revision SET revision = revision + 1 WHERE id = 1"
# PostgreSQL: one revision per transaction, not per statement. Every UPDATE of the one row inside a
# transaction leaves a row version that later reads in that transaction must step over, so a loader
# running 186,000 single-row INSERTs in one transaction slowed quadratically (half an hour); a
# transaction-local setting (undone with the transaction or a rolled-back savepoint, like the UPDATE)
# remembers that this transaction has bumped already.
_PG_BUMP_ONCE = (
    "IF current_setting('geo_service.revision_bumped', true) IS DISTINCT FROM 'yes' THEN "
    f"{_BUMP}; PERFORM set_config('geo_service.revision_bumped', 'yes', true); {{prune}}; END IF"
)
EVENTS = ("INSERT", "UPDATE", "DELETE")
# PostgreSQL: statement triggers with transition tables (one per event: a trigger with transition
# tables may have only one), so an import of 1,000 rows is one revision and one INSERT … SELECT.
_REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}
# the ids of the facilities whose indexed row a statement changed, per table and event; a problem
# report changes its facility's `open_reports` when it is added, removed or changes status
_PG_CHANGED = {
    ("facility", "INSERT"): "SELECT id FROM new_rows",
    ("facility", "UPDATE"): "SELECT id FROM new_rows UNION SELECT id FROM old_rows",
    ("facility", "DELETE"): "SELECT id FROM old_rows",
    ("problem_report", "INSERT"): "SELECT facility_id FROM new_rows",
    ("problem_report", "UPDATE"): (
        "SELECT n.facility_id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.status IS DISTINCT FROM o.status "
        "UNION SELECT o.facility_id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "WHERE n.status IS DISTINCT FROM o.status"
    ),
    ("problem_report", "DELETE"): "SELECT facility_id FROM old_rows",
}
_OLD_PG_TRIGGERS = {"facility": "facility_bump_revision", "problem_report": "problem_report_bump_revision"}


def upgrade() -> None:
    op.add_column("data_revision", sa.Column("changes_from", sa.BigInteger, nullable=False, server_default="0"))
    op.execute("UPDATE data_revision SET changes_from = revision")  # nothing before today is logged
    op.create_table(
        "facility_change",
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("facility_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_facility_change_revision", "facility_change", ["revision"])
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def _upgrade_postgresql() -> None:
    for table, old_trigger in _OLD_PG_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {old_trigger} ON {table}")
    op.execute("DROP TRIGGER IF EXISTS district_bump_revision ON district")
    for (table, event), changed in _PG_CHANGED.items():
        name = f"{table}_changed_{event.lower()}"
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF EXISTS ({changed}) THEN {_PG_BUMP_ONCE.format(prune=_PRUNE)}; "
            "INSERT INTO facility_change (revision, facility_id) "
            f"SELECT {_CURRENT}, changed.id FROM ({changed}) AS changed(id); END IF; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} {_REFERENCING[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    op.execute(
        "CREATE FUNCTION everything_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{_PG_BUMP_ONCE.format(prune=_PRUNE)}; "
        f"INSERT INTO facility_change (revision, facility_id) VALUES ({_CURRENT}, NULL); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER facility_changed_truncate AFTER TRUNCATE ON facility "
        "FOR EACH STATEMENT EXECUTE FUNCTION everything_changed()"
    )
    op.execute(
        "CREATE TRIGGER district_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON district "
        "FOR EACH STATEMENT EXECUTE FUNCTION everything_changed()"
    )


def _log(facility_id: str) -> str:
    return f"INSERT INTO facility_change (revision, facility_id) VALUES ({_CURRENT}, {facility_id}); "


def _upgrade_sqlite() -> None:
    # SQLite has row triggers only: each row bumps the revision (as before) and logs its facility.
    for event in EVENTS:
        row = "OLD" if event == "DELETE" else "NEW"
        moved = _log("OLD.id") if event == "UPDATE" else ""
        op.execute(f"DROP TRIGGER IF EXISTS facility_bump_revision_{event.lower()}")
        op.execute(
            f"CREATE TRIGGER facility_changed_{event.lower()} AFTER {event} ON facility "
            f"BEGIN {_BUMP}; {_log(f'{row}.id')}{moved}{_PRUNE}; END"
        )
        op.execute(f"DROP TRIGGER IF EXISTS district_bump_revision_{event.lower()}")
        op.execute(
            f"CREATE TRIGGER district_changed_{event.lower()} AFTER {event} ON district "
            f"BEGIN {_BUMP}; {_log('NULL')}{_PRUNE}; END"
        )
        op.execute(f"DROP TRIGGER IF EXISTS problem_report_bump_revision_{event.lower()}")
    op.execute(
        "CREATE TRIGGER problem_report_changed_insert AFTER INSERT ON problem_report "
        f"BEGIN {_BUMP}; {_log('NEW.facility_id')}{_PRUNE}; END"
    )
    op.execute(
        "CREATE TRIGGER problem_report_changed_update AFTER UPDATE OF status ON problem_report "
        f"WHEN NEW.status IS NOT OLD.status BEGIN {_BUMP}; {_log('NEW.facility_id')}{_log('OLD.facility_id')}"
        f"{_PRUNE}; END"
    )
    op.execute(
        "CREATE TRIGGER problem_report_changed_delete AFTER DELETE ON problem_report "
        f"BEGIN {_BUMP}; {_log('OLD.facility_id')}{_PRUNE}; END"
    )


def downgrade() -> None:
    # new triggers off first: SQLite checks every trigger that names data_revision while it rebuilds it
    postgresql = op.get_bind().dialect.name == "postgresql"
    (_drop_triggers_postgresql if postgresql else _drop_triggers_sqlite)()
    op.drop_index("ix_facility_change_revision", table_name="facility_change")
    op.drop_table("facility_change")
    op.execute("ALTER TABLE data_revision DROP COLUMN changes_from")  # SQLite ≥ 3.35 has DROP COLUMN
    (_restore_postgresql if postgresql else _restore_sqlite)()


def _drop_triggers_postgresql() -> None:
    for table, event in _PG_CHANGED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_changed_{event.lower()} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_changed_{event.lower()}()")
    op.execute("DROP TRIGGER IF EXISTS facility_changed_truncate ON facility")
    op.execute("DROP TRIGGER IF EXISTS district_changed ON district")
    op.execute("DROP FUNCTION IF EXISTS everything_changed()")


def _restore_postgresql() -> None:
    for table in ("facility", "district"):
        op.execute(
            f"CREATE TRIGGER {table}_bump_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_data_revision()"
        )
    op.execute(
        "CREATE TRIGGER problem_report_bump_revision AFTER INSERT OR UPDATE OF status OR DELETE ON problem_report "
        "FOR EACH STATEMENT EXECUTE FUNCTION bump_data_revision()"
    )


def _drop_triggers_sqlite() -> None:
    for event in EVENTS:
        for table in ("facility", "district", "problem_report"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_changed_{event.lower()}")


def _restore_sqlite() -> None:
    for event in EVENTS:
        for table in ("facility", "district"):
            op.execute(
                f"CREATE TRIGGER {table}_bump_revision_{event.lower()} AFTER {event} ON {table} BEGIN {_BUMP}; END"
            )
    op.execute(f"CREATE TRIGGER problem_report_bump_revision_insert AFTER INSERT ON problem_report BEGIN {_BUMP}; END")
    op.execute(
        "CREATE TRIGGER problem_report_bump_revision_update AFTER UPDATE OF status ON problem_report "
        f"WHEN NEW.status IS NOT OLD.status BEGIN {_BUMP}; END"
    )
    op.execute(f"CREATE TRIGGER problem_report_bump_revision_delete AFTER DELETE ON problem_report BEGIN {_BUMP}; END")
