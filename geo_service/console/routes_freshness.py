"""Freshness: per district, how many facilities were verified in the last 90/180/365 days, and the
overdue ones to work through, each with its "verified today" button."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from geo_service.api.deps import ConnectionDep, SettingsDep
from geo_service.api.typed_params import ConsolePage
from geo_service.console.route import ConsoleRoute
from geo_service.console.session import VisitDep
from geo_service.console.templating import render
from geo_service.services import facility_table, freshness
from geo_service.services.editing import EditPolicy

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50


@router.get("/console/freshness")
def freshness_page(
    request: Request,
    visit: VisitDep,
    conn: ConnectionDep,
    settings: SettingsDep,
    days: int = 365,
    page: ConsolePage = 1,
) -> Response:
    principal = visit.session.principal
    today = facility_table.local_today(EditPolicy.from_settings(settings).zone)
    report = freshness.freshness(conn, principal, today, overdue_days=days, page=page, page_size=PAGE_SIZE)
    context = {
        "page": "freshness",
        "report": report,
        "cutoffs": freshness.CUTOFF_DAYS,
        "can_verify": principal.role != "viewer",
        "done": request.query_params.get("done"),
    }
    return render(request, "freshness.html", context, session=visit.session)
