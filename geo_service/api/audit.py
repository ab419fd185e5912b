"""The audit log for admins: `GET /api/v1/audit`."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from geo_service.api.auth import OptionalPrincipal
from geo_service.api.deps import ConnectionDep, SettingsDep
from geo_service.api.paging import PageLimit, check_page, paging_links
from geo_service.api.typed_params import Offset
from geo_service.moments import Moment
from geo_service.queries.audit import AuditRow
from geo_service.services import audit as audit_service

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditPageOut(BaseModel):
    items: list[AuditRow]  # the query's own row type: one definition of an audit event
    numberMatched: int  # noqa: N815 (the paging vocabulary of the other list endpoints)
    numberReturned: int  # noqa: N815
    links: list[dict[str, str]]


@router.get("", response_model=AuditPageOut, summary="Audit log, newest first (admin)")
def list_audit(
    request: Request,
    conn: ConnectionDep,
    settings: SettingsDep,
    principal: OptionalPrincipal,
    entity: Annotated[
        str | None, Query(description="facility | app_user | api_key | import_batch | problem_report")
    ] = None,
    entity_id: Annotated[str | None, Query(alias="id", max_length=64, description="id of the entity")] = None,
    actor: Annotated[str | None, Query(max_length=100, description="user:alice, key:3, cli:root, public")] = None,
    since: Annotated[Moment | None, Query(description="ISO time; rows at or after it (naive = local time)")] = None,
    limit: PageLimit = None,
    offset: Offset = 0,
) -> AuditPageOut:
    page_size = check_page(limit, settings)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=ZoneInfo(settings.timezone))
    page = audit_service.list_events(
        conn, principal, entity=entity, entity_id=entity_id, actor=actor, since=since, limit=page_size, offset=offset
    )
    return AuditPageOut(
        items=page.rows,
        numberMatched=page.matched,
        numberReturned=len(page.rows),
        links=paging_links(request, page.matched, page_size, offset, media_type="application/json"),
    )
