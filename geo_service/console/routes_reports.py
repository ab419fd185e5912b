"""The problem-report queue of my districts, newest first, with the facilities on a map; resolve or
dismiss each with a note (services.reports: the same rules as the API)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from geo_service.api.deps import ConnectionDep, EngineDep, SettingsDep
from geo_service.api.typed_params import ConsolePage, DbInt
from geo_service.console.history import local_minute
from geo_service.console.maps import map_config, marker
from geo_service.console.route import ConsoleRoute
from geo_service.console.session import PostedDep, VisitDep
from geo_service.console.templating import console_url, render
from geo_service.services import facility_table
from geo_service.services import reports as report_service
from geo_service.services.editing import EditPolicy
from geo_service.services.reports import ReportPolicy, ReportResolution

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50
STATUS_TABS = ("open", "resolved", "dismissed", "all")


@router.get("/console/reports")
def reports_page(
    request: Request,
    visit: VisitDep,
    conn: ConnectionDep,
    settings: SettingsDep,
    status: str = "open",
    page: ConsolePage = 1,
) -> Response:
    principal = visit.session.principal
    listing = report_service.list_reports(
        conn,
        principal,
        status=None if status == "all" else status,
        facility_id=None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        newest_first=True,
    )
    facilities = facility_table.facilities_by_id(conn, sorted({r.facility_id for r in listing.rows}))
    zone = EditPolicy.from_settings(settings).zone
    markers = [marker(row, settings) for row in facilities.values()]
    context = {
        "page": "reports",
        "status": status,
        "tabs": STATUS_TABS,
        "listing": listing,
        "pages": max(1, -(-listing.matched // PAGE_SIZE)),
        "current": page,
        "facilities": facilities,
        "created": {r.id: local_minute(r.created_at, zone) for r in listing.rows},
        "map": map_config(settings, request.scope.get("root_path", "")),
        "markers": json.dumps(markers, ensure_ascii=False),
        "can_resolve": principal.role != "viewer",
        "done": request.query_params.get("done"),
    }
    return render(request, "reports.html", context, session=visit.session)


@router.post("/console/reports/{report_id}/resolve")
def resolve_report(
    report_id: DbInt, request: Request, posted: PostedDep, engine: EngineDep, settings: SettingsDep
) -> Response:
    resolution = "dismissed" if posted.form.get("dismiss") else str(posted.form.get("resolution") or "")
    body = ReportResolution(resolution=resolution, note=str(posted.form.get("note") or "") or None)
    with engine.begin() as tx:
        report_service.resolve_report(tx, posted.visit.caller, report_id, body, ReportPolicy.from_settings(settings))
    target = console_url(
        request.scope.get("root_path", ""), "/console/reports", posted.visit.lang, {"done": "resolved"}
    )
    return RedirectResponse(target, status_code=303)
