"""One facility: its form (every field), saving with the version it was read at, the conflict page when
someone else saved first, "verified today", delete and restore, and its history.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection

from geo_service.api.deps import ConnectionDep, EngineDep, SettingsDep
from geo_service.api.typed_params import DbInt
from geo_service.authorization import require_role
from geo_service.console import history
from geo_service.console.forms import ALL_FIELDS, FacilityForm
from geo_service.console.maps import map_config, marker
from geo_service.console.route import ConsoleRoute
from geo_service.console.session import Posted, PostedDep, Visit, VisitDep
from geo_service.console.templating import console_url, render
from geo_service.errors import Conflict, Forbidden, InvalidInput, InvalidParameter, PreconditionFailed
from geo_service.services import editing, facility_table
from geo_service.services.editing import EditPolicy, FacilityView
from geo_service.services.hours_preview import preview_hours
from geo_service.settings import Settings

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
HISTORY_ROWS = 20


def _redirect(request: Request, visit: Visit, path: str, done: str) -> RedirectResponse:
    return RedirectResponse(console_url(request.scope.get("root_path", ""), path, visit.lang, {"done": done}), 303)


def _version(posted: Posted) -> int:
    raw = str(posted.form.get("version") or "")
    if not raw.isdigit():
        raise InvalidParameter("version", "缺少版本号 (the form lost its version; reload the page)", "body")
    return int(raw)


def _form_page(
    request: Request,
    visit: Visit,
    conn: Connection,
    settings: Settings,
    *,
    view: FacilityView | None,
    form: FacilityForm,
    errors: list[tuple[str, str]] | None = None,
    status_code: int = 200,
    base: str | None = None,
) -> Response:
    """The form (new or existing facility) with `form`'s values and the problems of the last save;
    `base` is what the editor started from (the stored facility when None)."""
    principal, zone = visit.session.principal, EditPolicy.from_settings(settings).zone
    rows = [] if view is None else editing.facility_history(conn, principal, view.id, limit=HISTORY_ROWS, offset=0).rows
    districts = facility_table.visible_districts(conn, principal)
    context = {
        "page": "facility",
        "view": view,
        "row": None if view is None else view.row,
        "form": form,
        "base": base or ("" if view is None else FacilityForm.from_row(view.row).to_json()),
        "errors": _by_field(errors or []),
        "error_list": errors or [],
        "districts": districts,
        "history": history.entries(rows, zone),
        "map": map_config(settings, request.scope.get("root_path", ""), [d.adcode for d in districts]),
        "pin": "" if view is None else json.dumps(marker(view.row, settings)["at"]),
        "can_write": principal.role != "viewer" and (view is None or view.row["deleted_at"] is None),
        "is_admin": principal.is_admin,
        "done": request.query_params.get("done"),
        "hours": preview_hours(form.values.get("opening_hours"), visit.lang),
    }
    return render(request, "facility.html", context, session=visit.session, status_code=status_code)


def _by_field(errors: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, message in errors:
        grouped.setdefault(name, []).append(message)
    return grouped


@router.get("/console/facilities/new")
def new_facility(request: Request, visit: VisitDep, conn: ConnectionDep, settings: SettingsDep) -> Response:
    return _form_page(request, visit, conn, settings, view=None, form=FacilityForm.blank())


@router.post("/console/facilities/new")
def create_facility(
    request: Request, posted: PostedDep, engine: EngineDep, conn: ConnectionDep, settings: SettingsDep
) -> Response:
    visit, form = posted.visit, FacilityForm.from_form(posted.form)
    require_role(visit.session.principal, "editor")  # a viewer is refused before its input is read
    try:
        with engine.begin() as tx:
            view = editing.create_facility(tx, visit.caller, form.create_body())
    except InvalidInput as exc:
        return _form_page(request, visit, conn, settings, view=None, form=form, errors=exc.problems, status_code=422)
    except (Conflict, Forbidden) as exc:
        return _form_page(
            request, visit, conn, settings, view=None, form=form, errors=[("code", str(exc))], status_code=409
        )
    return _redirect(request, visit, f"/console/facilities/{view.id}", "created")


@router.get("/console/facilities/{facility_id}")
def facility_page(
    facility_id: DbInt, request: Request, visit: VisitDep, conn: ConnectionDep, settings: SettingsDep
) -> Response:
    view = facility_table.facility_for_editing(conn, visit.session.principal, facility_id)
    return _form_page(request, visit, conn, settings, view=view, form=FacilityForm.from_row(view.row))


def _who_changed(name: str, base: FacilityForm | None, mine: FacilityForm, theirs: FacilityForm) -> str:
    """same, mine, theirs or both: who changed the field since the version the editor started from."""
    if base is None:
        return "same" if mine.text(name) == theirs.text(name) else "both"
    mine_changed, theirs_changed = name in mine.changed_from(base), theirs.text(name) != base.text(name)
    if mine_changed and theirs_changed and mine.text(name) != theirs.text(name):
        return "both"
    return "mine" if mine_changed else "theirs" if theirs_changed else "same"


def _conflict_page(
    request: Request,
    visit: Visit,
    conn: Connection,
    mine: FacilityForm,
    base: FacilityForm | None,
    current: FacilityView,
) -> Response:
    """Both versions side by side; "keep mine" saves the editor's own changes over the current version."""
    theirs = FacilityForm.from_row(current.row)
    latest = editing.facility_history(conn, visit.session.principal, current.id, limit=1, offset=0).rows
    rows = [
        (
            name,
            "" if base is None else base.text(name),
            mine.text(name),
            theirs.text(name),
            _who_changed(name, base, mine, theirs),
        )
        for name in ALL_FIELDS
    ]
    context: Mapping[str, Any] = {
        "page": "facility",
        "row": current.row,
        "mine": mine,
        "base": (base or theirs).to_json(),
        "has_base": base is not None,
        "rows": rows,
        "latest": latest[0] if latest else None,
    }
    return render(request, "conflict.html", context, session=visit.session, status_code=409)


@router.post("/console/facilities/{facility_id}")
def save_facility(
    facility_id: DbInt,
    request: Request,
    posted: PostedDep,
    engine: EngineDep,
    conn: ConnectionDep,
    settings: SettingsDep,
) -> Response:
    visit, form = posted.visit, FacilityForm.from_form(posted.form)
    base_text = str(posted.form.get("base") or "")
    base = FacilityForm.from_json(base_text)
    view = facility_table.facility_for_editing(conn, visit.session.principal, facility_id, to_write=True)
    version = _version(posted)
    try:
        if view.version != version:
            raise PreconditionFailed("stale")
        effective = form if base is None else form.merged_onto(FacilityForm.from_row(view.row), base)
        patch = effective.patch_against(view.row)
        with engine.begin() as tx:
            editing.patch_facility(tx, visit.caller, facility_id, frozenset({version}), patch)
    except PreconditionFailed:
        with engine.connect() as fresh:  # a new snapshot: the version that won, not the one read above
            current = facility_table.facility_for_editing(fresh, visit.session.principal, facility_id)
            return _conflict_page(request, visit, fresh, form, base, current)
    except (InvalidInput, Conflict, Forbidden) as exc:
        problems = exc.problems if isinstance(exc, InvalidInput) else [("body", str(exc))]
        status = 422 if isinstance(exc, InvalidInput) else 409 if isinstance(exc, Conflict) else 403
        return _form_page(
            request, visit, conn, settings, view=view, form=form, errors=problems, status_code=status, base=base_text
        )
    return _redirect(request, visit, f"/console/facilities/{facility_id}", "saved")


def _back(request: Request, posted: Posted, facility_id: DbInt, done: str) -> RedirectResponse:
    """Back to where the button was (the freshness list verifies in place), or to the facility."""
    target = str(posted.form.get("back") or "")
    path = target if target in ("/console/freshness",) else f"/console/facilities/{facility_id}"
    return _redirect(request, posted.visit, path, done)


@router.post("/console/facilities/{facility_id}/verify")
def verify_facility(
    facility_id: DbInt, request: Request, posted: PostedDep, engine: EngineDep, settings: SettingsDep
) -> Response:
    with engine.begin() as tx:
        editing.verify_facility(tx, posted.visit.caller, facility_id, None, EditPolicy.from_settings(settings))
    return _back(request, posted, facility_id, "verified")


@router.post("/console/facilities/{facility_id}/delete")
def delete_facility(facility_id: DbInt, request: Request, posted: PostedDep, engine: EngineDep) -> Response:
    try:
        with engine.begin() as tx:
            editing.delete_facility(tx, posted.visit.caller, facility_id, frozenset({_version(posted)}))
    except PreconditionFailed:
        return _back(request, posted, facility_id, "stale")
    return _back(request, posted, facility_id, "deleted")


@router.post("/console/facilities/{facility_id}/restore")
def restore_facility(facility_id: DbInt, request: Request, posted: PostedDep, engine: EngineDep) -> Response:
    with engine.begin() as tx:
        editing.restore_facility(tx, posted.visit.caller, facility_id, None)
    return _back(request, posted, facility_id, "restored")
