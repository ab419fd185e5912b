"""Migration 0005 on both backends: facility.version (default 1, raised by every UPDATE whoever sends it)
and problem reports in the data revision; down to 0004 and up again."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from geo_service.db import migrate

DISTRICT = (
    "INSERT INTO district (adcode, name, level, geom) VALUES ('999999', 't', 'district', "
    "ST_GeomFromText('MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)))', 4326))"
)
FACILITY = (
    "INSERT INTO facility (code, kind, name, district_adcode, geom, amenities, status, truck_parking_spaces, "
    "details, is_sample) VALUES (:code, 'station', 't', '999999', ST_GeomFromText('POINT(0.5 0.2)', 4326), "
    "'[]', 'open', 0, '{}', false)"
)


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("facility")}


def _revision(conn) -> int:
    return int(conn.scalar(text("SELECT revision FROM data_revision")))


def test_versions_start_at_1_and_every_update_raises_them(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0004")
    with empty_engine.begin() as conn:
        conn.execute(text(DISTRICT))
        conn.execute(text(FACILITY), {"code": "OLD"})  # a row from before 0005
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text(FACILITY), {"code": "NEW"})
        assert conn.execute(text("SELECT code, version FROM facility ORDER BY code")).all() == [("NEW", 1), ("OLD", 1)]
        conn.execute(text("UPDATE facility SET name = 'plain sql' WHERE code = 'OLD'"))  # forgets the version
        conn.execute(text("UPDATE facility SET name = 'api', version = version + 1 WHERE code = 'NEW'"))
        conn.execute(text("UPDATE facility SET name = 'twice' WHERE code = 'NEW'"))
        assert conn.execute(text("SELECT code, version FROM facility ORDER BY code")).all() == [("NEW", 3), ("OLD", 2)]


def test_report_writes_move_the_data_revision(empty_engine: Engine) -> None:
    """Each transaction writing reports moves the revision (on PostgreSQL once per transaction, 0012)."""
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text(DISTRICT))
        conn.execute(text(FACILITY), {"code": "F"})
        facility_id = conn.scalar(text("SELECT id FROM facility"))
    writes = (
        ("INSERT INTO problem_report (facility_id, kind, status) VALUES (:f, 'dirty', 'open')", {"f": facility_id}),
        (
            "UPDATE problem_report SET status = 'resolved', resolution = 'fixed', resolved_by = 'cli:t', "
            "resolved_at = CURRENT_TIMESTAMP",
            {},
        ),
        ("DELETE FROM problem_report", {}),
    )
    with empty_engine.connect() as conn:
        revisions = [_revision(conn)]
    for statement, params in writes:
        with empty_engine.begin() as conn:
            conn.execute(text(statement), params)
            revisions.append(_revision(conn))
    assert revisions == sorted(set(revisions)), revisions


def test_0005_down_and_up(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    assert "version" in _columns(empty_engine)
    migrate.downgrade(empty_engine, "0004")
    assert "version" not in _columns(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text(DISTRICT))
        before = _revision(conn)
        conn.execute(text(FACILITY), {"code": "F"})
        conn.execute(text("UPDATE facility SET name = 'x'"))  # no version trigger left behind
        assert _revision(conn) > before  # 0002's triggers survive
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        assert conn.execute(text("SELECT version FROM facility")).scalar_one() == 1
