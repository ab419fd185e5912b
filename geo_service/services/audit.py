"""Audit use cases: record a change in the caller's transaction; let an admin read the log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from geo_service import vocab
from geo_service.authorization import AuditContext, Principal, require_role
from geo_service.queries import audit as audit_queries
from geo_service.queries.audit import AuditRow, Change, Snapshot
from geo_service.services.validation import check_codes


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    matched: int
    limit: int
    offset: int


def record(
    conn: Connection,
    context: AuditContext,
    *,
    action: str,
    entity: str,
    entity_id: str | int,
    before: Snapshot | None,
    after: Snapshot | None,
    at: datetime | None = None,
) -> int:
    """Append an audit row for a change made on `conn` (inside the same `engine.begin()` block)."""
    return audit_queries.record_audit(
        conn,
        actor=context.actor,
        role=context.role,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        request_id=context.request_id,
        address=context.address,
        at=at,
    )


def record_many(
    conn: Connection, context: AuditContext, *, action: str, entity: str, changes: Sequence[Change]
) -> None:
    """Append one audit row per change (same action and entity), in bulk, on the caller's transaction."""
    audit_queries.record_audits(
        conn,
        changes,
        actor=context.actor,
        role=context.role,
        action=action,
        entity=entity,
        request_id=context.request_id,
        address=context.address,
    )


def list_events(
    conn: Connection,
    principal: Principal | None,
    *,
    entity: str | None,
    entity_id: str | None,
    actor: str | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> AuditPage:
    """A page of the audit log, newest first; admins only (401 for the public, 403 for others).

    `since` must be aware (the API turns a naive time into local time first)."""
    require_role(principal, "admin")
    if entity is not None:
        check_codes("entity", [entity], vocab.AUDIT_ENTITIES)
    rows = audit_queries.list_audit(
        conn, entity=entity, entity_id=entity_id, actor=actor, since=since, limit=limit, offset=offset
    )
    matched = audit_queries.count_audit(conn, entity=entity, entity_id=entity_id, actor=actor, since=since)
    return AuditPage(rows, matched, limit, offset)
