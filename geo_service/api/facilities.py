"""Facility endpoints (GeoJSON)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from geo_layers.facilities import facility_feature, feature_collection
from geo_service.api.deps import ConnectionDep, SettingsDep
from geo_service.api.facility_filters import BboxFilter, DistrictFilter, KindFilter, StatusFilter, TextFilter
from geo_service.api.paging import PageLimit, check_page, paging_links
from geo_service.api.responses import GeoJSONResponse
from geo_service.api.typed_params import Offset
from geo_service.services import facilities as facility_service

router = APIRouter(prefix="/api/v1/facilities", tags=["facilities"])


@router.get("", response_class=GeoJSONResponse, summary="List facilities as a GeoJSON FeatureCollection")
def list_facilities(
    request: Request,
    conn: ConnectionDep,
    settings: SettingsDep,
    kind: KindFilter = [],
    district: DistrictFilter = [],
    status: StatusFilter = [],
    bbox: BboxFilter = None,
    q: TextFilter = None,
    limit: PageLimit = None,
    offset: Offset = 0,
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
