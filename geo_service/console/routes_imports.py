"""The import wizard: upload a file (template download beside it) → its detected encoding, headers and
column mapping (changeable) and the CRS → the dry-run report, rejected rows and warnings highlighted,
downloadable as XLSX → commit. Every step calls the import service (services.import_wizard)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from geo_service.api.deps import EngineDep, SettingsDep
from geo_service.api.uploads import read_upload_form
from geo_service.authorization import require_role
from geo_service.console import stash
from geo_service.console.route import ConsoleRoute
from geo_service.console.session import CSRF_FIELD, PostedDep, Visit, VisitDep, check_csrf
from geo_service.console.templating import console_url, render
from geo_service.errors import ImportRejected
from geo_service.services import import_wizard
from geo_service.services.import_report import ImportReport, report_file
from geo_service.services.imports import ImportPolicy, ImportRequest
from geo_service.settings import Settings

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
UPLOAD_FIELDS = (CSRF_FIELD, "crs", "layer")
AUTO = "auto"  # a header left to the automatic mapping
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def mapping_of(values: Mapping[str, str]) -> dict[str, str] | None:
    """The header → field mapping the wizard's selects send (`hdr:i` the header, `map:i` its field);
    None when every select is on "automatic"."""
    mapping = {}
    for key, header in values.items():
        if key.startswith("hdr:"):
            field = values.get("map:" + key[4:], AUTO)
            if field != AUTO:
                mapping[header] = field
    return mapping or None


def _params(values: Mapping[str, str]) -> tuple[str, str | None, dict[str, str] | None]:
    return values.get("crs", ""), values.get("layer") or None, mapping_of(values)


@router.get("/console/imports")
def upload_page(request: Request, visit: VisitDep) -> Response:
    context = {"page": "imports", "crs_choices": import_wizard.CRS_CHOICES}
    return render(request, "imports.html", context, session=visit.session)


@router.get("/console/imports/template.{suffix}")
def template(suffix: Literal["csv", "xlsx"], visit: VisitDep, settings: SettingsDep) -> Response:
    path = settings.data_dir / "templates" / f"facilities_template.{suffix}"
    return FileResponse(path, filename=f"facilities_template.{suffix}")


@router.post("/console/imports")
async def upload(request: Request, visit: VisitDep, settings: SettingsDep) -> Response:
    """Keep the file for the next steps (the body is capped as it streams, like the API's)."""
    require_role(visit.session.principal, "editor")  # before the body is read: no upload for a viewer
    upload = await read_upload_form(request, ImportPolicy.from_settings(settings).limits, UPLOAD_FIELDS)
    check_csrf(request, visit, upload.fields.get(CSRF_FIELD))
    token = await run_in_threadpool(stash.put, visit.session.username, upload.file_name, upload.data)
    params = {"crs": upload.fields.get("crs", ""), "layer": upload.fields.get("layer")}
    return RedirectResponse(
        console_url(request.scope.get("root_path", ""), f"/console/imports/{token}", visit.lang, params), 303
    )


def _kept_request(token: str, visit: Visit, values: Mapping[str, str]) -> ImportRequest:
    """The import of the file kept under `token` for this person, with the CRS, layer and mapping asked."""
    kept = stash.get(token, visit.session.username)
    crs, layer, mapping = _params(values)
    return ImportRequest(kept.file_name, kept.data, crs, mapping=mapping, layer=layer)


def _report_page(
    request: Request,
    visit: Visit,
    engine: EngineDep,
    settings: Settings,
    token: str,
    values: Mapping[str, str],
    *,
    rejected: ImportReport | None = None,
    error: str | None = None,
) -> Response:
    """The mapping and the dry-run report of the kept file (or the refused commit's report)."""
    asked = _kept_request(token, visit, values)
    crs, layer, mapping = asked.crs, asked.layer, asked.mapping
    found = import_wizard.preview(engine, visit.session.principal, asked, ImportPolicy.from_settings(settings))
    context = {
        "page": "imports",
        "token": token,
        "preview": found,
        "report": rejected or found.report,
        "detected_fields": {} if found.report is None else {h: f for f, h in found.report.columns.items()},
        "crs": crs,
        "layer": layer or "",
        "mapping": mapping or {},
        "choices": import_wizard.FIELD_CHOICES,
        "crs_choices": import_wizard.CRS_CHOICES,
        "show_all": values.get("all") == "1",
        "query": dict(values),
        "error": error,
    }
    return render(request, "import_report.html", context, session=visit.session, status_code=422 if error else 200)


@router.get("/console/imports/{token}")
def report_page(token: str, request: Request, visit: VisitDep, engine: EngineDep, settings: SettingsDep) -> Response:
    return _report_page(request, visit, engine, settings, token, dict(request.query_params))


@router.get("/console/imports/{token}/report.xlsx")
def report_download(
    token: str, request: Request, visit: VisitDep, engine: EngineDep, settings: SettingsDep
) -> Response:
    asked = _kept_request(token, visit, dict(request.query_params))
    found = import_wizard.preview(engine, visit.session.principal, asked, ImportPolicy.from_settings(settings))
    if found.report is None:
        return _report_page(request, visit, engine, settings, token, dict(request.query_params))
    headers = {"Content-Disposition": 'attachment; filename="import-report.xlsx"', "Cache-Control": "no-store"}
    return Response(report_file(found.report, ".xlsx"), media_type=XLSX, headers=headers)


@router.post("/console/imports/{token}/commit")
def commit(token: str, request: Request, posted: PostedDep, engine: EngineDep, settings: SettingsDep) -> Response:
    visit = posted.visit
    values = {k: str(v) for k, v in posted.form.items()}
    skip = values.get("skip_rejected") == "1"
    asked = replace(_kept_request(token, visit, values), skip_rejected=skip)
    try:
        context = visit.caller.audit_context()
        report = import_wizard.commit(
            engine, visit.session.principal, asked, context, ImportPolicy.from_settings(settings)
        )
    except ImportRejected as exc:
        rejected = ImportReport.model_validate(exc.report.model_dump())
        return _report_page(request, visit, engine, settings, token, values, rejected=rejected, error=str(exc))
    stash.drop(token)
    return render(request, "import_done.html", {"page": "imports", "report": report}, session=visit.session)
