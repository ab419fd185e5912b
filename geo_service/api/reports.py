"""Problem reports: anyone reports (202), the district's editors work the queue and resolve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from geo_service.api.auth import OptionalPrincipal, RequiredPrincipal
from geo_service.api.deps import ConnectionDep, EngineDep, SettingsDep
from geo_service.api.edits import caller_of
from geo_service.api.paging import PageLimit, check_page, paging_links
from geo_service.api.typed_params import DbInt, Offset
from geo_service.queries.reports import StoredReport
from geo_service.services import reports as report_service
from geo_service.services.reports import ReportResolution, ReportSubmission

router = APIRouter(tags=["reports"])


class ReportAccepted(BaseModel):
    id: int
    status: str


class ReportPageOut(BaseModel):
    items: list[StoredReport]
    numberMatched: int  # noqa: N815 (the paging vocabulary of the other list endpoints)
    numberReturned: int  # noqa: N815
    links: list[dict[str, str]]


@router.post(
    "/api/v1/facilities/{facility_id}/reports",
    status_code=202,
    response_model=ReportAccepted,
    summary="Report a problem with a facility (no key needed; rate-limited per address)",
)
def submit_report(
    facility_id: DbInt,
    body: ReportSubmission,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: OptionalPrincipal,
) -> ReportAccepted:
    policy = report_service.ReportPolicy.from_settings(settings)
    with engine.begin() as conn:
        report = report_service.submit_report(conn, caller_of(request, principal), facility_id, body, policy)
    return ReportAccepted(id=report.id, status=report.status)


@router.get("/api/v1/reports", response_model=ReportPageOut, summary="The problem-report queue")
def list_reports(
    request: Request,
    conn: ConnectionDep,
    settings: SettingsDep,
    principal: RequiredPrincipal,
    status: Annotated[str, Query(description="open (default), resolved, dismissed or all")] = "open",
    facility: Annotated[DbInt | None, Query(description="only the reports of this facility id")] = None,
    limit: PageLimit = None,
    offset: Offset = 0,
) -> ReportPageOut:
    page_size = check_page(limit, settings)
    page = report_service.list_reports(
        conn,
        principal,
        status=None if status == "all" else status,
        facility_id=facility,
        limit=page_size,
        offset=offset,
    )
    return ReportPageOut(
        items=page.rows,
        numberMatched=page.matched,
        numberReturned=len(page.rows),
        links=paging_links(request, page.matched, page_size, offset, media_type="application/json"),
    )


@router.post("/api/v1/reports/{report_id}/resolve", response_model=StoredReport, summary="Resolve a problem report")
def resolve_report(
    report_id: DbInt,
    body: ReportResolution,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: RequiredPrincipal,
) -> StoredReport:
    policy = report_service.ReportPolicy.from_settings(settings)
    with engine.begin() as conn:
        report = report_service.resolve_report(conn, caller_of(request, principal), report_id, body, policy)
    return report
