"""Readiness: can we serve requests right now?"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from geo_service.db import migrate


@dataclass(frozen=True)
class Readiness:
    ready: bool
    backend: str
    revision: str | None
    expected_revision: str | None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not ready", **asdict(self)}


def readiness(engine: Engine) -> Readiness:
    """Ready when the database answers and is migrated to the revision this code expects."""
    expected = migrate.head_revision()
    backend = engine.dialect.name
    try:
        revision = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        return Readiness(False, backend, None, expected, f"database unreachable: {exc.__class__.__name__}")
    if revision != expected:
        return Readiness(False, backend, revision, expected, "schema not current: run `geo-service db upgrade`")
    return Readiness(True, backend, revision, expected)
