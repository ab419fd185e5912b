"""The geo-service command line on a fresh SpatiaLite file (the embedded default)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.data_files import SAMPLE_FACILITIES
from geo_service.db import migrate
from geo_service.db.engine import make_engine
from geo_service.settings import Settings
from tests.databases import DATA_DIR

runner = CliRunner()


def test_init_twice_then_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("GEO_DB_URL", url)
    first = runner.invoke(app, ["init"])
    second = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    expected = len(json.loads((DATA_DIR / SAMPLE_FACILITIES).read_text(encoding="utf-8"))["features"])
    assert f"sample facilities: {expected} new, 0 existing" in first.output
    assert f"sample facilities: 0 new, {expected} existing" in second.output
    engine = make_engine(Settings(db_url=url))
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_db_downgrade_and_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEO_DB_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    down = runner.invoke(app, ["db", "downgrade", "base"])
    assert down.exit_code == 0 and "at revision None" in down.output


def test_missing_data_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEO_DB_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    monkeypatch.setenv("GEO_DATA_DIR", str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 1
    assert "cannot read GeoJSON" in result.output


@pytest.mark.parametrize(
    "command",
    [[], ["init"], ["serve"], ["load-sample"], ["db", "upgrade"], ["db", "downgrade"], ["coverage"], ["plan"]],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_coverage_and_plan_write_their_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas as gpd
    import pandas as pd

    monkeypatch.setenv("GEO_DB_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    assert runner.invoke(app, ["init"]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(app, ["coverage", "--preset", "walk-15", "--district", "阳信县", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = pd.read_excel(out / "summary.xlsx", sheet_name="区县汇总")
    assert list(summary["区县"]) == ["阳信县", "合计"]
    assert len(gpd.read_file(out / "gaps.gpkg")) == 1
    result = runner.invoke(
        app, ["plan", "--count", "3", "--preset", "walk-15", "--district", "阳信县", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    sites = gpd.read_file(out / "sites.geojson")
    assert list(sites["rank"]) == [1, 2, 3] and (out / "plan.html").stat().st_size > 1000
    table = pd.read_excel(out / "sites.xlsx", sheet_name="建议新址")
    assert list(table["序号"]) == [1, 2, 3] and set(table["区县"]) == {"阳信县"}


def test_plan_rejects_a_bad_radius_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEO_DB_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    runner.invoke(app, ["init"])
    result = runner.invoke(app, ["plan", "--count", "3", "--radius-m", "-5", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "radius_m" in result.output


@pytest.mark.parametrize(
    ("arguments", "shown"),
    [
        (["--count", "0"], "count: Input should be greater than or equal to 1"),
        (["--solver", "fastest"], "solver: Input should be 'auto', 'greedy' or 'exact'"),
        (["--demand", "{demand}"], "demand: 不是有效的 GeoJSON"),
    ],
)
def test_plan_checks_its_spec_before_solving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str], shown: str
) -> None:
    """The options and files become one PlanSpec: a bad one stops with the field named (no database needed)."""
    monkeypatch.setenv("GEO_DB_URL", f"sqlite:///{tmp_path / 'never-opened.sqlite'}")
    demand = tmp_path / "demand.geojson"
    demand.write_text(json.dumps({"type": "Feature"}), encoding="utf-8")
    argv = ["plan", *(a.format(demand=demand) for a in arguments), "--out", str(tmp_path / "out")]
    result = runner.invoke(app, argv, terminal_width=200)
    assert result.exit_code == 1 and shown in result.output
    assert not (tmp_path / "never-opened.sqlite").exists() and not (tmp_path / "out").exists()


def test_preset_help_lists_every_preset() -> None:
    from geo_service.services.study_area import PRESETS

    for command in ("plan", "coverage"):
        output = runner.invoke(app, [command, "--help"], terminal_width=200).output
        assert all(name in output for name in PRESETS), command
