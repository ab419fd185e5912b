"""The OpenAPI 3.0 definition of /ogc (conformance class oas30), with every parameter written inline.

GIS clients read it: GDAL takes the page size from the `limit` maximum, and a path per collection lists
that collection's queryables as parameters. No remote `$ref`, so it is complete offline.
"""

from __future__ import annotations

from typing import Any

from geo_service import __version__
from geo_service.api.ogc_docs import CRS_URIS, GEOJSON, HTML, JSON, property_schema
from geo_service.services.ogc_catalog import COLLECTIONS, CollectionSpec
from geo_service.settings import Settings


def _param(name: str, schema: dict[str, Any], description: str, *, explode: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
    if explode is not None:
        out["style"], out["explode"] = "form", explode
    return out


def _common() -> list[dict[str, Any]]:
    return [
        _param("f", {"type": "string", "enum": ["json", "html"]}, "Output format (default: by the Accept header)"),
        _param("lang", {"type": "string", "enum": ["zh", "en"], "default": "zh"}, "Language of titles and HTML"),
    ]


def _items_parameters(spec: CollectionSpec, settings: Settings) -> list[dict[str, Any]]:
    crs = {"type": "string", "format": "uri", "enum": CRS_URIS}
    limit = {"type": "integer", "minimum": 1, "maximum": settings.ogc_max_limit, "default": settings.ogc_default_limit}
    params = [
        *_common(),
        _param("limit", limit, f"Page size; above {settings.ogc_max_limit} it is clamped", explode=False),
        _param("offset", {"type": "integer", "minimum": 0, "default": 0}, "Features to skip"),
        _param("after", {"type": "integer", "minimum": 0}, "Continue after this id (the next links use it)"),
        _param(
            "bbox",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            "minx,miny,maxx,maxy in bbox-crs (CRS84 by default)",
            explode=False,
        ),
        _param("bbox-crs", crs, "CRS of bbox"),
        _param("crs", crs, "CRS of the response geometries (EPSG:4326 and EPSG:4490 are latitude first)"),
        _param("filter", {"type": "string"}, "CQL2 filter (Basic CQL2, LIKE/BETWEEN/IN, S_INTERSECTS)"),
        _param(
            "filter-lang",
            {"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"},
            "Filter language",
        ),
        _param("filter-crs", crs, "CRS of geometry literals in filter"),
        _param(
            "sortby", {"type": "array", "items": {"type": "string"}}, "+name or -name, comma-separated", explode=False
        ),
        _param("properties", {"type": "array", "items": {"type": "string"}}, "Properties to return", explode=False),
    ]
    if "updated_at" in spec.queryables:
        params.append(_param("datetime", {"type": "string"}, "Instant or interval (a/b, ../b, a/..) on updated_at"))
    if spec.filterable:
        params += [
            _param(name, property_schema(name, kind), f"Features whose {name} equals this")
            for name, kind in spec.queryables.items()
        ]
    return params


def _response(description: str, *media_types: str) -> dict[str, Any]:
    return {
        "200": {"description": description, "content": {m: {"schema": {"type": "object"}} for m in media_types}},
        "400": {"description": "Invalid or unknown parameter", "content": {JSON: {"schema": {"type": "object"}}}},
    }


def _collection_paths(spec: CollectionSpec, settings: Settings) -> dict[str, Any]:
    url = f"/collections/{spec.id}"
    return {
        url: {
            "get": {
                "summary": spec.title_en,
                "operationId": f"describe_{spec.id}",
                "parameters": _common(),
                "responses": _response("The collection", JSON, HTML),
            }
        },
        f"{url}/queryables": {
            "get": {
                "summary": f"Queryables of {spec.id}",
                "operationId": f"queryables_{spec.id}",
                "parameters": _common(),
                "responses": _response("JSON Schema", "application/schema+json", HTML),
            }
        },
        f"{url}/items": {
            "get": {
                "summary": f"Features of {spec.id}",
                "operationId": f"items_{spec.id}",
                "parameters": _items_parameters(spec, settings),
                "responses": _response("A page of features", GEOJSON, HTML),
            }
        },
        f"{url}/items/{{featureId}}": {
            "get": {
                "summary": f"One feature of {spec.id}",
                "operationId": f"item_{spec.id}",
                "parameters": [
                    {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
                    *_common(),
                    _param("crs", {"type": "string", "enum": CRS_URIS}, "CRS of the geometry"),
                ],
                "responses": {**_response("The feature", GEOJSON, HTML), "404": {"description": "No such feature"}},
            }
        },
    }


def _get(summary: str, operation: str, response: str, *media_types: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "operationId": operation,
            "parameters": _common(),
            "responses": _response(response, *media_types),
        }
    }


def document(base: str, settings: Settings) -> dict[str, Any]:
    """The whole definition, server URL `base` (…/ogc)."""
    paths: dict[str, Any] = {
        "/": _get("Landing page", "landing", "Landing page", JSON, HTML),
        "/conformance": _get("Conformance", "conformance", "Conformance classes", JSON, HTML),
        "/api": _get("This definition", "api", "OpenAPI 3.0", "application/vnd.oai.openapi+json;version=3.0"),
        "/collections": _get("Collections", "collections", "Collections", JSON, HTML),
    }
    for spec in COLLECTIONS:
        paths |= _collection_paths(spec, settings)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "geo_service OGC API – Features",
            "version": __version__,
            "description": "Trade-union facilities and districts (Parts 1, 2 and 3)",
        },
        "servers": [{"url": base}],
        "paths": paths,
    }
