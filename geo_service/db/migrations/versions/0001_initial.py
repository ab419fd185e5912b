"""Initial schema: district and facility with spatial indexes.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

The value lists of the CHECK constraints are written out (not imported) so this migration keeps meaning
what it meant when it was written; a new kind or amenity comes with a new migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
KINDS = ("station", "rest_base", "mediation_centre")
STATUSES = ("open", "temporarily_closed", "closed", "planned")
ACCESS = ("open", "staffed", "face", "id_card", "app_qr")
HOSTS = ("union_built", "bank", "post", "telecom", "petrol", "government", "enterprise", "other")


def _in(column: str, values: tuple[str, ...], nullable: bool = False) -> str:
    listed = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {listed}" if nullable else listed


def _prepare_spatial(bind: sa.Connection) -> None:
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return
    has_metadata = bind.execute(
        sa.text("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='spatial_ref_sys'")
    ).scalar()
    if not has_metadata:
        op.execute("SELECT InitSpatialMetaData(1, 'WGS84')")


def upgrade() -> None:
    _prepare_spatial(op.get_bind())
    op.create_table(
        "district",
        sa.Column("adcode", sa.String(6), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_adcode", sa.String(6)),
        sa.Column("population", sa.Integer),
        sa.Column("population_year", sa.Integer),
        sa.Column("population_source", sa.Text),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=True, nullable=False), nullable=False),
        sa.CheckConstraint("level IN ('province', 'city', 'district')", name="ck_district_level"),
        sa.PrimaryKeyConstraint("adcode", name="pk_district"),
    )
    op.create_table(
        "facility",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(300)),
        sa.Column("district_adcode", sa.String(6), nullable=False),
        sa.Column("township", sa.String(64)),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True, nullable=False), nullable=False),
        sa.Column("amenities", JSONType, nullable=False),
        sa.Column("opening_hours", sa.String(300)),
        sa.Column("access_method", sa.String(16)),
        sa.Column("host_org", sa.String(200)),
        sa.Column("host_type", sa.String(16)),
        sa.Column("phone", sa.String(40)),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("last_verified_at", sa.Date),
        sa.Column("area_m2", sa.Float),
        sa.Column("truck_parking_spaces", sa.Integer, nullable=False),
        sa.Column("details", JSONType, nullable=False),
        sa.Column("source", sa.String(200)),
        sa.Column("is_sample", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_facility"),
        sa.UniqueConstraint("code", name="uq_facility_code"),
        sa.ForeignKeyConstraint(["district_adcode"], ["district.adcode"], name="fk_facility_district_adcode_district"),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_facility_kind"),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_facility_status"),
        sa.CheckConstraint(_in("access_method", ACCESS, nullable=True), name="ck_facility_access"),
        sa.CheckConstraint(_in("host_type", HOSTS, nullable=True), name="ck_facility_host_type"),
        sa.CheckConstraint("truck_parking_spaces >= 0", name="ck_facility_truck_parking_spaces"),
    )
    op.create_index("ix_facility_district_adcode", "facility", ["district_adcode"])
    op.create_index("ix_facility_kind_status", "facility", ["kind", "status"])


def _drop_spatialite_geometry(table: str, column: str = "geom") -> None:
    """SpatiaLite keeps geometry metadata and R*Tree tables outside the table; remove them explicitly."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"SELECT DisableSpatialIndex('{table}', '{column}')")
    op.execute(f"DROP TABLE IF EXISTS idx_{table}_{column}")
    op.execute(f"SELECT DiscardGeometryColumn('{table}', '{column}')")


def downgrade() -> None:
    op.drop_index("ix_facility_kind_status", table_name="facility")
    op.drop_index("ix_facility_district_adcode", table_name="facility")
    for table in ("facility", "district"):
        _drop_spatialite_geometry(table)
        op.drop_table(table)
