"""Facility endpoints (GeoJSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from geo_layers.facilities import facility_feature, feature_collection
from geo_service.api.deps import ConnectionDep, SettingsDep
from geo_service.api.paging import check_page, paging_links
from geo_service.api.responses import GeoJSONResponse
from geo_service.services import facilities as facility_service

router = APIRouter(prefix="/api/v1/facilities", tags=["facilities"])


@router.get("", response_class=GeoJSONResponse, summary="List facilities as a GeoJSON FeatureCollection")
def list_facilities(
    request: Request,
    conn: ConnectionDep,
    settings: SettingsDep,
    kind: Annotated[list[str], Query(description="station | rest_base | mediation_centre; repeatable")] = [],
    district: Annotated[list[str], Query(description="adcode (371602) or name (滨城区); repeatable")] = [],
    status: Annotated[list[str], Query(description="open | temporarily_closed | closed | planned")] = [],
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS-84), edges included")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="text in the name or the code (case-insensitive)")
    ] = None,
    limit: Annotated[int | None, Query(description="page size (default 100, max 500)")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GeoJSONResponse:
    page_size = check_page(limit, settings)
    page = facility_service.list_facilities(
        conn,
        kinds=kind,
        districts=district,
        statuses=status,
        limit=page_size,
        offset=offset,
        bbox=facility_service.parse_bbox(bbox),
        text=q,
    )
    body = feature_collection(
        (facility_feature(row) for row in page.rows),
        numberMatched=page.matched,
        numberReturned=len(page.rows),
        links=paging_links(request, page.matched, page_size, offset),
    )
    return GeoJSONResponse(body)
