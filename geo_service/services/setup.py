"""Preparing a database: migrate, load the real boundaries, load the synthetic sample facilities.

Every step is idempotent, so `geo-service init` can be run again after an upgrade or an interruption.
Each load runs in one transaction: a failure leaves the database as it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from geo_service import data_files
from geo_service.db import migrate
from geo_service.queries import facilities as facility_queries
from geo_service.services import regions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadReport:
    """Rows added, and rows that were already there (refreshed or kept, depending on the loader)."""

    inserted: int
    existing: int

    def __str__(self) -> str:
        return f"{self.inserted} new, {self.existing} existing"


def upgrade_schema(engine: Engine) -> str | None:
    """Apply all migrations; returns the revision reached."""
    migrate.upgrade(engine)
    return migrate.current_revision(engine)


def load_boundaries(engine: Engine, data_dir: Path) -> LoadReport:
    """Insert or refresh the bundled region's boundaries with their population figures and seats."""
    return load_region(engine, regions.bundled(data_dir))


def load_region(engine: Engine, region: regions.RegionLoad) -> LoadReport:
    """Insert or refresh a region's root and units (one transaction)."""
    inserted, updated = regions.save(engine, region)
    log.debug("region %s: %d inserted, %d refreshed", region.code, inserted, updated)
    return LoadReport(inserted, updated)


def needs_bundled_region(engine: Engine, data_dir: Path) -> bool:
    """Whether a plain `init` loads the bundled region: on a database with no region yet, or to refresh it
    where it is stored (a database set up for another city is left to its own regions)."""
    stored = {row["code"] for row in regions.list_all(engine)}
    return not stored or regions.bundled(data_dir).code in stored


def load_sample(engine: Engine, data_dir: Path) -> LoadReport:
    """Insert the synthetic sample facilities not already present (matched by code)."""
    records = data_files.read_sample_facilities(data_dir)
    with engine.begin() as conn:
        present = facility_queries.existing_codes(conn, [r.code for r in records])
        new = [r for r in records if r.code not in present]
        inserted = facility_queries.insert_facilities(conn, new)
    log.debug("sample facilities: %d inserted, %d already present", inserted, len(present))
    return LoadReport(inserted, len(present))


def prepare(engine: Engine, data_dir: Path, *, sample: bool = True) -> None:
    """Schema, boundaries and (optionally) the sample data: a ready database in one call."""
    upgrade_schema(engine)
    load_boundaries(engine, data_dir)
    if sample:
        load_sample(engine, data_dir)
