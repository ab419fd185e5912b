"""The query parameters that select facilities, shared by the list and the export so both document
and parse them alike (the export takes the list's filters, by contract)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

KindFilter = Annotated[list[str], Query(description="station | rest_base | mediation_centre; repeatable")]
DistrictFilter = Annotated[list[str], Query(description="adcode (371602) or name (滨城区); repeatable")]
StatusFilter = Annotated[list[str], Query(description="open | temporarily_closed | closed | planned")]
BboxFilter = Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS-84), edges included")]
TextFilter = Annotated[str | None, Query(max_length=100, description="text in the name or the code (case-insensitive)")]
