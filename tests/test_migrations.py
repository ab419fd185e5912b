"""Alembic upgrade → downgrade → upgrade on both backends."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from geo_service.db import migrate

APP_TABLES = {"district", "facility"}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_downgrade_upgrade(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _tables(empty_engine) >= APP_TABLES
    indexes = {ix["name"] for ix in inspect(empty_engine).get_indexes("facility")}
    assert {"ix_facility_kind_status", "ix_facility_district_adcode"} <= indexes

    migrate.downgrade(empty_engine, "base")
    assert migrate.current_revision(empty_engine) is None
    assert not APP_TABLES & _tables(empty_engine)

    migrate.upgrade(empty_engine)
    assert _tables(empty_engine) >= APP_TABLES


def test_upgrade_is_idempotent(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_alembic_command_line_config_runs(empty_db_url: str, monkeypatch) -> None:
    """`alembic upgrade head` / `downgrade base` from the repository root, driven by GEO_DB_URL."""
    from alembic import command
    from alembic.config import Config

    from geo_service.db.engine import make_engine
    from geo_service.settings import PROJECT_ROOT, Settings

    monkeypatch.setenv("GEO_DB_URL", empty_db_url)
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    command.upgrade(config, "head")
    engine = make_engine(Settings(db_url=empty_db_url))
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
        command.downgrade(config, "base")
        assert migrate.current_revision(engine) is None
    finally:
        engine.dispose()


STEWARDSHIP_TABLES = {"app_user", "api_key", "audit_event", "import_batch", "problem_report", "login_failure"}
FACILITY_COLUMNS_0004 = {"deleted_at", "last_verified_by", "import_batch_id"}


def _facility_columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("facility")}


def _revision_bumps_on_facility_write(engine: Engine) -> bool:
    """Insert and delete a facility by plain SQL; True when the data revision moved (migration 0002).

    The district goes in first, in its own transaction: on PostgreSQL a transaction is one revision
    (migration 0012), so a facility write after a district write in the same transaction bumps nothing."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO district (adcode, name, level, geom) VALUES ('999999', 't', 'district', "
                "ST_GeomFromText('MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)))', 4326)) ON CONFLICT DO NOTHING"
            )
        )
    with engine.begin() as conn:
        before = conn.scalar(text("SELECT revision FROM data_revision"))
        conn.execute(
            text(
                "INSERT INTO facility (code, kind, name, district_adcode, geom, amenities, status, "
                "truck_parking_spaces, details, is_sample) VALUES ('T-1', 'station', 't', '999999', "
                "ST_GeomFromText('POINT(0.5 0.2)', 4326), '[]', 'open', 0, '{}', false)"
            )
        )
        conn.execute(text("DELETE FROM facility WHERE code = 'T-1'"))
        after = conn.scalar(text("SELECT revision FROM data_revision"))
    return after > before


def test_0004_up_down_up_keeps_facility_triggers_and_spatial_index(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    assert _tables(empty_engine) >= STEWARDSHIP_TABLES
    assert _facility_columns(empty_engine) >= FACILITY_COLUMNS_0004
    assert _revision_bumps_on_facility_write(empty_engine)

    migrate.downgrade(empty_engine, "0003")
    assert not STEWARDSHIP_TABLES & _tables(empty_engine)
    assert not FACILITY_COLUMNS_0004 & _facility_columns(empty_engine)
    assert _revision_bumps_on_facility_write(empty_engine)

    migrate.upgrade(empty_engine)
    assert _tables(empty_engine) >= STEWARDSHIP_TABLES
    assert _revision_bumps_on_facility_write(empty_engine)
    indexes = {ix["name"] for ix in inspect(empty_engine).get_indexes("facility")}
    assert "ix_facility_import_batch_id" in indexes
    indexes = {ix["name"] for ix in inspect(empty_engine).get_indexes("problem_report")}
    assert "ix_problem_report_status_facility_id" in indexes


def test_audit_triggers_survive_down_and_up(empty_engine: Engine) -> None:
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "0003")
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_event (actor, action, entity, entity_id) VALUES ('cli:t', 'create', 'facility', '1')"
            )
        )
    for statement in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), empty_engine.begin() as conn:
            conn.execute(text(statement))


def test_models_match_the_migrated_schema(empty_engine: Engine) -> None:
    """Alembic's autogenerate finds nothing to change in our tables: models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from geo_service.db.models import Base

    migrate.upgrade(empty_engine)
    ours = set(Base.metadata.tables)
    with empty_engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    relevant = [d for d in diffs if _diff_table(d) in ours and not _is_spatial_index(d)]
    assert relevant == []


def _diff_table(diff: object) -> str:
    """The table an autogenerate diff is about (a list holds modify_* tuples of one column)."""
    item = diff[0] if isinstance(diff, list) else diff
    assert isinstance(item, tuple)
    if item[0] in ("add_column", "remove_column") or item[0].startswith("modify_"):
        return str(item[2])
    target = item[1]
    return str(target.name if hasattr(target, "columns") and not hasattr(target, "table") else target.table.name)


def _is_spatial_index(diff: object) -> bool:
    """GeoAlchemy2's SpatiaLite R*Tree / PostGIS GiST indexes (idx_<table>_geom), made outside Alembic ops."""
    item = diff[0] if isinstance(diff, list) else diff
    return isinstance(item, tuple) and item[0].endswith("_index") and str(item[1].name).startswith("idx_")
