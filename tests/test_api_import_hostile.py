"""Hostile uploads through `POST /api/v1/imports` on both backends: each is a 4xx, nothing is written
(every facility row, the audit log and the batches are as before), and the server still answers.

The 100 MB body is a generator behind httpx's ASGI transport, which hands the app one chunk at a time:
the test counts what the app pulled, so "refused early" is measured, not assumed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from geo_service.settings import Settings
from tests.importing import Api, api_on, table_state
from tests.run_async import run_async
from tests.test_interchange_hostile import BILLION_LAUGHS, rezip, shapefile_zip, small_xlsx

CAP = Settings().import_max_bytes
CHUNK = 1024 * 1024
HOSTILE_HEADER = "geom'); DROP TABLE facility;--"


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with api_on(str(request.param), tmp_path_factory.mktemp("hostile"), sample=True) as api:
        yield api


def still_up(api: Api) -> None:
    assert api.get("/healthz").status_code == 200
    assert api.get("/api/v1/facilities", limit=1).json()["numberMatched"] > 0


@pytest.mark.parametrize(
    ("name", "make", "status"),
    [
        ("bomb.xlsx", lambda _tmp: rezip(small_xlsx(), add={"xl/media/image1.png": bytes(50 * CHUNK)}), 413),
        ("laughs.xlsx", lambda _tmp: rezip(small_xlsx(), replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS}), 422),
        ("rows.csv", lambda _tmp: b"code,name,kind,district,lon,lat\n" + b"C,n,s,d,1,2\n" * 1_000_000, 413),
        ("stations.zip", lambda tmp: shapefile_zip(tmp, extra={"../evil.shp": b"x"}), 422),
        ("stations.zip", lambda tmp: shapefile_zip(tmp, extra={"/etc/evil.cpg": b"x"}), 422),
        ("old.xls", lambda _tmp: b"\xd0\xcf\x11\xe0" + bytes(100), 415),
    ],
)
def test_hostile_files_are_refused_and_change_nothing(
    api: Api, tmp_path: Path, name: str, make: object, status: int
) -> None:
    before = table_state(api.engine)
    data = make(tmp_path)  # type: ignore[operator]
    response = api.upload("admin", name, data, crs="wgs84")
    assert response.status_code == status, response.text[:300]
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "file"] and " / " in detail["msg"]  # Chinese first, English beside
    assert table_state(api.engine) == before
    still_up(api)


async def _post_stream(api: Api, total: int, headers: dict[str, str], who: str | None = "admin") -> tuple[int, int]:
    """POST `total` bytes of multipart body in 1 MiB chunks; (status, bytes the app pulled)."""
    pulled = 0
    boundary = "b0undary"

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'.encode()
        pulled += len(head)
        yield head
        for _ in range(total // CHUNK):
            pulled += CHUNK
            yield b"a," * (CHUNK // 2)

    transport = httpx.ASGITransport(app=api.client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/api/v1/imports",
            content=body(),
            headers={**api.headers(who), "content-type": f"multipart/form-data; boundary={boundary}", **headers},
        )
    return response.status_code, pulled


def test_a_100_mb_body_is_refused_as_it_streams(api: Api) -> None:
    before = table_state(api.engine)
    status, pulled = run_async(_post_stream(api, 100 * CHUNK, {}))
    assert status == 413
    assert CAP < pulled <= CAP + 2 * CHUNK  # read up to the cap, not the 100 MB
    assert table_state(api.engine) == before
    still_up(api)


def test_a_declared_length_over_the_cap_is_refused_before_reading(api: Api) -> None:
    status, pulled = run_async(_post_stream(api, 100 * CHUNK, {"content-length": str(100 * CHUNK)}))
    assert status == 413 and pulled == 0
    still_up(api)


def test_anonymous_uploads_are_refused_before_reading(api: Api) -> None:
    status, pulled = run_async(_post_stream(api, 100 * CHUNK, {}, who=None))
    assert status == 401 and pulled == 0
    status, pulled = run_async(_post_stream(api, 100 * CHUNK, {}, who="viewer"))
    assert status == 403 and pulled == 0


def test_a_hostile_column_name_is_only_an_unknown_column(api: Api) -> None:
    csv = f'code,name,kind,district,lon,lat,"{HOSTILE_HEADER}"\nHOSTILE-1,驿站,station,滨城区,117.97,37.38,x\n'
    dry = api.upload("admin", "x.csv", csv.encode(), crs="wgs84", dry_run=True)
    assert dry.status_code == 200 and dry.json()["unknown_columns"] == [HOSTILE_HEADER]
    mapped = api.upload(
        "admin", "x.csv", csv.encode(), crs="wgs84", dry_run=True, mapping=f'{{"{HOSTILE_HEADER}": "address"}}'
    )
    assert mapped.json()["columns"]["address"] == HOSTILE_HEADER
    before = table_state(api.engine)
    committed = api.upload("admin", "x.csv", csv.encode(), crs="wgs84")
    assert committed.status_code == 200 and committed.json()["totals"]["created"] == 1
    after = table_state(api.engine)
    assert after.facilities == before.facilities + 1  # the table is there, with one more row
    still_up(api)
