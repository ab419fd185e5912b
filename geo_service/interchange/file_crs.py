"""The CRS a file states (.prj WKT, a GeoPackage srs, a GeoJSON `crs` name), as one short text.

Known authority codes become `EPSG:4326` / `OGC:CRS84`; a CRS without one stays WKT; text pyproj cannot
read is kept verbatim, so `coords.resolve_crs` can name it when it refuses it.
"""

from __future__ import annotations

from pyproj import CRS
from pyproj.exceptions import CRSError


def normalise_crs(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        return text
    authority = crs.to_authority(min_confidence=90)
    return f"{authority[0]}:{authority[1]}" if authority else crs.to_wkt()
