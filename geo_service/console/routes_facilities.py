"""The facility table: search, filters, sorting, paging, and the map beside it (same filters)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from geo_service.api.deps import ConnectionDep, SettingsDep
from geo_service.api.typed_params import ConsolePage
from geo_service.console.maps import map_config, marker
from geo_service.console.route import ConsoleRoute
from geo_service.console.session import VisitDep
from geo_service.console.templating import QueryValue, render
from geo_service.errors import InvalidParameter
from geo_service.services import facility_table
from geo_service.services.editing import EditPolicy
from geo_service.services.facility_table import TableQuery

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50
MAP_CAP = 3000


def _days(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameter("stale_days", f"须为天数 (a number of days, got {raw!r})") from None


@dataclass
class TableParams:
    """The table's query string, as its filter form sends it (empty fields mean "any")."""

    q: Annotated[str | None, Query(max_length=200)] = None
    district: str | None = None
    kind: str | None = None
    status: str | None = None
    sample: str = "all"
    stale_days: str | None = None
    open_reports: bool = False
    sort: str = "id"
    desc: bool = False
    page: ConsolePage = 1

    def table_query(self) -> TableQuery:
        def one(value: str | None) -> tuple[str, ...]:
            return (value,) if value else ()

        return TableQuery(
            text=self.q,
            districts=one(self.district),
            kinds=one(self.kind),
            statuses=one(self.status),
            sample=self.sample or "all",
            stale_days=_days(self.stale_days),
            open_reports=self.open_reports,
            sort=self.sort,
            descending=self.desc,
            page=self.page,
            page_size=PAGE_SIZE,
        )

    def filters(self) -> dict[str, QueryValue]:
        """The filters (not sort or page) as query parameters, for sort links, paging and the map."""
        return {
            "q": self.q,
            "district": self.district,
            "kind": self.kind,
            "status": self.status,
            "sample": None if self.sample == "all" else self.sample,
            "stale_days": self.stale_days,
            "open_reports": "1" if self.open_reports else None,
        }


TableParamsDep = Annotated[TableParams, Depends()]


@router.get("/console/facilities")
def facilities_page(
    request: Request, visit: VisitDep, conn: ConnectionDep, settings: SettingsDep, params: TableParamsDep
) -> Response:
    principal = visit.session.principal
    today = facility_table.local_today(EditPolicy.from_settings(settings).zone)
    page = facility_table.facility_table(conn, principal, params.table_query(), today)
    districts = facility_table.visible_districts(conn, principal)
    root = request.scope.get("root_path", "")
    context = {
        "page": "facilities",
        "table": page,
        "params": params,
        "filters": params.filters(),
        "districts": districts,
        "today": today,
        "map": map_config(settings, root, [d.adcode for d in districts] if principal.role == "editor" else ()),
        "can_write": principal.role != "viewer",
    }
    return render(request, "facilities.html", context, session=visit.session)


@router.get("/console/facilities/map")
def facilities_map(visit: VisitDep, conn: ConnectionDep, settings: SettingsDep, params: TableParamsDep) -> Response:
    """Every facility of the table's selection (up to MAP_CAP) as markers, for the map beside it."""
    today = facility_table.local_today(EditPolicy.from_settings(settings).zone)
    rows, matched = facility_table.map_points(conn, visit.session.principal, params.table_query(), today, MAP_CAP)
    body = {"markers": [marker(row, settings) for row in rows], "matched": matched}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
