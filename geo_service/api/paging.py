"""limit/offset paging shared by every list endpoint (OGC API Features style links)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request

from geo_service.api.public_url import request_url
from geo_service.errors import InvalidParameter
from geo_service.settings import Settings

#: `limit` of the list endpoints; its default and cap are Settings' (checked by `check_page`), so the text
#: names the settings rather than copying their values.
PageLimit = Annotated[
    int | None,
    Query(description="page size; default GEO_DEFAULT_PAGE_SIZE, at most GEO_MAX_PAGE_SIZE (server settings)"),
]


def check_page(limit: int | None, settings: Settings) -> int:
    """The page size to use; a limit outside 1..max_page_size is a 422 naming `limit`."""
    if limit is None:
        return settings.default_page_size
    if not 1 <= limit <= settings.max_page_size:
        raise InvalidParameter("limit", f"must be between 1 and {settings.max_page_size}, got {limit}")
    return limit


def paging_links(
    request: Request, matched: int, limit: int, offset: int, media_type: str = "application/geo+json"
) -> list[dict[str, Any]]:
    """self/next/prev links that keep every other query parameter as the client sent it."""

    def link(rel: str, at: int) -> dict[str, Any]:
        href = str(request_url(request).include_query_params(limit=limit, offset=at))
        return {"rel": rel, "type": media_type, "href": href}

    links = [link("self", offset)]
    if offset + limit < matched:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(offset - limit, 0)))
    return links
