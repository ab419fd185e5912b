"""The JSON documents of OGC API – Features: landing page, conformance, collections, queryables, and the
links every document carries (each also offered as HTML, rendered from the same document)."""

from __future__ import annotations

from typing import Any, Final

from geo_service import vocab
from geo_service.analysis.ogc_crs import CRS84, SUPPORTED
from geo_service.queries.cql import FieldType
from geo_service.services.ogc_catalog import COLLECTIONS, CollectionSpec
from geo_service.services.ogc_collections import Extent

_CONF = "http://www.opengis.net/spec"
CONFORMANCE: Final = (
    f"{_CONF}/ogcapi-features-1/1.0/conf/core",
    f"{_CONF}/ogcapi-features-1/1.0/conf/oas30",
    f"{_CONF}/ogcapi-features-1/1.0/conf/html",
    f"{_CONF}/ogcapi-features-1/1.0/conf/geojson",
    f"{_CONF}/ogcapi-features-2/1.0/conf/crs",
    f"{_CONF}/ogcapi-features-3/1.0/conf/queryables",
    f"{_CONF}/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    f"{_CONF}/ogcapi-features-3/1.0/conf/filter",
    f"{_CONF}/ogcapi-features-3/1.0/conf/features-filter",
    f"{_CONF}/cql2/1.0/conf/cql2-text",
    f"{_CONF}/cql2/1.0/conf/cql2-json",
    f"{_CONF}/cql2/1.0/conf/basic-cql2",
    f"{_CONF}/cql2/1.0/conf/advanced-comparison-operators",
    f"{_CONF}/cql2/1.0/conf/basic-spatial-functions",
    f"{_CONF}/cql2/1.0/conf/basic-spatial-functions-plus",
)
GEOJSON: Final = "application/geo+json"
JSON: Final = "application/json"
HTML: Final = "text/html"
OPENAPI: Final = "application/vnd.oai.openapi+json;version=3.0"
CRS_URIS: Final = [crs.uri for crs in SUPPORTED]
_ENUMS: Final = {
    "kind": tuple(vocab.KINDS),
    "status": tuple(vocab.STATUSES),
    "access_method": tuple(vocab.ACCESS_METHODS),
    "host_type": tuple(vocab.HOST_TYPES),
    "level": ("province", "city", "district"),
}
_TEXT: Final = {
    "zh": {
        "title": "工会服务设施 OGC API",
        "description": "工会驿站、职工疗休养基地、矛盾纠纷调解中心及行政区，按 OGC API – Features 标准提供",
    },
    "en": {
        "title": "Trade-union facilities OGC API",
        "description": "Service stations, rest bases, mediation centres and districts through OGC API – Features",
    },
}


def link(href: str, rel: str, media_type: str, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": media_type}
    if title:
        out["title"] = title
    return out


def self_links(url: str, json_type: str = JSON) -> list[dict[str, str]]:
    """self (JSON) and alternate (HTML) of a document at `url` (without query string)."""
    return [link(f"{url}?f=json", "self", json_type), link(f"{url}?f=html", "alternate", HTML)]


def landing(base: str, root: str, lang: str) -> dict[str, Any]:
    text = _TEXT["en" if lang == "en" else "zh"]
    return {
        "title": text["title"],
        "description": text["description"],
        "links": [
            *self_links(base),
            link(f"{base}/api", "service-desc", OPENAPI, "OpenAPI 3.0"),
            link(f"{root}/docs", "service-doc", HTML, "API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "Conformance"),
            link(f"{base}/collections", "data", JSON, "Collections"),
        ],
    }


def collection_doc(spec: CollectionSpec, base: str, root: str, lang: str, extent: Extent) -> dict[str, Any]:
    url = f"{base}/collections/{spec.id}"
    links = [
        *self_links(url),
        link(f"{url}/items?f=json", "items", GEOJSON, "Items (GeoJSON)"),
        link(f"{url}/items?f=html", "items", HTML, "Items (HTML)"),
        link(f"{url}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json"),
    ]
    if spec.has_tiles:
        links.append(link(f"{root}/tiles/{spec.id}.json", "describedby", JSON, "TileJSON 3.0 (vector tiles)"))
    doc: dict[str, Any] = {
        "id": spec.id,
        "title": spec.title(lang),
        "description": spec.description(lang),
        "itemType": "feature",
        "crs": CRS_URIS,
        "storageCrs": CRS84.uri,
        "links": links,
        "extent": {"spatial": {"bbox": [list(extent.bbox)] if extent.bbox else [], "crs": CRS84.uri}},
    }
    if extent.interval is not None:
        doc["extent"]["temporal"] = {
            "interval": [list(extent.interval)],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return doc


def collections_doc(base: str, docs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"links": self_links(f"{base}/collections"), "collections": docs, "crs": CRS_URIS}


def property_schema(name: str, kind: FieldType) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"} if kind in ("date", "datetime") else {"type": kind}
    if kind == "date":
        schema["format"] = "date"
    elif kind == "datetime":
        schema["format"] = "date-time"
    if name in _ENUMS:
        schema["enum"] = list(_ENUMS[name])
    return schema


def queryables_doc(spec: CollectionSpec, base: str) -> dict[str, Any]:
    """Part 3 queryables as JSON Schema: every property a filter may name, and the geometry."""
    url = f"{base}/collections/{spec.id}/queryables"
    properties = {name: {"title": name, **property_schema(name, kind)} for name, kind in spec.queryables.items()}
    properties["geometry"] = {
        "title": "geometry",
        "format": f"geometry-{spec.geometry_type.lower()}",
        "x-ogc-role": "primary-geometry",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": spec.title("en"),
        "properties": properties,
        "additionalProperties": False,
    }


def all_collections() -> tuple[CollectionSpec, ...]:
    return COLLECTIONS
