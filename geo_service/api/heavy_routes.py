"""Heavy answers as responses: computed in an analysis process (geo_service.services.heavy) and gzipped
there when the client takes gzip, so the event loop only sends bytes (compressing a 0.3–0.7 MB map page
costs 5–15 ms, which nearest and /healthz would otherwise wait behind). The compression layers
(geo_service.api.compression, the map routes' GZipMiddleware) leave an encoded response as it is."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from geo_service.api.compression import accepts_gzip
from geo_service.services.heavy import HeavyWork, Resources

_GZIP_WBITS = 16 + zlib.MAX_WBITS


async def answer(
    request: Request, heavy: HeavyWork, work: Callable[..., Response], *args: Any, level: int | None = None
) -> Response:
    """`work(resources, *args)` in an analysis process; gzipped at `level` (default GEO_COMPRESS_LEVEL)."""
    gzip_ok = accepts_gzip(request.scope["headers"])
    return await heavy.run(_compressed, work, args, gzip_ok, level)


def _compressed(
    res: Resources, work: Callable[..., Response], args: tuple[Any, ...], gzip_ok: bool, level: int | None
) -> Response:
    response = work(res, *args)
    if not gzip_ok or len(response.body) < res.settings.compress_min_bytes:
        return response
    compressor = zlib.compressobj(res.settings.compress_level if level is None else level, zlib.DEFLATED, _GZIP_WBITS)
    body = compressor.compress(bytes(response.body)) + compressor.flush()
    headers = {name: value for name, value in response.headers.items() if name != "content-length"}
    headers |= {"content-encoding": "gzip", "vary": "Accept-Encoding"}
    return Response(body, status_code=response.status_code, headers=headers)
