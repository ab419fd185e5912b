"""The audit log for admins: filters by entity, id, actor and date, newest first, before/after shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from geo_service.api.deps import ConnectionDep, SettingsDep
from geo_service.api.typed_params import ConsolePage
from geo_service.console import history
from geo_service.console.route import ConsoleRoute
from geo_service.console.session import VisitDep
from geo_service.console.templating import QueryValue, render
from geo_service.errors import InvalidParameter
from geo_service.services import audit as audit_service
from geo_service.services.editing import EditPolicy

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50


@dataclass
class AuditParams:
    entity: str | None = None
    id: Annotated[str | None, Query(max_length=64)] = None
    actor: Annotated[str | None, Query(max_length=100)] = None
    since: str | None = None  # a date, YYYY-MM-DD (local)
    page: ConsolePage = 1

    def filters(self) -> dict[str, QueryValue]:
        return {"entity": self.entity, "id": self.id, "actor": self.actor, "since": self.since}


def _since(raw: str | None, settings_zone: EditPolicy) -> datetime | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidParameter("since", f"日期格式为 YYYY-MM-DD (a date such as 2026-12-01, got {raw!r})") from None
    return datetime(day.year, day.month, day.day, tzinfo=settings_zone.zone)


@router.get("/console/audit")
def audit_page(
    request: Request,
    visit: VisitDep,
    conn: ConnectionDep,
    settings: SettingsDep,
    params: Annotated[AuditParams, Depends()],
) -> Response:
    policy = EditPolicy.from_settings(settings)
    page = audit_service.list_events(
        conn,
        visit.session.principal,
        entity=params.entity or None,
        entity_id=params.id or None,
        actor=params.actor or None,
        since=_since(params.since, policy),
        limit=PAGE_SIZE,
        offset=(params.page - 1) * PAGE_SIZE,
    )
    context = {
        "page": "audit",
        "params": params,
        "filters": params.filters(),
        "events": [
            (row, history.local_minute(row.at, policy.zone), history.changes(row.before, row.after))
            for row in page.rows
        ],
        "matched": page.matched,
        "pages": max(1, -(-page.matched // PAGE_SIZE)),
    }
    return render(request, "audit.html", context, session=visit.session)
