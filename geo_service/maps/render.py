"""Static export: the public map of the whole area and one per district, with their assets, as files
any web server (or a file share) can host without the API.

Exported pages embed their facilities (no viewport loading, no search API) and leave open/closed out:
it would be stale by the time someone reads it. Opening hours are shown instead.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine

from geo_service.maps import assets
from geo_service.maps.basemaps import basemap
from geo_service.maps.data import MapQuery
from geo_service.maps.document import PageContext
from geo_service.maps.i18n import Lang, strings
from geo_service.maps.pages import public_page
from geo_service.services import facilities as facility_service
from geo_service.settings import Settings


def render_site(engine: Engine, settings: Settings, out: Path, lang: Lang = "zh") -> list[Path]:
    """Write index.html, districts/<adcode>.html and assets/ under `out`; returns the pages written."""
    with engine.connect() as conn:
        districts = [(row["adcode"], row["name"]) for row in facility_service.district_outlines(conn)]
        top = PageContext(lang, "static", basemap(settings), settings.nav_app_name, "assets")
        top = replace(top, menu=[(name, f"districts/{adcode}.html") for adcode, name in districts])
        written = [_write(out / "index.html", public_page(conn, settings, top, MapQuery()))]
        whole = (strings(lang)["whole_city"], "../index.html")
        menu = [whole, *((name, f"{adcode}.html") for adcode, name in districts)]
        sub = replace(top, asset_base="../assets", menu=menu)
        for adcode, _name in districts:
            html = public_page(conn, settings, sub, MapQuery(districts=(adcode,)))
            written.append(_write(out / "districts" / f"{adcode}.html", html))
    assets.copy_assets(out / "assets")
    return written


def _write(path: Path, html: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
