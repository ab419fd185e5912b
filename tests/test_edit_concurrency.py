"""Acceptance 5: two editors PATCH one facility with the same ETag at the same moment — exactly one wins,
the other gets 412, on both backends; the conditional UPDATE is atomic even when the two interleave."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from geo_service.app import create_app
from geo_service.db.models import AuditEvent, Facility
from geo_service.queries import facility_edits
from geo_service.queries.facility_edits import WriteOutcome
from geo_service.settings import Settings
from tests.databases import BACKENDS
from tests.editing_support import Api, editing_api

ROUNDS = 8


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with editing_api(str(request.param), Path(tmp_path_factory.mktemp("race"))) as harness:
        yield harness


def _row(api: Api, facility_id: int) -> tuple[str, int]:
    with api.engine.connect() as conn:
        name, version = conn.execute(select(Facility.name, Facility.version).where(Facility.id == facility_id)).one()
    return str(name), int(version)


def test_same_etag_patches_from_two_workers_one_wins_one_gets_412(api: Api) -> None:
    """Two apps (two workers, each its own engine and pool) over one database, two threads released
    together by a barrier, several rounds."""
    with TestClient(create_app(Settings(db_url=api.url))) as second:
        clients = {"wang": api.client, "zhao": second}
        for _ in range(ROUNDS):
            facility_id = api.facility()
            tag = api.etag(facility_id)
            barrier = threading.Barrier(2)

            def patch(editor: str, facility_id: int = facility_id, tag: str = tag, barrier=barrier) -> tuple[str, int]:
                headers = api.headers("editor_own", **{"If-Match": tag})
                barrier.wait()
                path = f"/api/v1/facilities/{facility_id}"
                response = clients[editor].patch(path, json={"name": f"{editor}改的名字"}, headers=headers)
                return editor, response.status_code

            with ThreadPoolExecutor(max_workers=2) as pool:
                outcomes = dict(pool.map(patch, clients))
            assert sorted(outcomes.values()) == [200, 412], outcomes
            (winner,) = [editor for editor, status in outcomes.items() if status == 200]
            assert _row(api, facility_id) == (f"{winner}改的名字", 2)
            with api.engine.connect() as conn:
                updates = conn.scalars(
                    select(AuditEvent.after).where(
                        AuditEvent.entity == "facility", AuditEvent.entity_id == str(facility_id)
                    )
                ).all()
            assert [after["name"] for after in updates] == [f"{winner}改的名字"]  # one audited update


def test_a_writer_waiting_for_the_lock_then_finds_the_version_gone(api: Api) -> None:
    """The interleaving made deterministic: the first writer updates and holds its transaction open; the
    second, with the same expected version, blocks on the lock (row lock on PostgreSQL, write lock on
    SQLite), then updates nothing instead of overwriting."""
    facility_id = api.facility()
    first_wrote = threading.Event()
    outcomes: dict[str, object] = {}
    now = datetime.now(UTC)

    def first() -> None:
        with api.engine.begin() as conn:
            outcomes["first"] = facility_edits.update_if_version(conn, facility_id, 1, {"name": "甲"}, now)
            first_wrote.set()
            time.sleep(0.6)

    def second() -> None:
        first_wrote.wait(5)
        started = time.monotonic()
        with api.engine.begin() as conn:
            outcomes["second"] = facility_edits.update_if_version(conn, facility_id, 1, {"name": "乙"}, now)
        outcomes["waited_s"] = time.monotonic() - started

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcomes["first"] is WriteOutcome.WRITTEN and outcomes["second"] is WriteOutcome.STALE
    assert float(outcomes["waited_s"]) > 0.3  # it did wait for the first writer's commit
    assert _row(api, facility_id) == ("甲", 2)
