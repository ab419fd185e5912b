"""`geo-service import` and `geo-service export` on a fresh SpatiaLite file."""

from __future__ import annotations

import getpass
import io
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.db.engine import make_engine
from geo_service.queries import audit as audit_queries
from geo_service.settings import Settings
from tests.importing import stored_records, table_state
from tests.test_api_imports import fixture_rows
from tests.test_interchange_report import as_xlsx

runner = CliRunner()


def test_dry_run_report_refusal_and_skip(cli_db_url: str, tmp_path: Path) -> None:
    engine = make_engine(Settings(db_url=cli_db_url))
    path = tmp_path / "台账.xlsx"
    path.write_bytes(as_xlsx(fixture_rows()))
    before = table_state(engine)
    dry = runner.invoke(app, ["import", str(path), "--crs", "wgs84", "--dry-run", "--report", str(tmp_path / "r.xlsx")])
    assert dry.exit_code == 0, dry.output
    assert "30 rows: 20 created, 0 updated, 0 unchanged, 10 rejected" in dry.output
    assert "row 4 lat" in dry.output and "row 27 kind" in dry.output  # the first rejections are shown
    sheet = openpyxl.load_workbook(io.BytesIO((tmp_path / "r.xlsx").read_bytes())).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len({row[0] for row in values}) == 30 and ['\'=B2&"驿站"' in row for row in values].count(True) == 1
    refused = runner.invoke(app, ["import", str(path), "--crs", "wgs84"])
    assert refused.exit_code == 1 and "nothing was written" in refused.output
    assert table_state(engine) == before
    report = ["--report", str(tmp_path / "r.json")]
    done = runner.invoke(app, ["import", str(path), "--crs", "wgs84", "--skip-rejected", *report])
    assert done.exit_code == 0, done.output
    assert len(stored_records(engine)) == 20 and '"committed": true' in (tmp_path / "r.json").read_text()
    with engine.connect() as conn:
        actors = {row.actor for row in audit_queries.list_audit(conn, entity="facility", limit=100)}
    assert actors == {f"cli:{getpass.getuser()}"}
    engine.dispose()


def test_export_then_import_unchanged(cli_db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    path.write_bytes(as_xlsx(fixture_rows()))
    assert runner.invoke(app, ["import", str(path), "--crs", "wgs84", "--skip-rejected"]).exit_code == 0
    out = tmp_path / "out.gpkg"
    exported = runner.invoke(app, ["export", "--format", "gpkg", "--out", str(out), "--district", "滨城区"])
    assert exported.exit_code == 0 and "20 facilities" in exported.output and out.stat().st_size > 0
    again = runner.invoke(app, ["import", str(out), "--crs", "wgs84"])
    assert again.exit_code == 0 and "20 unchanged" in again.output


def test_bad_options_and_help(cli_db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("编码,名称,类型,区县,经度,纬度\nA,驿站,工会驿站,滨城区,117.97,37.38\n", encoding="utf-8")
    unknown_crs = runner.invoke(app, ["import", str(path), "--crs", "gcj03"])
    assert unknown_crs.exit_code == 1 and "crs" in unknown_crs.output
    assert runner.invoke(app, ["import", str(path), "--crs", "wgs84", "--report", "r.pdf"]).exit_code == 2
    assert runner.invoke(app, ["export", "--format", "pdf", "--out", str(tmp_path / "x")]).exit_code == 2
    for command in ("import", "export"):
        text = runner.invoke(app, [command, "--help"]).output
        assert "Examples:" in text and f"geo-service {command}" in text
