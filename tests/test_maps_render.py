"""`geo-service render`: static pages with their assets, hostable without the API (both backends)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.db.engine import make_engine
from geo_service.maps.render import render_site
from geo_service.settings import Settings


def test_render_writes_the_public_map_per_district_maps_and_their_assets(loaded_db_url: str, tmp_path: Path) -> None:
    engine = make_engine(Settings(db_url=loaded_db_url, map_basemap="none"))
    try:
        written = render_site(engine, Settings(db_url=loaded_db_url, map_basemap="none"), tmp_path)
    finally:
        engine.dispose()
    assert tmp_path / "index.html" in written
    district_pages = sorted((tmp_path / "districts").glob("*.html"))
    assert len(district_pages) == 7 and len(written) == 8
    for page in written:
        html = page.read_text(encoding="utf-8")
        references = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        assert references
        for reference in references:
            if not reference.startswith("data:"):
                assert not reference.startswith(("http:", "https:", "/")), reference
                assert (page.parent / reference).is_file(), reference
        assert '"open_state":null' in html and '"open_state":"open"' not in html  # no stale open-now
        assert '"api":{}' in html


def test_render_command(loaded_db_url: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GEO_DB_URL", loaded_db_url)
    result = CliRunner().invoke(app, ["render", "--out", str(tmp_path / "site"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert '<html lang="en">' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert CliRunner().invoke(app, ["render", "--out", str(tmp_path), "--lang", "fr"]).exit_code != 0
