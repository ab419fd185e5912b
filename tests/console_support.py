"""A live console for the browser tests: a loaded database with an admin, an editor of 滨城区 made with
the CLI, a hostile facility and report, served on loopback with no basemap (no request may leave)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from geo_service.authorization import AuditContext
from geo_service.db.engine import make_engine
from geo_service.db.models import Facility
from geo_service.queries.facilities import insert_facilities
from geo_service.queries.facility_edits import facility_id_by_code
from geo_service.records import FacilityRecord
from geo_service.services import accounts
from geo_service.settings import PROJECT_ROOT, Settings
from tests import browser
from tests.databases import loaded_database

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_NOTE = "</script><script>alert(2)</script>"
EDITOR, EDITOR_PASSWORD = "wang", "wang-password-2026"
ADMIN, ADMIN_PASSWORD = "boss", "boss-password-2026"
BINCHENG, ZOUPING = "371602", "371681"


@dataclass(frozen=True)
class LiveConsole:
    base: str
    db_url: str
    backend: str
    hostile_id: int


def create_editor_with_cli(db_url: str) -> None:
    """`geo-service users create wang --role editor --district 滨城区 --password-stdin`, as an admin would."""
    command = [sys.executable, "-m", "geo_service.cli", "users", "create", EDITOR, "--role", "editor"]
    command += ["--district", "滨城区", "--password-stdin"]
    env = {**os.environ, "GEO_DB_URL": db_url}
    done = subprocess.run(
        command, input=EDITOR_PASSWORD + "\n", env=env, cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _prepare(db_url: str) -> int:
    engine = make_engine(Settings(db_url=db_url))
    hostile = FacilityRecord(
        code="XSS-1", kind="station", name=HOSTILE_NAME, address=HOSTILE_NOTE, district_adcode=BINCHENG,
        lon=117.9721, lat=37.3822, amenities=["toilet"], opening_hours="Mo-Fr 08:00-18:00",
    )  # fmt: skip
    policy = accounts.AccountPolicy.from_settings(Settings())
    with engine.begin() as conn:
        insert_facilities(conn, [hostile])
        hostile_id = facility_id_by_code(conn, "XSS-1")
        assert hostile_id is not None
        by = AuditContext("cli:test", "admin")
        accounts.create_user(
            conn, by, username=ADMIN, password=ADMIN_PASSWORD, role="admin", districts=[], policy=policy
        )
    engine.dispose()
    create_editor_with_cli(db_url)
    return hostile_id


@contextmanager
def live_console(backend: str, tmp: Path) -> Iterator[LiveConsole]:
    with loaded_database(backend, tmp) as url:
        hostile_id = _prepare(url)
        with browser.serve(url, map_basemap="none", index_refresh_s="0.2") as base:
            report = {"kind": "locked", "note": HOSTILE_NOTE}  # from a rider, through the public API
            assert httpx.post(f"{base}/api/v1/facilities/{hostile_id}/reports", json=report).status_code == 202
            yield LiveConsole(base, url, backend, hostile_id)


def inner_facilities(db_url: str, district: str, count: int = 3) -> list[int]:
    """Open facilities of `district` farthest inside it (a dragged pin stays in the district), by depth."""
    import shapely

    from geo_service.queries.districts import district_shapes
    from geo_service.queries.facilities import POSITION

    engine = make_engine(Settings(db_url=db_url))
    with engine.connect() as conn:
        outline = shapely.from_wkb(bytes(district_shapes(conn, (district,))[0]["wkb"])).boundary
        query = select(Facility.id, *POSITION).where(
            Facility.district_adcode == district, Facility.status == "open", Facility.code != "XSS-1"
        )
        rows = conn.execute(query).all()
    engine.dispose()
    rows.sort(key=lambda row: -outline.distance(shapely.Point(row.lon, row.lat)))
    return [int(row.id) for row in rows[:count]]


IMPORT_HEADERS = [
    "编码",
    "站名",
    "类型",
    "地址",
    "经度",
    "纬度",
    "区县",
    "开放时间",
    "服务设施",
    "进入方式",
    "联系电话",
]
#: Spreadsheet rows (header = 1) the bad file gets wrong: swapped lon/lat, an unknown amenity, bad hours.
BAD_IMPORT_ROWS = (3, 5, 7)


def import_workbook(*, fixed: bool, name_header: str = "站名") -> bytes:
    """Eight new stations of 滨城区 as a county office types them; unless `fixed`, rows 3, 5 and 7 are
    wrong (swapped coordinates, 游泳池 as an amenity, hours in words)."""
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([name_header if h == "站名" else h for h in IMPORT_HEADERS])
    for i in range(8):
        lon, lat = 117.955 + 0.004 * i, 37.372 + 0.003 * (i % 4)
        row = [f"BZ-371602-T{i + 1:04d}", f"测试导入驿站{i + 1}号", "工会驿站", f"渤海{i + 1}路", lon, lat, "滨城区",
               "Mo-Su 08:00-20:00", "热水、卫生间", "直接进入", "0543-3210000"]  # fmt: skip
        if not fixed and i + 2 == 3:
            row[4], row[5] = lat, lon
        if not fixed and i + 2 == 5:
            row[8] = "热水、游泳池"
        if not fixed and i + 2 == 7:
            row[7] = "每天早八点到晚八点"
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
