"""`geo-service network build` on the real extracts, its errors, and a running service picking up a file
built after it started (the build never runs in the service)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo_service.analysis import road_graph
from geo_service.analysis.road_profiles import PROFILES, maxspeed_kmh
from geo_service.app import create_app
from geo_service.cli import app
from geo_service.errors import DataFileError
from geo_service.services import network_build
from geo_service.settings import Settings
from tests.road_support import EXTRACTS, write_network

runner = CliRunner()


def test_cli_builds_every_profile_and_the_file_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "roads" / "network.npz"
    result = runner.invoke(
        app, ["network", "build", str(EXTRACTS["test"]), "--profiles", "walk,truck", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "walk:" in result.output and "truck:" in result.output and "OpenStreetMap" in result.output
    stored = road_graph.load(out)
    assert list(stored.graphs) == ["walk", "truck"] and stored.meta["source"] == "test.osm.pbf"
    assert len(stored.meta["source_sha256"]) == 64 and stored.meta["built_at"]
    walk = stored.graphs["walk"]
    assert walk.node_count > 100 and np.all(walk.length_m > 0) and np.all(walk.time_s > 0)
    # walking at 5 km/h everywhere: time is length / (5 / 3.6)
    np.testing.assert_allclose(walk.time_s, walk.length_m / (5 / 3.6))


def test_help_teaches() -> None:
    result = runner.invoke(app, ["network", "build", "--help"])
    assert result.exit_code == 0 and "osm.pbf" in result.output and "--profiles" in result.output


@pytest.mark.parametrize(
    ("content", "profiles", "message"),
    [
        (b"this is not a protobuf file at all" * 10, "drive", "not a readable OpenStreetMap PBF"),
        (None, "drive", "no such file"),
        (b"", "boat", "choose from"),
    ],
)
def test_cli_errors_are_clear(tmp_path: Path, content: bytes | None, profiles: str, message: str) -> None:
    extract = tmp_path / "extract.osm.pbf"
    if content is not None:
        extract.write_bytes(content)
    out = tmp_path / "network.npz"
    result = runner.invoke(app, ["network", "build", str(extract), "--profiles", profiles, "--out", str(out)])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_an_extract_without_usable_roads_is_an_empty_network() -> None:
    ways = network_build.read_extract(EXTRACTS["test"])
    footpaths = dataclasses.replace(ways, tags=ways.tags.assign(highway="footway"))
    with pytest.raises(DataFileError, match="empty network"):
        network_build.profile_graph(footpaths, PROFILES["drive"])


def test_maxspeed_parsing() -> None:
    import pandas as pd

    parsed = maxspeed_kmh(pd.Series(["50", "30 mph", "CN:urban", None, "60;80", "none"]))
    np.testing.assert_allclose(parsed, [50, 30 * 1.609344, np.nan, np.nan, 60, np.nan])


def test_a_running_service_picks_up_a_network_built_after_it_started(loaded_db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "network.npz"
    settings = Settings(db_url=loaded_db_url, network_path=path, index_refresh_s=0.05)
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").json()["road_network"] is None
        write_network(path)
        deadline = time.monotonic() + 60
        while client.get("/readyz").json()["road_network"] is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/readyz").json()["road_network"]["path"] == str(path)
