"""One-tap navigation deep links into Amap, Baidu, Tencent and OpenStreetMap.

All links carry WGS-84 coordinates and tell the vendor so (Amap `coordinate=wgs84`, Baidu
`coord_type=wgs84`, Tencent `coord_type=1`): the vendor converts to its own system, so the pin lands on
the right street instead of ~500 m off. Mind the order: Amap wants lon,lat; Baidu and Tencent lat,lon.

Links are built on the hot path of the nearest endpoint, so names are percent-encoded once
(`encode_label`, when the index is built) and the URLs are plain string formatting.
"""

from __future__ import annotations

from typing import Final, Literal
from urllib.parse import quote

TravelMode = Literal["ride", "drive", "walk"]
TRAVEL_MODES: Final[tuple[TravelMode, ...]] = ("ride", "drive", "walk")

_AMAP_MODE: Final = {"ride": "ride", "drive": "car", "walk": "walk"}
_BAIDU_MODE: Final = {"ride": "riding", "drive": "driving", "walk": "walking"}
_TENCENT_MODE: Final = {"ride": "bike", "drive": "drive", "walk": "walk"}
_OSM_ENGINE: Final = {"ride": "fossgis_osrm_bike", "drive": "fossgis_osrm_car", "walk": "fossgis_osrm_foot"}
_HERE: Final = quote("我的位置")


def encode_label(name: str) -> str:
    """Percent-encoded place name, without the `,` `|` separators the vendors' fields use."""
    cleaned = name.replace(",", " ").replace("|", " ").strip() or "目的地"
    return quote(cleaned, safe="")


def format_point(lon: float, lat: float) -> tuple[str, str]:
    """("lon,lat", "lat,lon") with 6 decimals (≈0.1 m): both orders the vendors want, formatted once."""
    return f"{lon:.6f},{lat:.6f}", f"{lat:.6f},{lon:.6f}"


def navigation_links(
    destination: tuple[str, str], label: str, *, mode: TravelMode, app: str, origin: tuple[str, str] | None = None
) -> dict[str, str]:
    """Deep links to `destination` (from format_point); `label` from encode_label, `app` URL-safe,
    `origin` the rider's position (format_point) when known."""
    to_lonlat, to_latlon = destination
    amap = f"https://uri.amap.com/navigation?to={to_lonlat},{label}&mode={_AMAP_MODE[mode]}"
    baidu = f"https://api.map.baidu.com/direction?destination=latlng:{to_latlon}|name:{label}"
    tencent = f"https://apis.map.qq.com/uri/v1/routeplan?type={_TENCENT_MODE[mode]}&to={label}&tocoord={to_latlon}"
    if origin is None:
        lat, lon = to_latlon.split(",")
        osm = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    else:
        from_lonlat, from_latlon = origin
        amap += f"&from={from_lonlat},{_HERE}"
        baidu += f"&origin=latlng:{from_latlon}|name:{_HERE}"
        tencent += f"&from={_HERE}&fromcoord={from_latlon}"
        osm = f"https://www.openstreetmap.org/directions?engine={_OSM_ENGINE[mode]}&route={from_latlon};{to_latlon}"
    return {
        "amap": f"{amap}&coordinate=wgs84&callnative=1&src={app}",
        "baidu": f"{baidu}&mode={_BAIDU_MODE[mode]}&coord_type=wgs84&output=html&src={app}",
        "tencent": f"{tencent}&coord_type=1&referer={app}",
        "osm": osm,
    }


def navigation_links_json(
    destination: tuple[str, str], label: str, *, mode: TravelMode, app: str, origin: tuple[str, str] | None = None
) -> str:
    """navigation_links as a JSON object, without a serialiser: every value is a URL made of
    percent-encoded or URL-safe characters (`app` is checked by Settings), so nothing needs escaping."""
    links = navigation_links(destination, label, mode=mode, app=app, origin=origin)
    return '{"amap":"%s","baidu":"%s","tencent":"%s","osm":"%s"}' % (  # noqa: UP031 (fastest here)
        links["amap"],
        links["baidu"],
        links["tencent"],
        links["osm"],
    )
