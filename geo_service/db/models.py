"""The data model (DESIGN.md §4), one set of GeoAlchemy2 models for SpatiaLite and PostGIS.

Geometries are stored in WGS-84 (EPSG:4326, lon/lat); metric work reprojects or uses geodesic maths.
Controlled vocabularies are enforced by CHECK constraints built from geo_service.vocab so that a bad
value cannot enter the database by any path, not only through the API.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geo_service import vocab

JSONType = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def in_list(column: str, values: Any) -> str:
    """SQL CHECK expression restricting `column` to the codes of a vocabulary."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class District(Base):
    """An administrative area (city or county-level unit) with its population for per-capita figures."""

    __tablename__ = "district"

    adcode: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_adcode: Mapped[str | None] = mapped_column(String(6))
    population: Mapped[int | None] = mapped_column(Integer)
    population_year: Mapped[int | None] = mapped_column(Integer)
    population_source: Mapped[str | None] = mapped_column(Text)
    seat_lon: Mapped[float | None] = mapped_column(Float)
    seat_lat: Mapped[float | None] = mapped_column(Float)
    geom: Mapped[WKBElement] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True, nullable=False))

    __table_args__ = (CheckConstraint("level IN ('province', 'city', 'district')", name="level"),)


class Facility(Base):
    """A station, rest base or mediation centre that workers can find on the map."""

    __tablename__ = "facility"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    district_adcode: Mapped[str] = mapped_column(ForeignKey("district.adcode"), index=True)
    township: Mapped[str | None] = mapped_column(String(64))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True, nullable=False))
    amenities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    opening_hours: Mapped[str | None] = mapped_column(String(300))
    access_method: Mapped[str | None] = mapped_column(String(16))
    host_org: Mapped[str | None] = mapped_column(String(200))
    host_type: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(24), default="open")
    last_verified_at: Mapped[date | None] = mapped_column(Date)
    area_m2: Mapped[float | None] = mapped_column(Float)
    truck_parking_spaces: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    source: Mapped[str | None] = mapped_column(String(200))
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (
        CheckConstraint(in_list("kind", vocab.KINDS), name="kind"),
        CheckConstraint(in_list("status", vocab.STATUSES), name="status"),
        CheckConstraint(f"access_method IS NULL OR {in_list('access_method', vocab.ACCESS_METHODS)}", name="access"),
        CheckConstraint(f"host_type IS NULL OR {in_list('host_type', vocab.HOST_TYPES)}", name="host_type"),
        CheckConstraint("truck_parking_spaces >= 0", name="truck_parking_spaces"),
        Index("ix_facility_kind_status", "kind", "status"),
    )


class DataRevision(Base):
    """One row whose counter triggers bump on every facility/district write (see migration 0002)."""

    __tablename__ = "data_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
