"""Regions: the city, county or operator-drawn area a set of districts belongs to.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

A database may hold several regions (a province's cities, or a city abroad next to a Chinese one); each
district names its region, and the region row says where its boundaries came from and how the seats and
the population of its units were obtained, so outputs can state it. Districts loaded before regions
existed are grouped under their city (or under themselves when they have no city).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("seats", sa.Text(), nullable=False),
        sa.Column("population", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_region"),
    )
    op.add_column("district", sa.Column("region_code", sa.String(6), nullable=True))
    op.create_index("ix_district_region_code", "district", ["region_code"])
    op.execute(
        "UPDATE district SET region_code = CASE WHEN level = 'district' AND parent_adcode IN "
        "(SELECT adcode FROM district WHERE level = 'city') THEN parent_adcode ELSE adcode END"
    )
    op.execute(
        "INSERT INTO region (code, name, source, seats, population, created_at) "
        "SELECT adcode, name, 'loaded before regions were recorded', 'as loaded', 'as loaded', CURRENT_TIMESTAMP "
        "FROM district WHERE adcode IN (SELECT DISTINCT region_code FROM district)"
    )


def downgrade() -> None:
    op.drop_index("ix_district_region_code", table_name="district")
    # plain ALTER (SQLite ≥ 3.35 has DROP COLUMN): a batch rebuild would drop the district's triggers
    op.execute("ALTER TABLE district DROP COLUMN region_code")
    op.drop_table("region")
