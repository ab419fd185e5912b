"""Basemaps from settings: OSM (default), Tianditu (key + 审图号), Amap (GCJ-02 tiles) or none (offline).

A basemap also fixes the coordinates overlays are drawn in (geo_layers.display): GCJ-02 for Amap, WGS-84
otherwise. Attributions are built from constants and escaped settings, because Leaflet inserts them as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import folium
import xyzservices

from geo_layers.display import DisplayCrs
from geo_layers.escape import html_text
from geo_service.settings import Settings

# a transparent 1×1 GIF: a tile that fails to load shows nothing instead of a broken-image icon
BLANK_TILE: Final = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
_TIANDITU: Final = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
_AMAP: Final = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"


@dataclass(frozen=True)
class Tiles:
    url: str
    attribution: str  # HTML
    subdomains: str = "abc"
    max_zoom: int = 19


@dataclass(frozen=True)
class Basemap:
    name: str
    crs: DisplayCrs
    tiles: tuple[Tiles, ...]


def basemap(settings: Settings) -> Basemap:
    """The configured basemap; a Tianditu basemap without a key is a configuration error (raised at start-up)."""
    name = settings.map_basemap
    if name == "none":
        return Basemap(name, "wgs84", ())
    if name == "amap":
        return Basemap(name, "gcj02", (Tiles(_AMAP, "&copy; 高德地图 AutoNavi", "1234", 18),))
    if name == "tianditu":
        if not settings.map_tianditu_key:
            raise ValueError("GEO_MAP_BASEMAP=tianditu needs GEO_MAP_TIANDITU_KEY (a Tianditu browser key)")
        attribution = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a> 审图号：' + html_text(
            settings.map_tianditu_review_number
        )
        urls = [_TIANDITU.format(s="{s}", layer=layer, key=settings.map_tianditu_key) for layer in ("vec", "cva")]
        return Basemap(name, "wgs84", tuple(Tiles(url, attribution, "01234567", 18) for url in urls))
    osm = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    return Basemap(name, "wgs84", (Tiles(settings.map_osm_tile_url, osm),))


def tile_layers(base: Basemap) -> list[folium.TileLayer]:
    """folium tile layers; a failed tile is blank, and the page script tells the user once. A tile URL
    is handed over as an xyzservices provider (the same URL comes out): given a string, folium first
    searches xyzservices' whole list of providers for that name, ~2 ms a layer on every page."""
    return [
        folium.TileLayer(
            _provider(tiles),
            attr=tiles.attribution,
            subdomains=tiles.subdomains,
            max_zoom=tiles.max_zoom,
            control=False,
            error_tile_url=BLANK_TILE,
            class_name="gm-tiles",
        )
        for tiles in base.tiles
    ]


def _provider(tiles: Tiles) -> xyzservices.TileProvider | str:
    """The provider folium turns back into this very URL, or the URL itself when it would not (a
    placeholder the provider tries to fill, such as a TMS server's {-y})."""
    provider = xyzservices.TileProvider(name="basemap", url=tiles.url, attribution=tiles.attribution)
    try:
        same = provider.build_url(fill_subdomain=False, scale_factor="{r}") == tiles.url
    except (KeyError, IndexError, ValueError):
        same = False
    return provider if same else tiles.url
