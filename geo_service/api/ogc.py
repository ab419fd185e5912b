"""OGC API – Features at /ogc (Parts 1, 2 and 3) and, through `install`, the vector tiles at /tiles.

Routes read their query strings strictly (api/ogc_params.py), call the feature service, and answer
GeoJSON/JSON or, for browsers and `f=html`, an HTML page rendered from the same document
(geo_layers/ogc_html.py, Chinese first, `lang=en` for English).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from geo_layers import ogc_features, ogc_html
from geo_service.api import ogc_docs, ogc_openapi, tiles
from geo_service.api.deps import ConnectionDep
from geo_service.api.ogc_params import ITEM, ITEMS, Query, items_request, read_query
from geo_service.api.page_policy import page_policy
from geo_service.api.public_url import base_url, request_url
from geo_service.api.reads import idle_connection, read_connection
from geo_service.services.features import CheckedItems, FeatureService, ItemsPage, check_items
from geo_service.services.ogc_catalog import COLLECTIONS, CollectionSpec, collection
from geo_service.settings import Settings

router = APIRouter(prefix="/ogc", tags=["OGC API – Features"])
_COMMON = ("f", "lang")


def install(app: FastAPI, settings: Settings) -> None:
    """Add the OGC API and the vector tiles to `app` (one line in create_app)."""
    app.state.features = FeatureService(settings)
    app.include_router(router)
    tiles.install(app, settings)


def _service(request: Request) -> FeatureService:
    service: FeatureService = request.app.state.features
    return service


def _urls(request: Request) -> tuple[str, str]:
    """(the OGC API's base URL, the app's root URL), honouring a proxy's root path."""
    root = base_url(request)
    return f"{root}/ogc", root


def _answer(query: Query, doc: dict[str, Any], page: str, media_type: str = ogc_docs.JSON, **headers: str) -> Response:
    if query.format == "html":  # its one inline <style> allowed by hash, nothing else inline
        html = ogc_html.render(page, doc, query.lang)
        policy = page_policy(html, frame_ancestors="'none'", tile_hosts=())
        return HTMLResponse(html, headers={**headers, "Content-Security-Policy": policy, "X-Frame-Options": "DENY"})
    return Response(orjson.dumps(doc, option=ogc_features.JSON_OPTIONS), media_type=media_type, headers=headers)


@router.get("", summary="Landing page")
def landing(request: Request) -> Response:
    query = read_query(request, _COMMON)
    base, root = _urls(request)
    return _answer(query, ogc_docs.landing(base, root, query.lang), "landing")


@router.get("/conformance", summary="Conformance classes implemented")
def conformance(request: Request) -> Response:
    query = read_query(request, _COMMON)
    base, _root = _urls(request)
    doc = {"links": ogc_docs.self_links(f"{base}/conformance"), "conformsTo": list(ogc_docs.CONFORMANCE)}
    return _answer(query, doc, "conformance")


@router.get("/api", summary="OpenAPI 3.0 definition of the OGC API")
def openapi(request: Request) -> Response:
    query = read_query(request, _COMMON)
    base, _root = _urls(request)
    settings: Settings = request.app.state.settings
    doc = ogc_openapi.document(base, settings)
    if query.format == "html":
        return _answer(query, doc, "openapi")
    return Response(orjson.dumps(doc), media_type=ogc_docs.OPENAPI)


@router.get("/collections", summary="The collections")
def collections(request: Request, conn: ConnectionDep) -> Response:
    query = read_query(request, _COMMON)
    base, root = _urls(request)
    service = _service(request)
    docs = [ogc_docs.collection_doc(s, base, root, query.lang, service.extent(conn, s)) for s in COLLECTIONS]
    return _answer(query, ogc_docs.collections_doc(base, docs), "collections")


@router.get("/collections/{collection_id}", summary="One collection")
def one_collection(collection_id: str, request: Request, conn: ConnectionDep) -> Response:
    query = read_query(request, _COMMON)
    spec = collection(collection_id)
    base, root = _urls(request)
    doc = ogc_docs.collection_doc(spec, base, root, query.lang, _service(request).extent(conn, spec))
    return _answer(query, doc, "collection")


@router.get("/collections/{collection_id}/queryables", summary="Queryables (JSON Schema)")
def queryables(collection_id: str, request: Request) -> Response:
    query = read_query(request, _COMMON)
    base, _root = _urls(request)
    doc = ogc_docs.queryables_doc(collection(collection_id), base)
    return _answer(query, doc, "queryables", "application/schema+json")


def _read_items(request: Request, spec: CollectionSpec, checked: CheckedItems) -> ItemsPage:
    with read_connection(request.app.state.engine) as conn:
        return _service(request).page(conn, spec, checked)


#: pages up to this many features, needing no scan, are read on the event loop; others in a thread
_INLINE_LIMIT = 100


@router.get("/collections/{collection_id}/items", summary="Features of a collection")
async def items(collection_id: str, request: Request) -> Response:
    """Async on purpose: a small page of stored features takes a millisecond or two of database time, less
    than the two hops to the thread pool a sync route with a connection dependency costs (DESIGN §6b). A
    large page (its database time as long as its encoding), a filtered page whose matches must first be
    scanned and the computed gaps are read in a thread, so the loop serves other requests (and the
    database other queries) while one waits on the database; so is every page when no pooled connection
    is idle (the loop never waits for the pool)."""
    spec = collection(collection_id)
    query = read_query(request, ITEMS, spec.queryables)
    service = _service(request)
    checked = check_items(spec, items_request(query, spec.queryables), service.settings)
    base, _root = _urls(request)
    if service.quick(spec, checked, _INLINE_LIMIT) and idle_connection(request.app.state.engine):
        return _items_answer(request, spec, query, checked, base)
    return await asyncio.to_thread(_items_answer, request, spec, query, checked, base)


def _items_answer(request: Request, spec: CollectionSpec, query: Query, checked: CheckedItems, base: str) -> Response:
    page = _read_items(request, spec, checked)
    doc = ogc_features.feature_collection(_features(page), page.matched, _page_links(request, page, base))
    return _answer(query, doc, "items", ogc_docs.GEOJSON, **{"Content-Crs": f"<{page.crs.uri}>"})


@router.get("/collections/{collection_id}/items/{item_id}", summary="One feature")
def item(collection_id: str, item_id: str, request: Request, conn: ConnectionDep) -> Response:
    spec = collection(collection_id)
    query = read_query(request, ITEM)
    page = _service(request).item(conn, spec, item_id, query.get("crs"))
    base, _root = _urls(request)
    feature = _features(page)[0]
    url = f"{base}/collections/{spec.id}/items/{item_id}"
    feature["links"] = [
        *ogc_docs.self_links(url, ogc_docs.GEOJSON),
        ogc_docs.link(f"{base}/collections/{spec.id}", "collection", ogc_docs.JSON),
    ]
    return _answer(query, feature, "item", ogc_docs.GEOJSON, **{"Content-Crs": f"<{page.crs.uri}>"})


def _features(page: ItemsPage) -> list[dict[str, Any]]:
    if page.collection.source == "facilities":
        return ogc_features.facility_features(page.rows, page.columns, page.crs, page.select)
    if page.collection.source == "districts":
        return ogc_features.district_features(page.rows, page.crs, page.select)
    return ogc_features.gap_features(page.rows, page.crs, page.select)


def _page_links(request: Request, page: ItemsPage, base: str) -> list[dict[str, str]]:
    plain = request_url(request).remove_query_params("f")
    links = [
        ogc_docs.link(str(plain.include_query_params(f="json")), "self", ogc_docs.GEOJSON),
        ogc_docs.link(str(plain.include_query_params(f="html")), "alternate", ogc_docs.HTML),
        ogc_docs.link(f"{base}/collections/{page.collection.id}", "collection", ogc_docs.JSON),
    ]
    url = request_url(request)  # next and prev keep the format the client chose
    if page.next_after is not None:
        target = url.remove_query_params("offset").include_query_params(after=page.next_after, limit=page.limit)
        links.append(ogc_docs.link(str(target), "next", ogc_docs.GEOJSON))
    elif page.next_offset is not None:
        links.append(
            ogc_docs.link(
                str(url.include_query_params(offset=page.next_offset, limit=page.limit)), "next", ogc_docs.GEOJSON
            )
        )
    if page.offset > 0 and not request.query_params.get("after"):
        previous = max(page.offset - page.limit, 0)
        links.append(
            ogc_docs.link(str(url.include_query_params(offset=previous, limit=page.limit)), "prev", ogc_docs.GEOJSON)
        )
    return links
