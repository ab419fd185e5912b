"""Problem reports: anyone reports (202), the district's editors work the queue and resolve."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from geo_service import vocab
from geo_service.api.auth import OptionalPrincipal, RequiredPrincipal
from geo_service.api.deps import ConnectionDep, EngineDep, SettingsDep
from geo_service.api.edits import caller_of
from geo_service.api.paging import check_page, paging_links
from geo_service.queries.reports import StoredReport
from geo_service.services import reports as report_service
from geo_service.services.reports import ReportResolution, ReportSubmission

router = APIRouter(tags=["reports"])


class ReportAccepted(BaseModel):
    id: int
    status: str


class ReportOut(BaseModel):
    id: int
    facility_id: int
    facility_code: str
    facility_name: str
    district_adcode: str
    kind: str
    kind_label: str
    note: str | None
    lon: float | None
    lat: float | None
    status: str
    resolution: str | None
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, report: StoredReport) -> ReportOut:
        return cls(**report.__dict__, kind_label=vocab.REPORT_KINDS.get(report.kind, report.kind))


class ReportPageOut(BaseModel):
    items: list[ReportOut]
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
    facility_id: int,
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
    facility: Annotated[int | None, Query(description="only the reports of this facility id")] = None,
    limit: Annotated[int | None, Query(description="page size (default 100, max 500)")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
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
        items=[ReportOut.of(row) for row in page.rows],
        numberMatched=page.matched,
        numberReturned=len(page.rows),
        links=paging_links(request, page.matched, page_size, offset, media_type="application/json"),
    )


@router.post("/api/v1/reports/{report_id}/resolve", response_model=ReportOut, summary="Resolve a problem report")
def resolve_report(
    report_id: int,
    body: ReportResolution,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: RequiredPrincipal,
) -> ReportOut:
    policy = report_service.ReportPolicy.from_settings(settings)
    with engine.begin() as conn:
        report = report_service.resolve_report(conn, caller_of(request, principal), report_id, body, policy)
    return ReportOut.of(report)
