"""Facility editing: GET one (with its ETag), POST, PATCH, DELETE, restore, verify, history.

Thin: parse, call geo_service.services.editing inside one transaction per write, shape the GeoJSON
Feature. Writes need `Authorization: Bearer` (401 without, 403 for a role or district that may not);
PATCH and DELETE need `If-Match: "<id>-<version>"` from a GET (428 without, 412 when stale).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from geo_layers.facilities import facility_feature
from geo_service.api.audit import AuditPageOut
from geo_service.api.auth import OptionalPrincipal, RequiredPrincipal
from geo_service.api.deps import ConnectionDep, EngineDep, SettingsDep
from geo_service.api.etags import etag, if_match_versions
from geo_service.api.paging import PageLimit, check_page, paging_links
from geo_service.api.request_id import request_id_of
from geo_service.api.responses import GeoJSONResponse
from geo_service.api.typed_params import DbInt, Offset
from geo_service.authorization import Principal
from geo_service.services import editing
from geo_service.services.caller import Caller
from geo_service.services.editing import FacilityView
from geo_service.services.facility_input import FacilityCreate, FacilityPatch

router = APIRouter(prefix="/api/v1/facilities", tags=["editing"])
IfMatch = Annotated[str | None, Header(description='the ETag of a GET, e.g. "12-3"')]
#: What signed-in callers see beside the public properties.
STEWARD_FIELDS = (
    "version",
    "deleted_at",
    "last_verified_by",
    "import_batch_id",
    "source",
    "created_at",
    "updated_at",
)
_FEATURE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/geo+json": {}}, "description": "the facility as a GeoJSON Feature"}
}


def caller_of(request: Request, principal: Principal | None) -> Caller:
    """The caller of a use case: principal, request id and client address."""
    return Caller(principal, request_id_of(request.scope), request.client.host if request.client else None)


def _utc(value: Any) -> Any:
    """Timestamps as aware UTC (SQLite hands back naive UTC for plain DateTime columns)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def feature_of(view: FacilityView) -> dict[str, Any]:
    """The facility as a GeoJSON Feature: the list's properties, plus STEWARD_FIELDS when signed in."""
    feature = facility_feature(view.row)
    if view.detailed:
        feature["properties"].update({field: _utc(view.row[field]) for field in STEWARD_FIELDS})
    return feature


def _answer(view: FacilityView, status_code: int = 200, **headers: str) -> GeoJSONResponse:
    headers = {"ETag": etag(view.id, view.version), **headers}
    return GeoJSONResponse(feature_of(view), status_code=status_code, headers=headers)


@router.get("/{facility_id}", response_class=GeoJSONResponse, responses=_FEATURE, summary="One facility, with its ETag")
def get_facility(facility_id: DbInt, conn: ConnectionDep, principal: OptionalPrincipal) -> GeoJSONResponse:
    view = editing.get_facility(conn, principal, facility_id)
    return _answer(view, Vary="Authorization")


@router.post("", status_code=201, response_class=GeoJSONResponse, summary="Create a facility (editor, admin)")
def create_facility(
    body: FacilityCreate, request: Request, engine: EngineDep, principal: RequiredPrincipal
) -> GeoJSONResponse:
    with engine.begin() as conn:
        view = editing.create_facility(conn, caller_of(request, principal), body)
    return _answer(view, 201, Location=f"/api/v1/facilities/{view.id}")


@router.patch("/{facility_id}", response_class=GeoJSONResponse, summary="Change a facility (JSON merge patch)")
def patch_facility(
    facility_id: DbInt,
    body: FacilityPatch,
    request: Request,
    engine: EngineDep,
    principal: RequiredPrincipal,
    if_match: IfMatch = None,
) -> GeoJSONResponse:
    versions = if_match_versions(if_match, facility_id)
    with engine.begin() as conn:
        view = editing.patch_facility(conn, caller_of(request, principal), facility_id, versions, body)
    return _answer(view)


@router.delete("/{facility_id}", status_code=204, summary="Soft-delete a facility (status closed, restorable)")
def delete_facility(
    facility_id: DbInt, request: Request, engine: EngineDep, principal: RequiredPrincipal, if_match: IfMatch = None
) -> Response:
    versions = if_match_versions(if_match, facility_id)
    with engine.begin() as conn:
        view = editing.delete_facility(conn, caller_of(request, principal), facility_id, versions)
    return Response(status_code=204, headers={"ETag": etag(view.id, view.version)})


@router.post("/{facility_id}/restore", response_class=GeoJSONResponse, summary="Undo a soft delete (admin)")
def restore_facility(
    facility_id: DbInt, request: Request, engine: EngineDep, principal: RequiredPrincipal, if_match: IfMatch = None
) -> GeoJSONResponse:
    versions = if_match_versions(if_match, facility_id)
    with engine.begin() as conn:
        view = editing.restore_facility(conn, caller_of(request, principal), facility_id, versions)
    return _answer(view)


@router.post("/{facility_id}/verify", response_class=GeoJSONResponse, summary="Record that it was checked today")
def verify_facility(
    facility_id: DbInt,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: RequiredPrincipal,
    if_match: IfMatch = None,
) -> GeoJSONResponse:
    versions = if_match_versions(if_match, facility_id)
    policy = editing.EditPolicy.from_settings(settings)
    with engine.begin() as conn:
        view = editing.verify_facility(conn, caller_of(request, principal), facility_id, versions, policy)
    return _answer(view)


@router.get("/{facility_id}/history", response_model=AuditPageOut, summary="Its audit rows, newest first")
def facility_history(
    facility_id: DbInt,
    request: Request,
    conn: ConnectionDep,
    settings: SettingsDep,
    principal: RequiredPrincipal,
    limit: PageLimit = None,
    offset: Offset = 0,
) -> AuditPageOut:
    page_size = check_page(limit, settings)
    page = editing.facility_history(conn, principal, facility_id, limit=page_size, offset=offset)
    return AuditPageOut(
        items=page.rows,
        numberMatched=page.matched,
        numberReturned=len(page.rows),
        links=paging_links(request, page.matched, page_size, offset, media_type="application/json"),
    )
