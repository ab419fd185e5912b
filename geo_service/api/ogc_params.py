"""Query strings of the OGC API routes, read strictly: a parameter the endpoint does not know, or one given
twice, is a 400 (OGC API – Features Part 1, "parameters not specified in the API definition"), and the
output format is chosen by `f` or, without it, by the Accept header."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

from geo_service.api.query_params import parse_query
from geo_service.errors import BadRequest
from geo_service.services.features import ItemsRequest

Format = Literal["json", "html"]
Lang = Literal["zh", "en"]
#: parameters every OGC route accepts
COMMON = ("f", "lang")
ITEMS = (
    *COMMON,
    "limit",
    "offset",
    "after",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "sortby",
    "properties",
)
ITEM = (*COMMON, "crs")


@dataclass(frozen=True)
class Query:
    """A query string checked against the endpoint's parameters: single values, format and language."""

    values: Mapping[str, str]
    format: Format
    lang: Lang

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def read_query(request: Request, allowed: Collection[str], extra: Collection[str] = ()) -> Query:
    """The query string of `request`; `extra` are more names allowed (a collection's queryables)."""
    values: dict[str, str] = {}
    for name, given in parse_query(request.scope.get("query_string", b"")).items():
        if name not in allowed and name not in extra:
            raise BadRequest(name, "未知参数 (unknown query parameter)", code="InvalidParameter")
        if len(given) > 1:
            raise BadRequest(name, "参数重复 (given more than once)")
        values[name] = given[0]
    return Query(values, _format(values.get("f"), request.headers.get("accept", "")), _lang(values.get("lang")))


def _format(f: str | None, accept: str) -> Format:
    if f is not None:
        if f in ("json", "geojson", "application/json", "application/geo+json"):
            return "json"
        if f in ("html", "text/html"):
            return "html"
        raise BadRequest("f", f"需要 json 或 html (must be json or html, got {f!r})")
    head = accept.split(",")[0].strip().lower()
    return "html" if head.startswith("text/html") else "json"


def _lang(raw: str | None) -> Lang:
    if raw is None or raw == "" or raw == "zh":
        return "zh"
    if raw == "en":
        return "en"
    raise BadRequest("lang", f"需要 zh 或 en (must be zh or en, got {raw!r})")


def items_request(query: Query, queryables: Collection[str]) -> ItemsRequest:
    """The items parameters as the service takes them; the remaining names are property conditions."""
    get = query.get
    return ItemsRequest(
        limit=get("limit"),
        offset=get("offset"),
        after=get("after"),
        bbox=get("bbox"),
        bbox_crs=get("bbox-crs"),
        crs=get("crs"),
        datetime=get("datetime"),
        filter=get("filter"),
        filter_lang=get("filter-lang"),
        filter_crs=get("filter-crs"),
        sortby=get("sortby"),
        select=get("properties"),
        conditions={name: value for name, value in query.values.items() if name in queryables and name not in ITEMS},
    )
