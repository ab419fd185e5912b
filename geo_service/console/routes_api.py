"""Small JSON answers for the console's own scripts: the live hours check, where a typed or dragged
point is, and district outlines for the maps. Signed-in users only, like every console page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from geo_layers.districts import district_features
from geo_service.api.deps import ConnectionDep, SettingsDep
from geo_service.console.route import ConsoleRoute
from geo_service.console.session import VisitDep
from geo_service.maps.basemaps import basemap
from geo_service.services import facilities as facility_service
from geo_service.services.hours_preview import preview_hours
from geo_service.services.point_locate import locate_point

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False, prefix="/console/api")
_PRIVATE = {"Cache-Control": "no-store"}


@router.get("/hours")
def hours_check(visit: VisitDep, value: Annotated[str, Query(max_length=1000)] = "") -> Response:
    preview = preview_hours(value, visit.lang)
    return JSONResponse({"valid": preview.valid, "text": preview.text}, headers=_PRIVATE)


@router.get("/point")
def point_check(
    visit: VisitDep, conn: ConnectionDep, settings: SettingsDep, lon: float, lat: float, crs: str = "wgs84"
) -> Response:
    """The point in WGS-84 and on the basemap, and the districts covering it."""
    where = locate_point(conn, lon, lat, crs, basemap(settings).crs)
    body = {
        "lon": where.lon,
        "lat": where.lat,
        "at": [where.display_lat, where.display_lon],
        "districts": [{"adcode": d.adcode, "name": d.name} for d in where.districts],
    }
    return JSONResponse(body, headers=_PRIVATE)


@router.get("/districts")
def district_outlines(
    request: Request,
    visit: VisitDep,
    conn: ConnectionDep,
    settings: SettingsDep,
    district: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """County outlines (all, or those named) on the basemap's coordinates, as GeoJSON."""
    rows = facility_service.district_outlines(conn, district or ())
    features = district_features(rows, crs=basemap(settings).crs)
    return JSONResponse(
        {"type": "FeatureCollection", "features": features}, headers={"Cache-Control": "private, max-age=3600"}
    )
