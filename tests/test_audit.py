"""The audit log: rows written in the caller's transaction, filters, and append-only on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from geo_service.db import migrate
from geo_service.queries import audit as audit_queries

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    migrate.upgrade(empty_engine)
    return empty_engine


def _record(conn, **overrides) -> int:
    values = {
        "actor": "user:alice",
        "role": "editor",
        "action": "update",
        "entity": "facility",
        "entity_id": 7,
        "before": {"name": "旧名"},
        "after": {"name": "新名"},
        "request_id": "r-1",
        "address": "10.0.0.1",
        "at": T0,
    }
    return audit_queries.record_audit(conn, **(values | overrides))


def test_a_row_round_trips_with_json_snapshots(engine: Engine) -> None:
    with engine.begin() as conn:
        event_id = _record(conn, after={"verified": date(2026, 4, 30), "amenities": ("wifi", "toilet"), "n": 1.5})
    with engine.connect() as conn:
        (row,) = audit_queries.list_audit(conn)
    assert row.id == event_id and row.at == T0 and row.entity_id == "7"
    assert row.before == {"name": "旧名"}
    assert row.after == {"verified": "2026-04-30", "amenities": ["wifi", "toilet"], "n": 1.5}


def test_the_row_rolls_back_with_the_change(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        _record(conn)
        raise RuntimeError("the change failed")
    with engine.connect() as conn:
        assert audit_queries.count_audit(conn) == 0


def test_filters_and_paging(engine: Engine) -> None:
    with engine.begin() as conn:
        _record(conn, entity_id=1, at=T0)
        _record(conn, entity_id=2, at=T0 + timedelta(hours=1))
        _record(
            conn,
            entity="api_key",
            action="key.create",
            entity_id=1,
            actor="cli:root",
            role="admin",
            at=T0 + timedelta(hours=2),
        )
    with engine.connect() as conn:
        ids = lambda **kw: [(r.entity, r.entity_id) for r in audit_queries.list_audit(conn, **kw)]  # noqa: E731
        assert ids() == [("api_key", "1"), ("facility", "2"), ("facility", "1")]
        assert ids(entity="facility", entity_id="1") == [("facility", "1")]
        assert ids(actor="cli:root") == [("api_key", "1")]
        assert ids(since=T0 + timedelta(minutes=30)) == [("api_key", "1"), ("facility", "2")]
        assert ids(limit=1, offset=1) == [("facility", "2")]
        assert audit_queries.count_audit(conn, entity="facility") == 2


def test_unknown_action_or_entity_is_a_programming_error(engine: Engine) -> None:
    with engine.begin() as conn:
        with pytest.raises(ValueError, match="action"):
            _record(conn, action="teleport")
        with pytest.raises(ValueError, match="entity"):
            _record(conn, entity="planet")


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET actor = 'user:mallory'", "DELETE FROM audit_event", "UPDATE audit_event SET after = NULL"],
)
def test_audit_rows_cannot_be_changed_or_deleted_by_sql(engine: Engine, statement: str) -> None:
    with engine.begin() as conn:
        _record(conn)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        (row,) = audit_queries.list_audit(conn)
    assert row.actor == "user:alice" and row.after == {"name": "新名"}


def test_audit_table_cannot_be_truncated_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no TRUNCATE")
    with engine.begin() as conn:
        _record(conn)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_event"))
