"""A data revision counter bumped by triggers on every facility/district write.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Workers keep an in-memory index for nearest-facility queries; they poll this one-row table (a primary
key lookup) to learn that something changed, whatever wrote it: the API, an import, or plain SQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("facility", "district")
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "data_revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_data_revision_single_row"),
    )
    op.execute("INSERT INTO data_revision (id, revision) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_data_revision() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN UPDATE data_revision SET revision = revision + 1 WHERE id = 1; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_bump_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_data_revision()"
            )
        return
    for table in TABLES:
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER {table}_bump_revision_{event.lower()} AFTER {event} ON {table} "
                "BEGIN UPDATE data_revision SET revision = revision + 1 WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_revision ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_data_revision()")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_revision_{event.lower()}")
    op.drop_table("data_revision")
