"""Request rate limits, counted in the database.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

One row per limited key (a keyed hash of the client address) and scope: the fixed window it counts
(`window_start`, whole seconds since the epoch, so every worker and host names the same window without
time-zone handling) and the requests counted in it. Workers add their local counts in batches with one
atomic upsert, so the limit holds across workers and hosts; a row is reset in place when its window
has passed, and rows of past windows are purged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit",
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("window_start", sa.BigInteger, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("scope", "key_hash", name="pk_rate_limit"),
        sa.CheckConstraint("count >= 0", name="ck_rate_limit_count"),
    )
    op.create_index("ix_rate_limit_window_start", "rate_limit", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_window_start", table_name="rate_limit")
    op.drop_table("rate_limit")
