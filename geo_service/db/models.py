"""The data model (docs/architecture.md, "Data model"), one set of GeoAlchemy2 models for SpatiaLite and PostGIS.

Geometries are stored in WGS-84 (EPSG:4326, lon/lat); metric work reprojects or uses geodesic maths.
Controlled vocabularies are enforced by CHECK constraints built from geo_service.vocab so that a bad
value cannot enter the database by any path, not only through the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
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


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC and read back as an aware UTC datetime on both backends.

    SQLite keeps no offset (it would store a Shanghai wall-clock time as if it were UTC) and PostgreSQL
    answers in the session's time zone; converting on the way in and out makes comparisons in SQL (login
    windows, `since` filters) and in Python agree. A naive value is refused: its zone is unknown.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JOB_STATUSES = ("queued", "running", "done", "failed")

#: An open report has no resolution; a closed one has its resolution, who and when.
REPORT_RESOLVED_CHECK = (
    "(status = 'open' AND resolution IS NULL AND resolved_at IS NULL AND resolved_by IS NULL) OR "
    "(status <> 'open' AND resolution IS NOT NULL AND resolved_at IS NOT NULL AND resolved_by IS NOT NULL)"
)
#: Both coordinates or neither, each in WGS-84 range.
REPORT_POSITION_CHECK = (
    "(lon IS NULL AND lat IS NULL) OR "
    "(lon IS NOT NULL AND lat IS NOT NULL AND lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90)"
)


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
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    geom: Mapped[WKBElement] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True, nullable=False))

    __table_args__ = (CheckConstraint("level IN ('province', 'city', 'district')", name="level"),)


class Region(Base):
    """A city, county or operator-drawn area whose districts were loaded together, with where they came
    from: outputs state the source, how the seats were placed and where the population figures came from."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    seats: Mapped[str] = mapped_column(Text)
    population: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


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
    # Soft delete: a deleted facility keeps its row (restorable by an admin) and vanishes from every read.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_verified_by: Mapped[str | None] = mapped_column(String(100))  # an audit actor, e.g. user:alice
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    # Optimistic concurrency (migration 0005): the ETag of the editing API; every UPDATE raises it by one.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

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
    # facility_change is complete for revisions after this one (migration 0012)
    changes_from: Mapped[int] = mapped_column(BigInteger, server_default="0")

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


# Which facility changed at which revision (NULL: everything may have), written by the revision
# triggers (migration 0012). A log without a key: the workers only ever read it by revision.
facility_change = Table(
    "facility_change",
    Base.metadata,
    Column("revision", BigInteger, nullable=False),
    Column("facility_id", Integer, nullable=True),
    Index("ix_facility_change_revision", "revision"),
)


class AppUser(Base):
    """A person who signs in (console) with a username and an argon2id password hash."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    districts: Mapped[list[str]] = mapped_column(JSONType, default=list)  # adcodes an editor may write
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    __table_args__ = (CheckConstraint(in_list("role", vocab.ROLES), name="role"),)


class ApiKey(Base):
    """A machine credential. Only the SHA-256 of the secret is stored.

    The secret is 256 random bits (`gsk_` + token_urlsafe(32)), so a fast hash is right: there is no
    dictionary to guess from, and a slow KDF would only make every API call slower. The hash is unique, so
    a request's key is found by one index lookup.
    """

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    label: Mapped[str] = mapped_column(String(200))
    key_prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a key in lists
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    districts: Mapped[list[str]] = mapped_column(JSONType, default=list)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(in_list("role", vocab.ROLES), name="role"),
        CheckConstraint("revoked = (revoked_at IS NOT NULL)", name="revoked_at"),
    )


class AuditEvent(Base):
    """Who did what to which row, with the row before and after. Append-only: triggers refuse UPDATE and
    DELETE (migration 0004), so not even a bug or a hand-typed SQL statement can rewrite history."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now(), index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)  # user:alice, key:3, cli:root, public
    role: Mapped[str | None] = mapped_column(String(16))  # None for the public
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    request_id: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint(in_list("entity", vocab.AUDIT_ENTITIES), name="entity"),
        CheckConstraint(f"role IS NULL OR {in_list('role', vocab.ROLES)}", name="role"),
        Index("ix_audit_event_entity_entity_id", "entity", "entity_id"),
    )


class ImportBatch(Base):
    """A committed bulk import (dry runs write nothing, so every stored batch was committed)."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    file_name: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of the uploaded bytes
    format: Mapped[str] = mapped_column(String(16))
    crs: Mapped[str] = mapped_column(String(32))  # as given: wgs84, gcj02, bd09, EPSG:4490 …
    counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)  # created/updated/unchanged/rejected
    report: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (
        CheckConstraint(in_list("format", vocab.IMPORT_FORMATS), name="format"),
        CheckConstraint("length(checksum) = 64", name="checksum"),
    )


class ProblemReport(Base):
    """A rider's report that a facility is not as shown, queued for the district's editors.

    The position is two WGS-84 floats rather than a POINT: it is optional, only displayed beside the
    facility and never searched spatially, so a geometry column would add a SpatiaLite registration and an
    R*Tree to maintain on every public (rate-limited, flood-prone) insert for no query that uses it.
    The client address is kept only as a keyed hash (security.hash_address): enough to throttle a flood,
    not enough to learn who reported.
    """

    __tablename__ = "problem_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    address_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolution_note: Mapped[str | None] = mapped_column(String(500))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    __table_args__ = (
        CheckConstraint(in_list("kind", vocab.REPORT_KINDS), name="kind"),
        CheckConstraint(in_list("status", vocab.REPORT_STATUSES), name="status"),
        CheckConstraint(f"resolution IS NULL OR {in_list('resolution', vocab.RESOLUTIONS)}", name="resolution"),
        CheckConstraint(REPORT_RESOLVED_CHECK, name="resolved"),
        CheckConstraint("note IS NULL OR length(note) <= 500", name="note"),
        CheckConstraint(REPORT_POSITION_CHECK, name="position"),
        Index("ix_problem_report_status_facility_id", "status", "facility_id"),
        Index("ix_problem_report_address_hash_created_at", "address_hash", "created_at"),
    )


class LoginFailure(Base):
    """Failed sign-ins per key in a fixed window, in the database so every worker sees the same count.

    `scope` is `account` or `address`; `key_hash` is a keyed hash of the username or the client address
    (a mistyped password in the username field is never stored in clear).
    """

    __tablename__ = "login_failure"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("scope IN ('account', 'address')", name="scope"),
        CheckConstraint("count >= 1", name="count"),
    )


class ConsoleSession(Base):
    """A signed-in editor console session (migration 0006). The browser holds a random token; only its
    SHA-256 is stored, so a copy of the database does not hand out sessions. Expiry is decided from
    `created_at` (absolute) and `last_seen_at` (idle) by geo_service.services.console_sessions."""

    __tablename__ = "console_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Job(Base):
    """A long request run in the background (migration 0008): its kind, parameters, state and result.

    Kept in the database so that any worker answers the status URL of a job another worker runs. `id`
    is a random 128-bit token (hex): the status URL is the capability to read the result.
    """

    __tablename__ = "job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # unfinished by then: lost
    result: Mapped[bytes | None] = mapped_column(LargeBinary)
    media_type: Mapped[str | None] = mapped_column(String(64))
    error_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    __table_args__ = (CheckConstraint(in_list("status", JOB_STATUSES), name="status"),)


class RateLimit(Base):
    """Requests counted per key in a fixed window (migration 0007), so every worker and host enforces one
    limit. `key_hash` is a keyed hash of the client address; `window_start` is the window's start in whole
    seconds since the epoch (geo_service.services.rate_limits adds each worker's counts in batches)."""

    __tablename__ = "rate_limit"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, index=True)
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("count >= 0", name="count"),)
