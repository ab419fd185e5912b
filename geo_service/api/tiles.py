"""Vector tiles: /tiles/{collection}/{z}/{x}/{y}.mvt and TileJSON 3.0 at /tiles/{collection}.json.

Tiles carry a strong ETag (a hash of their bytes; If-None-Match answers 304), `Cache-Control: public`
with GEO_TILES_MAX_AGE_S, and travel gzipped to clients that accept it (compressed once, when encoded).
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine

from geo_service.api.deps import ConnectionDep
from geo_service.api.public_url import base_url
from geo_service.api.reads import idle_connection, read_connection
from geo_service.services.ogc_catalog import CollectionSpec, collection
from geo_service.services.tiles import EncodedTile, Tile, TileKey, TileService, tile_filter, tile_of, tilejson
from geo_service.settings import Settings

MVT = "application/vnd.mapbox-vector-tile"
router = APIRouter(prefix="/tiles", tags=["vector tiles"])


def install(app: FastAPI, settings: Settings) -> None:
    app.state.tiles = TileService(settings)
    app.include_router(router)


@router.get("/{collection_id}/{z}/{x}/{y}.mvt", summary="A vector tile (Mapbox Vector Tile) of a collection")
async def vector_tile(
    collection_id: str,
    z: int,
    x: int,
    y: int,
    request: Request,
    status: Annotated[list[str], Query(description="only these statuses (repeatable or comma-separated)")] = [],
    district: Annotated[list[str], Query(description="only these districts: adcodes or names")] = [],
) -> Response:
    """Async on purpose: a cached tile is answered without a hop to the thread pool when a pooled
    connection is idle (the data revision is read to find it); a tile to encode (up to a few hundred
    milliseconds at low zoom on the national set), or any tile when the pool has no idle connection, is
    read in a thread (the loop never waits for the pool)."""
    spec, tile = collection(collection_id), tile_of(z, x, y)
    service: TileService = request.app.state.tiles
    engine: Engine = request.app.state.engine
    lookup = partial(_lookup, engine, service, spec, tile, _split(status), _split(district))
    key, encoded = lookup() if idle_connection(engine) else await asyncio.to_thread(lookup)
    if encoded is None:
        encoded = await asyncio.to_thread(_encode, engine, service, key)
    settings: Settings = request.app.state.settings
    headers = {
        "ETag": encoded.etag,
        "Cache-Control": f"public, max-age={settings.tiles_max_age_s}",
        "Vary": "Accept-Encoding",
        "Access-Control-Allow-Origin": "*",
    }
    if encoded.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "") and encoded.body:
        return Response(encoded.gzipped, media_type=MVT, headers={**headers, "Content-Encoding": "gzip"})
    return Response(encoded.body, media_type=MVT, headers=headers)


def _lookup(
    engine: Engine, service: TileService, spec: CollectionSpec, tile: Tile, statuses: list[str], districts: list[str]
) -> tuple[TileKey, EncodedTile | None]:
    with read_connection(engine) as conn:
        return service.cached(conn, spec, tile, tile_filter(conn, spec, statuses, districts))


def _encode(engine: Engine, service: TileService, key: TileKey) -> EncodedTile:
    with read_connection(engine) as conn:
        return service.encode(conn, key)


def _split(values: list[str]) -> list[str]:
    return [part for value in values for part in value.split(",") if part]


@router.get("/{collection_id}.json", summary="TileJSON 3.0 of a collection's vector tiles")
def collection_tilejson(collection_id: str, request: Request, conn: ConnectionDep, lang: str = "zh") -> Response:
    spec = collection(collection_id)
    root = base_url(request)
    template = f"{root}/tiles/{spec.id}/{{z}}/{{x}}/{{y}}.mvt"
    extent = request.app.state.features.extent(conn, spec)
    settings: Settings = request.app.state.settings
    body = tilejson(spec, template, extent.bbox, settings, "en" if lang == "en" else "zh")
    return JSONResponse(body, headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"})
