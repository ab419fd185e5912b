"""Background jobs (plans over the request thresholds), kept in the database.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Any worker may be asked for the status of a job another worker runs, so the job, its state and its
result live in a table rather than in a process. Finished jobs are deleted after GEO_JOB_KEEP_S.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("params", JSON_TYPE, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=True),
        sa.Column("media_type", sa.String(64), nullable=True),
        sa.Column("error_status", sa.Integer(), nullable=True),
        sa.Column("error", JSON_TYPE, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_job"),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_job_status"),
    )
    op.create_index("ix_job_expires_at", "job", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_job_expires_at", table_name="job")
    op.drop_table("job")
