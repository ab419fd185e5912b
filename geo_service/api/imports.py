"""Bulk import: `POST /api/v1/imports` (multipart) and `GET /api/v1/imports/{id}` (the stored report)."""

from __future__ import annotations

from typing import Any, Final

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from geo_service.api.auth import OptionalPrincipal, audit_context
from geo_service.api.deps import EngineDep, SettingsDep
from geo_service.api.typed_params import DbInt
from geo_service.api.uploads import Upload, read_upload_form
from geo_service.authorization import require_role
from geo_service.errors import InvalidParameter
from geo_service.services import imports
from geo_service.services.import_report import ImportReport

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])

FIELDS: Final = ("crs", "dry_run", "mapping", "skip_rejected", "layer")
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})
_FORM: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["file", "crs"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "CSV, XLSX, GeoJSON, GeoPackage, KML, zip"},
        "crs": {"type": "string", "description": "wgs84 | gcj02 (Amap, Tencent, WeChat) | bd09 (Baidu) | EPSG:nnnn"},
        "dry_run": {"type": "boolean", "default": False, "description": "report only, write nothing"},
        "mapping": {"type": "string", "description": 'JSON object header → field, e.g. {"站点名称": "name"}'},
        "skip_rejected": {"type": "boolean", "default": False, "description": "commit the other rows"},
        "layer": {"type": "string", "description": "worksheet or layer to read (default: the first)"},
    },
}
_OPENAPI: Final = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _FORM}}}}
_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    413: {"description": "the file (or its unzipped content, or its rows) exceeds a cap"},
    415: {"description": "not a format we read"},
    422: {"description": "a bad field or file; or rows rejected: nothing written, the body is the report + detail"},
}


def _flag(fields: dict[str, str], name: str) -> bool:
    value = fields.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidParameter(name, f"应为 true 或 false / expected true or false, got {value!r}", "body")


def _mapping(text: str | None) -> dict[str, str] | None:
    if text is None or not text.strip():
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidParameter(
            "mapping", '应为 JSON 对象 {"表头": "字段"} / expected a JSON object {"header": "field"}', "body"
        )
    return value


def _request(upload: Upload) -> imports.ImportRequest:
    fields = upload.fields
    return imports.ImportRequest(
        file_name=upload.file_name,
        data=upload.data,
        crs=fields.get("crs", ""),
        dry_run=_flag(fields, "dry_run"),
        mapping=_mapping(fields.get("mapping")),
        skip_rejected=_flag(fields, "skip_rejected"),
        layer=fields.get("layer") or None,
    )


@router.post(
    "",
    response_model=ImportReport,
    summary="Import facilities from a file (editor, admin): a row-by-row report; all rows or none",
    openapi_extra=_OPENAPI,
    responses=_RESPONSES,
)
async def create_import(
    request: Request, principal: OptionalPrincipal, engine: EngineDep, settings: SettingsDep
) -> ImportReport:
    known = require_role(principal, "editor")  # before the body is read: no upload for those who may not
    policy = imports.ImportPolicy.from_settings(settings)
    upload = await read_upload_form(request, policy.limits, FIELDS)
    return await run_in_threadpool(
        imports.run_import, engine, known, _request(upload), audit_context(request, known), policy=policy
    )


@router.get("/{batch_id}", response_model=ImportReport, summary="The stored report of an import batch (viewer+)")
def get_import(batch_id: DbInt, principal: OptionalPrincipal, engine: EngineDep) -> ImportReport:
    return imports.stored_import(engine, principal, batch_id)
