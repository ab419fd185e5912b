"""The nearest index follows edits by patching (migration 0012's change log), and stays exact.

Edits go straight to the database with SQL (as an import, a console or a DBA would), never through the
service. After each round the patched index must equal one rebuilt from every row, and 1,000 seeded
queries must match a brute force over the database's current rows (pyproj geodesics)."""

from __future__ import annotations

import gc
import logging
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest
from geoalchemy2 import WKTElement
from pyproj import Geod
from sqlalchemy import Engine, delete, insert, select, text, update

from geo_layers.facilities import NearestFeatures
from geo_service.db.models import Facility, ProblemReport
from geo_service.services import setup
from geo_service.services.nearest import NearestQuery, NearestService
from geo_service.settings import Settings
from tests.databases import DATA_DIR

GEOD = Geod(ellps="WGS84")
AMENITY_SETS = [[], ["toilet"], ["ebike_charging", "hot_water"], ["truck_parking"], ["toilet", "microwave"]]
HOURS = [None, "24/7", "Mo-Fr 08:30-12:00,14:30-18:00", "08:00-20:00", "not hours"]
STATUSES = ["open", "open", "temporarily_closed", "closed"]
KINDS = ["station", "rest_base", "mediation_centre"]
COPIED = [c.name for c in Facility.__table__.columns if c.name not in ("id", "code", "created_at", "updated_at")]


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    setup.prepare(empty_engine, DATA_DIR)
    return empty_engine


def _service(engine: Engine, **settings: object) -> NearestService[NearestFeatures]:
    service = NearestService(engine, Settings(db_url=str(engine.url), **settings), NearestFeatures.from_columns)
    service.refresh()
    return service


def _edit_round(engine: Engine, rng: np.random.Generator, serial: Iterator[int]) -> None:
    """A few random inserts, moves, kind/amenity/hours/status changes, reports and deletes."""
    with engine.begin() as conn:
        ids = list(conn.scalars(select(Facility.id).where(Facility.deleted_at.is_(None))))
        for _ in range(int(rng.integers(1, 4))):  # inserts: a copy of a facility, somewhere else
            source = conn.execute(select(Facility).where(Facility.id == int(rng.choice(ids)))).mappings().one()
            values = {name: source[name] for name in COPIED}
            values.update(code=f"PATCH-{next(serial)}", geom=_point(rng))
            conn.execute(insert(Facility).values(**values))
        for facility_id in rng.choice(ids, size=6, replace=False).tolist():
            conn.execute(update(Facility).where(Facility.id == facility_id).values(**_change(rng)))
        conn.execute(
            insert(ProblemReport).values(facility_id=int(rng.choice(ids)), kind="closed", note="t", status="open")
        )
        soft = int(rng.choice(ids))
        conn.execute(update(Facility).where(Facility.id == soft).values(deleted_at=datetime.now(UTC)))
        added = conn.scalars(select(Facility.id).where(Facility.code.like("PATCH-%"))).all()
        reported = select(ProblemReport.facility_id)
        if added:  # a hard delete of a facility nobody reported
            victim = conn.scalar(select(Facility.id).where(Facility.id.in_(added), Facility.id.not_in(reported)))
            conn.execute(delete(Facility).where(Facility.id == victim))


def _point(rng: np.random.Generator) -> WKTElement:
    return WKTElement(f"POINT({rng.uniform(117.3, 118.3):.6f} {rng.uniform(36.9, 38.1):.6f})", srid=4326)


def _change(rng: np.random.Generator) -> dict[str, object]:
    choice = int(rng.integers(5))
    if choice == 0:
        return {"geom": _point(rng)}
    if choice == 1:
        return {"kind": KINDS[int(rng.integers(len(KINDS)))]}
    if choice == 2:
        return {"amenities": AMENITY_SETS[int(rng.integers(len(AMENITY_SETS)))]}
    if choice == 3:
        return {"opening_hours": HOURS[int(rng.integers(len(HOURS)))]}
    return {"status": STATUSES[int(rng.integers(len(STATUSES)))]}


def _open_rows(engine: Engine) -> list[dict[str, object]]:
    """The database's open, not deleted facilities, read independently of the service."""
    query = text(
        "SELECT id, kind, amenities, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility "
        "WHERE status = 'open' AND deleted_at IS NULL ORDER BY id"
    )
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def _amenities(value: object) -> set[str]:
    import json

    return set(json.loads(value) if isinstance(value, str) else value or [])


def _brute_force(rows: list[dict[str, object]], lon: float, lat: float, kind: str | None, amenity: str | None, k: int):
    keep = [
        r
        for r in rows
        if (kind is None or r["kind"] == kind) and (amenity is None or amenity in _amenities(r["amenities"]))
    ]
    if not keep:
        return []
    _, _, dist = GEOD.inv(
        np.full(len(keep), lon), np.full(len(keep), lat), [r["lon"] for r in keep], [r["lat"] for r in keep]
    )
    order = np.argsort(dist, kind="stable")[:k]
    return [(int(keep[i]["id"]), float(dist[i])) for i in order]


def _assert_same_snapshot(patched: NearestService[NearestFeatures], rebuilt: NearestService[NearestFeatures]) -> None:
    a, b = patched.snapshot, rebuilt.snapshot
    assert a is not None and b is not None and a.revision == b.revision
    for column in ("ids", "lon", "lat", "kinds", "truck_spaces", "amenity_bits"):
        assert np.array_equal(getattr(a, column), getattr(b, column)), column
    assert a.amenity_counts == b.amenity_counts and a.bounds == b.bounds
    assert all(x is y for x, y in zip(a.hours, b.hours, strict=True))  # one parse per distinct string
    assert list(a.hours_text) == list(b.hours_text)  # the stored strings, for the words
    origin = ("117.9", "37.4")
    for position in range(len(a)):
        args = {
            "distance_m": 1.0,
            "bearing_deg": 2.0,
            "open_state": "open",
            "mode": "ride",
            "app": "t",
            "origin": origin,
        }
        assert a.presented.complete(position, **args) == b.presented.complete(position, **args)


def test_random_edits_are_patched_in_and_answers_match_brute_force(engine: Engine, caplog) -> None:
    rng = np.random.default_rng(20261202)
    serial = iter(range(10**6))
    service = _service(engine)
    for _ in range(5):
        _edit_round(engine, rng, serial)
        with caplog.at_level(logging.INFO, logger="geo_service.services.nearest"):
            assert service.refresh()
        assert "patched" in caplog.text
        caplog.clear()
        _assert_same_snapshot(service, _service(engine))
    rows = _open_rows(engine)
    for _ in range(1000):
        lon, lat = float(rng.uniform(117.2, 118.4)), float(rng.uniform(36.8, 38.2))
        kind = [None, None, "station", "rest_base"][int(rng.integers(4))]
        amenity = [None, None, "toilet", "ebike_charging"][int(rng.integers(4))]
        k = int(rng.integers(1, 8))
        query = NearestQuery(lon, lat, kinds=[kind] if kind else [], amenities=[amenity] if amenity else [], limit=k)
        result = service.find(query)
        got = [(int(result.snapshot.ids[h.position]), h.distance_m) for h in result.hits]
        expected = _brute_force(rows, lon, lat, kind, amenity, k)
        assert [g[0] for g in got] == [e[0] for e in expected], (lon, lat, kind, amenity, k)
        assert np.allclose([g[1] for g in got], [e[1] for e in expected], rtol=0, atol=1e-3)


def test_the_change_log_names_what_changed(engine: Engine) -> None:
    from geo_service.queries.facilities import changes_since, data_revision

    with engine.connect() as conn:
        start = data_revision(conn)
        first, second = conn.scalars(select(Facility.id).order_by(Facility.id).limit(2)).all()
    with engine.begin() as conn:
        conn.execute(update(Facility).where(Facility.id.in_([first, second])).values(name="改名"))
    with engine.begin() as conn:
        conn.execute(insert(ProblemReport).values(facility_id=second, kind="closed", note="t", status="open"))
    with engine.connect() as conn:
        changes = changes_since(conn, start)
        assert changes.facility_ids == {first, second} and changes.revision > start
        assert changes_since(conn, changes.revision).facility_ids == frozenset()
    with engine.begin() as conn:  # district names are in every indexed row: the log says "everything"
        conn.execute(text("UPDATE district SET name = name"))
    with engine.connect() as conn:
        assert changes_since(conn, changes.revision).facility_ids is None


def test_a_worker_behind_the_log_or_past_the_patch_limit_rebuilds(engine: Engine, caplog) -> None:
    service = _service(engine, index_patch_max_rows=3)
    with engine.begin() as conn:
        ids = conn.scalars(select(Facility.id).order_by(Facility.id).limit(4)).all()
        conn.execute(update(Facility).where(Facility.id.in_(ids)).values(name="四个"))
    with caplog.at_level(logging.INFO, logger="geo_service.services.nearest"):
        assert service.refresh()
    assert "patched" not in caplog.text and "open facilities at data revision" in caplog.text
    caplog.clear()
    with engine.begin() as conn:  # as if the log had been pruned past this worker's revision
        conn.execute(update(Facility).where(Facility.id == ids[0]).values(name="一个"))
        conn.execute(text("UPDATE data_revision SET changes_from = revision"))
    with caplog.at_level(logging.INFO, logger="geo_service.services.nearest"):
        assert service.refresh()
    assert "patched" not in caplog.text
    _assert_same_snapshot(service, _service(engine))


def test_a_read_in_small_chunks_builds_the_same_index(engine: Engine) -> None:
    """Keyset chunks of 7 rows (the last one short) give the index one read of every row gives."""
    with engine.connect() as conn:
        count = conn.scalar(text("SELECT count(*) FROM facility WHERE status = 'open' AND deleted_at IS NULL"))
    assert count % 7 and count > 7 * 3
    chunked = _service(engine, index_read_chunk_rows=7)
    whole = _service(engine)
    assert chunked.snapshot is not None and len(chunked.snapshot) == count
    _assert_same_snapshot(chunked, whole)


def test_a_replaced_snapshot_is_freed_at_once_not_by_the_cyclic_collector(engine: Engine) -> None:
    """Each patch replaces the snapshot. Its columns (~100 MB at the national set) must go with its last
    reference, answered features cached or not: the worker freezes its heap out of the collector, so
    garbage in a reference cycle would stay for many edits (a cycle through a cache once let a worker
    grow from 380 MB to 1.1 GB over 100 edits)."""
    service = _service(engine)
    snapshot = service.snapshot
    assert snapshot is not None
    service.find(NearestQuery(117.97, 37.38, limit=3))  # fills the presentation's cache of joined features
    snapshot.presented.complete(
        0, distance_m=1.0, bearing_deg=2.0, open_state="open", mode="ride", app="t", origin=("1", "2")
    )
    buffers = [weakref.ref(snapshot.presented._columns.own.buffer), weakref.ref(snapshot.lon)]
    del snapshot
    with engine.begin() as conn:
        first = conn.scalar(select(Facility.id).where(Facility.status == "open").order_by(Facility.id).limit(1))
        conn.execute(update(Facility).where(Facility.id == first).values(name="新名字"))
    gc.disable()
    try:
        assert service.refresh()
        assert [buffer() for buffer in buffers] == [None, None]
    finally:
        gc.enable()
