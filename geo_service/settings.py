"""Configuration, read from `GEO_*` environment variables (or a `.env` file) by pydantic-settings.

Settings are built by the CLI or the test suite and passed into `create_app(settings)`; nothing in the
package reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB_PATH = PROJECT_ROOT / "var" / "geo_service.sqlite"


class Settings(BaseSettings):
    """Everything an operator may change without touching code."""

    model_config = SettingsConfigDict(env_prefix="GEO_", env_file=".env", extra="ignore")

    db_url: str = Field(
        default=f"sqlite:///{DEFAULT_DB_PATH}",
        description="SQLAlchemy URL: sqlite:///path (SpatiaLite, the default) or postgresql+psycopg://…",
    )
    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="Boundaries, population, sample data.")
    spatialite_path: str = Field(
        default="mod_spatialite", description="SpatiaLite extension to load (name on the loader path, or a file)."
    )
    sqlite_busy_timeout_s: float = Field(default=5.0, gt=0, description="Wait this long for a SQLite write lock.")
    pg_statement_timeout_ms: int = Field(default=5000, gt=0, description="PostgreSQL statement_timeout.")
    pg_pool_size: int = Field(default=5, ge=1)
    max_page_size: int = Field(default=500, ge=1, description="Largest `limit` a list endpoint accepts.")
    default_page_size: int = Field(default=100, ge=1)
    log_level: str = Field(default="INFO")
    timezone: str = Field(default="Asia/Shanghai", description="Local time for opening hours (IANA name).")
    holiday_country: str = Field(default="CN", description="Public-holiday calendar for `PH` in opening hours.")
    nearest_default_limit: int = Field(default=5, ge=1)
    nearest_max_limit: int = Field(default=50, ge=1, description="Largest `limit` of the nearest endpoint.")
    nearest_max_distance_m: float = Field(default=50_000, gt=0, description="Cap on `max_distance_m`.")
    service_area_margin_km: float = Field(
        default=50, ge=0, description="Points farther than this outside the data's extent are rejected (422)."
    )
    index_refresh_s: float = Field(
        default=1.0, gt=0, description="How often each worker checks the database for edits to re-index."
    )
    nav_app_name: str = Field(
        default="geo_service",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="`src`/`referer` sent to the map vendors (letters, digits, _ . -).",
    )

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")
