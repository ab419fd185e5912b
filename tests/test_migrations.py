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
