"""The import service on both backends: upserts by code (created / updated / unchanged, ids kept,
absent columns kept), the batch, its links and its audit rows; the district rules; who may write what;
GCJ-02 positions; the signs of a mislabelled coordinate system.

Points near district borders are found from the boundary files with shapely and measured in UTM 50N
(pyproj), independently of the service's own frames.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import eviltransform
import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from sqlalchemy import Engine, select, update

from geo_service import data_files
from geo_service.analysis import crs as our_crs
from geo_service.authorization import AuditContext, Principal
from geo_service.db.models import Facility, ImportBatch
from geo_service.errors import Conflict, Forbidden, ImportRejected, InvalidParameter, Unauthenticated
from geo_service.queries import audit as audit_queries
from geo_service.services import imports
from geo_service.services.import_report import ImportReport
from geo_service.settings import Settings
from tests.importing import data_revision, seed, stored_records, table_state

GEOD = Geod(ellps="WGS84")
UTM = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = data_files.read_sample_facilities(DATA)
NAMES = {d.adcode: d.name for d in data_files.read_districts(DATA)}
OUTLINES = {d.adcode: shapely.from_wkt(d.wkt) for d in data_files.read_districts(DATA) if d.level == "district"}
POLICY = imports.ImportPolicy.from_settings(Settings())
ADMIN = Principal("user:admin", "admin")
EDITOR = Principal("user:wang", "editor", frozenset({"371602"}))
HEADERS = ("编码", "名称", "类型", "区县", "经度", "纬度")


@pytest.fixture
def engine(empty_engine: Engine) -> Iterator[Engine]:
    seed(empty_engine)
    yield empty_engine


def csv_bytes(rows: list[list[object]], headers: tuple[str, ...] = HEADERS) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([[repr(v) if isinstance(v, float) else v for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8")


def run(
    engine: Engine, principal: Principal | None, data: bytes, crs: str = "wgs84", **options: object
) -> ImportReport:
    request = imports.ImportRequest("stations.csv", data, crs, **options)  # type: ignore[arg-type]
    ctx = AuditContext(
        "user:admin" if principal is None else principal.actor, None if principal is None else principal.role
    )
    return imports.run_import(engine, principal, request, ctx, policy=POLICY)


def row(code: str, lon: float, lat: float, district: str = "滨城区", name: str | None = None) -> list[object]:
    return [code, name or f"{code} 驿站", "工会驿站", district, lon, lat]


def utm_distance(adcode: str, lon: float, lat: float) -> float:
    outline = shapely.transform(shapely.segmentize(OUTLINES[adcode], 0.0005), _utm)
    return float(outline.distance(shapely.Point(*UTM.transform(lon, lat))))


def _utm(xy: np.ndarray) -> np.ndarray:
    x, y = UTM.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def inside(lon: float, lat: float) -> str | None:
    return next((a for a, g in sorted(OUTLINES.items()) if g.intersects(shapely.Point(lon, lat))), None)


def border_point(step_m: float, want: str) -> tuple[float, float]:
    """A point `step_m` from a vertex of 滨城区's outline, outside it: in another district (`other`) or
    in none (`none`)."""
    for x, y in list(OUTLINES["371602"].geoms[0].exterior.coords)[::7]:
        for azimuth in range(0, 360, 30):
            lon, lat, _ = GEOD.fwd(x, y, azimuth, step_m)
            where = inside(lon, lat)
            if (
                where != "371602"
                and (where is None) == (want == "none")
                and utm_distance("371602", lon, lat) > step_m / 2
            ):
                return lon, lat
    raise AssertionError("no such point")


def test_created_updated_unchanged_with_ids_kept_and_absent_columns_kept(engine: Engine) -> None:
    first = [row(r.code, r.lon, r.lat, name=r.name) for r in SAMPLE[:3]]
    created = run(engine, ADMIN, csv_bytes(first))
    assert [r.status for r in created.rows] == ["created"] * 3 and created.committed
    ids = {r.code: r.facility_id for r in created.rows}
    with engine.begin() as conn:  # a phone, which the next file has no column for
        conn.execute(update(Facility).where(Facility.code == SAMPLE[1].code).values(phone="0543-1234567"))
    moved = GEOD.fwd(SAMPLE[2].lon, SAMPLE[2].lat, 90, 30)[:2]
    second = [
        first[0],
        [*first[1][:1], "新名称", *first[1][2:]],
        row(SAMPLE[2].code, *moved, name=SAMPLE[2].name),
        row("NEW-1", SAMPLE[3].lon, SAMPLE[3].lat),
    ]
    before = stored_records(engine)
    report = run(engine, ADMIN, csv_bytes(second))
    assert [(r.status, r.facility_id) for r in report.rows] == [
        ("unchanged", ids[SAMPLE[0].code]),
        ("updated", ids[SAMPLE[1].code]),
        ("updated", ids[SAMPLE[2].code]),
        ("created", report.rows[3].facility_id),
    ]
    after = stored_records(engine)
    assert after[SAMPLE[1].code]["name"] == "新名称" and after[SAMPLE[1].code]["phone"] == "0543-1234567"
    assert (after[SAMPLE[2].code]["lon"], after[SAMPLE[2].code]["lat"]) == pytest.approx(moved, abs=1e-12)
    assert after[SAMPLE[0].code] == before[SAMPLE[0].code]
    with engine.connect() as conn:
        links = dict(conn.execute(select(Facility.code, Facility.import_batch_id)).all())
    assert links == {
        SAMPLE[0].code: created.batch_id,
        SAMPLE[1].code: report.batch_id,
        SAMPLE[2].code: report.batch_id,
        "NEW-1": report.batch_id,
    }
    assert any("phone" in n.en for n in report.notes)


def test_the_batch_and_its_audit_rows(engine: Engine) -> None:
    data = csv_bytes([row(r.code, r.lon, r.lat) for r in SAMPLE[:2]])
    run(engine, ADMIN, data)
    changed = csv_bytes(
        [row(SAMPLE[0].code, SAMPLE[0].lon, SAMPLE[0].lat, name="改名"), row("B", SAMPLE[2].lon, SAMPLE[2].lat)]
    )
    report = run(engine, ADMIN, changed)
    with engine.connect() as conn:
        batch = conn.execute(select(ImportBatch.__table__).where(ImportBatch.id == report.batch_id)).mappings().one()
        events = list(reversed(audit_queries.list_audit(conn, limit=1000)))

    assert batch["checksum"] == hashlib.sha256(changed).hexdigest() and batch["actor"] == "user:admin"
    assert (batch["file_name"], batch["format"], batch["crs"]) == ("stations.csv", "csv", "wgs84")
    assert batch["counts"] == {"rows": 2, "created": 1, "updated": 1, "unchanged": 0, "rejected": 0, "warnings": 0}
    assert ImportReport.model_validate(batch["report"]) == report
    last = events[-3:]
    assert [(e.entity, e.action) for e in last] == [("facility", "import")] * 2 + [("import_batch", "import")]
    update_row = next(e for e in last if e.before is not None)
    assert update_row.before["name"] == f"{SAMPLE[0].code} 驿站" and update_row.after["name"] == "改名"
    assert update_row.after["id"] == update_row.before["id"] == int(update_row.entity_id)
    create_row = next(e for e in last if e.entity == "facility" and e.before is None)
    assert create_row.after["code"] == "B" and last[-1].after["counts"]["created"] == 1
    assert last[-1].entity_id == str(report.batch_id)


def test_a_dry_run_and_a_refused_commit_write_nothing(engine: Engine) -> None:
    data = csv_bytes([row("A", SAMPLE[0].lon, SAMPLE[0].lat), row("B", 117.01, 36.65)])
    before, revision = table_state(engine), data_revision(engine)
    dry = run(engine, ADMIN, data, dry_run=True)
    assert [r.status for r in dry.rows] == ["created", "rejected"] and not dry.committed
    with pytest.raises(ImportRejected) as refused:
        run(engine, ADMIN, data)
    assert refused.value.report.model_dump()["totals"]["rejected"] == 1  # type: ignore[attr-defined]
    assert table_state(engine) == before and data_revision(engine) == revision
    skipped = run(engine, ADMIN, data, skip_rejected=True)
    assert skipped.committed and skipped.totals.created == 1 and data_revision(engine) > revision
    assert set(stored_records(engine)) == {"A"}


def test_district_rules(engine: Engine) -> None:
    near = border_point(100, "other")
    far = border_point(1500, "other")
    nowhere = border_point(1500, "none")
    report = run(engine, ADMIN, csv_bytes([row("N", *near), row("F", *far), row("O", *nowhere)]), dry_run=True)
    statuses = {r.code: r for r in report.rows}
    assert statuses["N"].status == "created" and statuses["N"].warnings[0].field == "lon"
    stated = float(statuses["N"].warnings[0].reason_en.split(" m outside")[0].split()[-1].replace(",", ""))
    assert stated == pytest.approx(utm_distance("371602", *near), abs=1.0) and stated <= 100
    where = inside(*near)
    assert where is not None and f"inside {NAMES[where]}（{where}）" in statuses["N"].warnings[0].reason_en
    assert statuses["F"].status == "rejected" and statuses["F"].rejections[0].field == "district"
    assert "the point lies in" in statuses["F"].rejections[0].reason_en
    assert statuses["O"].status == "rejected" and "outside the area" in statuses["O"].rejections[0].reason_en


def test_no_district_column_takes_the_district_of_the_point(engine: Engine) -> None:
    data = csv_bytes(
        [["P", "驿站", "工会驿站", SAMPLE[0].lon, SAMPLE[0].lat], ["Q", "驿站", "工会驿站", 117.01, 36.65]],
        ("编码", "名称", "类型", "经度", "纬度"),
    )
    report = run(engine, ADMIN, data, dry_run=True)
    assert report.rows[0].status == "created" and report.rows[1].rejections[0].field == "district"


def test_who_may_write_what(engine: Engine) -> None:
    zhanhua = SAMPLE[[r.district_adcode for r in SAMPLE].index("371603")]
    run(
        engine,
        ADMIN,
        csv_bytes([row("Z-1", zhanhua.lon, zhanhua.lat, "沾化区"), row("GONE", SAMPLE[0].lon, SAMPLE[0].lat)]),
    )
    with engine.begin() as conn:
        conn.execute(
            update(Facility).where(Facility.code == "GONE").values(deleted_at=datetime(2026, 1, 1, tzinfo=UTC))
        )
    with pytest.raises(Unauthenticated):
        run(engine, None, csv_bytes([row("A", SAMPLE[0].lon, SAMPLE[0].lat)]), dry_run=True)
    with pytest.raises(Forbidden):
        run(engine, Principal("key:1", "viewer"), csv_bytes([row("A", SAMPLE[0].lon, SAMPLE[0].lat)]), dry_run=True)
    rows = [
        row("OWN", SAMPLE[0].lon, SAMPLE[0].lat),
        row("THEIRS", zhanhua.lon, zhanhua.lat, "沾化区"),
        row("Z-1", SAMPLE[1].lon, SAMPLE[1].lat),
        row("GONE", SAMPLE[2].lon, SAMPLE[2].lat),
    ]
    report = run(engine, EDITOR, csv_bytes(rows), dry_run=True)
    assert [r.status for r in report.rows] == ["created", "rejected", "rejected", "rejected"]
    assert report.rows[1].rejections[0].reason_en.startswith("you may not write facilities of 沾化区（371603）")
    assert "belongs to a facility of 沾化区（371603）" in report.rows[2].rejections[0].reason_en
    assert "deleted facility" in report.rows[3].rejections[0].reason_en
    assert "deleted facility" in run(engine, ADMIN, csv_bytes(rows[3:]), dry_run=True).rows[0].rejections[0].reason_en


def test_a_gcj02_import_lands_within_1_m_of_the_true_position(engine: Engine) -> None:
    truth = [(r.lon, r.lat) for r in SAMPLE[:40]]
    shifted = [eviltransform.wgs2gcj(lat, lon) for lon, lat in truth]  # an independent implementation, lat/lon
    rows = [row(f"G{i}", lon, lat, SAMPLE[i].district_adcode) for i, (lat, lon) in enumerate(shifted)]
    assert run(engine, ADMIN, csv_bytes(rows), crs="gcj02").totals.created == 40
    stored = stored_records(engine)
    ours_lon, ours_lat = our_crs.gcj02_to_wgs84([p[1] for p in shifted], [p[0] for p in shifted])
    for i, (lon, lat) in enumerate(truth):
        back = stored[f"G{i}"]
        assert GEOD.inv(lon, lat, back["lon"], back["lat"])[2] < 1.0
        their_lat, their_lon = eviltransform.gcj2wgs_exact(*shifted[i])
        assert GEOD.inv(their_lon, their_lat, back["lon"], back["lat"])[2] < 1.0
        assert (back["lon"], back["lat"]) == pytest.approx((ours_lon[i], ours_lat[i]), abs=1e-12)


def test_mislabelled_coordinate_systems_are_warned_about(engine: Engine) -> None:
    truth = [(r.lon, r.lat) for r in SAMPLE[:5]]
    run(engine, ADMIN, csv_bytes([row(f"T{i}", lon, lat) for i, (lon, lat) in enumerate(truth)]))
    gcj = [our_crs.wgs84_to_gcj02(lon, lat) for lon, lat in truth]
    as_wgs = run(
        engine, ADMIN, csv_bytes([row(f"T{i}", float(x), float(y)) for i, (x, y) in enumerate(gcj)]), dry_run=True
    )
    assert all("GCJ-02 (Amap, Tencent, WeChat) declared as WGS-84" in r.warnings[0].reason_en for r in as_wgs.rows)
    assert any("5 rows look like" in n.en for n in as_wgs.notes)
    as_gcj = run(
        engine, ADMIN, csv_bytes([row(f"T{i}", lon, lat) for i, (lon, lat) in enumerate(truth)]), "gcj02", dry_run=True
    )
    assert all("WGS-84 declared as gcj02" in r.warnings[0].reason_en for r in as_gcj.rows)
    honest = run(engine, ADMIN, csv_bytes([row(f"T{i}", lon, lat) for i, (lon, lat) in enumerate(truth)]), dry_run=True)
    assert all(not r.warnings for r in honest.rows) and all(r.status == "unchanged" for r in honest.rows)


def test_a_point_that_fits_its_district_only_once_converted(engine: Engine) -> None:
    for x, y in list(OUTLINES["371602"].geoms[0].exterior.coords)[::5]:
        for azimuth in range(0, 360, 45):
            lon, lat, _ = GEOD.fwd(x, y, azimuth, 120)
            glat, glon = eviltransform.wgs2gcj(lat, lon)
            if inside(lon, lat) == "371602" and utm_distance("371602", glon, glat) > 300:
                report = run(engine, ADMIN, csv_bytes([row("X", glon, glat)]), dry_run=True)
                assert report.rows[0].status == "rejected"
                hint = report.rows[0].warnings[0].reason_en
                assert "declared as WGS-84" in hint and "only converted from it" in hint
                return
    raise AssertionError("no such point")


def test_the_crs_is_required_and_checked(engine: Engine) -> None:
    data = csv_bytes([row("A", SAMPLE[0].lon, SAMPLE[0].lat)])
    for crs in ("", "  ", "gcj-03", "EPSG:999999"):
        with pytest.raises(InvalidParameter) as caught:
            run(engine, ADMIN, data, crs, dry_run=True)
        assert caught.value.parameter == "crs" and caught.value.location == "body"
    assert run(engine, ADMIN, data, "EPSG:4490", dry_run=True).rows[0].status == "created"


def test_a_code_taken_between_check_and_commit_is_a_conflict(engine: Engine) -> None:
    request = imports.ImportRequest("stations.csv", csv_bytes([row("RACE", SAMPLE[0].lon, SAMPLE[0].lat)]), "wgs84")
    checked = imports.check_import(engine, ADMIN, imports.read_import(request, POLICY.limits), POLICY)
    run(engine, ADMIN, request.data)  # someone else commits the same code first
    before = table_state(engine)
    with pytest.raises(Conflict):
        imports.finish_import(engine, checked, AuditContext("user:admin", "admin"))
    assert table_state(engine) == before
