"""Upload errors map to 413 / 415 / 422 in the one error mapping, with a bilingual message naming the field."""

from __future__ import annotations

import json

import pytest

from geo_service.api.errors import error_response
from geo_service.errors import FileRefused, InvalidFile, PayloadTooLarge, UnsupportedFile


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (PayloadTooLarge("文件过大", "file too large"), 413, "payload_too_large"),
        (UnsupportedFile("不支持", "unsupported"), 415, "unsupported_file"),
        (InvalidFile("缺少列", "missing columns", field="layer"), 422, "invalid_file"),
    ],
)
def test_file_errors_map_to_their_status(error: FileRefused, status: int, kind: str) -> None:
    response = error_response(error)
    assert response is not None and response.status_code == status
    detail = json.loads(bytes(response.body))["detail"][0]
    assert detail["loc"] == ["body", error.field] and detail["type"] == kind
    assert detail["msg"] == f"{error.message_zh} / {error.message_en}"
