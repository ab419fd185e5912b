"""POST /api/v1/facilities/along-route — stations along a driver's route, in the order met."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from geo_layers.facilities import NearestFeatures, collection_bytes
from geo_layers.navigation import format_point
from geo_service.errors import InvalidParameter
from geo_service.services.along_route import AlongRouteResult, AlongRouteSpec, along_route
from geo_service.services.nearest import NearestService

router = APIRouter(prefix="/api/v1", tags=["facilities"])


@router.post(
    "/facilities/along-route",
    summary="Open facilities within buffer_m of a route, ordered by distance along it, with side of the road",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def facilities_along_route(spec: AlongRouteSpec, request: Request) -> Response:
    try:
        result = along_route(request.app.state.nearest, spec, request.app.state.roads)
    except InvalidParameter as exc:  # every parameter arrives in the JSON body
        raise InvalidParameter(exc.parameter, exc.message, location="body", code=exc.code) from exc
    return Response(_collection(request.app.state.nearest, result, spec), media_type="application/geo+json")


Service = NearestService[NearestFeatures]


def _collection(service: Service, result: AlongRouteResult[NearestFeatures], spec: AlongRouteSpec) -> bytes:
    start, app, at = format_point(*result.start), service.settings.nav_app_name, result.evaluated_at
    features = [
        result.snapshot.presented.complete(
            hit.position,
            distance_m=hit.offset_m,
            bearing_deg=hit.bearing_deg,
            open_state=hit.open_state.value,
            mode=spec.mode,
            app=app,
            origin=start,
            along=(hit.along_m, hit.offset_m, hit.side),
            detour=hit.detour,
            words=service.words(result.snapshot, hit.position, at, spec.lang),
        )
        for hit in result.hits
    ]
    route: dict[str, object] = {
        "length_m": round(result.route_length_m, 1),
        "points": result.route_points,
        "crs": "wgs84",
    }
    if spec.include_route:
        route["coordinates"] = np.round(result.lonlat, 6).tolist()
    members = {
        "numberReturned": len(features),
        "route": route,
        "query": {"buffer_m": spec.buffer_m, "evaluated_at": result.evaluated_at.isoformat()},
        "distance": "geodesic: along_m along the route from its start, offset_m (= distance_m) from the route",
        "data_revision": result.snapshot.revision,
    }
    if result.network is not None:
        members["distance"] = f"{members['distance']}; detour_m/detour_s by road: foot on the route → station → foot"
        members["network"] = {"path": result.network.path, "source": result.network.source, "profile": spec.profile}
        members["attribution"] = result.network.attribution
    return collection_bytes(features, members)
