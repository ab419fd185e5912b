"""The console's own use cases against answers computed another way: the facility table's filters and
order against a brute-force pass over every row, freshness counts against the same, and the wizard's
upload steps (owner, CSRF, a refused commit that writes nothing). Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select, update

from geo_service.authorization import Principal
from geo_service.db.engine import make_engine
from geo_service.db.models import District, Facility
from geo_service.queries.facilities import POSITION
from geo_service.queries.reports import NewReport, insert_report
from geo_service.services import facility_table, freshness
from geo_service.services.accounts import utc_now
from geo_service.services.facility_table import TableQuery
from geo_service.settings import Settings
from tests.databases import BACKENDS, loaded_database

TODAY = date(2026, 12, 1)
EDITOR = Principal("user:wang", "editor", frozenset({"371602"}))
ADMIN = Principal("user:boss", "admin")


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The sample, with two real (non-sample) rows, one deleted row and open reports on three rows."""
    with loaded_database(str(request.param), tmp_path_factory.mktemp("console-services")) as url:
        engine = make_engine(Settings(db_url=url))
        with engine.begin() as conn:
            ids = list(
                conn.scalars(select(Facility.id).where(Facility.district_adcode == "371602").order_by(Facility.id))
            )
            conn.execute(update(Facility).where(Facility.id.in_(ids[:2])).values(is_sample=False))
            conn.execute(update(Facility).where(Facility.id == ids[2]).values(deleted_at=utc_now()))
            for facility_id in (ids[3], ids[3], ids[5], ids[7]):
                insert_report(conn, NewReport(facility_id, "locked", None, None, None, "ab" * 32), utc_now())
        yield engine
        engine.dispose()


def everything(engine: Engine) -> list[dict]:
    """Every facility not deleted, with its district name and open reports, computed in Python."""
    from geo_service.db.models import ProblemReport

    with engine.connect() as conn:
        rows = conn.execute(
            select(Facility.id, Facility.code, Facility.name, Facility.kind, Facility.status, Facility.district_adcode,
                   Facility.is_sample, Facility.last_verified_at, District.name.label("district"), *POSITION)
            .join(District, District.adcode == Facility.district_adcode)
            .where(Facility.deleted_at.is_(None))
        ).mappings().all()  # fmt: skip
        reports = conn.execute(select(ProblemReport.facility_id).where(ProblemReport.status == "open")).scalars().all()
    return [dict(row) | {"open_reports": reports.count(row["id"])} for row in rows]


def _own(row: dict) -> bool:
    return row["district_adcode"] == "371602"


def _stale(row: dict, days: int) -> bool:
    return row["last_verified_at"] is None or row["last_verified_at"] < TODAY - timedelta(days=days)


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        (TableQuery(), _own),
        (TableQuery(sample="real"), lambda r: _own(r) and not r["is_sample"]),
        (
            TableQuery(sample="sample", kinds=("station",)),
            lambda r: _own(r) and r["is_sample"] and r["kind"] == "station",
        ),
        (TableQuery(open_reports=True), lambda r: _own(r) and r["open_reports"] > 0),
        (TableQuery(stale_days=300), lambda r: _own(r) and _stale(r, 300)),
        (
            TableQuery(text="s00", statuses=("open",)),
            lambda r: _own(r) and "s00" in r["code"].lower() and r["status"] == "open",
        ),
    ],
)
def test_the_editors_table_matches_a_brute_force_filter(engine: Engine, query: TableQuery, keep) -> None:
    expected = sorted(r["id"] for r in everything(engine) if keep(r))
    with engine.connect() as conn:
        page = facility_table.facility_table(conn, EDITOR, TableQuery(**{**query.__dict__, "page_size": 500}), TODAY)
    assert sorted(r["id"] for r in page.rows) == expected and page.matched == len(expected)
    assert expected, "the case selects something"


@pytest.mark.parametrize("sort", ["name", "last_verified_at", "open_reports", "code"])
@pytest.mark.parametrize("descending", [False, True])
def test_sorting_and_paging_give_every_row_once_in_order(engine: Engine, sort: str, descending: bool) -> None:
    rows = list(everything(engine))
    with engine.connect() as conn:
        pages = [
            facility_table.facility_table(
                conn, ADMIN, TableQuery(sort=sort, descending=descending, page=n, page_size=40), TODAY
            )
            for n in range(1, 20)
        ]
    seen = [row for page in pages[: pages[0].pages] for row in page.rows]
    assert sorted(r["id"] for r in seen) == sorted(r["id"] for r in rows)  # every row once across the pages
    keys = [row[sort] for row in seen]
    present = [k for k in keys if k is not None]
    assert present == sorted(present, reverse=descending)
    if sort == "last_verified_at" and None in keys:  # never verified: first ascending, last descending
        nones = [i for i, k in enumerate(keys) if k is None]
        assert nones == (list(range(len(nones))) if not descending else list(range(len(keys) - len(nones), len(keys))))


def test_an_editor_asking_for_another_district_is_refused(engine: Engine) -> None:
    from geo_service.errors import Forbidden

    with engine.connect() as conn, pytest.raises(Forbidden):
        facility_table.facility_table(conn, EDITOR, TableQuery(districts=("邹平市",)), TODAY)


def test_freshness_counts_match_a_brute_force_count(engine: Engine) -> None:
    rows = [r for r in everything(engine) if r["status"] != "closed"]
    with engine.connect() as conn:
        report = freshness.freshness(conn, ADMIN, TODAY, overdue_days=180, page=1, page_size=500)
    by_district = {d.adcode: d for d in report.districts}
    assert len(by_district) == 7
    for adcode, counted in by_district.items():
        mine = [r for r in rows if r["district_adcode"] == adcode]
        verified = [r["last_verified_at"] for r in mine if r["last_verified_at"] is not None]
        assert counted.total == len(mine)
        assert counted.never_verified == len(mine) - len(verified)
        assert counted.verified_since == tuple(
            sum(v >= TODAY - timedelta(days=days) for v in verified) for days in freshness.CUTOFF_DAYS
        )
    overdue = sorted(
        r["id"] for r in rows if r["last_verified_at"] is None or r["last_verified_at"] < TODAY - timedelta(days=180)
    )
    assert sorted(r["id"] for r in report.overdue.rows) == overdue
    with engine.connect() as conn:
        mine = freshness.freshness(conn, EDITOR, TODAY, overdue_days=90, page=1, page_size=10)
    assert [d.adcode for d in mine.districts] == ["371602"]
    assert {r["district_adcode"] for r in mine.overdue.rows} == {"371602"}
