"""Reading a multipart upload without ever holding more than the import cap.

Starlette's `request.form()` spools every file part, however large, before the route runs. Here the
body is counted as it streams in: a declared Content-Length over the cap is refused before a byte is
read, and a body without one (chunked) is refused as soon as it passes the cap, so a 100 MB upload
costs the server ~20 MB of reading and nothing more (413 through the one error map). Small form fields
are capped by the parser; unknown fields are refused, because a misspelt `dry_run` would otherwise
commit.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Collection
from dataclasses import dataclass
from typing import Final

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from geo_service.errors import InvalidFile, InvalidParameter, PayloadTooLarge, UnsupportedFile
from geo_service.interchange import UploadLimits, check_body_size

#: Room for the multipart framing and the small fields (crs, dry_run, a mapping) beside the file.
FORM_OVERHEAD_BYTES: Final = 256 * 1024
_FIELD_BYTES: Final = 64 * 1024


@dataclass(frozen=True)
class Upload:
    """The file part (name as sent, content) and the other fields of a multipart body."""

    file_name: str
    data: bytes
    fields: dict[str, str]


def _too_large(limits: UploadLimits) -> PayloadTooLarge:
    cap = limits.max_bytes + FORM_OVERHEAD_BYTES
    return PayloadTooLarge(f"请求体超过上限 {cap:,} 字节", f"the request body exceeds the limit of {cap:,} bytes")


async def _capped(request: Request, limits: UploadLimits) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limits.max_bytes + FORM_OVERHEAD_BYTES:
            raise _too_large(limits)
        yield chunk


def _check_declared_length(request: Request, limits: UploadLimits) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes + FORM_OVERHEAD_BYTES:
        raise _too_large(limits)


async def read_upload_form(request: Request, limits: UploadLimits, allowed: Collection[str]) -> Upload:
    """The `file` part and the `allowed` text fields of a multipart/form-data body (413/415/422)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UnsupportedFile("请以 multipart/form-data 上传文件", "send the file as multipart/form-data")
    _check_declared_length(request, limits)
    stream = _capped(request, limits)
    parser = MultiPartParser(
        request.headers, stream, max_files=1, max_fields=len(allowed) + 4, max_part_size=_FIELD_BYTES
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise InvalidFile(f"multipart 请求体无效：{exc}", f"invalid multipart body: {exc}") from None
    try:
        return await _upload(form.multi_items(), limits, allowed)
    finally:
        await form.close()


async def _upload(items: list[tuple[str, str | UploadFile]], limits: UploadLimits, allowed: Collection[str]) -> Upload:
    fields: dict[str, str] = {}
    file: UploadFile | None = None
    for name, value in items:
        if isinstance(value, UploadFile) and name == "file":
            file = value
        elif isinstance(value, str) and name in allowed and name not in fields:
            fields[name] = value
        else:
            expected = ", ".join(["file", *allowed])
            raise InvalidParameter(
                name, f"未知或重复的表单字段 / unknown or repeated form field; expected {expected}", "body"
            )
    if file is None:
        raise InvalidFile("缺少文件（表单字段 file）", "the file is missing (form field `file`)")
    data = await file.read()
    check_body_size(len(data), limits)
    return Upload(file.filename or "upload", data, fields)
