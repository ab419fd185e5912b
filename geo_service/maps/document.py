"""The page around a map: an HTML document with our assets (no CDN), a header, and the page script's
configuration. Each map page (public, nearby, coverage) builds on `new_page` and finishes with `render`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import folium
from branca.element import Figure
from folium.template import Template

from geo_layers.element import RawHtml, ScriptCall
from geo_layers.escape import html_text
from geo_layers.facility_markers import navigation_templates
from geo_layers.symbols import ACCESS_ICONS, AMENITY_ICONS, KIND_STYLES
from geo_service.maps import assets
from geo_service.maps.basemaps import Basemap, tile_layers
from geo_service.maps.i18n import LABELS, Lang, strings

#: full: a page of its own; embed: minimal chrome for iframes; static: exported files without the API
Chrome = Literal["full", "embed", "static"]
VIEWPORT_META: Final = '<meta name="viewport" content="width=device-width, initial-scale=1">'
_FOLIUM_VIEWPORT: Final = re.compile(r'<meta name="viewport" content="[^"]*"\s*/?>')
DEFAULT_BOUNDS = [[34.4, 114.8], [38.4, 122.7]]  # Shandong, for an empty database


@dataclass(frozen=True)
class PageContext:
    lang: Lang
    chrome: Chrome
    base: Basemap
    nav_app: str  # settings.nav_app_name: `src`/`referer` of the navigation links
    asset_base: str = "/static"  # URL prefix of assets.ASSET_DIRS (a relative path in a static export)
    links: Sequence[tuple[str, str]] = ()  # (label, href) in the header
    menu: Sequence[tuple[str, str]] = ()  # (label, href) in the header's drop-down (static district maps)
    api: Mapping[str, str] = field(default_factory=dict)  # endpoints the page script calls (none when static)

    def asset(self, path: str) -> str:
        """The URL of an asset: with its content fingerprint when the app serves it (browsers keep it for a
        year), the bare file name in a static export (files on a share or any web server)."""
        return f"{self.asset_base}/{path if self.chrome == 'static' else assets.versioned(path)}"


class _Document(Figure):
    """branca's Figure with the page's language, title and body class (all escaped)."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang }}">\n<head>\n<title>{{ this.title }}</title>\n<link rel="icon" href="data:,">\n'
        "{{ this.header.render(**kwargs) }}\n</head>\n"
        '<body class="{{ this.body_class }}">\n{{ this.bar }}<main class="gm-main">\n{{ this.html.render(**kwargs) }}\n'
        "</main>\n</body>\n"
        "<script>\n{{ this.script.render(**kwargs) }}\n</script>\n</html>\n"
    )

    def __init__(self, lang: Lang, title: str, body_class: str) -> None:
        super().__init__()
        self.lang = "zh-CN" if lang == "zh" else "en"
        self.title = html_text(title)
        self.body_class = html_text(body_class)
        self.bar = ""  # the header (already escaped HTML), outside the page's <main>


def new_page(
    ctx: PageContext,
    kind: str,
    title: str,
    bounds: list[list[float]] | None,
    scripts: Sequence[str] = (),
    heading: str | None = None,
    stylesheets: Sequence[str] = (),
    base: tuple[Sequence[str], Sequence[str]] = (assets.SCRIPTS, assets.STYLESHEETS),
) -> tuple[Figure, folium.Map]:
    """An empty map page of `kind` (public, nearby, coverage) framed on `bounds` ([[s, w], [n, e]]), loading
    the `base` (scripts, stylesheets) plus `scripts` and `stylesheets` (paths under the asset base);
    `heading` is a shorter title for the header."""
    document = _Document(ctx.lang, title, f"gm-page gm-{kind} gm-chrome-{ctx.chrome}")
    frame = bounds or DEFAULT_BOUNDS
    centre = [(frame[0][0] + frame[1][0]) / 2, (frame[0][1] + frame[1][1]) / 2]
    fmap = folium.Map(location=centre, zoom_start=9, tiles=None, zoom_control="bottomright", maxZoom=18)
    fmap.default_js = [(path, ctx.asset(path)) for path in (*base[0], *scripts)]
    fmap.default_css = [(path, ctx.asset(path)) for path in (*base[1], *stylesheets)]
    document.add_child(fmap)
    if ctx.chrome != "embed":
        document.bar = _header(ctx, heading or title)
    else:  # no header bar: the page still has its title as a heading, for screen readers
        document.html.add_child(RawHtml(f'<h1 class="gm-sr-only">{html_text(heading or title)}</h1>'))
    for tiles in tile_layers(ctx.base):
        tiles.add_to(fmap)
    ScriptCall("page", _page_config(ctx, kind, frame)).add_to(fmap)
    return document, fmap


def render(document: Figure, fmap: folium.Map) -> str:
    """The HTML document; `GeoMaps.ready` runs after every layer was added."""
    ScriptCall("ready", {}).add_to(fmap)
    return _zoomable(str(document.render()))


def _zoomable(html: str) -> str:
    """folium's viewport forbids pinch-zoom (maximum-scale=1, user-scalable=no), which people with low
    vision need on a phone: the page lets them zoom."""
    page, count = _FOLIUM_VIEWPORT.subn(VIEWPORT_META, html, count=1)
    if count != 1:
        raise RuntimeError("folium's viewport <meta> was not found; the page would not be zoomable")
    return page


def _header(ctx: PageContext, title: str) -> str:
    words = strings(ctx.lang)
    links = "".join(f'<a href="{html_text(href)}">{html_text(label)}</a>' for label, href in ctx.links)
    menu = ""
    if ctx.menu:
        items = "".join(f'<a href="{html_text(href)}">{html_text(label)}</a>' for label, href in ctx.menu)
        menu = f'<details class="gm-menu"><summary>{html_text(words["districts"])}</summary>{items}</details>'
    return (
        f'<header class="gm-bar"><h1 class="gm-title">{html_text(title)}</h1>'
        f'<nav class="gm-links">{menu}{links}</nav></header>'
    )


def symbols(lang: Lang) -> dict[str, Any]:
    """Labels, colours and icons of every code, for cards, markers and legends."""
    labels = LABELS[lang]
    return {
        "kinds": {
            code: {"label": labels["kinds"][code], "color": style.color, "icon": style.icon}
            for code, style in KIND_STYLES.items()
        },
        "amenities": {code: {"label": labels["amenities"][code], "icon": icon} for code, icon in AMENITY_ICONS.items()},
        "access": {code: {"label": labels["access"][code], "icon": icon} for code, icon in ACCESS_ICONS.items()},
        "statuses": dict(labels["statuses"]),
    }


def _page_config(ctx: PageContext, kind: str, bounds: list[list[float]]) -> dict[str, Any]:
    return {
        "kind": kind,
        "lang": ctx.lang,
        "chrome": ctx.chrome,
        "crs": ctx.base.crs,
        "bounds": bounds,
        "strings": dict(strings(ctx.lang)),
        "symbols": symbols(ctx.lang),
        "api": dict(ctx.api),
        "links": [list(link) for link in ctx.links] if ctx.chrome == "embed" else [],
        "nav": navigation_templates(ctx.nav_app),
    }
