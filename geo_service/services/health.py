"""Readiness: can we serve requests right now?"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from geo_service.db import migrate
from geo_service.services.network import NetworkInfo


@dataclass(frozen=True)
class Readiness:
    ready: bool
    backend: str
    revision: str | None
    expected_revision: str | None
    problem: str | None = None
    road_network: NetworkInfo | None = None  # the file served for metric=network (None: straight-line only)

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not ready", **asdict(self)}


def readiness(engine: Engine, road_network: NetworkInfo | None = None) -> Readiness:
    """Ready when the database answers and is migrated to the revision this code expects; a missing road
    network does not make a worker unready (answers stay straight-line), it is reported."""
    expected = migrate.head_revision()
    backend = engine.dialect.name
    try:
        revision = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        problem = f"database unreachable: {exc.__class__.__name__}"
        return Readiness(False, backend, None, expected, problem, road_network)
    if revision != expected:
        problem = "schema not current: run `geo-service db upgrade`"
        return Readiness(False, backend, revision, expected, problem, road_network)
    return Readiness(True, backend, revision, expected, None, road_network)


def not_answering(engine: Engine, waited_s: float, road_network: NetworkInfo | None = None) -> Readiness:
    """Unready: the database did not answer within `waited_s` (down, saturated or locked)."""
    problem = f"database did not answer within {waited_s:g} s"
    return Readiness(False, engine.dialect.name, None, migrate.head_revision(), problem, road_network)
