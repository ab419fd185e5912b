"""Response classes: GeoJSON with the registered media type, serialised by orjson (fast, NaN-safe)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

#: What the API document promises for a GeoJSON body: an object with a GeoJSON `type` (FastAPI, which
#: cannot see into a response class, would otherwise promise a string).
GEOJSON_OBJECT: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"type": "string", "enum": ["FeatureCollection", "Feature"]}},
}


def document_geojson_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with every `application/geo+json` response described as a GeoJSON object."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                body = response.get("content", {}).get(GeoJSONResponse.media_type)
                if body is not None and body.get("schema") == {"type": "string"}:
                    body["schema"] = GEOJSON_OBJECT
    return document


class GeoJSONResponse(Response):
    media_type = "application/geo+json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
