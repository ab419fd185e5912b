"""Response classes: GeoJSON with the registered media type, serialised by orjson (fast, NaN-safe)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response


class GeoJSONResponse(Response):
    media_type = "application/geo+json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
