"""The audit log: append a row in the caller's transaction, read rows back with filters.

Append-only is enforced by the database (migration 0004 triggers); this module only inserts and selects.
`before` / `after` are JSON snapshots of the row; dates, datetimes, tuples and sets in them are turned
into JSON values here so callers can pass a row mapping as it comes from a query.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Connection, Row, func, insert, select, true

from geo_service import vocab
from geo_service.db.models import AuditEvent

#: A JSON object as stored in `before` / `after`.
JSONObject = dict[str, object]
#: What callers may pass as a snapshot (values are made JSON by `jsonable`).
Snapshot = Mapping[str, object]


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    role: str | None
    action: str
    entity: str
    entity_id: str
    before: JSONObject | None
    after: JSONObject | None
    request_id: str | None
    address: str | None


@dataclass(frozen=True)
class AuditFilter:
    entity: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    since: datetime | None = None  # aware; rows at or after it


def jsonable(value: object) -> object:
    """`value` as plain JSON: ISO strings for dates and times, lists for tuples and (sorted) sets."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)  # type: ignore[type-var]
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    raise TypeError(f"cannot store {type(value).__name__} in an audit snapshot")


def _snapshot(value: Snapshot | None) -> JSONObject | None:
    return None if value is None else {str(k): jsonable(v) for k, v in value.items()}


def record_audit(
    conn: Connection,
    *,
    actor: str,
    role: str | None,
    action: str,
    entity: str,
    entity_id: str | int,
    before: Snapshot | None,
    after: Snapshot | None,
    request_id: str | None,
    address: str | None,
    at: datetime | None = None,
) -> int:
    """Append one audit row in the caller's transaction (so it commits or rolls back with the change).

    `action` must be a code of vocab.AUDIT_ACTIONS and `entity` of vocab.AUDIT_ENTITIES (a ValueError
    otherwise: that is a programming error, not bad input). `at` defaults to the database's clock.
    Returns the new row's id.
    """
    if action not in vocab.AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; add it to vocab.AUDIT_ACTIONS")
    if entity not in vocab.AUDIT_ENTITIES:
        raise ValueError(f"unknown audit entity {entity!r}; expected one of {list(vocab.AUDIT_ENTITIES)}")
    values: dict[str, object] = {
        "actor": actor,
        "role": role,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "before": _snapshot(before),
        "after": _snapshot(after),
        "request_id": request_id,
        "address": address,
    }
    if at is not None:
        values["at"] = at
    return int(conn.execute(insert(AuditEvent).values(values).returning(AuditEvent.id)).scalar_one())


@dataclass(frozen=True)
class Change:
    """One entity's change, for record_audits: its id and the row before and after."""

    entity_id: str | int
    before: Snapshot | None
    after: Snapshot | None


def record_audits(
    conn: Connection,
    changes: Sequence[Change],
    *,
    actor: str,
    role: str | None,
    action: str,
    entity: str,
    request_id: str | None,
    address: str | None,
) -> None:
    """Append one audit row per change in bulk statements (a 10,000-row import is one executemany per
    chunk, not 10,000 round trips); same checks and snapshots as record_audit."""
    if action not in vocab.AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; add it to vocab.AUDIT_ACTIONS")
    if entity not in vocab.AUDIT_ENTITIES:
        raise ValueError(f"unknown audit entity {entity!r}; expected one of {list(vocab.AUDIT_ENTITIES)}")
    common: dict[str, object] = {"actor": actor, "role": role, "action": action, "entity": entity}
    common |= {"request_id": request_id, "address": address}
    rows = [
        common | {"entity_id": str(c.entity_id), "before": _snapshot(c.before), "after": _snapshot(c.after)}
        for c in changes
    ]
    for start in range(0, len(rows), 500):  # no trigger fires on insert: a plain executemany is fastest
        conn.execute(insert(AuditEvent), rows[start : start + 500])


def _where(filters: AuditFilter) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = true()
    if filters.entity is not None:
        condition = condition & (AuditEvent.entity == filters.entity)
    if filters.entity_id is not None:
        condition = condition & (AuditEvent.entity_id == filters.entity_id)
    if filters.actor is not None:
        condition = condition & (AuditEvent.actor == filters.actor)
    if filters.since is not None:
        condition = condition & (AuditEvent.at >= filters.since)
    return condition


def _row(row: Row) -> AuditRow:
    return AuditRow(**row._mapping)


def list_audit(
    conn: Connection,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditRow]:
    """Matching rows, newest first (by id, which follows commit order closely enough for a log).

    `since` is an aware datetime: rows at or after it."""
    filters = AuditFilter(entity, entity_id, actor, since)
    query = select(AuditEvent.__table__).where(_where(filters)).order_by(AuditEvent.id.desc())
    return [_row(row) for row in conn.execute(query.limit(limit).offset(offset))]


def count_audit(
    conn: Connection,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
) -> int:
    """How many rows list_audit would page through."""
    where = _where(AuditFilter(entity, entity_id, actor, since))
    return int(conn.scalar(select(func.count()).select_from(AuditEvent).where(where)) or 0)


def latest_event(conn: Connection, *, entity: str, entity_id: str, action: str) -> AuditRow | None:
    """The newest row of `action` on one entity (e.g. a facility's last deletion), or None."""
    filters = _where(AuditFilter(entity, entity_id)) & (AuditEvent.action == action)
    query = select(AuditEvent.__table__).where(filters).order_by(AuditEvent.id.desc()).limit(1)
    row = conn.execute(query).first()
    return None if row is None else _row(row)
