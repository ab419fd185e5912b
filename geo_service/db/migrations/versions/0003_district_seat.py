"""District seat (the county government's location), used to shape the default demand surface.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("district", sa.Column("seat_lon", sa.Float))
    op.add_column("district", sa.Column("seat_lat", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("district") as batch:
        batch.drop_column("seat_lat")
        batch.drop_column("seat_lon")
